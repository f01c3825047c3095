"""Which jobs a dataset export reads: job paths and shell patterns, expanded by listing.

A pattern has ``*``, ``?`` or ``[...]`` in one or more path components
(``logs/periodic-ci-openshift-release-master-*-4.16-*``,
``pr-logs/pull/openshift_release/*/pull-ci-openshift-release-master-e2e-aws``). Components up
to the first wildcard are taken as written; from there on each level is listed once per
candidate and its directories are matched (``fnmatchcase``: case-sensitive, as bucket keys
are). A pattern keeps only matches that are job directories; a plain path is taken as given.

The job *name* is the dataset's partition: job directories with the same name (a presubmit
in many pull requests) are one job there, their builds merged in build-ID order.
"""

from __future__ import annotations

import asyncio
import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass, field

from prowtui.analysis.dataset.defaults import has_wildcard
from prowtui.errors import NotFound, first_line
from prowtui.prow.jobs import BuildRef, list_builds, parse_job_path
from prowtui.sources.base import Source, normalize_dir


@dataclass
class Expansion:
    """Job directories by pattern, and patterns that matched nothing."""

    paths: list[str] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)


async def expand_pattern(source: Source, pattern: str) -> list[str]:
    """The job directories ``pattern`` names, sorted (a plain path: itself)."""
    path = normalize_dir(pattern.strip().lstrip("/"))
    if not has_wildcard(path):
        return [path]
    parts = [part for part in path.split("/") if part]
    first = next(i for i, part in enumerate(parts) if has_wildcard(part))
    candidates = ["/".join(parts[:first]) + "/" if first else ""]
    for part in parts[first:]:
        listings = await asyncio.gather(*(_dirs(source, prefix) for prefix in candidates))
        candidates = [
            f"{prefix}{name}/"
            for prefix, names in zip(candidates, listings, strict=True)
            for name in names
            if fnmatch.fnmatchcase(name, part)
        ]
        if not candidates:
            return []
    return sorted(path for path in candidates if parse_job_path(path).kind != "unknown")


async def _dirs(source: Source, prefix: str) -> list[str]:
    """Names (without ``/``) of the directories directly under ``prefix``; none if missing."""
    try:
        entries = await source.list(prefix)
    except NotFound:
        return []
    return [entry.name.rstrip("/") for entry in entries if entry.is_dir]


async def expand_jobs(source: Source, patterns: Sequence[str]) -> Expansion:
    """Every job directory the patterns and paths name (each once, in the order given)."""
    found = await asyncio.gather(*(expand_pattern(source, p) for p in patterns))
    result = Expansion()
    seen: set[str] = set()
    for pattern, paths in zip(patterns, found, strict=True):
        if not paths:
            result.unmatched.append(pattern)
        for path in paths:
            if path not in seen:
                seen.add(path)
                result.paths.append(path)
    return result


@dataclass
class JobBuilds:
    """One job of the dataset: its name, the directories it was read from, its builds."""

    name: str
    paths: list[str]
    builds: list[BuildRef]


@dataclass
class Discovery:
    """The jobs found, with their builds, and job directories whose listing failed."""

    jobs: list[JobBuilds] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)


async def discover(source: Source, patterns: Sequence[str], limit: int | None = None) -> Discovery:
    """Expand the patterns and list every job's builds (one listing per job directory).

    Builds of job directories with the same job name are merged, oldest first; a build ID
    seen twice keeps its first directory. ``limit`` keeps each job's newest builds.
    """
    expansion = await expand_jobs(source, patterns)
    listings = await asyncio.gather(
        *(list_builds(source, path) for path in expansion.paths), return_exceptions=True
    )
    result = Discovery(unmatched=expansion.unmatched)
    by_name: dict[str, JobBuilds] = {}
    for path, listing in zip(expansion.paths, listings, strict=True):
        if isinstance(listing, BaseException):
            if not isinstance(listing, Exception):
                raise listing
            result.failed.append((path, first_line(listing)))
            continue
        name = parse_job_path(path).name
        job = by_name.setdefault(name, JobBuilds(name, [], []))
        job.paths.append(path)
        job.builds.extend(listing)
    for job in by_name.values():
        unique: dict[str, BuildRef] = {}
        for ref in job.builds:
            unique.setdefault(ref.build_id, ref)
        builds = sorted(unique.values(), key=lambda ref: int(ref.build_id))
        if limit is not None:
            builds = builds[-limit:]
        job.builds = builds
        result.jobs.append(job)
    return result

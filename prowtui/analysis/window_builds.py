"""The builds of many jobs that started in a report's two windows, read from the bucket.

Requests, per job: one listing (all pages), then ``finished.json`` and ``started.json`` of each
build whose ID time may fall into a window (:meth:`Windows.may_hold`), nothing else. A build is
placed by ``started.json``'s timestamp, else by its ID's time. ``finished.json`` is read first:
through the cache (:class:`~prowtui.sources.cached.CachedSource`) a build found finished is
kept for good, and a second run reads only builds that are new or were pending. Listings and
pending builds' files are asked for again each run (``list_current`` / ``read_current`` of the
cache; plain ``list``/``read`` on other sources).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from prowtui.analysis.dataset.jobs import expand_pattern
from prowtui.errors import NotFound, ParseError, ProwtuiError, first_line
from prowtui.prow.jobs import BuildRef, build_refs, parse_job_path
from prowtui.prow.metadata import parse_finished, parse_started
from prowtui.prow.windows import Windows, snowflake_time
from prowtui.sources.base import Source, normalize_dir


@dataclass(frozen=True)
class WindowBuild:
    """One build that started in a window. ``result`` is upper-case, None while pending."""

    job: str
    build_id: str
    path: str
    started: datetime
    finished: datetime | None
    result: str | None
    duration_s: float | None
    window: Literal["current", "previous"]

    @property
    def passed(self) -> bool:
        """Finished with SUCCESS."""
        return self.result == "SUCCESS"

    @property
    def failed(self) -> bool:
        """Finished with any other result (FAILURE, ERROR, ABORTED, ...)."""
        return self.result is not None and self.result != "SUCCESS"

    @property
    def pending(self) -> bool:
        """No ``finished.json`` (or an unreadable one)."""
        return self.result is None


@dataclass
class JobWindowBuilds:
    """A job's builds in both windows, newest first, and what went wrong reading them.

    ``problems`` make a report's exit status 1; ``warnings`` (an unreadable ``started.json``,
    whose build is placed by its ID) do not. ``listed`` is False when the job's listing failed.
    """

    job: str
    builds: list[WindowBuild] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    listed: bool = True
    #: builds whose files were read (for progress and request accounting)
    read: int = 0


async def resolve_job_patterns(source: Source, patterns: list[str]) -> tuple[list[str], list[str]]:
    """The job directories the patterns name (shell wildcards listed once per pattern level,
    plain paths as given, only job directories kept) and the patterns that matched nothing."""
    found = await asyncio.gather(*(expand_pattern(source, p) for p in patterns))
    jobs: list[str] = []
    unmatched: list[str] = []
    seen: set[str] = set()
    for pattern, paths in zip(patterns, found, strict=True):
        kept = [path for path in paths if parse_job_path(path).kind != "unknown"]
        if not kept:
            unmatched.append(pattern)
        for path in kept:
            if path not in seen:
                seen.add(path)
                jobs.append(path)
    return jobs, unmatched


def _call(source: Any, name: str, fallback: str) -> Callable[..., Awaitable[Any]]:
    """``source.<name>`` when the source offers it (the cache), else ``source.<fallback>``."""
    method = getattr(source, name, None)
    return method if callable(method) else getattr(source, fallback)


async def list_job_builds(source: Source, job: str) -> list[BuildRef]:
    """The job's builds (numeric directories), oldest first, from a listing asked for again
    (not a cached one) when the source is the cache."""
    lister = _call(source, "list_current", "list")
    return build_refs(await lister(normalize_dir(job)))


def latest_id_time(listings: Iterable[list[BuildRef]]) -> datetime | None:
    """The newest build ID time among the listed builds (for ``--now latest``)."""
    times = (snowflake_time(ref.build_id) for builds in listings for ref in builds)
    return max((t for t in times if t is not None), default=None)


async def window_builds(
    source: Source,
    job: str,
    windows: Windows,
    *,
    limiter: asyncio.Semaphore | None = None,
    builds: list[BuildRef] | None = None,
) -> JobWindowBuilds:
    """The job's builds that started in either window, newest first.

    ``builds`` is the job's listing when the caller already has it (``--now latest`` lists
    every job first); else the job is listed here. ``limiter`` bounds the builds read at once
    across jobs (each build is two requests, one after the other).
    """
    job = normalize_dir(job)
    result = JobWindowBuilds(job)
    limit = limiter or contextlib.nullcontext()
    if builds is None:
        try:
            async with limit:
                builds = await list_job_builds(source, job)
        except ProwtuiError as exc:
            result.listed = False
            result.problems.append(f"{job}: cannot list the job: {first_line(exc)}")
            return result
    wanted = []
    for ref in builds:
        id_time = snowflake_time(ref.build_id)
        if id_time is None or windows.may_hold(id_time):
            wanted.append((ref, id_time))

    async def one(ref: BuildRef, id_time: datetime | None) -> WindowBuild | None:
        async with limit:
            return await _read_build(source, job, ref, id_time, windows, result)

    found = await asyncio.gather(*(one(ref, t) for ref, t in wanted))
    result.read = len(wanted)
    result.builds = sorted(
        (b for b in found if b is not None), key=lambda b: int(b.build_id), reverse=True
    )
    return result


async def _read_build(
    source: Source,
    job: str,
    ref: BuildRef,
    id_time: datetime | None,
    windows: Windows,
    result: JobWindowBuilds,
) -> WindowBuild | None:
    """Read one build's ``finished.json`` then ``started.json`` and place it (None: outside
    both windows). Problems and warnings go to ``result``."""
    reader = _call(source, "read_current", "read")
    finished = None
    try:
        finished = parse_finished(await reader(ref.path + "finished.json"))
    except NotFound:
        pass
    except ProwtuiError as exc:
        kind = "unreadable" if isinstance(exc, ParseError) else "cannot be read"
        result.problems.append(
            f"{ref.path}finished.json: {kind}, counted as pending: {first_line(exc)}"
        )
    started_at = None
    try:
        started_at = parse_started(await reader(ref.path + "started.json")).timestamp
    except NotFound:
        pass
    except ProwtuiError as exc:
        kind = "unreadable" if isinstance(exc, ParseError) else "cannot be read"
        result.warnings.append(
            f"{ref.path}started.json: {kind}, placed by its build ID: {first_line(exc)}"
        )
    start = started_at or id_time
    if start is None:
        result.warnings.append(f"{ref.path}: no start time (no started.json, no time in the ID)")
        return None
    window = windows.which(start)
    if window is None:
        return None
    end = finished.timestamp if finished is not None else None
    duration = (end - start).total_seconds() if end is not None else None
    if duration is not None and duration < 0:
        duration = None
    return WindowBuild(
        job=job,
        build_id=ref.build_id,
        path=ref.path,
        started=start,
        finished=end,
        result=finished.result.upper() if finished is not None else None,
        duration_s=duration,
        window=window,
    )

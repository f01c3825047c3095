"""What a search found, per job and build, and its impact line (pure: no I/O).

Per job, over the *current* window's builds: ``runs`` = finished builds, ``failed`` = finished
builds whose result is not SUCCESS (ABORTED and ERROR included), ``matched_runs`` = finished
builds with a match, ``matched_failed`` = failed builds with a match; ``failed_pct`` =
failed / runs, ``match_pct_of_failures`` = matched_failed / failed, ``impact`` =
matched_failed / runs (None where the divisor is 0). Pending builds are searched and listed but
count in none of these. Only jobs with a match are reported, ordered by impact (descending,
None last), then matched_runs (descending), then job.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class SearchQuery:
    """The question, as the JSON's ``query`` echoes it."""

    regex: str
    fixed: bool
    ignore_case: bool
    type: str
    since_s: int
    now: datetime


@dataclass
class MatchRow:
    """One matching line of one file of a build."""

    path: str
    line: int
    text: str
    before: list[str] = field(default_factory=list)
    after: list[str] = field(default_factory=list)
    test: str | None = None
    #: where the match is in ``text`` (character offsets), for highlighting
    spans: list[tuple[int, int]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The ``matches`` entry of the JSON."""
        return {
            "path": self.path,
            "line": self.line,
            "text": self.text,
            "before": list(self.before),
            "after": list(self.after),
            "test": self.test,
        }


@dataclass
class BuildMatches:
    """The matches of one build (files in path order) and whether a file hit the cap."""

    build_id: str
    result: str | None
    started: datetime | None
    matches: list[MatchRow] = field(default_factory=list)
    truncated: bool = False

    @property
    def finished(self) -> bool:
        """True once the build has a result."""
        return self.result is not None

    @property
    def failed(self) -> bool:
        """A finished build whose result is anything but SUCCESS."""
        return self.result is not None and self.result.upper() != "SUCCESS"

    def to_json(self) -> dict[str, Any]:
        """The ``builds`` entry of the JSON."""
        return {
            "build_id": self.build_id,
            "result": self.result,
            "started": iso(self.started),
            "matches": [m.to_json() for m in self.matches],
            "truncated": self.truncated,
        }


@dataclass
class JobMatches:
    """A job's impact line and its builds with a match (newest first)."""

    job: str
    runs: int
    failed: int
    matched_runs: int
    matched_failed: int
    builds: list[BuildMatches]

    @property
    def failed_pct(self) -> float | None:
        """failed / runs."""
        return ratio(self.failed, self.runs)

    @property
    def match_pct_of_failures(self) -> float | None:
        """matched_failed / failed."""
        return ratio(self.matched_failed, self.failed)

    @property
    def impact(self) -> float | None:
        """matched_failed / runs: the share of all runs that failed with this line."""
        return ratio(self.matched_failed, self.runs)

    @property
    def match_count(self) -> int:
        """Matching lines over every build."""
        return sum(len(b.matches) for b in self.builds)

    def to_json(self) -> dict[str, Any]:
        """The ``jobs`` entry of the JSON."""
        return {
            "job": self.job,
            "runs": self.runs,
            "failed": self.failed,
            "matched_runs": self.matched_runs,
            "matched_failed": self.matched_failed,
            "failed_pct": self.failed_pct,
            "match_pct_of_failures": self.match_pct_of_failures,
            "impact": self.impact,
            "builds": [b.to_json() for b in self.builds],
        }


@dataclass
class Searched:
    """How much was searched: builds, files and bytes."""

    builds: int = 0
    files: int = 0
    bytes: int = 0

    def to_json(self) -> dict[str, int]:
        """The ``searched`` object of the JSON."""
        return {"builds": self.builds, "files": self.files, "bytes": self.bytes}


@dataclass
class SearchReport:
    """Everything ``prowtui search`` prints."""

    query: SearchQuery
    jobs: list[JobMatches]
    searched: Searched
    unmatched: list[str]
    #: files and builds that could not be read, each one line (exit status 1)
    problems: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` document (exact keys)."""
        q = self.query
        return {
            "query": {
                "regex": q.regex,
                "fixed": q.fixed,
                "ignore_case": q.ignore_case,
                "type": q.type,
                "since_s": q.since_s,
                "now": iso(q.now),
            },
            "jobs": [job.to_json() for job in self.jobs],
            "searched": self.searched.to_json(),
            "unmatched": list(self.unmatched),
        }


def ratio(part: int, whole: int) -> float | None:
    """part / whole, None when whole is 0."""
    return part / whole if whole else None


def iso(value: datetime | None) -> str | None:
    """ISO 8601 UTC with ``Z`` (seconds), None for None."""
    if value is None:
        return None
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def job_matches(job: str, builds: Iterable[BuildMatches]) -> JobMatches | None:
    """The impact line of ``job`` from *every* build of its window (with or without a
    match, searched or not); None when no build has a match."""
    runs = failed = matched_runs = matched_failed = 0
    hit: list[BuildMatches] = []
    for build in builds:
        matched = bool(build.matches)
        if matched:
            hit.append(build)
        if not build.finished:
            continue
        runs += 1
        matched_runs += matched
        if build.failed:
            failed += 1
            matched_failed += matched
    if not hit:
        return None
    hit.sort(key=lambda b: int(b.build_id) if b.build_id.isdigit() else -1, reverse=True)
    return JobMatches(job, runs, failed, matched_runs, matched_failed, hit)


def order_jobs(jobs: Sequence[JobMatches]) -> list[JobMatches]:
    """Impact descending (None last), then matched runs descending, then job."""
    return sorted(
        jobs,
        key=lambda j: (j.impact is None, -(j.impact or 0.0), -j.matched_runs, j.job),
    )

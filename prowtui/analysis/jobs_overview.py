"""Many jobs at a glance: each job's runs, pass rate, change and state over two windows.

:func:`summarize_job` is pure: it turns one job's :class:`JobWindowBuilds` into a
:class:`JobOverview` (the rules are in ``docs/jobs.md``). :func:`read_overview` reads the jobs
(bounded concurrency, a callback per job as it completes) for the command and the Jobs screen.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from prowtui.analysis.window_builds import (
    JobWindowBuilds,
    WindowBuild,
    latest_id_time,
    list_job_builds,
    window_builds,
)
from prowtui.errors import ProwtuiError
from prowtui.prow.jobs import BuildRef
from prowtui.prow.windows import Windows, format_time
from prowtui.sources.base import Source, normalize_dir

if TYPE_CHECKING:
    from rich.text import Text

State = Literal["broken", "failing", "flaky", "passing", "stale"]
#: the order states are listed in (worst first)
STATES: tuple[State, ...] = ("broken", "failing", "flaky", "passing", "stale")
#: newest finished builds that must all have failed for "broken"
BROKEN_RUN = 3
#: newest finished builds looked at for "flaky"
FLAKY_SPAN = 5


@dataclass(frozen=True)
class BuildMark:
    """A build named in a summary (``last_pass``, ``failing_since``)."""

    build_id: str
    started: datetime

    def to_json(self) -> dict[str, Any]:
        return {"build_id": self.build_id, "started": format_time(self.started)}


@dataclass(frozen=True)
class JobOverview:
    """One job's line of the overview (the JSON keys of ``prowtui jobs --json``)."""

    job: str
    runs: int
    passed: int
    failed: int
    pending: int
    pass_rate: float | None
    previous_runs: int
    previous_pass_rate: float | None
    change: float | None
    state: State
    last_pass: BuildMark | None
    failing_since: BuildMark | None
    streak: int
    #: the current window's builds, newest first
    results: tuple[WindowBuild, ...]

    def to_json(self) -> dict[str, Any]:
        """The job's object in the JSON report (fractions not rounded)."""
        return {
            "job": self.job,
            "runs": self.runs,
            "passed": self.passed,
            "failed": self.failed,
            "pending": self.pending,
            "pass_rate": self.pass_rate,
            "previous_runs": self.previous_runs,
            "previous_pass_rate": self.previous_pass_rate,
            "change": self.change,
            "state": self.state,
            "last_pass": None if self.last_pass is None else self.last_pass.to_json(),
            "failing_since": None if self.failing_since is None else self.failing_since.to_json(),
            "streak": self.streak,
            "results": [
                {
                    "build_id": b.build_id,
                    "result": b.result,
                    "started": format_time(b.started),
                    "duration_s": b.duration_s,
                }
                for b in self.results
            ],
        }


def _rate(builds: list[WindowBuild]) -> float | None:
    passed = sum(b.passed for b in builds)
    failed = sum(b.failed for b in builds)
    return passed / (passed + failed) if passed + failed else None


def job_state(current: list[WindowBuild]) -> State:
    """The state from the current window's builds (newest first; pending ones ignored)."""
    done = [b for b in current if not b.pending]
    if not done:
        return "stale"
    if len(done) >= BROKEN_RUN and all(b.failed for b in done[:BROKEN_RUN]):
        return "broken"
    if done[0].failed:
        return "failing"
    if any(b.failed for b in done[:FLAKY_SPAN]):
        return "flaky"
    return "passing"


def summarize_job(builds: JobWindowBuilds) -> JobOverview:
    """One job's overview line from its builds of both windows (newest first)."""
    ordered = builds.builds
    current = [b for b in ordered if b.window == "current"]
    previous = [b for b in ordered if b.window == "previous"]
    rate, previous_rate = _rate(current), _rate(previous)
    last_pass = next((b for b in ordered if b.passed), None)
    run: list[WindowBuild] = []
    for build in ordered:
        if build.pending:
            continue  # neither breaks nor extends the run
        if build.passed:
            break
        run.append(build)
    return JobOverview(
        job=builds.job,
        runs=len(current),
        passed=sum(b.passed for b in current),
        failed=sum(b.failed for b in current),
        pending=sum(b.pending for b in current),
        pass_rate=rate,
        previous_runs=len(previous),
        previous_pass_rate=previous_rate,
        change=None if rate is None or previous_rate is None else rate - previous_rate,
        state=job_state(current),
        last_pass=None if last_pass is None else BuildMark(last_pass.build_id, last_pass.started),
        failing_since=BuildMark(run[-1].build_id, run[-1].started) if run else None,
        streak=len(run),
        results=tuple(current),
    )


def sort_key(job: JobOverview) -> tuple[int, int, float, str]:
    """Table order: state (worst first), pass rate ascending (none last), then the job."""
    rate = job.pass_rate
    return (STATES.index(job.state), rate is None, rate if rate is not None else 0.0, job.job)


def sort_jobs(jobs: list[JobOverview]) -> list[JobOverview]:
    """The jobs in table order."""
    return sorted(jobs, key=sort_key)


@dataclass
class Overview:
    """A whole report: the windows, the jobs in table order, problems and warnings."""

    windows: Windows
    jobs: list[JobOverview] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)
    #: one-line messages that make the exit status 1 (unlisted jobs, unreadable metadata)
    problems: list[str] = field(default_factory=list)
    #: one-line messages that do not (an unreadable started.json)
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """``{"now", "since_s", "jobs", "unmatched"}``."""
        return {
            "now": format_time(self.windows.now),
            "since_s": int(self.windows.since.total_seconds()),
            "jobs": [job.to_json() for job in self.jobs],
            "unmatched": list(self.unmatched),
        }


async def _list_job(
    source: Source, job: str, limiter: asyncio.Semaphore, problems: list[str]
) -> list[BuildRef] | None:
    """The job's builds, or None with the reason added to ``problems``."""
    async with limiter:
        try:
            return await list_job_builds(source, job)
        except ProwtuiError as exc:
            problems.append(f"{job}: cannot list the job: {str(exc).strip()}")
            return None


async def read_overview(
    source: Source,
    jobs: list[str],
    since: timedelta,
    now: datetime | None,
    *,
    concurrency: int = 8,
    on_job: Callable[[JobOverview, JobWindowBuilds], None] | None = None,
    on_windows: Callable[[Windows], None] | None = None,
    listings: dict[str, list[BuildRef]] | None = None,
) -> Overview:
    """Read every job's builds in both windows and summarize them (jobs in table order).

    ``now`` None means ``latest``. ``on_job`` is called as each job completes; a job that
    cannot be listed is left out of ``jobs`` and named in ``problems``. ``listings`` (job →
    builds) are used instead of listing those jobs again, and jobs listed here are added to it
    (the Jobs screen keeps them while it switches windows).
    """
    limiter = asyncio.Semaphore(max(1, concurrency))
    problems: list[str] = []
    known = {} if listings is None else listings
    if now is None:  # latest: the newest build ID time among the jobs, from their listings
        missing = [job for job in jobs if job not in known]
        found = await asyncio.gather(*(_list_job(source, j, limiter, problems) for j in missing))
        known.update(
            (job, refs) for job, refs in zip(missing, found, strict=True) if refs is not None
        )
        listed = [job for job in jobs if job in known]
        end = latest_id_time(known[job] for job in listed) or datetime.now(UTC)
    else:
        end, listed = now, list(jobs)
    windows = Windows(end, since)
    if on_windows is not None:
        on_windows(windows)
    overview = Overview(windows, problems=problems)

    async def one(job: str) -> None:
        if job not in known:
            refs = await _list_job(source, job, limiter, overview.problems)
            if refs is None:
                return
            known[job] = refs
        builds = await window_builds(source, job, windows, limiter=limiter, builds=known[job])
        overview.problems.extend(builds.problems)
        overview.warnings.extend(builds.warnings)
        if not builds.listed:
            return
        summary = summarize_job(builds)
        overview.jobs.append(summary)
        if on_job is not None:
            on_job(summary, builds)

    await asyncio.gather(*(one(job) for job in listed))
    overview.jobs = sort_jobs(overview.jobs)
    return overview


# -- text for tables (the command's and the screen's) ------------------------------------------

#: a build's cell colour by result: here, in ``prowtui jobs`` and in the triage history strip
#: (where a failure with a known cause takes its cause's colour instead)
RESULT_COLORS: dict[str, str] = {
    "SUCCESS": "#2f9e5b",
    "FAILURE": "#8a4b4b",  # failed, no signature to blame
    "ERROR": "#8a4b4b",
    "ABORTED": "#8a4b4b",
    "PENDING": "#2a7f99",
    "UNKNOWN": "#5c5c5c",
}
#: state colours
STATE_STYLES: dict[str, str] = {
    "broken": "bold red",
    "failing": "red",
    "flaky": "yellow",
    "passing": "green",
    "stale": "dim",
}
#: one letter per build in plain text: passed, failed, pending
RESULT_LETTERS = {"passed": "+", "failed": "x", "pending": "."}


def result_color(build: WindowBuild) -> str:
    """The colour of one build's cell."""
    if build.pending:
        return RESULT_COLORS["PENDING"]
    return RESULT_COLORS.get(build.result or "", RESULT_COLORS["FAILURE"])


def result_letter(build: WindowBuild) -> str:
    """``+`` passed, ``x`` failed, ``.`` pending."""
    if build.pending:
        return RESULT_LETTERS["pending"]
    return RESULT_LETTERS["passed" if build.passed else "failed"]


def rate_text(rate: float | None) -> str:
    """``83%``, or ``-`` when there is no rate."""
    return "-" if rate is None else f"{rate * 100:.0f}%"


def change_text(change: float | None) -> str:
    """``↑12``/``↓5``/``=`` in percentage points; empty when unknown."""
    if change is None:
        return ""
    points = round(change * 100)
    if points == 0:
        return "="
    return f"{'↑' if points > 0 else '↓'}{abs(points)}"


def age_text(then: datetime, now: datetime) -> str:
    """How long before ``now``: ``45m``, ``5h``, ``3d``, ``2d 4h``."""
    seconds = max(0, int((now - then).total_seconds()))
    if seconds < 3600:
        return f"{seconds // 60}m"
    hours = seconds // 3600
    if hours < 48:
        return f"{hours}h"
    days, rest = divmod(hours, 24)
    return f"{days}d {rest}h" if rest and days < 10 else f"{days}d"


def since_text(since: timedelta) -> str:
    """A window's length as ``--since`` takes it: ``14d``, ``36h``."""
    hours = int(since.total_seconds()) // 3600
    return f"{hours // 24}d" if hours % 24 == 0 else f"{hours}h"


def failing_since_text(job: JobOverview, now: datetime) -> str:
    """``3d (5)``: how long ago the failing run began, and its length; empty when none."""
    if job.failing_since is None:
        return ""
    return f"{age_text(job.failing_since.started, now)} ({job.streak})"


def last_pass_text(job: JobOverview, now: datetime) -> str:
    """``2h ago``, or ``none`` (no pass in either window)."""
    if job.last_pass is None:
        return "none"
    return f"{age_text(job.last_pass.started, now)} ago"


def common_prefix(names: list[str]) -> str:
    """The longest prefix up to a ``-`` or ``/`` that every name (two or more) shares, else
    ``""`` (job names or whole job paths)."""
    if len(names) < 2:
        return ""
    first, last = min(names), max(names)
    size = 0
    while size < min(len(first), len(last)) and first[size] == last[size]:
        size += 1
    cut = max(first[:size].rfind("-"), first[:size].rfind("/"))
    return first[: cut + 1] if cut > 0 else ""


def strip_text(job: JobOverview, cells: int) -> Text:
    """The newest ``cells`` results, newest first, one ``■`` each in :func:`result_color`."""
    from rich.text import Text

    strip = Text()
    for build in job.results[:cells]:
        strip.append("■", style=result_color(build))
    return strip


# -- jobs beneath a folder (the Jobs screen) ---------------------------------------------------

#: directories listed at most while looking for the jobs beneath a folder
MAX_FOLDER_LISTINGS = 400


async def jobs_beneath(source: Source, folder: str) -> tuple[list[str], bool]:
    """The job directories at or below ``folder`` (a build or a file inside a job: that job),
    sorted, and whether the search stopped at :data:`MAX_FOLDER_LISTINGS` listings.
    ``pr-logs/directory/`` (links to builds that live under ``pr-logs/pull/``) is skipped."""
    from prowtui.prow.jobs import classify_path

    folder = normalize_dir(folder) if folder.strip("/") else ""
    info = classify_path(folder)
    if info.job is not None:
        return [info.job.path], False
    jobs: list[str] = []
    pending = [folder]
    listed = 0
    while pending:
        batch, pending = pending[:32], pending[32:]
        if listed + len(batch) > MAX_FOLDER_LISTINGS:
            return sorted(jobs), True
        listed += len(batch)
        found = await asyncio.gather(*(source.list(p) for p in batch), return_exceptions=True)
        for entries in found:
            if isinstance(entries, BaseException):
                if not isinstance(entries, Exception):
                    raise entries
                continue
            for entry in entries:
                if not entry.is_dir:
                    continue
                if entry.path.endswith("pr-logs/directory/"):
                    continue  # links to presubmit builds kept elsewhere, not builds
                kind = classify_path(entry.path).kind
                if kind == "job":
                    jobs.append(entry.path)
                elif kind in ("logs-root", "root") or (
                    kind == "other" and entry.path.count("/") < 3
                ):
                    pending.append(entry.path)
    return sorted(jobs), False

"""Search every build of many jobs: which builds are read, which files, and the engine.

Builds: those that started in the current window ``(now - since, now]``, found as ``prowtui
jobs`` finds them (:func:`~prowtui.analysis.window_builds.window_builds`: a job's listing, then
``finished.json`` + ``started.json`` of each build whose ID time may fall in the window, no
other build read). Files, from a recursive listing of each searched build
(:func:`~prowtui.sources.walk.walk`): every ``build-log.txt`` (the top-level one and every
step's under ``artifacts/``) and the failure messages of every ``junit*.xml`` under
``artifacts/``.

Files that are plain files on this machine (a local mirror, the demo) are given to one ``rg``
per job, which reads them with every core; everything else is streamed into an ``rg`` reading
stdin, at most ``concurrency`` at once, through the source (and so the cache, which keeps the
files of finished builds). Junit failure messages go through the same engine; their line
numbers count within each message.
"""

from __future__ import annotations

import asyncio
import bisect
import fnmatch
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from prowtui.analysis.search.model import (
    BuildMatches,
    JobMatches,
    MatchRow,
    Searched,
    SearchQuery,
    SearchReport,
    job_matches,
    order_jobs,
)
from prowtui.analysis.window_builds import (
    WindowBuild,
    latest_id_time,
    list_job_builds,
    resolve_job_patterns,
    window_builds,
)
from prowtui.errors import ParseError, ProwtuiError, UsageError
from prowtui.logs.grep import (
    FileHits,
    Hit,
    Pattern,
    check_pattern,
    search_bytes,
    search_files,
    search_stream,
)
from prowtui.prow.jobs import parse_job_path
from prowtui.prow.junit import parse_junit
from prowtui.prow.windows import EDGE_MARGIN, WindowName, Windows
from prowtui.sources.base import Entry, Source, normalize_dir
from prowtui.sources.walk import walk

TYPES = ("all", "build-log", "junit")
#: jobs searched at once (their builds and files share the request limit)
JOBS_AT_ONCE = 4
#: listings of one build's walk in flight at once (a walk holds one of the request slots)
WALK_AT_ONCE = 4


@dataclass(frozen=True)
class CurrentWindow(Windows):
    """Only the current window of :class:`Windows`: a build of the previous one is never read."""

    def which(self, t: datetime) -> WindowName | None:
        """ "current" inside ``(now - since, now]``, else None."""
        return "current" if self.start < t <= self.now else None

    def may_hold(self, id_time: datetime) -> bool:
        """Whether a build with this ID time can have started in the current window."""
        return self.start - EDGE_MARGIN < id_time <= self.now + EDGE_MARGIN


@dataclass(frozen=True)
class SearchOptions:
    """Everything but the jobs: the pattern and which builds, files and jobs to search."""

    pattern: Pattern
    type: str = "all"
    include: str | None = None
    exclude: str | None = None
    failed_only: bool = False
    concurrency: int = 8


@dataclass
class JobProgress:
    """Where a search is: jobs done of jobs found, builds searched."""

    jobs_total: int = 0
    jobs_done: int = 0
    builds_searched: int = 0


@dataclass
class _FileTask:
    build: WindowBuild
    path: str
    kind: str  # "log" or "junit"
    size: int | None = None
    #: the plain file on this machine holding the object's bytes (a local mirror's)
    local: Path | None = None


@dataclass
class _BuildState:
    build: WindowBuild
    rows: list[tuple[tuple[str, int], MatchRow]] = field(default_factory=list)
    truncated: bool = False

    def result(self) -> BuildMatches:
        self.rows.sort(key=lambda item: item[0])
        return BuildMatches(
            build_id=self.build.build_id,
            result=self.build.result,
            started=self.build.started,
            matches=[row for _, row in self.rows],
            truncated=self.truncated,
        )


def is_build_log(build_dir: str, path: str) -> bool:
    """The build's own ``build-log.txt`` or a step's under ``artifacts/``."""
    if not path.endswith("/build-log.txt") and path != build_dir + "build-log.txt":
        return False
    return path == build_dir + "build-log.txt" or path.startswith(build_dir + "artifacts/")


def is_junit(build_dir: str, path: str) -> bool:
    """A ``junit*.xml`` at any depth under the build's ``artifacts/``."""
    if not path.startswith(build_dir + "artifacts/"):
        return False
    name = path.rsplit("/", 1)[-1]
    return fnmatch.fnmatchcase(name, "junit*.xml")


def _compile_name_filter(option: str, value: str | None) -> re.Pattern[str] | None:
    if value is None:
        return None
    try:
        return re.compile(value)
    except re.error as exc:
        raise UsageError(f"{option} {value!r}: invalid regular expression ({exc})") from None


async def resolve_windows(
    source: Source, jobs: Sequence[str], now: datetime | None, since: timedelta
) -> tuple[CurrentWindow, dict[str, list] | None]:
    """The current window; with ``now`` None, it ends at the newest build ID time among the
    jobs (their listings are returned so that they are not listed twice)."""
    if now is not None:
        return CurrentWindow(now, since), None
    listings = await asyncio.gather(
        *(list_job_builds(source, job) for job in jobs), return_exceptions=True
    )
    kept = {job: value for job, value in zip(jobs, listings, strict=True)}
    good = [value for value in listings if isinstance(value, list)]
    latest = latest_id_time(good)
    if latest is None:
        raise UsageError("--now latest: the jobs have no build with a time in its ID")
    return CurrentWindow(latest, since), kept  # type: ignore[return-value]


async def search_jobs(
    source: Source,
    patterns: Sequence[str],
    options: SearchOptions,
    *,
    since: timedelta,
    now: datetime | None,
    on_job: Callable[[JobMatches], None] | None = None,
    on_progress: Callable[[JobProgress], None] | None = None,
) -> SearchReport:
    """Search the current window's builds of every job the patterns name.

    ``now`` None ends the window at the newest build ID time among the jobs. ``on_job`` is
    called with each job that has a match as soon as it is done; ``on_progress`` after each
    job. Patterns that match no job at all, an invalid pattern or name filter are
    UsageErrors; files and builds that cannot be read are the report's ``problems``.
    """
    if options.type not in TYPES:
        raise UsageError(f"--type {options.type!r}: expected one of {', '.join(TYPES)}")
    include = _compile_name_filter("--include", options.include)
    exclude = _compile_name_filter("--exclude", options.exclude)
    await check_pattern(options.pattern)
    jobs, unmatched = await resolve_job_patterns(source, list(patterns))
    if not jobs:
        raise UsageError(f"no job matched {' '.join(patterns)}")
    names = {job: parse_job_path(job).name or job for job in jobs}
    jobs = [
        job
        for job in jobs
        if (include is None or include.search(names[job]))
        and (exclude is None or not exclude.search(names[job]))
    ]
    windows, listings = await resolve_windows(source, jobs, now, since)
    query = SearchQuery(
        regex=options.pattern.regex,
        fixed=options.pattern.fixed,
        ignore_case=options.pattern.ignore_case,
        type=options.type,
        since_s=int(since.total_seconds()),
        now=windows.now,
    )
    report = SearchReport(query, [], Searched(), unmatched)
    progress = JobProgress(jobs_total=len(jobs))
    limiter = asyncio.Semaphore(max(1, options.concurrency))
    job_slots = asyncio.Semaphore(JOBS_AT_ONCE)
    found: list[JobMatches] = []

    async def one(job: str) -> None:
        async with job_slots:
            builds = None
            if listings is not None:
                listed = listings.get(job)
                if isinstance(listed, BaseException):
                    report.problems.append(f"{job}: cannot list the job: {_one_line(listed)}")
                    return
                builds = listed
            matches = await _search_job(
                source, job, windows, options, limiter, report, builds, progress
            )
        progress.jobs_done += 1
        if matches is not None:
            found.append(matches)
            if on_job is not None:
                on_job(matches)
        if on_progress is not None:
            on_progress(progress)

    await asyncio.gather(*(one(job) for job in jobs))
    report.jobs = order_jobs(found)
    return report


async def _search_job(
    source: Source,
    job: str,
    windows: CurrentWindow,
    options: SearchOptions,
    limiter: asyncio.Semaphore,
    report: SearchReport,
    builds: list | None,
    progress: JobProgress,
) -> JobMatches | None:
    listed = await window_builds(source, job, windows, limiter=limiter, builds=builds)
    report.problems.extend(listed.problems)
    current = [b for b in listed.builds if b.window == "current"]
    states = {b.build_id: _BuildState(b) for b in current}
    searched = [b for b in current if b.failed] if options.failed_only else current
    file_lists = await asyncio.gather(
        *(_build_files(source, build, options.type, limiter, report) for build in searched)
    )
    tasks = [task for files in file_lists for task in files]
    report.searched.builds += len(searched)
    progress.builds_searched += len(searched)
    report.searched.files += len(tasks)
    on_disk: dict[str, _FileTask] = {}
    streamed: list[_FileTask] = []
    for task in tasks:
        if task.kind == "log" and task.local is not None:
            on_disk[str(task.local)] = task
        else:
            streamed.append(task)

    def take(task: _FileTask, hits: FileHits, rows: list[MatchRow]) -> None:
        state = states[task.build.build_id]
        state.truncated = state.truncated or hits.truncated
        prefix = normalize_dir(task.build.path)
        for order, row in enumerate(rows):
            if row.path.startswith(prefix):
                row.path = row.path[len(prefix) :]  # the path in the build
            state.rows.append(((row.path, order), row))

    if on_disk:

        def on_file(path: str, hits: FileHits) -> None:
            task = on_disk[path]
            take(task, hits, [_row(task.path, hit) for hit in hits.hits])

        errors = await search_files(options.pattern, list(on_disk), on_file=on_file)
        for path, reason in errors.items():
            report.problems.append(f"{on_disk[path].path}: {reason}")
        report.searched.bytes += sum(task.size or 0 for task in on_disk.values())

    async def stream_one(task: _FileTask) -> None:
        async with limiter:
            try:
                if task.kind == "junit":
                    hits, rows, size = await _search_junit(source, task.path, options.pattern)
                else:
                    hits = await search_stream(options.pattern, source.stream(task.path))
                    rows, size = [_row(task.path, hit) for hit in hits.hits], hits.bytes_searched
            except ProwtuiError as exc:
                report.problems.append(f"{task.path}: {_one_line(exc)}")
                return
        report.searched.bytes += size
        take(task, hits, rows)

    await asyncio.gather(*(stream_one(task) for task in streamed))
    return job_matches(job, (state.result() for state in states.values()))


async def _build_files(
    source: Source,
    build: WindowBuild,
    kind: str,
    limiter: asyncio.Semaphore,
    report: SearchReport,
) -> list[_FileTask]:
    """The files of one build to search, in path order (a failed listing is a problem). A
    local mirror is walked in one thread per build and names its plain files on disk."""
    prefix = normalize_dir(build.path)

    def wanted(path: str) -> bool:
        if kind in ("all", "build-log") and is_build_log(prefix, path):
            return True
        return kind in ("all", "junit") and is_junit(prefix, path)

    found: list[tuple[Entry, Path | None]]
    try:
        async with limiter:
            local = getattr(source, "files_below", None)
            if callable(local):
                found = await asyncio.to_thread(local, prefix, wanted)
            else:
                walker = walk(source, prefix, concurrency=WALK_AT_ONCE)
                found = [(entry, None) async for entry in walker if wanted(entry.path)]
    except ProwtuiError as exc:
        report.problems.append(f"{prefix}: cannot list the build: {_one_line(exc)}")
        return []
    tasks: list[_FileTask] = []
    for entry, plain in sorted(found, key=lambda item: item[0].path):
        log = is_build_log(prefix, entry.path)
        tasks.append(_FileTask(build, entry.path, "log" if log else "junit", entry.size, plain))
    return tasks


def _row(path: str, hit: Hit, test: str | None = None) -> MatchRow:
    return MatchRow(path, hit.line, hit.text, hit.before, hit.after, test, hit.spans)


async def _search_junit(
    source: Source, path: str, pattern: Pattern
) -> tuple[FileHits, list[MatchRow], int]:
    """The failure messages of one junit file through the engine: each match names its test
    case, its line counts within the message, its context stays within the message."""
    data = await source.read(path)
    try:
        cases = parse_junit(data, path)
    except ParseError as exc:
        raise ParseError(f"not searched: {_one_line(exc)}") from None
    starts: list[int] = []  # first line (1-based) of each message in the joined text
    names: list[str] = []
    counts: list[int] = []
    parts: list[str] = []
    line = 1
    for case in cases:
        text = case.failure_text if case.status in ("failed", "error") else None
        if not text:
            continue
        lines = text.replace("\r\n", "\n").split("\n")
        starts.append(line)
        names.append(case.name)
        counts.append(len(lines))
        parts.append("\n".join(lines))
        line += len(lines)
    if not parts:
        return FileHits(), [], len(data)
    hits = await search_bytes(pattern, ("\n".join(parts) + "\n").encode("utf-8", "replace"))
    rows: list[MatchRow] = []
    for hit in hits.hits:
        index = bisect.bisect_right(starts, hit.line) - 1
        first, count = starts[index], counts[index]
        within = hit.line - first + 1
        before = hit.before[max(0, len(hit.before) - (within - 1)) :] if hit.before else []
        after = hit.after[: max(0, count - within)]
        rows.append(MatchRow(path, within, hit.text, before, after, names[index], list(hit.spans)))
    return hits, rows, len(data)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__

"""Search every build of many jobs: which builds are read, which files, and the engine.

Builds: those that started in the current window ``(now - since, now]``, found as ``prowtui
jobs`` finds them (:func:`~prowtui.analysis.window_builds.window_builds`: a job's listing, then
``finished.json`` + ``started.json`` of each build whose ID time may fall in the window, no
other build read). Files, from a recursive listing of each searched build
(:func:`~prowtui.sources.walk.walk`): every ``build-log.txt`` (the top-level one and every
step's under ``artifacts/``) and the failure messages of every ``junit*.xml`` under
``artifacts/``.

Files that are plain files on this machine (a local mirror, the demo) are named to ``rg``,
one process per batch, which reads them with every core; everything else is downloaded
through the source (and so the cache, which keeps the files of finished builds) to a file rg
reads the same way. Listings, metadata and downloads share ``concurrency`` request slots as
one pipeline (:class:`Slots`). Junit failure messages go through the same engine; their line
numbers count within each message.
"""

from __future__ import annotations

import asyncio
import bisect
import concurrent.futures
import contextlib
import fnmatch
import heapq
import itertools
import os
import re
import secrets
import shutil
import tempfile
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TypeVar

from prowtui.analysis.window_builds import (
    WindowBuild,
    latest_id_time,
    list_job_builds,
    resolve_job_patterns,
    window_builds,
)
from prowtui.errors import ParseError, ProwtuiError, UsageError
from prowtui.logs.fetch import fetch_to_file
from prowtui.logs.grep import (
    FileHits,
    Hit,
    Pattern,
    check_pattern,
    search_files,
)
from prowtui.prow.jobs import BuildRef, parse_job_path
from prowtui.prow.junit import parse_junit
from prowtui.prow.windows import EDGE_MARGIN, WindowName, Windows, snowflake_time
from prowtui.search.model import (
    BuildMatches,
    JobMatches,
    MatchRow,
    Searched,
    SearchQuery,
    SearchReport,
    job_matches,
    order_jobs,
)
from prowtui.sources.base import Entry, Source, normalize_dir
from prowtui.sources.walk import walk

_T = TypeVar("_T")

TYPES = ("all", "build-log", "junit")
#: jobs searched at once (their builds and files share the request limit)
JOBS_AT_ONCE = 16
#: listings of one build's walk in flight at once (a walk holds one of the request slots)
WALK_AT_ONCE = 4
#: a local mirror's builds walked by one thread (one call instead of one per build)
LOCAL_WALK_BUILDS = 8
#: files handed to one rg at most (it reads them with every core)
BATCH_FILES = 512
#: rg processes at once (each reads its batch with every core; two measured no faster)
RG_AT_ONCE = 1
#: with fewer files than this ready, rg waits this long for more (each rg run costs a few ms)
LINGER_FILES = 32
LINGER_SECONDS = 0.03


_local_pool: concurrent.futures.ThreadPoolExecutor | None = None


async def _local_call(function: Callable[..., _T], *args: object) -> _T:
    """A local mirror's file-system work (walks, metadata reads), one call at a time in one
    thread: each of their many system calls releases the GIL, and several threads making
    them at once hand it back and forth thousands of times, on the cores rg reads with."""
    global _local_pool
    if _local_pool is None:
        _local_pool = concurrent.futures.ThreadPoolExecutor(1, "prowtui-search-local")
    return await asyncio.get_running_loop().run_in_executor(_local_pool, function, *args)


class Slots:
    """The search's request slots: ``async with slots`` (listings, metadata) waits in turn;
    ``async with slots.first()`` (a file of a build already listed) goes ahead of every
    waiting listing, so files are fetched, spooled and searched all along instead of in a
    last phase whose local work (spooling, rg, the cache) then runs alone at the tail."""

    def __init__(self, count: int) -> None:
        self._free = count
        self._waiting: list[tuple[int, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    async def acquire(self, priority: int = 1) -> None:
        if self._free > 0 and not self._waiting:
            self._free -= 1
            return
        waiter = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiting, (priority, next(self._order), waiter))
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release()  # granted as it was cancelled: hand the slot on
            raise

    def release(self) -> None:
        while self._waiting:
            _, _, waiter = heapq.heappop(self._waiting)
            if not waiter.done():
                waiter.set_result(None)
                return
        self._free += 1

    async def __aenter__(self) -> None:
        await self.acquire()

    async def __aexit__(self, *exc: object) -> None:
        self.release()

    @contextlib.asynccontextmanager
    async def first(self) -> AsyncIterator[None]:
        """A slot ahead of every waiting listing."""
        await self.acquire(0)
        try:
            yield
        finally:
            self.release()


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
    build_id: str
    build_dir: str
    path: str
    kind: str  # "log" or "junit"
    size: int | None = None
    #: the plain file on this machine holding the object's bytes (a local mirror's)
    local: str | None = None


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
    # rg checks the pattern while the jobs are resolved; an invalid pattern is told first
    checking = asyncio.ensure_future(check_pattern(options.pattern))
    try:
        jobs, unmatched = await resolve_job_patterns(source, list(patterns))
    except Exception:
        await checking
        raise
    except BaseException:
        checking.cancel()
        raise
    await checking
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
    limiter = Slots(max(1, options.concurrency))
    spool = _Spool(source)
    queue: asyncio.Queue[_Ready | None] = asyncio.Queue()
    consumer = asyncio.ensure_future(_consume(queue, options.pattern, spool, report))
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
                source, job, windows, options, limiter, spool, queue, report, builds, progress
            )
        progress.jobs_done += 1
        if matches is not None:
            found.append(matches)
            if on_job is not None:
                on_job(matches)
        if on_progress is not None:
            on_progress(progress)

    try:
        await asyncio.gather(*(one(job) for job in jobs))
    finally:
        queue.put_nowait(None)
        try:
            await consumer
        finally:
            spool.close()
    report.jobs = order_jobs(found)
    return report


async def _search_job(
    source: Source,
    job: str,
    windows: CurrentWindow,
    options: SearchOptions,
    limiter: Slots,
    spool: _Spool,
    queue: asyncio.Queue[_Ready | None],
    report: SearchReport,
    builds: list[BuildRef] | None,
    progress: JobProgress,
) -> JobMatches | None:
    found: list[tuple[_FileTask, FileHits, list[MatchRow]]] = []
    sink = _JobSink(lambda task, hits, rows: found.append((task, hits, rows)))
    walked: set[str] = set()

    async def fetch_one(task: _FileTask) -> None:
        try:
            async with limiter.first():
                ready = await (
                    _junit_ready(source, task, spool)
                    if task.kind == "junit"
                    else _log_ready(source, task, spool)
                )
        except ProwtuiError as exc:
            report.problems.append(f"{task.path}: {_one_line(exc)}")
            return
        if ready is not None:
            report.searched.bytes += ready.size
            ready.sink = sink.add()
            queue.put_nowait(ready)

    async def build_one(build_id: str, build_dir: str) -> None:
        # each build's files are fetched as soon as it is listed: requests keep flowing
        walked.add(build_id)
        tasks = await _build_files(source, build_id, build_dir, options.type, limiter, report)
        await take(tasks)

    async def walk_local(refs: list[BuildRef]) -> None:
        # a local mirror's builds, several per thread and outside the request slots (a walk
        # is no request): rg has most files at once instead of a dribble of small batches
        walked.update(ref.build_id for ref in refs)
        files_below = getattr(source, "files_below")  # noqa: B009

        def walk_all() -> list[tuple[BuildRef, list[_FileTask] | ProwtuiError]]:
            out: list[tuple[BuildRef, list[_FileTask] | ProwtuiError]] = []
            for ref in refs:
                try:
                    prefix = normalize_dir(ref.path)
                    found = files_below(prefix, _wanted(prefix, options.type))
                    out.append((ref, _tasks(ref.build_id, prefix, found)))
                except ProwtuiError as exc:
                    out.append((ref, exc))
            return out

        for ref, tasks in await _local_call(walk_all):
            if isinstance(tasks, ProwtuiError):
                prefix = normalize_dir(ref.path)
                report.problems.append(f"{prefix}: cannot list the build: {_one_line(tasks)}")
            else:
                await take(tasks)

    async def take(tasks: list[_FileTask]) -> None:
        report.searched.files += len(tasks)
        for task in tasks:
            if task.kind == "log" and task.local is not None:
                report.searched.bytes += task.size or 0
                queue.put_nowait(_Ready(task, task.local, sink=sink.add()))
        await asyncio.gather(
            *(fetch_one(task) for task in tasks if task.kind == "junit" or task.local is None)
        )

    early: list[asyncio.Future[None]] = []
    try:
        if not options.failed_only:
            # builds surely in the window (by their ID's time, far from an edge) are walked
            # and searched while the metadata is read: the same requests, in one pipeline
            # (listings, metadata and files share the request slots; no per-job barrier)
            if builds is None:
                try:
                    async with limiter:
                        builds = await list_job_builds(source, job)
                except ProwtuiError as exc:
                    report.problems.append(f"{job}: cannot list the job: {_one_line(exc)}")
                    return None
            surely = []
            for ref in builds:
                id_time = snowflake_time(ref.build_id)
                if id_time is not None and _surely_current(windows, id_time):
                    surely.append(ref)
            if callable(getattr(source, "files_below", None)):
                for start in range(0, len(surely), LOCAL_WALK_BUILDS):
                    chunk = surely[start : start + LOCAL_WALK_BUILDS]
                    early.append(asyncio.ensure_future(walk_local(chunk)))
            else:
                early.extend(asyncio.ensure_future(build_one(r.build_id, r.path)) for r in surely)
        meta_source: Source = source
        read_many = getattr(source, "read_many", None)
        if callable(read_many) and builds is not None:
            # a local mirror: the metadata of the job's builds read in one thread call
            keys = [
                ref.path + name
                for ref in builds
                if (t := snowflake_time(ref.build_id)) is None or windows.may_hold(t)
                for name in ("finished.json", "started.json")
            ]
            read = await _local_call(read_many, keys)
            meta_source = _ReadAhead(source, read)  # type: ignore[assignment]
        listed = await window_builds(meta_source, job, windows, limiter=limiter, builds=builds)
        report.problems.extend(listed.problems)
        current = [b for b in listed.builds if b.window == "current"]
        searched = [b for b in current if b.failed] if options.failed_only else current
        report.searched.builds += len(searched)
        progress.builds_searched += len(searched)
        await asyncio.gather(
            *early,
            *(build_one(b.build_id, b.path) for b in searched if b.build_id not in walked),
        )
    finally:
        for task in early:
            task.cancel()
        sink.close()
    await sink.wait()  # every file of the job searched
    states = {b.build_id: _BuildState(b) for b in current}
    for task, hits, rows in found:
        state = states.get(task.build_id)
        if state is None:
            continue  # placed outside the window by its started.json after all
        state.truncated = state.truncated or hits.truncated
        for order, row in enumerate(rows):
            if row.path.startswith(task.build_dir):
                row.path = row.path[len(task.build_dir) :]  # the path in the build
            state.rows.append(((row.path, order), row))
    return job_matches(job, (state.result() for state in states.values()))


def _surely_current(windows: CurrentWindow, id_time: datetime) -> bool:
    """A build ID time inside the current window and farther than the margin from its
    edges: ``started.json`` (minutes later) places the build there too."""
    return windows.which(id_time) == "current" and not windows.near_edge(id_time)


async def _build_files(
    source: Source,
    build_id: str,
    build_dir: str,
    kind: str,
    limiter: Slots,
    report: SearchReport,
) -> list[_FileTask]:
    """The files of one build to search, in path order (a failed listing is a problem). A
    local mirror is walked in one thread per build and names its plain files on disk."""
    prefix = normalize_dir(build_dir)
    wanted = _wanted(prefix, kind)
    found: list[tuple[Entry, str | None]]
    try:
        async with limiter:
            local = getattr(source, "files_below", None)
            if callable(local):
                found = await _local_call(local, prefix, wanted)
            else:
                walker = walk(source, prefix, concurrency=WALK_AT_ONCE)
                found = [(entry, None) async for entry in walker if wanted(entry.path)]
    except ProwtuiError as exc:
        report.problems.append(f"{prefix}: cannot list the build: {_one_line(exc)}")
        return []
    return _tasks(build_id, prefix, found)


def _wanted(prefix: str, kind: str) -> Callable[[str], bool]:
    """Which paths below the build directory ``prefix`` are searched for ``--type kind``."""

    def wanted(path: str) -> bool:
        if kind in ("all", "build-log") and is_build_log(prefix, path):
            return True
        return kind in ("all", "junit") and is_junit(prefix, path)

    return wanted


def _tasks(build_id: str, prefix: str, found: list[tuple[Entry, str | None]]) -> list[_FileTask]:
    """A build's files to search, in path order."""
    tasks: list[_FileTask] = []
    for entry, plain in sorted(found, key=lambda item: item[0].path):
        log = is_build_log(prefix, entry.path)
        kind_ = "log" if log else "junit"
        tasks.append(_FileTask(build_id, prefix, entry.path, kind_, entry.size, plain))
    return tasks


class _ReadAhead:
    """``source`` whose whole-object reads of some paths are answered from bytes read ahead
    (each once); every other call goes to ``source``."""

    def __init__(self, source: Source, data: dict[str, bytes]) -> None:
        self._source = source
        self._data = data

    def __getattr__(self, name: str) -> object:
        return getattr(self._source, name)

    async def read(self, path: str, start: int | None = None, end: int | None = None) -> bytes:
        if start is None and end is None:
            data = self._data.pop(path, None)
            if data is not None:
                return data
        return await self._source.read(path, start, end)


def _row(path: str, hit: Hit, test: str | None = None) -> MatchRow:
    return MatchRow(path, hit.line, hit.text, hit.before, hit.after, test, hit.spans)


@dataclass
class _JunitMap:
    """Where each failure message starts in a junit file's joined messages."""

    starts: list[int]
    names: list[str]
    counts: list[int]

    def rows(self, path: str, hits: FileHits) -> list[MatchRow]:
        """Matches named by test case, their line within the message, context kept inside
        the message."""
        rows = []
        for hit in hits.hits:
            index = bisect.bisect_right(self.starts, hit.line) - 1
            first, count = self.starts[index], self.counts[index]
            within = hit.line - first + 1
            keep = min(len(hit.before), within - 1)
            before = hit.before[len(hit.before) - keep :] if keep else []
            after = hit.after[: max(0, count - within)]
            rows.append(MatchRow(path, within, hit.text, before, after, self.names[index]))
            rows[-1].spans = list(hit.spans)
        return rows


@dataclass
class _Ready:
    """A file rg can read: the object's own (a local mirror's, the cache's) or a spooled
    copy; junit files as their joined failure messages."""

    task: _FileTask
    disk: str
    size: int = 0
    junit: _JunitMap | None = None
    #: a file of ours: kept by the cache (a download) or removed after the search
    spooled: bool = False
    #: the job the file belongs to (told when the file has been searched)
    sink: _JobSink | None = None


class _JobSink:
    """One job's share of the search's one rg queue: takes its matches and tells the job
    when every file it queued has been searched."""

    def __init__(self, take: Callable[[_FileTask, FileHits, list[MatchRow]], None]) -> None:
        self.take = take
        self._count = 0
        self._closed = False
        self._done = asyncio.Event()

    def add(self) -> _JobSink:
        self._count += 1
        return self

    def searched(self) -> None:
        self._count -= 1
        if self._closed and self._count <= 0:
            self._done.set()

    def close(self) -> None:
        self._closed = True
        if self._count <= 0:
            self._done.set()

    async def wait(self) -> None:
        await self._done.wait()


class _Spool:
    """Where downloads and junit messages wait for rg: the cache's file system when the
    source has a cache (a complete download is then moved into it), else a temporary
    directory removed at the end."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self._dir: Path | None = None
        self._own: str | None = None

    async def new_file(self) -> Path:
        if self._dir is None:
            finder = getattr(self.source, "download_dir", None)
            if callable(finder):
                self._dir = await asyncio.to_thread(finder)
            else:
                self._own = tempfile.mkdtemp(prefix="prowtui-search-")
                self._dir = Path(self._own)
        return self._dir / f"search-{os.getpid()}-{secrets.token_hex(8)}"

    async def release(self, ready: _Ready) -> None:
        """After rg read it: a download goes into the cache (which keeps or drops it under
        its policy), anything else is removed."""
        if not ready.spooled:
            return
        store = getattr(self.source, "store_file", None)
        if ready.junit is None and callable(store):
            with contextlib.suppress(ProwtuiError):
                await store(ready.task.path, Path(ready.disk))
        with contextlib.suppress(OSError):
            os.unlink(ready.disk)

    def close(self) -> None:
        if self._own is not None:
            shutil.rmtree(self._own, ignore_errors=True)


async def _log_ready(source: Source, task: _FileTask, spool: _Spool) -> _Ready:
    """A log as a file: the cache's verified copy when it has one (no request), else
    streamed to a spool file (never whole in memory)."""
    cached = getattr(source, "cached_file", None)
    if callable(cached):
        found = await cached(task.path)
        if found is not None:
            return _Ready(task, str(found), task.size or 0)
    dest = await spool.new_file()
    stream = getattr(source, "download_stream", None)
    await fetch_to_file(source, task.path, dest, stream=stream if callable(stream) else None)
    return _Ready(task, str(dest), dest.stat().st_size, spooled=True)


async def _junit_ready(source: Source, task: _FileTask, spool: _Spool) -> _Ready | None:
    """A junit file's failure messages, joined one after the other into a spool file, and
    the map back to (test case, line within its message); None without a failure."""
    data = await source.read(task.path)
    try:
        cases = parse_junit(data, task.path)
    except ParseError as exc:
        raise ParseError(f"not searched: {_one_line(exc)}") from None
    junit = _JunitMap([], [], [])
    parts: list[str] = []
    line = 1
    for case in cases:
        text = case.failure_text if case.status in ("failed", "error") else None
        if not text:
            continue
        lines = text.replace("\r\n", "\n").split("\n")
        junit.starts.append(line)
        junit.names.append(case.name)
        junit.counts.append(len(lines))
        parts.append("\n".join(lines))
        line += len(lines)
    if not parts:
        return None
    dest = await spool.new_file()
    dest.write_bytes(("\n".join(parts) + "\n").encode("utf-8", "replace"))
    return _Ready(task, str(dest), len(data), junit, spooled=True)


async def _consume(
    queue: asyncio.Queue[_Ready | None],
    pattern: Pattern,
    spool: _Spool,
    report: SearchReport,
) -> None:
    """Run rg over whatever files of any job are ready, as many at once as have gathered
    (one process per batch: its threads share the files), :data:`RG_AT_ONCE` batches at a
    time, until the queue's end."""
    slots = asyncio.Semaphore(RG_AT_ONCE)
    running: set[asyncio.Future[None]] = set()

    async def search(batch: list[_Ready]) -> None:
        by_disk = {ready.disk: ready for ready in batch}

        def on_file(disk: str, hits: FileHits) -> None:
            ready = by_disk[disk]
            path = ready.task.path
            if ready.junit is not None:
                rows = ready.junit.rows(path, hits)
            else:
                rows = [_row(path, hit) for hit in hits.hits]
            if ready.sink is not None:
                ready.sink.take(ready.task, hits, rows)

        try:
            errors = await search_files(pattern, list(by_disk), on_file=on_file)
            for disk, reason in errors.items():
                report.problems.append(f"{by_disk[disk].task.path}: {reason}")
        finally:
            slots.release()
            for ready in batch:
                await spool.release(ready)
                if ready.sink is not None:
                    ready.sink.searched()

    ended = False
    try:
        while not ended:
            first = await queue.get()
            if first is None:
                break
            await slots.acquire()
            if queue.qsize() < LINGER_FILES:
                await asyncio.sleep(LINGER_SECONDS)  # let a wave of files land: fewer rg runs
            batch = [first]
            while not queue.empty() and len(batch) < BATCH_FILES:
                item = queue.get_nowait()
                if item is None:
                    ended = True
                    break
                batch.append(item)
            task = asyncio.ensure_future(search(batch))
            running.add(task)
            task.add_done_callback(running.discard)
    finally:
        if running:
            await asyncio.gather(*running)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__

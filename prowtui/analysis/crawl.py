"""Crawl the builds of one job concurrently: listings, metadata and, when asked, contents.

Strategy (each remote call runs under one ``asyncio.Semaphore`` of ``concurrency`` permits):

- A source with a recursive ``walk`` (the GCS API) lists the whole job with **one** recursive
  listing (or one per selected build when ``limit`` picks a few); every build's top level,
  ``artifacts/`` entries, events and junit files come out of it.
- Other sources (gcsweb, local): one listing of the job, then per build its top level, its
  ``artifacts/`` and, when present, ``artifacts/build-resources/``; for details (export,
  triage) also every directory of ``artifacts/``, each step directory inside those, and the
  steps' ``artifacts/`` and ``artifacts/junit/`` (where step junit, step ``build-log.txt``
  and gather-extra's ``events.json`` live). junit files are therefore found down to
  ``artifacts/<test>/<step>/artifacts/junit/`` through gcsweb, anywhere under ``artifacts/``
  through the GCS API.
- ``started.json``/``finished.json`` are read only when the listing shows them; the build log
  is streamed (never held whole) only for content measures or export.

Nothing is fetched twice in one run. Results come out as an async iterator in build order
(oldest first) while at most a window of builds is in flight, so memory stays bounded; the
``on_progress`` callback fires as each build completes. A build whose fetches fail keeps
the error in :attr:`BuildCrawl.error` and the crawl carries on.
"""

from __future__ import annotations

import asyncio
import re
import tempfile
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import IO, Any, TypeVar

from prowtui.analysis.text_measures import StreamingCounts
from prowtui.errors import NotFound, ParseError, SourceError, first_line
from prowtui.prow import artifacts as prow_artifacts
from prowtui.prow import jobs, metadata
from prowtui.prow.events import EventRow, parse_events
from prowtui.prow.junit import TestCaseRow, parse_junit
from prowtui.sources.base import Entry, Source, normalize_dir

T = TypeVar("T")

DEFAULT_CONCURRENCY = 8
BUILD_LOG = "build-log.txt"
EVENTS_JSON = "artifacts/build-resources/events.json"
#: spooled logs stay in memory up to this size, then move to a temporary file
SPOOL_MEMORY_BYTES = 4 << 20
#: attempts to stream one log when the stream breaks part way
STREAM_ATTEMPTS = 3
_NUMERIC = re.compile(r"[0-9]+")

ProgressCallback = Callable[[int, int, "BuildCrawl | None"], None]


@dataclass(slots=True)
class LogContent:
    """The measures of a build log and, for export, its bytes in a spooled temporary file."""

    chars: int
    words: int
    lines: int
    size: int
    spool: IO[bytes] | None = None

    def text(self) -> str:
        """The whole log decoded (UTF-8, replacement characters); empty without a spool."""
        if self.spool is None:
            return ""
        self.spool.seek(0)
        return self.spool.read().decode("utf-8", errors="replace")

    def close(self) -> None:
        """Drop the spooled bytes."""
        if self.spool is not None:
            self.spool.close()
            self.spool = None


@dataclass(slots=True)
class BuildCrawl:
    """Everything gathered about one build. Paths in ``files`` are relative to the build."""

    build_id: str
    path: str
    top_level: list[str] = field(default_factory=list)
    artifacts: list[str] = field(default_factory=list)
    files: dict[str, Entry] = field(default_factory=dict)
    started: metadata.Started | None = None
    finished: metadata.Finished | None = None
    finished_unreadable: bool = False
    notes: list[str] = field(default_factory=list)
    error: str | None = None
    log: LogContent | None = None
    events: list[tuple[str, EventRow]] = field(default_factory=list)
    junit: list[tuple[str, TestCaseRow]] = field(default_factory=list)

    @property
    def present(self) -> set[str]:
        """Paths known to exist: top-level names, ``artifacts/<name>`` and listed files."""
        names = set(self.top_level)
        names.update(f"artifacts/{name}" for name in self.artifacts)
        names.update(self.files)
        return names

    @property
    def log_bytes(self) -> int | None:
        """Size of ``build-log.txt`` from the listing (stored bytes), None without a log."""
        entry = self.files.get(BUILD_LOG)
        return entry.size if entry is not None else None

    @property
    def result(self) -> str:
        """The normalised result; UNKNOWN when finished.json exists but cannot be parsed."""
        if self.finished_unreadable:
            return "UNKNOWN"
        return metadata.build_result(self.finished)

    def close(self) -> None:
        """Release a spooled log."""
        if self.log is not None:
            self.log.close()


@dataclass(frozen=True, slots=True)
class CrawlOptions:
    """What to fetch beyond listings: which metadata, log content, events and junit rows."""

    started: bool = True
    finished: bool = True
    content: bool = False
    keep_logs: bool = False
    details: bool = False
    spool_dir: str | None = None


def _is_events(rel: str) -> bool:
    return rel == EVENTS_JSON or bool(prow_artifacts.is_events_file(rel))


def _is_junit(rel: str) -> bool:
    name = rel.rsplit("/", 1)[-1]
    return rel.startswith("artifacts/") and bool(prow_artifacts.is_junit_file(name))


def _is_step_log(rel: str) -> bool:
    """``artifacts/<test>/build-log.txt`` or ``artifacts/<test>/<step>/build-log.txt``."""
    parts = rel.split("/")
    return parts[0] == "artifacts" and parts[-1] == BUILD_LOG and len(parts) in (3, 4)


def _descend(rel_dir: str) -> bool:
    """Whether the details listings go into ``artifacts/...`` directory ``rel_dir``: every
    step of a test directory, then only the steps' ``artifacts/`` and ``junit/`` (2 deeper)."""
    parts = rel_dir.rstrip("/").split("/")
    return len(parts) == 3 or (len(parts) in (4, 5) and parts[-1] in ("artifacts", "junit"))


class _Collector:
    """Builds one build's listing view from file entries (used for the recursive walk)."""

    def __init__(self, build_id: str, path: str) -> None:
        self.crawl = BuildCrawl(build_id=build_id, path=path)
        self._top: set[str] = set()
        self._artifacts: set[str] = set()

    def add(self, entry: Entry, rel: str) -> None:
        head, sep, rest = rel.partition("/")
        self._top.add(head + sep)
        if head == "artifacts" and rest:
            first, sep2, _ = rest.partition("/")
            self._artifacts.add(first + sep2)
        if "/" not in rel or _is_events(rel) or _is_junit(rel) or _is_step_log(rel):
            self.crawl.files[rel] = entry

    def finish(self) -> BuildCrawl:
        self.crawl.top_level = sorted(self._top)
        self.crawl.artifacts = sorted(self._artifacts)
        return self.crawl


class JobCrawler:
    """One crawl of one job through one source (see the module docstring)."""

    def __init__(
        self,
        source: Source,
        job_path: str,
        *,
        limit: int | None = None,
        concurrency: int = DEFAULT_CONCURRENCY,
        options: CrawlOptions | None = None,
        on_progress: ProgressCallback | None = None,
        builds: Sequence[jobs.BuildRef] | None = None,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.source = source
        self.job_path = normalize_dir(job_path)
        self.limit = limit
        self.concurrency = concurrency
        self.options = options or CrawlOptions()
        self.on_progress = on_progress
        #: crawl exactly these builds (a dataset chunk) instead of discovering the job's builds
        self.selected = list(builds) if builds is not None else None
        self.total = 0
        self.done = 0
        self.errors: list[BuildCrawl] = []
        self._sem = asyncio.Semaphore(concurrency)

    # -- remote calls, each under the semaphore ------------------------------------------

    async def _call(self, fn: Callable[..., Awaitable[T]], *args: Any) -> T:
        async with self._sem:
            return await fn(*args)

    async def _list(self, path: str) -> list[Entry]:
        return await self._call(self.source.list, path)

    async def _read(self, path: str) -> bytes:
        return await self._call(self.source.read, path)

    # -- build discovery -----------------------------------------------------------------

    def _walkable(self) -> bool:
        return callable(getattr(self.source, "walk", None))

    async def _walk_into(
        self, prefix: str, collectors: dict[str, _Collector], job_path: str | None = None
    ) -> None:
        """One recursive listing of ``prefix``; files are sorted into per-build collectors
        (build directories directly under ``job_path``, by default the crawled job's)."""
        job_path = job_path or self.job_path
        async with self._sem:
            async for entry in self.source.walk(prefix):  # type: ignore[attr-defined]
                if entry.is_dir or not entry.path.startswith(job_path):
                    continue
                build_id, sep, rel = entry.path[len(job_path) :].partition("/")
                if not sep or not rel or not _NUMERIC.fullmatch(build_id):
                    continue
                collector = collectors.get(build_id)
                if collector is None:
                    collector = _Collector(build_id, f"{job_path}{build_id}/")
                    collectors[build_id] = collector
                collector.add(entry, rel)

    async def _discover(self) -> list[tuple[str, str, BuildCrawl | None]]:
        """``(build_id, path, pre-listed crawl or None)`` for the selected builds, oldest first."""
        if self.selected is not None:
            return [(ref.build_id, normalize_dir(ref.path), None) for ref in self.selected]
        if self._walkable() and self.limit is None:
            collectors: dict[str, _Collector] = {}
            await self._walk_into(self.job_path, collectors)
            if not collectors:
                raise NotFound(f"{self.job_path}: no builds found", self.job_path)
            ids = sorted(collectors, key=int)
            return [(i, collectors[i].crawl.path, collectors[i].finish()) for i in ids]
        refs = await self._call(jobs.list_builds, self.source, self.job_path)
        if self.limit is not None:
            refs = refs[-self.limit :] if self.limit > 0 else []
        return [(ref.build_id, normalize_dir(ref.path), None) for ref in refs]

    # -- one build -----------------------------------------------------------------------

    async def _list_top(self, crawl: BuildCrawl) -> None:
        """The build's top level (through a recursive walk: everything at once)."""
        if self._walkable():
            collectors = {crawl.build_id: _Collector(crawl.build_id, crawl.path)}
            # a dataset chunk may hold builds of several job directories (one job, many PRs)
            parent = crawl.path.rstrip("/").rpartition("/")[0] + "/"
            await self._walk_into(crawl.path, collectors, parent)
            listed = collectors[crawl.build_id].finish()
            crawl.top_level, crawl.artifacts, crawl.files = (
                listed.top_level,
                listed.artifacts,
                listed.files,
            )
            if not crawl.top_level:
                raise NotFound(f"{crawl.path}: empty build directory", crawl.path)
            return
        top = await self._list(crawl.path)
        crawl.top_level = sorted(e.name for e in top)
        crawl.files.update({e.name: e for e in top if not e.is_dir})

    async def _list_artifacts(self, crawl: BuildCrawl) -> None:
        """``artifacts/`` and the subdirectories where events and junit files live, when the
        listing above shows them (nothing to do after a recursive walk)."""
        if self._walkable() or "artifacts/" not in crawl.top_level:
            return
        art = await self._list(crawl.path + "artifacts/")
        crawl.artifacts = sorted(e.name for e in art)
        for entry in art:
            rel = "artifacts/" + entry.name
            if not entry.is_dir and (_is_junit(rel) or _is_events(rel)):
                crawl.files[rel] = entry
        subdirs = ["build-resources/"] if "build-resources/" in crawl.artifacts else []
        if self.options.details:
            # test directories, then their steps' logs, junit and events (see _descend)
            subdirs += [n for n in crawl.artifacts if n.endswith("/") and n != "build-resources/"]
        while subdirs:
            listings = await asyncio.gather(
                *(self._list_optional(crawl.path + "artifacts/" + sub) for sub in subdirs)
            )
            deeper: list[str] = []
            for sub, entries in zip(subdirs, listings, strict=True):
                for entry in entries:
                    rel = f"artifacts/{sub}{entry.name}"
                    if entry.is_dir:
                        if self.options.details and _descend(rel):
                            deeper.append(sub + entry.name)
                    elif _is_events(rel) or _is_junit(rel) or _is_step_log(rel):
                        crawl.files[rel] = entry
            subdirs = deeper

    async def _list_optional(self, path: str) -> list[Entry]:
        try:
            return await self._list(path)
        except NotFound:
            return []

    async def _read_metadata(self, crawl: BuildCrawl) -> None:
        async def started() -> None:
            data = await self._read_optional(crawl.path + "started.json")
            if data is not None:
                try:
                    crawl.started = metadata.parse_started(data, "started.json")
                except ParseError as exc:
                    crawl.notes.append(str(exc))

        async def finished() -> None:
            data = await self._read_optional(crawl.path + "finished.json")
            if data is not None:
                try:
                    crawl.finished = metadata.parse_finished(data, "finished.json")
                except ParseError as exc:
                    crawl.finished_unreadable = True
                    crawl.notes.append(str(exc))

        jobs_: list[Awaitable[None]] = []
        if self.options.started and "started.json" in crawl.files:
            jobs_.append(started())
        if self.options.finished and "finished.json" in crawl.files:
            jobs_.append(finished())
        await asyncio.gather(*jobs_)

    async def _read_optional(self, path: str) -> bytes | None:
        try:
            return await self._read(path)
        except NotFound:
            return None

    async def _fetch_log(self, crawl: BuildCrawl) -> None:
        """Stream build-log.txt once, counting as it arrives (and spooling it for export)."""
        if BUILD_LOG not in crawl.files:
            crawl.log = LogContent(0, 0, 0, 0, self._new_spool())
            return
        path = crawl.path + BUILD_LOG
        for attempt in range(1, STREAM_ATTEMPTS + 1):
            counts = StreamingCounts()
            spool = self._new_spool()
            size = 0
            try:
                async with self._sem:
                    async for chunk in self.source.stream(path):
                        counts.feed(chunk)
                        size += len(chunk)
                        if spool is not None:
                            spool.write(chunk)
            except NotFound:
                if spool is not None:
                    spool.close()
                crawl.log = LogContent(0, 0, 0, 0, self._new_spool())
                return
            except SourceError:
                if spool is not None:
                    spool.close()
                if attempt == STREAM_ATTEMPTS:
                    raise
                continue
            chars, words, lines = counts.result()
            crawl.log = LogContent(chars, words, lines, size, spool)
            return

    def _new_spool(self) -> IO[bytes] | None:
        if not self.options.keep_logs:
            return None
        return tempfile.SpooledTemporaryFile(
            max_size=SPOOL_MEMORY_BYTES, dir=self.options.spool_dir
        )

    async def _fetch_details(self, crawl: BuildCrawl) -> None:
        """Parse every events and junit file the listings found (bad files become notes)."""
        wanted = sorted(rel for rel in crawl.files if _is_events(rel) or _is_junit(rel))

        async def one(rel: str) -> None:
            data = await self._read_optional(crawl.path + rel)
            if data is None:
                return
            try:
                if _is_events(rel):
                    crawl.events.extend((rel, row) for row in parse_events(data, rel))
                else:
                    crawl.junit.extend((rel, row) for row in parse_junit(data, rel))
            except ParseError as exc:
                crawl.notes.append(str(exc))

        await asyncio.gather(*(one(rel) for rel in wanted))
        order = {rel: i for i, rel in enumerate(wanted)}
        crawl.events.sort(key=lambda item: order[item[0]])
        crawl.junit.sort(key=lambda item: order[item[0]])

    async def _build(self, build_id: str, path: str, listed: BuildCrawl | None) -> BuildCrawl:
        crawl = listed or BuildCrawl(build_id=build_id, path=path)

        async def artifacts_then_details() -> None:
            if listed is None:
                await self._list_artifacts(crawl)
            if self.options.details:
                await self._fetch_details(crawl)

        try:
            if listed is None:
                await self._list_top(crawl)
            # metadata and the log need only the top level: they overlap the artifacts listings
            steps = [self._read_metadata(crawl), artifacts_then_details()]
            if self.options.content or self.options.keep_logs:
                steps.append(self._fetch_log(crawl))
            await _all(*steps)
        except asyncio.CancelledError:
            crawl.close()
            raise
        except Exception as exc:  # one build's failure is recorded, never fatal
            crawl.close()
            crawl.error = first_line(exc)
            self.errors.append(crawl)
        self.done += 1
        if self.on_progress is not None:
            self.on_progress(self.done, self.total, crawl)
        return crawl

    # -- the crawl -----------------------------------------------------------------------

    async def builds(self) -> AsyncIterator[BuildCrawl]:
        """Yield each selected build, oldest first, as soon as it and its elders are done."""
        selected = await self._discover()
        self.total = len(selected)
        if self.on_progress is not None:
            self.on_progress(0, self.total, None)
        window = max(4 * self.concurrency, 16)
        pending: deque[asyncio.Task[BuildCrawl]] = deque()
        try:
            for build_id, path, listed in selected:
                pending.append(asyncio.ensure_future(self._build(build_id, path, listed)))
                if len(pending) >= window:
                    yield await pending.popleft()
            while pending:
                yield await pending.popleft()
        finally:
            for task in pending:
                task.cancel()
            if pending:
                results = await asyncio.gather(*pending, return_exceptions=True)
                for result in results:
                    if isinstance(result, BuildCrawl):
                        result.close()


async def _all(*steps: Awaitable[None]) -> None:
    """Await every step; when one fails, cancel the others (and wait for them) before raising."""
    tasks = [asyncio.ensure_future(step) for step in steps]
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


async def crawl_job(
    source: Source,
    job_path: str,
    *,
    limit: int | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    options: CrawlOptions | None = None,
    on_progress: ProgressCallback | None = None,
) -> list[BuildCrawl]:
    """Crawl a job and return every build (for small jobs and tests; prefer JobCrawler)."""
    crawler = JobCrawler(
        source,
        job_path,
        limit=limit,
        concurrency=concurrency,
        options=options,
        on_progress=on_progress,
    )
    return [build async for build in crawler.builds()]

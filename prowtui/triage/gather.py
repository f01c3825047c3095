"""Gathering what triage needs from each build: the stats crawl, then the build's logs streamed.

The crawl (:class:`prowtui.analysis.crawl.JobCrawler` with ``details``, as the export runs it)
lists each build, reads ``started.json``/``finished.json`` and parses every events and junit
file; as each build comes out (oldest first), its top-level ``build-log.txt`` and step logs
(``artifacts/<test>/build-log.txt``, ``artifacts/<test>/<step>/build-log.txt``) are streamed
through a :class:`~prowtui.triage.candidates.LineScanner`, a few builds at a time, and
:func:`gather` yields the evidence in build order. Nothing holds a whole log.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import aclosing
from dataclasses import dataclass, field
from datetime import datetime

from prowtui.analysis.crawl import BUILD_LOG, BuildCrawl, CrawlOptions, JobCrawler
from prowtui.errors import NotFound, SourceError
from prowtui.prow.events import EventRow
from prowtui.prow.junit import TestCaseRow
from prowtui.sources.base import Source
from prowtui.triage.candidates import BuildCandidates, LineSelector

#: attempts to stream one log when the stream breaks part way
STREAM_ATTEMPTS = 3
#: bytes asked for per chunk while streaming a log
CHUNK_BYTES = 1 << 20


@dataclass(slots=True)
class BuildEvidence:
    """One build as triage sees it (``junit`` paths are bucket-relative)."""

    index: int
    build_id: str
    path: str
    result: str
    started: datetime | None
    duration_s: float | None
    candidates: BuildCandidates
    junit: list[tuple[str, TestCaseRow]] = field(default_factory=list)
    events: list[EventRow] = field(default_factory=list)
    logs: list[str] = field(default_factory=list)
    #: what could not be read (the build's crawl error, logs that failed to stream)
    problems: list[str] = field(default_factory=list)


def log_paths(crawl: BuildCrawl) -> list[str]:
    """The build's logs to mine, relative to the build: the top level first, then steps."""
    steps = sorted(
        rel for rel in crawl.files if rel.startswith("artifacts/") and rel.endswith("/" + BUILD_LOG)
    )
    return ([BUILD_LOG] if BUILD_LOG in crawl.files else []) + steps


def _duration(crawl: BuildCrawl) -> float | None:
    started = crawl.started.timestamp if crawl.started else None
    finished = crawl.finished.timestamp if crawl.finished else None
    if started is None or finished is None:
        return None
    return round((finished - started).total_seconds(), 3)


class Gatherer:
    """One pass over a job: the crawl, then each build's logs (see the module docstring)."""

    def __init__(
        self,
        source: Source,
        job_path: str,
        selector: LineSelector,
        *,
        limit: int | None = None,
        concurrency: int = 8,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> None:
        self.source = source
        self.selector = selector
        self.on_progress = on_progress
        self.total = 0
        self.done = 0
        self.scanned_bytes = 0
        self._streams = asyncio.Semaphore(concurrency)
        self._window = max(2 * concurrency, 4)
        self.crawler = JobCrawler(
            source,
            job_path,
            limit=limit,
            concurrency=concurrency,
            options=CrawlOptions(details=True),
            on_progress=self._crawled,
        )

    def _crawled(self, _done: int, total: int, crawl: BuildCrawl | None) -> None:
        if crawl is None:
            self.total = total
            if self.on_progress is not None:
                self.on_progress(0, total)

    async def builds(self) -> AsyncIterator[BuildEvidence]:
        """Every build of the window with its evidence, oldest first."""
        pending: deque[asyncio.Task[BuildEvidence]] = deque()
        index = 0
        try:
            async with aclosing(self.crawler.builds()) as crawls:
                async for crawl in crawls:
                    pending.append(asyncio.ensure_future(self._evidence(index, crawl)))
                    index += 1
                    while pending and (pending[0].done() or len(pending) >= self._window):
                        yield await self._finish(pending.popleft())
            while pending:
                yield await self._finish(pending.popleft())
        finally:
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.gather(*pending, return_exceptions=True)

    async def _finish(self, task: asyncio.Task[BuildEvidence]) -> BuildEvidence:
        evidence = await task
        self.done += 1
        self.scanned_bytes += evidence.candidates.scanned_bytes
        if self.on_progress is not None:
            self.on_progress(self.done, self.total)
        return evidence

    async def _evidence(self, index: int, crawl: BuildCrawl) -> BuildEvidence:
        evidence = BuildEvidence(
            index=index,
            build_id=crawl.build_id,
            path=crawl.path,
            result=crawl.result,
            started=crawl.started.timestamp if crawl.started else None,
            duration_s=_duration(crawl),
            candidates=BuildCandidates(self.selector),
            junit=[(crawl.path + rel, row) for rel, row in crawl.junit],
            events=[row for _rel, row in crawl.events],
        )
        if crawl.error is not None:
            evidence.problems.append(crawl.error)
        for rel in log_paths(crawl):
            if await self._scan_log(evidence, crawl.path + rel):
                evidence.logs.append(crawl.path + rel)
        for path, row in evidence.junit:
            if row.status in ("failed", "error") and row.message:
                evidence.candidates.add_message(row.message, path)
        crawl.close()
        return evidence

    async def _scan_log(self, evidence: BuildEvidence, path: str) -> bool:
        """Stream one log through a scanner into the build's candidates; False when it is
        missing or cannot be read (a stream that breaks part way starts again)."""
        for attempt in range(1, STREAM_ATTEMPTS + 1):
            found = BuildCandidates(self.selector)
            scanner = found.scanner(path)
            try:
                async with self._streams:
                    async for chunk in self.source.stream(path, CHUNK_BYTES):
                        scanner.feed(chunk)
                scanner.finish()
            except NotFound:
                return False
            except SourceError as exc:
                # the source retried the request already; start again only a broken stream
                if attempt == STREAM_ATTEMPTS or not found.scanned_bytes:
                    evidence.problems.append(f"{path}: {exc}")
                    return False
                continue
            evidence.candidates.merge(found)
            return True
        return False

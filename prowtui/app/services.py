"""Non-visual helpers the explorer shares between widgets: listing and build-result caches.

Nothing here imports Textual; everything is plain asyncio over a :class:`Source`, so the
caching and concurrency rules are testable on their own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Generic, TypeVar

from prowtui.errors import NotFound, ProwtuiError
from prowtui.logs.ansi import LINE_LIMIT
from prowtui.logs.highlight import DEFAULT, DEFAULT_PATTERNS, ErrorPatterns
from prowtui.sources.base import Entry, Source, normalize_dir

T = TypeVar("T")

#: how many build results are read at the same time
BUILD_READ_CONCURRENCY = 8
#: JSON metadata files above this size are not parsed for a build row
METADATA_READ_LIMIT = 4 << 20


class _SingleFlight(Generic[T]):
    """Values keyed by directory path, each computed at most once until forgotten.

    Concurrent callers asking for the same key share one in-flight task; a computation that
    raises is not kept, so the next call tries again.
    """

    def __init__(self) -> None:
        self._done: dict[str, T] = {}
        self._pending: dict[str, asyncio.Task[T]] = {}

    def cached(self, path: str) -> T | None:
        return self._done.get(normalize_dir(path))

    async def get(self, path: str, compute: Callable[[str], Awaitable[T]]) -> T:
        key = normalize_dir(path)
        if key in self._done:
            return self._done[key]
        task = self._pending.get(key)
        if task is None:
            task = asyncio.ensure_future(self._run(key, compute))
            self._pending[key] = task
        return await asyncio.shield(task)

    async def _run(self, key: str, compute: Callable[[str], Awaitable[T]]) -> T:
        try:
            value = await compute(key)
            self._done[key] = value
            return value
        finally:
            self._pending.pop(key, None)

    def forget(self, path: str) -> None:
        """Drop ``path`` and every key below it."""
        key = normalize_dir(path)
        for cached in [p for p in self._done if p.startswith(key)]:
            del self._done[cached]


class ListingCache:
    """One listing per directory per run, shared by the tree and the previews.

    Concurrent callers asking for the same path share one in-flight request; ``forget``
    drops a path (and everything below it) so the next ``get`` lists again.
    """

    def __init__(self, source: Source) -> None:
        self.source = source
        self._memo: _SingleFlight[list[Entry]] = _SingleFlight()
        #: number of listings actually sent to the source (for tests and the status line)
        self.requests = 0

    def cached(self, path: str) -> list[Entry] | None:
        """The listing of ``path`` if it was already fetched."""
        return self._memo.cached(path)

    async def get(self, path: str) -> list[Entry]:
        """The listing of ``path``, fetched at most once until :meth:`forget`."""
        return await self._memo.get(path, self._fetch)

    async def _fetch(self, key: str) -> list[Entry]:
        self.requests += 1
        return await self.source.list(key)

    def forget(self, path: str) -> None:
        """Drop the cached listing of ``path`` and of every directory below it."""
        self._memo.forget(path)


@dataclass(frozen=True, slots=True)
class BuildSummary:
    """What a build row shows: its result and when it started."""

    result: str
    started: datetime | None = None
    error: str = ""


def format_time(moment: datetime | None) -> str:
    """``YYYY-MM-DD HH:MM`` in UTC, or an empty string."""
    if moment is None:
        return ""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M")


def to_datetime(value: object) -> datetime | None:
    """An epoch number or an aware datetime (as the metadata parsers give) as a datetime."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        try:
            return datetime.fromtimestamp(float(value), tz=timezone.utc)
        except (OverflowError, OSError, ValueError):
            return None
    return None


async def read_optional(source: Source, path: str) -> bytes | None:
    """An object's bytes, or None when it does not exist."""
    try:
        return await source.read(path)
    except NotFound:
        return None


async def read_build_summary(source: Source, build_path: str) -> BuildSummary:
    """Read ``started.json`` and ``finished.json`` of a build and summarise them."""
    from prowtui.prow import metadata

    prefix = normalize_dir(build_path)
    started_raw, finished_raw = await asyncio.gather(
        read_optional(source, prefix + "started.json"),
        read_optional(source, prefix + "finished.json"),
    )
    started_at = None
    if started_raw is not None and len(started_raw) <= METADATA_READ_LIMIT:
        try:
            started_at = to_datetime(metadata.parse_started(started_raw).timestamp)
        except ProwtuiError:
            started_at = None
    finished = None
    if finished_raw is not None and len(finished_raw) <= METADATA_READ_LIMIT:
        try:
            finished = metadata.parse_finished(finished_raw)
        except ProwtuiError as exc:
            return BuildSummary("UNKNOWN", started_at, str(exc))
    return BuildSummary(metadata.build_result(finished), started_at)


class _ReadFailed(Exception):
    """A build's summary could not be read; carries the summary that says why."""

    def __init__(self, summary: BuildSummary) -> None:
        super().__init__(summary.error)
        self.summary = summary


class BuildResultCache:
    """Build results read concurrently (bounded) and cached for the whole run."""

    def __init__(
        self,
        source: Source,
        concurrency: int = BUILD_READ_CONCURRENCY,
        reader: Callable[[Source, str], Awaitable[BuildSummary]] = read_build_summary,
    ) -> None:
        self.source = source
        self._reader = reader
        self._limit = asyncio.Semaphore(concurrency)
        self._memo: _SingleFlight[BuildSummary] = _SingleFlight()

    def cached(self, build_path: str) -> BuildSummary | None:
        """The summary of a build if it was already read."""
        return self._memo.cached(build_path)

    async def get(self, build_path: str) -> BuildSummary:
        """The summary of a build, read at most once per run (errors are not cached)."""
        try:
            return await self._memo.get(build_path, self._read)
        except _ReadFailed as failed:
            return failed.summary

    async def _read(self, key: str) -> BuildSummary:
        async with self._limit:
            try:
                return await self._reader(self.source, key)
            except ProwtuiError as exc:
                # shown, but raised through the memo so that it is not kept
                raise _ReadFailed(BuildSummary("UNKNOWN", None, str(exc))) from exc

    def forget(self, path: str) -> None:
        """Drop cached results at or below ``path``."""
        self._memo.forget(path)


@dataclass(frozen=True, slots=True)
class LogSettings:
    """How the log view highlights and cuts lines (the config file's ``[logs]``)."""

    error_patterns: ErrorPatterns = DEFAULT
    max_line_chars: int = LINE_LIMIT

    @classmethod
    def from_config(cls, logs: object) -> LogSettings:
        """From a :class:`prowtui.config.LogsConfig`: its patterns are added to the defaults."""
        extra = tuple(getattr(logs, "error_patterns", ()) or ())
        patterns = ErrorPatterns((*DEFAULT_PATTERNS, *extra)) if extra else DEFAULT
        return cls(patterns, int(getattr(logs, "max_line_chars", LINE_LIMIT)))


class Explorer:
    """What the screens share: the source, how it was named, the per-run caches and the
    log view's settings."""

    def __init__(
        self,
        source: Source,
        spec: object | None = None,
        start_path: str = "",
        *,
        logs: LogSettings | None = None,
    ) -> None:
        self.source = source
        self.spec = spec
        self.start_path = start_path
        self.logs = logs or LogSettings()
        self.listings = ListingCache(source)
        self.results = BuildResultCache(source)

    def describe(self) -> str:
        """The source's one-line description."""
        try:
            return self.source.describe()
        except Exception:  # a description must never break the header
            return f"{getattr(self.source, 'kind', 'source')} {getattr(self.source, 'bucket', '')}"

    def title(self) -> str:
        """The source's kind and bucket for the title bar: ``demo · demo``,
        ``gcsweb · origin-ci-test``; a local directory without a bucket shows its folder's name
        (never its whole path), an offline source says so."""
        kind = str(getattr(self.source, "kind", "") or "source")
        bucket = str(getattr(self.source, "bucket", "") or "")
        if not bucket:
            root = getattr(self.source, "root", None)
            bucket = getattr(root, "name", "") or ""
        parts = [kind, bucket] if bucket else [kind]
        if getattr(self.source, "offline", False):
            parts.append("offline")
        return " · ".join(parts)

    def root_label(self) -> str:
        """A short name for the tree's root: the bucket, else the source's description."""
        bucket = getattr(self.source, "bucket", "")
        return f"{self.source.kind}: {bucket}" if bucket else self.describe()

    def urls(self, path: str) -> list[tuple[str, str]]:
        """(label, url) pairs for ``path``: gcsweb, gs:// and Spyglass where they apply."""
        if self.spec is None:
            return []
        from prowtui.sources import resolve

        out: list[tuple[str, str]] = []
        for label, builder in (
            ("gcsweb URL", resolve.gcsweb_url),
            ("gs:// path", resolve.gs_url),
            ("Spyglass URL", resolve.spyglass_url),
        ):
            try:
                url = builder(self.spec, path)
            except (ProwtuiError, ValueError):
                url = None
            if url:
                out.append((label, url))
        return out

    async def aclose(self) -> None:
        """Close the source's connections."""
        await self.source.aclose()

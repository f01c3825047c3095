"""A source wrapper that answers from the on-disk cache and fills it.

Policy: everything inside a *finished* build (a build directory whose listing has
``finished.json``) never changes, so it is kept until evicted. Everything else (bucket and job
listings, ``latest-build.txt``, pending builds) is kept with the cache's TTL. Whether a build
is finished is decided from its own listing (one per build, itself cached) *before* anything
in it is fetched, so a log read while the build ran is never kept forever. Missing paths are
remembered the same way. When the server is unreachable, or in offline mode, stale entries
still answer; offline, a path never fetched raises :class:`NotCached`.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from prowtui.cache import Cache, Hit, checksum
from prowtui.errors import NotCached, NotFound, Unreachable
from prowtui.prow.jobs import classify_path
from prowtui.sources.base import Entry, ObjectInfo, Source, normalize_dir

T = TypeVar("T")

_SEP = "\x1f"


def source_identity(source: Source) -> str:
    """What tells two sources apart in cache keys: kind, bucket and where they point."""
    parts = [f"kind={source.kind}", f"bucket={source.bucket}"]
    for attr in ("base_url", "storage_url", "root", "endpoint"):
        value = getattr(source, attr, None)
        if value:
            parts.append(f"{attr}={os.path.realpath(value) if attr == 'root' else value}")
    if source.kind == "gcs":
        parts.append(f"emulator={os.environ.get('STORAGE_EMULATOR_HOST', '')}")
    return "|".join(parts)


def build_dir_of(path: str) -> str | None:
    """The build directory (``<job dir><build id>/``) containing ``path``, or None outside
    builds (bucket and job listings, ``latest-build.txt``)."""
    info = classify_path(path)
    if info.kind not in ("build", "build-file", "artifact") or info.job is None:
        return None
    return f"{info.job.path}{info.build_id}/"


def _entry_to_row(entry: Entry) -> list[Any]:
    updated = entry.updated.isoformat() if entry.updated else None
    return [entry.name, entry.path, entry.is_dir, entry.size, updated]


def _row_to_entry(row: list[Any]) -> Entry:
    name, path, is_dir, size, updated = row
    return Entry(name, path, is_dir, size, datetime.fromisoformat(updated) if updated else None)


def _info_to_json(info: ObjectInfo) -> dict[str, Any]:
    return {
        "path": info.path,
        "size": info.size,
        "updated": info.updated.isoformat() if info.updated else None,
        "content_type": info.content_type,
        "content_encoding": info.content_encoding,
    }


def _info_from_json(data: dict[str, Any]) -> ObjectInfo:
    updated = data.get("updated")
    return ObjectInfo(
        path=data["path"],
        size=data.get("size"),
        updated=datetime.fromisoformat(updated) if updated else None,
        content_type=data.get("content_type"),
        content_encoding=data.get("content_encoding"),
    )


def _slice_hit(hit: Hit, start: int | None, end: int | None) -> bytes:
    """Bytes ``[start, end)`` of a cached payload (Python slice rules), seeking in files."""
    if hit.file is None:
        return hit.read()[start:end]
    begin, stop, _ = slice(start, end).indices(hit.size)
    if stop <= begin:
        return b""
    with hit.file.open("rb") as handle:
        handle.seek(begin)
        return handle.read(stop - begin)


class CachedSource:
    """A :class:`~prowtui.sources.base.Source` reading through a :class:`~prowtui.cache.Cache`.

    ``offline=True`` never calls ``inner``: cached (even stale) answers or ``NotCached``.
    """

    def __init__(self, inner: Source, cache: Cache, *, offline: bool = False) -> None:
        self.inner = inner
        self.cache = cache
        self.offline = offline
        self.kind = inner.kind
        self.bucket = inner.bucket
        self.identity = source_identity(inner)
        self._finished: set[str] = set()
        self._locks: dict[str, asyncio.Lock] = {}

    def __getattr__(self, name: str) -> Any:
        # Backend extras (base_url, root, ...) stay reachable through the wrapper; ``walk`` is
        # not, so recursive walks fall back to one-level listings, which are cached.
        if name in ("inner", "walk"):
            raise AttributeError(name)
        return getattr(self.inner, name)

    def describe(self) -> str:
        """The inner source's description, marked offline when it is."""
        text = self.inner.describe()
        return f"{text} (offline, from cache)" if self.offline else text

    # -- keys and policy ---------------------------------------------------------------

    def key(self, op: str, path: str) -> str:
        """The cache key of one operation on one path of this source."""
        return f"{op}{_SEP}{self.identity}{_SEP}{path}"

    def _not_cached(self, path: str) -> NotCached:
        return NotCached(
            f"{path or '/'}: not in the cache (seen offline); run once online to fetch it", path
        )

    async def _ttl_for(self, path: str) -> float | None:
        """None (keep until evicted) inside finished builds, else the cache's TTL."""
        build = build_dir_of(path)
        if build is None or build == normalize_dir(path):
            return self.cache.ttl_seconds
        if await self.is_build_finished(build):
            return None
        return self.cache.ttl_seconds

    async def is_build_finished(self, build_dir: str) -> bool:
        """True when the build's listing (cached, or fetched once) has ``finished.json``."""
        build_dir = normalize_dir(build_dir)
        if build_dir in self._finished:
            return True
        try:
            entries = await self.list(build_dir)
        except (NotFound, NotCached, Unreachable):
            return False
        return build_dir in self._finished or any(e.name == "finished.json" for e in entries)

    def _lock(self, key: str) -> asyncio.Lock:
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        return lock

    async def _lookup(self, key: str, path: str) -> Hit | None:
        """A cached answer (stale ones too when offline); a remembered miss raises NotFound."""
        allow_stale = self.offline
        hit = await asyncio.to_thread(self.cache.get, key, allow_stale=allow_stale)
        if hit is not None:
            return hit
        missing = await asyncio.to_thread(self.cache.get, "nf" + key, allow_stale=allow_stale)
        if missing is not None:
            raise NotFound(missing.read().decode(errors="replace") or f"{path}: no such path", path)
        if self.offline:
            raise self._not_cached(path)
        return None

    async def _cached_call(
        self,
        key: str,
        path: str,
        fetch: Callable[[], Awaitable[bytes]],
        ttl: Callable[[bytes], Awaitable[float | None]],
    ) -> bytes:
        """Answer ``key`` from the cache, else fetch, store with ``ttl(payload)`` and return.

        A missing path is remembered as such (``NotFound`` is raised again from the cache);
        when the server is unreachable a stale entry answers.
        """
        hit = await self._lookup(key, path)
        if hit is not None:
            return hit.read()
        lock = self._lock(key)
        try:
            async with lock:
                hit = await self._lookup(key, path)
                if hit is not None:
                    return hit.read()
                try:
                    payload = await fetch()
                except NotFound as exc:
                    keep = await ttl(b"")
                    await asyncio.to_thread(self.cache.put, "nf" + key, str(exc).encode(), ttl=keep)
                    raise
                except Unreachable:
                    stale = await asyncio.to_thread(self.cache.get, key, allow_stale=True)
                    if stale is None:
                        raise
                    return stale.read()
                keep = await ttl(payload)
                await asyncio.to_thread(self.cache.put, key, payload, ttl=keep)
                await asyncio.to_thread(self.cache.delete, "nf" + key)
                return payload
        finally:
            if not lock.locked():
                self._locks.pop(key, None)

    # -- Source protocol ---------------------------------------------------------------

    async def list(self, path: str) -> list[Entry]:
        """A listing, through the cache."""
        prefix = normalize_dir(path)

        async def fetch() -> bytes:
            entries = await self.inner.list(prefix)
            return json.dumps([_entry_to_row(e) for e in entries]).encode()

        async def ttl(payload: bytes) -> float | None:
            if build_dir_of(prefix) == prefix and payload:
                return None if b'"finished.json"' in payload else self.cache.ttl_seconds
            return await self._ttl_for(prefix)

        payload = await self._cached_call(self.key("ls", prefix), prefix, fetch, ttl)
        entries = [_row_to_entry(row) for row in json.loads(payload)]
        if build_dir_of(prefix) == prefix and any(e.name == "finished.json" for e in entries):
            self._finished.add(prefix)
        return entries

    async def read(self, path: str, start: int | None = None, end: int | None = None) -> bytes:
        """Whole objects and byte ranges; a range of a cached whole object is cut from it."""
        whole_key = self.key("obj", path)
        if start is None and end is None:
            ttl = await self._ttl_before_fetch(path)

            async def fetch_whole() -> bytes:
                return await self.inner.read(path)

            return await self._cached_call(whole_key, path, fetch_whole, _constant(ttl))
        hit = await asyncio.to_thread(self.cache.get, whole_key, allow_stale=self.offline)
        if hit is not None:
            return _slice_hit(hit, start, end)
        ttl = await self._ttl_before_fetch(path)

        async def fetch_range() -> bytes:
            return await self.inner.read(path, start, end)

        range_key = self.key(f"range:{start}:{end}", path)
        return await self._cached_call(range_key, path, fetch_range, _constant(ttl))

    async def _ttl_before_fetch(self, path: str) -> float | None:
        """The TTL decided before fetching (offline nothing is stored, so skip the lookup)."""
        return None if self.offline else await self._ttl_for(path)

    async def stat(self, path: str) -> ObjectInfo:
        """Object metadata, through the cache."""
        ttl = await self._ttl_before_fetch(path)

        async def fetch() -> bytes:
            return json.dumps(_info_to_json(await self.inner.stat(path))).encode()

        payload = await self._cached_call(self.key("stat", path), path, fetch, _constant(ttl))
        return _info_from_json(json.loads(payload))

    async def stream(self, path: str, chunk_size: int = 1 << 20) -> AsyncIterator[bytes]:
        """Chunks from the cached copy, or from the server while a copy is written to the
        cache (kept only when the stream completes)."""
        hit = await self._lookup(self.key("obj", path), path)
        if hit is not None:
            for chunk in hit.chunks(chunk_size):
                yield chunk
            return
        ttl = await self._ttl_for(path)
        with self.cache.partial_file() as (partial, handle):
            crc = 0
            async for chunk in self.inner.stream(path, chunk_size):
                crc = checksum(chunk, crc)
                await asyncio.to_thread(handle.write, chunk)
                yield chunk
            handle.flush()
            await asyncio.to_thread(
                self.cache.put_file, self.key("obj", path), partial, ttl=ttl, crc=crc
            )

    async def download_stream(self, path: str, chunk_size: int = 1 << 20) -> AsyncIterator[bytes]:
        """Chunks of ``path`` without keeping a copy: the cached one when there is one, else
        the server's, for a caller that hands the complete download to :meth:`store_file`
        (the log view). Offline, an uncached path raises ``NotCached``."""
        hit = await self._lookup(self.key("obj", path), path)
        if hit is not None:
            for chunk in hit.chunks(chunk_size):
                yield chunk
            return
        async for chunk in self.inner.stream(path, chunk_size):
            yield chunk

    def download_dir(self) -> Path:
        """Where downloads meant for :meth:`store_file` are written (the cache's file system)."""
        return self.cache.temp_dir()

    async def cached_file(self, path: str) -> Path | None:
        """The path of a verified file in the cache holding the whole (decompressed) object,
        or None when it is not cached. For the log view: open it instead of downloading."""
        key = self.key("obj", path)
        return await asyncio.to_thread(self.cache.file_path, key, allow_stale=self.offline)

    async def store_file(self, path: str, downloaded: Path) -> Path | None:
        """Move a complete download of ``path`` (decompressed bytes) into the cache, under the
        same policy as reads; return the cached file's path (None when it could not be kept).
        ``downloaded`` should live on the cache's file system (``cache.temp_dir()``)."""
        if self.offline:
            return None
        ttl = await self._ttl_for(path)
        return await asyncio.to_thread(
            self.cache.put_file, self.key("obj", path), downloaded, ttl=ttl
        )

    async def aclose(self) -> None:
        """Close the inner source and the store's connections."""
        try:
            await self.inner.aclose()
        finally:
            self.cache.close()


def _constant(value: float | None) -> Callable[[bytes], Awaitable[float | None]]:
    async def ttl(_payload: bytes) -> float | None:
        return value

    return ttl

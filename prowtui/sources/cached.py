"""A source wrapper that answers from the on-disk cache and fills it.

Policy: everything inside a *finished* build (a build directory whose listing has
``finished.json``) never changes, so it is kept until evicted. Everything else (bucket and job
listings, ``latest-build.txt``, pending builds) is kept with the cache's TTL. Whether a build
is finished is decided from its own listing (one per build, itself cached) *before* anything
in it is fetched, so a log read while the build ran is never kept forever; reading the build's
``finished.json`` decides it too, without that listing (read: finished, kept for good; missing:
running, the miss kept for the TTL). Missing paths are remembered the same way.
``list_current``/``read_current`` answer only from entries kept for good and fetch the rest
(a job's builds as they are now, a pending build's ``finished.json``). When the server is
unreachable, or in offline mode, stale entries still answer; offline, a path never fetched
raises :class:`NotCached`.

A cold crawl does not ask the cache for what cannot be there: the children of a directory
whose listing was stored nowhere in the cache (not even stale, nor as missing) and was just
fetched are fetched without a lookup, once each (see :meth:`CachedSource._take_new`). A
lookup answers no question a fetch does not answer better, so skipping one never changes an
answer; it can only cost a request where another process stored that child by another route
meanwhile (listing the build on its own, say), which is then fetched and stored again.

Answers fetched from the inner source are handed to the cache's background writer
(:meth:`~prowtui.cache.Cache.put_later`): the request path never waits for SQLite, and a
crawl's answers are written many to a transaction. Small streamed objects are kept the same
way; bigger ones go through a file on the cache's file system.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from prowtui.cache import FILE_THRESHOLD, Cache, Hit, checksum
from prowtui.errors import NotCached, NotFound, Unreachable
from prowtui.layout import classify_path
from prowtui.sources.base import Entry, ObjectInfo, Source, normalize_dir

T = TypeVar("T")

#: a job's expired walk is rebuilt from its builds' kept walks when at most this many of its
#: directories have none (each is walked on its own); more, and the job is walked whole
COMPOSE_MAX = 8

#: a cached object streamed (or downloaded) from the cache is read into memory and verified
#: in one pass up to this size; bigger ones are checksummed, then read in chunks
STREAM_LOAD_BYTES = 16 << 20
#: ``load`` for answers returned whole (listings, metadata, whole reads)
_WHOLE = sys.maxsize
#: paths remembered as new to the cache at most (past this the memory is dropped: lookups)
NEW_PATHS_MAX = 200_000

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


@lru_cache(maxsize=8192)
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
    if hit.inline is not None or hit.file is None:
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

    #: the recursive walk, when the inner source has one (None: callers list level by level)
    walk: Callable[[str], AsyncIterator[Entry]] | None = None

    def __init__(self, inner: Source, cache: Cache, *, offline: bool = False) -> None:
        self.inner = inner
        self.cache = cache
        self.offline = offline
        self.kind = inner.kind
        self.bucket = inner.bucket
        self.identity = source_identity(inner)
        self._finished: set[str] = set()
        #: build dir -> when a walk last saw it without ``finished.json``
        self._running: dict[str, float] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        #: children of listings that were new to the cache, not yet asked for (see _take_new)
        self._new_paths: set[str] = set()
        #: every path asked for through this wrapper (never presumed new afterwards)
        self._asked: set[str] = set()
        if callable(getattr(inner, "walk", None)):
            # only a backend with a recursive listing (GCS) offers ``walk`` through the cache;
            # others keep the one-level listings of ``prowtui.sources.walk``, which are cached
            self.walk = self._walk

    def __getattr__(self, name: str) -> Any:
        # Backend extras (base_url, root, ...) stay reachable through the wrapper.
        if name == "inner":
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
        seen = self._running.get(build_dir)
        if seen is not None and self.cache.clock() - seen <= self.cache.ttl_seconds:
            return False
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

    async def _lookup(self, key: str, path: str, *, load: int = _WHOLE) -> Hit | None:
        """A cached answer (stale ones too when offline); a remembered miss raises NotFound.
        File payloads up to ``load`` bytes come back in memory (read and verified once)."""
        hit, _ = await self._lookup_stored(key, path, load=load)
        return hit

    async def _lookup_stored(
        self, key: str, path: str, *, load: int = _WHOLE, settled: bool = False
    ) -> tuple[Hit | None, bool]:
        """:meth:`_lookup`, and whether anything is stored under ``key`` or its missing marker
        (False: the cache has never heard of the path, or has forgotten it). ``settled``
        (online) trusts only answers kept for good: one with a TTL is treated as absent."""
        hit, missing, stored = await self.cache.alookup(
            key, "nf" + key, allow_stale=self.offline, load=load
        )
        if settled and not self.offline:
            if hit is not None and hit.ttl is not None:
                hit = None
            if missing is not None and missing.ttl is not None:
                missing = None
        if hit is not None:
            return hit, True
        if missing is not None:
            raise NotFound(missing.read().decode(errors="replace") or f"{path}: no such path", path)
        if self.offline:
            raise self._not_cached(path)
        return None, stored

    def _take_new(self, path: str) -> bool:
        """True, once, for a path listed by a directory that was new to the cache: a lookup
        would miss unless another process stored the path by another route since (then the
        path is fetched again, which answers the same)."""
        if path not in self._new_paths:
            self._asked.add(path)
            return False
        self._new_paths.discard(path)
        self._asked.add(path)
        return not self.offline

    async def _lookup_unless_new(self, key: str, path: str, *, load: int) -> Hit | None:
        """:meth:`_lookup`, skipped for a path new to the cache (see :meth:`_take_new`)."""
        return None if self._take_new(path) else await self._lookup(key, path, load=load)

    def _note_new(self, entries: list[Entry]) -> None:
        """The children of a listing that was new to the cache are new too, unless this
        process asked for them already (before it listed their directory)."""
        if len(self._asked) + len(self._new_paths) > NEW_PATHS_MAX:
            self._asked.clear()  # forget every presumption: lookups again, nothing else
            self._new_paths.clear()
            return
        asked = self._asked
        self._new_paths.update(entry.path for entry in entries if entry.path not in asked)

    async def _cached_call(
        self,
        key: str,
        path: str,
        fetch: Callable[[], Awaitable[bytes]],
        ttl: Callable[[bytes], Awaitable[float | None]],
        *,
        new: bool = False,
        settled: bool = False,
    ) -> tuple[bytes, bool]:
        """Answer ``key`` from the cache, else fetch, store with ``ttl(payload)`` and return;
        with whether the answer was fetched for a path the cache held nothing for. ``new``
        skips the lookup (see :meth:`_take_new`); ``settled`` answers only from entries kept
        for good (see :meth:`_lookup_stored`).

        A missing path is remembered as such (``NotFound`` is raised again from the cache);
        when the server is unreachable a stale entry answers.
        """
        stored = False
        if not new:
            hit, stored = await self._lookup_stored(key, path, settled=settled)
            if hit is not None:
                return hit.read(), False
        contended = key in self._locks  # another task of this process is fetching it
        lock = self._lock(key)
        try:
            async with lock:
                if contended:
                    hit, stored = await self._lookup_stored(key, path, settled=settled)
                    if hit is not None:
                        return hit.read(), False
                try:
                    payload = await fetch()
                except NotFound as exc:
                    keep = await ttl(b"")
                    self.cache.put_later("nf" + key, str(exc).encode(), ttl=keep)
                    raise
                except Unreachable:
                    stale = await self.cache.aget(key, allow_stale=True, load=_WHOLE)
                    if stale is None:
                        raise
                    return stale.read(), False
                keep = await ttl(payload)
                # kept, and no longer remembered as missing, by the background writer (a
                # payload big enough for a file of its own is written in a worker thread)
                forget = ("nf" + key,)
                if len(payload) >= FILE_THRESHOLD:
                    await asyncio.to_thread(
                        self.cache.put_later, key, payload, ttl=keep, forget=forget
                    )
                else:
                    self.cache.put_later(key, payload, ttl=keep, forget=forget)
                return payload, not stored
        finally:
            if not lock.locked():
                self._locks.pop(key, None)

    # -- Source protocol ---------------------------------------------------------------

    async def list(self, path: str) -> list[Entry]:
        """A listing, through the cache."""
        return await self._list(path)

    async def list_current(self, path: str) -> list[Entry]:
        """A listing asked for again unless it is kept for good (a finished build's): a job's
        builds as they are now. Offline, the cached listing."""
        return await self._list(path, settled=True)

    async def _list(self, path: str, *, settled: bool = False) -> list[Entry]:
        prefix = normalize_dir(path)

        fetched: list[Entry] | None = None

        async def fetch() -> bytes:
            nonlocal fetched
            fetched = await self.inner.list(prefix)
            return _encode_entries(fetched)

        async def ttl(payload: bytes) -> float | None:
            if build_dir_of(prefix) == prefix and payload:
                return None if b'"finished.json"' in payload else self.cache.ttl_seconds
            return await self._ttl_for(prefix)

        key = self.key("ls", prefix)
        payload, new = await self._cached_call(
            key, prefix, fetch, ttl, new=self._take_new(prefix), settled=settled
        )
        # what was just fetched is used as is, not decoded again from its cache form
        entries = fetched if fetched is not None else _decode_entries(payload)
        if new and not settled:
            self._note_new(entries)
        if build_dir_of(prefix) == prefix:
            # the finished-build decision is made once per build directory and run
            if any(e.name == "finished.json" for e in entries):
                self._finished.add(prefix)
            else:
                self._running[prefix] = self.cache.clock()
        return entries

    # -- recursive walk (GCS) ----------------------------------------------------------

    async def _walk(self, prefix: str) -> AsyncIterator[Entry]:
        """Every file below ``prefix`` (the inner source's one recursive listing), through the
        cache: a walk of a finished build is kept until evicted, others for the TTL. A job's
        walk is also kept per build, so once it expires, builds that finished are not listed
        again (up to :data:`COMPOSE_MAX` other directories are walked one by one). Offline,
        a walk never recorded is made of cached listings."""
        prefix = normalize_dir(prefix)
        key = self.key("walk", prefix)
        try:
            hit = await self._lookup(key, prefix)
        except NotCached:
            async for entry in self._walk_listings(prefix):
                yield entry
            return
        if hit is not None:
            for entry in _decode_entries(hit.read()):
                yield entry
            return
        entries = await self._compose_job_walk(prefix)
        if entries is not None:
            for entry in entries:
                yield entry
        else:
            entries = []
            try:
                async for entry in self.inner.walk(prefix):  # type: ignore[attr-defined]
                    entries.append(entry)
                    yield entry
            except Unreachable:
                stale = await self.cache.aget(key, allow_stale=True, load=_WHOLE)
                if stale is None or entries:
                    raise
                for entry in _decode_entries(stale.read()):
                    yield entry
                return
        await self._store_walk(prefix, entries)

    async def _store_walk(self, prefix: str, entries: list[Entry]) -> None:
        """Keep a complete walk; a walk above builds is also kept per build directory."""
        build = build_dir_of(prefix)
        if build == prefix:
            finished = any(e.path == prefix + "finished.json" for e in entries)
            if finished:
                self._finished.add(prefix)
            ttl = None if finished else self.cache.ttl_seconds
        elif build is not None:
            ttl = await self._ttl_for(prefix)
        else:
            ttl = self.cache.ttl_seconds
            for sub, group in _group_by_build(entries).items():
                finished = any(e.path == sub + "finished.json" for e in group)
                if finished:
                    self._finished.add(sub)
                else:
                    self._running[sub] = self.cache.clock()
                keep = None if finished else ttl
                self.cache.put_later(self.key("walk", sub), _encode_entries(group), ttl=keep)
        self.cache.put_later(self.key("walk", prefix), _encode_entries(entries), ttl=ttl)

    async def _compose_job_walk(self, prefix: str) -> list[Entry] | None:
        """A job's walk from its listing and the builds' kept walks, when at most
        :data:`COMPOSE_MAX` of its directories have none; None to walk it whole."""
        if self.offline or classify_path(prefix).kind != "job":
            return None
        key = self.key("walk", prefix)
        if await self.cache.aget(key, allow_stale=True) is None:
            return None  # never walked: one recursive listing beats a listing and the rest
        try:
            listing = await self.list(prefix)
        except (NotFound, Unreachable):
            return None
        dirs = [e.path for e in listing if e.is_dir]
        kept: dict[str, list[Entry]] = {}
        for sub in dirs:
            hit = await self.cache.aget(self.key("walk", sub), load=_WHOLE)
            if hit is not None:
                kept[sub] = _decode_entries(hit.read())
        missing = [sub for sub in dirs if sub not in kept]
        if not kept or len(missing) > COMPOSE_MAX:
            return None
        entries = [e for e in listing if not e.is_dir]
        for sub in dirs:
            if sub in kept:
                entries.extend(kept[sub])
                continue
            try:
                entries.extend([e async for e in self.inner.walk(sub)])  # type: ignore[attr-defined]
            except NotFound:
                continue
        entries.sort(key=lambda e: e.path)
        return entries

    async def _walk_listings(self, prefix: str) -> AsyncIterator[Entry]:
        """Files below ``prefix`` from one-level listings (offline: cached ones only)."""
        pending = [prefix]
        while pending:
            for entry in await self.list(pending.pop()):
                if entry.is_dir:
                    pending.append(entry.path)
                else:
                    yield entry

    async def read_current(self, path: str) -> bytes:
        """A whole object, answered from the cache only when kept for good (a finished build's
        file); anything else, a remembered miss included, is fetched again. This is how a
        pending build's ``finished.json`` is looked for on every run. Offline, the cache's."""
        if _is_finished_json(path):
            return await self._read_finished_json(path, settled=True)
        payload, _ = await self._cached_call(
            self.key("obj", path),
            path,
            lambda: self.inner.read(path),
            _constant(await self._ttl_before_fetch(path)),
            new=self._take_new(path),
            settled=True,
        )
        return payload

    async def _read_finished_json(self, path: str, *, settled: bool = False) -> bytes:
        """A build's ``finished.json``, which tells by existing that the build is finished:
        kept for good when read, a miss kept for the TTL; no listing of the build is needed
        (nor made) to decide, and later reads in the build know the answer."""
        build = path[: -len("finished.json")]
        fetched = False

        async def fetch() -> bytes:
            nonlocal fetched
            payload = await self.inner.read(path)
            fetched = True
            return payload

        async def ttl(_payload: bytes) -> float | None:
            return None if fetched else self.cache.ttl_seconds

        try:
            payload, _ = await self._cached_call(
                self.key("obj", path), path, fetch, ttl, new=self._take_new(path), settled=settled
            )
        except NotFound:
            if build not in self._finished:
                self._running[build] = self.cache.clock()
            raise
        self._finished.add(build)
        self._running.pop(build, None)
        return payload

    async def read(self, path: str, start: int | None = None, end: int | None = None) -> bytes:
        """Whole objects and byte ranges; a range of a cached whole object is cut from it."""
        whole_key = self.key("obj", path)
        if start is None and end is None and _is_finished_json(path) and not self.offline:
            return await self._read_finished_json(path)
        if start is None and end is None:
            ttl = await self._ttl_before_fetch(path)

            async def fetch_whole() -> bytes:
                return await self.inner.read(path)

            new = self._take_new(path)
            payload, _ = await self._cached_call(
                whole_key, path, fetch_whole, _constant(ttl), new=new
            )
            return payload
        # a range is cut from the cached file: checksummed once per run, never loaded whole
        new = self._take_new(path)
        hit = None if new else await self.cache.aget(whole_key, allow_stale=self.offline)
        if hit is not None:
            return _slice_hit(hit, start, end)
        ttl = await self._ttl_before_fetch(path)

        async def fetch_range() -> bytes:
            return await self.inner.read(path, start, end)

        range_key = self.key(f"range:{start}:{end}", path)
        payload, _ = await self._cached_call(range_key, path, fetch_range, _constant(ttl), new=new)
        return payload

    async def _ttl_before_fetch(self, path: str) -> float | None:
        """The TTL decided before fetching (offline nothing is stored, so skip the lookup)."""
        return None if self.offline else await self._ttl_for(path)

    async def stat(self, path: str) -> ObjectInfo:
        """Object metadata, through the cache."""
        ttl = await self._ttl_before_fetch(path)

        async def fetch() -> bytes:
            return json.dumps(_info_to_json(await self.inner.stat(path))).encode()

        key, new = self.key("stat", path), self._take_new(path)
        payload, _ = await self._cached_call(key, path, fetch, _constant(ttl), new=new)
        return _info_from_json(json.loads(payload))

    async def stream(self, path: str, chunk_size: int = 1 << 20) -> AsyncIterator[bytes]:
        """Chunks from the cached copy, or from the server while a copy is written to the
        cache (kept only when the stream completes)."""
        hit = await self._lookup_unless_new(self.key("obj", path), path, load=STREAM_LOAD_BYTES)
        if hit is not None:
            for chunk in hit.chunks(chunk_size):
                yield chunk
            return
        ttl = await self._ttl_for(path)
        key = self.key("obj", path)
        with contextlib.ExitStack() as stack:
            kept: list[bytes] = []  # in memory while the object stays small
            size = crc = 0
            spill = None  # the partial file, once it grows past FILE_THRESHOLD
            async for chunk in self.inner.stream(path, chunk_size):
                crc = checksum(chunk, crc)
                size += len(chunk)
                if spill is None and size >= FILE_THRESHOLD:
                    spill = stack.enter_context(self.cache.partial_file())
                    kept.append(chunk)
                    await asyncio.to_thread(spill[1].writelines, kept)
                    kept = []
                elif spill is not None:
                    await asyncio.to_thread(spill[1].write, chunk)
                else:
                    kept.append(chunk)
                yield chunk
            if spill is None:
                self.cache.put_later(key, b"".join(kept), ttl=ttl)
            else:
                spill[1].flush()
                await asyncio.to_thread(self.cache.put_file, key, spill[0], ttl=ttl, crc=crc)

    async def download_stream(self, path: str, chunk_size: int = 1 << 20) -> AsyncIterator[bytes]:
        """Chunks of ``path`` without keeping a copy: the cached one when there is one, else
        the server's, for a caller that hands the complete download to :meth:`store_file`
        (the log view). Offline, an uncached path raises ``NotCached``."""
        hit = await self._lookup_unless_new(self.key("obj", path), path, load=STREAM_LOAD_BYTES)
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
            await asyncio.to_thread(self.cache.close)  # waits for the writer's last batch


def _is_finished_json(path: str) -> bool:
    """``<build dir>finished.json``."""
    return path.endswith("/finished.json") and build_dir_of(path) == path[: -len("finished.json")]


def _encode_entries(entries: list[Entry]) -> bytes:
    """The cache form of a listing (the rows of :func:`_entry_to_row`, inline: every listing
    of a cold crawl is encoded)."""
    rows = [
        [e.name, e.path, e.is_dir, e.size, None if e.updated is None else e.updated.isoformat()]
        for e in entries
    ]
    return json.dumps(rows).encode()


def _decode_entries(payload: bytes) -> list[Entry]:
    return [_row_to_entry(row) for row in json.loads(payload)]


def _group_by_build(entries: list[Entry]) -> dict[str, list[Entry]]:
    """Entries by the build directory holding them (entries outside builds left out)."""
    groups: dict[str, list[Entry]] = {}
    for entry in entries:
        build = build_dir_of(entry.path)
        if build is not None:
            groups.setdefault(build, []).append(entry)
    return groups


def _constant(value: float | None) -> Callable[[bytes], Awaitable[float | None]]:
    async def ttl(_payload: bytes) -> float | None:
        return value

    return ttl

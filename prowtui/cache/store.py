"""The on-disk cache store: a size-capped, least-recently-used diskcache in the user cache dir.

Every value is bytes, stored with a small header (CRC-32 and length of the payload, when it was
stored, its time-to-live or none for "keep until evicted"). Reads verify the checksum; a
mismatch, a missing file or any diskcache/SQLite error is a miss (the caller fetches again),
never a crash. Payloads of :data:`FILE_THRESHOLD` bytes or more live in their own file in the
store, so a big log can be opened by path (:meth:`Cache.file_path`). diskcache makes it safe
for several prowtui processes to use one store at once.

Stale entries (older than their TTL) are kept, not deleted: offline mode and an unreachable
server still answer from them (``allow_stale=True``). The size cap evicts what is least
recently used.

Reads are cheap enough to run on the event loop (:meth:`Cache.aget`): one SQLite point query
for an entry and its data file, no write. diskcache's own ``get`` under the
least-recently-used policy writes the access time in a transaction on every read; here access
times are kept in memory and written in one transaction (:meth:`Cache.flush_access`) before
this process culls, every :data:`ACCESS_FLUSH_SECONDS` or :data:`ACCESS_FLUSH_ENTRIES`, and at
close, so eviction still drops what was least recently used.

Writes leave the request path (:meth:`Cache.put_later`): a small payload is visible to this
process's lookups at once and written by a background writer thread, many to a transaction
(what gathered in the last :data:`BATCH_LINGER_SECONDS`), so a crawl pays neither a commit
per answer nor a hop to a worker thread per answer, and a put wakes no thread. The
writer is a daemon that exits when idle; :meth:`Cache.flush` and :meth:`Cache.close` wait for
what is queued, and an ``atexit`` hook flushes every cache before the interpreter exits. It
takes the cache's small lock only to hand entries over, never while it writes, and enqueueing
(a ``queue.SimpleQueue``) takes no lock at all, so a finalizer or garbage collection in
another thread never waits on it. SQLite's own locking keeps several processes safe, as for
every other write; a child process made by ``fork`` starts with an empty queue and its own
writer.

This module holds :class:`Cache` (lookups, puts, files) and the user's store; the record
format is in :mod:`prowtui.cache.records`, the writer thread in :mod:`prowtui.cache.writer`,
access times and eviction in :mod:`prowtui.cache.eviction`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import diskcache

from prowtui.cache.eviction import AccessTimes, CacheInfo, _du
from prowtui.cache.records import (
    _DATA_SUFFIX,
    FILE_THRESHOLD,
    STORE_ERRORS,
    STORE_NAME,
    Hit,
    _file_checksum,
    _file_signature,
    _Found,
    _parse_record,
    _record,
    _safe_file_checksum,
    checksum,
)
from prowtui.cache.writer import WriteBehind, _Write
from prowtui.paths import cache_dir

#: file payloads up to this size are read and verified on the event loop by :meth:`Cache.aget`
SYNC_FILE_BYTES = 1 << 20
_SELECT = (
    "SELECT key, mode, filename, value FROM Cache WHERE key IN (?, ?) AND raw = 1"
    " AND (expire_time IS NULL OR expire_time > ?)"
)
_SELECT_EITHER = (
    "SELECT key, mode, filename, value FROM Cache WHERE key IN (?, ?, ?) AND raw = 1"
    " AND (expire_time IS NULL OR expire_time > ?)"
)
_Rows = list[tuple[str, int, str | None, bytes | None]]


def store_dir() -> Path:
    """Where the store lives: ``<user cache dir>/store-v1``."""
    return cache_dir() / STORE_NAME


class Cache(WriteBehind, AccessTimes):
    """A key -> bytes store with TTLs, checksums, a size cap and LRU eviction.

    ``clock`` returns the current time in seconds (tests pass a controllable one); TTLs are
    judged with it. Pass ``directory=None`` for :func:`store_dir`.
    """

    def __init__(
        self,
        directory: Path | None = None,
        *,
        max_size_mb: float = 2048,
        ttl_seconds: float = 300,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.location = Path(directory) if directory is not None else store_dir()
        self.ttl_seconds = ttl_seconds
        self.size_limit = int(max_size_mb * 1024 * 1024)
        self.clock = clock
        self._store: diskcache.Cache | None = self._open()
        self._init_access()
        #: data files checksummed in this run -> their signature then (see :meth:`_trusted`)
        self._verified: dict[Path, tuple[int, ...]] = {}
        self._init_writer()

    def _open(self) -> diskcache.Cache | None:
        settings: dict[str, Any] = {
            "size_limit": self.size_limit,
            "eviction_policy": "least-recently-used",
            "disk_min_file_size": FILE_THRESHOLD,
            # no culling inside each set (diskcache would drop up to cull_limit entries at
            # once); _trim culls least-recently-used entries just until the cap holds
            "cull_limit": 0,
            "timeout": 30,
        }
        try:
            return diskcache.Cache(str(self.location), **settings)
        except STORE_ERRORS:
            pass
        # A damaged database: move it aside once and start afresh.
        with contextlib.suppress(OSError):
            db = self.location / diskcache.core.DBNAME
            db.replace(db.with_name(f"{db.name}.corrupt-{os.getpid()}"))
        try:
            return diskcache.Cache(str(self.location), **settings)
        except STORE_ERRORS:
            return None

    @property
    def available(self) -> bool:
        """False when the store could not be opened (every lookup is then a miss)."""
        return self._store is not None

    def get(self, key: str, *, allow_stale: bool = False, load: int = 0) -> Hit | None:
        """The verified entry under ``key``; None when missing, corrupted or (unless
        ``allow_stale``) older than its TTL. A corrupted entry is deleted.

        A payload kept in a file of at most ``load`` bytes is read into memory and verified in
        the same pass (``Hit.inline`` then holds it), so it is read once, not twice."""
        found = self._find(key, allow_stale)
        return None if found is None else self._verify(found, load)

    async def aget(
        self, key: str, *, allow_stale: bool = False, load: int = 0, _rows: _Rows | None = None
    ) -> Hit | None:
        """:meth:`get` for the event loop: answered on the calling thread when cheap (an
        inline payload, a file of at most :data:`SYNC_FILE_BYTES`, or a file verified before
        in this run and not to be loaded); a big file is read in a worker thread."""
        found = self._find(key, allow_stale, _rows)
        if found is None:
            return None
        file, size = found.file, found.header["n"]
        if file is None or size <= SYNC_FILE_BYTES or (load < size and self._trusted(file)):
            hit = self._verify(found, load)
        else:
            hit = await asyncio.to_thread(self._verify, found, load)
        if self._flush_due():
            await asyncio.to_thread(self.flush_access)
        return hit

    async def aget_either(
        self, key: str, fallback: str, *, allow_stale: bool = False, load: int = 0
    ) -> tuple[Hit | None, Hit | None]:
        """``(hit for key, None)``, else ``(None, hit for fallback or None)``: both looked up
        with one SQLite query (a cold crawl asks for an answer and its "missing" marker)."""
        hit, missing, _ = await self.alookup(key, fallback, allow_stale=allow_stale, load=load)
        return hit, missing

    async def alookup(
        self, key: str, fallback: str, *, allow_stale: bool = False, load: int = 0
    ) -> tuple[Hit | None, Hit | None, bool]:
        """:meth:`aget_either` and whether anything at all is stored under either key (stale,
        damaged or queued entries included): False means neither was ever stored, or both
        were evicted or deleted since."""
        store = self._store
        if store is None:
            return None, None, False
        rows: _Rows | None = None
        if key not in self._pending and fallback not in self._pending:
            try:
                query = (key, key + _DATA_SUFFIX, fallback, time.time())
                rows = store._sql(_SELECT_EITHER, query).fetchall()
            except STORE_ERRORS:
                return None, None, True
            if not rows:  # the usual answer in a cold crawl: nothing more to look at
                return None, None, False
        hit = await self.aget(key, allow_stale=allow_stale, load=load, _rows=rows)
        if hit is not None:
            return hit, None, True
        return None, await self.aget(fallback, allow_stale=allow_stale, _rows=rows), True

    def _find(self, key: str, allow_stale: bool, rows: _Rows | None = None) -> _Found | None:
        """The record under ``key`` and the path of its data file: one SQLite point query
        (or ``rows`` a wider one returned), no write (the access is recorded in memory, see
        :meth:`flush_access`)."""
        store = self._store
        if store is None:
            return None
        queued = self._pending.get(key)
        if queued is not None:
            return self._found_queued(queued, allow_stale)
        data_key = key + _DATA_SUFFIX
        if rows is None:
            try:
                # diskcache's get() writes the access time on every read; read its table
                rows = store._sql(_SELECT, (key, data_key, time.time())).fetchall()
            except STORE_ERRORS:
                return None
        record: bytes | None = None
        data_file: str | None = None
        found_record = False
        for row_key, mode, filename, value in rows:
            if row_key == key:
                found_record = True
                if mode == diskcache.core.MODE_RAW and isinstance(value, bytes):
                    record = value
            elif (
                row_key == data_key
                and mode == diskcache.core.MODE_BINARY
                and isinstance(filename, str)
            ):
                data_file = filename
        if not found_record:
            return None
        parsed = _parse_record(record)
        if parsed is None:
            self.delete(key)
            return None
        header, inline = parsed
        ttl = header.get("ttl")
        fresh = ttl is None or self.clock() - header["t"] <= ttl
        if not fresh and not allow_stale:
            return None
        file: Path | None = None
        if header.get("f"):
            if data_file is None:
                self.delete(key)
                return None
            file = Path(store.directory) / data_file
            self._touch(key, data_key)
        else:
            self._touch(key)
        return _Found(key, header, fresh, inline, file)

    def _found_queued(self, queued: _Write, allow_stale: bool) -> _Found | None:
        """A lookup answered by a write still queued for the background writer."""
        header = queued.header
        ttl = header.get("ttl")
        fresh = ttl is None or self.clock() - header["t"] <= ttl
        if not fresh and not allow_stale:
            return None
        return _Found(queued.key, header, fresh, queued.payload, None)

    def _verify(self, found: _Found, load: int) -> Hit | None:
        """The checked payload of ``found``; None (and the entry deleted) when it is damaged."""
        header, ttl, size = found.header, found.header.get("ttl"), found.header["n"]
        if found.file is None:
            inline = found.inline
            if inline is None or len(inline) != size or checksum(inline) != header["s"]:
                self.delete(found.key)
                return None
            return Hit(header["t"], ttl, found.fresh, size, inline=inline)
        path = found.file
        if load >= size:
            try:
                data = path.read_bytes()
            except OSError:
                data = None
            if data is None or len(data) != size or checksum(data) != header["s"]:
                self.delete(found.key)
                return None
            return Hit(header["t"], ttl, found.fresh, size, inline=data, file=path)
        if not self._trusted(path):
            signature = _file_signature(path)
            if signature is None or _safe_file_checksum(path) != (header["s"], size):
                self.delete(found.key)
                return None
            self._verified[path] = signature
        return Hit(header["t"], ttl, found.fresh, size, file=path)

    def _trusted(self, path: Path) -> bool:
        """True when ``path`` was verified in this run and its inode, size and times are
        unchanged since (a big log is not read whole again for each range or stream)."""
        known = self._verified.get(path)
        return known is not None and known == _file_signature(path)

    def _data_file(self, key: str) -> Path | None:
        store = self._store
        if store is None:
            return None
        try:
            handle = store.get(key + _DATA_SUFFIX, read=True)
        except STORE_ERRORS:
            return None
        if handle is None:
            return None
        name = getattr(handle, "name", None)
        handle.close()
        return Path(name) if isinstance(name, str) else None

    def put(self, key: str, data: bytes, *, ttl: float | None) -> None:
        """Store ``data`` (kept until evicted when ``ttl`` is None). Errors are swallowed:
        a cache that cannot write only makes prowtui slower."""
        store = self._store
        if store is None:
            return
        with self._writer_lock:
            self._pending.pop(key, None)
        header = {"s": checksum(data), "n": len(data), "t": self.clock(), "ttl": ttl}
        try:
            if len(data) >= FILE_THRESHOLD:
                header["f"] = 1
                store.set(key + _DATA_SUFFIX, data)
                store.set(key, _record(header, b""))
            else:
                store.set(key, _record(header, data))
                store.delete(key + _DATA_SUFFIX)
        except STORE_ERRORS:
            self.delete(key)
        self._trim()

    def put_file(
        self, key: str, source: Path, *, ttl: float | None, crc: int | None = None
    ) -> Path | None:
        """Store the contents of the file ``source`` (which is then removed) and return the
        path of the stored copy, or None when it could not be stored. ``crc`` (from
        :func:`checksum` over the bytes) saves reading the file once more."""
        store = self._store
        with self._writer_lock:
            self._pending.pop(key, None)
        try:
            if store is None:
                return None
            if crc is None:
                crc, size = _file_checksum(source)
            else:
                size = source.stat().st_size
            header = {"s": crc, "n": size, "t": self.clock(), "ttl": ttl, "f": 1}
            with source.open("rb") as handle:
                store.set(key + _DATA_SUFFIX, handle, read=True)
            store.set(key, _record(header, b""))
        except STORE_ERRORS:
            self.delete(key)
            return None
        finally:
            with contextlib.suppress(OSError):
                source.unlink()
        self._trim()
        return self._data_file(key)

    def file_path(self, key: str, *, allow_stale: bool = True) -> Path | None:
        """The path of a verified file holding the payload under ``key`` (small payloads are
        written out to a file first); None when not cached."""
        hit = self.get(key, allow_stale=allow_stale)
        if hit is None:
            return None
        if hit.file is not None:
            return hit.file
        fd, tmp = tempfile.mkstemp(prefix="small-", dir=self.temp_dir())
        with os.fdopen(fd, "wb") as handle:
            handle.write(hit.read())
        return self.put_file(key, Path(tmp), ttl=hit.ttl)

    def temp_dir(self) -> Path:
        """A directory on the store's file system for partial downloads."""
        path = self.location / "partial"
        path.mkdir(parents=True, exist_ok=True)
        return path

    @contextlib.contextmanager
    def partial_file(self) -> Iterator[tuple[Path, IO[bytes]]]:
        """A temporary file for a download in progress; removed unless moved in with
        :meth:`put_file`."""
        fd, name = tempfile.mkstemp(prefix="dl-", dir=self.temp_dir())
        path = Path(name)
        try:
            with os.fdopen(fd, "wb") as handle:
                yield path, handle
        finally:
            with contextlib.suppress(OSError):
                path.unlink()

    def delete(self, key: str) -> None:
        """Forget ``key`` (and its file)."""
        store = self._store
        if store is None:
            return
        with self._writer_lock:
            self._pending.pop(key, None)
        for name in (key, key + _DATA_SUFFIX):
            with contextlib.suppress(*STORE_ERRORS):
                store.delete(name)

    def info(self) -> CacheInfo:
        """Location, bytes on disk and number of entries."""
        self.flush()
        store = self._store
        if store is None:
            return CacheInfo(self.location, _du(self.location), 0)
        try:
            data_keys = sum(1 for key in store.iterkeys() if str(key).endswith(_DATA_SUFFIX))
            return CacheInfo(self.location, store.volume(), len(store) - data_keys)
        except STORE_ERRORS:
            return CacheInfo(self.location, _du(self.location), 0)

    def clear(self) -> int:
        """Remove every entry; return how many there were."""
        before = self.info().entries
        with self._writer_lock:
            self._pending.clear()
        with self._access_lock:
            self._access.clear()
        self._verified.clear()
        store = self._store
        if store is not None:
            with contextlib.suppress(*STORE_ERRORS):
                store.clear()
        shutil.rmtree(self.location / "partial", ignore_errors=True)
        return before

    def close(self) -> None:
        """Write queued entries and pending access times and close the database connections
        (they reopen on next use)."""
        self.flush()
        self.flush_access()
        if self._store is not None:
            with contextlib.suppress(*STORE_ERRORS):
                self._store.close()

    def __enter__(self) -> Cache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_cache(config: Any | None = None, *, clock: Callable[[], float] = time.time) -> Cache:
    """The user's store, sized by the config (``prowtui.config.load_config()`` when None)."""
    if config is None:
        from prowtui.config import load_config

        config = load_config()
    return Cache(
        store_dir(),
        max_size_mb=config.cache.max_size_mb,
        ttl_seconds=config.cache.ttl_seconds,
        clock=clock,
    )


def cache_info() -> CacheInfo:
    """Location, size and entry count of the user's store."""
    if not store_dir().exists():
        return CacheInfo(store_dir(), 0, 0)
    with open_cache() as cache:
        return cache.info()


def clear() -> int:
    """Empty the user's store; return how many entries were removed."""
    if not store_dir().exists():
        return 0
    with open_cache() as cache:
        return cache.clear()

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
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import json
import os
import pickle
import queue
import shutil
import sqlite3
import tempfile
import threading
import time
import weakref
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import diskcache

from prowtui.paths import cache_dir

#: sub-directory of the user cache directory holding the store (bump on format change)
STORE_NAME = "store-v1"
#: payloads this big or bigger are kept in a file of their own
FILE_THRESHOLD = 256 * 1024
_MAGIC = b"PT1 "
_DATA_SUFFIX = "\x00data"
_CHUNK = 1 << 20
#: file payloads up to this size are read and verified on the event loop by :meth:`Cache.aget`
SYNC_FILE_BYTES = 1 << 20
#: pending access times are written when this many have gathered ...
ACCESS_FLUSH_ENTRIES = 1024
#: ... or when the oldest is this old (seconds)
ACCESS_FLUSH_SECONDS = 5.0
#: the background writer writes at most this many entries in one transaction ...
BATCH_MAX = 512
#: ... every this many seconds (or at once for a flush): a transaction costs about a
#: millisecond beside some 25 us a row, so a crawl's answers go in a few big ones
BATCH_LINGER_SECONDS = 1.0
#: an idle writer thread exits after this long (a new put starts another)
WRITER_IDLE_SECONDS = 2.0
_SELECT = (
    "SELECT key, mode, filename, value FROM Cache WHERE key IN (?, ?) AND raw = 1"
    " AND (expire_time IS NULL OR expire_time > ?)"
)
_SELECT_EITHER = (
    "SELECT key, mode, filename, value FROM Cache WHERE key IN (?, ?, ?) AND raw = 1"
    " AND (expire_time IS NULL OR expire_time > ?)"
)
_Rows = list[tuple[str, int, str | None, bytes | None]]
#: diskcache's own row for a small raw value (``Cache._row_insert`` / ``_row_update``)
_INSERT = (
    "INSERT INTO Cache(key, raw, store_time, expire_time, access_time, access_count, tag,"
    " size, mode, filename, value) VALUES (?, 1, ?, NULL, ?, 0, NULL, 0, ?, NULL, ?)"
)
_UPDATE = (
    "UPDATE Cache SET store_time = ?, expire_time = NULL, access_time = ?, access_count = 0,"
    " tag = NULL, size = 0, mode = ?, filename = NULL, value = ? WHERE rowid = ?"
)
_KEYS_PER_QUERY = 400
_TOUCH = "UPDATE Cache SET access_time = max(access_time, ?) WHERE key = ? AND raw = 1"
#: what diskcache and SQLite raise on a damaged or busy store
STORE_ERRORS: tuple[type[BaseException], ...] = (
    sqlite3.Error,
    OSError,
    diskcache.Timeout,
    EOFError,
    ValueError,
    pickle.UnpicklingError,
)


def store_dir() -> Path:
    """Where the store lives: ``<user cache dir>/store-v1``."""
    return cache_dir() / STORE_NAME


@dataclass(frozen=True)
class CacheInfo:
    """What ``prowtui cache info`` prints."""

    location: Path
    size_bytes: int
    entries: int

    def to_json(self) -> dict[str, object]:
        """The ``--json`` form."""
        return {
            "location": str(self.location),
            "size_bytes": self.size_bytes,
            "entries": self.entries,
        }


@dataclass(frozen=True)
class Hit:
    """A verified cache entry: the payload inline, the path of the file holding it, or both
    (a file payload read and verified in one pass)."""

    stored_at: float
    ttl: float | None
    fresh: bool
    size: int
    inline: bytes | None = None
    file: Path | None = None

    def read(self) -> bytes:
        """The whole payload."""
        if self.inline is not None:
            return self.inline
        assert self.file is not None
        return self.file.read_bytes()

    def chunks(self, chunk_size: int = _CHUNK) -> Iterator[bytes]:
        """The payload in chunks (a file-backed payload is not read into memory at once)."""
        if self.inline is not None:
            if len(self.inline) <= chunk_size:  # the usual case: no copy
                if self.inline:
                    yield self.inline
                return
            for offset in range(0, len(self.inline), chunk_size):
                yield self.inline[offset : offset + chunk_size]
            return
        assert self.file is not None
        with self.file.open("rb") as handle:
            while chunk := handle.read(chunk_size):
                yield chunk


@dataclass(frozen=True, slots=True)
class _Found:
    """An entry's parsed header and where its payload is, before the payload is checked."""

    key: str
    header: dict[str, Any]
    fresh: bool
    inline: bytes | None
    file: Path | None


@dataclass(eq=False, slots=True)
class _Write:
    """A payload waiting for the background writer (visible to lookups meanwhile)."""

    key: str
    record: bytes
    header: dict[str, Any]
    payload: bytes
    #: keys deleted in the same transaction (e.g. the "missing" marker of a path now found)
    forget: tuple[str, ...] = ()


@dataclass(eq=False, slots=True)
class _Flush:
    """A marker: the writer sets ``done`` once everything queued before it is written."""

    done: threading.Event = field(default_factory=threading.Event)


#: every open cache, flushed at interpreter exit
_LIVE: weakref.WeakSet[Cache] = weakref.WeakSet()


def _flush_all_at_exit() -> None:
    for cache in list(_LIVE):
        with contextlib.suppress(Exception):
            cache.flush(timeout=30.0)


def _reset_after_fork() -> None:
    for cache in list(_LIVE):
        cache._forget_writer()


atexit.register(_flush_all_at_exit)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)


def checksum(data: bytes, previous: int = 0) -> int:
    """CRC-32 of ``data`` (chainable over chunks)."""
    return zlib.crc32(data, previous)


def _file_checksum(path: Path) -> tuple[int, int]:
    crc, size = 0, 0
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            crc = zlib.crc32(chunk, crc)
            size += len(chunk)
    return crc, size


class Cache:
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
        #: key -> when this process last read it (written by :meth:`flush_access`)
        self._access: dict[str, float] = {}
        self._access_since = 0.0
        self._access_lock = threading.Lock()
        #: data files checksummed in this run -> their signature then (see :meth:`_trusted`)
        self._verified: dict[Path, tuple[int, ...]] = {}
        #: key -> the write queued for it (what lookups answer until it is written)
        self._pending: dict[str, _Write] = {}
        self._queue: queue.SimpleQueue[_Write | _Flush] = queue.SimpleQueue()
        self._writer: threading.Thread | None = None
        #: guards starting the writer and handing entries over; reentrant, held for microseconds
        self._writer_lock = threading.RLock()
        #: set by a flush to have the writer write at once
        self._wake = threading.Event()
        _LIVE.add(self)

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

    # -- access times (least-recently-used eviction without a write per read) -----------

    def _touch(self, *keys: str) -> None:
        now = time.time()
        with self._access_lock:
            if not self._access:
                self._access_since = time.monotonic()
            for key in keys:
                self._access[key] = now

    def _flush_due(self) -> bool:
        pending = len(self._access)
        if not pending:
            return False
        waited = time.monotonic() - self._access_since
        return pending >= ACCESS_FLUSH_ENTRIES or waited >= ACCESS_FLUSH_SECONDS

    def flush_access(self) -> None:
        """Write the access times recorded by reads, in one transaction (never moving one
        back). Called before this process culls, periodically by :meth:`aget`, and at close."""
        with self._access_lock:
            pending, self._access = self._access, {}
        store = self._store
        if not pending or store is None:
            return
        rows = [(when, key) for key, when in pending.items()]
        with contextlib.suppress(*STORE_ERRORS), store.transact():
            store._con.executemany(_TOUCH, rows)

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

    def put_later(
        self, key: str, data: bytes, *, ttl: float | None, forget: Iterable[str] = ()
    ) -> None:
        """:meth:`put` without waiting (write-behind): lookups in this process see ``data`` at
        once, the background writer stores it with others in one transaction. ``forget``
        names keys to delete in that transaction. Payloads of :data:`FILE_THRESHOLD` bytes or
        more, which live in files, are written at once."""
        if self._store is None:
            return
        if len(data) >= FILE_THRESHOLD:
            self.put(key, data, ttl=ttl)
            for other in forget:
                self.delete(other)
            return
        header = {"s": checksum(data), "n": len(data), "t": self.clock(), "ttl": ttl}
        write = _Write(key, _record(header, data), header, data, tuple(forget))
        for other in write.forget:
            if other in self._pending:  # forgotten before it was even written
                with self._writer_lock:
                    self._pending.pop(other, None)
        self._pending[key] = write  # a dict store: atomic, no lock
        self._queue.put(write)  # SimpleQueue.put is reentrant: safe from any thread or finalizer
        if self._writer is None:
            self._start_writer()

    def _start_writer(self) -> None:
        with self._writer_lock:
            if self._writer is None:
                self._writer = threading.Thread(
                    target=self._write_behind, name="prowtui-cache-writer", daemon=True
                )
                self._writer.start()

    def _forget_writer(self) -> None:
        """After ``fork``: the child has no writer thread and does not write the parent's queue."""
        self._writer = None
        self._writer_lock = threading.RLock()
        self._wake = threading.Event()
        self._queue = queue.SimpleQueue()
        self._pending = {}

    def _write_behind(self) -> None:
        """The writer thread: every :data:`BATCH_LINGER_SECONDS` (or at once when a flush
        asks), what has been queued, in transactions of up to :data:`BATCH_MAX`; it steps
        down after :data:`WRITER_IDLE_SECONDS` without work. Puts never wake it, so a put
        costs no thread switch."""
        idle_since = time.monotonic()
        while True:
            self._wake.wait(BATCH_LINGER_SECONDS)
            self._wake.clear()
            batch = self._take(BATCH_MAX)
            if batch:
                while batch:
                    self._write_batch(batch)
                    batch = self._take(BATCH_MAX)
                idle_since = time.monotonic()
                continue
            if time.monotonic() - idle_since < WRITER_IDLE_SECONDS:
                continue
            # step down, then look again: a put that saw no writer starts one itself
            self._writer = None
            if self._queue.empty():
                return
            with self._writer_lock:
                if self._writer is not None:
                    return  # a put started another writer meanwhile
                self._writer = threading.current_thread()

    def _take(self, limit: int) -> list[_Write | _Flush]:
        """Up to ``limit`` queued items, without waiting."""
        batch: list[_Write | _Flush] = []
        while len(batch) < limit:
            try:
                batch.append(self._queue.get_nowait())
            except queue.Empty:
                break
        return batch

    def _write_batch(self, batch: list[_Write | _Flush]) -> None:
        """Write ``batch`` in one transaction (best effort: a store error drops it), then wake
        whoever waits on a flush marker in it."""
        writes = [item for item in batch if isinstance(item, _Write)]
        store = self._store
        try:
            if writes and store is not None:
                with contextlib.suppress(*STORE_ERRORS), store.transact():
                    current = [w for w in writes if self._pending.get(w.key) is w]
                    _store_records(store, current)
                self._trim()
        finally:
            with self._writer_lock:
                for write in writes:
                    if self._pending.get(write.key) is write:
                        del self._pending[write.key]
            for item in batch:
                if isinstance(item, _Flush):
                    item.done.set()

    def flush(self, timeout: float | None = None) -> None:
        """Wait until every write queued so far is stored (written here if no writer runs)."""
        if not self._pending and self._queue.empty():
            return
        marker = _Flush()
        self._queue.put(marker)
        writer = self._writer
        if writer is None or not writer.is_alive() or writer is threading.current_thread():
            while not marker.done.is_set():
                batch = self._take(BATCH_MAX)
                if not batch:
                    break
                self._write_batch(batch)
        else:
            self._wake.set()
            marker.done.wait(timeout)

    def _trim(self) -> None:
        """Evict least-recently-used entries while the store is over its size cap."""
        store = self._store
        if store is None:
            return
        with contextlib.suppress(*STORE_ERRORS):
            if store.volume() > self.size_limit:
                self.flush_access()  # eviction must see what this process used
                store.cull()

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


def _existing(store: diskcache.Cache, keys: list[str]) -> dict[str, tuple[int, str | None]]:
    """``key -> (rowid, filename)`` of those ``keys`` the store holds."""
    found: dict[str, tuple[int, str | None]] = {}
    for start in range(0, len(keys), _KEYS_PER_QUERY):
        chunk = keys[start : start + _KEYS_PER_QUERY]
        marks = ", ".join("?" * len(chunk))
        query = f"SELECT key, rowid, filename FROM Cache WHERE raw = 1 AND key IN ({marks})"
        for key, rowid, filename in store._sql(query, chunk).fetchall():
            found[key] = (rowid, filename)
    return found


def _store_records(store: diskcache.Cache, writes: list[_Write]) -> None:
    """Store small records as ``diskcache.Cache.set`` would, inside the caller's transaction,
    with one query to find what exists and one ``executemany`` per statement: a row each is
    inserted or updated (the store's triggers keep its count and size), and each record's
    stale data file and the keys it forgets are deleted through diskcache (their files too)."""
    if not writes:
        return
    others = [k for w in writes for k in (w.key + _DATA_SUFFIX, *w.forget)]
    existing = _existing(store, [w.key for w in writes] + others)
    now = time.time()
    inserts, updates = [], []
    for write in writes:
        row = existing.get(write.key)
        if row is not None and row[1] is not None:  # an old file payload: diskcache removes it
            store.delete(write.key)
            row = None
        value = sqlite3.Binary(write.record)
        if row is None:
            inserts.append((write.key, now, now, diskcache.core.MODE_RAW, value))
        else:
            updates.append((now, now, diskcache.core.MODE_RAW, value, row[0]))
    if inserts:
        store._con.executemany(_INSERT, inserts)
    if updates:
        store._con.executemany(_UPDATE, updates)
    for key in others:
        if key in existing:
            store.delete(key)


#: the header's JSON, compact (one encoder for every record: ``json.dumps`` with options
#: would build another each time)
_encode_header = json.JSONEncoder(separators=(",", ":")).encode


def _record(header: dict[str, Any], payload: bytes) -> bytes:
    return b"".join((_MAGIC, _encode_header(header).encode(), b"\n", payload))


def _parse_record(record: object) -> tuple[dict[str, Any], bytes | None] | None:
    if not isinstance(record, bytes) or not record.startswith(_MAGIC):
        return None
    newline = record.find(b"\n", len(_MAGIC))  # the payload is sliced out once, not copied twice
    if newline < 0:
        return None
    try:
        header = json.loads(record[len(_MAGIC) : newline])
    except ValueError:
        return None
    if not isinstance(header, dict) or not {"s", "n", "t"} <= header.keys():
        return None
    if not isinstance(header["t"], (int, float)) or not isinstance(header["n"], int):
        return None
    return header, (None if header.get("f") else record[newline + 1 :])


def _file_signature(path: Path) -> tuple[int, ...] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _safe_file_checksum(path: Path) -> tuple[int, int] | None:
    try:
        return _file_checksum(path)
    except OSError:
        return None


def _du(path: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            with contextlib.suppress(OSError):
                total += (Path(root) / name).stat().st_size
    return total


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

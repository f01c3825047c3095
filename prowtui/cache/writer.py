"""Write-behind: small payloads leave the request path and are stored by a background thread.

A put (:meth:`WriteBehind.put_later`) is visible to this process's lookups at once and written
by a writer thread, many to a transaction (what gathered in the last
:data:`BATCH_LINGER_SECONDS`), so a crawl pays neither a commit per answer nor a hop to a
worker thread per answer, and a put wakes no thread. The writer is a daemon that exits when
idle; :meth:`WriteBehind.flush` waits for what is queued, and an ``atexit`` hook flushes every
cache before the interpreter exits. It takes the cache's small lock only to hand entries over,
never while it writes, and enqueueing (a ``queue.SimpleQueue``) takes no lock at all, so a
finalizer or garbage collection in another thread never waits on it. SQLite's own locking
keeps several processes safe; a child process made by ``fork`` starts with an empty queue and
its own writer.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import queue
import sqlite3
import threading
import time
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import diskcache

from prowtui.cache.records import _DATA_SUFFIX, FILE_THRESHOLD, STORE_ERRORS, _record, checksum

#: the background writer writes at most this many entries in one transaction ...
BATCH_MAX = 512
#: ... every this many seconds (or at once for a flush): a transaction costs about a
#: millisecond beside some 25 us a row, so a crawl's answers go in a few big ones
BATCH_LINGER_SECONDS = 1.0
#: an idle writer thread exits after this long (a new put starts another)
WRITER_IDLE_SECONDS = 2.0
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


class WriteBehind:
    """The write-behind half of :class:`~prowtui.cache.store.Cache` (a mixin: the cache
    owns the store, :meth:`put`, :meth:`delete` and :meth:`_trim`)."""

    _store: diskcache.Cache | None
    #: key -> the write queued for it (what lookups answer until it is written)
    _pending: dict[str, _Write]
    _queue: queue.SimpleQueue[_Write | _Flush]
    _writer: threading.Thread | None
    #: guards starting the writer and handing entries over; reentrant, held for microseconds
    _writer_lock: threading.RLock
    #: set by a flush to have the writer write at once
    _wake: threading.Event

    def _init_writer(self) -> None:
        """The empty queue, no writer yet; flushed at interpreter exit."""
        self._pending = {}
        self._queue = queue.SimpleQueue()
        self._writer = None
        self._writer_lock = threading.RLock()
        self._wake = threading.Event()
        _LIVE.add(self)

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


#: every open cache, flushed at interpreter exit
_LIVE: weakref.WeakSet[WriteBehind] = weakref.WeakSet()


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

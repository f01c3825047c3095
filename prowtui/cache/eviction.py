"""Least-recently-used eviction without a write per read, and the store's statistics.

Reads record access times in memory; they are written in one transaction
(:meth:`AccessTimes.flush_access`) before this process culls, every
:data:`ACCESS_FLUSH_SECONDS` or :data:`ACCESS_FLUSH_ENTRIES`, and at close, so eviction still
drops what was least recently used. :class:`CacheInfo` is what ``prowtui cache info`` prints.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import diskcache

from prowtui.cache.records import STORE_ERRORS

#: pending access times are written when this many have gathered ...
ACCESS_FLUSH_ENTRIES = 1024
#: ... or when the oldest is this old (seconds)
ACCESS_FLUSH_SECONDS = 5.0
_TOUCH = "UPDATE Cache SET access_time = max(access_time, ?) WHERE key = ? AND raw = 1"


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


class AccessTimes:
    """Access times and eviction for :class:`~prowtui.cache.store.Cache` (a mixin)."""

    _store: diskcache.Cache | None
    size_limit: int
    #: key -> when this process last read it (written by :meth:`flush_access`)
    _access: dict[str, float]
    _access_since: float
    _access_lock: threading.Lock

    def _init_access(self) -> None:
        self._access = {}
        self._access_since = 0.0
        self._access_lock = threading.Lock()

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

    def _trim(self) -> None:
        """Evict least-recently-used entries while the store is over its size cap."""
        store = self._store
        if store is None:
            return
        with contextlib.suppress(*STORE_ERRORS):
            if store.volume() > self.size_limit:
                self.flush_access()  # eviction must see what this process used
                store.cull()


def _du(path: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            with contextlib.suppress(OSError):
                total += (Path(root) / name).stat().st_size
    return total

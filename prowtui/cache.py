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
"""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import shutil
import sqlite3
import tempfile
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
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
    """A verified cache entry: the payload inline, or the path of the file holding it."""

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
            for offset in range(0, len(self.inline), chunk_size):
                yield self.inline[offset : offset + chunk_size]
            return
        assert self.file is not None
        with self.file.open("rb") as handle:
            while chunk := handle.read(chunk_size):
                yield chunk


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

    def get(self, key: str, *, allow_stale: bool = False) -> Hit | None:
        """The verified entry under ``key``; None when missing, corrupted or (unless
        ``allow_stale``) older than its TTL. A corrupted entry is deleted."""
        store = self._store
        if store is None:
            return None
        try:
            record = store.get(key)
        except STORE_ERRORS:
            return None
        if record is None:
            return None
        parsed = _parse_record(record)
        if parsed is None:
            self.delete(key)
            return None
        header, inline = parsed
        age = self.clock() - header["t"]
        ttl = header.get("ttl")
        fresh = ttl is None or age <= ttl
        if not fresh and not allow_stale:
            return None
        size = header["n"]
        if header.get("f"):
            path = self._data_file(key)
            if path is None or _safe_file_checksum(path) != (header["s"], size):
                self.delete(key)
                return None
            return Hit(header["t"], ttl, fresh, size, file=path)
        if inline is None or len(inline) != size or checksum(inline) != header["s"]:
            self.delete(key)
            return None
        return Hit(header["t"], ttl, fresh, size, inline=inline)

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

    def _trim(self) -> None:
        """Evict least-recently-used entries while the store is over its size cap."""
        store = self._store
        if store is None:
            return
        with contextlib.suppress(*STORE_ERRORS):
            if store.volume() > self.size_limit:
                store.cull()

    def put_file(
        self, key: str, source: Path, *, ttl: float | None, crc: int | None = None
    ) -> Path | None:
        """Store the contents of the file ``source`` (which is then removed) and return the
        path of the stored copy, or None when it could not be stored. ``crc`` (from
        :func:`checksum` over the bytes) saves reading the file once more."""
        store = self._store
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
        for name in (key, key + _DATA_SUFFIX):
            with contextlib.suppress(*STORE_ERRORS):
                store.delete(name)

    def info(self) -> CacheInfo:
        """Location, bytes on disk and number of entries."""
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
        store = self._store
        if store is not None:
            with contextlib.suppress(*STORE_ERRORS):
                store.clear()
        shutil.rmtree(self.location / "partial", ignore_errors=True)
        return before

    def close(self) -> None:
        """Close the database connections (they reopen on next use)."""
        if self._store is not None:
            with contextlib.suppress(*STORE_ERRORS):
                self._store.close()

    def __enter__(self) -> Cache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _record(header: dict[str, Any], payload: bytes) -> bytes:
    return _MAGIC + json.dumps(header, separators=(",", ":")).encode() + b"\n" + payload


def _parse_record(record: object) -> tuple[dict[str, Any], bytes | None] | None:
    if not isinstance(record, bytes) or not record.startswith(_MAGIC):
        return None
    head, sep, payload = record[len(_MAGIC) :].partition(b"\n")
    if not sep:
        return None
    try:
        header = json.loads(head)
    except ValueError:
        return None
    if not isinstance(header, dict) or not {"s", "n", "t"} <= header.keys():
        return None
    if not isinstance(header["t"], (int, float)) or not isinstance(header["n"], int):
        return None
    return header, (None if header.get("f") else payload)


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

"""Download a log to a local file as it streams in, and read its tail with a ranged request.

A download is written under a temporary name beside the destination and renamed when
complete, so a partial download never sits under the final name.

Where a log lives locally: a source with an on-disk cache (``cached_file`` / ``store_file``,
i.e. :class:`~prowtui.sources.cached.CachedSource`) keeps exactly one copy, in its cache
(:func:`cached_log` opens it, :func:`download_log` hands a complete download to it). Sources
without a cache download to :func:`log_cache_path`, a directory bounded by :func:`prune_logs`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import secrets
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from prowtui.paths import cache_dir
from prowtui.sources.base import ObjectInfo, Source

ProgressCallback = Callable[[int, "int | None"], None]
StreamFunction = Callable[[str], AsyncIterator[bytes]]

#: downloads kept under ``cache_dir()/logs`` for sources without a cache (most recent first)
LOG_KEEP = 8
#: ... and at most this many bytes of them (the newest one is kept whatever its size)
LOG_KEEP_BYTES = 512 << 20
#: partial downloads older than this are left over from a crash and removed
STALE_PARTIAL_SECONDS = 3600.0


def logs_dir() -> Path:
    """Where downloads of sources without a cache go."""
    return cache_dir() / "logs"


def log_cache_path(source: Source, path: str) -> Path:
    """Where the local copy of ``path`` from ``source`` lives (a hash, never the object name)."""
    try:
        where = source.describe()
    except Exception:
        where = ""
    key = "\0".join((source.kind, source.bucket, where, path)).encode("utf-8", "surrogateescape")
    digest = hashlib.sha256(key).hexdigest()[:40]
    return logs_dir() / digest[:2] / f"{digest}.log"


def partial_path(dest: Path) -> Path:
    """A fresh temporary name beside ``dest`` for a download in progress."""
    return dest.with_name(f".{dest.name}.part-{os.getpid()}-{secrets.token_hex(4)}")


async def fetch_to_file(
    source: Source,
    path: str,
    dest: Path,
    *,
    on_progress: ProgressCallback | None = None,
    on_open: Callable[[Path], None] | None = None,
    total: int | None = None,
    stream: StreamFunction | None = None,
) -> Path:
    """Stream ``path`` into ``dest``; returns ``dest`` once complete.

    ``stream`` replaces ``source.stream`` as the source of chunks. ``on_open(tmp)`` is called
    with the temporary file as soon as the first chunk is written to it (readers may index it
    while it grows); ``on_progress(done, total)`` after every chunk. The event loop gets a turn
    after every chunk. On error or cancellation the temporary file is removed and ``dest`` is
    untouched.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = partial_path(dest)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    done = 0
    opened = False
    try:
        try:
            async for chunk in (stream or source.stream)(path):
                if not chunk:
                    continue
                view = memoryview(chunk)
                while view:
                    written = os.write(fd, view)
                    view = view[written:]
                done += len(chunk)
                if not opened:
                    opened = True
                    if on_open is not None:
                        on_open(tmp)
                if on_progress is not None:
                    on_progress(done, total)
                # a fast stream can deliver chunks without ever suspending: give keys and
                # ranged reads (``G``) a turn of the event loop after every chunk
                await asyncio.sleep(0)
        finally:
            os.close(fd)
        if not opened and on_open is not None:
            on_open(tmp)
        os.replace(tmp, dest)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    if on_progress is not None:
        on_progress(done, done)
    return dest


async def fetch_tail(
    source: Source, path: str, size: int | None, nbytes: int, *, info: ObjectInfo | None = None
) -> tuple[int, bytes] | None:
    """The last ``nbytes`` of ``path`` by a ranged read, as ``(start_offset, data)``.

    Returns None when the object is gzip-encoded (its ranges are not byte ranges of the log)
    or its size is unknown. ``info`` saves a ``stat`` round trip when the caller has it.
    """
    if info is None:
        info = await source.stat(path)
    if info.gzip_encoded:
        return None
    if size is None:
        size = info.size
    if size is None:
        return None
    start = max(0, size - nbytes)
    data = await source.read(path, start=start, end=size)
    return start, data


async def cached_log(source: Source, path: str) -> Path | None:
    """The cache's verified file holding the whole of ``path`` (no download), or None when
    ``source`` has no cache or the object is not in it."""
    finder = getattr(source, "cached_file", None)
    if finder is None:
        return None
    found: Path | None = await finder(path)
    return found


def reusable_download(source: Source, path: str, size: int | None) -> Path | None:
    """A complete earlier download of ``path`` for a source without a cache, when its size
    matches ``size`` (the listing's); it is marked as recently used."""
    if size is None or hasattr(source, "store_file"):
        return None
    dest = log_cache_path(source, path)
    try:
        if not dest.is_file() or dest.stat().st_size != size:
            return None
        os.utime(dest)
    except OSError:
        return None
    return dest


async def download_log(
    source: Source,
    path: str,
    *,
    on_progress: ProgressCallback | None = None,
    on_open: Callable[[Path], None] | None = None,
    total: int | None = None,
) -> Path | None:
    """Download ``path`` once, to the one place it is kept, and return that file.

    With a cache (``store_file``) the chunks come from ``source.download_stream`` (which keeps
    no copy of its own) into the cache's temporary directory, and the complete file is handed
    to the cache, which decides how long to keep it; the return value is the cached file, or
    None when the cache did not keep it (readers that opened the download keep reading it
    through their open descriptor). Without a cache the file goes to :func:`log_cache_path`
    and older downloads are pruned (:func:`prune_logs`).
    """
    store = getattr(source, "store_file", None)
    if store is None:
        dest = log_cache_path(source, path)
        done = await fetch_to_file(
            source, path, dest, on_progress=on_progress, on_open=on_open, total=total
        )
        await asyncio.to_thread(prune_logs, protect=done)
        return done
    temp_dir: Path = await asyncio.to_thread(source.download_dir)  # type: ignore[attr-defined]
    dest = temp_dir / f"log-{os.getpid()}-{secrets.token_hex(8)}"
    await fetch_to_file(
        source,
        path,
        dest,
        on_progress=on_progress,
        on_open=on_open,
        total=total,
        stream=source.download_stream,  # type: ignore[attr-defined]
    )
    try:
        kept: Path | None = await store(path, dest)
    finally:
        with contextlib.suppress(OSError):
            dest.unlink()
    return kept


def prune_logs(
    *,
    protect: Path | None = None,
    keep: int = LOG_KEEP,
    max_bytes: int = LOG_KEEP_BYTES,
    now: float | None = None,
) -> list[Path]:
    """Bound :func:`logs_dir`: keep the ``keep`` most recently used downloads within
    ``max_bytes`` (``protect``, the one being shown, always stays), remove partial downloads
    left by a crash. Returns the removed files."""
    root = logs_dir()
    if not root.is_dir():
        return []
    now = time.time() if now is None else now
    logs: list[tuple[float, int, Path]] = []
    removed: list[Path] = []
    for file in root.glob("*/*"):
        try:
            info = file.stat()
        except OSError:
            continue
        if file.name.startswith("."):
            if now - info.st_mtime > STALE_PARTIAL_SECONDS and _unlink(file):
                removed.append(file)
        elif file.suffix == ".log":
            logs.append((info.st_mtime, info.st_size, file))
    logs.sort(key=lambda item: (item[2] == protect, item[0]), reverse=True)
    kept = used = 0
    for _mtime, size, file in logs:
        if file == protect or (kept < keep and used + size <= max_bytes):
            kept += 1
            used += size
        elif _unlink(file):
            removed.append(file)
    return removed


def _unlink(file: Path) -> bool:
    try:
        file.unlink()
    except OSError:
        return False
    return True

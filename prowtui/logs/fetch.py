"""Download a log to a local file as it streams in, and read its tail with a ranged request.

A download is written under a temporary name beside the destination and renamed when
complete, so a partial download never sits under the final name. :func:`log_cache_path` is
the single place that decides where a remote log is kept locally.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import secrets
from collections.abc import Callable
from pathlib import Path

from prowtui.paths import cache_dir
from prowtui.sources.base import ObjectInfo, Source

ProgressCallback = Callable[[int, "int | None"], None]


def log_cache_path(source: Source, path: str) -> Path:
    """Where the local copy of ``path`` from ``source`` lives (a hash, never the object name)."""
    try:
        where = source.describe()
    except Exception:
        where = ""
    key = "\0".join((source.kind, source.bucket, where, path)).encode("utf-8", "surrogateescape")
    digest = hashlib.sha256(key).hexdigest()[:40]
    return cache_dir() / "logs" / digest[:2] / f"{digest}.log"


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
) -> Path:
    """Stream ``path`` into ``dest``; returns ``dest`` once complete.

    ``on_open(tmp)`` is called with the temporary file as soon as the first chunk is written
    to it (readers may index it while it grows); ``on_progress(done, total)`` after every
    chunk. The event loop gets a turn after every chunk. On error or cancellation the temporary
    file is removed and ``dest`` is untouched.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = partial_path(dest)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    done = 0
    opened = False
    try:
        try:
            async for chunk in source.stream(path):
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

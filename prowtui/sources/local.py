"""A local directory laid out like a bucket (a ``gcloud storage cp -r`` mirror, the demo tree).

Keys map to paths below ``root``; nothing outside ``root`` is ever reachable: ``..`` or empty
segments, absolute paths, NUL bytes and symlinks that resolve outside ``root`` all give
:class:`NotFound`. A backslash is an ordinary name character where ``/`` is the only
separator (POSIX: ``a\\..\\b`` is one file name, listed and read like any other); where the
OS also splits on it (Windows), a key containing one is refused. A file holding gzip bytes
whose name has no gzip extension is a gzip-encoded object (:func:`looks_gzip_encoded`): reads
return the decompressed bytes while listings keep the stored size, as GCS does.
"""

from __future__ import annotations

import asyncio
import gzip
import mimetypes
import os
import stat as stat_mod
import zlib
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from prowtui.errors import BadResponse, NotFound, ProwtuiError, SourceError
from prowtui.sources.base import Entry, ObjectInfo, normalize_dir, sort_entries
from prowtui.sources.encoding import GZIP_MAGIC, gunzip, looks_gzip_encoded, slice_range


def mtime_utc(seconds: float) -> datetime:
    """A file modification time as an aware UTC datetime truncated to whole seconds."""
    return datetime.fromtimestamp(int(seconds), tz=UTC)


class LocalSource:
    """A :class:`~prowtui.sources.base.Source` over a directory tree; file I/O runs in threads."""

    def __init__(self, root: Path | str, bucket: str = "", kind: str = "local") -> None:
        self.root = Path(root)
        self.bucket = bucket
        self.kind = kind
        self._real_root = os.path.realpath(self.root)

    def describe(self) -> str:
        """A one-line description."""
        name = f" (bucket {self.bucket})" if self.bucket else ""
        return f"{self.kind} directory {self.root}{name}"

    # -- path safety ---------------------------------------------------------------------

    def _resolve(self, key: str, *, directory: bool) -> Path:
        """The filesystem path of ``key``, or NotFound when it is malformed or escapes root."""
        return self._resolve_real(key, directory=directory)[0]

    def _resolve_real(self, key: str, *, directory: bool) -> tuple[Path, str]:
        """:meth:`_resolve`'s path and the real path it resolves to."""
        bad = not isinstance(key, str) or "\x00" in key or key.startswith("/")
        bad = (
            bad or (os.altsep is not None and os.altsep in key) or (os.sep != "/" and os.sep in key)
        )
        parts = key.rstrip("/").split("/") if key.rstrip("/") else []
        if directory and key.endswith("//"):
            bad = True
        if not directory and key.endswith("/"):
            raise NotFound(f"{key}: is a directory, not an object", key)
        if bad or any(part in ("", ".", "..") for part in parts):
            raise NotFound(f"{key}: no such path", key)
        path = self.root.joinpath(*parts)
        real = os.path.realpath(path)
        if real != self._real_root and not real.startswith(self._real_root + os.sep):
            raise NotFound(f"{key}: no such path", key)
        return path, real

    # -- listing -------------------------------------------------------------------------

    async def list(self, path: str) -> list[Entry]:
        """List one level; directories have no size or time, files their stored size.

        Like every backend, leading slashes are dropped (``normalize_dir``), so ``"/logs"``
        lists ``<root>/logs``; object paths for ``read``/``stat`` must be relative.
        """
        prefix = normalize_dir(path)
        directory = self._resolve(prefix, directory=True)
        return await asyncio.to_thread(self._list_sync, directory, prefix)

    def _list_sync(self, directory: Path, prefix: str) -> list[Entry]:
        if not directory.is_dir():
            if directory.is_file():
                raise NotFound(f"{prefix.rstrip('/')}: is a file, not a directory", prefix)
            raise NotFound(f"{prefix or '/'}: no such directory", prefix)
        entries: list[Entry] = []
        try:
            with os.scandir(directory) as it:
                children = list(it)
        except OSError as exc:
            raise SourceError(f"{prefix or '/'}: cannot list ({exc.strerror})", prefix) from exc
        for child in children:
            if child.is_symlink() and not self._inside_root(child.path):
                continue
            try:
                info = child.stat()
            except OSError:
                continue  # a dangling symlink or a file removed meanwhile
            if stat_mod.S_ISDIR(info.st_mode):
                entries.append(Entry(child.name + "/", prefix + child.name + "/", True))
            elif stat_mod.S_ISREG(info.st_mode):
                entries.append(
                    Entry(
                        child.name,
                        prefix + child.name,
                        False,
                        info.st_size,
                        mtime_utc(info.st_mtime),
                    )
                )
        return sort_entries(entries)

    def _inside_root(self, path: str) -> bool:
        real = os.path.realpath(path)
        return real == self._real_root or real.startswith(self._real_root + os.sep)

    # -- objects -------------------------------------------------------------------------

    def _open_checked(self, key: str) -> tuple[Path, os.stat_result, bool]:
        """Path, stat and whether the file is gzip-encoded; NotFound unless a regular file."""
        path = self._resolve(key, directory=False)
        try:
            info = path.stat()
        except OSError as exc:
            raise NotFound(f"{key}: no such object", key) from exc
        if stat_mod.S_ISDIR(info.st_mode):
            raise NotFound(f"{key}: is a directory, not an object", key)
        if not stat_mod.S_ISREG(info.st_mode):
            raise NotFound(f"{key}: not a regular file", key)
        with path.open("rb") as handle:
            head = handle.read(len(GZIP_MAGIC))
        return path, info, looks_gzip_encoded(path.name, head)

    def files_below(
        self, prefix: str, wanted: Callable[[str], bool]
    ) -> list[tuple[Entry, str | None]]:
        """Every regular file below ``prefix`` whose key ``wanted`` accepts, with the path of
        the file on disk holding exactly its bytes (None when it is stored gzip-encoded), for
        tools that read files themselves (``prowtui search`` hands them to rg). Synchronous
        (run it in a thread): one ``scandir`` per directory. Contained like every other
        access: symlinks that leave the root are skipped, linked directories are not
        followed."""
        prefix = normalize_dir(prefix)
        top = self._resolve(prefix, directory=True)
        if not top.is_dir():
            raise NotFound(f"{prefix or '/'}: no such directory", prefix)
        found: list[tuple[Entry, str | None]] = []
        pending: list[tuple[str, str]] = [(str(top), prefix)]
        while pending:
            directory, key = pending.pop()
            try:
                with os.scandir(directory) as it:
                    children = list(it)
            except OSError as exc:
                raise SourceError(f"{key or '/'}: cannot list ({exc.strerror})", key) from exc
            for child in children:
                link = child.is_symlink()
                if link and not self._inside_root(child.path):
                    continue
                if child.is_dir(follow_symlinks=False):
                    pending.append((child.path, f"{key}{child.name}/"))
                    continue
                name = key + child.name
                if not wanted(name):
                    continue
                try:
                    info = child.stat()
                    if not stat_mod.S_ISREG(info.st_mode):
                        continue
                    with open(child.path, "rb") as handle:
                        head = handle.read(len(GZIP_MAGIC))
                except OSError:
                    continue  # a dangling symlink or a file removed meanwhile
                entry = Entry(child.name, name, False, info.st_size, mtime_utc(info.st_mtime))
                plain = None if looks_gzip_encoded(child.name, head) else child.path
                found.append((entry, plain))
        return found

    def read_many(self, keys: Sequence[str]) -> dict[str, bytes]:
        """Several whole (decompressed) objects in one synchronous call (run it in a thread),
        for tools that read many small files at once (``prowtui search``'s ``started.json`` and
        ``finished.json``: one thread call instead of one per file). An object that cannot be
        read is left out; :meth:`read` tells why."""
        found: dict[str, bytes] = {}
        #: each directory resolved once (a build's two files share theirs)
        real_dirs: dict[str, str | None] = {}
        for key in keys:
            try:
                data = self._read_plain(key, real_dirs)
                found[key] = self._read_sync(key, None, None) if data is None else data
            except (ProwtuiError, OSError):
                continue
        return found

    def _read_plain(self, key: str, real_dirs: dict[str, str | None]) -> bytes | None:
        """The whole object when ``key`` names a regular file (not a link) in a directory
        inside the root, read with one open; None when the checked path has to tell
        (anything else: a link, a malformed key, a directory, a missing file)."""
        parent, _, name = key.rpartition("/")
        if not parent or name in ("", ".", "..") or "\x00" in name:
            return None
        if parent not in real_dirs:
            try:
                real_dirs[parent] = self._resolve_real(parent + "/", directory=True)[1]
            except ProwtuiError:
                real_dirs[parent] = None
        real_parent = real_dirs[parent]
        if real_parent is None or (os.altsep is not None and os.altsep in name):
            return None
        if os.sep != "/" and os.sep in name:
            return None
        path = os.path.join(real_parent, name)
        try:
            info = os.lstat(path)
        except OSError:
            return None
        if not stat_mod.S_ISREG(info.st_mode):
            return None
        with open(path, "rb") as handle:
            data = handle.read()
        if looks_gzip_encoded(name, data[: len(GZIP_MAGIC)]):
            return gunzip(data, key)
        return data

    async def stat(self, path: str) -> ObjectInfo:
        """Size (stored), modification time, a guessed content type and the encoding."""
        return await asyncio.to_thread(self._stat_sync, path)

    def _stat_sync(self, key: str) -> ObjectInfo:
        path, info, encoded = self._open_checked(key)
        content_type, _ = mimetypes.guess_type(path.name)
        return ObjectInfo(
            path=key,
            size=info.st_size,
            updated=mtime_utc(info.st_mtime),
            content_type=content_type or "application/octet-stream",
            content_encoding="gzip" if encoded else None,
        )

    async def read(self, path: str, start: int | None = None, end: int | None = None) -> bytes:
        """The decompressed object, or bytes ``[start, end)`` of it."""
        return await asyncio.to_thread(self._read_sync, path, start, end)

    def _read_sync(self, key: str, start: int | None, end: int | None) -> bytes:
        path, _, encoded = self._open_checked(key)
        if encoded:
            return slice_range(gunzip(path.read_bytes(), key), start, end)
        if start is None and end is None:
            return path.read_bytes()
        if (start or 0) < 0 or (end is not None and end < 0):
            return slice_range(path.read_bytes(), start, end)
        begin = start or 0
        with path.open("rb") as handle:
            handle.seek(begin)
            return handle.read() if end is None else handle.read(max(0, end - begin))

    async def stream(self, path: str, chunk_size: int = 1 << 20) -> AsyncIterator[bytes]:
        """Yield decompressed chunks; gzip-encoded files are decompressed incrementally."""
        file_path, _, encoded = await asyncio.to_thread(self._open_checked, path)
        handle = await asyncio.to_thread(
            gzip.open if encoded else open,
            file_path,
            "rb",  # type: ignore[arg-type]
        )
        try:
            while True:
                try:
                    chunk = await asyncio.to_thread(handle.read, chunk_size)
                except (OSError, EOFError, zlib.error) as exc:
                    raise BadResponse(f"{path}: broken gzip stream ({exc})", path) from exc
                if not chunk:
                    return
                yield chunk
        finally:
            await asyncio.to_thread(handle.close)

    async def aclose(self) -> None:
        """Nothing to release."""

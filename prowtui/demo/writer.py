"""Writing the tree: files with fixed mtimes, directories dated by their newest file, the atomic
swap into place and the version stamp beside the tree."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path


class TreeWriter:
    """Writes files below a root, remembering mtimes so directories get fixed ones too."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._dir_mtimes: dict[Path, float] = {}

    def write(self, rel: str, data: bytes | str, mtime: float) -> None:
        """Write ``data`` at ``root/rel`` dated ``mtime``."""
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode() if isinstance(data, str) else data)
        os.utime(path, (mtime, mtime))
        parent = path.parent
        while True:
            self._dir_mtimes[parent] = max(self._dir_mtimes.get(parent, 0.0), mtime)
            if parent == self.root:
                break
            parent = parent.parent

    def finish(self) -> None:
        """Give every directory the newest mtime below it (deepest first)."""
        for directory in sorted(self._dir_mtimes, key=lambda p: len(p.parts), reverse=True):
            os.utime(directory, (self._dir_mtimes[directory], self._dir_mtimes[directory]))


def temporary_sibling(dest: Path, purpose: str) -> Path:
    """A unique hidden path beside ``dest`` (``.<name>.<purpose>-<pid>-<random>``)."""
    return dest.parent / f".{dest.name}.{purpose}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


def replace_dir(tmp: Path, dest: Path) -> None:
    """Rename ``tmp`` to ``dest``, moving an older ``dest`` aside first."""
    if dest.exists():
        old = temporary_sibling(dest, "old")
        try:
            os.rename(dest, old)
        except FileNotFoundError:
            pass  # another process moved it aside already
        else:
            shutil.rmtree(old, ignore_errors=True)
    try:
        os.rename(tmp, dest)
    except OSError:
        # another process renamed its finished tree into place first; keep that one
        if not dest.is_dir():
            raise


def stamp_path(dest: Path) -> Path:
    """Where the version stamp of the tree at ``dest`` lives (beside it, not inside)."""
    return dest.parent / f"{dest.name}.stamp"


def write_stamp(dest: Path, text: str) -> None:
    """Replace the stamp of ``dest`` atomically."""
    stamp = stamp_path(dest)
    tmp = stamp.with_name(f".{stamp.name}.{os.getpid()}")
    tmp.write_text(text)
    os.replace(tmp, stamp)


def read_stamp(dest: Path) -> str | None:
    """The stamp text of ``dest``, or None when there is no tree or no readable stamp."""
    try:
        return stamp_path(dest).read_text() if dest.is_dir() else None
    except OSError:
        return None

"""The one source protocol every backend implements, and the value types it returns.

Paths are bucket-relative object keys: no leading slash, ``""`` is the bucket root,
directories end with ``/`` (inputs to ``list`` may omit it).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable


@dataclass(frozen=True, slots=True)
class Entry:
    """One row of a listing.

    ``name`` is the last path segment, with a trailing ``/`` for directories (as gcsweb shows
    it); ``path`` is the full key (directories end with ``/``). ``size`` is the stored size in
    bytes (compressed size for gzip-encoded objects), ``None`` for directories. ``updated`` is
    an aware UTC datetime or ``None`` when unknown.
    """

    name: str
    path: str
    is_dir: bool
    size: int | None = None
    updated: datetime | None = None

    def to_json(self) -> dict[str, object]:
        """The ``prowtui ls --json`` form of this entry."""
        return {
            "name": self.name,
            "path": self.path,
            "is_dir": self.is_dir,
            "size": None if self.is_dir else self.size,
            "updated": self.updated.strftime("%Y-%m-%dT%H:%M:%SZ") if self.updated else None,
        }


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    """Metadata of one object, as ``stat`` returns it."""

    path: str
    size: int | None
    updated: datetime | None = None
    content_type: str | None = None
    content_encoding: str | None = None

    @property
    def gzip_encoded(self) -> bool:
        """True when the stored bytes are gzip and reads must decompress them."""
        return (self.content_encoding or "").lower() == "gzip"


@runtime_checkable
class Source(Protocol):
    """List and read a bucket. Every method is async; implementations bound their concurrency.

    Errors are :class:`prowtui.errors.SourceError` subclasses: ``NotFound`` for a missing
    path (never an empty listing), ``AccessDenied``, ``Unreachable``, ``BadResponse``.
    """

    #: short kind name: "gcsweb", "gcs", "local", "demo", ...
    kind: str
    #: bucket name ("" for a local directory without one)
    bucket: str

    def describe(self) -> str:
        """A one-line human description (for headers and messages)."""
        ...

    async def list(self, path: str) -> list[Entry]:
        """List ``path`` one level deep, ordered by :func:`sort_entries`."""
        ...

    async def read(self, path: str, start: int | None = None, end: int | None = None) -> bytes:
        """Read an object (decompressed), or bytes ``[start, end)`` of its decompressed form."""
        ...

    async def stat(self, path: str) -> ObjectInfo:
        """Metadata of one object."""
        ...

    def stream(self, path: str, chunk_size: int = 1 << 20) -> AsyncIterator[bytes]:
        """Yield the object's decompressed bytes in chunks as they arrive."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...


def normalize_dir(path: str) -> str:
    """Turn a user path into a directory prefix: no leading slash, trailing slash unless root."""
    path = path.lstrip("/")
    if path and not path.endswith("/"):
        path += "/"
    return path


def join_path(prefix: str, name: str) -> str:
    """Join a directory prefix and an entry name."""
    return normalize_dir(prefix) + name


def sort_entries(entries: Iterable[Entry]) -> list[Entry]:
    """gcsweb order: directories first, then files, each sorted by name (lexicographic)."""
    return sorted(entries, key=lambda e: (not e.is_dir, e.name))

"""The cache's on-disk record format: a header (CRC-32 and length of the payload, when it
was stored, its time-to-live) then the payload, or only the header when the payload lives in a
file of its own; the checksums that verify them; the errors a damaged store raises.

Bump :data:`STORE_NAME` when this format changes.
"""

from __future__ import annotations

import json
import pickle
import sqlite3
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import diskcache

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

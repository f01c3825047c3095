"""How gzip-encoded objects are recognised in a directory tree and decoded.

GCS stores ``x.txt`` uploaded with ``-z`` as gzip bytes with ``Content-Encoding: gzip``. In a
local tree (the demo bucket, a test fixture) such an object is a file holding gzip bytes
whose name does not end in a gzip extension. Every backend and the test servers use this one
rule, so the same tree looks the same through each of them.
"""

from __future__ import annotations

import gzip
import zlib

from prowtui.errors import BadResponse

GZIP_MAGIC = b"\x1f\x8b"
_GZIP_SUFFIXES = (".gz", ".tgz", ".gzip", ".z")


def looks_gzip_encoded(name: str, head: bytes) -> bool:
    """True when a stored object should be served as ``Content-Encoding: gzip``."""
    return head.startswith(GZIP_MAGIC) and not name.lower().endswith(_GZIP_SUFFIXES)


def gunzip(data: bytes, path: str = "") -> bytes:
    """Decompress a whole gzip stream; a broken stream raises BadResponse naming the path."""
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as exc:
        raise BadResponse(f"{path or 'object'}: broken gzip stream ({exc})", path) from exc


def slice_range(data: bytes, start: int | None, end: int | None) -> bytes:
    """Bytes ``[start, end)`` of ``data`` (None means from the start / to the end)."""
    return data[(start or 0) : end]

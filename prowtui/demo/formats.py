"""Text formats of the demo content: timestamps, Go durations, compact and tabbed JSON."""

from __future__ import annotations

import functools
import json
from datetime import datetime, timezone


@functools.lru_cache(maxsize=65536)
def utc_strftime(second: int, fmt: str) -> str:
    """``second`` (epoch, UTC) formatted with ``fmt``, cached (logs repeat seconds a lot)."""
    return datetime.fromtimestamp(second, timezone.utc).strftime(fmt)


def iso(ts: float) -> str:
    """RFC 3339 to the second: ``2021-02-25T01:02:03Z``."""
    return utc_strftime(int(ts), "%Y-%m-%dT%H:%M:%SZ")


def slash(ts: float) -> str:
    """The early ci-operator log stamp: ``2021/02/25 01:02:03``."""
    return utc_strftime(int(ts), "%Y/%m/%d %H:%M:%S")


def klog(ts: float) -> str:
    """The e2e (klog) stamp with milliseconds: ``Feb 25 01:02:03.456``."""
    return f"{utc_strftime(int(ts), '%b %d %H:%M:%S')}.{int(ts * 1000) % 1000:03d}"


def utc_format(ts: float, fmt: str) -> str:
    """``ts`` (epoch seconds, UTC) formatted with ``fmt``, uncached."""
    return datetime.fromtimestamp(ts, timezone.utc).strftime(fmt)


def release_stamp(build_start: float) -> str:
    """The CI payload stamp of a build's ``latest`` release (two hours before it started)."""
    return utc_format(build_start - 7200, "%Y-%m-%d-%H%M%S")


def go_duration(seconds: float) -> str:
    """Go's time.Duration formatting (1h2m3.5s)."""
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    out = f"{int(h)}h" if h >= 1 else ""
    if h >= 1 or m >= 1:
        out += f"{int(m)}m"
    return out + (f"{s:.9f}".rstrip("0").rstrip(".") + "s")


def compact_json(obj: object) -> bytes:
    """JSON without spaces (how Prow's uploaders write most files)."""
    return json.dumps(obj, separators=(",", ":")).encode()


def tabbed_json(obj: object) -> bytes:
    """JSON indented with tabs (crier's and the pod utilities' files)."""
    return json.dumps(obj, indent="\t").encode()

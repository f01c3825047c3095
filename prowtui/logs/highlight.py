"""Which log lines are error lines, and finding the next one in a big file.

The defaults follow the spirit of Spyglass's build-log highlighting: words like ``error``,
``fail``, ``panic``, ``fatal``, ``timeout`` (case-insensitive), logrus ``level=error`` and
``ERRO[``, klog ``E0102 …`` prefixes and Ginkgo's ``[FAILED]``. Patterns are bytes regexes
applied per line; callers may pass their own list (from the config file).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Sequence

from prowtui.errors import UsageError
from prowtui.logs.index import LineIndex

#: (pattern, case_sensitive)
DEFAULT_PATTERNS: tuple[tuple[str, bool], ...] = (
    (r"\berrors?\b", False),
    (r"\bfail(?:s|ed|ure|ures|ing)?\b", False),
    (r"\bpanic(?:ked|s)?\b", False),
    (r"\bfatal\b", False),
    (r"\btime(?:d)? ?out\b", False),
    (r"\btimed out\b", False),
    (r"level=(?:error|fatal|panic)\b", False),
    (r"\b(?:ERRO|FATA|PANI)\[", True),
    (r"^[EF]\d{4} \d\d:\d\d:\d\d", True),
    (r"\[FAILED\]", True),
)

#: bytes scanned per step by :func:`next_error`
CHUNK = 1 << 20


class ErrorPatterns:
    """A compiled set of error-line patterns."""

    def __init__(self, patterns: Sequence[tuple[str, bool] | str] = DEFAULT_PATTERNS) -> None:
        parts: list[str] = []
        for item in patterns:
            source, case = (item, False) if isinstance(item, str) else item
            try:
                re.compile(source)
            except re.error as exc:
                raise UsageError(f"bad error pattern {source!r}: {exc}") from exc
            parts.append(f"(?:{source})" if case else f"(?i:{source})")
        self.sources = [p if isinstance(p, str) else p[0] for p in patterns]
        joined = "|".join(parts) or r"(?!x)x"
        self.regex: re.Pattern[bytes] = re.compile(
            joined.encode("utf-8", "surrogateescape"), re.MULTILINE
        )

    def is_error_line(self, line: bytes) -> bool:
        """True when the line matches one of the patterns."""
        return self.regex.search(line) is not None


DEFAULT = ErrorPatterns()


def is_error_line(line: bytes, patterns: ErrorPatterns = DEFAULT) -> bool:
    """True when ``line`` is an error line under ``patterns`` (the defaults if omitted)."""
    return patterns.is_error_line(line)


def next_error(
    index: LineIndex,
    from_line: int,
    direction: int = 1,
    *,
    patterns: ErrorPatterns = DEFAULT,
    cancelled: Callable[[], bool] = lambda: False,
) -> int | None:
    """The first error line after (``direction=1``) or before (``-1``) ``from_line``, or None.

    Scans the indexed part of the file in 1 MB chunks cut at line boundaries, so it can run
    in a worker thread and be cancelled between chunks.
    """
    count = index.line_count
    if count == 0:
        return None
    starts = index.starts_snapshot()
    if direction >= 0:
        if from_line + 1 >= count:
            return None
        pos = index.line_span(max(0, from_line + 1))[0]
        stop = index.line_span(count - 1)[1]
        while pos < stop and not cancelled():
            chunk = index.read_range(pos, min(stop, pos + CHUNK))
            if not chunk:
                return None
            if pos + len(chunk) < stop:
                cut = chunk.rfind(b"\n")
                if cut > 0:
                    chunk = chunk[: cut + 1]
            m = patterns.regex.search(chunk)
            if m is not None:
                return bisect_right(starts, pos + m.start()) - 1
            pos += len(chunk)
        return None
    if from_line <= 0:
        return None
    end = index.line_span(min(from_line, count) - 1)[1]
    while end > 0 and not cancelled():
        start = max(0, end - CHUNK)
        chunk = index.read_range(start, end)
        if start > 0:
            first_nl = chunk.find(b"\n")
            if 0 <= first_nl < len(chunk) - 1:
                chunk = chunk[first_nl + 1 :]
                start += first_nl + 1
        last = None
        for m in patterns.regex.finditer(chunk):
            last = m
        if last is not None:
            return bisect_right(starts, start + last.start()) - 1
        end = start
    return None

"""Search a :class:`~prowtui.logs.index.LineIndex` for a literal or a regex, in batches.

:func:`iter_hits` is meant to run in a worker thread: it reads the file in chunks cut at line
boundaries, yields sorted batches of matching line numbers (each line once) as it goes, follows
the index while the file is still being indexed or downloaded, and stops when ``cancelled()``
returns True.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from prowtui.errors import UsageError
from prowtui.logs.index import LineIndex

#: bytes searched per step (cut back to the last newline)
CHUNK = 4 << 20


@dataclass(frozen=True)
class Query:
    """What to look for: a literal unless ``regex``; ``case`` makes it case-sensitive."""

    text: str
    regex: bool = False
    case: bool = False

    def compile(self) -> re.Pattern[bytes] | None:
        """The bytes regex for a regex or case-insensitive query, None for a case-sensitive
        literal (searched with ``bytes.find``); raises UsageError for a bad pattern."""
        if not self.regex and self.case:
            return None
        source = self.text.encode("utf-8", "surrogateescape")
        if not self.regex:
            source = re.escape(source)
        flags = re.MULTILINE | (0 if self.case else re.IGNORECASE)
        try:
            return re.compile(source, flags)
        except re.error as exc:
            raise UsageError(f"bad regex: {exc}") from exc

    def matcher(self) -> Callable[[bytes], bool]:
        """A predicate telling whether one line matches (used for highlighting)."""
        pattern = self.compile()
        if pattern is None:
            needle = self.text.encode("utf-8", "surrogateescape")
            return lambda line: needle in line
        return lambda line: pattern.search(line) is not None

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Character spans of matches in a decoded line (for highlighting hits)."""
        if not self.text:
            return []
        source = self.text if self.regex else re.escape(self.text)
        try:
            pattern = re.compile(source, 0 if self.case else re.IGNORECASE)
        except re.error:
            return []
        return [m.span() for m in pattern.finditer(text) if m.end() > m.start()]


def _chunk_hits(
    chunk: bytes, base: int, query: Query, pattern: re.Pattern[bytes] | None, starts
) -> list[int]:
    """Line numbers matching in ``chunk`` (which starts at file offset ``base``)."""
    hits: list[int] = []
    if pattern is None or (not query.regex and query.text.isascii()):
        needle = query.text.encode("utf-8", "surrogateescape")
        if not query.case:  # ASCII case folding keeps offsets; as fast as a plain find
            needle = needle.lower()
            chunk = chunk.lower()
        if not needle:
            return hits
        find = chunk.find
        eol = chunk.find
        pos = find(needle)
        while pos != -1:
            hits.append(bisect_right(starts, base + pos) - 1)
            nl = eol(b"\n", pos)
            if nl == -1:
                break
            pos = find(needle, nl + 1)
        return hits
    search = pattern.search
    m = search(chunk)
    while m is not None:
        pos = m.start()
        hits.append(bisect_right(starts, base + pos) - 1)
        nl = chunk.find(b"\n", max(pos, m.end() - 1))
        if nl == -1:
            break
        m = search(chunk, nl + 1)
    return hits


def iter_hits(
    index: LineIndex,
    query: Query,
    *,
    cancelled: Callable[[], bool] = lambda: False,
    follow: bool = True,
) -> Iterator[list[int]]:
    """Yield batches of matching line numbers in file order, each line once.

    With ``follow`` the search waits for the index to grow until it is done; without, it stops
    at what is indexed now.
    """
    pattern = query.compile()
    if not query.text:
        return
    pos = 0
    last_line = -1
    while not cancelled():
        covered = index.indexed_bytes
        done = index.done
        if pos >= covered:
            if done or not follow:
                return
            index.wait(nbytes=pos + 1, timeout=0.2)
            continue
        end = min(covered, pos + CHUNK)
        chunk = index.read_range(pos, end)
        if not chunk:
            return
        if end < covered or not done:
            cut = chunk.rfind(b"\n")
            if cut == -1:
                if end < covered:  # one line longer than CHUNK: take it whole
                    line = index.line_of_offset(pos)
                    line_end = index.line_span(line)[1]
                    if line_end <= covered:
                        chunk = index.read_range(pos, line_end + 1)
                        cut = len(chunk) - 1
                if cut == -1:
                    if done or not follow:
                        cut = len(chunk) - 1
                    else:
                        index.wait(nbytes=covered + 1, timeout=0.2)
                        continue
            chunk = chunk[: cut + 1]
        starts = index.starts_snapshot()
        hits = [h for h in _chunk_hits(chunk, pos, query, pattern, starts) if h > last_line]
        pos += len(chunk)
        if hits:
            # a multi-line regex may report a line twice; keep order and uniqueness
            unique = sorted(set(hits))
            last_line = unique[-1]
            yield unique


def search_all(index: LineIndex, query: Query) -> list[int]:
    """All matching line numbers of a fully indexed file (waits for the index)."""
    index.wait_done()
    return [line for batch in iter_hits(index, query) for line in batch]


def filter_with_context(hits: Iterable[int], context: int = 2, line_count: int | None = None):
    """Sorted unique line numbers: every hit with ``context`` lines before and after it."""
    lines: list[int] = []
    last = -1
    for hit in sorted(set(hits)):
        first = max(hit - context, last + 1, 0)
        stop = hit + context + 1
        if line_count is not None:
            stop = min(stop, line_count)
        lines.extend(range(first, stop))
        if stop - 1 > last:
            last = stop - 1
    return lines

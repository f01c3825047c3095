"""Candidate lines: the error-looking lines of a log, found while it streams.

The log layer's error patterns (:mod:`prowtui.logs.highlight`, the ones the viewer highlights,
plus the config's ``[logs] error_patterns``) are searched over each arriving chunk cut at its
last line break, so a 40 MB log is scanned at regex speed and never held whole: only the
partial last line is carried to the next chunk (and cut at :data:`MAX_LINE_BYTES`). Each
matching line is cleaned and masked; within one build a masked line is kept once (its first
occurrence), up to :data:`MAX_PER_BUILD` distinct lines. Masking is the costly part, so a line
equal to an earlier line of the build but for its digits is not masked again (its masked form
would almost always be the same).
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from prowtui.logs.highlight import DEFAULT_PATTERNS, ErrorPatterns
from prowtui.triage.masking import clean, mask

#: bytes of one line that are looked at (the rest of a longer line is skipped)
MAX_LINE_BYTES = 64 * 1024
#: distinct masked candidate lines kept per build
MAX_PER_BUILD = 5_000
#: lines (but for their digits) remembered per build, to skip masking repeats
MAX_SEEN = 50_000
#: lines of one junit failure message that become candidates
MAX_MESSAGE_LINES = 40


_DIGITS = b"0123456789"


@dataclass(frozen=True, slots=True)
class Candidate:
    """One candidate line: masked text, where it is (line 1-based, None for junit) and the
    cleaned original text."""

    masked: str
    path: str
    line: int | None
    text: str


class LineSelector:
    """Where the error lines of a block are: the viewer's patterns (its defaults plus
    ``extra``, the config's ``[logs] error_patterns``), run by RE2.

    Python's ``re`` runs the viewer's alternation of case-insensitive, word-bounded patterns
    at a few MB/s; RE2 (google-re2) runs it at well over 100 MB/s with the same matches on
    bytes. A pattern RE2 cannot compile (look-around, back-references) runs in ``re``.
    """

    def __init__(self, extra: Sequence[str] = ()) -> None:
        import re2

        ErrorPatterns(extra)  # a bad pattern is a UsageError, as in the viewer
        options = re2.Options()
        options.log_errors = False
        fast: list[bytes] = []
        slow: list[bytes] = []
        for source, case in (*DEFAULT_PATTERNS, *((p, False) for p in extra)):
            part = (f"(?:{source})" if case else f"(?i:{source})").encode(
                "utf-8", "surrogateescape"
            )
            try:
                re2.compile(part, options)
            except re2.error:
                slow.append(part)
            else:
                fast.append(part)
        # one match per error line, spanning it: far fewer Python calls than one per word
        self._fast: Any = (
            re2.compile(b"(?m)^[^\n]*(?:" + b"|".join(fast) + b")[^\n]*", options) if fast else None
        )
        self._slow = re.compile(b"|".join(slow), re.MULTILINE) if slow else None

    def spans(self, block: bytes) -> Iterator[tuple[int, int]]:
        """``(start, end)`` of each error line of ``block`` (complete lines), in order; ``end``
        is where its line break is."""
        fast = (m.span() for m in self._fast.finditer(block)) if self._fast is not None else None
        if self._slow is None:
            return fast or iter(())
        slow = (_line_of(block, m.start()) for m in self._slow.finditer(block))
        if fast is None:
            return _unique(slow)
        return _unique(heapq.merge(fast, slow))

    def is_error_line(self, line: bytes) -> bool:
        """True when one line matches."""
        return next(self.spans(line), None) is not None


def _line_of(block: bytes, at: int) -> tuple[int, int]:
    end = block.find(b"\n", at)
    return block.rfind(b"\n", 0, at) + 1, len(block) if end < 0 else end


def _unique(spans: Iterable[tuple[int, int]]) -> Iterator[tuple[int, int]]:
    last = -1
    for start, end in spans:
        if start > last:
            last = start
            yield start, end


class BuildCandidates:
    """The distinct candidate lines of one build, first occurrence first."""

    def __init__(self, selector: LineSelector, limit: int = MAX_PER_BUILD) -> None:
        self.selector = selector
        self.limit = limit
        self.lines: dict[str, Candidate] = {}
        self.dropped = 0
        self.scanned_bytes = 0
        self._seen: set[bytes] = set()

    def add_raw(self, raw: bytes, path: str, line: int | None) -> None:
        """Keep one log line, unless the build has had the same line but for its digits."""
        key = raw.translate(None, _DIGITS)
        if key in self._seen:
            return
        if len(self._seen) < MAX_SEEN:
            self._seen.add(key)
        self.add(raw.decode("utf-8", "replace"), path, line)

    def add(self, raw: str, path: str, line: int | None) -> None:
        """Keep one line (unless its masked form is already kept, or the build is full)."""
        text = clean(raw)
        if not text:
            return
        masked = mask(text)
        if not masked or masked in self.lines:
            return
        if len(self.lines) >= self.limit:
            self.dropped += 1
            return
        self.lines[masked] = Candidate(masked, path, line, text)

    def merge(self, other: BuildCandidates) -> None:
        """Add ``other``'s lines (another file of the build) after this build's own."""
        self.scanned_bytes += other.scanned_bytes
        self.dropped += other.dropped
        for masked, candidate in other.lines.items():
            if masked in self.lines:
                continue
            if len(self.lines) >= self.limit:
                self.dropped += 1
                continue
            self.lines[masked] = candidate

    def scanner(self, path: str) -> LineScanner:
        """A scanner that adds the error lines of the log at ``path`` to this build."""
        return LineScanner(self, path)

    def add_message(self, message: str, path: str) -> None:
        """A junit failure message: its error lines (else its first line), no line number."""
        lines = [line for line in message.splitlines() if line.strip()][:MAX_MESSAGE_LINES]
        chosen = [line for line in lines if self.selector.is_error_line(line.encode())]
        for line in chosen or lines[:1]:
            self.add(line, path, None)


class LineScanner:
    """Feed a log's chunks in order; error lines go to the build's candidates."""

    def __init__(self, build: BuildCandidates, path: str) -> None:
        self.build = build
        self.path = path
        self._carry = b""
        self._skipping = False  # inside an over-long line, after its first MAX_LINE_BYTES
        self._line = 0  # lines before the start of the carried bytes

    def feed(self, chunk: bytes) -> None:
        """Scan the complete lines that ``chunk`` finishes."""
        self.build.scanned_bytes += len(chunk)
        cut = chunk.rfind(b"\n")
        if cut < 0:
            self._extend(chunk)
            return
        if self._skipping:
            first_nl = chunk.find(b"\n")
            block = self._carry + b"\n" + chunk[first_nl + 1 : cut + 1]
            self._skipping = False  # the rest of the over-long line is dropped
        else:
            block = self._carry + chunk[: cut + 1]
        self._carry = b""
        self._scan(block)
        self._extend(chunk[cut + 1 :])

    def finish(self) -> None:
        """Scan the last line when the log does not end with a line break."""
        if self._carry:
            self._scan(self._carry + b"\n")
            self._carry = b""

    def _extend(self, tail: bytes) -> None:
        if self._skipping or not tail:
            return
        room = MAX_LINE_BYTES - len(self._carry)
        if len(tail) > room:
            self._carry += tail[:room]
            self._skipping = True
        else:
            self._carry += tail

    def _scan(self, block: bytes) -> None:
        """Every line of ``block`` (complete lines) that matches a pattern."""
        counted_to = 0
        line = self._line
        add = self.build.add_raw
        for start, end in self.build.selector.spans(block):
            line += block.count(b"\n", counted_to, start)
            counted_to = start
            add(block[start : min(end, start + MAX_LINE_BYTES)], self.path, line + 1)
        self._line = line + block.count(b"\n", counted_to)

"""A line index over a (possibly still growing) log file, built by a background thread.

Line starts are kept in an ``array('Q')`` (8 bytes a line). The scanner reads the file in
fixed chunks into one reused buffer (``os.preadv``) and finds the newlines with numpy, which
releases the GIL for the read and the scan, so the UI thread is never starved while a big file
is indexed; temporary memory is bounded by the chunk size. It works the same for a finished file
and for one that is being downloaded: :meth:`LineIndex.notify` tells it that more bytes were
written and :meth:`LineIndex.finish` that no more will come. Lines are read on demand with
``os.pread``.

A line is the bytes between two ``\\n``; the ``\\n`` is not part of it, a trailing ``\\r`` is
dropped by :meth:`LineIndex.read_line`. A last line without a final newline is a line; a file
ending in ``\\n`` has no empty line after it.
"""

from __future__ import annotations

import os
import threading
from array import array
from bisect import bisect_right
from pathlib import Path

import numpy as np

#: the first chunk is small so that the first screen is indexed within a millisecond
FIRST_CHUNK = 64 << 10
#: later chunks: small enough to stay in the CPU cache (2 MiB measured fastest, ~1.6 GB/s of
#: CPU on the bench's logs, against 8 MiB and more) and to bound temporary memory
CHUNK = 2 << 20
_NEWLINE = 10


class LineIndex:
    """Line-start offsets of ``path``, filled by a daemon thread; every accessor is thread-safe.

    ``growing=True`` means the file is still being written: the scanner waits for
    :meth:`notify` / :meth:`finish` instead of stopping at the current end of file.
    ``chunk_size`` is the scanner's read size (tests use tiny ones to hit chunk edges).
    """

    def __init__(
        self,
        path: Path | str,
        *,
        growing: bool = False,
        start: bool = True,
        chunk_size: int = CHUNK,
    ) -> None:
        self.path = Path(path)
        self._chunk_size = max(1, chunk_size)
        self._fd = os.open(self.path, os.O_RDONLY)
        self._starts = array("Q", [0])
        self._scanned = 0
        self._growing = growing
        self._done = False
        self._closed = False
        self._error: str | None = None
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._thread = threading.Thread(target=self._scan, name="log-index", daemon=True)
        if start:
            self._thread.start()

    # -- producer side -------------------------------------------------------------------
    def notify(self) -> None:
        """More bytes were appended to the file: scan them."""
        with self._changed:
            self._changed.notify_all()

    def finish(self) -> None:
        """The file is complete: scan to its end and then mark the index done."""
        with self._changed:
            self._growing = False
            self._changed.notify_all()

    def close(self) -> None:
        """Stop the scanner and close the file; later reads return empty bytes."""
        with self._changed:
            self._closed = True
            self._changed.notify_all()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=2)
        fd, self._fd = self._fd, -1
        if fd >= 0:
            os.close(fd)

    def _scan(self) -> None:
        size = self._chunk_size
        buffer = np.empty(size, np.uint8)
        found = np.empty(size, np.bool_)
        first = min(FIRST_CHUNK, size)
        try:
            while True:
                with self._changed:
                    if self._closed:
                        return
                    offset = self._scanned
                    fd = self._fd
                want = first or size
                first = 0
                count = os.preadv(fd, [memoryview(buffer)[:want]], offset)
                if not count:
                    with self._changed:
                        if self._closed:
                            return
                        if not self._growing:
                            # a last read after finish() closes the race with the writer
                            if os.fstat(fd).st_size > offset:
                                continue
                            self._done = True
                            self._changed.notify_all()
                            return
                        self._changed.wait(timeout=0.5)
                    continue
                new = self._line_starts(buffer[:count], found[:count], offset)
                with self._changed:
                    self._starts.frombytes(new)
                    self._scanned = offset + count
                    self._changed.notify_all()
        except OSError as exc:
            with self._changed:
                self._error = f"cannot read {self.path.name}: {exc.strerror or exc}"
                self._done = True
                self._changed.notify_all()

    @staticmethod
    def _line_starts(chunk: np.ndarray, found: np.ndarray, offset: int) -> memoryview:
        """Native ``uint64`` bytes of the line starts after each newline in ``chunk``."""
        np.equal(chunk, _NEWLINE, out=found)
        starts = np.flatnonzero(found).view(np.uint64)
        starts += offset + 1
        return memoryview(starts.view(np.uint8))

    # -- consumer side -------------------------------------------------------------------
    @property
    def line_count(self) -> int:
        """Lines known so far (a partial last line counts)."""
        with self._lock:
            return len(self._starts) - 1 + (self._scanned > self._starts[-1])

    @property
    def indexed_bytes(self) -> int:
        """Bytes of the file scanned so far."""
        with self._lock:
            return self._scanned

    @property
    def done(self) -> bool:
        """True once the whole (finished) file has been indexed."""
        with self._lock:
            return self._done

    @property
    def error(self) -> str | None:
        """A one-line reason when reading the file failed, else None."""
        with self._lock:
            return self._error

    def wait(self, *, lines: int | None = None, nbytes: int | None = None, timeout: float) -> bool:
        """Block until ``lines`` lines / ``nbytes`` bytes are indexed or done; True if reached."""

        def ready() -> bool:
            count = len(self._starts) - 1 + (self._scanned > self._starts[-1])
            return (
                self._done
                or (lines is not None and count >= lines)
                or (nbytes is not None and self._scanned >= nbytes)
            )

        with self._changed:
            return self._changed.wait_for(ready, timeout=timeout)

    def wait_done(self, timeout: float | None = None) -> bool:
        """Block until the index is complete (or ``timeout`` seconds passed)."""
        with self._changed:
            return self._changed.wait_for(lambda: self._done, timeout=timeout)

    def line_span(self, i: int) -> tuple[int, int]:
        """Byte range ``[start, end)`` of line ``i`` without its ``\\n``."""
        with self._lock:
            starts = self._starts
            n = len(starts) - 1 + (self._scanned > starts[-1])
            if not 0 <= i < n:
                raise IndexError(f"line {i} out of range (0..{n - 1})")
            start = starts[i]
            end = starts[i + 1] - 1 if i + 1 < len(starts) else self._scanned
        return start, end

    def line_of_offset(self, offset: int) -> int:
        """The line holding byte ``offset`` (offsets past the end map to the last line)."""
        with self._lock:
            return max(0, bisect_right(self._starts, offset) - 1)

    def starts_snapshot(self) -> array:
        """The line starts as an array the caller may read without locking (do not modify)."""
        with self._lock:
            return self._starts

    def read_line(self, i: int, max_bytes: int | None = None) -> bytes:
        """The bytes of line ``i`` (``\\r`` before the newline dropped), at most ``max_bytes``."""
        start, end = self.line_span(i)
        length = end - start
        if max_bytes is not None and length > max_bytes:
            return self.read_range(start, start + max_bytes)
        data = self.read_range(start, end)
        return data[:-1] if data.endswith(b"\r") else data

    def line_length(self, i: int) -> int:
        """Length in bytes of line ``i`` (without ``\\r\\n``)."""
        start, end = self.line_span(i)
        if end > start and self.read_range(end - 1, end) == b"\r":
            end -= 1
        return end - start

    def read_lines(self, first: int, count: int) -> list[bytes]:
        """Up to ``count`` lines from ``first`` in one read (for scanning, not for huge lines)."""
        n = self.line_count
        last = min(n, first + count) - 1
        if last < first:
            return []
        start = self.line_span(first)[0]
        end = self.line_span(last)[1]
        lines = self.read_range(start, end).split(b"\n")
        return [line[:-1] if line.endswith(b"\r") else line for line in lines]

    def file_size(self) -> int:
        """Current size of the file on disk (0 once closed)."""
        fd = self._fd
        try:
            return os.fstat(fd).st_size if fd >= 0 else 0
        except OSError:
            return 0

    def read_range(self, start: int, end: int) -> bytes:
        """Bytes ``[start, end)`` of the file."""
        fd = self._fd
        if fd < 0 or end <= start:
            return b""
        try:
            return os.pread(fd, end - start, start)
        except OSError:
            return b""

    def __enter__(self) -> LineIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

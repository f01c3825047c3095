"""The original analysis's text measures of a build log (chars, words, lines).

``get_counts`` is the notebook's function: an empty or missing log counts ``0, 0, 0``;
otherwise chars = ``len(text)``, words = ``len(text.split())``, lines =
``text.count("\\n") + 1``. Bytes are decoded as UTF-8 with replacement characters.
:class:`StreamingCounts` gives the same numbers for a log fed in chunks, so a 40 MB log never
has to be held as one string.
"""

from __future__ import annotations

import codecs


def decode_log(data: bytes | str | None) -> str:
    """Text of a log: bytes decoded as UTF-8 with replacement, ``None`` as ``""``."""
    if data is None:
        return ""
    if isinstance(data, str):
        return data
    return data.decode("utf-8", errors="replace")


def get_counts(text: bytes | str | None) -> tuple[int, int, int]:
    """``(chars, words, lines)`` exactly as the notebook's ``get_counts``."""
    text = decode_log(text)
    if not text:
        return 0, 0, 0
    return len(text), len(text.split()), text.count("\n") + 1


class StreamingCounts:
    """Feed a log's bytes in chunks; :meth:`result` equals ``get_counts`` of the whole."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._chars = 0
        self._words = 0
        self._newlines = 0
        self._in_word = False
        self._done = False

    def feed(self, chunk: bytes) -> None:
        """Count one chunk of bytes."""
        self._count(self._decoder.decode(chunk))

    def _count(self, text: str) -> None:
        if not text:
            return
        self._chars += len(text)
        self._newlines += text.count("\n")
        words = len(text.split())
        # A word cut by the chunk boundary was already counted with the previous chunk.
        if words and self._in_word and not text[0].isspace():
            words -= 1
        self._words += words
        self._in_word = not text[-1].isspace()

    def result(self) -> tuple[int, int, int]:
        """The ``(chars, words, lines)`` of everything fed so far (finishes the decoder)."""
        if not self._done:
            self._count(self._decoder.decode(b"", final=True))
            self._done = True
        if self._chars == 0:
            return 0, 0, 0
        return self._chars, self._words, self._newlines + 1

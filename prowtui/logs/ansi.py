"""Turn one raw log line into a Rich ``Text``: ANSI SGR colours kept, everything else inert.

Only ``ESC [ <params> m`` (SGR: colours, bold, italic, underline, reset, ...) is interpreted.
Every other escape or control sequence (OSC 52 clipboard writes, window titles, ``ESC[2J``,
cursor moves, hyperlinks), control characters and bidi overrides are shown escaped through
:func:`prowtui.safetext.inert`. The ``Text`` is built from plain strings, so markup-like
content (``[bold]``, ``[@click=app.quit]``) stays literal. Very long lines are cut with a
visible ``…[+N chars]`` marker.
"""

from __future__ import annotations

import re
from contextlib import suppress
from functools import lru_cache

from rich.ansi import SGR_STYLE_MAP
from rich.color import Color
from rich.style import Style
from rich.text import Text

from prowtui.safetext import inert

#: characters of one line that are rendered; the rest is summarised by the marker
LINE_LIMIT = 10_000
TAB_SIZE = 8
MARKER_STYLE = Style(dim=True, italic=True)

_SGR = re.compile(r"\x1b\[([0-9;:]{0,64})m")
_NULL = Style()


def decode(data: bytes) -> str:
    """UTF-8 with replacement characters for invalid bytes."""
    return data.decode("utf-8", "replace")


@lru_cache(maxsize=1024)
def apply_sgr(style: Style, params: str) -> Style:
    """The style after one SGR sequence with ``params`` (``"1;31"``) is applied to ``style``."""
    codes = [
        min(255, int(code) if code else 0)
        for code in params.replace(":", ";").split(";")
        if code.isdigit() or code == ""
    ]
    it = iter(codes)
    for code in it:
        if code == 0:
            style = _NULL
        elif code in SGR_STYLE_MAP:
            style += Style.parse(SGR_STYLE_MAP[code])
        elif code in (38, 48):
            with suppress(StopIteration):
                kind = next(it)
                if kind == 5:
                    color = Color.from_ansi(next(it))
                elif kind == 2:
                    color = Color.from_rgb(next(it), next(it), next(it))
                else:
                    continue
                style += Style(color=color) if code == 38 else Style(bgcolor=color)
    return style


def _expand_tabs(text: str, column: int) -> tuple[str, int]:
    """Expand tabs in ``text`` that starts at ``column``; returns the text and the end column."""
    if "\t" not in text:
        return text, column + len(text)
    out: list[str] = []
    for i, part in enumerate(text.split("\t")):
        if i:
            pad = TAB_SIZE - column % TAB_SIZE
            out.append(" " * pad)
            column += pad
        out.append(part)
        column += len(part)
    return "".join(out), column


def ansi_to_text(
    data: bytes | str,
    *,
    limit: int = LINE_LIMIT,
    hidden: int = 0,
    base_style: Style | None = None,
) -> Text:
    """Render one line (no newline) to an inert ``Text`` with SGR styles applied.

    ``hidden`` is a count of characters the caller did not even read (a huge line read only
    in part); it is added to the ``…[+N chars]`` marker.
    """
    line = decode(data) if isinstance(data, bytes) else data
    cut = 0
    if len(line) > limit:
        cut = len(line) - limit
        line = line[:limit]
    cut += hidden
    text = Text(style=base_style or "", no_wrap=True, end="")
    append = text.append
    style = _NULL
    column = 0
    pos = 0
    for match in _SGR.finditer(line) if "\x1b" in line else ():
        if match.start() > pos:
            chunk, column = _expand_tabs(inert(line[pos : match.start()]), column)
            append(chunk, style or None)
        style = apply_sgr(style, match.group(1))
        pos = match.end()
    if pos < len(line):
        chunk, column = _expand_tabs(inert(line[pos:]), column)
        append(chunk, style or None)
    if cut:
        append(f" …[+{cut:,} chars]", MARKER_STYLE)
    return text

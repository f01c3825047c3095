"""Helpers to build table cells and values from untrusted data (always ``Text``, never markup)."""

from __future__ import annotations

from datetime import datetime, timezone

from rich.cells import cell_len
from rich.text import Text

from prowtui.safetext import inert

#: header cells that are not title: the command-palette icon, " — " and a margin
HEADER_CHROME = 8 + 3 + 2


def cell(value: object, style: str = "", *, limit: int = 300) -> Text:
    """A table cell from any value: inert, one line, cut at ``limit`` characters."""
    if value is None:
        return Text("")
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        return Text(moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S"), style=style)
    text = inert(value)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return Text(text, style=style)


def sort_key(value: object) -> tuple[int, object]:
    """A key that sorts None last and keeps numbers numeric, everything else as text."""
    if value is None or value == "":
        return (2, "")
    if isinstance(value, bool):
        return (0, int(value))
    if isinstance(value, (int, float)):
        return (0, value)
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        return (0, moment.timestamp())
    return (1, str(value))


def ellipsize_middle(text: Text, width: int) -> Text:
    """``text`` cut to ``width`` cells by replacing its middle with ``…`` (styles kept), so
    both the start and the end of a long name stay readable."""
    if width <= 0:
        return Text("")
    if text.cell_len <= width:
        return text
    if width == 1:
        return Text("…")
    keep = width - 1
    head_cells = (keep + 1) // 2
    tail_cells = keep - head_cells
    plain = text.plain
    head, used = 0, 0
    while head < len(plain) and used + cell_len(plain[head]) <= head_cells:
        used += cell_len(plain[head])
        head += 1
    tail, used = len(plain), 0
    while tail > head and used + cell_len(plain[tail - 1]) <= tail_cells:
        used += cell_len(plain[tail - 1])
        tail -= 1
    return Text.assemble(text[:head], ("…", "dim"), text[tail:])


def ellipsize_start(value: str, width: int) -> str:
    """``value`` cut to ``width`` cells from the left (``…tail``): the end of a path is the
    part that tells it apart."""
    if width <= 0:
        return ""
    if cell_len(value) <= width:
        return value
    out: list[str] = []
    used = 1
    for char in reversed(value):
        size = cell_len(char)
        if used + size > width:
            break
        out.append(char)
        used += size
    return "…" + "".join(reversed(out))


def ellipsize_end(text: Text, width: int) -> Text:
    """``text`` cut to ``width`` cells, ending in ``…`` when cut."""
    if text.cell_len <= width:
        return text
    cut = text.copy()
    cut.truncate(max(0, width), overflow="ellipsis")
    return cut

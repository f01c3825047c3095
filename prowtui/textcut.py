"""Cutting names and paths to a width, shared by the explorer and ``ls``."""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text


def middle_cut(plain: str, width: int) -> tuple[int, int] | None:
    """Where to cut ``plain`` to fit ``width`` (>= 2) cells with ``…`` in its middle: the
    head ends and the tail starts at the returned indices; None when it already fits."""
    if plain.isascii() and plain.isprintable():  # one cell a character: no measuring
        if len(plain) <= width:
            return None
        keep = width - 1
        head_cells = (keep + 1) // 2
        return head_cells, len(plain) - (keep - head_cells)
    if cell_len(plain) <= width:
        return None
    keep = width - 1
    head_cells = (keep + 1) // 2
    tail_cells = keep - head_cells
    head, used = 0, 0
    while head < len(plain) and used + cell_len(plain[head]) <= head_cells:
        used += cell_len(plain[head])
        head += 1
    tail, used = len(plain), 0
    while tail > head and used + cell_len(plain[tail - 1]) <= tail_cells:
        used += cell_len(plain[tail - 1])
        tail -= 1
    return head, tail


def ellipsize_middle(text: Text, width: int) -> Text:
    """``text`` cut to ``width`` cells by replacing its middle with ``…`` (styles kept), so
    both the start and the end of a long name stay readable."""
    if width <= 0:
        return Text("")
    if width == 1:
        return text if text.cell_len <= 1 else Text("…")
    cut = middle_cut(text.plain, width)
    if cut is None:
        return text
    head, tail = cut
    plain = text.plain
    if not text.spans:  # one style: no slicing of spans
        style = text.style
        return Text.assemble((plain[:head], style), ("…", "dim"), (plain[tail:], style))
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

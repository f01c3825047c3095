"""Cutting a styled name to a width in the middle, shared by the explorer's tree and ``ls``."""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text


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
    if plain.isascii() and plain.isprintable():  # one cell a character: no measuring
        tail = len(plain) - tail_cells
        if not text.spans:  # one style: no slicing of spans either
            style = text.style
            return Text.assemble((plain[:head_cells], style), ("…", "dim"), (plain[tail:], style))
        return Text.assemble(text[:head_cells], ("…", "dim"), text[tail:])
    head, used = 0, 0
    while head < len(plain) and used + cell_len(plain[head]) <= head_cells:
        used += cell_len(plain[head])
        head += 1
    tail, used = len(plain), 0
    while tail > head and used + cell_len(plain[tail - 1]) <= tail_cells:
        used += cell_len(plain[tail - 1])
        tail -= 1
    return Text.assemble(text[:head], ("…", "dim"), text[tail:])

"""Helpers to build table cells and values from untrusted data (always ``Text``, never markup)."""

from __future__ import annotations

from datetime import datetime, timezone

from rich.text import Text

from prowtui.safetext import inert
from prowtui.textcut import ellipsize_middle, ellipsize_start

__all__ = ["cell", "ellipsize_end", "ellipsize_middle", "ellipsize_start", "sort_key"]

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


def ellipsize_end(text: Text, width: int) -> Text:
    """``text`` cut to ``width`` cells, ending in ``…`` when cut."""
    if text.cell_len <= width:
        return text
    cut = text.copy()
    cut.truncate(max(0, width), overflow="ellipsis")
    return cut

"""The history strip: one coloured cell per build, oldest → newest, wrapped like text.

A cell's colour is the build's result; a failed build takes the colour of its ``cause`` (the
most telling signature of that build), so "the same cause every time?" is one look. Builds
in :attr:`HistoryStrip.marked` (those with the selected signature, or where the selected
test failed) carry a dot. With the focus, a cursor walks the builds (←/→ one build, ↑/↓ one
row) and ``enter`` selects one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from math import ceil
from typing import ClassVar

from rich.color import Color
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from prowtui.analysis.jobs_overview import RESULT_COLORS
from prowtui.triage.model import BuildHistory, TriageReport

#: results that count as failed (as in ``stats``)
FAILED_RESULTS = frozenset({"FAILURE", "ERROR", "ABORTED"})
#: colours given to causes, the cause of the most failed builds first
CAUSE_PALETTE: tuple[str, ...] = (
    "#e5484d",  # red
    "#f76b15",  # orange
    "#a35ee0",  # purple
    "#e2b203",  # amber
    "#3b82f6",  # blue
    "#e93d82",  # pink
    "#b07d62",  # brown
    "#d946ef",  # fuchsia
)
#: the colour of causes beyond the palette
OTHER_CAUSE = "#b05050"
#: at most this many rows; older builds beyond them are left out (and said so)
MAX_ROWS = 6


def cause_colors(report: TriageReport) -> dict[str, str]:
    """Signature id → colour for every cause, the cause of the most failed builds first
    (ties in the report's signature order)."""
    counts = Counter(h.cause for h in report.history if h.cause)
    rank = {sig.id: i for i, sig in enumerate(report.signatures)}
    ordered = sorted(counts, key=lambda c: (-counts[c], rank.get(c, len(rank)), c))
    return {
        cause: CAUSE_PALETTE[i] if i < len(CAUSE_PALETTE) else OTHER_CAUSE
        for i, cause in enumerate(ordered)
    }


def build_color(build: BuildHistory, causes: dict[str, str]) -> str:
    """The colour of one build's cell."""
    if build.result in FAILED_RESULTS and build.cause:
        return causes.get(build.cause, OTHER_CAUSE)
    return RESULT_COLORS.get(build.result, RESULT_COLORS["UNKNOWN"])


def readable_on(background: str) -> str:
    """Black or white, whichever reads better on ``background``."""
    red, green, blue = Color.parse(background).get_truecolor()
    luminance = (0.299 * red + 0.587 * green + 0.114 * blue) / 255
    return "#101010" if luminance > 0.55 else "#f5f5f5"


def strip_layout(count: int, width: int, max_rows: int = MAX_ROWS) -> tuple[int, int, int]:
    """``(first shown, per row, rows)``: builds fill rows of ``width`` cells like wrapped text;
    when more than ``max_rows`` rows would be needed, only the newest builds show."""
    width = max(1, width)
    if count <= 0:
        return 0, width, 0
    rows = min(max_rows, ceil(count / width))
    shown = min(count, rows * width)
    return count - shown, width, rows


class HistoryStrip(Widget, can_focus=True):
    """Builds as coloured cells (see the module docstring)."""

    DEFAULT_CSS = """
    HistoryStrip {
        height: auto;
        min-height: 1;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left,h", "move(-1)", "Older", show=False, id="strip.older"),
        Binding("right,l", "move(1)", "Newer", show=False, id="strip.newer"),
        Binding("up,k", "move_row(-1)", "Row up", show=False, id="strip.row_up"),
        Binding("down,j", "move_row(1)", "Row down", show=False, id="strip.row_down"),
        Binding("home,g", "first", "Oldest", show=False, id="strip.oldest"),
        Binding("end,G", "last", "Newest", show=False, id="strip.newest"),
        Binding("enter", "select", "Open build", id="strip.open"),
    ]

    cursor: reactive[int] = reactive(-1)

    class CursorMoved(Message):
        """The cursor moved onto build ``index`` (into :attr:`HistoryStrip.builds`)."""

        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    class Selected(Message):
        """``enter`` or a click on build ``index``."""

        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.builds: tuple[BuildHistory, ...] = ()
        self.cell_colors: list[str] = []
        self.marked: frozenset[int] = frozenset()

    # -- data ----------------------------------------------------------------------------
    def show(self, builds: Sequence[BuildHistory], causes: dict[str, str]) -> None:
        """Show ``builds`` (oldest first) coloured with ``causes`` (see :func:`cause_colors`)."""
        self.builds = tuple(builds)
        self.cell_colors = [build_color(b, causes) for b in self.builds]
        self.marked = frozenset()
        if self.cursor >= len(self.builds) or self.cursor < 0:
            self.cursor = len(self.builds) - 1
        self.refresh(layout=True)

    def mark(self, build_ids: Iterable[str]) -> None:
        """Put a dot on the builds with these ids (an empty iterable clears the marks)."""
        wanted = set(build_ids)
        self.marked = frozenset(i for i, b in enumerate(self.builds) if b.build_id in wanted)
        self.refresh()

    @property
    def marked_ids(self) -> list[str]:
        """Ids of the marked builds, oldest first."""
        return [self.builds[i].build_id for i in sorted(self.marked)]

    def layout_for(self, width: int) -> tuple[int, int, int]:
        """See :func:`strip_layout`."""
        return strip_layout(len(self.builds), width)

    @property
    def hidden(self) -> int:
        """Older builds left out because they would need more than :data:`MAX_ROWS` rows."""
        return self.layout_for(self.content_size.width)[0]

    # -- rendering -----------------------------------------------------------------------
    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return max(1, self.layout_for(width)[2])

    def render(self) -> Text:
        width = self.content_size.width
        first, per_row, rows = self.layout_for(width)
        text = Text(no_wrap=True, overflow="crop")
        if not self.builds:
            text.append("no builds", style="dim italic")
            return text
        show_cursor = self.has_focus
        for row in range(rows):
            if row:
                text.append("\n")
            start = first + row * per_row
            for index in range(start, min(start + per_row, len(self.builds))):
                color = self.cell_colors[index]
                marked = index in self.marked
                if show_cursor and index == self.cursor:
                    glyph = "●" if marked else "■"
                    text.append(glyph, Style(color=color, bgcolor="#f0f0f0", bold=True))
                elif marked:
                    text.append("●", Style(color=readable_on(color), bgcolor=color, bold=True))
                else:
                    text.append(" ", Style(bgcolor=color))
        return text

    def watch_cursor(self, old: int, new: int) -> None:
        if old != new and 0 <= new < len(self.builds):
            self.post_message(self.CursorMoved(new))
        self.refresh()

    def on_focus(self) -> None:
        self.refresh()
        if 0 <= self.cursor < len(self.builds):
            self.post_message(self.CursorMoved(self.cursor))

    def on_blur(self) -> None:
        self.refresh()

    # -- movement ------------------------------------------------------------------------
    def _clamp(self, index: int) -> int:
        first = self.hidden
        return max(first, min(len(self.builds) - 1, index))

    def action_move(self, step: int) -> None:
        if self.builds:
            self.cursor = self._clamp(self.cursor + step)

    def action_move_row(self, step: int) -> None:
        if self.builds:
            per_row = self.layout_for(self.content_size.width)[1]
            self.cursor = self._clamp(self.cursor + step * per_row)

    def action_first(self) -> None:
        if self.builds:
            self.cursor = self._clamp(0)

    def action_last(self) -> None:
        if self.builds:
            self.cursor = len(self.builds) - 1

    def action_select(self) -> None:
        if 0 <= self.cursor < len(self.builds):
            self.post_message(self.Selected(self.cursor))

    def index_at(self, x: int, y: int) -> int | None:
        """The build under content offset ``(x, y)``, if any."""
        first, per_row, rows = self.layout_for(self.content_size.width)
        if not 0 <= y < rows or not 0 <= x < per_row:
            return None
        index = first + y * per_row + x
        return index if index < len(self.builds) else None

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        index = self.index_at(offset.x, offset.y)
        if index is None:
            return
        event.stop()
        self.focus()
        if index == self.cursor and event.chain > 1:
            self.post_message(self.Selected(index))
        self.cursor = index

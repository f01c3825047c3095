"""A log view over a :class:`~prowtui.logs.index.LineIndex`: only visible lines are rendered.

The widget never holds the text: ``render_line`` reads the visible lines with ``pread``,
renders them (ANSI SGR colours, everything else inert) and keeps a small LRU cache of strips.
It can show a *tail window* (the last bytes of a log whose index or download has not reached
the end yet), a filtered view (search hits with context), and wraps long lines on ``w``.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from time import perf_counter
from typing import ClassVar, Protocol

from rich.segment import Segment
from rich.text import Text
from textual import work
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Static
from textual.worker import get_current_worker

from prowtui.logs.ansi import LINE_LIMIT, ansi_to_text
from prowtui.logs.highlight import DEFAULT, ErrorPatterns, next_error
from prowtui.logs.index import LineIndex
from prowtui.logs.search import Query, filter_with_context, iter_hits
from prowtui.safetext import inert
from prowtui.units import human_size

CONTEXT_LINES = 2


class Lines(Protocol):
    """What the view reads lines from: a LineIndex or a tail window."""

    @property
    def line_count(self) -> int: ...

    def line_span(self, i: int) -> tuple[int, int]: ...

    def read_line(self, i: int, max_bytes: int | None = None) -> bytes: ...


class TailLines:
    """The last bytes of a log held in memory, split into lines (the first partial one dropped)."""

    def __init__(self, start: int, data: bytes, total: int | None) -> None:
        if start > 0:
            cut = data.find(b"\n")
            data = data[cut + 1 :] if cut != -1 else b""
            start += cut + 1 if cut != -1 else 0
        self.start = start
        self.total = total
        lines = data.split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()
        self.lines = [line[:-1] if line.endswith(b"\r") else line for line in lines]

    @property
    def line_count(self) -> int:
        return len(self.lines)

    def line_span(self, i: int) -> tuple[int, int]:
        return 0, len(self.lines[i])

    def read_line(self, i: int, max_bytes: int | None = None) -> bytes:
        line = self.lines[i]
        return line if max_bytes is None else line[:max_bytes]


@dataclass
class _Hits:
    query: Query
    lines: list[int]
    done: bool = False


class LogView(ScrollView, can_focus=True):
    """Scrollable, searchable view of a big log file (see the module docstring)."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "log-view--error",
        "log-view--hit",
        "log-view--current",
        "log-view--gap",
        "log-view--marker",
        "log-view--target",
    }

    DEFAULT_CSS = (Path(__file__).with_name("log_view.tcss")).read_text(encoding="utf-8")

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j,down", "line_down", "Down", show=False, id="log.down"),
        Binding("k,up", "line_up", "Up", show=False, id="log.up"),
        Binding("pagedown,space", "page_down", "Page down", show=False, id="log.page_down"),
        Binding("pageup,b", "page_up", "Page up", show=False, id="log.page_up"),
        Binding("g,home", "top", "Top", show=False, id="log.top"),
        Binding("G,end", "bottom", "End", key_display="G", id="log.end"),
        Binding("left,h", "scroll_left", "Left", show=False, id="log.left"),
        Binding("right,l", "scroll_right", "Right", show=False, id="log.right"),
        Binding("w", "toggle_wrap", "Wrap", show=False, id="log.wrap"),
        Binding("slash", "search", "Search", id="log.search"),
        Binding("n", "next_hit", "Next hit", show=False, id="log.next_hit"),
        Binding("N", "prev_hit", "Prev hit", show=False, id="log.prev_hit"),
        Binding(
            "f",
            "toggle_filter",
            "Filter",
            show=False,
            tooltip="only hits, with context",
            id="log.filter",
        ),
        Binding("right_square_bracket", "next_error", "Next error", id="log.next_error"),
        Binding("left_square_bracket", "prev_error", "Prev error", show=False, id="log.prev_error"),
        Binding("escape", "dismiss", "Close", show=False, id="log.escape"),
    ]

    wrap: reactive[bool] = reactive(False)

    class SearchRequested(Message):
        """The user pressed ``/``."""

    class Dismissed(Message):
        """The user pressed ``escape`` with nothing left to close in the view."""

    class TailWanted(Message):
        """``G`` was pressed before the index reached the end of the log."""

    class Changed(Message):
        """Hits, mode or position changed (the status line listens)."""

    class _HitBatch(Message):
        def __init__(self, generation: int, lines: list[int], done: bool, error: str = "") -> None:
            super().__init__()
            self.generation = generation
            self.lines = lines
            self.done = done
            self.error = error

    def __init__(
        self,
        *,
        error_patterns: ErrorPatterns = DEFAULT,
        max_line_chars: int = LINE_LIMIT,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.error_patterns = error_patterns
        #: characters of a line shown before the ``…[+N chars]`` marker
        self.max_line_chars = max(1, max_line_chars)
        self._read_limit = self.max_line_chars * 4  # UTF-8 needs up to 4 bytes a character
        self.index: LineIndex | None = None
        self.tail: TailLines | None = None
        self.hits: _Hits | None = None
        self.filter_rows: list[int] | None = None
        self.current_line: int | None = None
        #: the line someone jumped to with ``go_to_line(..., highlight=True)``, shown full width
        self.highlight_line: int | None = None
        self.message = ""
        self.searching = False
        #: when the bottom row was first rendered with lines (for the bench)
        self.first_paint: float | None = None
        #: ``(time, tail window shown, scroll row)`` of the last full repaint (for the bench)
        self.last_paint: tuple[float, bool, int] = (0.0, False, 0)
        self._generation = 0
        self._search_generation = 0
        self._max_width = 0
        self._strips: LRUCache[tuple[int, int, int], Strip] = LRUCache(512)
        self._errors: LRUCache[int, bool] = LRUCache(4096)
        self._wrap_layout: tuple[tuple[int, int, int, int], list[Strip]] | None = None
        self._follow_end = False

    # -- data --------------------------------------------------------------------------
    def set_index(self, index: LineIndex | None) -> None:
        """Show ``index`` from the top (closing nothing: the owner closes old indexes)."""
        self.index = index
        self.tail = None
        self.hits = None
        self.filter_rows = None
        self.current_line = None
        self.highlight_line = None
        self.message = ""
        self._follow_end = False
        self._max_width = 0
        self._search_generation += 1
        self._invalidate()
        self.scroll_to(0, 0, animate=False, immediate=True)
        self.sync()

    def show_tail(self, tail: TailLines) -> None:
        """Show a tail window and scroll to its end."""
        self.tail = tail
        self.filter_rows = None
        self._invalidate()
        self.sync()
        self.scroll_to(y=self.max_scroll_y, animate=False, immediate=True)
        self.post_message(self.Changed())

    def leave_tail(self) -> None:
        """Back to the indexed file, at its end."""
        if self.tail is None:
            return
        self.tail = None
        self._invalidate()
        self.sync()
        self._scroll_to_bottom()
        self.post_message(self.Changed())

    @property
    def lines(self) -> Lines | None:
        """Where the visible lines come from now."""
        return self.tail if self.tail is not None else self.index

    @property
    def mode(self) -> str:
        """``tail``, ``filter`` or ``""`` (plus ``wrap``)."""
        parts = []
        if self.tail is not None:
            parts.append("tail")
        elif self.filter_rows is not None:
            parts.append("filter")
        if self.wrap:
            parts.append("wrap")
        return " ".join(parts)

    def row_count(self) -> int:
        """Display rows (lines, or filtered lines)."""
        if self.tail is not None:
            return self.tail.line_count
        if self.filter_rows is not None:
            return len(self.filter_rows)
        return self.index.line_count if self.index is not None else 0

    def row_to_line(self, row: int) -> int:
        """Line number shown at display ``row``."""
        if self.tail is None and self.filter_rows is not None:
            return self.filter_rows[row]
        return row

    def line_to_row(self, line: int) -> int:
        """Display row of ``line`` (the nearest following row when filtered out)."""
        if self.tail is None and self.filter_rows is not None:
            return min(bisect_left(self.filter_rows, line), max(0, len(self.filter_rows) - 1))
        return line

    @property
    def top_line(self) -> int:
        """The line at the top of the view."""
        rows = self.row_count()
        if rows == 0:
            return 0
        return self.row_to_line(min(int(self.scroll_offset.y), rows - 1))

    def sync(self) -> None:
        """Update the virtual size from the index; called by the owner as the index grows."""
        rows = self.row_count()
        width = self.scrollable_content_region.width
        if self.wrap:
            size = Size(width, rows + max(0, self.size.height - 1))
        else:
            size = Size(max(self._max_width, width), rows)
        if size != self.virtual_size:
            self.virtual_size = size
            self._wrap_layout = None
            self.refresh()
        index = self.index
        if self._follow_end and index is not None and index.done and self.tail is None:
            self._follow_end = False
            self._scroll_to_bottom()

    def _invalidate(self) -> None:
        self._generation += 1
        self._wrap_layout = None
        self.refresh()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()
        self._invalidate()

    def on_resize(self) -> None:
        self._wrap_layout = None
        self.sync()

    def watch_show_horizontal_scrollbar(self, shown: bool) -> None:
        # the scrollbar takes the bottom row: keep the current line above it
        if shown and self.current_line is not None:
            self.call_after_refresh(self._keep_current_visible)

    def _keep_current_visible(self) -> None:
        if self.current_line is None or self.wrap:
            return
        row = self.line_to_row(self.current_line)
        top = int(self.scroll_offset.y)
        visible = max(1, self.scrollable_content_region.height)
        if row >= top + visible:
            self.scroll_to(y=row - visible + 1, animate=False, immediate=True)

    def watch_wrap(self) -> None:
        self._invalidate()
        self.sync()

    # -- rendering ---------------------------------------------------------------------
    def _line_text(self, source: Lines, line: int) -> Text:
        start, end = source.line_span(line)
        data = source.read_line(line, self._read_limit)
        hidden = max(0, end - start - self._read_limit)
        text = ansi_to_text(data, limit=self.max_line_chars, hidden=hidden)
        if isinstance(source, LineIndex) and self._is_error(line, data):
            text.stylize_before(self.get_component_rich_style("log-view--error"))
        hits = self.hits
        if hits is not None and hits.query.text:
            hit_style = self.get_component_rich_style("log-view--hit")
            for begin, stop in hits.query.spans(text.plain):
                text.stylize(hit_style, begin, stop)
        if line == self.current_line and source is self.index:
            text.stylize_before(self.get_component_rich_style("log-view--current"))
        if line == self.highlight_line and source is self.index:
            text.stylize(self.get_component_rich_style("log-view--target"))
        return text

    def _is_error(self, line: int, data: bytes) -> bool:
        cached = self._errors.get(line)
        if cached is None:
            cached = self.error_patterns.is_error_line(data)
            self._errors[line] = cached
        return cached

    def _line_strip(self, row: int) -> Strip | None:
        source = self.lines
        if source is None or row >= self.row_count():
            return None
        line = self.row_to_line(row)
        key = (self._generation, id(source), line)
        strip = self._strips.get(key)
        if strip is None:
            text = self._line_text(source, line)
            strip = Strip(text.render(self.app.console), text.cell_len)
            self._strips[key] = strip
            if strip.cell_length > self._max_width:
                self._max_width = strip.cell_length
                if not self.wrap:
                    self.call_after_refresh(self.sync)
        filtered = self.filter_rows is not None and self.tail is None
        if filtered and row > 0 and self.filter_rows[row - 1] != line - 1:
            gap = self.get_component_rich_style("log-view--gap")
            strip = Strip([Segment("┄ ", gap), *strip], strip.cell_length + 2)
        return strip

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        style = self.rich_style
        if self.wrap:
            rows = self._wrapped(scroll_y, width)
            strip = rows[y] if y < len(rows) else None
            result = (strip or Strip.blank(width, style)).crop_extend(0, width, style)
        else:
            row = scroll_y + y
            strip = self._line_strip(row)
            if strip is None:
                result = Strip.blank(width, style)
            else:
                pad = style
                target = self.highlight_line
                if target is not None and self.tail is None and self.row_to_line(row) == target:
                    pad = self.get_component_rich_style("log-view--target")
                result = strip.crop_extend(scroll_x, scroll_x + width, pad)
        if y == self.size.height - 1 and self.row_count():
            now = perf_counter()
            self.last_paint = (now, self.tail is not None, int(scroll_y))
            if self.first_paint is None:
                self.first_paint = now
        return result

    def _wrapped(self, top: int, width: int) -> list[Strip]:
        """The screen in wrap mode: lines from ``top`` cut into ``width``-wide rows."""
        key = (self._generation, top, width, self.row_count())
        if self._wrap_layout is not None and self._wrap_layout[0] == key:
            return self._wrap_layout[1]
        out: list[Strip] = []
        row = top
        height = self.size.height
        while len(out) < height:
            strip = self._line_strip(row)
            if strip is None:
                break
            out.extend(self._split(strip, width))
            row += 1
        self._wrap_layout = (key, out)
        return out

    @staticmethod
    def _split(strip: Strip, width: int) -> Sequence[Strip]:
        length = strip.cell_length
        if width <= 0 or length <= width:
            return [strip]
        return strip.divide(range(width, length + width, width))

    # -- movement ----------------------------------------------------------------------
    def _scroll_to_bottom(self) -> None:
        if self.wrap:
            rows = self.row_count()
            width = self.scrollable_content_region.width
            used = 0
            top = rows
            while top > 0:
                strip = self._line_strip(top - 1)
                used += len(self._split(strip, width)) if strip is not None else 1
                if used > self.size.height:
                    break
                top -= 1
            self.scroll_to(y=top, animate=False, immediate=True)
        else:
            self.scroll_to(y=self.max_scroll_y, animate=False, immediate=True)

    def go_to_line(self, line: int, *, highlight: bool = False) -> None:
        """Mark ``line`` (0-based) as current and scroll so that it is visible, a third from
        the top; ``highlight`` also paints it across the whole width until another log opens."""
        self.current_line = line
        if highlight:
            self.highlight_line = line
        self._invalidate()
        row = self.line_to_row(line)
        top = int(self.scroll_offset.y)
        height = self.size.height
        if not top <= row < top + max(1, height - 1) or self.wrap:
            self.scroll_to(y=max(0, row - height // 3), animate=False, immediate=True)
        self.post_message(self.Changed())

    def action_line_down(self) -> None:
        self.scroll_to(y=self.scroll_offset.y + 1, animate=False, immediate=True)

    def action_line_up(self) -> None:
        self.scroll_to(y=self.scroll_offset.y - 1, animate=False, immediate=True)

    def action_page_down(self) -> None:
        step = max(1, self.size.height - 1)
        self.scroll_to(y=self.scroll_offset.y + step, animate=False, immediate=True)

    def action_page_up(self) -> None:
        step = max(1, self.size.height - 1)
        self.scroll_to(y=self.scroll_offset.y - step, animate=False, immediate=True)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """``left`` at the left edge is not this view's: it goes on to the screen (back to
        the tree in the explorer)."""
        return not (action == "scroll_left" and self.scroll_offset.x <= 0)

    def action_scroll_left(self) -> None:
        self.scroll_to(x=self.scroll_offset.x - 8, animate=False, immediate=True)

    def action_scroll_right(self) -> None:
        self.scroll_to(x=self.scroll_offset.x + 8, animate=False, immediate=True)

    def action_top(self) -> None:
        if self.tail is not None:
            self.tail = None
            self._invalidate()
            self.sync()
            self.post_message(self.Changed())
        self._follow_end = False
        self.scroll_to(0, 0, animate=False, immediate=True)

    def action_bottom(self) -> None:
        index = self.index
        if index is not None and not index.done and self.filter_rows is None and self.tail is None:
            self._follow_end = True
            self.post_message(self.TailWanted())
        self.sync()
        self._scroll_to_bottom()

    def action_toggle_wrap(self) -> None:
        top = self.top_line
        self.wrap = not self.wrap
        self.scroll_to(x=0, y=self.line_to_row(top), animate=False, immediate=True)
        self.post_message(self.Changed())

    def action_search(self) -> None:
        self.post_message(self.SearchRequested())

    def action_dismiss(self) -> None:
        if self.filter_rows is not None:
            self.action_toggle_filter()
        elif self.tail is not None:
            self.action_top()
        elif self.hits is not None:
            self.search(Query(""))
            self.post_message(self.Dismissed())
        else:
            self.post_message(self.Dismissed())

    # -- search ------------------------------------------------------------------------
    def search(self, query: Query) -> None:
        """Start searching for ``query`` (an empty query clears the hits)."""
        self._search_generation += 1
        self.filter_rows = None
        self.current_line = None
        self.message = ""
        if not query.text or self.index is None:
            self.hits = None
            self.searching = False
            self.workers.cancel_group(self, "log-search")
        else:
            try:
                query.compile()
            except Exception as exc:
                self.hits = None
                self.message = inert(exc)
                self.searching = False
                self.post_message(self.Changed())
                return
            self.hits = _Hits(query, [])
            self.searching = True
            self._search_worker(self.index, query, self._search_generation)
        self._invalidate()
        self.sync()
        self.post_message(self.Changed())

    @work(thread=True, exclusive=True, group="log-search")
    def _search_worker(self, index: LineIndex, query: Query, generation: int) -> None:
        worker = get_current_worker()
        batch: list[int] = []
        try:
            for found in iter_hits(index, query, cancelled=lambda: worker.is_cancelled):
                batch.extend(found)
                if len(batch) >= 256 or not self.hits or not self.hits.lines:
                    self.post_message(self._HitBatch(generation, batch, False))
                    batch = []
        except Exception as exc:  # a read error must become a message, never a traceback
            self.post_message(self._HitBatch(generation, batch, True, inert(exc)))
            return
        if not worker.is_cancelled:
            self.post_message(self._HitBatch(generation, batch, True))

    def on_log_view__hit_batch(self, message: _HitBatch) -> None:
        message.stop()
        hits = self.hits
        if hits is None or message.generation != self._search_generation:
            return
        first = not hits.lines
        hits.lines.extend(message.lines)
        if message.done:
            hits.done = True
            self.searching = False
        if message.error:
            self.message = message.error
        if self.filter_rows is not None:
            self._apply_filter()
        if first and hits.lines and self.current_line is None:
            self.action_next_hit()
        self.post_message(self.Changed())

    def _anchor(self, direction: int) -> int:
        """Where n/N/]/[ search from: the current line if on screen, else the top line."""
        current = self.current_line
        if current is not None:
            row = self.line_to_row(current)
            top = int(self.scroll_offset.y)
            if top <= row < top + self.size.height:
                return current
        return self.top_line - direction

    def action_next_hit(self) -> None:
        self._jump_hit(1)

    def action_prev_hit(self) -> None:
        self._jump_hit(-1)

    def _jump_hit(self, direction: int) -> None:
        if self.hits is None or not self.hits.lines:
            return
        if self.tail is not None:
            self.tail = None
            self.sync()
        lines = self.hits.lines
        here = self._anchor(direction)
        if direction > 0:
            pos = bisect_right(lines, here)
            target = lines[pos] if pos < len(lines) else lines[0]
        else:
            pos = bisect_left(lines, here) - 1
            target = lines[pos] if pos >= 0 else lines[-1]
        self.go_to_line(target)

    def action_toggle_filter(self) -> None:
        if self.filter_rows is not None:
            line = self.current_line if self.current_line is not None else self.top_line
            self.filter_rows = None
            self._invalidate()
            self.sync()
            self.scroll_to(y=max(0, line - self.size.height // 3), animate=False, immediate=True)
        elif self.hits is not None and self.index is not None:
            self.tail = None
            self._apply_filter()
            self.scroll_to(y=0, animate=False, immediate=True)
            if self.current_line is not None:
                self.go_to_line(self.current_line)
        self.post_message(self.Changed())

    def _apply_filter(self) -> None:
        assert self.hits is not None and self.index is not None
        self.filter_rows = filter_with_context(
            self.hits.lines, CONTEXT_LINES, self.index.line_count
        )
        self._invalidate()
        self.sync()

    # -- error lines -------------------------------------------------------------------
    def action_next_error(self) -> None:
        self._find_error(1)

    def action_prev_error(self) -> None:
        self._find_error(-1)

    def _find_error(self, direction: int) -> None:
        if self.index is None:
            return
        if self.tail is not None:
            self.tail = None
            self.sync()
        here = self._anchor(direction)
        self._error_worker(self.index, here, direction)

    @work(thread=True, exclusive=True, group="log-error")
    def _error_worker(self, index: LineIndex, here: int, direction: int) -> None:
        worker = get_current_worker()
        try:
            found = next_error(
                index,
                here,
                direction,
                patterns=self.error_patterns,
                cancelled=lambda: worker.is_cancelled,
            )
        except Exception as exc:
            found, self.message = None, inert(exc)
        if not worker.is_cancelled:
            self.app.call_from_thread(self._error_found, found, direction)

    def _error_found(self, line: int | None, direction: int) -> None:
        if line is None:
            self.message = "no more error lines " + ("below" if direction > 0 else "above")
            self.post_message(self.Changed())
            return
        self.message = ""
        if self.filter_rows is not None and line not in self.filter_rows:
            self.filter_rows = None
            self.sync()
        self.go_to_line(line)


class LogStatus(Static):
    """One line under the log: bytes downloaded / total, lines indexed, hits, mode, errors."""

    DEFAULT_CSS = """
    LogStatus {
        height: 1;
        background: $panel;
        color: $text-muted;
        padding: 0 1;
    }
    LogStatus.-error { color: $text-error; }
    """

    def show(
        self,
        *,
        name: str = "",
        downloaded: int | None = None,
        total: int | None = None,
        view: LogView | None = None,
        error: str = "",
    ) -> None:
        """Render the status from the given facts (all data strings are made inert)."""
        parts: list[str] = []
        if name:
            parts.append(inert(name))
        if downloaded is not None:
            if total is not None and downloaded < total:
                parts.append(f"{human_size(downloaded)} / {human_size(total)}")
            else:
                parts.append(human_size(downloaded))
        if view is not None and view.index is not None:
            index = view.index
            lines = f"{index.line_count:,} lines"
            parts.append(lines if index.done else f"{lines} (indexing…)")
            if index.error:
                error = error or index.error
            if view.hits is not None:
                more = "" if view.hits.done else "…"
                count = len(view.hits.lines)
                noun = "hit" if count == 1 and view.hits.done else "hits"
                parts.append(f"{count:,}{more} {noun} for {inert(view.hits.query.text)!r}")
            if view.current_line is not None:
                parts.append(f"line {view.current_line + 1:,}")
            if view.mode:
                parts.append(view.mode)
            if view.message:
                parts.append(view.message)
        if error:
            parts.append(inert(error))
        self.set_class(bool(error), "-error")
        self.update(Text("  ·  ".join(parts)))


def open_index(path: Path, *, growing: bool = False) -> LineIndex:
    """A LineIndex for ``path`` (a thin helper so callers need not import prowtui.logs)."""
    return LineIndex(path, growing=growing)


__all__ = ["LogStatus", "LogView", "TailLines", "open_index"]

"""The log panel the explorer embeds: a LogView, a search bar and a status line.

``await panel.open_local(path)`` shows a local file; ``panel.open_remote(source, path, size)``
opens the source's cached copy when it has one, else streams the object to its one local copy
(the source's cache, or a bounded download directory; see :mod:`prowtui.logs.fetch`) in a worker
and shows the first screen as soon as the first chunk is indexed. ``G`` before the end is
indexed shows a *tail window*: the last bytes read from the local file, or fetched with a ranged
read for a remote object that is not gzip-encoded, until the index reaches the end. For a remote
object bigger than :data:`PREFETCH_MIN` that tail is fetched as soon as the object is opened, so
``G`` shows it without a round trip.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import ClassVar

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Input, Static

from prowtui.app.widgets.log_view import LogStatus, LogView, TailLines
from prowtui.errors import ProwtuiError
from prowtui.logs.ansi import LINE_LIMIT
from prowtui.logs.fetch import cached_log, download_log, fetch_tail, reusable_download
from prowtui.logs.highlight import DEFAULT, ErrorPatterns
from prowtui.logs.index import LineIndex
from prowtui.logs.search import Query
from prowtui.safetext import inert
from prowtui.sources.base import ObjectInfo, Source

#: bytes fetched for the tail window
TAIL_BYTES = 256 << 10
#: remote objects at least this big get their tail prefetched at open (smaller ones download
#: in about the time a ranged read takes)
PREFETCH_MIN = 4 << 20
#: how often the panel refreshes the view size and status while loading
TICK = 0.05


class _Toggle(Static):
    """A clickable on/off label in the search bar."""

    def __init__(self, label: str, *, id: str) -> None:
        super().__init__(label, id=id, classes="log-toggle")
        self.value = False

    def flip(self) -> bool:
        self.value = not self.value
        self.set_class(self.value, "-on")
        return self.value

    def on_click(self, event: events.Click) -> None:
        event.stop()
        self.flip()
        self.post_message(LogPanel.ToggleChanged())


class LogPanel(Widget):
    """LogView + search bar + status line, with local and remote loading."""

    DEFAULT_CSS = Path(__file__).with_name("log_panel.tcss").read_text(encoding="utf-8")

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+r", "toggle_regex", "Regex", show=False, id="log.toggle_regex"),
        Binding("ctrl+t", "toggle_case", "Case", show=False, id="log.toggle_case"),
    ]

    class ToggleChanged(events.Message):
        """A search-bar toggle was clicked."""

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
        self.view = LogView(error_patterns=error_patterns, max_line_chars=max_line_chars)
        self.status = LogStatus()
        self.query_input = Input(placeholder="search (enter)", id="log-query")
        self.regex_toggle = _Toggle(".*", id="log-regex")
        self.case_toggle = _Toggle("Aa", id="log-case")
        self.index: LineIndex | None = None
        self.title = ""
        self.source: Source | None = None
        self.path = ""
        self.total: int | None = None
        self.downloaded: int | None = None
        self.complete = False
        self.error = ""
        self._info: ObjectInfo | None = None
        self._tail: TailLines | None = None
        self._prefetched = asyncio.Event()
        self._timer: Timer | None = None
        #: ``(0-based line, highlight)`` waiting for the index to reach that line
        self._goto: tuple[int, bool] | None = None

    def compose(self) -> ComposeResult:
        yield self.view
        with Horizontal(id="log-search"):
            yield self.query_input
            yield self.regex_toggle
            yield self.case_toggle
        yield self.status

    def on_mount(self) -> None:
        self._timer = self.set_interval(TICK, self._tick, pause=True)
        self._update_status()

    def on_unmount(self) -> None:
        self._close_index()

    # -- opening -----------------------------------------------------------------------
    def _close_index(self) -> None:
        if self.index is not None:
            self.index.close()
            self.index = None

    def _reset(self, title: str) -> None:
        self.workers.cancel_group(self, "log")
        self.workers.cancel_group(self, "log-tail")
        self.workers.cancel_group(self, "log-info")
        self._close_index()
        self.title = title
        self.source = None
        self.total = None
        self.downloaded = None
        self.complete = False
        self.error = ""
        self._info = None
        self._tail = None
        self._prefetched = asyncio.Event()
        self._goto = None
        self.view.set_index(None)

    def _show_index(self, index: LineIndex) -> None:
        self.index = index
        self.view.set_index(index)
        if self._timer is not None:
            self._timer.resume()

    async def _first_screen(self, index: LineIndex) -> None:
        """Wait (in a thread) until a screenful is indexed, then show it."""
        lines = max(1, self.view.size.height)
        await asyncio.to_thread(index.wait, lines=lines, timeout=0.1)
        if index is self.index:
            self.view.sync()
            self._apply_goto()
            self._update_status()

    async def open_local(self, path: Path) -> None:
        """Show a local file (indexed in the background)."""
        self._reset(path.name)
        try:
            index = LineIndex(path)
            size = index.file_size()
        except OSError as exc:
            self.error = f"cannot open {path.name}: {exc.strerror or exc}"
            self._update_status()
            return
        self.total = self.downloaded = size
        self.complete = True
        self._show_index(index)
        await self._first_screen(index)

    def open_remote(self, source: Source, path: str, size: int | None) -> None:
        """Stream ``path`` from ``source`` into the log cache and show it as it arrives."""
        self._reset(path.rsplit("/", 1)[-1])
        self.source = source
        self.path = path
        self.total = size
        self.downloaded = 0
        self._update_status()
        self._download(source, path, size)

    @work(exclusive=True, group="log-info")
    async def _prefetch(self, source: Source, path: str, size: int | None) -> None:
        """Stat the object while it downloads and, when it is big and not gzip-encoded, fetch
        its tail, so that ``G`` shows the end at once."""
        done = self._prefetched
        try:
            info = await source.stat(path)
            if self.source is not source or self.path != path:
                return
            self._info = info
            total = info.size if info.size is not None else size
            if total is None or total < PREFETCH_MIN or info.gzip_encoded or self.complete:
                return
            tail = await fetch_tail(source, path, size, TAIL_BYTES, info=info)
            if tail is not None and self.source is source and self.path == path:
                self._tail = TailLines(tail[0], tail[1], total)
        except ProwtuiError:
            return
        finally:
            done.set()

    @work(exclusive=True, group="log")
    async def _download(self, source: Source, path: str, size: int | None) -> None:
        """Open the cached copy of ``path`` if there is one, else download it (once, to the
        cache when the source has one) while showing it as it arrives."""
        prefetched = self._prefetched
        try:
            local = await cached_log(source, path) or reusable_download(source, path, size)
            if local is not None:
                await self._show_complete(local)
                return
            self._prefetch(source, path, size)

            def opened(tmp: Path) -> None:
                index = LineIndex(tmp, growing=True)
                self._show_index(index)
                self.run_worker(self._first_screen(index), group="log-first", exclusive=True)

            def progress(done: int, total: int | None) -> None:
                self.downloaded = done
                if self.index is not None:
                    self.index.notify()

            kept = await download_log(
                source, path, on_open=opened, on_progress=progress, total=size
            )
            self.complete = True
            if self.total is None:
                self.total = self.downloaded
            if self.index is not None:
                if kept is not None:
                    self.index.path = kept
                self.index.finish()
        except asyncio.CancelledError:
            raise
        except ProwtuiError as exc:
            self._fail(str(exc))
        except Exception as exc:  # never a traceback in the UI
            self._fail(f"{type(exc).__name__}: {exc}")
        finally:
            prefetched.set()  # a tail request never waits for a prefetch that did not start
            self._update_status()

    async def _show_complete(self, local: Path) -> None:
        """Show a complete local copy (from the cache or an earlier download)."""
        index = LineIndex(local)
        self.downloaded = index.file_size()
        if self.total is None:
            self.total = self.downloaded
        self.complete = True
        self._show_index(index)
        await self._first_screen(index)

    def _fail(self, message: str) -> None:
        self.error = inert(message)
        if self.index is not None:
            self.index.finish()

    # -- go to a line ------------------------------------------------------------------
    def goto_line(self, number: int, *, highlight: bool = True) -> None:
        """Show 1-based line ``number`` of the open log, highlighted, as soon as the index
        reaches it (the last line if the log turns out shorter)."""
        self._goto = (max(0, number - 1), highlight)
        self._apply_goto()
        if self._goto is not None and self._timer is not None and self.index is not None:
            self._timer.resume()

    def _apply_goto(self) -> None:
        goto, index = self._goto, self.index
        if goto is None or index is None:
            return
        line, highlight = goto
        if index.line_count <= line and not index.done:
            return
        self._goto = None
        line = min(line, max(0, index.line_count - 1))
        if self.view.tail is not None:
            self.view.leave_tail()
        self.view.sync()
        self.view.go_to_line(line, highlight=highlight)
        # the view may not have its height yet: place the line a third from the top once it has
        self.call_after_refresh(self._place, line)

    def _place(self, line: int) -> None:
        view = self.view
        if view.current_line == line:
            top = max(0, view.line_to_row(line) - view.size.height // 3)
            view.scroll_to(y=top, animate=False, immediate=True)

    # -- tail window -------------------------------------------------------------------
    @on(LogView.TailWanted)
    def _tail_wanted(self, event: LogView.TailWanted) -> None:
        event.stop()
        index = self.index
        if index is None:
            return
        if self.source is None or self.complete:
            size = index.file_size()
            start = max(0, size - TAIL_BYTES)
            self.view.show_tail(TailLines(start, index.read_range(start, size), size))
        elif self._tail is not None:
            self.view.show_tail(self._tail)
        else:
            self._fetch_tail(self.source, self.path, self.total)
        self._update_status()

    @work(exclusive=True, group="log-tail")
    async def _fetch_tail(self, source: Source, path: str, size: int | None) -> None:
        """Show the tail window, waiting for a prefetch in flight or fetching it now."""
        await self._prefetched.wait()
        if self.source is not source or self.path != path:
            return
        if self._tail is None:
            try:
                if self._info is None:
                    self._info = await source.stat(path)
                if self.complete:
                    return
                tail = await fetch_tail(source, path, size, TAIL_BYTES, info=self._info)
            except ProwtuiError as exc:
                self.view.message = f"tail: {inert(exc)}"
                self._update_status()
                return
            if tail is None:
                self.view.message = "gzip-encoded: the end shows when the download completes"
                self._update_status()
                return
            total = self._info.size if self._info.size is not None else size
            self._tail = TailLines(tail[0], tail[1], total)
        if not self.complete and self.index is not None and not self.index.done:
            self.view.show_tail(self._tail)
        self._update_status()

    # -- periodic refresh ----------------------------------------------------------------
    def _tick(self) -> None:
        index = self.index
        view = self.view
        if index is None:
            return
        view.sync()
        self._apply_goto()
        if view.tail is not None and index.done:
            view.leave_tail()
        self._update_status()
        if index.done and self._timer is not None and not view.searching:
            self._timer.pause()

    def _update_status(self) -> None:
        self.status.show(
            name=self.title,
            downloaded=self.downloaded,
            total=self.total,
            view=self.view,
            error=self.error,
        )

    @on(LogView.Changed)
    def _view_changed(self, event: LogView.Changed) -> None:
        event.stop()
        self._update_status()
        if self.view.searching and self._timer is not None:
            self._timer.resume()

    # -- search bar --------------------------------------------------------------------
    @on(LogView.SearchRequested)
    def _show_search(self, event: LogView.SearchRequested) -> None:
        event.stop()
        self.query_one("#log-search").add_class("-visible")
        self.query_input.focus()

    @on(LogView.Dismissed)
    def _hide_search(self, event: LogView.Dismissed) -> None:
        bar = self.query_one("#log-search")
        if bar.has_class("-visible"):
            event.stop()
            bar.remove_class("-visible")

    @on(Input.Submitted, "#log-query")
    def _submit(self, event: Input.Submitted) -> None:
        event.stop()
        self.search(event.value)
        self.view.focus()

    def key_escape(self, event: events.Key) -> None:
        if self.query_input.has_focus:
            event.stop()
            self.query_one("#log-search").remove_class("-visible")
            self.view.focus()

    def search(self, text: str) -> None:
        """Search for ``text`` with the current regex / case toggles."""
        self.view.search(Query(text, regex=self.regex_toggle.value, case=self.case_toggle.value))

    def action_toggle_regex(self) -> None:
        self.regex_toggle.flip()
        self._rerun()

    def action_toggle_case(self) -> None:
        self.case_toggle.flip()
        self._rerun()

    @on(ToggleChanged)
    def _toggled(self, event: ToggleChanged) -> None:
        event.stop()
        self._rerun()

    def _rerun(self) -> None:
        if self.view.hits is not None:
            self.search(self.view.hits.query.text)

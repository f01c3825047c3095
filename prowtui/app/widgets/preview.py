"""The right-hand pane: picks and fills a preview for the selected node, in a worker."""

from __future__ import annotations

import inspect

from rich.text import Text
from textual import on, work
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Static

from prowtui.app.services import Explorer, LogSettings, read_optional
from prowtui.app.widgets.binary_info import BinaryInfo
from prowtui.app.widgets.bucket_tree import NodeData, path_kind
from prowtui.app.widgets.dir_listing import DirListing
from prowtui.app.widgets.events_table import EventsView
from prowtui.app.widgets.json_view import JsonView
from prowtui.app.widgets.junit_table import JunitView
from prowtui.app.widgets.metadata_view import MetadataView, summary_rows
from prowtui.errors import ParseError, ProwtuiError
from prowtui.prow import artifacts, events, junit, metadata
from prowtui.safetext import inert
from prowtui.sources.base import Entry, normalize_dir
from prowtui.units import human_size

#: files parsed whole for a preview (events, junit, metadata, JSON) up to this size
PARSE_LIMIT = 32 << 20
#: kinds previewed as text in the log panel
TEXT_KINDS = {"log", "text"}
#: the metadata files summarised on a build's preview
BUILD_FILES = ("started.json", "finished.json", "prowjob.json", "podinfo.json")
PARSERS = {
    "started": metadata.parse_started,
    "finished": metadata.parse_finished,
    "prowjob": metadata.parse_prowjob,
    "podinfo": metadata.parse_podinfo,
}


def make_log_panel(settings: LogSettings) -> Widget:
    """The log panel, with the configured error patterns and line limit."""
    from prowtui.app.widgets.log_panel import LogPanel

    return LogPanel(error_patterns=settings.error_patterns, max_line_chars=settings.max_line_chars)


class PreviewPane(Vertical):
    """Shows whatever the tree's cursor is on."""

    DEFAULT_CSS = """
    PreviewPane { height: 1fr; }
    PreviewPane > .preview-message { padding: 1 2; }
    PreviewPane > #preview-hint { height: 1; background: $boost; padding: 0 1; }
    """

    def __init__(self, explorer: Explorer, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.explorer = explorer
        #: the node data currently shown
        self.current: NodeData | None = None
        #: what kind of preview is shown ("dir", "build", "events", "log", ...)
        self.preview_kind = ""
        self._focus_when_shown = False

    def show(self, data: NodeData | None, *, force_text: bool = False, focus: bool = False) -> None:
        """Preview ``data`` (a newer call cancels an older one still loading); with ``focus``
        the preview takes the focus once it is shown."""
        self.current = data
        self._focus_when_shown = focus
        self._load(data, force_text)

    @property
    def loading(self) -> bool:
        """True while a preview is being filled."""
        return any(w.group == "preview" and w.is_running for w in self.workers)

    def focus_content(self) -> bool:
        """Focus the preview's first focusable widget now, or as soon as it is shown."""
        if self.loading:
            self._focus_when_shown = True
            return True
        return self._focus_first()

    def _focus_first(self) -> bool:
        for widget in self.query("*"):
            if widget.focusable:
                widget.focus()
                return True
        return False

    async def _replace(self, *widgets: Widget) -> None:
        await self.remove_children()
        await self.mount_all(widgets)

    async def _message(self, text: Text, kind: str) -> None:
        self.preview_kind = kind
        await self._replace(Static(text, classes="preview-message"))

    @work(exclusive=True, group="preview", exit_on_error=False)
    async def _load(self, data: NodeData | None, force_text: bool) -> None:
        try:
            await self._fill(data, force_text)
        except ProwtuiError as exc:
            reason = inert(str(exc)) or type(exc).__name__
            await self._message(Text(f"Could not preview: {reason}", style="red"), "error")
            self.notify(reason, title="preview", severity="error", markup=False)
        if self._focus_when_shown and data is self.current:
            self._focus_when_shown = False
            self.call_after_refresh(self._focus_first)

    async def _fill(self, data: NodeData | None, force_text: bool) -> None:
        if data is None:
            await self._message(Text("Select something in the tree.", style="dim"), "empty")
            return
        if data.role == "error":
            await self._message(
                Text("This listing failed; press r on it to try again.", style="red"), "error"
            )
            return
        if data.role == "loading":
            await self._message(Text("loading…", style="dim italic"), "loading")
            return
        if data.is_dir:
            await self._fill_dir(data)
            return
        entry = data.entry
        size = entry.size if entry is not None else None
        kind = "text" if force_text else artifacts.artifact_kind(data.path, size)
        if kind in TEXT_KINDS:
            await self._open_log(data.path, size)
            return
        if kind in ("image", "archive", "binary"):
            self.preview_kind = "binary"
            await self._replace(BinaryInfo(data.path, size, kind, f"a {kind} file"))
            return
        if size is not None and size > PARSE_LIMIT:
            self.preview_kind = "binary"
            reason = f"{human_size(size)} is more than the {human_size(PARSE_LIMIT)} parsed whole"
            await self._replace(BinaryInfo(data.path, size, kind, reason))
            return
        raw = await self.explorer.source.read(data.path)
        name = data.path.rsplit("/", 1)[-1]
        try:
            widget = self._parsed_widget(kind, name, raw)
        except ParseError as exc:
            self.preview_kind = "binary"
            await self._replace(BinaryInfo(data.path, size, kind, str(exc)))
            return
        await self._replace(widget)

    def _parsed_widget(self, kind: str, name: str, raw: bytes) -> Widget:
        if kind == "events":
            self.preview_kind = "events"
            return EventsView(events.parse_events(raw, name))
        if kind == "junit":
            self.preview_kind = "junit"
            return JunitView(junit.parse_junit(raw, name))
        if kind in PARSERS:
            self.preview_kind = "metadata"
            parsed = PARSERS[kind](raw, name)
            rows = summary_rows(
                **{kind: parsed},
                result=metadata.build_result(parsed) if kind == "finished" else None,
            )
            return MetadataView(name, rows, [(name, raw)])
        self.preview_kind = "json"
        return JsonView(raw, name)

    async def _fill_dir(self, data: NodeData) -> None:
        if data.state == "failed":
            await self._message(
                Text("Listing this directory failed; press r to try again.", style="red"), "error"
            )
            return
        entries = await self.explorer.listings.get(data.path)
        kind = path_kind(data.path) if data.path else "root"
        if kind == "build":
            await self._fill_build(data, entries)
            return
        self.preview_kind = "dir"
        hint = Text(inert(data.path or "/"), style="bold")
        hint.append(f"  {len(entries)} entries", "dim")
        if kind == "job":
            hint.append("  ·  s: stats  e: export  t: triage", "dim")
        await self._replace(Static(hint, id="preview-hint"), DirListing(entries))

    async def _fill_build(self, data: NodeData, entries: list[Entry]) -> None:
        prefix = normalize_dir(data.path)
        names = {e.name for e in entries}
        parsed: dict[str, object] = {}
        raw: list[tuple[str, bytes]] = []
        notes: list[str] = []
        for file_name in BUILD_FILES:
            if file_name not in names:
                continue
            blob = await read_optional(self.explorer.source, prefix + file_name)
            if blob is None:
                continue
            raw.append((file_name, blob))
            key = file_name.removesuffix(".json")
            try:
                parsed[key] = PARSERS[key](blob, file_name)
            except ProwtuiError as exc:
                notes.append(str(exc))
        if "finished.json" not in names:
            notes.append("no finished.json: the build is still running or never finished")
        result = metadata.build_result(parsed.get("finished"))  # type: ignore[arg-type]
        rows = summary_rows(
            started=parsed.get("started"),
            finished=parsed.get("finished"),
            prowjob=parsed.get("prowjob"),
            podinfo=parsed.get("podinfo"),
            result=result,
            links=self.explorer.urls(prefix),
        )
        self.preview_kind = "build"
        title = f"build {prefix.rstrip('/').rsplit('/', 1)[-1]}"
        await self._replace(MetadataView(title, rows, raw, notes), DirListing(entries))

    async def _open_log(self, path: str, size: int | None) -> None:
        self.preview_kind = "log"
        try:
            panel = make_log_panel(self.explorer.logs)
        except ImportError:
            await self._message(
                Text("The log view is not available in this build.", style="yellow"), "log"
            )
            return
        await self._replace(panel)
        opened = panel.open_remote(self.explorer.source, path, size)  # type: ignore[attr-defined]
        if inspect.isawaitable(opened):
            await opened

    @on(BinaryInfo.LoadAnyway)
    def _load_anyway(self, event: BinaryInfo.LoadAnyway) -> None:
        event.stop()
        if self.current is not None:
            self.show(self.current, force_text=True)

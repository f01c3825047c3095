"""``e`` on a job: pick a folder, a build limit and tables; export in a worker with progress."""

from __future__ import annotations

from pathlib import Path

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, ProgressBar, Static

from prowtui.analysis.store import parse_location
from prowtui.app.services import Explorer
from prowtui.errors import ProwtuiError, UsageError
from prowtui.safetext import inert

#: tables offered, in the exporter's order; build_logs copies every log, so it starts unticked
DEFAULT_OFF = frozenset({"build_logs"})
#: screens shorter than this get the compact dialog
SHORT = 32


def export_tables() -> tuple[str, ...]:
    """The tables the exporter can write."""
    from prowtui.analysis.export import TABLES

    return tuple(TABLES)


def default_folder(job_path: str) -> str:
    """``./prowtui-export/<job name>`` relative to the working directory."""
    name = job_path.rstrip("/").rsplit("/", 1)[-1] or "job"
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name).strip(".") or "job"
    return str(Path.cwd() / "prowtui-export" / safe)


def parse_limit(value: str) -> int | None:
    """The build limit typed by the user: empty means all builds; ValueError when invalid."""
    value = value.strip()
    if not value:
        return None
    limit = int(value)
    if limit <= 0:
        raise ValueError("the build limit must be a positive number")
    return limit


class ExportScreen(ModalScreen[None]):
    """The export dialog: options, then a progress bar, then where the files are."""

    CSS_PATH = "export.tcss"
    BINDINGS = [Binding("escape,q", "cancel", "Cancel / close", id="export.cancel")]

    def __init__(self, explorer: Explorer, job_path: str, folder: str | None = None) -> None:
        super().__init__()
        self.explorer = explorer
        self.job_path = job_path
        self.folder = folder or default_folder(job_path)
        self.state = "idle"
        self.last_status: RenderableType = Text("")
        #: the exporter's result once done
        self.result = None

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="export-box"):
            yield Static(
                Text.assemble(("Export ", "bold"), (inert("/" + self.job_path), "cyan")),
                id="export-title",
            )
            yield Label("Target folder")
            yield Input(value=self.folder, id="export-folder")
            yield Label("Build limit (newest first; empty for all builds)")
            yield Input(placeholder="all", type="integer", id="export-limit")
            yield Label("Tables")
            with Horizontal(id="export-tables"):
                for table in export_tables():
                    yield Checkbox(table, value=table not in DEFAULT_OFF, id=f"table-{table}")
            yield ProgressBar(id="export-progress", show_eta=False)
            yield Static(id="export-status")
            with Horizontal(id="export-buttons"):
                yield Button("Export", variant="primary", id="export-start")
                yield Button("Close", id="export-close")

    def on_mount(self) -> None:
        self.query_one(ProgressBar).display = False
        self.query_one("#export-folder", Input).focus()

    def on_resize(self) -> None:
        """On a short terminal, borderless fields and buttons, so that the whole dialog fits
        (the box scrolls if it still does not)."""
        short = self.size.height < SHORT
        self.set_class(short, "-short")
        for widget in self.query("Input, Checkbox, Button"):
            widget.compact = short  # type: ignore[attr-defined]

    def chosen_tables(self) -> list[str]:
        """The ticked tables."""
        return [t for t in export_tables() if self.query_one(f"#table-{t}", Checkbox).value]

    def _status(self, text: RenderableType, style: str = "") -> None:
        value = Text(text, style=style) if isinstance(text, str) else text
        #: what the status line shows (for tests)
        self.last_status = value
        self.query_one("#export-status", Static).update(value)

    @on(Button.Pressed, "#export-start")
    @on(Input.Submitted)
    def start(self) -> None:
        """Validate the options and start the export."""
        if self.state == "running":
            return
        folder = self.query_one("#export-folder", Input).value.strip()
        try:
            limit = parse_limit(self.query_one("#export-limit", Input).value)
        except ValueError:
            self._status("the build limit must be a positive whole number", "red")
            return
        tables = self.chosen_tables()
        if not folder:
            self._status("choose a target folder", "red")
            return
        if not tables:
            self._status("tick at least one table", "red")
            return
        try:
            location = parse_location(folder)
        except UsageError as exc:
            self._status(str(exc), "red")
            return
        if location.path is None:  # never a local directory named after a bucket URL
            self._status(
                "the explorer exports to a local folder; for a bucket run "
                f"prowtui export JOBPATH -o {location.kind}://BUCKET/PREFIX",
                "red",
            )
            return
        self.run_export(location.path, limit, tables)

    def _progress(self, done: int, total: int, *_: object) -> None:
        self.query_one(ProgressBar).update(total=max(total, 1), progress=done)
        self._status(f"exporting: {done} of {total} builds  ·  esc to cancel")

    @work(exclusive=True, group="export", exit_on_error=False)
    async def run_export(self, folder: Path, limit: int | None, tables: list[str]) -> None:
        """Run the exporter and report where the files are."""
        from prowtui.analysis.export import export_job

        self.state = "running"
        self.query_one("#export-start", Button).disabled = True
        progress = self.query_one(ProgressBar)
        progress.display = True
        progress.update(total=None, progress=0)
        self._status("listing builds…")
        try:
            result = await export_job(
                self.explorer.source,
                self.job_path,
                folder,
                limit=limit,
                tables=tables,
                on_progress=self._progress,
            )
        except (ProwtuiError, OSError) as exc:
            self.state = "failed"
            reason = inert(str(exc))
            self._status(f"export failed: {reason}", "red")
            self.notify(reason, title="export", severity="error", markup=False)
            self.query_one("#export-start", Button).disabled = False
            return
        finally:
            progress.display = self.state == "running"
        self.result = result
        self.state = "done"
        progress.display = False
        self._status(self.summary(result, folder))
        self.query_one("#export-start", Button).disabled = False
        self.query_one("#export-close", Button).focus()

    @staticmethod
    def summary(result: object, folder: Path) -> RenderableType:
        """Where each file is and how many rows it holds."""
        table = Table(box=None, padding=(0, 1), title=None, show_header=True)
        table.add_column("table")
        table.add_column("rows", justify="right")
        table.add_column("file")
        paths = dict(getattr(result, "paths", {}))
        counts = dict(getattr(result, "row_counts", {}))
        for name, path in paths.items():
            table.add_row(
                Text(inert(name)),
                Text(str(counts.get(name, "")), justify="right"),
                Text(inert(path)),
            )
        failures = list(getattr(result, "failures", []))
        title = Text.assemble(("Done. ", "bold green"), (f"Files in {inert(folder)}", ""))
        if failures:
            title.append(f"\n{len(failures)} builds failed", "bold red")
            failures_path = getattr(result, "failures_path", None)
            if failures_path:
                title.append(f" (see {inert(failures_path)})", "red")
        return Group(title, table)

    @on(Button.Pressed, "#export-close")
    def _close(self) -> None:
        self.action_cancel()

    def action_cancel(self) -> None:
        """Cancel a running export (its partial files are removed) or close the dialog."""
        if self.state == "running":
            self.workers.cancel_group(self, "export")
            self.state = "cancelled"
            self.query_one(ProgressBar).display = False
            self.query_one("#export-start", Button).disabled = False
            self._status("export cancelled; no partial files were kept", "yellow")
            return
        self.dismiss(None)

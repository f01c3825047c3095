"""A junit XML file as a table of tests, failures first, with the selected failure's text."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import DataTable, Static

from prowtui.app.widgets.cells import cell
from prowtui.safetext import inert

#: display order and style of statuses
STATUS_ORDER = {"failed": 0, "failure": 0, "error": 1, "skipped": 3, "passed": 4}
STATUS_STYLE = {
    "failed": "bold red",
    "failure": "bold red",
    "error": "bold magenta",
    "skipped": "dim",
    "passed": "green",
}


def ordered_tests(rows: Sequence[Any]) -> list[Any]:
    """Failures and errors first, then the rest, each by suite and name."""
    return sorted(
        rows,
        key=lambda r: (
            STATUS_ORDER.get(str(getattr(r, "status", "")).lower(), 2),
            str(getattr(r, "suite", "") or ""),
            str(getattr(r, "name", "") or ""),
        ),
    )


class JunitView(Vertical):
    """Tests of one junit file; the message of the highlighted test below the table."""

    DEFAULT_CSS = """
    JunitView { height: 1fr; }
    JunitView > #junit-status { height: 1; background: $boost; padding: 0 1; }
    JunitView > DataTable { height: 2fr; }
    JunitView > #junit-detail { height: 1fr; border-top: solid $primary; padding: 0 1; }
    """

    def __init__(self, rows: Sequence[Any], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows = ordered_tests(rows)

    def compose(self) -> ComposeResult:
        yield Static(id="junit-status")
        yield DataTable(cursor_type="row", zebra_stripes=True, id="junit-table")
        with VerticalScroll(id="junit-detail"):
            yield Static(id="junit-message")

    def on_focus(self) -> None:
        self.query_one(DataTable).focus()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column(Text("status"), key="status")
        table.add_column(Text("time s", justify="right"), key="time")
        table.add_column(Text("suite"), key="suite")
        table.add_column(Text("test"), key="name")
        for row in self.rows:
            status = str(getattr(row, "status", "") or "")
            time_s = getattr(row, "time_s", None)
            table.add_row(
                cell(status, STATUS_STYLE.get(status.lower(), "")),
                Text("" if time_s is None else f"{float(time_s):.2f}", justify="right"),
                cell(getattr(row, "suite", ""), limit=60),
                cell(getattr(row, "name", ""), limit=400),
            )
        counts = Counter(str(getattr(r, "status", "")).lower() for r in self.rows)
        summary = Text(f"{len(self.rows)} tests", style="bold")
        for status, n in sorted(counts.items(), key=lambda kv: STATUS_ORDER.get(kv[0], 2)):
            summary.append(f"  {n} {inert(status)}", STATUS_STYLE.get(status, ""))
        self.query_one("#junit-status", Static).update(summary)
        self.show_detail(0)

    def show_detail(self, index: int) -> None:
        """Show the failure text of test ``index``."""
        target = self.query_one("#junit-message", Static)
        if not self.rows or not 0 <= index < len(self.rows):
            target.update(Text("no tests in this file", style="dim italic"))
            return
        row = self.rows[index]
        text = Text()
        text.append(inert(getattr(row, "name", "")), "bold")
        classname = getattr(row, "classname", "")
        if classname:
            text.append(f"  ({inert(classname)})", "dim")
        text.append("\n")
        message = getattr(row, "message", None)
        if message:
            text.append(inert(message, keep_newlines=True))
        else:
            text.append(f"{inert(getattr(row, 'status', ''))}: no failure text", "dim italic")
        target.update(text)

    @on(DataTable.RowHighlighted)
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.show_detail(event.cursor_row)

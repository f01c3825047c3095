"""``events.json`` as a table: sortable by any column, warnings-only, message frequencies."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.reactive import reactive
from textual.widgets import DataTable, Static

from prowtui.app.widgets.cells import cell, sort_key

#: (column key, header, EventRow attribute)
COLUMNS: list[tuple[str, str]] = [
    ("last_timestamp", "last seen"),
    ("type", "type"),
    ("reason", "reason"),
    ("count", "count"),
    ("message", "message"),
    ("object", "object"),
    ("first_timestamp", "first seen"),
    ("source_component", "source"),
]


def _value(row: Any, key: str) -> object:
    if key == "object":
        kind = getattr(row, "involved_kind", None) or ""
        name = getattr(row, "involved_name", None) or ""
        return f"{kind}/{name}" if kind or name else ""
    return getattr(row, key, None)


def message_frequencies(rows: Sequence[Any]) -> list[tuple[str, int, float]]:
    """``value_counts`` of event messages: (message, events, share), most frequent first."""
    counts = Counter(str(getattr(row, "message", "") or "") for row in rows)
    total = sum(counts.values()) or 1
    return [
        (msg, n, n / total) for msg, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    ]


class EventsView(Vertical):
    """Kubernetes events of a build."""

    BINDINGS = [
        Binding("o", "next_sort", "Sort", tooltip="sort by the next column", id="events.sort"),
        Binding(
            "O",
            "reverse_sort",
            "Reverse",
            show=False,
            tooltip="reverse the order",
            id="events.reverse",
        ),
        Binding("w", "toggle_warnings", "Warnings", tooltip="warnings only", id="events.warnings"),
        Binding("c", "toggle_counts", "Counts", tooltip="events per message", id="events.counts"),
    ]

    DEFAULT_CSS = """
    EventsView { height: 1fr; }
    EventsView > #events-status { height: 1; background: $boost; padding: 0 1; }
    EventsView > DataTable { height: 1fr; }
    """

    sort_column: reactive[str] = reactive("last_timestamp", init=False)
    descending: reactive[bool] = reactive(True, init=False)
    warnings_only: reactive[bool] = reactive(False, init=False)
    show_counts: reactive[bool] = reactive(False, init=False)

    def __init__(self, rows: Sequence[Any], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows = list(rows)

    def compose(self) -> ComposeResult:
        yield Static(id="events-status")
        yield DataTable(cursor_type="row", zebra_stripes=True, id="events-table")

    def on_mount(self) -> None:
        self.refresh_table()

    def on_focus(self) -> None:
        self.query_one(DataTable).focus()

    @property
    def table(self) -> DataTable[Text]:
        """The table widget."""
        return self.query_one("#events-table", DataTable)

    def visible_rows(self) -> list[Any]:
        """The events shown: filtered, then sorted by the current column."""
        rows = self.rows
        if self.warnings_only:
            rows = [r for r in rows if str(getattr(r, "type", "") or "").lower() == "warning"]
        keyed = sorted(rows, key=lambda r: sort_key(_value(r, self.sort_column)))
        if self.descending:
            present = [r for r in keyed if sort_key(_value(r, self.sort_column))[0] != 2]
            missing = [r for r in keyed if sort_key(_value(r, self.sort_column))[0] == 2]
            keyed = list(reversed(present)) + missing
        return keyed

    def refresh_table(self) -> None:
        """Rebuild the table for the current mode, sort and filter."""
        table = self.table
        table.clear(columns=True)
        status = Text()
        if self.show_counts:
            rows = self.visible_rows()
            table.add_column(Text("events", justify="right"), key="n")
            table.add_column(Text("share", justify="right"), key="share")
            table.add_column(Text("message"), key="message")
            for message, n, share in message_frequencies(rows):
                table.add_row(
                    Text(str(n), justify="right"),
                    Text(f"{share:.1%}", justify="right"),
                    cell(message),
                )
            status.append("message frequencies", "bold")
            status.append(f"  {len(rows)} events  ·  c: back to the table  w: warnings only", "dim")
        else:
            for key, header in COLUMNS:
                marker = (" ▼" if self.descending else " ▲") if key == self.sort_column else ""
                table.add_column(Text(header + marker), key=key)
            rows = self.visible_rows()
            for row in rows:
                warn = str(getattr(row, "type", "") or "").lower() == "warning"
                cells = []
                for key, _ in COLUMNS:
                    style = "yellow" if warn and key in ("type", "reason") else ""
                    cells.append(
                        cell(_value(row, key), style, limit=160 if key == "message" else 60)
                    )
                table.add_row(*cells)
            status.append(f"{len(rows)} of {len(self.rows)} events", "bold")
            header = dict(COLUMNS)[self.sort_column]
            status.append(
                f"  sorted by {header} {'desc' if self.descending else 'asc'}"
                f"{'  · warnings only' if self.warnings_only else ''}"
                "  ·  o/O sort  w warnings  c counts",
                "dim",
            )
        self.query_one("#events-status", Static).update(status)

    def watch_sort_column(self) -> None:
        self.refresh_table()

    def watch_descending(self) -> None:
        self.refresh_table()

    def watch_warnings_only(self) -> None:
        self.refresh_table()

    def watch_show_counts(self) -> None:
        self.refresh_table()

    def sort_by(self, column: str, descending: bool | None = None) -> None:
        """Sort by ``column`` (one of :data:`COLUMNS`)."""
        if descending is not None:
            self.set_reactive(EventsView.descending, descending)
        if column == self.sort_column:
            self.refresh_table()
        else:
            self.sort_column = column

    def action_next_sort(self) -> None:
        keys = [k for k, _ in COLUMNS]
        self.sort_column = keys[(keys.index(self.sort_column) + 1) % len(keys)]

    def action_reverse_sort(self) -> None:
        self.descending = not self.descending

    def action_toggle_warnings(self) -> None:
        self.warnings_only = not self.warnings_only

    def action_toggle_counts(self) -> None:
        self.show_counts = not self.show_counts

    @on(DataTable.HeaderSelected)
    def _header_clicked(self, event: DataTable.HeaderSelected) -> None:
        key = str(event.column_key.value)
        if self.show_counts or key not in dict(COLUMNS):
            return
        if key == self.sort_column:
            self.descending = not self.descending
        else:
            self.sort_column = key

"""A directory's listing as a table: name, size and modified time."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from prowtui.app.widgets.cells import cell
from prowtui.sources.base import Entry
from prowtui.units import human_size


class DirListing(DataTable[Text]):
    """Read-only listing of one directory."""

    DEFAULT_CSS = """
    DirListing { height: 1fr; }
    """

    def __init__(self, entries: list[Entry], *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self._entries = entries

    def on_mount(self) -> None:
        self.add_column(Text("name"), key="name")
        self.add_column(Text("size", justify="right"), key="size")
        self.add_column(Text("modified"), key="modified")
        for entry in self._entries:
            self.add_row(
                cell(entry.name, "bold" if entry.is_dir else ""),
                Text(human_size(entry.size), justify="right"),
                cell(entry.updated),
            )
        if not self._entries:
            self.add_row(Text("(empty directory)", style="dim italic"), Text(""), Text(""))

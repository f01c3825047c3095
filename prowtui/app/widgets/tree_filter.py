"""``f`` in the tree: a filter line under it narrowing one folder's children as you type."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Input, Static
from textual.widgets.tree import TreeNode

from prowtui.app.widgets.bucket_tree import BucketTree, NodeData
from prowtui.safetext import inert


class TreeFilter(Horizontal):
    """The filter line: an input and the count of names it keeps (``132 of 20,000``).

    Every key filters the folder again (no new listing); ``enter`` keeps the filter and moves
    into the tree, ``esc`` clears it. The folder's own row says it is filtered.
    """

    DEFAULT_CSS = Path(__file__).with_name("tree_filter.tcss").read_text(encoding="utf-8")

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "clear", "Clear filter", id="filter.clear"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._tree: BucketTree | None = None
        self._folder: TreeNode[NodeData] | None = None

    def compose(self) -> ComposeResult:
        yield Input(placeholder="filter: name or *?[ pattern", id="tree-filter-input")
        yield Static("", id="tree-filter-count")

    @property
    def input(self) -> Input:
        """The text field."""
        return self.query_one("#tree-filter-input", Input)

    @property
    def folder(self) -> TreeNode[NodeData] | None:
        """The folder being filtered (None while closed)."""
        return self._folder

    def open(self, tree: BucketTree, folder: TreeNode[NodeData]) -> None:
        """Show the line for ``folder``, with its current filter, and focus it."""
        self._tree, self._folder = tree, folder
        tree.place_cursor(folder)
        data = folder.data
        text = data.filter if data is not None else ""
        field = self.input
        with field.prevent(Input.Changed):
            field.value = text
        field.cursor_position = len(text)
        self.show_count()
        self.display = True
        # at once, not after the keys already queued: what is typed right after ``f`` filters
        self.screen.set_focus(field)

    def close(self) -> None:
        """Hide the line and give the focus back to the tree."""
        tree = self._tree
        self.put_away()
        if tree is not None:
            self.screen.set_focus(tree)

    def put_away(self) -> None:
        """Hide the line, the folder keeping its filter."""
        self.display = False
        self._folder = None

    @on(Input.Changed, "#tree-filter-input")
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        if self._tree is not None and self._folder is not None:
            self._tree.set_filter(self._folder, event.value)
            self.show_count()

    @on(Input.Submitted, "#tree-filter-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        tree, folder = self._tree, self._folder
        self.close()
        if tree is not None and folder is not None:
            shown = [c for c in folder.children if c.data is not None and c.data.role == "entry"]
            tree.place_cursor(shown[0] if shown else folder)

    def action_clear(self) -> None:
        """Drop the filter (every child shows again) and go back to the tree."""
        tree, folder = self._tree, self._folder
        if tree is not None and folder is not None:
            tree.set_filter(folder, "")
        self.close()
        if tree is not None and folder is not None:
            tree.place_cursor(folder)

    def show_count(self) -> None:
        """The count of names kept (or "listing…" while the folder loads)."""
        folder = self._folder
        data = folder.data if folder is not None else None
        count = self.query_one("#tree-filter-count", Static)
        if data is None:
            count.update("")
        elif data.state != "loaded":
            count.update(Text("listing…", style="dim italic"))
        elif not data.filter:
            count.update(Text(f"{data.total:,}", style="dim"))
        else:
            count.update(Text(f"{data.matches:,} of {data.total:,}"))
        self.tooltip = inert(f"filtering /{data.path}") if data is not None else None

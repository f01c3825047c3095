"""The lazy bucket tree: one listing per expand, a loading child, an error child, build results,
a filter per folder.

Labels are always ``rich.text.Text`` built from inert strings (``Tree`` would parse a plain
``str`` as markup). Build rows show their result and start time, read only for the rows on
screen, through the app's :class:`~prowtui.app.services.BuildResultCache`.

A folder's children are added and removed in one batch and the tree never measures every
label (it does not scroll sideways), so a folder of tens of thousands of entries opens and
filters at once.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from rich.style import Style
from rich.text import Text
from textual import events, on
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Tree
from textual.widgets._tree import _TreeLine
from textual.widgets.tree import TreeNode, UnknownNodeID

from prowtui.app.services import BuildResultCache, BuildSummary, ListingCache, format_time
from prowtui.app.widgets.cells import ellipsize_end, ellipsize_middle
from prowtui.app.widgets.name_filter import name_matcher
from prowtui.errors import NotCached, ProwtuiError
from prowtui.prow.jobs import classify_path
from prowtui.safetext import inert
from prowtui.sources.base import Entry, normalize_dir
from prowtui.units import human_size

#: result -> (symbol, style) of a build row
RESULT_STYLES: dict[str, tuple[str, str]] = {
    "SUCCESS": ("✔", "bold green"),
    "FAILURE": ("✘", "bold red"),
    "ABORTED": ("⊘", "bold yellow"),
    "ERROR": ("!", "bold magenta"),
    "PENDING": ("◷", "bold cyan"),
    "UNKNOWN": ("?", "dim"),
}


@dataclass
class NodeData:
    """What a tree node stands for."""

    path: str
    is_dir: bool
    entry: Entry | None = None
    #: "entry", "loading" or "error"
    role: str = "entry"
    #: "new", "loading", "loaded", "failed"
    state: str = "new"
    #: bumped on reload so late listings of an older request are dropped
    generation: int = 0
    kind: str = field(default="other")
    #: the build result its label shows (None: not read yet, or its label not updated yet)
    shown: BuildSummary | None = None
    #: the filter on this folder's children ("" when none)
    filter: str = ""
    #: every child while a filter hides some (None when unfiltered)
    all_children: list[Any] | None = field(default=None, repr=False)
    #: how many entries the filter keeps, of how many
    matches: int = 0
    total: int = 0

    @property
    def is_build(self) -> bool:
        """True for a build directory of a job."""
        return self.is_dir and self.kind == "build"


def path_kind(path: str) -> str:
    """The domain kind of a path (classify_path), "other" when it cannot tell."""
    try:
        return classify_path(path).kind
    except (ProwtuiError, ValueError):
        return "other"


#: seconds the keys behind ``f`` are held at most, waiting for its binding
HOLD_LIMIT = 1.0
#: a big folder's rows are made this many at a time, the event loop running in between
#: whenever making them has held it for MAX_BLOCK seconds
ROWS_AT_ONCE = 2_000
MAX_BLOCK = 0.15

#: what separates a row's name from its details (size, start time) in a label
LABEL_GAP = "  "
#: the fewest cells of details worth showing when a label is cut
MIN_DETAILS = 6
#: the fewest cells a filtered folder's name keeps beside its filter note
MIN_NAME = 8


def entry_label(entry: Entry, kind: str, summary: BuildSummary | None = None) -> Text:
    """The label of one listing row."""
    name = inert(entry.name)
    if entry.is_dir and kind == "build":
        label = Text()
        if summary is None:
            label.append("· ", "dim")
        else:
            symbol, style = RESULT_STYLES.get(summary.result, RESULT_STYLES["UNKNOWN"])
            label.append(f"{symbol} ", style)
        label.append(name.rstrip("/"), "bold")
        if summary is not None and summary.started is not None:
            label.append(f"{LABEL_GAP}{format_time(summary.started)}", "dim")
        return label
    if entry.is_dir:
        return Text(name, style="bold")
    label = Text(name)
    if entry.size is not None:
        label.append(f"{LABEL_GAP}{human_size(entry.size)}", "dim")
    return label


class BucketTree(Tree[NodeData]):
    """A tree mirroring a source, listed lazily."""

    BINDINGS = [
        Binding("r", "reload", "Reload", id="tree.reload"),
        Binding("f", "filter", "Filter", id="tree.filter"),
        # the tree's own: a log preview keeps ``/`` for searching inside the log
        Binding("slash", "screen.search_builds", "Search builds", show=False, id="tree.search"),
        Binding("j", "cursor_down", "Down", show=False, id="tree.down"),
        Binding("k", "cursor_up", "Up", show=False, id="tree.up"),
        Binding("l", "expand_node", "Open", show=False, id="tree.open"),
        Binding("h", "collapse_or_parent", "Close", show=False, id="tree.close"),
        Binding("g", "scroll_home", "Top", show=False, id="tree.top"),
        Binding("G", "scroll_end", "Bottom", show=False, id="tree.bottom"),
        # a Tree is a ScrollView, whose left/right would scroll sideways: browse instead
        Binding("right", "screen.focus_preview", "Preview", show=False, id="tree.preview"),
        Binding("left", "collapse_or_parent", "Close", show=False, id="tree.left"),
    ]

    DEFAULT_CSS = """
    BucketTree { scrollbar-size-vertical: 1; }
    """

    class ListingFailed(Message):
        """A listing failed; ``reason`` is already inert."""

        def __init__(self, path: str, reason: str) -> None:
            self.path = path
            self.reason = reason
            super().__init__()

    class Filtered(Message):
        """``folder``'s children were filtered again (a key, or its listing arrived)."""

        def __init__(self, folder: TreeNode[NodeData]) -> None:
            self.folder = folder
            super().__init__()

    class Revealed(Message):
        """``reveal`` reached (or gave up at) ``path``."""

        def __init__(self, path: str, found: bool) -> None:
            self.path = path
            self.found = found
            super().__init__()

    def __init__(
        self,
        listings: ListingCache,
        results: BuildResultCache,
        root_label: str,
        *,
        id: str | None = None,
    ) -> None:
        super().__init__(Text(inert(root_label), style="bold"), NodeData("", True), id=id)
        self.listings = listings
        self.results = results
        self._results_timer: Timer | None = None
        #: keys behind ``f``, held until its binding opens the filter line (None: not held)
        self._held_keys: list[events.Key] | None = None
        self._held_timer: Timer | None = None
        self.guide_depth = 2

    def on_mount(self) -> None:
        self.root.expand()

    def render_label(self, node: TreeNode[NodeData], base_style: Style, style: Style) -> Text:
        """The label cut in the middle to the tree's width (no sideways scrolling): the full
        path of the cursor's node is in the header."""
        label = super().render_label(node, base_style, style)
        width = self.scrollable_content_region.width
        depth, parent = 0, node.parent
        while parent is not None:
            depth += 1
            parent = parent.parent
        room = max(8, width - depth * self.guide_depth)
        data = node.data
        if data is not None and data.filter:
            # a filtered folder always says so: the longest note that fits beside the name
            # (cut in the middle to MIN_NAME cells at most), else the shortest
            if width <= 0:
                return label.append(filter_notes(data)[0], "italic yellow")
            notes = filter_notes(data)
            name_cells = min(label.cell_len, MIN_NAME)
            note = next((n for n in notes if name_cells + len(n) <= room), notes[-1])
            if label.cell_len + len(note) > room:
                label = ellipsize_middle(label, max(MIN_NAME, room - len(note)))
            return label.append(note, "italic yellow")
        if width <= 0:
            return label
        if label.cell_len <= room:
            return label
        # the details after the name (size, start time) give way first, then the name's middle
        gap = label.plain.find(LABEL_GAP)
        if gap > 0:
            name, details = label[:gap], label[gap:]
            if name.cell_len + len(LABEL_GAP) + MIN_DETAILS <= room:
                return Text.assemble(name, ellipsize_end(details, room - name.cell_len))
            label = name
        return ellipsize_middle(label, room)

    def on_key(self, event: events.Key) -> None:
        """Keys typed (or pasted) right behind ``f`` are the filter line's.

        A binding runs only once its key has bubbled up to the app, and by then the keys
        behind it are already queued here, for the tree: from ``f`` until its binding has
        opened the line, keys are held and then handed to the line, in order. The keys before
        ``f`` keep their order too (``↓ enter f 4.16`` filters the folder ``enter`` opened).
        """
        if self._held_keys is not None:
            event.stop()
            event.prevent_default()
            self._held_keys.append(events.Key(event.key, event.character))
            return
        if self.screen.focused is not self:
            return
        active = self.screen.active_bindings.get(event.key)  # the key map applied
        if active is not None and active.node is self and active.binding.action == "filter":
            self._held_keys = []
            # should the binding not run (nothing should stop it), the keys go back to the tree
            self._held_timer = self.set_timer(HOLD_LIMIT, self._release_held_keys)

    def _take_held_keys(self) -> list[events.Key]:
        keys, self._held_keys = self._held_keys or [], None
        if self._held_timer is not None:
            self._held_timer.stop()
            self._held_timer = None
        return keys

    def _release_held_keys(self) -> None:
        for key in self._take_held_keys():
            self.post_message(key)

    def process_label(self, label: str | Text) -> Text:
        """Labels are built here from inert, one-line strings: taken as they are (Textual
        would copy and split each one again)."""
        if isinstance(label, Text):
            return label
        return super().process_label(label)

    def get_label_width(self, node: TreeNode[NodeData]) -> int:
        """Nothing to measure: labels are cut to the tree's width, which never scrolls
        sideways (Textual would otherwise render every label of a 20,000-entry folder)."""
        return 0

    def _build(self) -> None:
        """Textual's line builder, walked with a stack instead of its recursive closure.

        The closure refers to itself and to the list of lines, so every list it built (two
        objects a line: 40,000 for a 20,000-entry folder) was freed only by the cycle
        collector, a pause of a tenth of a second every few filter keys. Same lines, same
        order, same cursor rule.
        """
        lines: list[_TreeLine[NodeData]] = []
        root = self.root
        show_root = self.show_root
        if show_root:
            stack: list[tuple[list[TreeNode[NodeData]], TreeNode[NodeData], bool]] = [
                ([], root, True)
            ]
        else:
            stack = [([], child, True) for child in reversed(root._children)]
        while stack:
            path, node, last = stack.pop()
            child_path = [*path, node]
            node._line = len(lines)
            lines.append(_TreeLine(child_path, last))
            if node._expanded:
                children = node._children
                final = len(children) - 1
                stack.extend(
                    (child_path, children[index], index == final) for index in range(final, -1, -1)
                )
        self._tree_lines_cached = lines
        guide_depth = self.guide_depth
        depth = max((len(line.path) for line in lines), default=0)
        width = _TreeLine([root] * depth, True)._get_guide_width(guide_depth, show_root)
        self.virtual_size = Size(width if lines else self.size.width, len(lines))
        if self.cursor_line != -1:
            if self.cursor_node is not None:
                self.cursor_line = self.cursor_node._line
            if self.cursor_line >= len(lines):
                self.cursor_line = -1

    # -- children in one batch -------------------------------------------------------------

    def _replace_children(
        self, node: TreeNode[NodeData], children: list[tuple[Text, NodeData, bool]]
    ) -> None:
        """Replace ``node``'s children by ``(label, data, expandable)`` rows in one batch.

        ``TreeNode.add`` invalidates the whole tree once per child and ``remove_children``
        looks each child up in its parent's list, both fine for a build and seconds for a
        folder of 20,000 jobs; this does the same work with Textual's node constructor and one
        invalidation.
        """
        self._drop_children(node)
        add_node = self._add_node
        new: list[TreeNode[NodeData]] = []
        for label, data, expandable in children:
            child = add_node(node, label, data)
            child._allow_expand = expandable
            new.append(child)
        node._children[:] = new
        node._updates += 1
        self._invalidate()

    def _drop_children(self, node: TreeNode[NodeData]) -> None:
        """Forget ``node``'s children (hidden ones too) and everything below them."""
        nodes = self._tree_nodes
        stack = list(_every_child(node))
        while stack:
            child = stack.pop()
            nodes.pop(child._id, None)
            stack.extend(_every_child(child))
        node._children.clear()
        if node.data is not None:
            node.data.all_children = None

    # -- the filter ------------------------------------------------------------------------

    def filter_folder(self) -> TreeNode[NodeData]:
        """The folder ``f`` filters: the cursor's expanded folder, else the folder holding the
        cursor's file or collapsed folder."""
        node = self.cursor_node or self.root
        data = node.data
        if (
            data is not None
            and data.is_dir
            and data.role == "entry"
            and (node.is_expanded or node.is_root)
        ):
            return node
        return node.parent or self.root

    def action_filter(self) -> None:
        """Filter the folder under the cursor (or holding it) by name: the screen's filter
        line opens, focused, with the keys typed behind ``f``.

        It opens once the tree's own messages before it are handled (an ``enter`` just
        before ``f`` expands its folder through one), the keys behind ``f`` still held.
        """
        if self._held_keys is None:
            self._held_keys = []
        self.call_later(self._open_filter)

    def _open_filter(self) -> None:
        held = self._take_held_keys()
        opener = getattr(self.screen, "open_filter", None)
        if opener is None:
            return
        opener(self.filter_folder())
        focused = self.screen.focused
        for key in held:
            (focused or self).post_message(key)

    def set_filter(self, node: TreeNode[NodeData], text: str) -> tuple[int, int]:
        """Show only ``node``'s children whose names match ``text`` (everything for "");
        ``(matches, total)``. A folder still loading is filtered when its listing arrives."""
        data = node.data
        assert data is not None
        data.filter = text
        if data.state == "loaded":
            self._apply_filter(node)
        else:
            node.refresh()
        return data.matches, data.total

    def _apply_filter(self, node: TreeNode[NodeData]) -> None:
        data = node.data
        assert data is not None
        if data.all_children is not None:
            for child in node._children:  # the "no match" leaf of the previous filter
                if child.data is not None and child.data.role == "nomatch":
                    self._tree_nodes.pop(child._id, None)
            everything = data.all_children
        else:
            everything = list(node._children)
        entries = [c for c in everything if c.data is not None and c.data.role == "entry"]
        data.total = len(entries)
        if not data.filter:
            data.all_children = None
            data.matches = data.total
            shown = everything
        else:
            matches = name_matcher(data.filter)
            shown = [c for c in entries if matches(c.data.entry.name)]
            data.all_children = everything
            data.matches = len(shown)
            if not shown:
                leaf = self._add_node(
                    node,
                    Text(f"(no name matches {inert(data.filter)})", style="dim italic"),
                    NodeData(data.path, False, role="nomatch"),
                )
                leaf._allow_expand = False
                shown = [leaf]
        node._children[:] = shown
        node._updates += 1
        self._invalidate()
        cursor = self.cursor_node
        if cursor is not None and not _attached(cursor):
            self.place_cursor(node)
        self.schedule_build_results()
        self.post_message(self.Filtered(node))

    # -- loading -------------------------------------------------------------------------

    @on(Tree.NodeExpanded)
    def _on_expanded(self, event: Tree.NodeExpanded[NodeData]) -> None:
        data = event.node.data
        if data is not None and data.is_dir and data.state in ("new", "failed"):
            self.load_node(event.node)

    def load_node(self, node: TreeNode[NodeData]) -> None:
        """Start listing ``node`` in a worker (one per path, a newer request wins)."""
        data = node.data
        assert data is not None
        self._begin_loading(node)
        self.run_worker(
            self.populate(node, data.generation),
            group=f"list:{data.path}",
            exclusive=True,
            exit_on_error=False,
        )

    def _begin_loading(self, node: TreeNode[NodeData]) -> None:
        data = node.data
        assert data is not None
        data.state = "loading"
        self._replace_children(
            node,
            [
                (
                    Text("loading…", style="dim italic"),
                    NodeData(data.path, False, role="loading"),
                    False,
                )
            ],
        )

    def _alive(self, node: TreeNode[NodeData]) -> bool:
        try:
            return self.get_node_by_id(node.id) is node
        except UnknownNodeID:
            return False

    async def populate(self, node: TreeNode[NodeData], generation: int) -> bool:
        """List ``node``'s path and replace its children; False when it failed or went stale."""
        data = node.data
        assert data is not None
        if data.state != "loading":
            self._begin_loading(node)
        try:
            entries = await self.listings.get(data.path)
        except ProwtuiError as exc:
            if not self._alive(node) or data.generation != generation:
                return False
            reason = inert(str(exc)) or type(exc).__name__
            data.state = "failed"
            # offline, retrying cannot help: the reason already says what to do
            hint = "" if isinstance(exc, NotCached) else "  (r to retry)"
            self._replace_children(
                node,
                [
                    (
                        Text(f"⚠ {reason}{hint}", style="red"),
                        NodeData(data.path, False, role="error"),
                        False,
                    )
                ],
            )
            self.post_message(self.ListingFailed(data.path, reason))
            return False
        if not self._alive(node) or data.generation != generation:
            return False
        rows = self._entry_rows(entries[:ROWS_AT_ONCE])
        since = time.monotonic()
        for start in range(ROWS_AT_ONCE, len(entries), ROWS_AT_ONCE):
            # tens of thousands of rows take a while: the app answers keys in between (not
            # after every slice: each pause can cost a screen refresh)
            if time.monotonic() - since > MAX_BLOCK:
                await asyncio.sleep(0)
                if not self._alive(node) or data.generation != generation:
                    return False
                since = time.monotonic()
            rows += self._entry_rows(entries[start : start + ROWS_AT_ONCE])
        if not entries:
            rows.append(
                (
                    Text("(empty)", style="dim italic"),
                    NodeData(data.path, False, role="loading"),
                    False,
                )
            )
        data.state = "loaded"
        self._replace_children(node, rows)
        self._apply_filter(node)
        return True

    def _entry_rows(self, entries: list[Entry]) -> list[tuple[Text, NodeData, bool]]:
        """``(label, data, expandable)`` of each entry."""
        rows: list[tuple[Text, NodeData, bool]] = []
        cached_result = self.results.cached
        for entry in entries:
            kind = path_kind(entry.path)
            child_data = NodeData(entry.path, entry.is_dir, entry, kind=kind)
            summary = cached_result(entry.path) if child_data.is_build else None
            child_data.shown = summary
            rows.append((entry_label(entry, kind, summary), child_data, entry.is_dir))
        return rows

    def action_reload(self) -> None:
        """Reload the directory under the cursor (or the directory holding the file)."""
        node = self.cursor_node
        if node is None:
            return
        while node.data is not None and (not node.data.is_dir or node.data.role != "entry"):
            if node.parent is None:
                break
            node = node.parent
        data = node.data
        if data is None:
            return
        data.generation += 1
        self.listings.forget(data.path)
        self.results.forget(data.path)
        if data.is_build and data.entry is not None:
            data.shown = None
            node.set_label(entry_label(data.entry, data.kind, None))
        self.load_node(node)
        node.expand()

    def action_expand_node(self) -> None:
        node = self.cursor_node
        if node is not None and node.allow_expand:
            node.expand()

    def action_collapse_or_parent(self) -> None:
        node = self.cursor_node
        if node is None:
            return
        if node.is_expanded and node.allow_expand:
            node.collapse()
        elif node.parent is not None:
            self.place_cursor(node.parent)

    def place_cursor(self, node: TreeNode[NodeData]) -> None:
        """Move the cursor to ``node`` (lines are rebuilt first so its line number is known)."""
        self.get_node_at_line(0)  # rebuilds the line cache after children changed
        self.move_cursor(node)

    # -- reveal a deep path --------------------------------------------------------------

    async def reveal(self, path: str) -> bool:
        """Open the tree down to ``path`` and put the cursor on it."""
        path = path.lstrip("/")
        segments = [s for s in path.split("/") if s]
        node = self.root
        prefix = ""
        for index, segment in enumerate(segments):
            data = node.data
            assert data is not None
            if data.state != "loaded":
                data.generation += 1
                if not await self.populate(node, data.generation):
                    self.place_cursor(node)
                    self.post_message(self.Revealed(prefix, False))
                    return False
            node.expand()
            last = index == len(segments) - 1
            wanted_dir = prefix + segment + "/"
            wanted_file = prefix + segment
            match = None
            everyone = data.all_children if data.all_children is not None else node.children
            for child in everyone:
                child_data = child.data
                if child_data is None or child_data.role != "entry":
                    continue
                if child_data.path == wanted_dir or (last and child_data.path == wanted_file):
                    match = child
                    break
            if match is not None and data.all_children is not None and match not in node.children:
                self.set_filter(node, "")  # a path asked for by name is shown, filter or not
            if match is None:
                self.place_cursor(node)
                self.post_message(self.Revealed(prefix, False))
                return False
            node = match
            prefix = wanted_dir
        data = node.data
        if data is not None and data.is_dir and data.state != "loaded":
            data.generation += 1
            await self.populate(node, data.generation)
            node.expand()
        self.place_cursor(node)
        self.call_after_refresh(self.scroll_to_node, node)
        self.post_message(self.Revealed(data.path if data else "", True))
        return True

    # -- build results for rows on screen -----------------------------------------------

    def visible_nodes(self) -> list[TreeNode[NodeData]]:
        """The nodes on the rows currently on screen."""
        top = int(self.scroll_offset.y)
        height = max(self.scrollable_content_region.height, 1)
        nodes = []
        for line in range(top, top + height):
            node = self.get_node_at_line(line)
            if node is None:
                break
            nodes.append(node)
        return nodes

    def schedule_build_results(self) -> None:
        """Read results of visible builds soon (debounced while scrolling)."""
        if self._results_timer is not None:
            self._results_timer.stop()
        self._results_timer = self.set_timer(0.05, self._refresh_build_results)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if self.is_mounted:
            self.schedule_build_results()

    def on_resize(self, event: events.Resize) -> None:
        self.schedule_build_results()

    @on(Tree.NodeExpanded)
    def _on_any_expand(self) -> None:
        self.schedule_build_results()

    def _refresh_build_results(self) -> None:
        wanted = [
            node
            for node in self.visible_nodes()
            if node.data is not None
            and node.data.role == "entry"
            and node.data.is_build
            # not only uncached ones: a result cached by a worker cancelled before it could
            # update the label is applied here (``get`` answers from the cache at once)
            and node.data.shown is None
        ]
        if wanted:
            self.run_worker(
                self._read_results(wanted),
                group="build-results",
                exclusive=True,
                exit_on_error=False,
            )

    async def _read_results(self, nodes: list[TreeNode[NodeData]]) -> None:
        async def one(node: TreeNode[NodeData]) -> None:
            data = node.data
            assert data is not None and data.entry is not None
            summary = await self.results.get(data.path)
            if self._alive(node) and node.data is data:
                # a failed read is not cached: it stays unshown, so it is tried again later
                data.shown = self.results.cached(data.path)
                node.set_label(entry_label(data.entry, data.kind, summary))

        await asyncio.gather(*(one(node) for node in nodes))

    def node_for_path(self, path: str) -> TreeNode[NodeData] | None:
        """A loaded node by path (directories with or without the trailing slash)."""
        targets = {path, normalize_dir(path)}
        stack = [self.root]
        while stack:
            node = stack.pop()
            if node.data is not None and node.data.role == "entry" and node.data.path in targets:
                return node
            stack.extend(node.children)
        return None


def filter_notes(data: NodeData) -> list[str]:
    """What a filtered folder's row can say after its name, longest first."""
    text = inert(data.filter)
    if data.state != "loaded":
        return [f"{LABEL_GAP}filtered: “{text}”", f"{LABEL_GAP}filtered"]
    count, total = f"{data.matches:,}", f"{data.total:,}"
    return [
        f"{LABEL_GAP}filtered {count} of {total}: “{text}”",
        f"{LABEL_GAP}filtered {count} of {total}",
        f"{LABEL_GAP}filter {count}/{total}",
        f" {count}/{total}",
    ]


def _every_child(node: TreeNode[NodeData]) -> list[TreeNode[NodeData]]:
    """A node's children, those a filter hides included."""
    data = node.data
    if data is not None and data.all_children is not None:
        return [*data.all_children, *node._children]
    return node._children


def _attached(node: TreeNode[NodeData]) -> bool:
    """True when ``node`` is on a line of the tree (no filtered-out node above it)."""
    parent = node.parent
    while parent is not None:
        if node not in parent._children:
            return False
        node, parent = parent, parent.parent
    return True

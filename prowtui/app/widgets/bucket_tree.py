"""The lazy bucket tree: one listing per expand, a loading child, an error child, build results.

Labels are always ``rich.text.Text`` built from inert strings (``Tree`` would parse a plain
``str`` as markup). Build rows show their result and start time, read only for the rows on
screen, through the app's :class:`~prowtui.app.services.BuildResultCache`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from rich.style import Style
from rich.text import Text
from textual import events, on
from textual.binding import Binding
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Tree
from textual.widgets.tree import TreeNode, UnknownNodeID

from prowtui.app.services import BuildResultCache, BuildSummary, ListingCache, format_time
from prowtui.app.widgets.cells import ellipsize_end, ellipsize_middle
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


#: what separates a row's name from its details (size, start time) in a label
LABEL_GAP = "  "
#: the fewest cells of details worth showing when a label is cut
MIN_DETAILS = 6


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
        self.guide_depth = 2

    def on_mount(self) -> None:
        self.root.expand()

    def render_label(self, node: TreeNode[NodeData], base_style: Style, style: Style) -> Text:
        """The label cut in the middle to the tree's width (no sideways scrolling): the full
        path of the cursor's node is in the header."""
        label = super().render_label(node, base_style, style)
        width = self.scrollable_content_region.width
        if width <= 0:
            return label
        depth, parent = 0, node.parent
        while parent is not None:
            depth += 1
            parent = parent.parent
        room = max(8, width - depth * self.guide_depth)
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
        node.remove_children()
        node.add_leaf(
            Text("loading…", style="dim italic"), NodeData(data.path, False, role="loading")
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
            node.remove_children()
            # offline, retrying cannot help: the reason already says what to do
            hint = "" if isinstance(exc, NotCached) else "  (r to retry)"
            node.add_leaf(
                Text(f"⚠ {reason}{hint}", style="red"),
                NodeData(data.path, False, role="error"),
            )
            self.post_message(self.ListingFailed(data.path, reason))
            return False
        if not self._alive(node) or data.generation != generation:
            return False
        data.state = "loaded"
        node.remove_children()
        if not entries:
            node.add_leaf(
                Text("(empty)", style="dim italic"), NodeData(data.path, False, role="loading")
            )
        for entry in entries:
            kind = path_kind(entry.path)
            child_data = NodeData(entry.path, entry.is_dir, entry, kind=kind)
            summary = self.results.cached(entry.path) if child_data.is_build else None
            child_data.shown = summary
            label = entry_label(entry, kind, summary)
            if entry.is_dir:
                node.add(label, child_data)
            else:
                node.add_leaf(label, child_data)
        self.schedule_build_results()
        return True

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
            for child in node.children:
                child_data = child.data
                if child_data is None or child_data.role != "entry":
                    continue
                if child_data.path == wanted_dir or (last and child_data.path == wanted_file):
                    match = child
                    break
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

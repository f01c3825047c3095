"""The main screen: the bucket tree on the left, the preview of the cursor's node on the right."""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Header, Tree
from textual.widgets.tree import TreeNode

from prowtui.app.messages import GotoPath
from prowtui.app.screens.triage_session import OpenTarget
from prowtui.app.services import Explorer
from prowtui.app.widgets.bucket_tree import BucketTree, NodeData
from prowtui.app.widgets.cells import HEADER_CHROME, ellipsize_start
from prowtui.app.widgets.footer import AppFooter
from prowtui.app.widgets.log_view import LogView
from prowtui.app.widgets.preview import PreviewPane
from prowtui.app.widgets.tree_filter import TreeFilter
from prowtui.safetext import inert

#: how long the cursor must rest on a node before its preview loads
PREVIEW_DELAY = 0.12


class MainScreen(Screen[None]):
    """Tree and preview."""

    CSS_PATH = "main.tcss"

    BINDINGS = [
        Binding("s", "stats", "Stats", id="job.stats"),
        Binding("e", "export", "Export", id="job.export"),
        # not in the footer (no room at 80 columns with a preview focused): the job's preview
        # hint, ? and the command palette offer it
        Binding("t", "triage", "Triage", show=False, id="job.triage"),
        Binding(
            "J",
            "jobs",
            "Jobs",
            show=False,
            tooltip="the jobs beneath the folder at a glance",
            id="main.jobs",
        ),
        Binding("right", "focus_preview", "Preview", show=False, id="main.focus_preview"),
        Binding("escape", "focus_tree", "Tree", show=False, id="main.focus_tree"),
        # reached from a preview whose own left binding declined (a log at its left edge)
        Binding("left", "focus_tree", "Tree", show=False, id="main.left_to_tree"),
    ]

    def __init__(self, explorer: Explorer) -> None:
        super().__init__()
        self.explorer = explorer
        self._preview_timer: Timer | None = None
        #: the cursor's path, shown in the header
        self._header_path = ""

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="main-body"):
            with Vertical(id="tree-pane"):
                yield BucketTree(
                    self.explorer.listings,
                    self.explorer.results,
                    self.explorer.root_label(),
                    id="tree",
                )
                yield TreeFilter(id="tree-filter")
            yield PreviewPane(self.explorer, id="preview")
        yield AppFooter()

    @property
    def tree(self) -> BucketTree:
        """The bucket tree."""
        return self.query_one(BucketTree)

    @property
    def tree_filter(self) -> TreeFilter:
        """The filter line under the tree."""
        return self.query_one(TreeFilter)

    @property
    def preview(self) -> PreviewPane:
        """The preview pane."""
        return self.query_one(PreviewPane)

    def on_mount(self) -> None:
        self.title = inert(self.explorer.title())
        self._show_path("")
        self.tree.focus()
        if self.explorer.start_path.strip("/"):
            self.goto(self.explorer.start_path)

    def _show_path(self, path: str) -> None:
        """The cursor's full path in the header, cut from the left only when it cannot fit."""
        self._header_path = path
        room = self.size.width - HEADER_CHROME - cell_len(self.title or "")
        self.sub_title = ellipsize_start(inert("/" + path), room) if room > 0 else ""

    def on_resize(self) -> None:
        self._show_path(self._header_path)

    # -- navigation ----------------------------------------------------------------------

    def current_data(self) -> NodeData | None:
        """The data of the node under the tree's cursor."""
        node = self.tree.cursor_node
        return node.data if node is not None else None

    def current_path(self) -> str:
        """The bucket path under the cursor ("" for the root)."""
        data = self.current_data()
        return data.path if data is not None else ""

    def job_path(self) -> str | None:
        """The job directory at or above the cursor, if any."""
        node: TreeNode[NodeData] | None = self.tree.cursor_node
        while node is not None:
            if node.data is not None and node.data.role == "entry" and node.data.kind == "job":
                return node.data.path
            node = node.parent
        return None

    def goto(self, path: str) -> None:
        """Open the tree down to ``path``."""
        self._reveal(path)

    @work(exclusive=True, group="reveal", exit_on_error=False)
    async def _reveal(self, path: str) -> None:
        found = await self.tree.reveal(path)
        # a jump is deliberate: preview it now rather than after the cursor-movement debounce;
        # a jump to a file opens it as ``less FILE`` would, with the focus in its preview
        node = self.tree.cursor_node
        data = node.data if node is not None else None
        is_file = found and data is not None and data.role == "entry" and not data.is_dir
        if data is not None and data is not self.preview.current:
            if self._preview_timer is not None:
                self._preview_timer.stop()
            self.preview.show(data, focus=is_file)
        elif is_file:
            self.preview.focus_content()
        if not is_file:
            self.tree.focus()  # a directory (or the deepest parent found) is browsed in the tree
        if not found:
            self.notify(
                f"not found: {inert(path)}", title="go to", severity="warning", markup=False
            )

    @on(GotoPath)
    def _on_goto(self, message: GotoPath) -> None:
        self.goto(message.path)

    @on(Tree.NodeHighlighted)
    def _on_highlight(self, event: Tree.NodeHighlighted[NodeData]) -> None:
        data = event.node.data
        self._show_path(data.path if data is not None else "")
        if self._preview_timer is not None:
            self._preview_timer.stop()
        self._preview_timer = self.set_timer(PREVIEW_DELAY, lambda: self._preview_later(data))

    def _preview_later(self, data: NodeData | None) -> None:
        """The debounced preview of the highlighted node, unless it is already shown or the
        cursor has moved on (a jump highlights every level on its way down)."""
        cursor = self.tree.cursor_node
        if cursor is not None and cursor.data is not data:
            return
        if data is None or data is not self.preview.current:
            self.preview.show(data)

    @on(Tree.NodeSelected)
    def _on_select(self, event: Tree.NodeSelected[NodeData]) -> None:
        data = event.node.data
        if data is not None and not data.is_dir and data.role == "entry":
            if self._preview_timer is not None:
                self._preview_timer.stop()
            if self.preview.current is not data:
                self.preview.show(data)
            self.call_after_refresh(self.action_focus_preview)

    @on(BucketTree.ListingFailed)
    def _on_listing_failed(self, event: BucketTree.ListingFailed) -> None:
        self.notify(
            f"/{inert(event.path)}: {event.reason}",
            title="listing failed",
            severity="error",
            markup=False,
        )

    def open_filter(self, folder: TreeNode[NodeData]) -> None:
        """Open the filter line for ``folder`` (``f`` in the tree)."""
        self.tree_filter.open(self.tree, folder)

    @on(BucketTree.Filtered)
    def _on_filtered(self, event: BucketTree.Filtered) -> None:
        if self.tree_filter.folder is event.folder:
            self.tree_filter.show_count()

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        """Give the preview more room while it has the focus."""
        in_pane = event.widget is self.tree or self.tree_filter in event.widget.ancestors
        self.set_class(not in_pane, "-preview-focus")
        # focus gone elsewhere (a click, tab): the filter line goes, its filter stays; asked of
        # the focus now, not of the event, which may be older than the line
        focused = self.focused
        if self.tree_filter.display and (
            focused is None or self.tree_filter not in focused.ancestors
        ):
            self.tree_filter.put_away()

    @on(LogView.Dismissed)
    def _on_log_dismissed(self) -> None:
        self.tree.focus()

    def action_focus_preview(self) -> None:
        """Move the focus into the preview."""
        self.preview.focus_content()

    def action_focus_tree(self) -> None:
        """Back to the tree."""
        self.tree.focus()

    # -- job actions ---------------------------------------------------------------------

    def _require_job(self) -> str | None:
        job = self.job_path()
        if job is None:
            self.notify(
                "Move the cursor onto a job (or one of its builds) first.",
                title="no job here",
                severity="warning",
                markup=False,
            )
        return job

    def action_stats(self) -> None:
        """Open the stats of the job under the cursor."""
        job = self._require_job()
        if job is not None:
            from prowtui.app.screens.stats import StatsScreen

            self.app.push_screen(StatsScreen(self.explorer, job))

    def action_export(self) -> None:
        """Open the export dialog for the job under the cursor."""
        job = self._require_job()
        if job is not None:
            from prowtui.app.screens.export import ExportScreen

            self.app.push_screen(ExportScreen(self.explorer, job))

    def action_triage(self) -> None:
        """Open the Triage screen of the job under the cursor (instant when kept)."""
        from prowtui.app.screens.triage import TriageScreen

        job = None if isinstance(self.app.screen, TriageScreen) else self._require_job()
        if job is not None:
            self.app.push_screen(TriageScreen(self.explorer, job))

    def action_jobs(self) -> None:
        """Open the Jobs overview of the folder under the cursor (its folder for a file)."""
        from prowtui.app.screens.jobs import JobsScreen

        if isinstance(self.app.screen, JobsScreen):
            return
        self.app.push_screen(JobsScreen(self.explorer, self.cursor_folder()))

    def action_search_builds(self) -> None:
        """Open the Search screen for the jobs under the cursor (its job, or the folder's)."""
        from prowtui.app.screens.search import SearchScreen

        self.app.push_screen(SearchScreen(self.explorer, self.cursor_folder(), self.job_path()))

    def cursor_folder(self) -> str:
        """The folder under the cursor, or the folder holding the file there (``""``: root)."""
        data = self.current_data()
        if data is None or data.is_dir:
            return data.path if data is not None else ""
        return data.path.rsplit("/", 1)[0] + "/" if "/" in data.path else ""

    def open_target(self, target: OpenTarget) -> None:
        """Reveal and preview what a Triage drill-down picked (a log at a line, a junit file)."""
        from prowtui.app.screens.triage_open import open_target

        self.run_worker(
            open_target(self, target), group="reveal", exclusive=True, exit_on_error=False
        )

    def cancel_preview_timer(self) -> None:
        """Drop a pending debounced preview (a deliberate jump previews at once)."""
        if self._preview_timer is not None:
            self._preview_timer.stop()

    def describe_status(self) -> Text:
        """A one-line status (source and path) for tests and the header."""
        return Text(inert(f"{self.explorer.describe()}  /{self.current_path()}"))

"""Open what a Triage drill-down picked in the explorer: reveal it in the tree, preview it,
then put a log at its line (highlighted, focused) or a junit file's cursor on its test."""

from __future__ import annotations

from typing import Any, Protocol

from textual.app import App
from textual.widgets import DataTable
from textual.worker import WorkerCancelled, WorkerFailed

from prowtui.app.screens.triage_session import OpenTarget
from prowtui.app.widgets.bucket_tree import BucketTree
from prowtui.app.widgets.junit_table import JunitView
from prowtui.app.widgets.log_panel import LogPanel
from prowtui.app.widgets.preview import PreviewPane
from prowtui.safetext import inert


class TreeAndPreview(Protocol):
    """What :func:`open_target` needs of the screen that shows the tree and the preview (the
    main screen implements it; this module does not import that screen)."""

    @property
    def app(self) -> App[Any]: ...

    @property
    def tree(self) -> BucketTree: ...

    @property
    def preview(self) -> PreviewPane: ...

    def cancel_preview_timer(self) -> None: ...

    def action_focus_preview(self) -> None: ...

    def notify(
        self, message: str, *, title: str = ..., severity: Any = ..., markup: bool = ...
    ) -> None: ...


async def open_target(main: TreeAndPreview, target: OpenTarget) -> None:
    """Reveal ``target.path`` in ``main``'s tree and show it as the issue of a triage asks."""
    found = await main.tree.reveal(target.path)
    node = main.tree.cursor_node
    if not found or node is None or node.data is None:
        main.notify(
            f"not found: /{inert(target.path)}", title="triage", severity="warning", markup=False
        )
        return
    main.cancel_preview_timer()
    preview = main.preview
    if node.data is not preview.current:
        preview.show(node.data)
    for worker in list(main.app.workers):
        if worker.node is preview and worker.group == "preview" and not worker.is_finished:
            try:
                await worker.wait()
            except (WorkerCancelled, WorkerFailed):
                return
    if target.line is not None:
        panel = next(iter(preview.query(LogPanel)), None)
        if panel is not None:
            panel.goto_line(target.line, highlight=True)
            panel.view.focus()
        return
    if target.path.endswith("/"):
        return
    main.action_focus_preview()
    if target.test:
        _cursor_on_test(preview.query(JunitView), target.test)


def _cursor_on_test(views: object, name: str) -> None:
    """Move a junit preview's cursor onto the test called ``name`` (whitespace-normalised)."""
    wanted = " ".join(name.split())
    for view in views:  # type: ignore[attr-defined]
        for index, row in enumerate(view.rows):
            if " ".join(str(getattr(row, "name", "") or "").split()) == wanted:
                table = view.query_one(DataTable)
                table.move_cursor(row=index, animate=False)
                table.focus()
                return

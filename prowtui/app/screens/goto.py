"""``ctrl+g``: jump to a bucket path or a pasted gcsweb, ``gs://`` or Spyglass URL."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from prowtui.app.services import Explorer
from prowtui.errors import ProwtuiError
from prowtui.safetext import inert


def path_from_input(explorer: Explorer, value: str) -> str:
    """The bucket path a typed path or pasted URL points to; UsageError when it can't tell."""
    value = value.strip()
    if "://" not in value:
        return value.lstrip("/")
    from prowtui.errors import UsageError
    from prowtui.sources.resolve import resolve_target

    spec, path = resolve_target(None, value)
    bucket = getattr(spec, "bucket", None)
    if bucket and explorer.source.bucket and bucket != explorer.source.bucket:
        raise UsageError(
            f"that URL is in bucket {bucket}, this explorer shows {explorer.source.bucket}"
        )
    return (path or "").lstrip("/")


class GotoScreen(ModalScreen[str | None]):
    """An input for a path or URL; dismisses with the bucket path."""

    CSS_PATH = "goto.tcss"
    BINDINGS = [Binding("escape,q", "cancel", "Cancel", id="goto.cancel")]

    def __init__(self, explorer: Explorer, current: str = "") -> None:
        super().__init__()
        self.explorer = explorer
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="goto-box"):
            yield Static(Text("Go to a path or URL", style="bold"))
            yield Input(
                value=self.current,
                placeholder="logs/JOB/BUILD/  or  https://…/gcs/BUCKET/…  or  gs://BUCKET/…",
                id="goto-input",
            )
            yield Static(Text("enter: go  ·  esc: cancel", style="dim"), id="goto-error")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        try:
            path = path_from_input(self.explorer, event.value)
        except ProwtuiError as exc:
            self.query_one("#goto-error", Static).update(Text(inert(str(exc)), style="red"))
            return
        self.dismiss(path)

    def action_cancel(self) -> None:
        self.dismiss(None)

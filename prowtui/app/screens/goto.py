"""``ctrl+g``: jump to a bucket path or a pasted gcsweb, ``gs://`` or Spyglass URL.

The path completes as you type (``tab`` or ``→`` accepts) from the listing of the folder being
typed, fetched once through the explorer's listing cache in a worker, so typing never waits.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.suggester import Suggester
from textual.widgets import Input, Static

from prowtui.app.services import Explorer, ListingCache
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


def completion(value: str, names: list[str]) -> str | None:
    """``value`` completed by the first name in ``names`` (one folder's listing) that starts
    with its last path component, or None."""
    partial = value.rpartition("/")[2]
    prefix = value[: len(value) - len(partial)]
    for name in names:
        if name.startswith(partial) and name != partial:
            return prefix + name
    return None


def folder_of(value: str) -> str | None:
    """The bucket folder whose listing completes ``value`` ("" for the root); None for a URL."""
    if "://" in value or value.startswith(("gs:", "http:", "https:")):
        return None
    head = value.rpartition("/")[0].strip("/")
    return head + "/" if head else ""


class ListingSuggester(Suggester):
    """Suggests the rest of a path's last component from its folder's cached listing."""

    def __init__(self, listings: ListingCache) -> None:
        # the listing cache is the cache; bucket names are case-sensitive
        super().__init__(use_cache=False, case_sensitive=True)
        self.listings = listings

    async def get_suggestion(self, value: str) -> str | None:
        """The completed path, or None (a URL, a folder that cannot be listed, no match)."""
        folder = folder_of(value)
        if folder is None:
            return None
        try:
            entries = await self.listings.get(folder)
        except ProwtuiError:
            return None
        return completion(value, [entry.name for entry in entries])


class GotoScreen(ModalScreen[str | None]):
    """An input for a path or URL; dismisses with the bucket path."""

    CSS_PATH = "goto.tcss"
    BINDINGS = [
        Binding("escape,q", "cancel", "Cancel", id="goto.cancel"),
        Binding("tab", "complete", "Complete", show=False, id="goto.complete"),
    ]

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
                suggester=ListingSuggester(self.explorer.listings),
                id="goto-input",
            )
            yield Static(
                Text("tab, →: complete  ·  enter: go  ·  esc: cancel", style="dim"),
                id="goto-error",
            )

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        try:
            path = path_from_input(self.explorer, event.value)
        except ProwtuiError as exc:
            self.query_one("#goto-error", Static).update(Text(inert(str(exc)), style="red"))
            return
        self.dismiss(path)

    def action_complete(self) -> None:
        """Accept the suggested completion (as ``→`` at the end of the text does)."""
        field = self.query_one("#goto-input", Input)
        field.cursor_position = len(field.value)
        field.action_cursor_right()

    def action_cancel(self) -> None:
        self.dismiss(None)

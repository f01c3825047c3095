"""``s`` on a job: its statistics computed in a worker with a progress bar; ``esc`` cancels.

``c`` measures every build log's text (chars, words, lines, as ``prowtui stats --content``
does, through the same ``job_stats``) with its own progress; ``esc`` cancels that and keeps
the byte statistics. Builds the crawl could not read are listed with their reason.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Header, ProgressBar, Static

from prowtui.app.services import Explorer
from prowtui.app.widgets.cells import ellipsize_start
from prowtui.app.widgets.footer import AppFooter
from prowtui.app.widgets.stats_view import StatsView
from prowtui.errors import ProwtuiError
from prowtui.safetext import inert


class StatsScreen(Screen[None]):
    """Completeness, presence, log sizes (and text measures) and results of one job."""

    CSS_PATH = "stats.tcss"
    BINDINGS = [
        Binding("escape,q", "close", "Back / cancel", id="stats.close"),
        Binding("r", "recompute", "Recompute", id="stats.recompute"),
        Binding(
            "c",
            "content",
            "Content",
            tooltip="read every build log: chars, words, lines",
            id="stats.content",
        ),
    ]

    def __init__(self, explorer: Explorer, job_path: str) -> None:
        super().__init__()
        self.explorer = explorer
        self.job_path = job_path
        #: ``JobStats.to_json()`` once computed (with ``build_log`` once measured)
        self.doc: dict[str, Any] | None = None
        #: the last run's builds that could not be read: ``(build id, path, reason)``
        self.failures: list[tuple[str, str, str]] = []
        #: "idle", "running", "measuring", "done", "failed"
        self.state = "idle"

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="stats-status")
        yield ProgressBar(id="stats-progress", show_eta=False)
        yield StatsView(id="stats-view")
        yield AppFooter()

    def on_mount(self) -> None:
        self.title = inert(self.explorer.title())
        self.on_resize()
        self._start(content=False)

    def on_resize(self) -> None:
        room = self.size.width - 13 - len(self.title or "")
        self.sub_title = ellipsize_start(inert(f"stats /{self.job_path}"), max(room, 0))

    def _status(self, text: str, style: str = "") -> None:
        self.query_one("#stats-status", Static).update(Text(text, style=style))

    def _progress(self, what: str) -> Any:
        def report(done: int, total: int, *_: object) -> None:
            self.query_one(ProgressBar).update(total=max(total, 1), progress=done)
            self._status(f"{what}: {done} of {total}  ·  esc to cancel")

        return report

    def _done_status(self) -> None:
        builds = int((self.doc or {}).get("builds", 0))
        note = f"  ·  {len(self.failures)} could not be read" if self.failures else ""
        keys = "esc back  r recompute" + ("" if "build_log" in (self.doc or {}) else "  c content")
        self._status(f"{builds} builds{note}  ·  {keys}", "red" if self.failures else "")

    def _start(self, *, content: bool) -> None:
        """Enter the running (or measuring) state at once, so a key pressed before the worker
        starts already sees it, then start the computation."""
        previous = self.state
        self.state = "measuring" if content else "running"
        self.compute(content, previous)

    @work(exclusive=True, group="stats", exit_on_error=False)
    async def compute(self, content: bool, previous: str) -> None:
        """Run ``job_stats`` over the job (``content``: reading every build log) and show it;
        ``previous`` is the state to return to when the text measures fail."""
        from prowtui.analysis.size_histogram import build_log_histogram
        from prowtui.analysis.stats import job_stats

        progress = self.query_one(ProgressBar)
        progress.display = True
        progress.update(total=None, progress=0)
        what = "measuring build logs" if content else "reading builds"
        self._status("listing builds…  ·  esc to cancel")
        try:
            stats = await job_stats(
                self.explorer.source,
                self.job_path,
                content=content,
                on_progress=self._progress(what),
            )
        except ProwtuiError as exc:
            progress.display = False
            reason = inert(str(exc))
            self.notify(reason, title="stats", severity="error", markup=False)
            if content and self.doc is not None:
                self.state = previous
                self._status(f"measuring failed: {reason}  ·  c to retry", "red")
            else:
                self.state = "failed"
                self._status(f"stats failed: {reason}  ·  r to retry", "red")
            return
        self.doc = stats.to_json()
        self.failures = list(stats.failures)
        progress.display = False
        await self.query_one(StatsView).show(
            self.doc, build_log_histogram(stats.builds), self.failures
        )
        self.state = "done"
        self._done_status()

    def action_recompute(self) -> None:
        """Crawl the job again (without the text measures)."""
        if self.state not in ("running", "measuring"):
            self._start(content=False)

    def action_content(self) -> None:
        """Read every build log and show its chars, words and lines beside its bytes."""
        if self.state not in ("running", "measuring"):
            self._start(content=True)

    def action_close(self) -> None:
        """Cancel the text measures (keeping the byte statistics), else cancel a running
        computation and go back."""
        if self.state == "measuring":
            self.workers.cancel_group(self, "stats")
            self.query_one(ProgressBar).display = False
            self.state = "done"
            self._done_status()
            self.notify("measuring cancelled", title="stats", markup=False)
            return
        self.workers.cancel_group(self, "stats")
        self.app.pop_screen()

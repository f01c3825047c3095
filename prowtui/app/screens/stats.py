"""``s`` on a job: its statistics computed in a worker with a progress bar; ``esc`` cancels."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Header, ProgressBar, Static

from prowtui.app.services import Explorer
from prowtui.app.widgets.stats_view import StatsView
from prowtui.errors import ProwtuiError
from prowtui.safetext import inert


class StatsScreen(Screen[None]):
    """Completeness, presence, log sizes and results of one job."""

    CSS_PATH = "stats.tcss"
    BINDINGS = [
        Binding("escape,q", "close", "Back / cancel", id="stats.close"),
        Binding("r", "recompute", "Recompute", id="stats.recompute"),
    ]

    def __init__(self, explorer: Explorer, job_path: str) -> None:
        super().__init__()
        self.explorer = explorer
        self.job_path = job_path
        #: ``JobStats.to_json()`` once computed
        self.doc: dict[str, Any] | None = None
        self.state = "idle"

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="stats-status")
        yield ProgressBar(id="stats-progress", show_eta=False)
        yield StatsView(id="stats-view")
        yield Footer()

    def on_mount(self) -> None:
        self.title = "job stats"
        self.sub_title = inert(f"/{self.job_path}")
        self.compute()

    def _status(self, text: str, style: str = "") -> None:
        self.query_one("#stats-status", Static).update(Text(text, style=style))

    def _progress(self, done: int, total: int, *_: object) -> None:
        self.query_one(ProgressBar).update(total=max(total, 1), progress=done)
        self._status(f"reading builds: {done} of {total}  ·  esc to cancel")

    @work(exclusive=True, group="stats", exit_on_error=False)
    async def compute(self) -> None:
        """Run ``job_stats`` over the job and show the result."""
        from prowtui.analysis.stats import job_stats

        self.state = "running"
        progress = self.query_one(ProgressBar)
        progress.display = True
        progress.update(total=None, progress=0)
        self._status("listing builds…  ·  esc to cancel")
        try:
            stats = await job_stats(self.explorer.source, self.job_path, on_progress=self._progress)
        except ProwtuiError as exc:
            self.state = "failed"
            reason = inert(str(exc))
            self._status(f"stats failed: {reason}  ·  r to retry", "red")
            self.notify(reason, title="stats", severity="error", markup=False)
            progress.display = False
            return
        self.doc = stats.to_json()
        progress.display = False
        failures = len(stats.failures)
        note = f"  ·  {failures} builds could not be read" if failures else ""
        self._status(f"{len(stats.builds)} builds{note}  ·  esc back  r recompute", "")
        await self.query_one(StatsView).show(self.doc, stats.log_sizes)
        self.state = "done"

    def action_recompute(self) -> None:
        if self.state != "running":
            self.compute()

    def action_close(self) -> None:
        """Cancel a running computation and go back."""
        self.workers.cancel_group(self, "stats")
        self.app.pop_screen()

"""``J`` on a folder: the jobs beneath it at a glance (as ``prowtui jobs`` shows them).

Rows appear and re-sort (worst first) as jobs are read in a worker; ``esc`` cancels it and
goes back. ``/`` (or just typing) filters by shell pattern or substring; only the first
:data:`MAX_JOBS` of the filter's matches are read. ``w`` cycles the window (7d, 14d, 1d, 2d;
on the demo bucket the window ends at its newest build, elsewhere now); job listings are kept
while the screen is open, so a new window reads only the builds it adds. ``enter`` opens the
Triage screen of the job under the cursor, ``o`` the job in the tree.
"""

from __future__ import annotations

import fnmatch
from datetime import UTC, datetime, timedelta
from typing import Literal

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Header, Input, Static

from prowtui.analysis.jobs_overview import (
    JobOverview,
    age_text,
    jobs_beneath,
    last_pass_text,
    rate_text,
    read_overview,
    since_text,
    sort_jobs,
)
from prowtui.analysis.window_builds import JobWindowBuilds
from prowtui.app.messages import OpenInExplorer
from prowtui.app.screens.triage_session import OpenTarget
from prowtui.app.services import Explorer
from prowtui.app.widgets.cells import HEADER_CHROME, ellipsize_start
from prowtui.app.widgets.footer import AppFooter
from prowtui.app.widgets.jobs_table import JobsTable
from prowtui.errors import ProwtuiError
from prowtui.prow.jobs import BuildRef, parse_job_path
from prowtui.prow.windows import Windows, format_time
from prowtui.safetext import inert

#: the windows ``w`` cycles through, the first one shown first
WINDOWS: tuple[timedelta, ...] = (
    timedelta(days=7),
    timedelta(days=14),
    timedelta(days=1),
    timedelta(days=2),
)
#: jobs read at most (the first of the filter's matches)
MAX_JOBS = 500
#: how often the table is rebuilt while jobs come in (seconds)
REFRESH = 0.25


def matches(job: str, text: str) -> bool:
    """Whether ``job`` passes the filter: a shell pattern (on the job path or its name) when it
    has ``*?[``, else a case-insensitive substring."""
    text = text.strip()
    if not text:
        return True
    if any(ch in text for ch in "*?["):
        name = parse_job_path(job).name
        return fnmatch.fnmatchcase(job, text) or fnmatch.fnmatchcase(name, text)
    return text.lower() in job.lower()


class JobsScreen(Screen[None]):
    """Many jobs at a glance: state, pass rate and change, runs, failing since, last pass."""

    CSS_PATH = "jobs.tcss"
    BINDINGS = [
        Binding("escape", "close", "Back / cancel", id="jobs.close"),
        Binding("o", "open", "Open in tree", id="jobs.open"),
        Binding("w", "window", "Window", tooltip="7d, 14d, 1d, 2d", id="jobs.window"),
        Binding("slash", "filter", "Filter", tooltip="shell pattern or text", id="jobs.filter"),
    ]

    def __init__(
        self, explorer: Explorer, folder: str, *, now: datetime | Literal["latest"] | None = None
    ) -> None:
        """``now``: the windows' end; ``latest`` the newest build's ID time; None (default)
        ``latest`` on the demo bucket, else the current time."""
        super().__init__()
        self.explorer = explorer
        self.folder = folder
        #: every job beneath the folder (None until found)
        self.all_jobs: list[str] | None = None
        self.truncated_search = False
        self.window_index = 0
        #: the windows' end (None: the newest build, found by the first read)
        if now is None:
            now = "latest" if explorer.source.kind == "demo" else datetime.now(UTC)
        self.now: datetime | None = None if now == "latest" else now  # type: ignore[assignment]
        #: overviews by window length, then job
        self.overviews: dict[timedelta, dict[str, JobOverview]] = {}
        self.problems: dict[str, list[str]] = {}
        self.listings: dict[str, list[BuildRef]] = {}
        self.windows: Windows | None = None
        #: "finding", "reading", "done", "failed", "cancelled"
        self.state = "finding"
        self.reading_total = 0
        self.reading_done = 0
        self._dirty = False
        self._timer: Timer | None = None
        self._filter = ""

    # -- layout ----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="jobs-status")
        yield Input(
            placeholder="filter: shell pattern or text (enter: back to the table)",
            id="jobs-filter",
            compact=True,
            select_on_focus=False,  # typing on the table starts it: keep the first letter
        )
        yield JobsTable(id="jobs-table")
        yield Static(id="jobs-detail")
        yield AppFooter()

    @property
    def table(self) -> JobsTable:
        """The jobs table."""
        return self.query_one(JobsTable)

    @property
    def since(self) -> timedelta:
        return WINDOWS[self.window_index]

    def on_mount(self) -> None:
        self.title = inert(self.explorer.title())
        self.query_one("#jobs-filter", Input).display = False
        self.on_resize()
        self._timer = self.set_interval(REFRESH, self._refresh_if_dirty)
        self.table.focus()
        self.find_and_read()

    def on_resize(self) -> None:
        room = self.size.width - HEADER_CHROME - len(self.title or "")
        self.sub_title = ellipsize_start(inert(f"jobs /{self.folder}"), max(room, 0))
        self._dirty = True

    # -- reading ---------------------------------------------------------------------------

    def wanted(self) -> tuple[list[str], int]:
        """The jobs to read (the first :data:`MAX_JOBS` of the filter's matches) and how many
        matches are left out."""
        found = [job for job in self.all_jobs or [] if matches(job, self._filter)]
        return found[:MAX_JOBS], max(0, len(found) - MAX_JOBS)

    @work(exclusive=True, group="jobs", exit_on_error=False)
    async def find_and_read(self) -> None:
        """Find the jobs beneath the folder, then read them."""
        self.state = "finding"
        self._status_line()
        try:
            self.all_jobs, self.truncated_search = await jobs_beneath(
                self.explorer.source, self.folder
            )
        except ProwtuiError as exc:
            self.state = "failed"
            self._status_line(f"cannot list /{inert(self.folder)}: {inert(str(exc))}")
            return
        if not self.all_jobs:
            self.state = "done"
            self._status_line("no job directory here: J on logs/, a job or a folder above jobs")
            return
        await self._read()

    def start_reading(self) -> None:
        """Read what the filter and window want and is not read yet."""
        if self.all_jobs is None:
            return
        self.read_missing()

    @work(exclusive=True, group="jobs", exit_on_error=False)
    async def read_missing(self) -> None:
        await self._read()

    async def _read(self) -> None:
        since = self.since
        done = self.overviews.setdefault(since, {})
        jobs, _ = self.wanted()
        todo = [job for job in jobs if job not in done]
        self.state = "reading"
        self.reading_total, self.reading_done = len(todo), 0
        self._dirty = True
        if not todo:
            self.state = "done"
            return

        def job_done(summary: JobOverview, builds: JobWindowBuilds) -> None:
            done[summary.job] = summary
            self.problems[summary.job] = builds.problems
            self.reading_done += 1
            self._dirty = True

        def on_windows(windows: Windows) -> None:
            self.windows = windows
            self.now = windows.now
            self._dirty = True

        try:
            overview = await read_overview(
                self.explorer.source,
                todo,
                since,
                self.now,
                concurrency=int(getattr(self.explorer.source, "concurrency", 0) or 16),
                on_job=job_done,
                on_windows=on_windows,
                listings=self.listings,
            )
        except ProwtuiError as exc:
            self.state = "failed"
            self.notify(inert(str(exc)), title="jobs", severity="error", markup=False)
            self._dirty = True
            return
        self.state = "done"
        self._dirty = True
        if overview.problems:
            more = f" (and {len(overview.problems) - 1} more)" if len(overview.problems) > 1 else ""
            self.notify(
                inert(overview.problems[0]) + more, title="jobs", severity="warning", markup=False
            )

    # -- the table -------------------------------------------------------------------------

    def shown(self) -> list[JobOverview]:
        """The rows: read jobs of this window that pass the filter, worst first."""
        done = self.overviews.get(self.since, {})
        wanted, _ = self.wanted()
        return sort_jobs([done[job] for job in wanted if job in done])

    def _refresh_if_dirty(self) -> None:
        if self._dirty:
            self._dirty = False
            self.refresh_table()
            self._status_line()

    def refresh_table(self) -> None:
        """Rebuild the rows, keeping the cursor on the same job."""
        now = self.windows.now if self.windows else datetime.now(UTC)
        self.table.show(self.shown(), now, self.size.width)
        self._detail()

    def current_job(self) -> str | None:
        """The job path of the row under the cursor."""
        return self.table.current_job()

    def _status_line(self, message: str | None = None) -> None:
        status = self.query_one("#jobs-status", Static)
        if message is not None:
            status.update(Text(message, style="red"))
            return
        span = since_text(self.since)
        parts = []
        if self.state == "finding":
            parts.append("finding jobs…")
        elif self.state == "reading":
            parts.append(f"jobs: {self.reading_done} of {self.reading_total}")
        else:
            count = len(self.shown())
            parts.append(f"{count} job" + ("" if count == 1 else "s"))
        _, left_out = self.wanted()
        if left_out:
            parts.append(f"{left_out} more not read (filter to see them)")
        if self.truncated_search:
            parts.append("search stopped: open a deeper folder")
        if self.windows is not None:
            end = format_time(self.windows.now)[:16].replace("T", " ")
            parts.append(f"{span} to {end}")
        else:
            parts.append(span)
        if self._filter:
            parts.append(f"filter {self._filter!r}")
        status.update(Text(inert("  ·  ".join(parts))))

    @on(DataTable.RowHighlighted)
    def _on_row(self) -> None:
        self._detail()

    def _detail(self) -> None:
        """The cursor's job in full, with its failing run and last pass."""
        detail = self.query_one("#jobs-detail", Static)
        job = self.current_job()
        summary = self.overviews.get(self.since, {}).get(job or "")
        if summary is None:
            detail.update("")
            return
        now = self.windows.now if self.windows else datetime.now(UTC)
        text = Text(inert(summary.job), style="bold")
        facts = [f"{summary.passed} passed, {summary.failed} failed"]
        if summary.pending:
            facts[0] += f", {summary.pending} pending"
        if summary.previous_runs:
            before = rate_text(summary.previous_pass_rate)
            facts.append(f"before: {before} of {summary.previous_runs}")
        since = summary.failing_since
        if since is not None:
            age = age_text(since.started, now)
            facts.append(f"{summary.streak} failed in a row, for {age} (since {since.build_id})")
        facts.append(f"last pass {last_pass_text(summary, now)}")
        problems = self.problems.get(summary.job) or []
        if problems:
            facts.append(f"{len(problems)} unreadable")
        text.append("\n" + inert("  ·  ".join(facts)))
        detail.update(text)

    # -- keys ------------------------------------------------------------------------------

    def action_close(self) -> None:
        """From the filter: back to the table (an empty filter hides); else cancel reading and
        go back."""
        field = self.query_one("#jobs-filter", Input)
        if self.focused is field:
            field.display = bool(field.value)
            self.table.focus()
            self.start_reading()
            return
        self.workers.cancel_group(self, "jobs")
        self.app.pop_screen()

    def action_window(self) -> None:
        """The next window length."""
        self.window_index = (self.window_index + 1) % len(WINDOWS)
        if self.windows is not None:
            self.windows = Windows(self.windows.now, self.since)
        self._dirty = True
        self.start_reading()

    def action_filter(self, initial: str = "") -> None:
        """Show and focus the filter."""
        field = self.query_one("#jobs-filter", Input)
        field.display = True
        if initial:
            field.value += initial
        field.focus()
        field.cursor_position = len(field.value)

    def on_key(self, event: events.Key) -> None:
        """Typing on the table starts the filter with that character (bound keys never get
        here: bindings are matched first)."""
        char = event.character
        if event.key in self.active_bindings or event.key in self.table._bindings.key_to_bindings:
            return
        if self.focused is self.table and event.is_printable and char and not char.isspace():
            event.stop()
            self.action_filter(char)

    @on(Input.Changed, "#jobs-filter")
    def _on_filter(self, event: Input.Changed) -> None:
        self._filter = event.value
        self._dirty = True

    @on(Input.Submitted, "#jobs-filter")
    def _on_filter_done(self) -> None:
        field = self.query_one("#jobs-filter", Input)
        field.display = bool(field.value)
        self.table.focus()
        self.start_reading()

    @on(DataTable.RowSelected, "#jobs-table")
    def _on_select(self) -> None:
        self.action_triage()

    def action_triage(self) -> None:
        """The Triage screen of the job under the cursor."""
        job = self.current_job()
        if job is None:
            return
        from prowtui.app.screens.triage import TriageScreen

        self.app.push_screen(TriageScreen(self.explorer, job))

    def action_open(self) -> None:
        """Back to the explorer, its tree opened at the job under the cursor."""
        job = self.current_job()
        if job is None:
            return
        self.workers.cancel_group(self, "jobs")
        self.app.pop_screen()
        self.app.post_message(OpenInExplorer(OpenTarget(job)))

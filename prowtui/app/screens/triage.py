"""``t`` on a job: why do its builds fail? History strip, durations, signatures, tests, events.

The report comes from :func:`prowtui.triage.triage_job` in a worker with a progress bar;
``esc`` cancels it. A finished report is kept for the session (per source and job) with
where the user left it, so coming back is instant. ``enter`` drills down: a signature lists
its builds with their example line, a test the builds where it failed; picking one opens the
log at that line (highlighted) or the junit file in the explorer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from rich.cells import cell_len
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Header, ProgressBar, Static, TabbedContent, TabPane

from prowtui.app.messages import OpenInExplorer
from prowtui.app.screens.triage_builds import (
    TriageBuildsScreen,
    failure_rows,
    signature_rows,
)
from prowtui.app.screens.triage_session import OpenTarget, session_of
from prowtui.app.services import Explorer, format_time
from prowtui.app.widgets.cells import HEADER_CHROME, ellipsize_start
from prowtui.app.widgets.duration_plot import DurationPlot, human_duration
from prowtui.app.widgets.footer import AppFooter
from prowtui.app.widgets.history_strip import (
    FAILED_RESULTS,
    RESULT_COLORS,
    HistoryStrip,
    cause_colors,
)
from prowtui.app.widgets.triage_tables import (
    EventTable,
    ReportTable,
    SignatureTable,
    TestTable,
    state_of_test,
)
from prowtui.errors import (
    AccessDenied,
    NotCached,
    NotFound,
    ProwtuiError,
    Unreachable,
    UsageError,
)
from prowtui.safetext import inert
from prowtui.sources.base import normalize_dir
from prowtui.triage.model import BuildHistory, EventStat, Signature, TestStat, TriageReport

ProgressCallback = Callable[[int, int], None]
Runner = Callable[[Explorer, str, ProgressCallback], Awaitable[TriageReport]]

#: below this many rows the duration plot is hidden and the detail shrinks
SHORT_HEIGHT = 30
#: problems (unreadable builds or logs) listed in the notification after a triage
PROBLEMS_SHOWN = 3
#: tab id → (key, label)
TABS: dict[str, tuple[str, str]] = {
    "signatures": ("s", "Signatures"),
    "tests": ("t", "Tests"),
    "events": ("v", "Events"),
}


async def run_triage(
    explorer: Explorer, job_path: str, on_progress: ProgressCallback
) -> TriageReport:
    """Triage ``job_path`` on the explorer's source with the log view's error patterns."""
    from prowtui.logs.highlight import DEFAULT_PATTERNS
    from prowtui.triage import triage_job

    extra = explorer.logs.error_patterns.sources[len(DEFAULT_PATTERNS) :]
    return await triage_job(
        explorer.source, job_path, error_patterns=extra, on_progress=on_progress
    )


def advice(exc: BaseException) -> str:
    """What the user can do about a failed triage."""
    if isinstance(exc, NotCached):
        return "Offline, and this job is not in the cache: run once without --offline to fill it."
    if isinstance(exc, Unreachable):
        return "The source did not answer: check the network or the source URL, then press r."
    if isinstance(exc, AccessDenied):
        return "The bucket refused access: it must allow anonymous reads (or use a mirror)."
    if isinstance(exc, NotFound):
        return (
            "Nothing is there: put the cursor on a job directory (logs/<job>/ or"
            " pr-logs/pull/<org_repo>/<pr>/<job>/) and press t."
        )
    if isinstance(exc, UsageError):
        return "Fix the config file (prowtui config show), then press r."
    return "Press r to try again, or esc to go back."


class TriageScreen(Screen[None]):
    """The triage of one job (see the module docstring)."""

    CSS_PATH = "triage.tcss"
    BINDINGS = [
        Binding("escape,q", "close", "Back / cancel", id="triage.close"),
        Binding("s", "show_tab('signatures')", "Signatures", show=False, id="triage.signatures"),
        Binding("t", "show_tab('tests')", "Tests", show=False, id="triage.tests"),
        Binding("v", "show_tab('events')", "Events", show=False, id="triage.events"),
        Binding("b", "focus_strip", "Walk builds", id="triage.strip"),
        Binding("r", "recompute", "Recompute", id="triage.recompute"),
    ]

    class Progress(Message):
        """``done`` of ``total`` builds triaged (posted from the engine's callback)."""

        def __init__(self, done: int, total: int) -> None:
            super().__init__()
            self.done = done
            self.total = total

    def __init__(self, explorer: Explorer, job_path: str, *, runner: Runner | None = None) -> None:
        super().__init__()
        self.explorer = explorer
        self.job_path = normalize_dir(job_path)
        self.runner: Runner = runner or run_triage
        self.session = session_of(explorer)
        self.report: TriageReport | None = None
        #: idle, running, done, empty, failed or cancelled
        self.state = "idle"
        self.progress: tuple[int, int] = (0, 0)
        self._builds: dict[str, BuildHistory] = {}
        #: signature id → colour of the builds it is the cause of
        self.cause_color: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="triage-status")
        yield ProgressBar(id="triage-progress", show_eta=False)
        yield Static(id="triage-message")
        with Vertical(id="triage-body"):
            yield HistoryStrip(id="triage-strip")
            yield Static(id="triage-build")
            yield DurationPlot(id="triage-durations")
            with TabbedContent(id="triage-tabs"):
                with TabPane(TABS["signatures"][1], id="signatures"):
                    yield SignatureTable(id="signatures-table")
                with TabPane(TABS["tests"][1], id="tests"):
                    yield TestTable(id="tests-table")
                with TabPane(TABS["events"][1], id="events"):
                    yield EventTable(id="events-table")
            yield Static(id="triage-detail")
        yield AppFooter()

    # -- parts ---------------------------------------------------------------------------
    @property
    def strip(self) -> HistoryStrip:
        """The history strip."""
        return self.query_one(HistoryStrip)

    @property
    def tabs(self) -> TabbedContent:
        """The tabs of the three tables."""
        return self.query_one(TabbedContent)

    def table(self, tab: str | None = None) -> ReportTable[Any]:
        """The table of ``tab`` (the active one when omitted)."""
        tab = tab or self.tabs.active or "signatures"
        return self.query_one(f"#{tab}-table", ReportTable)

    @property
    def signatures_table(self) -> SignatureTable:
        return self.query_one(SignatureTable)

    @property
    def tests_table(self) -> TestTable:
        return self.query_one(TestTable)

    def _status(self, text: Text | str, style: str = "") -> None:
        content = text if isinstance(text, Text) else Text(text, style=style)
        self.query_one("#triage-status", Static).update(content)

    def _show_body(self, visible: bool) -> None:
        self.query_one("#triage-body").display = visible
        self.query_one("#triage-message").display = not visible

    # -- lifecycle -----------------------------------------------------------------------
    def on_resize(self) -> None:
        self.set_class(self.size.height < SHORT_HEIGHT, "-short")
        room = self.size.width - HEADER_CHROME - cell_len(self.title or "")
        self.sub_title = ellipsize_start(inert(f"triage /{self.job_path}"), max(room, 0))

    def on_mount(self) -> None:
        self.title = inert(self.explorer.title())
        self.on_resize()
        self._show_body(False)
        cached = self.session.report(self.job_path)
        if cached is not None:
            self._show_report(cached)
        else:
            self.crawl()

    @work(exclusive=True, group="triage", exit_on_error=False)
    async def crawl(self) -> None:
        """Run the triage and show its report (or what went wrong)."""
        self.state = "running"
        self.report = None
        self.progress = (0, 0)
        self._show_body(False)
        progress = self.query_one(ProgressBar)
        progress.display = True
        progress.update(total=None, progress=0)
        self._status("listing builds…  ·  esc to cancel")
        self._message(Text(f"Triaging /{inert(self.job_path)}…", style="dim"))
        try:
            report = await self.runner(self.explorer, self.job_path, self._on_progress)
        except Exception as exc:  # ProwtuiError or a bug: a message, never a traceback
            self._fail(exc)
            return
        self.session.keep(self.job_path, report)
        try:
            self._show_report(report)
        except Exception as exc:  # a report the screen cannot show: say so, keep the app up
            self._fail(exc)
            return
        if report.problems:
            shown = [inert(f"{b}: {p}") for b, p in report.problems[:PROBLEMS_SHOWN]]
            more = len(report.problems) - len(shown)
            self.notify(
                "\n".join(shown) + (f"\n… and {more} more" if more > 0 else ""),
                title="triaged from what could be read",
                severity="warning",
                markup=False,
            )

    def _on_progress(self, done: int, total: int) -> None:
        self.progress = (done, total)
        # post_message is safe from any thread, in case the engine reports from one
        self.post_message(self.Progress(done, total))

    @on(Progress)
    def _progressed(self, message: Progress) -> None:
        if self.state != "running":
            return
        self.query_one(ProgressBar).update(total=max(message.total, 1), progress=message.done)
        self._status(f"triaging builds: {message.done} of {message.total}  ·  esc to cancel")

    def _message(self, text: Text) -> None:
        self.query_one("#triage-message", Static).update(text)

    def _fail(self, exc: BaseException) -> None:
        self.state = "failed"
        self.query_one(ProgressBar).display = False
        reason = (
            inert(str(exc))
            if isinstance(exc, ProwtuiError)
            else inert(f"{type(exc).__name__}: {exc}")
        )
        self._status(Text(f"triage failed: {reason}", style="red"))
        text = Text()
        text.append(f"Could not triage /{inert(self.job_path)}\n\n", "bold red")
        text.append(reason + "\n\n")
        text.append(advice(exc))
        text.append("\n\nr: try again  ·  esc: back", "dim")
        self._message(text)
        self._show_body(False)

    def _show_report(self, report: TriageReport) -> None:
        self.report = report
        self.query_one(ProgressBar).display = False
        if not report.history:
            self.state = "empty"
            self._status(f"/{inert(self.job_path)}: no builds")
            self._message(
                Text.assemble(
                    (f"No builds under /{inert(self.job_path)}\n\n", "bold"),
                    "A job directory holds one numbered directory per build. Put the cursor on"
                    " a job (or one of its builds) in the tree and press t.\n\n",
                    ("r: look again  ·  esc: back", "dim"),
                )
            )
            self._show_body(False)
            return
        self._builds = {b.build_id: b for b in report.history}
        self.cause_color = cause_colors(report)
        self.state = "done"
        self._show_body(True)
        self.strip.show(report.history, self.cause_color)
        self.query_one(DurationPlot).show(report.history, self.strip.cell_colors)
        self.signatures_table.fill(report.signatures, colors=self.cause_color)
        self.tests_table.fill(report.tests)
        self.query_one(EventTable).fill(report.events)
        self._label_tabs(report)
        self._status(self._summary(report))
        self._restore_view()
        self._sync_selection()

    def _summary(self, report: TriageReport) -> Text:
        text = Text()
        text.append(f"{report.builds} builds", "bold")
        text.append(f": {report.failed_builds} failed", "red")
        text.append(f", {report.passed_builds} passed", "green")
        other = report.builds - report.failed_builds - report.passed_builds
        if other:
            text.append(f", {other} pending or unknown", "dim")
        causes = len(self.cause_color)
        text.append(f"  ·  {causes} cause{'s' if causes != 1 else ''}")
        problems = len({build for build, _ in report.problems})
        if problems:
            text.append(
                f"  ·  {problems} build{'s' if problems != 1 else ''} not fully read", "yellow"
            )
        text.append("  ·  esc back  r recompute", "dim")
        return text

    def _label_tabs(self, report: TriageReport) -> None:
        failing = sum(1 for t in report.tests if t.failures)
        flaky = sum(1 for t in report.tests if t.flaky)
        counts = {
            "signatures": f"{len(report.signatures)}",
            "tests": f"{failing} failing, {flaky} flaky" if failing else f"{len(report.tests)}",
            "events": f"{len(report.events)}",
        }
        for tab, (key, label) in TABS.items():
            self.tabs.get_tab(tab).label = Text.assemble(
                (key, "bold underline"), " ", label, (f" {counts[tab]}", "dim")
            )

    # -- view state ----------------------------------------------------------------------
    def _save_view(self) -> None:
        if self.report is None or self.state != "done":
            return
        view = self.session.view(self.job_path)
        view.tab = self.tabs.active or "signatures"
        view.rows = {tab: self.table(tab).cursor_row for tab in TABS}
        view.strip_cursor = self.strip.cursor

    def _restore_view(self) -> None:
        view = self.session.view(self.job_path)
        for tab, row in view.rows.items():
            table = self.table(tab)
            if 0 <= row < table.row_count:
                table.move_cursor(row=row, animate=False)
        if view.strip_cursor is not None and 0 <= view.strip_cursor < len(self.strip.builds):
            self.strip.cursor = view.strip_cursor
        self.tabs.active = view.tab
        self.call_after_refresh(self.table(view.tab).focus)

    # -- selection -----------------------------------------------------------------------
    def _sync_selection(self) -> None:
        """Mark the builds of the active table's row and show its detail."""
        if self.state != "done":
            return
        table = self.table()
        item = table.item()
        detail = self.query_one("#triage-detail", Static)
        if item is None:
            self.strip.mark(())
            detail.update(Text("nothing to show here", style="dim italic"))
        else:
            self.strip.mark(table.marks(item))
            detail.update(table.detail(item))
        self._show_build_line()

    @on(DataTable.RowHighlighted)
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if isinstance(event.data_table, ReportTable) and event.data_table is self.table():
            self._sync_selection()

    @on(TabbedContent.TabActivated)
    def _tab_activated(self, event: TabbedContent.TabActivated) -> None:
        self._sync_selection()
        table = self.table()
        if not self.strip.has_focus:
            table.focus()

    def action_show_tab(self, tab: str) -> None:
        """Show the tab ``tab`` and focus its table."""
        if self.state == "done" and tab in TABS:
            self.tabs.active = tab
            self.table(tab).focus()

    def action_focus_strip(self) -> None:
        """Walk the builds in the history strip (esc there goes back to the table)."""
        if self.state == "done":
            if self.strip.has_focus:
                self.table().focus()
            else:
                self.strip.focus()

    def _show_build_line(self) -> None:
        line = self.query_one("#triage-build", Static)
        strip = self.strip
        if strip.has_focus and 0 <= strip.cursor < len(strip.builds):
            line.update(self._build_text(strip.builds[strip.cursor]))
            return
        text = Text()
        if strip.hidden:
            text.append(f"newest {len(strip.builds) - strip.hidden} shown, ", "dim")
        text.append("oldest → newest ")
        for label, color in (
            ("passed", RESULT_COLORS["SUCCESS"]),
            ("failed", RESULT_COLORS["FAILURE"]),
            ("pending", RESULT_COLORS["PENDING"]),
        ):
            text.append(" ■", color)
            text.append(f" {label}", "dim")
        causes = list(self.cause_color.values())[:3]
        if causes:
            text.append("  ")
            for color in causes:
                text.append("■", color)
            text.append(" failed, by cause", "dim")
        if strip.marked:
            text.append(f"  ● {len(strip.marked)} builds of the row", "bold")
        line.update(text)

    def _build_text(self, build: BuildHistory) -> Text:
        text = Text()
        text.append(f"build {inert(build.build_id)}", "bold")
        color = self.strip.cell_colors[self.strip.cursor] if self.strip.cell_colors else ""
        text.append(f"  {build.result.lower()}", color)
        if build.started is not None:
            text.append(f"  {format_time(build.started)}", "dim")
        if build.duration_s is not None:
            text.append(f"  {human_duration(build.duration_s)}", "dim")
        if build.failed_tests:
            text.append(f"  {build.failed_tests} failed tests", "red")
        signature = self.report.signature(build.cause) if self.report and build.cause else None
        if signature is not None:
            text.append("  cause: ", "dim")
            text.append(inert(signature.template))
        text.append("  ·  enter: open", "dim")
        return text

    @on(HistoryStrip.CursorMoved)
    def _strip_moved(self, event: HistoryStrip.CursorMoved) -> None:
        self._show_build_line()

    def on_descendant_focus(self) -> None:
        self._show_build_line()

    def on_descendant_blur(self) -> None:
        self._show_build_line()

    # -- drill down ----------------------------------------------------------------------
    @on(DataTable.RowSelected)
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        table = event.data_table
        if not isinstance(table, ReportTable):
            return
        event.stop()
        item = table.item(event.cursor_row)
        if isinstance(item, Signature):
            self._list_signature(item)
        elif isinstance(item, TestStat):
            self._list_failures(item)
        elif isinstance(item, EventStat):
            self.notify(
                "Events are counted across builds; open a build's events.json in the explorer"
                " to see them one by one.",
                title="events",
                markup=False,
            )

    def _list_signature(self, signature: Signature) -> None:
        rows = signature_rows(signature, self._builds)
        heading = (
            f"signature in {signature.failed_builds} failed and {signature.passed_builds}"
            " passed builds"
        )
        self.app.push_screen(
            TriageBuildsScreen(signature.template, heading, rows), self._open_target
        )

    def _list_failures(self, test: TestStat) -> None:
        if not test.failures:
            label, _ = state_of_test(test)
            self.notify(
                f"This test did not fail in any build ({label}).", title="tests", markup=False
            )
            return
        rows = failure_rows(test, self._builds)
        heading = f"failed in {len(test.builds_failed)} builds"
        self.app.push_screen(TriageBuildsScreen(test.name, heading, rows), self._open_target)

    @on(HistoryStrip.Selected)
    def _strip_selected(self, event: HistoryStrip.Selected) -> None:
        event.stop()
        build = self.strip.builds[event.index]
        self._open_target(self.build_target(build))

    def build_target(self, build: BuildHistory) -> OpenTarget:
        """Where a build of the strip opens: its cause's line when it failed with one, else
        the build directory."""
        signature = self.report.signature(build.cause) if self.report and build.cause else None
        if signature is not None and build.result in FAILED_RESULTS:
            for example in signature.occurrences:
                if example.build_id == build.build_id:
                    return OpenTarget(example.path, example.line)
        return OpenTarget(build.path or f"{self.job_path}{build.build_id}/")

    def _open_target(self, target: OpenTarget | None) -> None:
        """Leave the Triage screen (kept for the session) and open ``target`` in the explorer."""
        if target is None:
            return
        self._save_view()
        if self.app.screen is self:
            self.app.pop_screen()
        self.app.post_message(OpenInExplorer(target))

    # -- actions -------------------------------------------------------------------------
    def action_recompute(self) -> None:
        """Triage the job again (the kept report is dropped)."""
        if self.state == "running":
            return
        self.session.forget(self.job_path)
        self.crawl()

    def action_close(self) -> None:
        """Cancel a running triage and go back; a finished one stays kept for the session.
        From the history strip, back to the table first."""
        if self.state == "done" and self.strip.has_focus:
            self.table().focus()
            return
        if self.state == "running":
            self.state = "cancelled"
        self.workers.cancel_group(self, "triage")
        self._save_view()
        if self.app.screen is self:
            self.app.pop_screen()

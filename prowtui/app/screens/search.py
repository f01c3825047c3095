"""``/`` in the tree: search every build of the jobs under the cursor for a line.

An input for the pattern, toggles for literal / regex (``ctrl+r``), case (``ctrl+e``), type
(``ctrl+t``) and window (``ctrl+w`` cycles 2d, 7d, 14d, 1d); ``enter`` searches with
:func:`prowtui.search.run.search_jobs` in a worker. Results stream in as a tree:
each job under its impact line, its builds (result coloured), their matching lines (the match
highlighted). ``enter`` on a job expands it; on a match it opens the file in the explorer at
that line (a junit file at its test). ``esc`` cancels a running search, then goes back. The
last search of each folder is kept for the session.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Header, Input, Static, Tree

from prowtui.app.messages import OpenInExplorer
from prowtui.app.screens.triage_session import OpenTarget
from prowtui.app.services import Explorer
from prowtui.app.widgets.footer import AppFooter
from prowtui.errors import ProwtuiError
from prowtui.safetext import inert, inert_text
from prowtui.sources.base import normalize_dir

if TYPE_CHECKING:
    from prowtui.search.model import BuildMatches, JobMatches, MatchRow, SearchReport
    from prowtui.search.run import JobProgress

WINDOWS = ("2d", "7d", "14d", "1d")
TYPES = ("all", "build-log", "junit")
#: characters of a matched line shown in a tree label
LABEL_CHARS = 300
#: characters of a matched line shown before its first match
LEAD_CHARS = 12


@dataclass
class SearchState:
    """The toggles, the pattern and the last report of one folder."""

    pattern: str = ""
    fixed: bool = False
    ignore_case: bool = False
    type: str = "all"
    window: str = "2d"
    report: SearchReport | None = None
    jobs: list[JobMatches] = field(default_factory=list)


_SESSIONS: WeakKeyDictionary[Explorer, dict[str, SearchState]] = WeakKeyDictionary()


def search_state(explorer: Explorer, folder: str) -> SearchState:
    """The kept search of ``folder`` in this explorer (a fresh one the first time)."""
    states = _SESSIONS.get(explorer)
    if states is None:
        states = _SESSIONS[explorer] = {}
    return states.setdefault(normalize_dir(folder), SearchState())


def job_patterns(folder: str, job: str | None) -> list[str]:
    """What to search under the cursor: its job, else the jobs directly below the folder
    (``logs/*`` at the bucket root)."""
    if job is not None:
        return [normalize_dir(job)]
    folder = normalize_dir(folder)
    return [folder + "*"] if folder else ["logs/*"]


def percent(value: float | None) -> str:
    """0.425 -> '42%', None -> '-'."""
    return "-" if value is None else f"{value * 100:.0f}%"


def job_label(job: JobMatches) -> Text:
    """The impact line, then the job's name (cut first when the row is narrow)."""
    text = Text()
    text.append(f"{percent(job.impact):>4}", style="bold red" if job.impact else "bold")
    text.append(
        f"  {job.matched_runs}/{job.runs} runs  {job.matched_failed}/{job.failed} failures  ",
        style="dim",
    )
    text.append_text(inert_text(job.job.rstrip("/").rsplit("/", 1)[-1], "bold"))
    return text


def build_label(build: BuildMatches) -> Text:
    """A build: its id, result (coloured), start and match count."""
    result = build.result or "PENDING"
    style = "green" if result == "SUCCESS" else ("yellow" if build.result is None else "red")
    started = build.started.strftime("%Y-%m-%d %H:%M") if build.started else "-"
    text = Text()
    text.append_text(inert_text(build.build_id))
    text.append(f"  {result}", style=style)
    count = len(build.matches)
    text.append(f"  {started}  {count} line{'s' if count != 1 else ''}", style="dim")
    if build.truncated:
        text.append("  (capped)", style="yellow")
    return text


def match_label(match: MatchRow) -> Text:
    """``path:line`` (or the junit test), then the line from a little before its first match
    (so the match shows in a narrow row), the matches highlighted."""
    parts = match.path.split("/")
    short = "/".join(parts[-2:]) if len(parts) > 2 else match.path
    where = f"{short}:{match.line}"
    if match.test:
        where += f" [{match.test}]"
    text = Text()
    text.append_text(inert_text(where, "magenta"))
    text.append("  ")
    begin = max(0, match.spans[0][0] - LEAD_CHARS) if match.spans else 0
    shown = match.text[begin : begin + LABEL_CHARS]
    if begin:
        text.append("…", style="dim")
    last = 0
    for start, end in match.spans:
        start, end = max(0, start - begin), min(end - begin, len(shown))
        if start < last or start >= len(shown):
            continue
        text.append_text(inert_text(shown[last:start]))
        text.append_text(inert_text(shown[start:end], "bold black on yellow"))
        last = end
    text.append_text(inert_text(shown[last:]))
    return text


class SearchScreen(Screen[None]):
    """Search the builds of the jobs under a folder (see the module docstring)."""

    CSS_PATH = "search.tcss"
    BINDINGS = [
        Binding("escape", "close", "Back / cancel", id="search.close"),
        Binding("ctrl+r", "toggle_fixed", "Regex/literal", priority=True, id="search.fixed"),
        Binding("ctrl+e", "toggle_case", "Case", priority=True, id="search.case"),
        Binding("ctrl+t", "cycle_type", "Type", priority=True, id="search.type"),
        Binding("ctrl+w", "cycle_window", "Window", priority=True, id="search.window"),
        Binding("slash", "focus_input", "Pattern", show=False, id="search.pattern"),
    ]

    def __init__(self, explorer: Explorer, folder: str, job: str | None = None) -> None:
        super().__init__()
        self.explorer = explorer
        self.folder = normalize_dir(job or folder)
        self.patterns = job_patterns(folder, job)
        self.state = search_state(explorer, self.folder)
        #: idle, running, done, failed or cancelled
        self.status = "idle"
        self.progress = ""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(value=self.state.pattern, placeholder="pattern, then enter", id="search-input")
        yield Static(id="search-toggles")
        yield Static(id="search-status")
        tree: Tree[object] = Tree("results", id="search-results")
        tree.show_root = False
        yield tree
        yield AppFooter()

    @property
    def results(self) -> Tree[object]:
        """The results tree."""
        return self.query_one("#search-results", Tree)

    def on_mount(self) -> None:
        self.sub_title = inert(f"search /{self.folder}")
        self._show_toggles()
        if self.state.report is not None:
            self._show_jobs(self.state.report.jobs)
            self._set_status(self._summary(self.state.report))
            self.results.focus()
        else:
            self._set_status(f"search {' '.join(self.patterns)}: type a pattern, then enter")
            self.query_one(Input).focus()

    # -- toggles -------------------------------------------------------------------------

    def _show_toggles(self) -> None:
        s = self.state
        text = Text()
        for key, label in (
            ("^r", "literal" if s.fixed else "regex"),
            ("^e", "ignore case" if s.ignore_case else "match case"),
            ("^t", s.type),
            ("^w", s.window),
        ):
            text.append(f" {key} ", style="reverse")
            text.append(f" {label}  ")
        self.query_one("#search-toggles", Static).update(text)

    def action_toggle_fixed(self) -> None:
        """Literal string or regular expression."""
        self.state.fixed = not self.state.fixed
        self._show_toggles()

    def action_toggle_case(self) -> None:
        """Case-sensitive or not."""
        self.state.ignore_case = not self.state.ignore_case
        self._show_toggles()

    def action_cycle_type(self) -> None:
        """Build logs and junit, build logs, junit."""
        self.state.type = TYPES[(TYPES.index(self.state.type) + 1) % len(TYPES)]
        self._show_toggles()

    def action_cycle_window(self) -> None:
        """2d, 7d, 14d, 1d."""
        self.state.window = WINDOWS[(WINDOWS.index(self.state.window) + 1) % len(WINDOWS)]
        self._show_toggles()

    def action_focus_input(self) -> None:
        """Back to the pattern."""
        self.query_one(Input).focus()

    # -- searching -----------------------------------------------------------------------

    def _set_status(self, text: str | Text) -> None:
        self.query_one("#search-status", Static).update(
            text if isinstance(text, Text) else Text(text)
        )

    @on(Input.Submitted, "#search-input")
    def _submitted(self, event: Input.Submitted) -> None:
        pattern = event.value
        if not pattern:
            return
        self.state.pattern = pattern
        self.search()

    @work(exclusive=True, group="search", exit_on_error=False)
    async def search(self) -> None:
        """Run the search; results appear as jobs finish."""
        from prowtui.logs.grep import Pattern
        from prowtui.prow.windows import parse_since
        from prowtui.search.run import SearchOptions, search_jobs

        s = self.state
        s.report = None
        s.jobs = []
        self.status = "running"
        self.results.clear()
        self._set_status(f"searching {' '.join(self.patterns)}…  ·  esc to cancel")
        options = SearchOptions(
            pattern=Pattern(s.pattern, fixed=s.fixed, ignore_case=s.ignore_case),
            type=s.type,
            concurrency=getattr(self.explorer.source, "concurrency", None) or 8,
        )
        now = None if self.explorer.source.kind == "demo" else datetime.now(UTC)
        try:
            report = await search_jobs(
                self.explorer.source,
                self.patterns,
                options,
                since=parse_since(s.window),
                now=now,
                on_job=self._on_job,
                on_progress=self._on_progress,
            )
        except (ProwtuiError, OSError) as exc:
            self.status = "failed"
            self._set_status(Text(inert(str(exc).splitlines()[0]), style="red"))
            self.query_one(Input).focus()
            return
        self.status = "done"
        s.report = report
        self._show_jobs(report.jobs)
        self._set_status(self._summary(report))
        if report.problems:
            self.notify(
                "\n".join(inert(p) for p in report.problems[:3]),
                title=f"{len(report.problems)} could not be read",
                severity="warning",
                markup=False,
            )
        if report.jobs:
            self.results.focus()

    def _summary(self, report: SearchReport) -> Text:
        s = report.searched
        count = len(report.jobs)
        text = Text(f"{count} job{'' if count == 1 else 's'} with a match", style="bold")
        text.append(
            f"  ·  {s.builds} builds, {s.files} files, {s.bytes / 1e6:.1f} MB  ·  window "
            f"{report.query.since_s // 86400 or 1}d to {report.query.now:%Y-%m-%d %H:%M}",
            style="dim",
        )
        return text

    def _on_job(self, job: JobMatches) -> None:
        self.state.jobs.append(job)
        self._add_job(job)

    def _on_progress(self, progress: JobProgress) -> None:
        self.progress = f"jobs: {progress.jobs_done} of {progress.jobs_total}"
        if self.status == "running":
            self._set_status(
                f"searching…  {self.progress}, {progress.builds_searched} builds  ·  esc to cancel"
            )

    def _show_jobs(self, jobs: list[JobMatches]) -> None:
        self.results.clear()
        for job in jobs:
            self._add_job(job)

    def _add_job(self, job: JobMatches) -> None:
        node = self.results.root.add(job_label(job), data=job)
        for build in job.builds:
            child = node.add(build_label(build), data=build)
            for match in build.matches:
                child.add_leaf(match_label(match), data=(job, build, match))
            child.expand()
        if self.results.cursor_line < 0:
            self.results.move_cursor(node, animate=False)

    # -- opening -------------------------------------------------------------------------

    @on(Tree.NodeSelected, "#search-results")
    def _selected(self, event: Tree.NodeSelected[object]) -> None:
        data = event.node.data
        if isinstance(data, tuple):
            job, build, match = data
            path = f"{normalize_dir(job.job)}{build.build_id}/{match.path}"
            if match.test:
                self._open(OpenTarget(path, test=match.test))
            else:
                self._open(OpenTarget(path, match.line))

    def _open(self, target: OpenTarget) -> None:
        """Leave the screen (kept for the session) and open ``target`` in the explorer."""
        if self.app.screen is self:
            self.app.pop_screen()
        self.app.post_message(OpenInExplorer(target))

    def action_close(self) -> None:
        """Cancel a running search, else go back (from the results: to the pattern first)."""
        if self.status == "running":
            self.status = "cancelled"
            self.workers.cancel_group(self, "search")
            self._set_status("cancelled  ·  enter to search again, esc to go back")
            self.query_one(Input).focus()
            return
        if self.app.screen is self:
            self.app.pop_screen()

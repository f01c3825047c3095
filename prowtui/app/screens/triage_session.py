"""What the Triage screen keeps for the session: reports and where the user left each one.

Plain Python, no Textual: a report is kept per (source, job) for the life of the explorer, so
pressing ``t`` again on the same job shows it at once, with the tab, rows and strip cursor the
user left. :class:`OpenTarget` is what a drill-down hands back to the explorer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

from prowtui.sources.base import normalize_dir

if TYPE_CHECKING:
    from prowtui.app.services import Explorer
    from prowtui.triage.model import TriageReport


@dataclass(frozen=True, slots=True)
class OpenTarget:
    """A file to open in the explorer: a log at ``line`` (1-based), or a junit file at
    ``test`` (the test case to put the cursor on)."""

    path: str
    line: int | None = None
    test: str | None = None


@dataclass(slots=True)
class ViewState:
    """Where the user left a report: active tab, cursor row per table, strip cursor."""

    tab: str = "signatures"
    rows: dict[str, int] = field(default_factory=dict)
    strip_cursor: int | None = None


class TriageSession:
    """Reports and view states of one explorer, keyed by the job's directory path."""

    def __init__(self) -> None:
        self._reports: dict[str, TriageReport] = {}
        self._views: dict[str, ViewState] = {}

    def report(self, job_path: str) -> TriageReport | None:
        """The report of ``job_path`` computed earlier in this session, if any."""
        return self._reports.get(normalize_dir(job_path))

    def keep(self, job_path: str, report: TriageReport) -> None:
        """Keep ``report`` for the rest of the session."""
        self._reports[normalize_dir(job_path)] = report

    def forget(self, job_path: str) -> None:
        """Drop the report of ``job_path`` (to compute it again)."""
        self._reports.pop(normalize_dir(job_path), None)
        self._views.pop(normalize_dir(job_path), None)

    def view(self, job_path: str) -> ViewState:
        """The view state of ``job_path`` (a fresh one the first time)."""
        return self._views.setdefault(normalize_dir(job_path), ViewState())


_SESSIONS: WeakKeyDictionary[Explorer, TriageSession] = WeakKeyDictionary()


def session_of(explorer: Explorer) -> TriageSession:
    """The triage session of ``explorer`` (one explorer has one source, so one per source)."""
    session = _SESSIONS.get(explorer)
    if session is None:
        session = _SESSIONS[explorer] = TriageSession()
    return session

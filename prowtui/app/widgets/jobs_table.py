"""The Jobs screen's table: one row per job, worst first, the newest results as coloured cells.

Narrower than :data:`WIDE` columns, "failing since" and "last pass" leave the table (the
screen's detail line shows them for the cursor's job) so the job's name keeps its room.
"""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable

from prowtui.analysis.jobs_overview import (
    STATE_STYLES,
    JobOverview,
    change_text,
    common_prefix,
    failing_since_text,
    last_pass_text,
    rate_text,
    strip_text,
)
from prowtui.app.widgets.cells import ellipsize_start
from prowtui.prow.jobs import parse_job_path
from prowtui.safetext import inert

#: from this many columns on, "failing since" and "last pass" are columns of their own
WIDE = 110
#: newest results shown as cells
STRIP_CELLS = 10
#: (label, width) of the columns after the job's; None: only when wide
_NARROW_COLUMNS = (("state", 7), ("pass", 4), ("Δ", 3), ("runs", 4))
_WIDE_COLUMNS = (("failing since", 13), ("last pass", 11))
_STRIP_COLUMN = ("newest", STRIP_CELLS)


class JobsTable(DataTable[Text]):
    """Jobs in table order; ``enter`` asks for the Triage screen of the cursor's job."""

    BINDINGS = [
        Binding("enter", "select_cursor", "Triage", tooltip="the job's triage", id="jobs.triage"),
    ]

    def __init__(self, **kwargs: object) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)  # type: ignore[arg-type]

    def current_job(self) -> str | None:
        """The job path of the row under the cursor."""
        if not self.row_count:
            return None
        try:
            key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        except Exception:
            return None
        return None if key.value is None else str(key.value)

    def show(self, rows: list[JobOverview], now: datetime, width: int) -> None:
        """Replace the rows for a table ``width`` wide. A cursor on the first row stays on the
        first row (the worst job, as rows come in and re-sort); elsewhere it stays on its job."""
        current = self.current_job() if self.cursor_row > 0 else None
        wide = width >= WIDE
        columns = [*_NARROW_COLUMNS, *(_WIDE_COLUMNS if wide else ()), _STRIP_COLUMN]
        fixed = sum(w + 2 for _, w in columns) + 2 + 2  # cell padding, the job's, scrollbar
        job_width = max(12, width - fixed)
        refs = [parse_job_path(job.job) for job in rows]
        names = [ref.name for ref in refs]
        prefix = common_prefix(names)
        self.clear(columns=True)
        self.add_column("job", width=job_width, key="job")
        for label, col_width in columns:
            self.add_column(label, width=col_width, key=label)
        for job, name, ref in zip(rows, names, refs, strict=True):
            shown = "…" + name[len(prefix) :] if prefix else name
            if ref.pr:
                shown += f" #{ref.pr}"  # a presubmit: one job directory per pull request
            change = change_text(job.change)
            cells = [
                Text(ellipsize_start(inert(shown), job_width)),
                Text(job.state, style=STATE_STYLES[job.state]),
                Text(rate_text(job.pass_rate), justify="right"),
                Text(change, style="green" if "↑" in change else "red" if "↓" in change else ""),
                Text(str(job.runs), justify="right"),
            ]
            if wide:
                cells += [Text(failing_since_text(job, now)), Text(last_pass_text(job, now))]
            cells.append(strip_text(job, STRIP_CELLS))
            self.add_row(*cells, key=job.job)
        if current is not None and current in {job.job for job in rows}:
            self.move_cursor(row=self.get_row_index(current), animate=False)

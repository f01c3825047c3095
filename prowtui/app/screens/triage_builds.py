"""The builds behind one row of the Triage screen: a signature's builds with their example
line, or the builds where a test failed with its message. ``enter`` picks one (the screen
dismisses with an :class:`OpenTarget`), ``esc`` goes back."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from prowtui.app.screens.triage_session import OpenTarget
from prowtui.app.widgets.bucket_tree import RESULT_STYLES
from prowtui.app.widgets.cells import cell
from prowtui.safetext import inert
from prowtui.triage.model import BuildHistory, Signature, TestStat

#: characters of an example line or message shown in the table
TEXT_LIMIT = 500


@dataclass(frozen=True, slots=True)
class BuildRow:
    """One row: a build, where in it (path relative to the build, line), what and the target."""

    build_id: str
    result: str
    where: str
    text: str
    target: OpenTarget


def _relative(path: str, build: BuildHistory | None) -> str:
    if build is not None and build.path and path.startswith(build.path):
        return path[len(build.path) :]
    return path


def signature_rows(signature: Signature, builds: Mapping[str, BuildHistory]) -> list[BuildRow]:
    """The builds of ``signature``, newest first, each with its first line of the template."""
    rows: list[BuildRow] = []
    seen: set[str] = set()
    for example in signature.occurrences or (signature.example,):
        build = builds.get(example.build_id)
        seen.add(example.build_id)
        where = _relative(example.path, build)
        if example.line is not None:
            where = f"{where}:{example.line}"
        rows.append(
            BuildRow(
                example.build_id,
                build.result if build else "UNKNOWN",
                where,
                example.text,
                OpenTarget(example.path, example.line),
            )
        )
    for build_id in signature.builds:  # builds the engine gave no example line for
        build = builds.get(build_id)
        if build_id in seen or build is None:
            continue
        rows.append(BuildRow(build_id, build.result, "build-log.txt", "", OpenTarget(build.path)))
    return sorted(rows, key=lambda r: _order(r.build_id), reverse=True)


def failure_rows(test: TestStat, builds: Mapping[str, BuildHistory]) -> list[BuildRow]:
    """The failed runs of ``test``, newest first, each with its junit file and message."""
    rows = [
        BuildRow(
            failure.build_id,
            builds[failure.build_id].result if failure.build_id in builds else "UNKNOWN",
            _relative(failure.path, builds.get(failure.build_id)),
            failure.message,
            OpenTarget(failure.path, None, test.name),
        )
        for failure in test.failures_detail
    ]
    return sorted(rows, key=lambda r: _order(r.build_id), reverse=True)


def _order(build_id: str) -> tuple[int, str]:
    return (int(build_id), "") if build_id.isdigit() else (-1, build_id)


class TriageBuildsScreen(ModalScreen[OpenTarget | None]):
    """A table of :class:`BuildRow`; dismisses with the chosen row's target."""

    CSS_PATH = "triage_builds.tcss"
    BINDINGS = [Binding("escape,q", "back", "Back", id="triage.builds.back")]

    def __init__(self, title: str, subtitle: str, rows: Sequence[BuildRow]) -> None:
        super().__init__()
        self.heading = title
        self.subheading = subtitle
        self.rows = list(rows)

    def compose(self) -> ComposeResult:
        with Vertical(id="builds-box"):
            yield Static(
                Text.assemble((self.subheading, "bold"), "  ", (inert(self.heading), "")),
                id="builds-title",
            )
            yield DataTable(cursor_type="row", zebra_stripes=True, id="builds-table")
            yield Static(
                Text("enter: open it in the explorer  ·  esc: back", style="dim"),
                id="builds-hint",
            )

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column("build", key="build")
        table.add_column("result", key="result")
        table.add_column("where", key="where")
        table.add_column("line", key="text")
        for row in self.rows:
            symbol, style = RESULT_STYLES.get(row.result, RESULT_STYLES["UNKNOWN"])
            first = row.text.strip().splitlines()[0] if row.text.strip() else ""
            table.add_row(
                cell(row.build_id),
                Text(f"{symbol} {row.result.lower()}", style=style),
                cell(row.where, "dim", limit=120),
                cell(first, limit=TEXT_LIMIT),
            )
        table.focus()

    @on(DataTable.RowSelected, "#builds-table")
    def _chosen(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if 0 <= event.cursor_row < len(self.rows):
            self.dismiss(self.rows[event.cursor_row].target)

    def action_back(self) -> None:
        self.dismiss(None)

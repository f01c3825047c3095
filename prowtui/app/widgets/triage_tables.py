"""The three tables of the Triage screen: signatures, tests and events of a report.

Each is a row-cursor DataTable over a tuple of report values; :meth:`ReportTable.item` gives
the value under a row, :meth:`ReportTable.marks` the builds to mark in the history strip and
:meth:`ReportTable.detail` the text shown under the table. Every string from the report is
made inert (it came from a bucket).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Generic, TypeVar

from rich.text import Text
from textual.widgets import DataTable

from prowtui.app.widgets.cells import cell
from prowtui.safetext import inert
from prowtui.triage.model import EventStat, Signature, TestStat

T = TypeVar("T")

#: characters of a template or test name shown in a table cell
CELL_LIMIT = 400


class ReportTable(DataTable[Any], Generic[T]):
    """A table of report values, one per row, in the report's order."""

    DEFAULT_CSS = """
    ReportTable { height: 1fr; scrollbar-size-horizontal: 0; }
    """

    #: (key, header, right-aligned)
    COLUMNS: ClassVar[tuple[tuple[str, str, bool], ...]] = ()

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, id=id)
        self.items: tuple[T, ...] = ()

    def on_mount(self) -> None:
        for key, header, right in self.COLUMNS:
            self.add_column(Text(header, justify="right" if right else "left"), key=key)

    def fill(self, items: Sequence[T], **context: Any) -> None:
        """Replace the rows with ``items``."""
        self.clear()
        self.items = tuple(items)
        self.add_rows(self.cells(item, **context) for item in self.items)

    def cells(self, item: T, **context: Any) -> list[Text]:
        """The cells of one row."""
        raise NotImplementedError

    def item(self, row: int | None = None) -> T | None:
        """The value at ``row`` (the cursor's row when omitted)."""
        row = self.cursor_row if row is None else row
        return self.items[row] if 0 <= row < len(self.items) else None

    def marks(self, item: T) -> Sequence[str]:
        """Build ids to mark in the history strip for ``item``."""
        return ()

    def detail(self, item: T) -> Text:
        """The full text of ``item`` shown under the table."""
        raise NotImplementedError


def _number(value: object, style: str = "") -> Text:
    return Text("" if value is None else str(value), style=style, justify="right")


class SignatureTable(ReportTable[Signature]):
    """Failure signatures, best first: cause colour, score, failed/passed builds, template."""

    COLUMNS = (
        ("cause", "", False),
        ("score", "score", True),
        ("failed", "fail", True),
        ("passed", "pass", True),
        ("template", "signature", False),
    )

    def cells(self, item: Signature, **context: Any) -> list[Text]:
        colors: Mapping[str, str] = context.get("colors", {})
        color = colors.get(item.id)
        template = cell(item.template, limit=CELL_LIMIT)
        if len(item.lines) > 1:
            template.append(f"  +{len(item.lines) - 1} lines", "dim")
        return [
            Text("■", style=color) if color else Text(" "),
            _number(f"{item.score:+.2f}", "bold" if item.score > 0.5 else ""),
            _number(item.failed_builds, "red" if item.failed_builds else "dim"),
            _number(item.passed_builds, "green" if item.passed_builds else "dim"),
            template,
        ]

    def marks(self, item: Signature) -> Sequence[str]:
        return item.builds

    def detail(self, item: Signature) -> Text:
        example = item.example
        where = example.path.rsplit(f"/{example.build_id}/", 1)[-1]
        if example.line is not None:
            where = f"{where}:{example.line}"
        text = Text()
        counts = f"in {item.failed_builds} failed and {item.passed_builds} passed builds"
        text.append(counts, "bold")
        text.append(f"  ·  score {item.score:+.3f}  ·  e.g. build ", "dim")
        text.append(f"{inert(example.build_id)} {inert(where)}", "dim")
        text.append("  ·  enter: its builds", "dim")
        for number, line in enumerate(item.lines, 1):
            text.append(f"\n{number:>2} ", "dim")
            text.append(inert(line))
        text.append("\ne.g. ", "dim")
        text.append(inert(example.text), "italic")
        return text


def state_of_test(item: TestStat) -> tuple[str, str]:
    """``(label, style)``: flaky, failing (never passed), broken (a run of failures) or ok."""
    if item.flaky:
        return "flaky", "bold yellow"
    if item.failures and not item.passes:
        return "failing", "bold red"
    if item.failures:
        return "broken", "red"
    if item.runs and item.skipped == item.runs:
        return "skipped", "dim"
    return "ok", "green"


class TestTable(ReportTable[TestStat]):
    """junit test cases, most failures first: state, failures, passes, flake rate, name."""

    __test__ = False  # not a pytest class

    COLUMNS = (
        ("state", "state", False),
        ("failures", "fail", True),
        ("passes", "pass", True),
        ("rate", "flake", True),
        ("name", "test", False),
    )

    def cells(self, item: TestStat, **context: Any) -> list[Text]:
        label, style = state_of_test(item)
        rate = "" if item.flake_rate is None or not item.flaky else f"{item.flake_rate:.0%}"
        return [
            Text(label, style=style),
            _number(item.failures, "red" if item.failures else "dim"),
            _number(item.passes, "green" if item.passes else "dim"),
            _number(rate, "yellow"),
            cell(item.name, limit=CELL_LIMIT),
        ]

    def marks(self, item: TestStat) -> Sequence[str]:
        return item.builds_failed

    def detail(self, item: TestStat) -> Text:
        text = Text()
        text.append(inert(item.name), "bold")
        text.append("\n")
        text.append(f"suite {inert(item.suite)}  ·  class {inert(item.classname)}\n", "dim")
        label, style = state_of_test(item)
        text.append(label, style)
        text.append(
            f"  ·  {item.runs} runs: {item.failures} failed, {item.passes} passed,"
            f" {item.skipped} skipped"
        )
        if item.failures:
            text.append(
                f"  ·  failed in {len(item.builds_failed)} builds, first"
                f" {inert(item.first_failed)}, last {inert(item.last_failed)}"
            )
            text.append("  ·  enter: those builds", "dim")
        return text


class EventTable(ReportTable[EventStat]):
    """Event messages across the job: type, reason, builds, count, templated message."""

    COLUMNS = (
        ("type", "type", False),
        ("reason", "reason", False),
        ("builds", "builds", True),
        ("count", "count", True),
        ("template", "message", False),
    )

    def cells(self, item: EventStat, **context: Any) -> list[Text]:
        return [
            cell(item.type, "yellow" if item.warning else "dim"),
            cell(item.reason, limit=40),
            _number(item.builds),
            _number(item.count),
            cell(item.template, limit=CELL_LIMIT),
        ]

    def detail(self, item: EventStat) -> Text:
        text = Text()
        text.append(inert(item.reason), "bold yellow" if item.warning else "bold")
        text.append(f"  ({inert(item.type)})", "dim")
        text.append(f"  ·  in {item.builds} builds, {item.count} times\n")
        text.append(inert(item.template))
        return text

"""``prowtui triage JOBPATH``: why a job's builds fail (``--json`` for scripts).

Four sections: the history (one mark per build, oldest first: a failed build shows the letter
of its cause), the log failure signatures ranked by how specific they are to failed builds,
the junit tests that failed (flaky or broken) and the job-wide events. Rich tables on a
terminal, plain text when piped; every string from the bucket is made inert. The analysis
(:mod:`prowtui.triage`) is imported inside the functions, so ``prowtui --help`` stays fast.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Callable
from typing import IO, TYPE_CHECKING, Any

from prowtui.commands.common import run
from prowtui.commands.stats import ProgressReport, add_job_args, open_job_source
from prowtui.safetext import inert

if TYPE_CHECKING:
    from rich.console import Console

    from prowtui.triage.model import TriageReport

#: rows shown per section (the JSON has them all)
SIGNATURES_SHOWN = 15
TESTS_SHOWN = 15
EVENTS_SHOWN = 10
#: causes that get a letter in the history strip
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
CAUSE_STYLES = ("red", "magenta", "yellow", "blue", "cyan", "bright_red", "bright_magenta")
#: history marks per plain-text line
STRIP_WIDTH = 80
#: characters of a template shown in plain text
TEMPLATE_CHARS = 160

PASSED, OTHER, FAILED_UNKNOWN, MORE_CAUSES = ".", "-", "x", "*"


def register(subparsers: Any) -> None:
    """Add the ``triage`` sub-command."""
    parser = subparsers.add_parser(
        "triage",
        help="why a job's builds fail: history, failure signatures, failing tests, events",
        description="Crawl a job's builds, mine their logs for failure signatures (error lines "
        "templated with drain3, grouped by the builds they occur in, ranked by how specific "
        "they are to failed builds), and sum up junit tests (flaky, broken) and events.",
    )
    add_job_args(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    """Run ``prowtui triage``."""
    return int(run(lambda: _triage(args)) or 0)


async def _triage(args: argparse.Namespace) -> int:
    from prowtui.config import load_config
    from prowtui.triage import triage_job

    patterns = tuple(load_config().logs.error_patterns)
    source, path, concurrency = await open_job_source(args)
    try:
        with ProgressReport("triage") as progress:
            report = await triage_job(
                source,
                path,
                limit=args.limit,
                concurrency=concurrency,
                error_patterns=patterns,
                on_progress=(
                    (lambda done, total: progress(done, total, None))
                    if sys.stderr.isatty()
                    else None
                ),
            )
    finally:
        await source.aclose()
    if args.json:
        sys.stdout.write(report.dumps())
    elif sys.stdout.isatty():
        from rich.console import Console

        render_rich(report, Console(highlight=False))
    else:
        render_plain(report, sys.stdout)
    sys.stdout.flush()
    if report.problems:
        print(f"prowtui triage: {len(report.problems)} problem(s) reading builds:", file=sys.stderr)
        for build_id, problem in report.problems:
            print(f"  {inert(build_id)}: {inert(problem)}", file=sys.stderr)
        return 1
    return 0


# -- what both renderings show ------------------------------------------------------------------


def cause_letters(report: TriageReport) -> dict[str, str]:
    """A letter for each signature that is the cause of a failed build, the most frequent
    cause first (then by rank); causes beyond the alphabet share :data:`MORE_CAUSES`."""
    counts = Counter(h.cause for h in report.history if h.cause)
    rank = {s.id: n for n, s in enumerate(report.signatures)}
    ordered = sorted(counts, key=lambda sid: (-counts[sid], rank.get(sid, 0)))
    return {sid: LETTERS[n] if n < len(LETTERS) else MORE_CAUSES for n, sid in enumerate(ordered)}


def history_marks(report: TriageReport, letters: dict[str, str]) -> list[tuple[str, str]]:
    """``(mark, kind)`` per build, oldest first; kind is passed, failed or other."""
    out = []
    for h in report.history:
        if h.result == "SUCCESS":
            out.append((PASSED, "passed"))
        elif h.result in ("FAILURE", "ERROR", "ABORTED"):
            out.append((letters.get(h.cause or "", FAILED_UNKNOWN), "failed"))
        else:
            out.append((OTHER, "other"))
    return out


def _summary(report: TriageReport) -> str:
    other = report.builds - report.failed_builds - report.passed_builds
    text = f"{report.builds} builds: {report.failed_builds} failed, {report.passed_builds} passed"
    return text + (f", {other} other" if other else "")


def _where(example: Any, job: str) -> str:
    """``BUILD path-in-build:line`` (the job directory is in the header)."""
    build_dir = f"{job}{example.build_id}/"
    path = example.path[len(build_dir) :] if example.path.startswith(build_dir) else example.path
    line = f":{example.line}" if example.line is not None else " (junit message)"
    return f"{example.build_id} {path}{line}"


def _test_state(flaky: bool, failures: int, passes: int) -> str:
    if flaky:
        return "flaky"
    if failures and passes:
        return "broken"
    return "always" if failures else ""


def _span(first: str | None, last: str | None) -> str:
    if first is None:
        return "-"
    return first if first == last else f"{first} .. {last}"


# -- plain text ---------------------------------------------------------------------------------


def render_plain(report: TriageReport, out: IO[str]) -> None:
    """The report as plain text (every data string inert)."""
    write: Callable[[str], object] = lambda text="": out.write(text + "\n")  # noqa: E731
    letters = cause_letters(report)
    write(f"job {inert(report.job)}  ·  {_summary(report)}")
    write()
    write(
        f"history, oldest first ({PASSED} passed, {OTHER} pending/unknown, a letter: the cause "
        f"of a failed build, {FAILED_UNKNOWN}: failed without a signature)"
    )
    marks = "".join(mark for mark, _kind in history_marks(report, letters))
    for start in range(0, len(marks), STRIP_WIDTH):
        write("  " + marks[start : start + STRIP_WIDTH])
    by_id = {s.id: s for s in report.signatures}
    counts = Counter(h.cause for h in report.history if h.cause)
    for sid, letter in letters.items():
        if letter != MORE_CAUSES:
            template = inert(by_id[sid].template)[:TEMPLATE_CHARS]
            write(f"  {letter} {sid}  {counts[sid]:>3} builds  {template}")
    write()
    shown = report.signatures[:SIGNATURES_SHOWN]
    write(
        f"signatures ({len(report.signatures)} in failed builds; "
        "score = failed share - passed share)"
    )
    if shown:
        write(f"  {'#':>3}  {'id':<10} {'score':>7} {'failed':>6} {'passed':>6}  template")
    for n, s in enumerate(shown, 1):
        write(
            f"  {n:>3}  {s.id:<10} {s.score:>+7.3f} {s.failed_builds:>6} {s.passed_builds:>6}  "
            f"{inert(s.template)[:TEMPLATE_CHARS]}"
        )
        write(f"  {'':>3}  e.g. {inert(_where(s.example, report.job))}")
    _more(write, len(report.signatures), len(shown), "signatures")
    write()
    failing = [t for t in report.tests if t.failures]
    write(f"tests ({len(report.tests)} seen, {len(failing)} failed at least once)")
    if failing:
        write(f"  {'failures':>8} {'runs':>5}  {'state':<6}  {'failed in':<41}  name")
    for t in failing[:TESTS_SHOWN]:
        state = _test_state(t.flaky, t.failures, t.passes)
        write(
            f"  {t.failures:>8} {t.runs:>5}  {state:<6}  "
            f"{inert(_span(t.first_failed, t.last_failed)):<41}  {inert(t.name)}"
        )
    _more(write, len(failing), min(len(failing), TESTS_SHOWN), "failed tests")
    write()
    write(f"events ({len(report.events)} message templates)")
    if report.events:
        write(f"  {'builds':>6} {'count':>7}  {'type':<8} {'reason':<24} message")
    for e in report.events[:EVENTS_SHOWN]:
        write(
            f"  {e.builds:>6} {e.count:>7}  {inert(e.type):<8} {inert(e.reason):<24} "
            f"{inert(e.template)[:TEMPLATE_CHARS]}"
        )
    _more(write, len(report.events), min(len(report.events), EVENTS_SHOWN), "event templates")


def _more(write: Callable[[str], object], total: int, shown: int, what: str) -> None:
    if total > shown:
        write(f"  and {total - shown} more {what} (--json lists them all)")


# -- Rich ---------------------------------------------------------------------------------------


def render_rich(report: TriageReport, console: Console) -> None:
    """The report as Rich tables (every data string inert, no markup from data)."""
    from rich.table import Table
    from rich.text import Text

    from prowtui.safetext import inert_text

    letters = cause_letters(report)
    styles = {sid: CAUSE_STYLES[n % len(CAUSE_STYLES)] for n, sid in enumerate(letters)}
    header = Text("job ")
    header.append_text(inert_text(report.job, "bold"))
    header.append(f"  ·  {_summary(report)}")
    console.print(header)

    strip = Text()
    for (mark, kind), h in zip(history_marks(report, letters), report.history, strict=True):
        style = {"passed": "green", "other": "dim"}.get(kind) or styles.get(h.cause or "", "red")
        strip.append(mark, style=f"bold {style}" if kind == "failed" else style)
    console.print(Text("history, oldest first", style="bold"))
    console.print(strip)
    legend = _rich_table("causes of failed builds", Table)
    legend.add_column("")
    legend.add_column("id")
    legend.add_column("builds", justify="right")
    legend.add_column("template")
    by_id = {s.id: s for s in report.signatures}
    counts = Counter(h.cause for h in report.history if h.cause)
    for sid, letter in letters.items():
        if letter != MORE_CAUSES:
            legend.add_row(
                Text(letter, style=f"bold {styles[sid]}"),
                sid,
                str(counts[sid]),
                inert_text(by_id[sid].template),
            )
    if letters:
        console.print(legend)

    sigs = _rich_table("signatures (score = failed share - passed share)", Table)
    for name, justify in (("#", "right"), ("id", "left"), ("score", "right")):
        sigs.add_column(name, justify=justify)  # type: ignore[arg-type]
    sigs.add_column("failed", justify="right")
    sigs.add_column("passed", justify="right")
    sigs.add_column("template / example")
    for n, s in enumerate(report.signatures[:SIGNATURES_SHOWN], 1):
        cell = inert_text(s.template)
        cell.append("\n")
        cell.append_text(inert_text(_where(s.example, report.job), "dim"))
        style = styles.get(s.id, "")
        sigs.add_row(
            str(n),
            Text(s.id, style=style),
            f"{s.score:+.3f}",
            str(s.failed_builds),
            str(s.passed_builds),
            cell,
        )
    _caption(sigs, len(report.signatures), SIGNATURES_SHOWN, "signatures")
    console.print(sigs)

    failing = [t for t in report.tests if t.failures]
    tests = _rich_table(f"tests that failed ({len(failing)} of {len(report.tests)})", Table)
    tests.add_column("failures", justify="right")
    tests.add_column("runs", justify="right")
    tests.add_column("state")
    tests.add_column("failed in")
    tests.add_column("name")
    for t in failing[:TESTS_SHOWN]:
        state = _test_state(t.flaky, t.failures, t.passes)
        tests.add_row(
            str(t.failures),
            str(t.runs),
            Text(state, style="yellow" if state == "flaky" else "red"),
            inert_text(_span(t.first_failed, t.last_failed)),
            inert_text(t.name),
        )
    _caption(tests, len(failing), TESTS_SHOWN, "failed tests")
    console.print(tests)

    events = _rich_table("events", Table)
    events.add_column("builds", justify="right")
    events.add_column("count", justify="right")
    events.add_column("type")
    events.add_column("reason")
    events.add_column("message")
    for e in report.events[:EVENTS_SHOWN]:
        events.add_row(
            str(e.builds),
            str(e.count),
            inert_text(e.type, "yellow" if e.warning else ""),
            inert_text(e.reason),
            inert_text(e.template),
        )
    _caption(events, len(report.events), EVENTS_SHOWN, "event templates")
    console.print(events)


def _rich_table(title: str, table_class: Any) -> Any:
    return table_class(title=title, title_justify="left", min_width=len(title) + 2)


def _caption(table: Any, total: int, shown: int, what: str) -> None:
    if total > shown:
        table.caption = f"and {total - shown} more {what} (--json lists them all)"

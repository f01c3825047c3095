"""Helpers for the Triage screen tests (the demo report computed once, waiting for the screen)
and tests of the screen's pure parts: strip layout, cause colours, drill-down rows, advice."""

from __future__ import annotations

import asyncio
import os
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from textual.pilot import Pilot
from textual.worker import WorkerCancelled, WorkerFailed

from prowtui.app.screens.triage import TriageScreen, advice
from prowtui.app.screens.triage_builds import failure_rows, signature_rows
from prowtui.app.screens.triage_session import OpenTarget, TriageSession
from prowtui.app.widgets.duration_plot import duration_ticks, human_duration, tick_label
from prowtui.app.widgets.history_strip import (
    CAUSE_PALETTE,
    OTHER_CAUSE,
    RESULT_COLORS,
    build_color,
    cause_colors,
    readable_on,
    strip_layout,
)
from prowtui.demo import BIG_JOB_DIR, open_demo
from prowtui.errors import NotCached, NotFound, Unreachable
from prowtui.triage import triage_job
from prowtui.triage.model import (
    BuildHistory,
    EventStat,
    Example,
    Signature,
    TestStat,
    TriageReport,
)
from prowtui.triage.model import TestFailure as Failure

SIZE = (120, 36)
_REPORTS: dict[str, TriageReport] = {}


def demo_report() -> TriageReport:
    """The real engine's report of the demo's 242-build job (computed once per process and
    demo directory; it is deterministic)."""
    key = os.environ.get("PROWTUI_DEMO_DIR", "")
    if key not in _REPORTS:
        # its own event loop in a thread: callable from sync and async tests alike
        with ThreadPoolExecutor(1) as pool:
            run = pool.submit(lambda: asyncio.run(triage_job(open_demo(), BIG_JOB_DIR)))
            _REPORTS[key] = run.result()
    return _REPORTS[key]


async def settle(pilot: Pilot, rounds: int = 60) -> None:
    """Wait until timers fired and every worker finished; cancelled workers are fine."""
    app = pilot.app
    for _ in range(rounds):
        await pilot.pause(0.05)
        try:
            await app.workers.wait_for_complete()
        except (WorkerCancelled, WorkerFailed):
            continue
        await pilot.pause()
        if not any(w.is_running for w in app.workers):
            return


async def wait_for(pilot: Pilot, check, timeout: float = 60.0) -> None:
    """Poll ``check()`` until it is true (the screen's crawl runs in a worker)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the Triage screen")
        await pilot.pause(0.05)


def triage_screen(pilot: Pilot) -> TriageScreen:
    screen = pilot.app.screen
    assert isinstance(screen, TriageScreen), screen
    return screen


# -- a small hand-made report for the pure parts ----------------------------------------
def _build(build_id: str, result: str, cause: str | None = None, **extra) -> BuildHistory:
    return BuildHistory(
        build_id=build_id,
        result=result,
        started=datetime(2024, 1, 1, tzinfo=UTC),
        duration_s=extra.get("duration_s", 600.0),
        failed_tests=extra.get("failed_tests"),
        signatures=(cause,) if cause else (),
        cause=cause,
        path=f"logs/job/{build_id}/",
    )


def _signature(sig_id: str, builds: tuple[str, ...], failed: int, passed: int) -> Signature:
    occurrences = tuple(
        Example(b, f"logs/job/{b}/build-log.txt", 10 + i, f"error {sig_id} {i}")
        for i, b in enumerate(builds)
    )
    return Signature(
        id=sig_id,
        lines=(f"error {sig_id} <*>",),
        template=f"error {sig_id} <*>",
        failed_builds=failed,
        passed_builds=passed,
        builds=builds,
        score=0.5,
        example=occurrences[0],
        occurrences=occurrences,
    )


def small_report() -> TriageReport:
    """Five builds: cause a twice, cause b once, one failure without a signature, a pass."""
    history = (
        _build("1", "SUCCESS"),
        _build("2", "FAILURE", "a"),
        _build("3", "FAILURE", "b"),
        _build("4", "FAILURE", "a"),
        _build("5", "ERROR"),
    )
    sig_a = _signature("a", ("2", "4"), 2, 0)
    sig_b = _signature("b", ("3",), 1, 0)
    test = TestStat(
        name="t1",
        suite="s",
        classname="c",
        runs=5,
        failures=2,
        passes=3,
        skipped=0,
        builds_failed=("2", "4"),
        first_failed="2",
        last_failed="4",
        flaky=True,
        flake_rate=0.4,
        failures_detail=(
            Failure("2", "logs/job/2/artifacts/junit.xml", "boom 2"),
            Failure("4", "logs/job/4/artifacts/junit.xml", "boom 4"),
        ),
    )
    event = EventStat("Back-off <*>", "BackOff", "Warning", 2, 9, True)
    return TriageReport("logs/job/", 5, 4, 1, history, (test,), (sig_b, sig_a), (event,))


def test_causes_get_palette_colours_by_how_many_builds_they_explain() -> None:
    report = small_report()
    colors = cause_colors(report)
    assert colors == {"a": CAUSE_PALETTE[0], "b": CAUSE_PALETTE[1]}
    cells = [build_color(b, colors) for b in report.history]
    assert cells == [
        RESULT_COLORS["SUCCESS"],
        CAUSE_PALETTE[0],
        CAUSE_PALETTE[1],
        CAUSE_PALETTE[0],
        RESULT_COLORS["ERROR"],
    ]
    assert build_color(_build("9", "FAILURE", "zzz"), colors) == OTHER_CAUSE


def test_strip_wraps_like_text_and_keeps_the_newest_when_too_long() -> None:
    assert strip_layout(242, 118) == (0, 118, 3)
    assert strip_layout(242, 78) == (0, 78, 4)
    assert strip_layout(10, 118) == (0, 118, 1)
    assert strip_layout(0, 50) == (0, 50, 0)
    first, per_row, rows = strip_layout(1000, 100, max_rows=6)
    assert (first, per_row, rows) == (400, 100, 6)


def test_marks_read_on_light_and_dark_cells() -> None:
    assert readable_on("#ffffff") == "#101010"
    assert readable_on("#101010") == "#f5f5f5"


def test_durations_and_ticks_are_short_and_round() -> None:
    assert [human_duration(s) for s in (None, 45, 720, 6720)] == ["", "45s", "12m", "1h52m"]
    assert duration_ticks(150) == [0.0, 60.0, 120.0]
    assert [tick_label(t) for t in (0, 45, 120, 90)] == ["0", "45m", "2h", "1h30m"]


def test_drill_down_rows_are_newest_first_with_their_targets() -> None:
    report = small_report()
    builds = {b.build_id: b for b in report.history}
    sig_a = report.signature("a")
    assert sig_a is not None
    rows = signature_rows(sig_a, builds)
    assert [r.build_id for r in rows] == ["4", "2"]
    assert rows[0].where == "build-log.txt:11" and rows[0].text == "error a 1"
    assert rows[0].target == OpenTarget("logs/job/4/build-log.txt", 11)
    failures = failure_rows(report.tests[0], builds)
    assert [r.build_id for r in failures] == ["4", "2"]
    assert failures[0].target == OpenTarget("logs/job/4/artifacts/junit.xml", None, "t1")
    assert failures[0].where == "artifacts/junit.xml" and failures[0].text == "boom 4"


def test_session_keeps_reports_per_job_directory() -> None:
    session = TriageSession()
    report = small_report()
    session.keep("logs/job", report)
    assert session.report("logs/job/") is report
    session.view("logs/job/").tab = "tests"
    assert session.view("logs/job").tab == "tests"
    session.forget("logs/job/")
    assert session.report("logs/job") is None and session.view("logs/job").tab == "signatures"


def test_advice_says_what_to_do() -> None:
    assert "--offline" in advice(NotCached("x"))
    assert "network" in advice(Unreachable("x"))
    assert "job directory" in advice(NotFound("x"))
    assert "r to try again" in advice(RuntimeError("x"))

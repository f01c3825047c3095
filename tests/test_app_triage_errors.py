"""The Triage screen when things go wrong: hostile strings stay inert, and an unreachable
source, a job without builds or a failing engine become a message with what to do."""

from __future__ import annotations

import json
import socket
from dataclasses import replace
from pathlib import Path

from prowtui.app import Explorer, ProwtuiApp
from prowtui.app.screens.main import MainScreen
from prowtui.app.screens.triage import TriageScreen
from prowtui.app.screens.triage_builds import TriageBuildsScreen
from prowtui.demo import BIG_JOB_DIR, open_demo
from prowtui.sources.gcsweb import GcswebSource
from prowtui.sources.http import RetryPolicy
from prowtui.sources.local import LocalSource
from tests.test_app_triage_support import demo_report, settle, triage_screen, wait_for
from tests.test_hostile_app import check_screen
from tests.test_hostile_data import JOB, build_hostile_bucket

SIZE = (160, 48)


def message(screen: TriageScreen) -> str:
    return str(screen.query_one("#triage-message").render())


async def test_hostile_signature_lines_and_test_names_stay_inert(tmp_path: Path) -> None:
    root = build_hostile_bucket(tmp_path / "bucket")
    failed = root / JOB / "1001" / "finished.json"
    failed.write_text(json.dumps({"timestamp": 1_700_004_601, "passed": False}))
    app = ProwtuiApp(Explorer(LocalSource(root), None, JOB))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("t")
        screen = triage_screen(pilot)
        await wait_for(pilot, lambda: screen.state in ("done", "failed"))
        assert screen.state == "done", message(screen)
        report = screen.report
        assert report is not None and report.signatures and report.tests
        hostile = next(s for s in report.signatures if "[bold]H[/bold]" in s.template)
        row = report.signatures.index(hostile)
        for _ in range(row):
            await pilot.press("down")
        await settle(pilot)
        check_screen(app, "[bold]H[/bold]", "[link=https://x]I")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TriageBuildsScreen)
        check_screen(app, "[bold]H[/bold]")
        await pilot.press("escape", "t")
        await settle(pilot)
        assert screen.tabs.active == "tests"
        failing = next(t for t in report.tests if t.failures)
        for _ in range(report.tests.index(failing)):
            await pilot.press("down")
        await settle(pilot)
        check_screen(app, "[bold]fails")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TriageBuildsScreen)
        check_screen(app, "[bold]fails", "[@click=app.quit]case [bold]x[/bold]")
        await pilot.press("escape", "b")  # the strip's build line names the job's builds
        await settle(pilot)
        check_screen(app, "build 1002")


async def test_a_job_without_builds_says_what_to_do(tmp_path: Path) -> None:
    job = tmp_path / "bucket" / "logs" / "empty-job"
    job.mkdir(parents=True)
    (job / "latest-build.txt").write_text("1")
    app = ProwtuiApp(Explorer(LocalSource(tmp_path / "bucket"), None, "logs/empty-job/"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("t")
        screen = triage_screen(pilot)
        await wait_for(pilot, lambda: screen.state in ("done", "failed", "empty"))
        assert screen.state in ("failed", "empty")
        text = message(screen)
        assert "job" in text and "press t" in text and "Traceback" not in text
        assert not screen.query_one("#triage-body").display
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


async def test_an_unreachable_source_says_so_and_r_tries_again() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    source = GcswebSource(
        f"http://127.0.0.1:{port}", "bucket", retry=RetryPolicy(attempts=1, total=1.0)
    )
    explorer = Explorer(source, None, "")
    app = ProwtuiApp(explorer)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.push_screen(TriageScreen(explorer, "logs/some-job/"))
        await pilot.pause()
        screen = triage_screen(pilot)
        await wait_for(pilot, lambda: screen.state == "failed", timeout=30)
        text = message(screen)
        assert "Could not triage /logs/some-job/" in text and "network" in text
        assert "triage failed" in str(screen.query_one("#triage-status").render())
        screen.query_one("#triage-message").update("(cleared by the test)")
        await pilot.press("r")
        await wait_for(pilot, lambda: "Could not triage" in message(screen), timeout=30)
        assert screen.state == "failed"
        await pilot.press("escape")
        assert not isinstance(app.screen, TriageScreen)


async def test_an_engine_bug_is_a_message_not_a_traceback(tmp_path: Path) -> None:
    async def broken(explorer, job_path, on_progress):
        on_progress(0, 3)
        raise RuntimeError("[bold]boom\x1b[2J")

    explorer = Explorer(LocalSource(tmp_path), None, "")
    app = ProwtuiApp(explorer)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.push_screen(TriageScreen(explorer, "logs/job/", runner=broken))
        await pilot.pause()
        screen = triage_screen(pilot)
        await wait_for(pilot, lambda: screen.state == "failed")
        check_screen(app, "RuntimeError: [bold]boom\\e[2J", "try again")


async def test_builds_that_could_not_be_read_are_counted_and_listed() -> None:
    report = replace(
        demo_report(),
        problems=(
            ("1001", "log: [bold]x\x1b[2J"),
            ("1002", "artifacts/junit.xml: truncated"),
            ("1002", "build-log.txt: truncated"),
            ("1003", "events.json: truncated"),
        ),
    )

    async def runner(explorer, job_path, on_progress):
        on_progress(report.builds, report.builds)
        return report

    explorer = Explorer(open_demo(), None, "")
    app = ProwtuiApp(explorer)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        app.push_screen(TriageScreen(explorer, BIG_JOB_DIR, runner=runner))
        await pilot.pause()
        screen = triage_screen(pilot)
        await wait_for(pilot, lambda: screen.state == "done")
        assert "3 builds not fully read" in str(screen.query_one("#triage-status").render())
        await wait_for(pilot, lambda: bool(app._notifications))
        await settle(pilot)
        check_screen(app, "1001: log: [bold]x\\e[2J", "and 1 more")

"""The Triage screen on the demo's 242-build job, driven through the keyboard: the crawl with
its progress, the session cache, marks in the history strip, drill-down to a log line and to a
junit file, cancelling with esc, keys and palette, and the 80x24 layout."""

from __future__ import annotations

from textual.widgets import DataTable

from prowtui.app import Explorer, ProwtuiApp
from prowtui.app.screens.help import binding_groups
from prowtui.app.screens.main import MainScreen
from prowtui.app.screens.triage import TriageScreen
from prowtui.app.screens.triage_builds import TriageBuildsScreen
from prowtui.app.screens.triage_session import session_of
from prowtui.app.widgets.history_strip import cause_colors
from prowtui.app.widgets.junit_table import JunitView
from prowtui.app.widgets.log_view import LogView
from prowtui.demo import BIG_JOB_DIR, open_demo
from prowtui.triage.model import TriageReport
from tests.test_app_triage_support import SIZE, demo_report, settle, triage_screen, wait_for


def demo_app(*, seeded: bool) -> tuple[ProwtuiApp, Explorer]:
    """The explorer at the big job; ``seeded`` keeps the engine's report in the session first
    (as a previous ``t`` would have), so the test starts from the finished screen."""
    explorer = Explorer(open_demo(), None, BIG_JOB_DIR)
    if seeded:
        session_of(explorer).keep(BIG_JOB_DIR, demo_report())
    return ProwtuiApp(explorer), explorer


def cause_row(report: TriageReport) -> int:
    """The best-ranked signature that is the cause of some failed build."""
    causes = cause_colors(report)
    return next(i for i, sig in enumerate(report.signatures) if sig.id in causes)


def triage_workers(app: ProwtuiApp) -> list[object]:
    return [w for w in app.workers if w.group == "triage" and not w.is_finished]


async def test_t_crawls_the_job_with_progress_and_keeps_the_report_for_the_session() -> None:
    app, explorer = demo_app(seeded=False)
    expected = demo_report()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("t")
        screen = triage_screen(pilot)
        statuses: list[str] = []

        def finished() -> bool:
            statuses.append(str(screen.query_one("#triage-status").render()))
            return screen.state in ("done", "failed")

        await wait_for(pilot, finished)
        assert screen.state == "done"
        assert any(f"of {expected.builds}" in s for s in statuses), statuses[:5]
        assert screen.progress == (expected.builds, expected.builds)
        report = screen.report
        assert report is not None and report.to_json() == expected.to_json()
        assert session_of(explorer).report(BIG_JOB_DIR) is report
        assert len(screen.strip.builds) == expected.builds
        assert screen.signatures_table.row_count == len(expected.signatures)
        assert screen.tests_table.row_count == len(expected.tests)
        summary = str(screen.query_one("#triage-status").render())
        assert f"{expected.failed_builds} failed" in summary

        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)
        await pilot.press("t")
        again = triage_screen(pilot)
        await pilot.pause()
        # kept for the session: shown at once, no second crawl
        assert again is not screen and again.state == "done" and again.report is report
        assert not triage_workers(app)


async def test_a_signature_marks_its_builds_and_enter_opens_the_log_at_its_line() -> None:
    app, _ = demo_app(seeded=True)
    report = demo_report()
    row = cause_row(report)
    signature = report.signatures[row]
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("t")
        screen = triage_screen(pilot)
        await settle(pilot)
        for _ in range(row):
            await pilot.press("down")
        await pilot.pause()
        assert screen.signatures_table.item() is signature
        assert set(screen.strip.marked_ids) == set(signature.builds)
        assert screen.strip.render().plain.count("●") == len(signature.builds)
        detail = str(screen.query_one("#triage-detail").render())
        assert signature.template[:40] in detail

        await pilot.press("enter")
        await settle(pilot)
        builds = app.screen
        assert isinstance(builds, TriageBuildsScreen)
        newest = max(signature.occurrences, key=lambda e: int(e.build_id))
        assert builds.rows[0].build_id == newest.build_id
        assert len(builds.rows) == len(signature.builds)

        await pilot.press("enter")
        main = app.screen
        assert isinstance(main, MainScreen)
        await wait_for(pilot, lambda: isinstance(app.focused, LogView))
        view = app.focused
        assert isinstance(view, LogView)
        line = newest.line - 1
        await wait_for(pilot, lambda: view.current_line == line)
        await settle(pilot)
        assert main.current_path() == newest.path
        assert view.highlight_line == line
        assert view.index is not None
        assert view.index.read_line(line).decode("utf-8", "replace") == newest.text
        top = int(view.scroll_offset.y)
        assert top <= line < top + view.scrollable_content_region.height  # not under a scrollbar
        painted = view.render_line(line - top)
        target = view.get_component_rich_style("log-view--target")
        assert painted.cell_length == view.scrollable_content_region.width
        assert all(seg.style and seg.style.bgcolor == target.bgcolor for seg in painted)

        await pilot.press("t")  # back to the triage, where it was left
        again = triage_screen(pilot)
        await pilot.pause()
        assert again.signatures_table.cursor_row == row


async def test_enter_on_a_test_lists_its_failures_and_opens_the_junit_file() -> None:
    app, _ = demo_app(seeded=True)
    report = demo_report()
    test = next(t for t in report.tests if t.failures and t.failures_detail)
    index = report.tests.index(test)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("t")
        screen = triage_screen(pilot)
        await settle(pilot)
        await pilot.press("t")  # the Tests tab
        await pilot.pause()
        assert screen.tabs.active == "tests"
        for _ in range(index):
            await pilot.press("down")
        await pilot.pause()
        assert screen.tests_table.item() is test
        assert set(screen.strip.marked_ids) == set(test.builds_failed)

        await pilot.press("enter")
        await settle(pilot)
        builds = app.screen
        assert isinstance(builds, TriageBuildsScreen)
        assert len(builds.rows) == len(test.failures_detail)
        newest = max(test.failures_detail, key=lambda f: int(f.build_id))
        assert builds.rows[0].text == newest.message

        await pilot.press("enter")
        main = app.screen
        assert isinstance(main, MainScreen)
        await wait_for(pilot, lambda: main.preview.preview_kind == "junit")
        await settle(pilot)
        assert main.current_path() == newest.path
        junit = main.preview.query_one(JunitView)
        table = junit.query_one(DataTable)
        assert app.focused is table
        shown = junit.rows[table.cursor_row]
        assert " ".join(str(shown.name).split()) == test.name


async def test_esc_cancels_a_running_triage_and_keeps_nothing() -> None:
    app, explorer = demo_app(seeded=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("t")
        screen = triage_screen(pilot)
        await wait_for(pilot, lambda: screen.progress[0] > 0)
        assert screen.state == "running" and triage_workers(app)
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)
        await wait_for(pilot, lambda: not triage_workers(app), timeout=5)
        assert screen.state == "cancelled"
        assert session_of(explorer).report(BIG_JOB_DIR) is None
        await pilot.press("down")  # the explorer still answers
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)


async def test_tabs_strip_walk_and_recompute_keys() -> None:
    app, explorer = demo_app(seeded=True)
    report = demo_report()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("t")
        screen = triage_screen(pilot)
        await settle(pilot)
        await pilot.press("v")
        assert screen.tabs.active == "events" and app.focused is screen.query_one("#events-table")
        await pilot.press("s")
        assert screen.tabs.active == "signatures"
        await pilot.press("b")
        assert app.focused is screen.strip
        assert screen.strip.cursor == len(report.history) - 1
        await pilot.press("left", "left")
        build = report.history[-3]
        assert build.build_id in str(screen.query_one("#triage-build").render())
        await pilot.press("escape")  # from the strip: back to the table, not out
        assert app.screen is screen and app.focused is screen.signatures_table
        await pilot.press("r")
        assert screen.state == "running" and session_of(explorer).report(BIG_JOB_DIR) is None
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


async def test_strip_enter_on_a_failed_build_opens_its_cause_line() -> None:
    app, _ = demo_app(seeded=True)
    report = demo_report()
    build = next(b for b in reversed(report.history) if b.cause)
    steps = len(report.history) - 1 - report.history.index(build)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("t")
        screen = triage_screen(pilot)
        await settle(pilot)
        await pilot.press("b", *["left"] * steps)
        target = screen.build_target(build)
        assert target.line is not None and f"/{build.build_id}/" in target.path
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.focused, LogView))
        view = app.focused
        await wait_for(pilot, lambda: view.highlight_line == target.line - 1)


async def test_keys_help_and_palette_know_the_triage_screen() -> None:
    ids = {b.id for _, group in binding_groups() for b in group if getattr(b, "id", None)}
    assert {"job.triage", "triage.close", "triage.recompute", "strip.open"} <= ids
    assert "triage.builds.back" in ids
    app, _ = demo_app(seeded=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Triage job" in titles
        app.update_keymap({"job.triage": "T"})
        await pilot.press("T")
        assert isinstance(app.screen, TriageScreen)


async def test_t_outside_a_job_says_so() -> None:
    app = ProwtuiApp(Explorer(open_demo(), None, "logs/"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("t")
        await pilot.pause()
        assert not isinstance(app.screen, TriageScreen)
        assert any("job" in n.title for n in app._notifications)


async def test_usable_at_80x24() -> None:
    app, _ = demo_app(seeded=True)
    report = demo_report()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("t")
        screen = triage_screen(pilot)
        await settle(pilot)
        assert screen.has_class("-short")
        strip = screen.strip
        assert strip.region.height == -(-len(report.history) // strip.content_size.width)
        assert strip.region.bottom <= 24
        table = screen.signatures_table
        assert table.region.height >= 6  # header and at least five rows
        detail = screen.query_one("#triage-detail")
        assert detail.region.height >= 3 and detail.region.bottom <= 23
        await pilot.press("enter")
        await settle(pilot)
        builds = app.screen
        assert isinstance(builds, TriageBuildsScreen)
        assert builds.query_one(DataTable).region.height >= 5

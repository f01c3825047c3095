"""The Search screen: ``/`` in the tree, results by job, a match opened at its line, the
session keeping the last search, and an 80x24 snapshot."""

from __future__ import annotations

from textual.pilot import Pilot
from textual.widgets import Input

from prowtui.app.screens.main import MainScreen
from prowtui.app.screens.search import SearchScreen
from prowtui.app.widgets.log_panel import LogPanel
from prowtui.demo import NIGHTLY_JOB_DIR
from tests.test_app_snapshots import snapshot_app
from tests.test_app_support import settle


async def _search(pilot: Pilot, pattern: str) -> SearchScreen:
    await settle(pilot)
    await pilot.press("slash")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, SearchScreen)
    screen.query_one(Input).value = pattern
    await pilot.press("enter")
    await settle(pilot)
    for _ in range(100):
        if screen.status != "running":
            break
        await pilot.pause(0.05)
    await settle(pilot)
    return screen


async def test_search_opens_a_match_at_its_line() -> None:
    app = snapshot_app(NIGHTLY_JOB_DIR)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await _search(pilot, "Unexpected error")
        assert screen.status == "done" and screen.state.report is not None
        (job,) = screen.state.report.jobs
        assert job.job == NIGHTLY_JOB_DIR and job.matched_runs == 2
        results = screen.results
        assert results.has_focus
        await pilot.press("enter")  # expand the job
        await pilot.press("down", "down", "enter")  # its first build's first match
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        first = job.builds[0]
        match = first.matches[0]
        await settle(pilot)
        assert app.screen.current_path() == f"{NIGHTLY_JOB_DIR}{first.build_id}/{match.path}"
        panel = app.screen.query_one(LogPanel)
        assert panel.view.highlight_line == match.line - 1
        # back to the search: the results are kept for the session
        app.screen.tree.focus()
        await settle(pilot)


async def test_search_invalid_pattern_and_kept_results() -> None:
    app = snapshot_app(NIGHTLY_JOB_DIR)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _search(pilot, "(unclosed")
        assert screen.status == "failed"
        status = str(screen.query_one("#search-status").render())
        assert "unclosed group" in status
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        screen = await _search(pilot, "EOF")
        assert screen.state.report is not None
        await pilot.press("escape")
        await pilot.press("slash")
        await settle(pilot)
        again = app.screen
        assert isinstance(again, SearchScreen) and again.state.report is screen.state.report
        assert len(again.results.root.children) == 1


def test_snapshot_80x24_search(snap_compare) -> None:
    async def run(pilot: Pilot) -> None:
        await _search(pilot, "error")
        await pilot.press("enter")
        await settle(pilot)

    assert snap_compare(snapshot_app(NIGHTLY_JOB_DIR), terminal_size=(80, 24), run_before=run)

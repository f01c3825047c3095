"""Stats panel and export dialog on a job of the demo bucket, driven through the keyboard."""

from __future__ import annotations

import io
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from rich.console import Console

from prowtui.analysis.stats import job_stats
from prowtui.app import Explorer, ProwtuiApp
from prowtui.app.screens.export import ExportScreen
from prowtui.app.screens.stats import StatsScreen
from prowtui.app.widgets.stats_view import StatsView
from prowtui.demo import NIGHTLY_JOB_DIR, open_demo
from tests.test_app_support import settle


def plain(*renderables: object) -> str:
    """Renderables as plain text."""
    console = Console(width=120, record=True, file=io.StringIO())
    for renderable in renderables:
        console.print(renderable)
    return console.export_text()


SIZE = (120, 36)


async def test_stats_panel_numbers_match_the_analysis_layer() -> None:
    app = ProwtuiApp(Explorer(open_demo(), None, NIGHTLY_JOB_DIR))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, StatsScreen) and screen.state == "done"
        expected = (await job_stats(open_demo(), NIGHTLY_JOB_DIR)).to_json()
        assert screen.doc == expected
        shown = plain(*screen.query_one(StatsView).blocks)
        assert f"{expected['builds']} builds" in shown
        for result, count in expected["results"].items():
            assert result in shown and str(count) in shown
        top = expected["top_level"]["patterns"][0]
        assert f"{top['share']:.1%}" in shown
        await pilot.press("escape")
        assert not isinstance(app.screen, StatsScreen)


async def test_stats_on_something_that_is_not_a_job_says_so() -> None:
    app = ProwtuiApp(Explorer(open_demo(), None, "logs/"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        assert not isinstance(app.screen, StatsScreen)
        assert any("job" in n.title for n in app._notifications)


async def test_stats_can_be_cancelled_with_escape() -> None:
    app = ProwtuiApp(Explorer(open_demo(), None, NIGHTLY_JOB_DIR))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("s", "escape")
        await settle(pilot)
        assert not isinstance(app.screen, StatsScreen)
        assert not any(w.group == "stats" and w.is_running for w in app.workers)


async def test_export_dialog_writes_parquet_and_reports_rows(tmp_path: Path) -> None:
    app = ProwtuiApp(Explorer(open_demo(), None, NIGHTLY_JOB_DIR + "latest-build.txt"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ExportScreen)
        assert dialog.job_path == NIGHTLY_JOB_DIR
        folder = dialog.query_one("#export-folder")
        folder.value = str(tmp_path / "out")
        await pilot.click("#export-limit")
        await pilot.press("5")
        await pilot.click("#export-start")
        await settle(pilot)
        assert dialog.state == "done", plain(dialog.last_status)
        result = dialog.result
        assert set(result.paths) == {"builds", "events", "junit"}
        for name, path in result.paths.items():
            assert Path(path).parent == tmp_path / "out"
            assert pq.read_table(path).num_rows == result.row_counts[name]
        assert result.row_counts["builds"] == 5
        shown = plain(dialog.last_status)
        assert "Done" in shown and str(tmp_path / "out") in shown
        await pilot.press("escape")
        assert not isinstance(app.screen, ExportScreen)


async def test_export_dialog_refuses_a_bad_limit_and_bucket_urls(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    app = ProwtuiApp(Explorer(open_demo(), None, NIGHTLY_JOB_DIR))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("e")
        dialog = app.screen
        assert isinstance(dialog, ExportScreen)
        dialog.query_one("#export-folder").value = str(tmp_path / "x")
        dialog.query_one("#export-limit").value = "0"
        await pilot.click("#export-start")
        await settle(pilot)
        assert dialog.state == "idle"
        assert "positive" in plain(dialog.last_status)
        assert not (tmp_path / "x").exists()
        # a bucket URL is for the command line; it never becomes a local "s3:" folder
        dialog.query_one("#export-limit").value = ""
        for url, says in (("s3://bucket/p", "prowtui export"), ("ftp://h/x", "unknown output")):
            dialog.query_one("#export-folder").value = url
            await pilot.click("#export-start")
            await settle(pilot)
            assert dialog.state == "idle" and says in plain(dialog.last_status)
        assert list(tmp_path.iterdir()) == []

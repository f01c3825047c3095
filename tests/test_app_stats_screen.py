"""The stats screen shows what ``prowtui stats`` knows: text measures on ``c`` (with progress,
cancellable), the log-scaled size histogram, and the builds that could not be read."""

from __future__ import annotations

import asyncio
from pathlib import Path

from prowtui.analysis.size_histogram import build_log_histogram
from prowtui.analysis.stats import job_stats
from prowtui.app import Explorer, ProwtuiApp
from prowtui.app.screens.stats import StatsScreen
from prowtui.app.widgets.stats_view import StatsView
from prowtui.demo import BIG_JOB_DIR, NIGHTLY_JOB_DIR, open_demo
from prowtui.errors import AccessDenied
from prowtui.sources.local import LocalSource
from tests.test_app_jobs import plain
from tests.test_app_support import JOB, make_bucket, settle

SIZE = (80, 24)


async def _open_stats(app: ProwtuiApp, pilot) -> StatsScreen:
    await settle(pilot)
    await pilot.press("s")
    await settle(pilot)
    screen = app.screen
    assert isinstance(screen, StatsScreen) and screen.state == "done"
    return screen


async def test_c_measures_chars_words_lines_as_the_command_does() -> None:
    app = ProwtuiApp(Explorer(open_demo(), None, NIGHTLY_JOB_DIR))
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_stats(app, pilot)
        assert "build_log" not in screen.doc
        before = plain(*screen.query_one(StatsView).blocks)
        assert "c: measure chars, words, lines" in before and "words" not in before.split("c:")[0]
        await pilot.press("c")
        await settle(pilot)
        assert screen.state == "done"
        expected = (await job_stats(open_demo(), NIGHTLY_JOB_DIR, content=True)).to_json()
        assert screen.doc == expected
        shown = plain(*screen.query_one(StatsView).blocks)
        for name in ("bytes", "chars", "words", "lines"):
            assert name in shown
        lines_mean = expected["build_log"]["lines"]["mean"]
        assert f"{lines_mean:,.0f}" in shown


class GatedSource(LocalSource):
    """Streams no log until :attr:`gate` opens: the text measures are surely under way."""

    def __init__(self, root: Path) -> None:
        super().__init__(root, bucket="test-bucket")
        self.gate = asyncio.Event()

    async def stream(self, path: str, chunk_size: int = 1 << 20):  # type: ignore[override]
        await self.gate.wait()
        async for chunk in super().stream(path, chunk_size):
            yield chunk


async def test_escape_cancels_the_measures_and_keeps_the_byte_stats(tmp_path: Path) -> None:
    source = GatedSource(make_bucket(tmp_path))
    app = ProwtuiApp(Explorer(source, None, JOB))
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_stats(app, pilot)
        doc = dict(screen.doc)
        await pilot.press("c")
        assert screen.state == "measuring"  # at once, before the worker runs
        await pilot.pause(0.05)
        assert screen.state == "measuring"
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen and screen.state == "done"
        assert screen.doc == doc and "build_log" not in screen.doc
        assert not any(w.group == "stats" and w.is_running for w in screen.workers)
        await pilot.press("escape")
        assert app.screen is not screen


async def test_histogram_is_log_scaled_and_marks_the_biggest_logs() -> None:
    app = ProwtuiApp(Explorer(open_demo(), None, BIG_JOB_DIR))
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_stats(app, pilot)
        stats = await job_stats(open_demo(), BIG_JOB_DIR)
        hist = build_log_histogram(stats.builds)
        shown = plain(*screen.query_one(StatsView).blocks)
        assert "log scale" in shown
        for b in hist.bins:
            assert b.label in shown
        assert hist.beyond and "▲ beyond the 99th percentile" in shown
        biggest, _ = hist.beyond[0]
        assert biggest in shown


class RefusingSource(LocalSource):
    """Refuses to list one build: the crawl records it as a failure."""

    def __init__(self, root: Path, refused: str) -> None:
        super().__init__(root, bucket="test-bucket")
        self.refused = refused

    async def list(self, path: str):  # type: ignore[override]
        if path.startswith(self.refused):
            raise AccessDenied(f"{path}: 403 from the test [red]x[/red]", path)
        return await super().list(path)


async def test_builds_that_could_not_be_read_are_listed_with_the_reason(tmp_path: Path) -> None:
    source = RefusingSource(make_bucket(tmp_path), f"{JOB}1002/")
    app = ProwtuiApp(Explorer(source, None, JOB))
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_stats(app, pilot)
        assert [f[0] for f in screen.failures] == ["1002"]
        assert screen.doc["builds"] == 2
        shown = plain(*screen.query_one(StatsView).blocks)
        assert "could not be read" in shown and "1002" in shown
        assert "403 from the test [red]x[/red]" in shown  # the reason, inert
        status = str(screen.query_one("#stats-status").render())
        assert "1 could not be read" in status

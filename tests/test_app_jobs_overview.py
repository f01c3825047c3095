"""The Jobs screen: J on a folder, rows worst first, filter, windows, triage and the tree."""

from __future__ import annotations

from pathlib import Path

import pytest

from prowtui.app import Explorer, ProwtuiApp
from prowtui.app.screens import jobs as jobs_screen
from prowtui.app.screens.jobs import JobsScreen, matches
from prowtui.app.screens.main import MainScreen
from prowtui.app.screens.triage import TriageScreen
from prowtui.demo import NIGHTLY_JOB_DIR, open_demo
from prowtui.sources.local import LocalSource
from tests.jobs_tree import NOW
from tests.test_app_support import settle
from tests.test_jobs_overview import RELEASE

SIZE = (100, 30)


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.jobs_tree import write_job

    root = tmp_path_factory.mktemp("release-app")
    for job, builds in RELEASE.items():
        write_job(root, job, builds)
    return root


def test_filter_matches():
    assert matches("logs/periodic-a-4.16-x/", "")
    assert matches("logs/periodic-a-4.16-x/", "4.16")
    assert matches("logs/periodic-a-4.16-x/", "A-4.16")  # substring: any case
    assert matches("logs/periodic-a-4.16-x/", "*-x")  # a pattern on the name
    assert matches("logs/periodic-a-4.16-x/", "logs/*4.16*")  # or on the path
    assert not matches("logs/periodic-a-4.16-x/", "*-y")


async def test_rows_filter_window_and_the_cap(release: Path, monkeypatch: pytest.MonkeyPatch):
    app = ProwtuiApp(Explorer(LocalSource(release), None, "logs/"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await app.push_screen(JobsScreen(app.explorer, "logs/", now=NOW))
        await settle(pilot)
        await pilot.pause(0.3)
        screen = app.screen
        assert isinstance(screen, JobsScreen) and screen.state == "done"
        assert [job.job.split("-")[-1] for job in screen.shown()] == [
            "broken/", "failing/", "flaky/", "passing/", "other/", "stale/",
        ]  # fmt: skip
        assert screen.table.row_count == 6
        await pilot.press("f", "l", "a", "k", "enter")  # typing starts the filter
        await settle(pilot)
        await pilot.pause(0.3)
        assert screen._filter == "flak"  # the first letter opened the filter and stayed
        assert [j.job for j in screen.shown()] == ["logs/periodic-x-4.16-flaky/"]
        assert screen.focused is screen.table and screen.table.row_count == 1
        await pilot.press("w")
        await settle(pilot)
        assert screen.since.days == 14 and screen.shown()[0].runs == 4
        # more jobs than the cap: the first of the filter's matches are read, the rest named
        monkeypatch.setattr(jobs_screen, "MAX_JOBS", 2)
        await pilot.press("slash", "ctrl+u", "enter")
        await settle(pilot)
        await pilot.pause(0.3)
        status = str(screen.query_one("#jobs-status").render())
        assert "4 more not read" in status and screen.table.row_count == 2
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)


async def test_j_on_the_demo_then_triage_and_tree() -> None:
    app = ProwtuiApp(Explorer(open_demo(), None, "logs/"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("J")
        await settle(pilot)
        await pilot.pause(0.3)
        screen = app.screen
        assert isinstance(screen, JobsScreen) and screen.state == "done"
        assert NIGHTLY_JOB_DIR in {job.job for job in screen.shown()}
        assert screen.windows is not None and screen.windows.now.year == 2024  # latest build
        screen.table.move_cursor(row=screen.table.get_row_index(NIGHTLY_JOB_DIR))
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert isinstance(app.screen, TriageScreen) and app.screen.job_path == NIGHTLY_JOB_DIR
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen
        await pilot.press("o")
        await settle(pilot)
        main = app.screen
        assert isinstance(main, MainScreen) and main.current_path() == NIGHTLY_JOB_DIR


def test_snapshot_jobs_screen_at_80x24(snap_compare) -> None:
    """J on logs/ of the demo in a classic terminal: the job names keep their room, the footer
    its keys, the line under the table the cursor job's failing run and last pass."""

    async def open_jobs(pilot) -> None:
        await settle(pilot)
        await pilot.press("J")
        await settle(pilot)
        await pilot.pause(0.4)  # the table is rebuilt on a timer as jobs come in
        await settle(pilot)

    app = ProwtuiApp(Explorer(open_demo(), None, "logs/"))
    assert snap_compare(app, terminal_size=(80, 24), run_before=open_jobs)


async def test_jobs_screen_through_legacy_gcsweb_pages(release: Path, gcsweb_server_factory):
    """The screen over legacy gcsweb (paged listings, files from storage), through the cache."""
    from prowtui.cache import Cache
    from prowtui.sources.cached import CachedSource
    from prowtui.sources.gcsweb import GcswebSource

    server = gcsweb_server_factory(release, "legacy", bucket="b", page_size=2)
    inner = GcswebSource(server.base_url, "b", storage_url=server.storage_url)
    source = CachedSource(inner, Cache(release.parent / "screen-cache"))
    app = ProwtuiApp(Explorer(source, None, "logs/"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await app.push_screen(JobsScreen(app.explorer, "logs/", now=NOW))
        await settle(pilot)
        await pilot.pause(0.3)
        screen = app.screen
        assert isinstance(screen, JobsScreen) and screen.state == "done"
        assert screen.table.row_count == 6 and screen.shown()[0].state == "broken"
        assert any("marker=" in path for path in server.paths_requested)  # pages were read

"""The explorer against the tests' gcsweb server: browse, preview, a failing listing and `r`."""

from __future__ import annotations

from pathlib import Path

import pytest

from prowtui.app import Explorer, ProwtuiApp
from prowtui.app.widgets.events_table import EventsView
from prowtui.app.widgets.junit_table import JunitView
from prowtui.app.widgets.log_panel import LogPanel
from prowtui.sources.gcsweb import GcswebSource
from prowtui.sources.http import RetryPolicy
from prowtui.sources.resolve import resolve_target
from tests.servers.gcsweb_server import FaultPlan
from tests.test_app_support import JOB, make_bucket, settle

SIZE = (120, 36)
FAST_RETRY = RetryPolicy(attempts=2, total=5.0, initial_wait=0.01, max_wait=0.05)


@pytest.fixture(params=["modern", "legacy"])
def server(request, tmp_path: Path, gcsweb_server_factory):
    return gcsweb_server_factory(
        make_bucket(tmp_path), generation=request.param, bucket="test-bucket"
    )


def gcsweb_app(server, start: str = "") -> ProwtuiApp:
    source = GcswebSource(
        server.base_url, server.bucket, storage_url=server.storage_url, retry=FAST_RETRY
    )
    spec, _ = resolve_target(f"{server.base_url}/gcs/{server.bucket}/", None)
    return ProwtuiApp(Explorer(source, spec, start))


async def test_browse_build_log_events_and_junit_over_gcsweb(server) -> None:
    app = gcsweb_app(server, JOB)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = app.main_screen
        job = main.tree.cursor_node
        assert [str(c.label)[0] for c in job.children[:3]] == ["✔", "✘", "◷"]
        await pilot.press("down", "down", "enter")  # build 1002
        await settle(pilot)
        assert main.current_path() == JOB + "1002/" and main.preview.preview_kind == "build"
        main.goto(JOB + "1002/build-log.txt")
        await settle(pilot)
        panel = main.preview.query_one(LogPanel)
        await pilot.press("enter", "slash", *"ERROR", "enter")
        await settle(pilot)
        assert panel.view.hits is not None and len(panel.view.hits.lines) == 1
        main.goto(JOB + "1002/artifacts/build-resources/events.json")
        await settle(pilot)
        view = main.preview.query_one(EventsView)
        assert len(view.rows) == 5 and view.rows
        main.goto(JOB + "1002/artifacts/junit_e2e.xml")
        await settle(pilot)
        junit = main.preview.query_one(JunitView)
        assert junit.rows[0].status in ("failed", "failure")
        assert "expected 1 got 2" in (junit.rows[0].message or "")


async def test_failing_listing_shows_the_reason_and_recovers_with_r(server) -> None:
    server.faults = FaultPlan(share=0.0, permanent_paths={"periodic-demo-e2e/1002"})
    app = gcsweb_app(server, JOB)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = app.main_screen
        await pilot.press("down", "down", "enter")
        await settle(pilot)
        node = main.tree.cursor_node
        assert node.data.path == JOB + "1002/"
        (error,) = node.children
        assert error.data.role == "error" and "r to retry" in str(error.label)
        assert any(n.severity == "error" for n in app._notifications)
        server.faults = None
        await pilot.press("r")
        await settle(pilot)
        names = [
            c.data.path.rsplit("/", 2)[-2] if c.data.is_dir else c.data.path.rsplit("/", 1)[-1]
            for c in node.children
        ]
        assert "build-log.txt" in names and "artifacts" in names
        assert app.is_running


async def test_copy_menu_offers_gcsweb_and_gs_urls(server) -> None:
    app = gcsweb_app(server, JOB + "1001/build-log.txt")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        menu = app.screen
        assert menu.__class__.__name__ == "CopyMenu"
        urls = dict(menu.choices)
        assert urls["gcsweb URL"].endswith(f"/gcs/test-bucket/{JOB}1001/build-log.txt")
        assert urls["gs:// path"] == f"gs://test-bucket/{JOB}1001/build-log.txt"
        copied: list[str] = []
        app.copy_to_clipboard = copied.append  # type: ignore[method-assign]
        await pilot.press("2")
        await settle(pilot)
        assert copied == [urls["gs:// path"]]

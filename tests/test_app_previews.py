"""Drive the explorer on the demo bucket: tree to build, log search, events, junit, metadata."""

from __future__ import annotations

from datetime import datetime

import pytest

from prowtui.app import Explorer, ProwtuiApp
from prowtui.app.widgets.binary_info import BinaryInfo
from prowtui.app.widgets.events_table import EventsView
from prowtui.app.widgets.junit_table import JunitView
from prowtui.app.widgets.log_panel import LogPanel
from prowtui.app.widgets.metadata_view import MetadataView
from prowtui.demo import NIGHTLY_JOB_DIR, open_demo
from tests.test_app_support import settle

SIZE = (120, 36)


@pytest.fixture
def demo_build() -> str:
    """The first build of the demo's nightly job (a failure with events and junit)."""
    root = open_demo().root  # type: ignore[attr-defined]
    first = sorted(p.name for p in (root / NIGHTLY_JOB_DIR).iterdir() if p.is_dir())[0]
    return f"{NIGHTLY_JOB_DIR}{first}/"


def demo_app(start: str = "") -> ProwtuiApp:
    return ProwtuiApp(Explorer(open_demo(), None, start))


async def test_expand_to_a_build_with_keys_shows_results_and_summary(demo_build: str) -> None:
    app = demo_app(NIGHTLY_JOB_DIR)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = app.main_screen
        assert main is not None and main.current_path() == NIGHTLY_JOB_DIR
        tree = main.tree
        job_node = tree.cursor_node
        assert job_node is not None and job_node.is_expanded
        builds = [c for c in job_node.children if c.data and c.data.is_build]
        assert len(builds) == 12
        # every build row on screen got its result symbol and start time
        labels = [str(c.label) for c in builds]
        assert all(label[0] in "✔✘⊘!◷" for label in labels), labels
        assert all("20" in label for label in labels)
        await pilot.press("down", "enter")
        await settle(pilot)
        assert main.current_path() == demo_build
        assert tree.cursor_node is not None and tree.cursor_node.is_expanded
        assert main.preview.preview_kind == "build"
        summary = main.preview.query_one(MetadataView)
        fields = {name: str(value) for name, value in summary._rows}
        assert fields["result"].endswith("FAILURE")
        assert fields["duration"] and fields["pod"]
        await pilot.press("tab")
        await pilot.press("v")
        assert summary.show_raw


async def test_log_opens_and_search_finds_hits(demo_build: str) -> None:
    app = demo_app(demo_build + "build-log.txt")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = app.main_screen
        assert main is not None and main.preview.preview_kind == "log"
        await pilot.press("enter")
        await settle(pilot)
        panel = main.preview.query_one(LogPanel)
        assert panel.view.has_focus
        await pilot.press("slash")
        await pilot.press(*"error", "enter")
        await settle(pilot)
        hits = panel.view.hits
        assert hits is not None and hits.lines
        first = panel.view.current_line
        await pilot.press("n")
        await settle(pilot)
        if len(hits.lines) > 1:
            assert panel.view.current_line != first
        await pilot.press("escape", "escape")
        await settle(pilot)
        assert main.tree.has_focus


def events_with_warnings() -> str:
    """An events.json of the nightly job holding some warnings."""
    root = open_demo().root  # type: ignore[attr-defined]
    for path in sorted((root / NIGHTLY_JOB_DIR).glob("*/artifacts/*/*/artifacts/events.json")):
        if b'"Warning"' in path.read_bytes():
            return path.relative_to(root).as_posix()
    raise AssertionError("the demo has no events with warnings")


async def test_events_table_sorts_filters_and_counts() -> None:
    path = events_with_warnings()
    app = demo_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = app.main_screen
        assert main is not None and main.preview.preview_kind == "events"
        view = main.preview.query_one(EventsView)
        rows = view.visible_rows()
        stamps = [r.last_timestamp for r in rows if r.last_timestamp is not None]
        assert stamps == sorted(stamps, reverse=True)
        assert view.table.row_count == len(view.rows)
        await pilot.press("enter")
        await pilot.press("o")
        assert view.sort_column == "type"
        await pilot.press("O")
        assert not view.descending
        types = [str(r.type or "") for r in view.visible_rows()]
        assert types == sorted(types, key=lambda t: (t == "", t))
        await pilot.press("w")
        warnings = view.visible_rows()
        assert warnings and all(str(r.type).lower() == "warning" for r in warnings)
        assert view.table.row_count == len(warnings)
        await pilot.press("c")
        assert view.show_counts
        counts = [int(str(view.table.get_cell_at((i, 0)))) for i in range(view.table.row_count)]
        assert sum(counts) == len(warnings) and counts == sorted(counts, reverse=True)


async def test_junit_lists_failures_first_with_their_text(demo_build: str) -> None:
    app = demo_app(demo_build + "artifacts/junit_operator.xml")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = app.main_screen
        assert main is not None and main.preview.preview_kind == "junit"
        view = main.preview.query_one(JunitView)
        statuses = [r.status for r in view.rows]
        assert statuses[0] in ("failed", "error")
        first_pass = statuses.index("passed") if "passed" in statuses else len(statuses)
        assert all(s in ("failed", "error") for s in statuses[:first_pass])
        detail = str(view.query_one("#junit-message").render())
        assert view.rows[0].name in detail
        assert (view.rows[0].message or "")[:20] in detail


async def test_metadata_file_summary_and_directory_listing(demo_build: str) -> None:
    app = demo_app(demo_build + "prowjob.json")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = app.main_screen
        assert main is not None and main.preview.preview_kind == "metadata"
        fields = dict(main.preview.query_one(MetadataView)._rows)
        assert "job" in fields and "nightly" in str(fields["job"])
        main.goto(demo_build + "artifacts/")
        await settle(pilot)
        assert main.preview.preview_kind == "dir"
        table = main.preview.query_one("DirListing")
        names = [str(table.get_cell_at((i, 0))) for i in range(table.row_count)]
        assert "junit_operator.xml" in names
        modified = str(table.get_cell_at((names.index("junit_operator.xml"), 2)))
        datetime.strptime(modified, "%Y-%m-%d %H:%M:%S")


async def test_help_goto_and_copy_menu(demo_build: str) -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        help_table = app.screen.query_one("#help-table")
        keys = {str(help_table.get_cell_at((i, 3))) for i in range(help_table.row_count)}
        assert {"tree.reload", "app.goto", "events.warnings", "log.search"} <= keys
        await pilot.press("escape")
        await pilot.press("ctrl+g")
        await pilot.press(*"/" + demo_build, "enter")
        await settle(pilot)
        main = app.main_screen
        assert main is not None and main.current_path() == demo_build
        await pilot.press("y")
        await settle(pilot)
        # no source spec here, so no URL to offer: a warning instead of an empty menu
        assert app.screen is main
        assert any(n.title == "copy" and n.severity == "warning" for n in app._notifications)


async def test_binary_file_offers_load_anyway(tmp_path) -> None:
    from prowtui.sources.local import LocalSource
    from tests.test_app_support import JOB, make_bucket

    source = LocalSource(make_bucket(tmp_path))
    app = ProwtuiApp(Explorer(source, None, JOB + "1001/artifacts/blob.bin"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = app.main_screen
        assert main is not None and main.preview.preview_kind == "binary"
        assert "2.0 KiB" in str(main.preview.query_one(BinaryInfo).render())
        await pilot.press("enter")
        await pilot.press("L")
        await settle(pilot)
        assert main.preview.preview_kind == "log"

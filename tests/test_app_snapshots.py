"""SVG snapshots of the explorer on the demo bucket at fixed sizes (sync tests: snap_compare).

120x36 shows the roomy layout; 80x24 proves every screen and dialog is usable in a classic
terminal (buttons reachable, footer keys not cut off, long job names cut in the tree and whole
in the title bar). Regenerate after an intended visual change with ``pytest
tests/test_app_snapshots.py --snapshot-update`` and review the SVGs in ``tests/__snapshots__/``.
"""

from __future__ import annotations

from textual.pilot import Pilot
from textual.widgets import Input

from prowtui.app import Explorer, ProwtuiApp
from prowtui.demo import NIGHTLY_JOB_DIR, open_demo
from tests.test_app_support import settle

SIZE = (120, 36)
SMALL = (80, 24)
FIRST_BUILD = "1763353455621050368"
BUILD = f"{NIGHTLY_JOB_DIR}{FIRST_BUILD}/"


def snapshot_app(start: str) -> ProwtuiApp:
    """The explorer on the demo bucket (its title bar names no temporary path)."""
    return ProwtuiApp(Explorer(open_demo(), None, start))


async def _settled(pilot: Pilot) -> None:
    await settle(pilot)
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    await pilot.pause()


def _pressing(*keys: str):
    async def run(pilot: Pilot) -> None:
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)
        await _settled(pilot)

    return run


async def _export(pilot: Pilot) -> None:
    await settle(pilot)
    await pilot.press("e")
    await settle(pilot)
    pilot.app.screen.query_one("#export-folder", Input).value = "/tmp/prowtui-export/nightly"
    await _settled(pilot)


def test_snapshot_main_view_on_a_build(snap_compare) -> None:
    assert snap_compare(snapshot_app(BUILD), terminal_size=SIZE, run_before=_settled)


def test_snapshot_events_table(snap_compare) -> None:
    path = f"{BUILD}artifacts/e2e-aws-ovn/gather-extra/artifacts/events.json"
    assert snap_compare(snapshot_app(path), terminal_size=SIZE, run_before=_settled)


def test_snapshot_stats_panel(snap_compare) -> None:
    app = snapshot_app(NIGHTLY_JOB_DIR)
    assert snap_compare(app, terminal_size=SIZE, run_before=_pressing("s"))


def test_snapshot_export_dialog(snap_compare) -> None:
    app = snapshot_app(NIGHTLY_JOB_DIR)
    assert snap_compare(app, terminal_size=SIZE, run_before=_export)


# -- 80x24 ---------------------------------------------------------------------------------


def test_snapshot_80x24_main_screen_with_long_job_names(snap_compare) -> None:
    app = snapshot_app(NIGHTLY_JOB_DIR)
    assert snap_compare(app, terminal_size=SMALL, run_before=_settled)


def test_snapshot_80x24_log(snap_compare) -> None:
    app = snapshot_app(BUILD + "build-log.txt")
    assert snap_compare(app, terminal_size=SMALL, run_before=_settled)


def test_snapshot_80x24_stats_screen(snap_compare) -> None:
    app = snapshot_app(NIGHTLY_JOB_DIR)
    assert snap_compare(app, terminal_size=SMALL, run_before=_pressing("s"))


def test_snapshot_80x24_export_dialog(snap_compare) -> None:
    app = snapshot_app(NIGHTLY_JOB_DIR)
    assert snap_compare(app, terminal_size=SMALL, run_before=_export)


def test_snapshot_80x24_help(snap_compare) -> None:
    app = snapshot_app(NIGHTLY_JOB_DIR)
    assert snap_compare(app, terminal_size=SMALL, run_before=_pressing("question_mark"))


def test_snapshot_80x24_tree_filter(snap_compare) -> None:
    app = snapshot_app(NIGHTLY_JOB_DIR)
    assert snap_compare(app, terminal_size=SMALL, run_before=_pressing("f", *"*64*"))

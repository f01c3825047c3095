"""SVG snapshots of the explorer on the demo bucket at a fixed size (sync tests: snap_compare).

Regenerate after an intended visual change with ``pytest tests/test_app_snapshots.py
--snapshot-update`` and review the SVGs in ``tests/__snapshots__/``.
"""

from __future__ import annotations

from textual.pilot import Pilot
from textual.widgets import Input

from prowtui.app import Explorer, ProwtuiApp
from prowtui.sources.demo import NIGHTLY_JOB_DIR, open_demo
from tests.test_app_support import settle

SIZE = (120, 36)
FIRST_BUILD = "1763353455621050368"


def snapshot_app(start: str) -> ProwtuiApp:
    """The explorer on the demo bucket with a description free of temporary paths."""
    explorer = Explorer(open_demo(), None, start)
    explorer.describe = lambda: "demo bucket"  # type: ignore[method-assign]
    return ProwtuiApp(explorer)


async def _settled(pilot: Pilot) -> None:
    await settle(pilot)
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    await pilot.pause()


def test_snapshot_main_view_on_a_build(snap_compare) -> None:
    app = snapshot_app(f"{NIGHTLY_JOB_DIR}{FIRST_BUILD}/")
    assert snap_compare(app, terminal_size=SIZE, run_before=_settled)


def test_snapshot_events_table(snap_compare) -> None:
    path = (
        f"{NIGHTLY_JOB_DIR}{FIRST_BUILD}/artifacts/e2e-aws-ovn/gather-extra/artifacts/events.json"
    )
    assert snap_compare(snapshot_app(path), terminal_size=SIZE, run_before=_settled)


def test_snapshot_stats_panel(snap_compare) -> None:
    async def open_stats(pilot: Pilot) -> None:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)

    app = snapshot_app(NIGHTLY_JOB_DIR)
    assert snap_compare(app, terminal_size=SIZE, run_before=open_stats)


def test_snapshot_export_dialog(snap_compare) -> None:
    async def open_export(pilot: Pilot) -> None:
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        pilot.app.screen.query_one("#export-folder", Input).value = "/tmp/prowtui-export/nightly"
        await _settled(pilot)

    app = snapshot_app(NIGHTLY_JOB_DIR)
    assert snap_compare(app, terminal_size=SIZE, run_before=open_export)

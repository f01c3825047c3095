"""SVG snapshots of the Triage screen on the demo's big job, the cause of the most failed
builds selected, at 120x36 and 80x24 (the engine's report is kept in the session first).

Regenerate after an intended visual change with ``pytest tests/test_app_triage_snapshots.py
--snapshot-update`` and review the SVGs in ``tests/__snapshots__/``.
"""

from __future__ import annotations

from textual.pilot import Pilot

from prowtui.app.screens.triage import TriageScreen
from prowtui.app.screens.triage_session import session_of
from prowtui.app.widgets.history_strip import CAUSE_PALETTE
from prowtui.demo import BIG_JOB_DIR
from tests.test_app_snapshots import snapshot_app
from tests.test_app_triage_support import demo_report, settle


async def _select_top_cause(pilot: Pilot) -> None:
    await settle(pilot)
    await pilot.press("t")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, TriageScreen) and screen.report is not None
    signatures = screen.report.signatures
    row = next(
        i for i, s in enumerate(signatures) if screen.cause_color.get(s.id) == CAUSE_PALETTE[0]
    )
    await pilot.press(*["down"] * row)
    await settle(pilot)


def _app():
    app = snapshot_app(BIG_JOB_DIR)
    session_of(app.explorer).keep(BIG_JOB_DIR, demo_report())
    return app


def test_snapshot_triage_screen(snap_compare) -> None:
    assert snap_compare(_app(), terminal_size=(120, 36), run_before=_select_top_cause)


def test_snapshot_triage_screen_at_80x24(snap_compare) -> None:
    assert snap_compare(_app(), terminal_size=(80, 24), run_before=_select_top_cause)

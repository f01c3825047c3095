"""The Triage screen in a real terminal: ``prowtui --source demo`` at the big job under tmux,
``t``, wait for the report, select a signature, open a build and land on the log line."""

from __future__ import annotations

import shutil
import subprocess
import time

import pytest

from prowtui.app.widgets.history_strip import cause_colors
from prowtui.demo import BIG_JOB_DIR
from prowtui.safetext import inert
from tests.test_app_tmux import _capture, _start, _wait_for, _wait_for_exit
from tests.test_app_triage_support import demo_report

pytestmark = [
    pytest.mark.tmux,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]


def _keys(session: str, *keys: str) -> None:
    subprocess.run(["tmux", "send-keys", "-t", session, *keys], check=True)


def _wait_all(session: str, *texts: str, timeout: float = 30.0) -> str:
    """Wait until one screen shows every one of ``texts``."""
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = _capture(session)
        if all(text in screen for text in texts):
            return screen
        time.sleep(0.2)
    missing = [text for text in texts if text not in screen]
    raise AssertionError(f"{missing!r} never appeared; last screen:\n{screen}")


def test_triage_in_a_real_terminal_jumps_into_the_log_line() -> None:
    report = demo_report()  # what the screen must show (the engine is deterministic)
    causes = cause_colors(report)
    row = next(i for i, sig in enumerate(report.signatures) if sig.id in causes)
    signature = report.signatures[row]
    newest = max(signature.occurrences, key=lambda e: int(e.build_id))

    session = _start(f"--source demo {BIG_JOB_DIR}", prefix="prowtui-triage")
    try:
        _wait_for(session, report.history[0].build_id)
        _wait_for(session, "Stats")  # the footer has the job keys
        _keys(session, "t")
        _wait_for(session, f"{report.builds} builds: {report.failed_builds} failed", 120)
        _wait_for(session, "Signatures")
        _keys(session, *["Down"] * row)
        screen = _wait_for(session, f"in {signature.failed_builds} failed and")
        assert "builds of the row" in screen
        _keys(session, "Enter")
        _wait_for(session, "enter: open it in the explorer")
        _keys(session, "Enter")
        # the log at that line: its text on screen, its number in the log's status line, the
        # tree open down to the build and the log view's keys in the footer
        _wait_all(
            session, inert(newest.text)[:40], f"line {newest.line:,}", newest.build_id, "Next error"
        )
        time.sleep(0.3)
        _keys(session, "q")
        _wait_for_exit(session)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True, check=False)

"""Smoke test in a real terminal: ``prowtui --source demo`` under tmux shows the tree."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid

import pytest

from tests.conftest import REPO

pytestmark = [
    pytest.mark.tmux,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]


def _capture(session: str) -> str:
    return subprocess.run(
        ["tmux", "capture-pane", "-p", "-t", session],
        capture_output=True,
        text=True,
        check=False,
    ).stdout


def _wait_for(session: str, text: str, timeout: float = 30.0) -> str:
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = _capture(session)
        if text in screen:
            return screen
        time.sleep(0.2)
    raise AssertionError(f"{text!r} never appeared; last screen:\n{screen}")


def test_explorer_runs_in_a_real_terminal() -> None:
    session = f"prowtui-test-{uuid.uuid4().hex[:8]}"
    env_prefix = " ".join(
        f"{name}={os.environ[name]}"
        for name in ("PROWTUI_CONFIG", "PROWTUI_CACHE_DIR", "PROWTUI_DEMO_DIR")
        if name in os.environ
    )
    command = f"cd {REPO} && {env_prefix} {sys.executable} -m prowtui --source demo"
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", session, "-x", "120", "-y", "40", command],
        check=True,
    )
    try:
        screen = _wait_for(session, "logs/")
        assert "demo" in screen and "pr-logs/" in screen
        assert "Quit" in screen and "Reload" in screen
        subprocess.run(["tmux", "send-keys", "-t", session, "Down", "Enter"], check=True)
        screen = _wait_for(session, "periodic-ci-openshift-release-master")
        subprocess.run(["tmux", "send-keys", "-t", session, "?"], check=True)
        _wait_for(session, "tree.reload")
        subprocess.run(["tmux", "send-keys", "-t", session, "Escape"], check=True)
        time.sleep(0.5)  # a lone ESC must not merge with the next key into alt+q
        subprocess.run(["tmux", "send-keys", "-t", session, "q"], check=True)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            alive = subprocess.run(["tmux", "has-session", "-t", session], capture_output=True)
            if alive.returncode != 0:
                break
            time.sleep(0.2)
        else:
            raise AssertionError("q did not quit the explorer:\n" + _capture(session))
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True, check=False)

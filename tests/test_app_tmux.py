"""In a real terminal under tmux: ``prowtui --source demo`` shows the tree, and a 100 MB log
opened from the command line is focused like ``less FILE`` (``G`` shows its last line)."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

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


def _wait_for_exit(session: str, timeout: float = 10.0) -> None:
    """Wait until the session's program has quit (tmux closes the session with it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alive = subprocess.run(["tmux", "has-session", "-t", session], capture_output=True)
        if alive.returncode != 0:
            return
        time.sleep(0.2)
    raise AssertionError("q did not quit the explorer:\n" + _capture(session))


def _start(args: str, width: int = 120, height: int = 40, prefix: str = "prowtui-test") -> str:
    """Run ``prowtui ARGS`` in a new detached tmux session; its name."""
    session = f"{prefix}-{uuid.uuid4().hex[:8]}"
    env_prefix = " ".join(
        f"{name}={shlex.quote(os.environ[name])}"
        for name in ("PROWTUI_CONFIG", "PROWTUI_CACHE_DIR", "PROWTUI_DEMO_DIR")
        if name in os.environ
    )
    # ``env -u``: GNU readline, once imported into the test process (pytest does), exports
    # COLUMNS=80 LINES=24 to child processes when stdout is no terminal, and Textual would
    # size itself by them instead of by the tmux window
    command = (
        f"cd {REPO} && env -u COLUMNS -u LINES {env_prefix} "
        f"{shlex.quote(sys.executable)} -m prowtui {args}"
    )
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", session, "-x", str(width), "-y", str(height), command],
        check=True,
    )
    return session


def test_explorer_runs_in_a_real_terminal() -> None:
    session = _start("--source demo")
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
        _wait_for_exit(session)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True, check=False)


def test_a_100_mb_log_opened_from_the_command_line_ends_at_g(tmp_path: Path) -> None:
    log = tmp_path / "mirror" / "logs" / "periodic-big-log" / "1001" / "build-log.txt"
    log.parent.mkdir(parents=True)
    line = b"I0101 00:00:00.000000 1 step.go:42] running step with a fairly long line of text\n"
    block = line * 10_000
    with log.open("wb") as out:
        while out.tell() < 100_000_000:
            out.write(block)
        out.write(b"THE LAST LINE OF THE 100 MB LOG\n")
    target = "logs/periodic-big-log/1001/build-log.txt"
    session = _start(f"--source {shlex.quote(str(log.parents[3]))} {target}", 80, 24)
    try:
        _wait_for(session, "build-log.txt")
        time.sleep(0.5)  # the preview takes the focus once it is shown
        subprocess.run(["tmux", "send-keys", "-t", session, "G"], check=True)
        screen = _wait_for(session, "THE LAST LINE OF THE 100 MB LOG")
        assert "periodic-big-log" in screen
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True, check=False)
        # keep 100 MB copies out of the retained pytest directories
        from prowtui.logs.fetch import log_cache_path
        from prowtui.sources.local import LocalSource

        log_cache_path(LocalSource(log.parents[3]), target).unlink(missing_ok=True)
        log.unlink()

"""The CLI on a hostile bucket, writing to a real terminal (a pty): nothing active gets out.

Rich may colour its own output (SGR); any other escape, control or bidi character in what a
terminal receives is a failure. Markup in names must be printed literally.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from prowtui.safetext import inert
from tests.servers.gcsweb_server import GcswebServer
from tests.test_hostile_data import (
    BUILD,
    HOSTILE_DIR,
    HOSTILE_NAMES,
    HOSTILE_TEXT,
    JOB,
    assert_inert,
    build_hostile_bucket,
    tree_snapshot,
)


@pytest.fixture
def hostile_bucket(tmp_path: Path) -> Path:
    return build_hostile_bucket(tmp_path / "bucket")


def run_tty(*args: str, timeout: float = 60) -> tuple[str, str, int]:
    """``python -m prowtui ARGS`` with stdout on a 200-column pty; (stdout, stderr, exit code)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 200, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "COLUMNS", "LINES")}
    env["TERM"] = "xterm-256color"
    proc = subprocess.Popen(
        [sys.executable, "-m", "prowtui", *args],
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=subprocess.PIPE,
        env=env,
    )
    os.close(slave)
    out = bytearray()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # EIO: the child closed the terminal
                    break
                if not chunk:
                    break
                out += chunk
            elif proc.poll() is not None:
                break
        err = proc.communicate(timeout=max(1.0, deadline - time.monotonic()))[1]
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
    text = out.decode("utf-8", "replace").replace("\r\n", "\n")  # the tty's ONLCR
    return text, err.decode("utf-8", "replace"), proc.returncode


def test_ls_table_on_a_terminal_shows_names_inert_and_literal(hostile_bucket: Path) -> None:
    out, err, code = run_tty("ls", "--source", str(hostile_bucket), BUILD + "artifacts/")
    assert code == 0, err
    assert "\x1b[" in out  # a real terminal: Rich did colour its output
    assert_inert(out, terminal=True)
    for name in ("[@click=app.quit]QUIT.txt", "[link=mailto:a@b]link.txt", "[bold]loud[red]red"):
        assert name in out
    assert "osc52\\e]52;c;aGVsbG8=\\x07.txt" in out and "bidi\\u202etxt.exe" in out


def test_ls_json_escapes_every_control_and_round_trips(hostile_bucket: Path) -> None:
    out, err, code = run_tty(
        "ls", "--source", f"local:{hostile_bucket}", BUILD + "artifacts/", "--json"
    )
    assert code == 0, err
    assert_inert(out, terminal=True)
    names = {entry["name"] for entry in json.loads(out)}
    assert set(HOSTILE_NAMES) | {HOSTILE_DIR} <= names  # the data itself is kept exactly


def test_stats_tables_on_a_terminal_are_inert(hostile_bucket: Path) -> None:
    out, err, code = run_tty("stats", "--source", str(hostile_bucket), JOB, "--content")
    assert code == 0, err
    assert_inert(out, terminal=True)
    assert_inert(err)
    assert "[bold]job\\e]0;pwned\\x07" in out  # the job name, literal and inert
    assert "[@click=app.quit]QUIT.txt" in out  # a completeness pattern entry


def test_error_lines_on_stderr_are_one_inert_line(hostile_bucket: Path) -> None:
    missing = BUILD + f"artifacts/{HOSTILE_DIR}nope[bold]\x1b]52;c;eA==\x07.txt"
    for command in ("cat", "ls"):
        out, err, code = run_tty(command, "--source", str(hostile_bucket), missing)
        assert code == 1 and not out.strip()
        assert_inert(err)
        lines = [line for line in err.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("prowtui: error: ")
        assert "nope[bold]\\e]52;c;eA==\\x07.txt" in lines[0]


def test_cat_writes_the_bytes_unchanged_when_asked(hostile_bucket: Path) -> None:
    """``cat`` is the one command whose job is the raw bytes (to a pipe, for scripts)."""
    key = BUILD + "artifacts/" + HOSTILE_NAMES[0]
    result = subprocess.run(
        [sys.executable, "-m", "prowtui", "cat", "--source", str(hostile_bucket), key],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0 and result.stdout == f"{HOSTILE_TEXT}\n".encode()


def test_gcsweb_listing_errors_and_cache_stay_inert_and_contained(
    gcsweb_server_factory: Callable[..., GcswebServer], hostile_bucket: Path, tmp_path: Path
) -> None:
    # modern: files proxied by gcsweb (a legacy server's storage port is not the CLI's storage)
    server = gcsweb_server_factory(hostile_bucket, generation="modern")
    source = f"{server.base_url}/gcs/{server.bucket}/"
    cache = Path(os.environ["PROWTUI_CACHE_DIR"])
    before = tree_snapshot(tmp_path)
    out, err, code = run_tty("ls", "--source", source, BUILD + "artifacts/")
    assert code == 0, err
    assert_inert(out, terminal=True)
    assert "[@click=app.quit]QUIT.txt" in out
    for name in HOSTILE_NAMES:
        _, err, code = run_tty("cat", "--source", source, BUILD + "artifacts/" + name)
        assert code == 0, err
    # a server refusal naming a hostile path: one inert line, exit 1
    denied = f"{BUILD}artifacts/{HOSTILE_DIR}"
    raw = "/gcs/test-bucket/" + "".join(
        c if c.isalnum() or c in "/-_.~" else "".join(f"%{b:02X}" for b in c.encode())
        for c in denied
    )
    server.statuses[raw] = 403
    out, err, code = run_tty("ls", "--source", source, denied)
    assert code == 1, (out, err)
    assert_inert(err)
    assert "access denied" in err and inert("[@click=app.quit]DIR\x1b[2J") in err
    # everything written while doing so is in the cache directory (or the bucket itself)
    written = tree_snapshot(tmp_path) - before
    assert all(path.startswith("bucket/") for path in written), written
    if cache.is_relative_to(tmp_path):  # pragma: no cover - conftest puts it elsewhere
        return
    assert all(p.resolve().is_relative_to(cache.resolve()) for p in cache.rglob("*"))

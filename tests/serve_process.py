"""``prowtui serve`` run as a user runs it, in a child process, for the serving tests: its
printed address, the session processes it reports, and a signal to stop it."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from tests.conftest import REPO

#: "prowtui serve: session 1234 started (1 of 4)" / "... session 1234 ended"
_SESSION = re.compile(r"session (\d+) (started|ended)")
#: escape sequences in what the explorer sends to the browser's terminal
ANSI = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1bP[^\x1b]*\x1b\\"
    r"|\x1b[()][0-9A-Za-z]|\x1b[=>78cDEHMNOPZ\\]"
)


def screen_text(data: bytes) -> str:
    """What a terminal stream says, escape sequences removed."""
    return ANSI.sub("", data.decode("utf-8", "replace"))


def alive(pid: int) -> bool:
    """Whether process ``pid`` still runs (a zombie does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def wait_until(predicate, timeout: float, step: float = 0.05) -> bool:  # type: ignore[no-untyped-def]
    """Poll ``predicate`` until true or ``timeout`` seconds passed; its last value."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(step)


class ServeProcess:
    """``python -m prowtui serve ARGS --port 0`` from the repository, with the test's
    environment; :attr:`url` is the printed address (with the token)."""

    def __init__(self, *args: str, env: dict[str, str] | None = None, timeout: float = 60) -> None:
        environment = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
        for name in ("COLUMNS", "LINES"):  # readline exports them in a test process
            environment.pop(name, None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "prowtui", "serve", "--port", "0", *args],
            cwd=REPO,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self._lines: queue.Queue[str] = queue.Queue()
        self._condition = threading.Condition()
        for stream, sink in (
            (self.process.stdout, self.stdout),
            (self.process.stderr, self.stderr),
        ):
            threading.Thread(target=self._read, args=(stream, sink), daemon=True).start()
        self.url = self._wait_for_url(timeout)
        self.base = self.url.split("/?", 1)[0]
        self.token = self.url.rsplit("token=", 1)[1]

    def _read(self, stream, sink: list[str]) -> None:  # type: ignore[no-untyped-def]
        for line in stream:
            with self._condition:
                sink.append(line.rstrip("\n"))
                self._condition.notify_all()
        with self._condition:
            self._condition.notify_all()

    def _wait_for_url(self, timeout: float) -> str:
        found: list[str] = []

        def printed() -> bool:
            found[:] = [m.group(0) for line in self.stdout if (m := re.search(r"http://\S+", line))]
            return bool(found) or self.process.poll() is not None

        with self._condition:
            self._condition.wait_for(printed, timeout)
        if not found:
            self.stop()
            raise AssertionError(f"prowtui serve printed no address: {self.stdout} {self.stderr}")
        return found[0]

    def sessions(self, state: str = "started") -> list[int]:
        """The explorer processes the server reported as ``started`` (or ``ended``)."""
        with self._condition:
            lines = list(self.stderr)
        return [
            int(m.group(1))
            for line in lines
            if (m := _SESSION.search(line)) and m.group(2) == state
        ]

    def wait_for_sessions(
        self, count: int, state: str = "started", timeout: float = 30
    ) -> list[int]:
        """Wait until ``count`` sessions were reported in ``state``; their pids."""
        with self._condition:
            self._condition.wait_for(lambda: len(self.sessions(state)) >= count, timeout)
        pids = self.sessions(state)
        assert len(pids) >= count, f"{len(pids)} sessions {state}, not {count}: {self.stderr}"
        return pids

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 10) -> int:
        """Signal the server and wait for it; its exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signum)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise

    def __enter__(self) -> ServeProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process.poll() is None:
            self.stop(signal.SIGKILL)
        for pid in self.sessions():
            if alive(pid):
                os.kill(pid, signal.SIGKILL)

"""One browser tab's explorer: a ``python -m prowtui`` child process spoken to with
textual-serve's packet protocol, started in its own process group and always ended."""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import signal
import sys
from asyncio.subprocess import Process
from collections.abc import Awaitable, Callable, Sequence

from textual_serve.app_service import AppService
from textual_serve.download_manager import DownloadManager

from prowtui.safetext import inert

#: how long a session may take to quit after it was asked to, then after SIGTERM (seconds)
QUIT_GRACE = 1.5
TERM_GRACE = 0.7
#: environment variables a session never sees
PRIVATE_ENV = ("PROWTUI_SERVE_TOKEN",)
#: the last lines of a session's stderr reported when it ends
STDERR_LINES = 20
#: run before the explorer on Linux: ask the kernel to SIGTERM it when the server dies, even
#: of SIGKILL (PR_SET_PDEATHSIG survives the exec), unless the server is already gone; then
#: exec the explorer's own command line (same pid, so the same process group)
PARENT_DEATH_SHIM = (
    "import ctypes,os,signal,sys\n"
    "try:\n"
    "    ctypes.CDLL(None,use_errno=True).prctl(1,signal.SIGTERM)\n"
    "except Exception:\n"
    "    pass\n"
    "if os.getppid()!=int(sys.argv[1]):\n"
    "    sys.exit(1)\n"
    "os.execv(sys.argv[2],sys.argv[2:])\n"
)


class ExplorerSession(AppService):
    """textual-serve's app service, with an argument vector instead of a shell command line
    (no shell between the server and the explorer, nothing to quote), its own process group,
    a bounded :meth:`stop` that escalates to SIGTERM and SIGKILL, and a child's stderr
    reported through :func:`~prowtui.safetext.inert` (it may quote bucket data)."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        write_bytes: Callable[[bytes], Awaitable[None]],
        write_str: Callable[[str], Awaitable[None]],
        close: Callable[[], Awaitable[None]],
        report: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__(
            " ".join(argv),
            write_bytes=write_bytes,
            write_str=write_str,
            close=close,
            download_manager=DownloadManager(),
        )
        self.argv = list(argv)
        self._report = report or (lambda line: print(line, file=sys.stderr))
        self._stopping: asyncio.Task[None] | None = None

    @property
    def pid(self) -> int | None:
        """The explorer process's id once started."""
        return self._process.pid if self._process is not None else None

    def _build_environment(self, width: int = 80, height: int = 24) -> dict[str, str]:
        environment = super()._build_environment(width, height)
        for name in PRIVATE_ENV:
            environment.pop(name, None)
        return environment

    def command_line(self) -> list[str]:
        """What is started: the explorer's argument vector, behind the parent-death shim on
        Linux (so that not even a SIGKILLed server leaves an explorer behind)."""
        if not sys.platform.startswith("linux"):
            return list(self.argv)
        shim = [sys.executable, "-I", "-S", "-c", PARENT_DEATH_SHIM, str(os.getpid())]
        return [*shim, *self.argv]

    async def _open_app_process(self, width: int = 80, height: int = 24) -> Process:
        self._process = process = await asyncio.create_subprocess_exec(
            *self.command_line(),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=self._build_environment(width=width, height=height),
            start_new_session=True,  # Ctrl+C in the server's terminal is the server's to handle
        )
        assert process.stdin is not None
        self._stdin = process.stdin
        return process

    async def run(self) -> None:
        """Relay the child's packets to the browser until it ends, then close the tab's
        WebSocket (the page then offers to restart)."""
        process = self._process
        assert process is not None and process.stdout is not None and process.stderr is not None
        stdout, stderr = process.stdout, process.stderr
        stderr_data = io.BytesIO()

        async def read_stderr() -> None:
            while data := await stderr.read(4096):
                stderr_data.write(data[: max(0, 65536 - stderr_data.tell())])

        stderr_task = asyncio.create_task(read_stderr())
        try:
            for _ in range(10):  # the web driver's prelude says it is a Textual app
                line = await stdout.readline()
                if not line or line == b"__GANGLION__\n":
                    break
            while True:
                packet_type = await stdout.readexactly(1)
                size = int.from_bytes(await stdout.readexactly(4), "big")
                payload = await stdout.readexactly(size)
                if packet_type == b"D":
                    await self.on_data(payload)
                elif packet_type == b"M":
                    await self.on_meta(payload)
                elif packet_type == b"P":
                    await self.on_packed(payload)
        except (asyncio.IncompleteReadError, ConnectionResetError):
            pass
        except Exception as exc:  # a closed WebSocket or a malformed packet: end the session
            self._report(f"session {self.pid}: {inert(str(exc))}")
        finally:
            stderr_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await stderr_task
            with contextlib.suppress(Exception):
                await self.remote_close()
        text = stderr_data.getvalue().decode("utf-8", "replace").strip()
        for line in text.splitlines()[-STDERR_LINES:]:
            self._report(f"session {self.pid}: {inert(line)}")

    async def stop(self) -> None:
        """End the explorer: ask it to quit, then SIGTERM, then SIGKILL its process group,
        each after a short grace; returns once the process is reaped. Safe to call twice
        and from several tasks; nothing to do before the process has started."""
        if self._process is None:
            return
        if self._stopping is None:
            self._stopping = asyncio.ensure_future(self._stop())
        await asyncio.shield(self._stopping)

    async def _stop(self) -> None:
        process = self._process
        assert process is not None
        if process.returncode is None:
            await self.send_meta({"type": "quit"})
            if not await _exited(process, QUIT_GRACE):
                _signal_group(process, signal.SIGTERM)
                if not await _exited(process, TERM_GRACE):
                    _signal_group(process, signal.SIGKILL)
                    await process.wait()
        if self._task is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._task, TERM_GRACE)
            self._task = None


async def _exited(process: Process, timeout: float) -> bool:
    try:
        await asyncio.wait_for(process.wait(), timeout)
    except TimeoutError:
        return False
    return True


def _signal_group(process: Process, signum: int) -> None:
    """Send ``signum`` to the process group the session leads (no error if it is gone)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signum)

"""The aiohttp application of ``prowtui serve``: one page, its static files, one WebSocket per
tab, and one middleware (:func:`guard`) that every request passes: the token (query or
cookie, compared in constant time), the WebSocket's Origin, and the session limit."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import re
import signal
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import WSMsgType, web
from yarl import URL

from prowtui.errors import ProwtuiError
from prowtui.serve.page import (
    CONTENT_SECURITY_POLICY,
    forbidden_page,
    limit_page,
    render_terminal,
    static_dir,
)
from prowtui.serve.session import ExplorerSession

#: the query parameter that carries the token on the first page load
TOKEN_PARAM = "token"
#: a Host header we build addresses from: a name or an IP literal, and a port
_HOST = re.compile(
    r"^(?:[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$"
)
#: bounds for what a page may ask: terminal cells and font size
MAX_CELLS = 1000
FONT_SIZES = (6, 48)
#: how long shutting down may take before the server stops waiting (seconds)
SHUTDOWN_TIMEOUT = 2.5


class ServeError(ProwtuiError):
    """The server could not start (the port is in use, the address is not this machine's)."""


@dataclass(frozen=True)
class ServeConfig:
    """What to serve and how: the explorer command line each tab runs, where to listen, the
    token, the session limit, and the public address when behind a reverse proxy."""

    argv: tuple[str, ...]
    token: str
    host: str = "127.0.0.1"
    port: int = 8000
    max_sessions: int = 4
    public_url: str | None = None
    title: str = "prowtui"


@dataclass
class ServeState:
    """The running server's sessions: the number of slots taken (a slot is taken before its
    process starts), and each live session with its WebSocket."""

    config: ServeConfig
    report: Callable[[str], None]
    taken: int = 0
    closing: bool = False
    live: dict[ExplorerSession, web.WebSocketResponse] = field(default_factory=dict)
    static_root: Path = field(default_factory=lambda: static_dir().resolve())

    @property
    def cookie_name(self) -> str:
        """The token cookie's name, different for every token: cookies do not tell ports
        apart, and two servers on one host must not overwrite each other's."""
        digest = hashlib.sha256(self.config.token.encode()).hexdigest()[:12]
        return f"prowtui_token_{digest}"

    def token_matches(self, candidate: str | None) -> bool:
        """Whether ``candidate`` is the token (constant time)."""
        if not candidate:
            return False
        return hmac.compare_digest(candidate.encode("utf-8", "replace"), self.config.token.encode())

    def base_url(self, request: web.Request) -> str | None:
        """Where the browser reached the page: ``--public-url``, else the request's scheme and
        Host (never the bind address); None for a Host header that is no host."""
        if self.config.public_url:
            return self.config.public_url.rstrip("/")
        if not _HOST.match(request.host or ""):
            return None
        return f"{request.scheme}://{request.host}"

    def origin_ok(self, request: web.Request) -> bool:
        """Whether a WebSocket's Origin is the page's own (no cross-site WebSocket hijacking)."""
        base = self.base_url(request)
        origin = request.headers.get("Origin")
        if base is None or not origin:
            return False
        try:
            return str(URL(origin).origin()) == str(URL(base).origin())
        except ValueError:
            return False

    def take_slot(self) -> bool:
        """Take a session slot; False when all ``max_sessions`` are taken or we are closing."""
        if self.closing or self.taken >= self.config.max_sessions:
            return False
        self.taken += 1
        return True

    def release_slot(self) -> None:
        self.taken -= 1

    async def close_all(self) -> None:
        """End every session (their processes, then their WebSockets), all at once."""
        self.closing = True
        live = list(self.live.items())
        await asyncio.gather(
            *(session.stop() for session, _ in live),
            *(ws.close(code=1001, message=b"server shutting down") for _, ws in live),
            return_exceptions=True,
        )


STATE = web.AppKey("state", ServeState)


def _forbidden() -> web.Response:
    return web.Response(
        status=403,
        text=forbidden_page(),
        content_type="text/html",
        headers={"Cache-Control": "no-store"},
    )


@web.middleware
async def guard(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Every request: the right token or 403 (whatever the path); a path we do not serve is
    403 too; a WebSocket from another origin 403; a tab over the limit gets the limit page
    (or, for a WebSocket, a closed session) and starts nothing."""
    state = request.app[STATE]
    query_token = request.query.get(TOKEN_PARAM)
    from_query = state.token_matches(query_token)
    if not (from_query or state.token_matches(request.cookies.get(state.cookie_name))):
        return _forbidden()
    if request.method not in ("GET", "HEAD") or request.match_info.http_exception is not None:
        return _forbidden()
    route = request.match_info.route.name
    if route == "websocket":
        if not state.origin_ok(request):
            return _forbidden()
        if not state.take_slot():
            return await _refuse_websocket(request, state.config.max_sessions)
        try:
            return await handler(request)
        finally:
            state.release_slot()
    if route == "page" and (state.closing or state.taken >= state.config.max_sessions):
        return web.Response(
            status=503,
            text=limit_page(state.config.max_sessions),
            content_type="text/html",
            headers={"Cache-Control": "no-store", "Retry-After": "5"},
        )
    response = await handler(request)
    if route == "page":
        response.set_cookie(
            state.cookie_name,
            state.config.token,
            path="/",
            httponly=True,
            samesite="Strict",
            secure=(state.base_url(request) or "").startswith("https:"),
        )
    return response


async def _refuse_websocket(request: web.Request, max_sessions: int) -> web.WebSocketResponse:
    """A tab that loaded its page while a slot was free and lost the race: no explorer; say
    why in its terminal (the page then shows the session ended, and Restart loads the limit
    page) and close."""
    ws = web.WebSocketResponse(timeout=2.0)
    await ws.prepare(request)
    message = (
        f"\r\n  prowtui: all {max_sessions} sessions are in use.\r\n"
        "  Close another prowtui tab, then press Restart.\r\n"
    )
    await ws.send_bytes(message.encode())
    await ws.close()
    return ws


async def handle_page(request: web.Request) -> web.Response:
    """The terminal page, its addresses built from where the browser reached it."""
    state = request.app[STATE]
    base = state.base_url(request)
    if base is None:
        return _forbidden()
    websocket_base = "wss" + base[5:] if base.startswith("https:") else "ws" + base[4:]
    font_size = _clamp(request.query.get("fontsize"), 16, *FONT_SIZES)
    page = render_terminal(
        base_url=base,
        websocket_url=f"{websocket_base}/ws",
        font_size=font_size,
        title=state.config.title,
    )
    return web.Response(
        text=page,
        content_type="text/html",
        headers={
            "Content-Security-Policy": CONTENT_SECURITY_POLICY,
            "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer",
            "X-Content-Type-Options": "nosniff",
        },
    )


async def handle_static(request: web.Request) -> web.StreamResponse:
    """One of textual-serve's static files (the terminal's script, styles, font, image);
    403 for anything else."""
    root = request.app[STATE].static_root
    path = (root / request.match_info["name"]).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return _forbidden()
    return web.FileResponse(path, headers={"X-Content-Type-Options": "nosniff"})


async def handle_websocket(request: web.Request) -> web.WebSocketResponse:
    """One tab's session: start its explorer, relay keys and sizes until either side ends,
    then end the explorer."""
    state = request.app[STATE]
    ws = web.WebSocketResponse(heartbeat=15, timeout=2.0, max_msg_size=1 << 20)
    await ws.prepare(request)
    width = _clamp(request.query.get("width"), 80, 1, MAX_CELLS)
    height = _clamp(request.query.get("height"), 24, 1, MAX_CELLS)
    session = ExplorerSession(
        state.config.argv,
        write_bytes=ws.send_bytes,
        write_str=ws.send_str,
        close=ws.close,
        report=state.report,
    )
    state.live[session] = ws
    try:
        await session.start(width, height)
        state.report(
            f"session {session.pid} started ({state.taken} of {state.config.max_sessions})"
        )
        if not state.closing:
            await _relay(ws, session)
    except OSError as exc:
        state.report(f"cannot start a session: {exc}")
    finally:
        await session.stop()
        await ws.close()
        del state.live[session]
        if session.pid is not None:
            state.report(f"session {session.pid} ended")
    return ws


async def _relay(ws: web.WebSocketResponse, session: ExplorerSession) -> None:
    """The browser's messages to the explorer: keys, sizes, focus; anything else ignored."""
    async for message in ws:
        if message.type != WSMsgType.TEXT:
            continue
        try:
            envelope = json.loads(message.data)
        except ValueError:
            continue
        if not isinstance(envelope, list) or not envelope:
            continue
        kind, data = envelope[0], envelope[1] if len(envelope) > 1 else None
        if kind == "stdin" and isinstance(data, str):
            await session.send_bytes(data.encode("utf-8", "replace"))
        elif kind == "resize" and isinstance(data, dict):
            width = _clamp(data.get("width"), 80, 1, MAX_CELLS)
            height = _clamp(data.get("height"), 24, 1, MAX_CELLS)
            await session.set_terminal_size(width, height)
        elif kind == "ping" and isinstance(data, str):
            await ws.send_json(["pong", data[:32]])
        elif kind == "blur":
            await session.blur()
        elif kind == "focus":
            await session.focus()


def _clamp(value: object, default: int, low: int, high: int) -> int:
    try:
        number = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return default
    return max(low, min(high, number))


def make_app(config: ServeConfig, report: Callable[[str], None]) -> web.Application:
    """The aiohttp application serving ``config`` (its state under :data:`STATE`)."""
    app = web.Application(middlewares=[guard])
    app[STATE] = ServeState(config, report)
    app.add_routes(
        [
            web.get("/", handle_page, name="page"),
            web.get("/ws", handle_websocket, name="websocket"),
            web.get("/static/{name:.+}", handle_static, name="static"),
        ]
    )
    return app


def _report(line: str) -> None:
    print(f"prowtui serve: {line}", file=sys.stderr, flush=True)


async def serve(
    config: ServeConfig,
    on_ready: Callable[[str, int], None],
    report: Callable[[str], None] = _report,
) -> None:
    """Serve until SIGINT or SIGTERM, then end every session and return (within about
    :data:`SHUTDOWN_TIMEOUT` seconds). ``on_ready(host, port)`` is called once listening
    (``port`` is the one bound, for ``--port 0``); ServeError if it cannot listen."""
    app = make_app(config, report)
    runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, config.host, config.port)
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        reason = exc.strerror or str(exc)
        raise ServeError(f"cannot listen on {config.host}:{config.port}: {reason}") from None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        port = int(runner.addresses[0][1]) if runner.addresses else config.port
        on_ready(config.host, port)
        await stop.wait()
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(app[STATE].close_all(), SHUTDOWN_TIMEOUT)
        await runner.cleanup()

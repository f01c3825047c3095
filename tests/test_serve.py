"""``prowtui serve`` without a browser: the token, cookie, Origin and limit checks of its one
middleware, the page's addresses, its sessions' lifetimes and the command's errors. (The
browser's side is tests/test_serve_browser.py.)"""

from __future__ import annotations

import asyncio
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from prowtui.commands.serve import check_public_url, is_loopback, printed_url, server_token
from prowtui.errors import UsageError
from prowtui.serve.page import PageError, self_contained, terminal_page
from prowtui.serve.server import ServeConfig, make_app
from tests.cli import run_prowtui
from tests.serve_process import ServeProcess, alive, screen_text, wait_until

TOKEN = "test-token-0123456789abcdefghijklmnop"
ARGV = (sys.executable, "-m", "prowtui", "--source", "demo")


async def _client(config: ServeConfig) -> TestClient:
    client = TestClient(TestServer(make_app(config, report=lambda line: None), host="127.0.0.1"))
    await client.start_server()
    return client


@pytest.fixture
async def client() -> AsyncIterator[TestClient]:
    client = await _client(ServeConfig(argv=ARGV, token=TOKEN, max_sessions=1))
    yield client
    await client.close()


# --------------------------------------------------------------------------------------
# the page


def test_the_page_loads_nothing_from_another_host() -> None:
    page = terminal_page().render(config={"static": {"url": "http://h/static/"}})
    assert "googleapis" not in page and "RobotoMono-VariableFont_wght.ttf" in page
    with pytest.raises(PageError, match="another host"):
        self_contained(
            '<link href="https://fonts.googleapis.com/css?x" /></head>'
            '<script src="https://cdn.example/x.js"></script>'
        )
    with pytest.raises(PageError, match="web font link"):
        self_contained("<head></head>")


async def test_every_request_without_the_token_is_refused(client: TestClient) -> None:
    for path in ("/", "/?token=wrong", "/ws", "/static/js/textual.js", "/nope", "/favicon.ico"):
        response = await client.get(path)
        assert response.status == 403, path
        assert "403 Forbidden" in await response.text()
    # with the token, a path we do not serve is 403 as well, and so is another method
    for path in ("/nope", "/static/nope.js", "/static/../server.py", "/download/x"):
        assert (await client.get(path, params={"token": TOKEN})).status == 403, path
    assert (await client.post("/", params={"token": TOKEN})).status == 403
    assert client.app is not None
    from prowtui.serve.server import STATE

    assert not client.app[STATE].live  # no process was started for any of them


async def test_the_page_sets_a_strict_cookie_that_opens_the_rest(client: TestClient) -> None:
    response = await client.get("/", params={"token": TOKEN})
    assert response.status == 200
    header = response.headers["Set-Cookie"]
    assert "HttpOnly" in header and "SameSite=Strict" in header and "Path=/" in header
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    page = await response.text()
    base = str(client.make_url("")).rstrip("/")
    assert f'data-session-websocket-url="ws{base[4:]}/ws"' in page
    assert f"{base}/static/js/textual.js" in page
    # the token is no longer needed in the address: the cookie carries it
    assert (await client.get("/")).status == 200
    assert (await client.get("/static/fonts/RobotoMono-VariableFont_wght.ttf")).status == 200
    client.session.cookie_jar.clear()
    assert (await client.get("/static/css/xterm.css")).status == 403


async def test_addresses_follow_the_host_the_browser_used(client: TestClient) -> None:
    response = await client.get("/", params={"token": TOKEN}, headers={"Host": "box.lan:8123"})
    page = await response.text()
    assert 'data-session-websocket-url="ws://box.lan:8123/ws"' in page
    assert "http://box.lan:8123/static/css/xterm.css" in page
    bad = await client.get("/", params={"token": TOKEN}, headers={"Host": 'x"><script>'})
    assert bad.status == 403


async def test_a_public_url_gives_https_assets_and_a_wss_socket() -> None:
    config = ServeConfig(
        argv=ARGV, token=TOKEN, public_url="https://ci.example.org/prowtui", max_sessions=1
    )
    client = await _client(config)
    try:
        response = await client.get("/", params={"token": TOKEN})
        page = await response.text()
        assert 'data-session-websocket-url="wss://ci.example.org/prowtui/ws"' in page
        assert "https://ci.example.org/prowtui/static/js/textual.js" in page
        assert "Secure" in response.headers["Set-Cookie"]
        # a WebSocket from the server's own address is not from the public page
        base = str(client.make_url("")).rstrip("/")
        response = await client.get("/ws", params={"token": TOKEN}, headers={"Origin": base})
        assert response.status == 403
    finally:
        await client.close()


async def test_a_websocket_from_another_origin_is_refused(client: TestClient) -> None:
    upgrade = {"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13"}
    upgrade["Sec-WebSocket-Key"] = "dGhlIHNhbXBsZSBub25jZQ=="
    for origin in ("http://evil.example", "null", None):
        headers = dict(upgrade) if origin is None else {**upgrade, "Origin": origin}
        response = await client.get("/ws", params={"token": TOKEN}, headers=headers)
        assert response.status == 403, origin
    base = str(client.make_url("")).rstrip("/")
    response = await client.get("/ws", headers={**upgrade, "Origin": base})
    assert response.status == 403  # the right origin without the token


# --------------------------------------------------------------------------------------
# sessions, in a real `prowtui serve`


async def _open_session(
    http: aiohttp.ClientSession, server: ServeProcess, expect: str = "logs/"
) -> tuple[aiohttp.ClientWebSocketResponse, str]:
    """A tab's WebSocket (80x24) and what its terminal showed once ``expect`` appeared."""
    ws = await http.ws_connect(
        f"{server.base}/ws?token={server.token}&width=80&height=24", origin=server.base
    )
    received = b""
    async with asyncio.timeout(30):
        while expect not in screen_text(received):
            message = await ws.receive()
            if message.type != aiohttp.WSMsgType.BINARY:
                break
            received += message.data
    return ws, screen_text(received)


@pytest.fixture(scope="module")
def one_slot_server() -> ServeProcess:
    env = {"PROWTUI_SERVE_TOKEN": TOKEN}
    with ServeProcess("--source", "demo", "--max-sessions", "1", env=env) as server:
        assert server.token == TOKEN
        yield server
        assert server.stop() == 0


async def test_a_tab_over_the_limit_starts_nothing_and_a_closed_tab_frees_its_slot(
    one_slot_server: ServeProcess,
) -> None:
    server = one_slot_server
    async with aiohttp.ClientSession() as http:
        first, screen = await _open_session(http, server)
        assert "pr-logs/" in screen
        (pid,) = server.wait_for_sessions(1)
        assert alive(pid)
        if sys.platform.startswith("linux"):
            # this interpreter (not a `prowtui` found on PATH), the source, and the environment
            # that names the config and cache; the token stays with the server
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
            assert argv[:5] == [sys.executable, "-m", "prowtui", "--source", "demo"]
            environ = Path(f"/proc/{pid}/environ").read_bytes().decode().split("\0")
            served = Path(f"/proc/{server.process.pid}/environ").read_bytes().decode().split("\0")
            for name in ("PROWTUI_CACHE_DIR=", "PROWTUI_CONFIG=", "PROWTUI_DEMO_DIR="):
                setting = [item for item in served if item.startswith(name)]
                assert setting and setting[0] in environ
            assert not [item for item in environ if item.startswith("PROWTUI_SERVE_TOKEN=")]
        # the slot is taken: a further page is the limit page, a further socket is told so
        async with http.get(server.url) as response:
            assert response.status == 503
            assert "at most 1 explorer session" in await response.text()
        second, screen = await _open_session(http, server, expect="sessions are in use")
        assert "Close another prowtui tab" in screen
        await second.close()
        assert len(server.sessions()) == 1
        # closing the tab ends its explorer within a few seconds and frees the slot
        closed = time.monotonic()
        await first.close()
        assert await asyncio.to_thread(wait_until, lambda: not alive(pid), 5)
        assert time.monotonic() - closed < 5
        await asyncio.to_thread(server.wait_for_sessions, 1, "ended")
        async with http.get(server.url) as response:
            assert response.status == 200


async def test_ctrl_c_ends_the_server_and_every_session_within_3_s() -> None:
    with ServeProcess("--source", "demo") as server:
        async with aiohttp.ClientSession() as http:
            sockets = [(await _open_session(http, server))[0] for _ in range(2)]
            pids = server.wait_for_sessions(2)
            assert all(alive(pid) for pid in pids)
            started = time.monotonic()
            code = await asyncio.to_thread(server.stop, signal.SIGINT)
            elapsed = time.monotonic() - started
            assert code == 0
            assert elapsed < 3, f"took {elapsed:.1f} s"
            assert not [pid for pid in pids if alive(pid)], "orphaned explorer processes"
            for ws in sockets:  # the tabs were told, not left hanging
                while (message := await ws.receive(timeout=1)).type == aiohttp.WSMsgType.BINARY:
                    pass
                assert message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
async def test_not_even_a_killed_server_leaves_an_explorer_behind() -> None:
    with ServeProcess("--source", "demo") as server:
        async with aiohttp.ClientSession() as http:
            await _open_session(http, server)
            (pid,) = server.wait_for_sessions(1)
            server.stop(signal.SIGKILL)
            assert await asyncio.to_thread(wait_until, lambda: not alive(pid), 5)


# --------------------------------------------------------------------------------------
# the command


def test_a_non_loopback_host_needs_public() -> None:
    result = run_prowtui("serve", "--source", "demo", "--host", "0.0.0.0")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "--public" in result.stderr
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert is_loopback("127.1.2.3") and not is_loopback("0.0.0.0") and not is_loopback("::")
    assert not is_loopback("10.0.0.1") and not is_loopback("example.org")


def test_public_warns_what_it_exposes() -> None:
    with ServeProcess("--source", "demo", "--public") as server:
        assert server.stop() == 0
    warning = " ".join(server.stderr)
    assert "warning" in warning and "token" in warning and "cache" in warning


def test_bad_input_is_one_line_and_a_non_zero_exit(tmp_path: Path) -> None:
    result = run_prowtui("serve", "--source", "no-such-source")
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "unknown source" in result.stderr
    result = run_prowtui("serve", "--source", "demo", "--public-url", "ftp://x/")
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    result = run_prowtui("serve", "--source", "demo", env={"PROWTUI_SERVE_TOKEN": "short"})
    assert result.returncode == 2 and "PROWTUI_SERVE_TOKEN" in result.stderr
    config = tmp_path / "bad.toml"
    config.write_text('concurrency = "many"\n')
    result = run_prowtui("serve", "--source", "demo", env={"PROWTUI_CONFIG": str(config)})
    assert result.returncode == 2 and "concurrency" in result.stderr
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_prowtui("serve", "--source", "demo", "--port", str(port))
    assert result.returncode == 1 and result.stderr.count("\n") == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr


def test_the_token_comes_from_the_environment_or_256_random_bits(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PROWTUI_SERVE_TOKEN", raising=False)
    first, second = server_token(), server_token()
    assert first != second and len(first) >= 43
    monkeypatch.setenv("PROWTUI_SERVE_TOKEN", TOKEN)
    assert server_token() == TOKEN
    monkeypatch.setenv("PROWTUI_SERVE_TOKEN", "has spaces and is long enough to pass")
    with pytest.raises(UsageError):
        server_token()


def test_the_printed_address() -> None:
    assert printed_url("127.0.0.1", 8000, None, "T") == "http://127.0.0.1:8000/?token=T"
    assert printed_url("::1", 8000, None, "T") == "http://[::1]:8000/?token=T"
    assert printed_url("0.0.0.0", 80, None, "T") == f"http://{socket.gethostname()}:80/?token=T"
    public = check_public_url("https://ci.example.org/prowtui/")
    assert printed_url("0.0.0.0", 80, public, "T") == "https://ci.example.org/prowtui/?token=T"
    for bad in (
        "ci.example.org",
        "https://",
        "https://h/?q=1",
        "https://u:p@h/",
        "http://h:99999/",
    ):
        with pytest.raises(UsageError):
            check_public_url(bad)

"""``prowtui serve --source demo`` in a real browser: Debian's Chromium driven by Playwright.

The served terminal draws on a canvas, so a tab's screen is read from what the explorer sent
over its WebSocket (escape sequences removed), and a screenshot is taken. Without Chromium
these tests skip locally; in CI (``$CI`` set) a missing browser is a failure, not a skip.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.serve_process import ServeProcess, alive, screen_text, wait_until

CHROMIUM = os.environ.get("PROWTUI_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
FIRST_BUILD = "1364778930069835776"

pytestmark = pytest.mark.browser


def _browser_or_skip() -> None:
    """Skip (locally) or fail (in CI) when Playwright or Chromium is missing."""
    missing = None
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing = "playwright is not installed: pip install -e '.[test]'"
    if missing is None and not os.access(CHROMIUM, os.X_OK):
        missing = f"no Chromium at {CHROMIUM}: apt-get install --no-install-recommends chromium"
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"{missing} (CI must run the browser tests; .ci/run installs it)")
        pytest.skip(missing)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    _browser_or_skip()
    from playwright.sync_api import sync_playwright

    args = ["--no-sandbox"] if os.geteuid() == 0 else []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=args)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def server(browser: Any) -> Iterator[ServeProcess]:
    with ServeProcess("--source", "demo", "--max-sessions", "2") as server:
        yield server
        # SIGTERM, as a service manager stops it: every explorer ends with the server
        assert server.stop() == 0
        assert not [pid for pid in server.sessions() if alive(pid)], "orphaned explorers"


class Tab:
    """A browser tab on the served explorer, and what its terminal was sent."""

    def __init__(self, browser: Any, url: str, width: int = 1200, height: int = 800) -> None:
        self.context = browser.new_context(viewport={"width": width, "height": height})
        self.page = self.context.new_page()
        self.received: list[bytes] = []
        self.requests: list[str] = []
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("websocket", self._on_websocket)
        self.response = self.page.goto(url)

    def _on_websocket(self, ws: Any) -> None:
        ws.on("framereceived", self._on_frame)

    def _on_frame(self, frame: bytes | str) -> None:
        self.received.append(frame if isinstance(frame, bytes) else frame.encode())

    def mark(self) -> int:
        """A point in the stream: :meth:`wait_for` looks at what arrives after it."""
        return len(self.received)

    def text(self, since: int = 0) -> str:
        return screen_text(b"".join(self.received[since:]))

    def wait_for(self, text: str, since: int = 0, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while text not in (screen := self.text(since)):
            if time.monotonic() > deadline:
                got = screen[-3000:]
                raise AssertionError(f"{text!r} never reached the browser; it got:\n{got}")
            self.page.wait_for_timeout(50)
        return screen

    def press(self, *keys: str, expect: str, timeout: float = 30) -> str:
        """Type ``keys`` into the terminal; the screen once ``expect`` was drawn."""
        since = self.mark()
        self.page.locator(".xterm-helper-textarea").focus()
        for key in keys:
            self.page.keyboard.press(key)
        return self.wait_for(expect, since, timeout)

    def close(self) -> None:
        self.context.close()


def test_the_explorer_in_a_browser(browser: Any, server: ServeProcess, tmp_path: Path) -> None:
    tab = Tab(browser, server.url)
    try:
        assert tab.response.status == 200
        screen = tab.wait_for("pr-logs/")
        assert "logs/" in screen and "Quit" in screen
        (pid,) = server.wait_for_sessions(1)
        # the address bar forgets the token (a cookie carries it), nothing came from elsewhere
        assert "token" not in tab.page.url
        fetched = [url for url in tab.requests if not url.startswith("data:")]
        assert fetched and all(url.startswith(server.base + "/") for url in fetched), fetched
        # keys typed in the page: the cursor opens a job, a build and its log
        tab.press("ArrowDown", "Enter", expect="nightly-4.16-e2e-aws-ovn")
        tab.press("ArrowDown", "Enter", expect=FIRST_BUILD)
        tab.press("ArrowDown", expect="FAILURE")
        tab.press("Enter", expect="build-log.txt")
        tab.press("ArrowDown", "ArrowDown", expect="ci-operator version v20210224")
        # the stats screen of the job
        tab.press("s", expect="Recompute")
        shot = tab.page.screenshot(path=str(tmp_path / "browser.png"))
        assert shot[:8] == b"\x89PNG\r\n\x1a\n" and len(shot) > 10_000
        # closing the tab ends its explorer within a few seconds
        tab.close()
        assert wait_until(lambda: not alive(pid), 5), "the closed tab's explorer still runs"
        assert pid in server.wait_for_sessions(1, "ended")
    finally:
        tab.close()


def test_without_the_token_the_browser_gets_403(browser: Any, server: ServeProcess) -> None:
    started = len(server.sessions())
    for url in (server.base + "/", server.base + "/?token=wrong", server.base + "/ws"):
        tab = Tab(browser, url)
        try:
            assert tab.response.status == 403, url
            assert "403 Forbidden" in tab.page.content()
        finally:
            tab.close()
    assert len(server.sessions()) == started  # no explorer was started


def test_one_tab_over_the_limit_is_refused(browser: Any, server: ServeProcess) -> None:
    before = len(server.sessions())
    tabs = [Tab(browser, server.url, 800, 500) for _ in range(2)]
    try:
        for tab in tabs:
            tab.wait_for("pr-logs/")
        pids = server.wait_for_sessions(before + 2)[before:]
        over = Tab(browser, server.url, 800, 500)
        try:
            assert over.response.status == 503
            assert "all sessions in use" in over.page.content()
            assert len(server.sessions()) == before + 2
            # a closed tab frees its slot: the refused tab loads on reload
            tabs.pop().close()
            assert wait_until(lambda: not alive(pids[1]), 5)
            server.wait_for_sessions(before + 1, "ended")
            assert over.page.reload().status == 200
            over.wait_for("pr-logs/")
        finally:
            over.close()
    finally:
        for tab in tabs:
            tab.close()

"""Render the README screenshots of the explorer from the demo bucket.

Usage: ``python scripts/screenshots.py [OUT_DIR [NAME...]]`` (default ``screenshots/``, every
shot). Writes SVGs of the main view, a log with a search hit, an events table, the stats panel,
the export dialog, the Triage, Jobs and Search screens at 120x36, headless
(``App.run_test``), and converts each to PNG with ``rsvg-convert`` or ``cairosvg`` when one is
available (install ``fonts-firacode`` for a faithful result). ``browser.png`` is Chromium's
screenshot of ``prowtui serve --source demo`` (Playwright and Debian's ``chromium``, or
``$PROWTUI_CHROMIUM``).
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from textual.pilot import Pilot
from textual.widgets import Input
from textual.worker import WorkerCancelled

from prowtui.app import Explorer, ProwtuiApp
from prowtui.demo import BIG_JOB_DIR, NIGHTLY_JOB_DIR, open_demo

REPO = Path(__file__).resolve().parent.parent
SIZE = (120, 36)
BUILD = f"{NIGHTLY_JOB_DIR}1763353455621050368/"
EVENTS = (
    f"{NIGHTLY_JOB_DIR}1765528260965306368/artifacts/e2e-aws-ovn/gather-extra/artifacts/events.json"
)


async def settle(pilot: Pilot, rounds: int = 60) -> None:
    """Wait for timers and workers to finish."""
    for _ in range(rounds):
        await pilot.pause(0.1)
        try:
            await pilot.app.workers.wait_for_complete()
        except WorkerCancelled:  # an exclusive worker replaced by a newer one
            continue
        if not any(w.is_running for w in pilot.app.workers):
            await pilot.pause(0.2)
            if not any(w.is_running for w in pilot.app.workers):
                break
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    await pilot.pause()


async def main_view(pilot: Pilot) -> None:
    await settle(pilot)


async def log_search(pilot: Pilot) -> None:
    await settle(pilot)  # a file named on start has the focus, as in ``less FILE``
    await pilot.press("slash", *"error", "enter")
    await settle(pilot)


async def events_table(pilot: Pilot) -> None:
    await settle(pilot)


async def stats_panel(pilot: Pilot) -> None:
    await settle(pilot)
    await pilot.press("s")
    await settle(pilot)
    await pilot.press("c")  # the text measures beside the byte sizes
    await settle(pilot)


async def export_dialog(pilot: Pilot) -> None:
    await settle(pilot)
    await pilot.press("e")
    await settle(pilot)
    pilot.app.screen.query_one("#export-folder", Input).value = "~/prowtui-export/nightly"
    pilot.app.screen.query_one("#export-limit", Input).value = "10"
    await settle(pilot)


async def triage_screen(pilot: Pilot) -> None:
    """The big job's triage with the cause of the most failed builds selected."""
    from prowtui.app.screens.triage import TriageScreen
    from prowtui.app.widgets.history_strip import CAUSE_PALETTE

    await settle(pilot)
    await pilot.press("t")
    screen = pilot.app.screen
    assert isinstance(screen, TriageScreen)
    while screen.state == "running":
        await pilot.pause(0.2)
    report = screen.report
    assert report is not None, screen.state
    top = next(
        i
        for i, s in enumerate(report.signatures)
        if screen.cause_color.get(s.id) == CAUSE_PALETTE[0]
    )
    await pilot.press(*["down"] * top)
    await settle(pilot)


async def jobs_screen(pilot: Pilot) -> None:
    """``J`` on ``logs/``: the demo's release at a glance, the cursor on the worst job."""
    await settle(pilot)
    await pilot.press("J")
    await settle(pilot)
    await pilot.pause(0.5)  # the table is rebuilt on a timer as jobs come in
    await settle(pilot)


async def search_screen(pilot: Pilot) -> None:
    """``/`` on ``logs/``: a week of the demo's builds searched for a line its jobs share."""
    from textual.widgets import Input

    from prowtui.app.screens.search import SearchScreen

    await settle(pilot)
    await pilot.press("slash")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, SearchScreen)
    screen.query_one(Input).value = "context deadline exceeded"
    await pilot.press("ctrl+w", "enter")
    for _ in range(200):
        await settle(pilot)
        if screen.status != "running":
            break
    await pilot.press("enter")
    await settle(pilot)


SHOTS: list[tuple[str, str, Callable[[Pilot], Awaitable[None]]]] = [
    ("main", BUILD, main_view),
    ("log-search", BUILD + "build-log.txt", log_search),
    ("events", EVENTS, events_table),
    ("stats", BIG_JOB_DIR, stats_panel),
    ("export", NIGHTLY_JOB_DIR, export_dialog),
    ("triage", BIG_JOB_DIR, triage_screen),
    ("jobs", "logs/", jobs_screen),
    ("search", "logs/", search_screen),
]


async def render(name: str, start: str, steps, out: Path) -> Path:
    """One screenshot as SVG."""
    app = ProwtuiApp(Explorer(open_demo(), None, start))  # the title bar names no local path
    async with app.run_test(size=SIZE) as pilot:
        await steps(pilot)
        return Path(app.save_screenshot(filename=f"{name}.svg", path=str(out)))


def to_png(svg: Path) -> Path | None:
    """Convert to PNG (spaces preserved, which rsvg needs for Textual's SVGs)."""
    png = svg.with_suffix(".png")
    text = svg.read_text(encoding="utf-8").replace("<svg ", '<svg xml:space="preserve" ', 1)
    with tempfile.NamedTemporaryFile("w", suffix=".svg", delete=False, encoding="utf-8") as tmp:
        tmp.write(text)
    try:
        if shutil.which("rsvg-convert"):
            subprocess.run(["rsvg-convert", tmp.name, "-o", str(png)], check=True)
            return png
        try:
            import cairosvg  # type: ignore[import-not-found]
        except ImportError:
            return None
        cairosvg.svg2png(url=tmp.name, write_to=str(png))
        return png
    finally:
        os.unlink(tmp.name)


async def main(out: Path, names: list[str]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name, start, steps in SHOTS:
        if names and name not in names:
            continue
        svg = await render(name, start, steps, out)
        png = to_png(svg)
        print(f"{svg}" + (f" -> {png}" if png else " (no SVG->PNG converter found)"))


def browser_shot(out: Path, width: int = 1280, height: int = 760) -> Path:
    """Chromium's screenshot of ``prowtui serve --source demo`` opened at the main view's
    build, once the explorer has drawn it and gone quiet."""
    from playwright.sync_api import sync_playwright

    chromium = os.environ.get("PROWTUI_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not os.access(chromium, os.X_OK):
        raise SystemExit(f"browser.png needs Chromium: no {chromium} (apt-get install chromium)")
    server = subprocess.Popen(
        [sys.executable, "-m", "prowtui", "serve", "--source", "demo", "--port", "0", BUILD],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        url = next(m.group(0) for line in server.stdout if (m := re.search(r"http://\S+", line)))
        with sync_playwright() as playwright:
            args = ["--no-sandbox"] if os.geteuid() == 0 else []
            browser = playwright.chromium.launch(executable_path=chromium, args=args)
            page = browser.new_page(viewport={"width": width, "height": height})
            arrivals: list[float] = []
            page.on(
                "websocket",
                lambda ws: ws.on("framereceived", lambda _: arrivals.append(time.monotonic())),
            )
            page.goto(url)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and (
                len(arrivals) < 3 or time.monotonic() - arrivals[-1] < 1.5
            ):
                page.wait_for_timeout(100)
            png = out / "browser.png"
            page.screenshot(path=str(png))
            browser.close()
        return png
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(10)


if __name__ == "__main__":
    out_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("screenshots")
    asyncio.run(main(out_dir, sys.argv[2:]))
    if not sys.argv[2:] or "browser" in sys.argv[2:]:
        try:
            print(browser_shot(out_dir))
        except ImportError as exc:  # Playwright is in the test extra
            print(f"browser.png skipped: {exc}")

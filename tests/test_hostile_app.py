"""The explorer on a hostile bucket: every rendered cell is inert, markup stays literal text.

Each check renders the whole screen the way a terminal would receive it (the compositor's
segments) and looks for escape, control and bidi characters, then for the literal markup.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.console import Console
from textual.widgets import DataTable

from prowtui.app import Explorer, ProwtuiApp
from prowtui.sources.gcsweb import GcswebSource
from prowtui.sources.http import RetryPolicy
from prowtui.sources.local import LocalSource
from tests.servers.gcsweb_server import GcswebServer
from tests.test_app_support import settle
from tests.test_hostile_data import (
    BUILD,
    HOSTILE_DIR,
    JOB,
    assert_inert,
    build_hostile_bucket,
)

SIZE = (160, 48)


@pytest.fixture
def hostile_bucket(tmp_path: Path) -> Path:
    return build_hostile_bucket(tmp_path / "bucket")


def screen_text(app: ProwtuiApp) -> str:
    """The current screen (with toasts and dialogs) as the plain text a terminal would show."""
    width, height = app.size
    console = Console(
        width=width, height=height, file=io.StringIO(), record=True, legacy_windows=False
    )
    update = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    console.print(update)
    return console.export_text(styles=False)


def check_screen(app: ProwtuiApp, *literal: str) -> str:
    """Assert the screen is inert and shows each ``literal`` string; return its text."""
    text = screen_text(app)
    assert_inert(text)
    for expected in literal:
        assert expected in text, f"{expected!r} not on screen:\n{text}"
    return text


async def test_tree_listing_previews_and_notifications_are_inert(hostile_bucket: Path) -> None:
    (hostile_bucket / BUILD / "artifacts" / "bad[bold]\x1b]0;t\x07.json").write_text('{"a": [1,')
    app = ProwtuiApp(Explorer(LocalSource(hostile_bucket), None, BUILD + "artifacts/"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = app.main_screen
        assert main is not None
        # tree labels and the directory listing table
        check_screen(app, "[@click=app.quit]QUIT.txt", "[bold]job\\e]0;pwned\\x07", "\\u202e")
        visits = {
            BUILD + "build-log.txt": ("ERROR A\\e]52;c;aGVsbG8=\\x07B\\e[2JC",),
            BUILD + "artifacts/events.json": ("[bold]BackOff[/bold]",),
            BUILD + "artifacts/junit_e2e.xml": ("[@click=app.quit]case [bold]x[/bold]",),
            BUILD + "started.json": (),  # its summary has one row (a time): see the raw view
            BUILD + "finished.json": (),  # checked on the summary table's own lines below
            BUILD: ("? UNKNOWN", "[link=https://x]rev\\e]0;pwned\\x07"),  # odd result: unknown
            BUILD + "artifacts/[link=mailto:a@b]link.txt": ("[bold]H[/bold] [link=http",),
        }
        for path, expected in visits.items():
            main.goto(path)
            await settle(pilot)
            assert app.is_running and main.current_path() == path
            check_screen(app, *expected)
        # the summary table's own rendered lines (its height on screen is up to the layout)
        main.goto(BUILD + "finished.json")
        await settle(pilot)
        table = main.preview.query_one("#metadata-summary", DataTable)
        lines = "\n".join(
            "".join(segment.text for segment in table.render_line(y))
            for y in range(table.row_count)
        )
        assert_inert(lines)
        assert "[link=https://x]rev\\e]0;pwned\\x07" in lines and "UNKNOWN" in lines
        # the raw JSON of the build's metadata
        main.goto(BUILD)
        await settle(pilot)
        await pilot.press("tab", "v")
        await settle(pilot)
        check_screen(app, "[link=https://x]key", "[link=https://x]rev")
        # a preview that fails: the error and its notification name the file inertly
        main.goto(BUILD + "artifacts/bad[bold]\x1b]0;t\x07.json")
        await settle(pilot)
        check_screen(app, "bad[bold]\\e]0;t\\x07.json")
        # a notification naming a hostile path: shown as a toast, inert and literal
        main.goto(BUILD + "nope[@click=app.quit]\x1b]52;c;eA==\x07/")
        await settle(pilot)
        notes = [str(note.message) for note in app._notifications]
        assert any("nope[@click=app.quit]\\e]52;c;eA==\\x07" in note for note in notes), notes
        assert_inert("".join(notes))
        assert all(not note.markup for note in app._notifications)  # shown as plain text


async def test_clicking_click_markup_in_names_does_not_quit(hostile_bucket: Path) -> None:
    app = ProwtuiApp(Explorer(LocalSource(hostile_bucket), None, BUILD + "artifacts/"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        lines = screen_text(app).splitlines()
        spots = [
            (line.index("[@click=app.quit]") + 3, row)
            for row, line in enumerate(lines)
            if "[@click=app.quit]" in line
        ]
        assert len(spots) >= 2  # the tree label and the listing row, at least
        for x, y in spots:
            await pilot.click(offset=(x, y))
            await settle(pilot)
            assert app.is_running and app.return_code is None


async def test_job_stats_screen_is_inert(hostile_bucket: Path) -> None:
    app = ProwtuiApp(Explorer(LocalSource(hostile_bucket), None, JOB))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        assert type(app.screen).__name__ == "StatsScreen"
        check_screen(app, "[bold]job\\e]0;pwned\\x07")


async def test_a_refused_listing_shows_an_inert_error_child(
    gcsweb_server_factory: Callable[..., GcswebServer], hostile_bucket: Path
) -> None:
    server = gcsweb_server_factory(hostile_bucket, generation="modern")
    denied = f"{BUILD}artifacts/{HOSTILE_DIR}"
    source = GcswebSource(server.base_url, server.bucket, retry=RetryPolicy(attempts=1), timeout=5)
    raw = source._gcs_url(denied)[len(server.base_url) :]
    server.statuses[raw] = 403
    app = ProwtuiApp(Explorer(source, None, BUILD + "artifacts/"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = app.main_screen
        assert main is not None
        main.goto(denied)
        await settle(pilot)
        check_screen(app, "access denied (HTTP 403)", "[@click=app.quit]DIR\\e[2J")
        node = main.tree.cursor_node
        assert node is not None and len(node.children) == 1
        label = str(node.children[0].label)  # wider than the tree column: check it whole
        assert_inert(label)
        assert label.endswith("DIR\\e[2J/  (r to retry)") and "[@click=app.quit]" in label

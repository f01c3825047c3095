"""Where the focus goes: a file opened from the command line or a jump is focused like ``less
FILE``; right moves into the preview, tab/left/esc go back to the tree."""

from __future__ import annotations

from prowtui.app import Explorer, ProwtuiApp
from prowtui.app.widgets.bucket_tree import BucketTree
from prowtui.app.widgets.log_view import LogView
from prowtui.demo import NIGHTLY_JOB_DIR, open_demo
from tests.test_app_support import settle


def _first_build() -> str:
    root = open_demo().root  # type: ignore[attr-defined]
    first = sorted(p.name for p in (root / NIGHTLY_JOB_DIR).iterdir() if p.is_dir())[0]
    return f"{NIGHTLY_JOB_DIR}{first}/"


async def test_starting_at_a_file_focuses_its_preview_like_less() -> None:
    build = _first_build()
    app = ProwtuiApp(Explorer(open_demo(), None, build + "build-log.txt"))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        main = app.main_screen
        assert main is not None and isinstance(app.focused, LogView)
        assert main.current_path() == build + "build-log.txt"
        await pilot.press("G")
        await settle(pilot)
        view = app.focused
        assert view.scroll_offset.y > 0  # G scrolled the log, not the tree
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.focused, BucketTree)
        await pilot.press("right")
        await settle(pilot)
        assert isinstance(app.focused, LogView)
        await pilot.press("left")  # at the log's left edge: back to the tree
        await settle(pilot)
        assert isinstance(app.focused, BucketTree)
        await pilot.press("tab")
        assert isinstance(app.focused, LogView)
        await pilot.press("tab")
        assert isinstance(app.focused, BucketTree)
        await pilot.press("left")
        await settle(pilot)
        assert main.current_path() == build


async def test_starting_at_a_directory_keeps_the_focus_in_the_tree() -> None:
    build = _first_build()
    app = ProwtuiApp(Explorer(open_demo(), None, build))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        assert isinstance(app.focused, BucketTree)
        await pilot.press("G")  # the tree's bottom, as before
        await settle(pilot)
        assert isinstance(app.focused, BucketTree)


async def test_go_to_a_file_or_its_url_focuses_the_preview() -> None:
    build = _first_build()
    app = ProwtuiApp(Explorer(open_demo(), None, ""))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        assert isinstance(app.focused, BucketTree)
        await pilot.press("ctrl+g", *("gs://demo/" + build + "build-log.txt"), "enter")
        await settle(pilot)
        main = app.main_screen
        assert main is not None and main.current_path() == build + "build-log.txt"
        assert isinstance(app.focused, LogView)
        await pilot.press("escape")
        await pilot.press("ctrl+g", *build, "enter")
        await settle(pilot)
        assert main.current_path() == build and isinstance(app.focused, BucketTree)


async def test_left_scrolls_a_log_sideways_before_it_leaves_it(tmp_path) -> None:
    from prowtui.sources.local import LocalSource

    log = tmp_path / "logs" / "job" / "1" / "build-log.txt"
    log.parent.mkdir(parents=True)
    log.write_text(("x" * 400 + "\n") * 50)
    app = ProwtuiApp(Explorer(LocalSource(tmp_path), None, "logs/job/1/build-log.txt"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        view = app.focused
        assert isinstance(view, LogView)
        await pilot.press("right", "right")
        assert view.scroll_offset.x > 0
        await pilot.press("left", "left")
        assert view.scroll_offset.x == 0 and app.focused is view
        await pilot.press("left")
        assert isinstance(app.focused, BucketTree)

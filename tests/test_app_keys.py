"""Arrow keys browse from the tree: right moves into the preview, left goes back up."""

from __future__ import annotations

from prowtui.app import Explorer, ProwtuiApp
from prowtui.app.widgets.bucket_tree import BucketTree
from prowtui.app.widgets.log_view import LogView
from prowtui.sources.demo import NIGHTLY_JOB_DIR, open_demo
from tests.test_app_support import settle


def _first_build() -> str:
    root = open_demo().root  # type: ignore[attr-defined]
    first = sorted(p.name for p in (root / NIGHTLY_JOB_DIR).iterdir() if p.is_dir())[0]
    return f"{NIGHTLY_JOB_DIR}{first}/"


async def test_right_focuses_the_preview_and_left_goes_to_the_parent() -> None:
    build = _first_build()
    app = ProwtuiApp(Explorer(open_demo(), None, build + "build-log.txt"))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        main = app.main_screen
        assert main is not None and isinstance(app.focused, BucketTree)
        assert main.current_path() == build + "build-log.txt"
        await pilot.press("right")
        await settle(pilot)
        assert isinstance(app.focused, LogView)
        await pilot.press("G")
        await settle(pilot)
        view = app.focused
        assert view.scroll_offset.y > 0  # G scrolled the log, not the tree
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.focused, BucketTree)
        await pilot.press("left")
        await settle(pilot)
        assert main.current_path() == build

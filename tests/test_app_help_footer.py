"""The ``?`` help and the footer agree on every key; ``q`` closes a dialog, not the app; the
title bar names the source by kind and bucket; at 80x24 no footer key is cut off."""

from __future__ import annotations

import pytest
from textual.widgets import Checkbox
from textual.widgets._footer import FooterKey

from prowtui.app import Explorer, ProwtuiApp
from prowtui.app.screens.copy_menu import CopyMenu
from prowtui.app.screens.export import ExportScreen
from prowtui.app.screens.goto import GotoScreen
from prowtui.app.screens.help import HelpScreen, key_rows
from prowtui.app.screens.main import MainScreen
from prowtui.app.screens.stats import StatsScreen
from prowtui.demo import NIGHTLY_JOB_DIR, open_demo
from prowtui.sources.resolve import resolve_target
from tests.test_app_support import settle

BUILD = f"{NIGHTLY_JOB_DIR}1763353455621050368/"
EVENTS = BUILD + "artifacts/e2e-aws-ovn/gather-extra/artifacts/events.json"

#: (start path, keys pressed after start) of each place the footer can be seen
PLACES = {
    "tree": (NIGHTLY_JOB_DIR, ()),
    "log": (BUILD + "build-log.txt", ()),
    "events": (EVENTS, ()),
    "metadata": (BUILD + "finished.json", ()),
    "stats": (NIGHTLY_JOB_DIR, ("s",)),
}


def footer_keys(app: ProwtuiApp) -> list[FooterKey]:
    return list(app.screen.query(FooterKey))


@pytest.mark.parametrize("size", [(80, 24), (120, 36)])
@pytest.mark.parametrize("place", sorted(PLACES))
async def test_every_footer_key_is_in_the_help_with_the_same_name(
    place: str, size: tuple[int, int]
) -> None:
    start, keys = PLACES[place]
    app = ProwtuiApp(Explorer(open_demo(), None, start))
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)
        shown = footer_keys(app)
        assert shown, "no footer keys"
        rows = key_rows(app)
        for item in shown:
            assert any(
                item.key_display in row.keys and item.description == row.description for row in rows
            ), f"{item.key_display} {item.description!r} is not in the help"
            # nothing the footer shows is cut off by the screen's edge
            assert item.region.right <= size[0], f"{item.key_display} is clipped"
        names = {item.description for item in shown}
        assert {"Quit", "Keys"} <= names or place == "stats"


async def test_help_rows_follow_a_remapped_key() -> None:
    app = ProwtuiApp(Explorer(open_demo(), None, NIGHTLY_JOB_DIR), keymap={"tree.reload": "R"})
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        reload_key = next(i for i in footer_keys(app) if i.description == "Reload")
        assert reload_key.key_display == "R"
        await pilot.press("question_mark")
        await settle(pilot)
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        (row,) = [r for r in help_screen.rows if r.binding_id == "tree.reload"]
        assert row.keys == ("R",)


async def test_q_closes_every_dialog_and_quits_only_from_the_main_screen() -> None:
    spec, _ = resolve_target(None, "gs://demo/")  # a spec that URLs can be built for
    app = ProwtuiApp(Explorer(open_demo(), spec, NIGHTLY_JOB_DIR))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for opener, screen_type in (
            ("question_mark", HelpScreen),
            ("y", CopyMenu),
            ("s", StatsScreen),
        ):
            await pilot.press(opener)
            await settle(pilot)
            assert isinstance(app.screen, screen_type)
            await pilot.press("q")
            await settle(pilot)
            assert isinstance(app.screen, MainScreen) and app.is_running
        await pilot.press("e")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ExportScreen)
        dialog.query(Checkbox).first().focus()
        await pilot.press("q")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen) and app.is_running
        await pilot.press("ctrl+g")
        await settle(pilot)
        assert isinstance(app.screen, GotoScreen)
        await pilot.press("q")  # typed into the path, as in any text field
        assert isinstance(app.screen, GotoScreen)
        assert app.screen.query_one("#goto-input").value.endswith("q")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        await pilot.press("q")
        await settle(pilot)
        assert not app.is_running


async def test_title_bar_names_the_kind_and_bucket_not_the_cache_directory() -> None:
    app = ProwtuiApp(Explorer(open_demo(), None, BUILD + "build-log.txt"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        main = app.main_screen
        assert main is not None
        assert main.title == "demo · demo"
        root = str(open_demo().root)  # type: ignore[attr-defined]
        assert root not in main.sub_title and root not in main.title
        # the cursor's path, cut from the left to fit, ends with the file's whole name
        assert main.sub_title.startswith("…") and main.sub_title.endswith("/build-log.txt")
        assert len(main.sub_title) <= 80


def test_title_of_each_kind_of_source(tmp_path) -> None:
    from prowtui.sources.gcsweb import GcswebSource
    from prowtui.sources.local import LocalSource

    mirror = tmp_path / "mirror"
    mirror.mkdir()
    assert Explorer(LocalSource(mirror)).title() == "local · mirror"
    assert Explorer(LocalSource(mirror, bucket="b")).title() == "local · b"
    web = GcswebSource("https://gcsweb.example", "origin-ci-test")
    assert Explorer(web).title() == "gcsweb · origin-ci-test"

"""The lazy bucket tree: one listing per expand, loading and error children, reload, build
results only for rows on screen, deep-path start, inert labels."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from prowtui.app import Explorer, ProwtuiApp
from prowtui.app.services import read_build_summary
from prowtui.sources.local import LocalSource
from tests.test_app_support import JOB, CountingSource, make_bucket, settle

SIZE = (120, 36)


def labels(node) -> list[str]:
    return [str(child.label) for child in node.children]


async def test_each_expand_lists_once_and_collapse_keeps_children(tmp_path: Path) -> None:
    source = CountingSource(make_bucket(tmp_path))
    app = ProwtuiApp(Explorer(source))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert source.listings == {"": 1}
        await pilot.press("down", "enter")  # logs/
        await settle(pilot)
        await pilot.press("down", "enter")  # the job
        await settle(pilot)
        await pilot.press("space")  # collapse
        await pilot.press("space")  # expand again: no new listing
        await settle(pilot)
        assert source.listings == {"": 1, "logs/": 1, JOB: 1}
        tree = app.main_screen.tree
        assert [c.data.path for c in tree.cursor_node.children][:3] == [
            f"{JOB}1001/",
            f"{JOB}1002/",
            f"{JOB}1003/",
        ]


class GatedSource(LocalSource):
    """Listings wait for a gate, so the loading state can be seen."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.gate = asyncio.Event()

    async def list(self, path: str):  # type: ignore[override]
        if path:
            await self.gate.wait()
        return await super().list(path)


async def test_a_loading_child_shows_until_the_listing_arrives(tmp_path: Path) -> None:
    source = GatedSource(make_bucket(tmp_path))
    app = ProwtuiApp(Explorer(source))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("down", "enter")
        await pilot.pause(0.1)
        node = app.main_screen.tree.cursor_node
        assert labels(node) == ["loading…"]
        source.gate.set()
        await settle(pilot)
        assert labels(node) == ["periodic-demo-e2e/"]


async def test_failing_listing_shows_inert_error_and_recovers_with_r(tmp_path: Path) -> None:
    source = CountingSource(make_bucket(tmp_path))
    source.failing.add("logs/")
    app = ProwtuiApp(Explorer(source))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("down", "enter")
        await settle(pilot)
        node = app.main_screen.tree.cursor_node
        (error,) = node.children
        assert error.data.role == "error"
        text = str(error.label)
        assert "refused by the test [bold]x[/bold]" in text and "r to retry" in text
        assert app.main_screen.preview.preview_kind in ("dir", "error")
        source.failing.clear()
        before = source.listings["logs/"]  # the tree's failed listing, maybe the preview's too
        await pilot.press("r")
        await settle(pilot)
        assert labels(node) == ["periodic-demo-e2e/"]
        assert source.listings["logs/"] == before + 1


async def test_build_results_are_read_only_for_rows_on_screen(tmp_path: Path) -> None:
    builds = {
        str(2000 + i): ("SUCCESS" if i % 3 else "FAILURE", 1_700_000_000 + i) for i in range(80)
    }
    root = make_bucket(tmp_path, builds=builds)
    source = LocalSource(root)
    explorer = Explorer(source, None, JOB)
    read: list[str] = []

    async def counting_reader(src, path):
        read.append(path)
        return await read_build_summary(src, path)

    explorer.results._reader = counting_reader
    app = ProwtuiApp(explorer)
    async with app.run_test(size=(100, 24)) as pilot:
        await settle(pilot)
        first_screen = len(read)
        assert 5 <= first_screen <= 24, read
        tree = app.main_screen.tree
        job = tree.cursor_node
        shown = [c for c in job.children if c.data.is_build and str(c.label)[0] in "✔✘"]
        assert len(shown) == first_screen
        assert str(shown[0].label).startswith("✘ 2000  2023-11-14")
        await pilot.press("G")
        await settle(pilot)
        assert first_screen < len(read) < 80
        assert len(set(read)) == len(read)  # never read twice


async def test_labels_and_previews_of_hostile_names_are_inert(tmp_path: Path) -> None:
    root = make_bucket(tmp_path)
    hostile = "[@click=app.quit]x[bold] \x1b]52;c;aGk=\x07 \u202eevil.txt"
    (root / JOB / hostile).write_text("[bold]not bold[/bold] \x1b[2J\n")
    (root / JOB / "1001" / "finished.json").write_text(
        json.dumps({"timestamp": 1, "passed": False, "result": "[red]FAIL\x1b[0m"})
    )
    app = ProwtuiApp(Explorer(LocalSource(root), None, JOB))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        job = app.main_screen.tree.cursor_node
        texts = labels(job)
        odd = next(t for t in texts if "click" in t)
        assert "[@click=app.quit]x[bold]" in odd
        assert "\x1b" not in odd and "\\e]52" in odd and "\\u202e" in odd
        main = app.main_screen
        main.goto(JOB + hostile)
        await settle(pilot)
        assert app.is_running and main.preview.preview_kind == "log"
        main.goto(JOB + "1001/")
        await settle(pilot)
        assert app.is_running and main.preview.preview_kind == "build"


async def test_start_path_that_does_not_exist_stops_at_the_deepest_parent(tmp_path: Path) -> None:
    source = LocalSource(make_bucket(tmp_path))
    app = ProwtuiApp(Explorer(source, None, JOB + "9999/build-log.txt"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.main_screen.current_path() == JOB


async def test_keys_can_be_remapped_by_binding_id(tmp_path: Path) -> None:
    source = CountingSource(make_bucket(tmp_path))
    app = ProwtuiApp(Explorer(source), keymap={"tree.reload": "R"})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("down", "enter")
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        assert source.listings["logs/"] == 1
        await pilot.press("R")
        await settle(pilot)
        assert source.listings["logs/"] == 2


async def test_command_palette_offers_the_explorer_actions(tmp_path: Path) -> None:
    app = ProwtuiApp(Explorer(LocalSource(make_bucket(tmp_path))))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        titles = {command.title for command in app.get_system_commands(app.screen)}
        assert {"Go to path or URL", "Copy URL", "Job stats", "Export job", "Reload node"} <= titles
        await pilot.press("ctrl+p", *"go to", "enter")
        await settle(pilot)
        assert app.screen.__class__.__name__ == "GotoScreen"

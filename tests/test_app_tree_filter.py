"""``f`` filters a folder's children in the tree; ``ctrl+g`` completes paths from listings."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual import events
from textual.widgets import Input

from prowtui.app import Explorer, ProwtuiApp
from prowtui.app.screens.goto import GotoScreen, completion, folder_of
from prowtui.app.widgets.name_filter import name_matcher
from tests.test_app_support import CountingSource, settle

SIZE = (100, 30)
VERSIONS = ("4.14", "4.15", "4.16")
#: 30 periodic jobs, 10 per version, every third one on AWS
JOBS = [
    f"periodic-ci-openshift-release-master-ci-{VERSIONS[i % 3]}-e2e-"
    f"{'AWS' if i % 3 == 0 else 'gcp'}-{i:02d}"
    for i in range(30)
]


@pytest.fixture
def bucket(tmp_path: Path) -> Path:
    for job in JOBS:
        (tmp_path / "logs" / job / "1001").mkdir(parents=True)
    (tmp_path / "logs" / "README.md").write_text("jobs")
    for repo in ("openshift_installer", "openshift_origin", "kube_test-infra"):
        (tmp_path / "pr-logs" / "pull" / repo).mkdir(parents=True)
    return tmp_path


def names(node) -> list[str]:
    return [child.data.entry.name for child in node.children if child.data.role == "entry"]


@pytest.mark.parametrize(
    ("text", "name", "kept"),
    [
        ("4.16", "x-4.16-e2e/", True),
        ("AWS", "x-aws-1/", True),  # case-insensitive
        ("*-aws-*", "x-AWS-1/", True),  # a pattern, matched whole, trailing / optional
        ("*-aws", "x-aws-1/", False),
        ("e2e-?cp*", "e2e-gcp-03/", True),
        ("[0-9]*", "1001/", True),
        ("[0-9]*", "logs/", False),
    ],
)
def test_name_matcher(text: str, name: str, kept: bool) -> None:
    assert name_matcher(text)(name) is kept


async def test_filter_counts_patterns_esc_and_folders_apart(bucket: Path) -> None:
    source = CountingSource(bucket)
    app = ProwtuiApp(Explorer(source))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = app.main_screen
        tree = main.tree
        await pilot.press("down", "enter")  # logs/
        await settle(pilot)
        logs = tree.cursor_node
        assert len(names(logs)) == 31
        await pilot.press("down", "down")  # onto a job (collapsed): f filters its folder
        # typed straight after f, as a paste or a fast typist would: all of it is the filter
        await pilot.press("f", *"4.16")
        await pilot.pause()
        assert main.tree_filter.folder is logs
        assert names(logs) == sorted(job + "/" for job in JOBS if "4.16" in job)
        count = main.tree_filter.query_one("#tree-filter-count").render()
        assert str(count) == "10 of 31"
        assert "filtered 10 of 31: “4.16”" in str(tree.render_label(logs, *(tree.rich_style,) * 2))
        # a shell pattern is matched whole, case-insensitively
        main.tree_filter.input.value = "*-aws-*"
        await pilot.pause()
        assert names(logs) == sorted(job + "/" for job in JOBS if "-AWS-" in job)
        main.tree_filter.input.value = "nothing-like-this"
        await pilot.pause()
        assert names(logs) == [] and len(logs.children) == 1  # the "no name matches" row
        # enter keeps the filter and moves into the tree, onto the first match
        main.tree_filter.input.value = "e2e-gcp-0"
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert app.focused is tree and not main.tree_filter.display
        gcp_0 = sorted(job + "/" for job in JOBS[:10] if "gcp" in job)
        assert names(logs) == gcp_0 and tree.cursor_node.data.entry.name == gcp_0[0]
        # another folder: its own filter, the first one is kept
        pr = tree.root.children[1]
        tree.place_cursor(pr)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("down", "enter", "f", *"openshift")
        await pilot.pause()
        assert names(tree.cursor_node) == ["openshift_installer/", "openshift_origin/"]
        assert len(names(logs)) == 6
        await pilot.press("escape")  # clears this folder's filter only
        await pilot.pause()
        assert len(names(tree.cursor_node)) == 3 and len(names(logs)) == 6
        # f on the filtered folder shows its text again; esc gives back every child
        tree.place_cursor(logs)
        await pilot.press("f")
        await pilot.pause()
        assert main.tree_filter.input.value == "e2e-gcp-0"
        await pilot.press("escape")
        await pilot.pause()
        assert len(names(logs)) == 31 and tree.cursor_node is logs and app.focused is tree
        # no filter listed anything again (the previews listed the folders they show, once)
        assert set(source.listings.values()) == {1}


async def test_a_filter_outlives_a_reload_and_go_to_reaches_what_it_hides(bucket: Path) -> None:
    app = ProwtuiApp(Explorer(CountingSource(bucket)), keymap={"tree.filter": "F"})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        tree = app.main_screen.tree
        await pilot.press("down", "enter")
        await settle(pilot)
        logs = tree.cursor_node
        await pilot.press("f")  # remapped: f is nothing in the tree now
        await pilot.pause()
        assert app.focused is tree
        await pilot.press("F", *"4.16", "enter")
        await pilot.pause()
        assert len(names(logs)) == 10
        tree.place_cursor(logs)
        await pilot.press("r")  # listed again, filtered again
        await settle(pilot)
        assert len(names(logs)) == 10 and logs.data.total == 31
        await pilot.press("F", "tab")  # the focus leaves: the line goes, the filter stays
        await pilot.pause()
        assert not app.main_screen.tree_filter.display and len(names(logs)) == 10
        app.main_screen.goto(f"logs/{JOBS[0]}/")
        await settle(pilot)
        assert tree.cursor_node.data.path == f"logs/{JOBS[0]}/"
        assert logs.data.filter == "" and len(names(logs)) == 31


def test_completion_of_the_last_component() -> None:
    listing = ["1001/", "1002/", "build-log.txt"]
    assert completion("logs/job/10", listing) == "logs/job/1001/"
    assert completion("logs/job/b", listing) == "logs/job/build-log.txt"
    assert completion("logs/job/", listing) == "logs/job/1001/"
    assert completion("logs/job/build-log.txt", listing) is None
    assert completion("logs/job/x", listing) is None
    assert folder_of("/logs/job/10") == "logs/job/" and folder_of("lo") == ""
    assert folder_of("gs://bucket/logs/") is None and folder_of("https://h/gcs/b/x") is None


async def test_go_to_completes_from_listings_and_takes_urls_whole(bucket: Path) -> None:
    source = CountingSource(bucket)
    app = ProwtuiApp(Explorer(source))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+g")
        await settle(pilot)
        assert isinstance(app.screen, GotoScreen)
        field = app.screen.query_one(Input)
        await pilot.press(*"logs/periodic-ci-openshift-release-master-ci-4.15")
        await settle(pilot)
        assert field._suggestion == f"logs/{JOBS[1]}/"
        await pilot.press("tab")  # an accepted folder keeps its /
        await settle(pilot)
        assert field.value == f"logs/{JOBS[1]}/"
        # ... and the next suggestion comes from its own listing
        assert field._suggestion == f"logs/{JOBS[1]}/1001/"
        await pilot.press("right")
        assert field.value == f"logs/{JOBS[1]}/1001/"
        assert source.listings[f"logs/{JOBS[1]}/"] == 1 and source.listings["logs/"] == 1
        # a URL gets no suggestion and is taken whole
        field.value = f"gs://test-bucket/logs/{JOBS[2]}/"
        await settle(pilot)
        assert field._suggestion == ""
        await pilot.press("enter")
        await settle(pilot)
        assert app.main_screen.tree.cursor_node.data.path == f"logs/{JOBS[2]}/"


async def test_keys_in_a_burst_keep_their_order_around_f(bucket: Path) -> None:
    """As a paste or tmux sends them: all queued before the first is handled."""
    app = ProwtuiApp(Explorer(CountingSource(bucket)))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        typed = zip(["4", "full_stop", "1", "6"], "4.16", strict=True)
        burst = [("down", None), ("enter", "\r"), ("f", "f"), *typed]
        for key, char in burst:
            app.post_message(events.Key(key, char))
        await settle(pilot)
        main = app.main_screen
        logs = main.tree.root.children[0]  # opened by the enter before f: f filters it
        assert main.tree_filter.folder is logs and main.tree_filter.input.value == "4.16"
        assert app.focused is main.tree_filter.input and len(names(logs)) == 10

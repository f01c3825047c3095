"""The explorer against gcp-storage-emulator: the small demo bucket through ``gs://``, opened
as ``prowtui gs://BUCKET/...`` opens it (``open_source`` + ``build_app``, cache included)."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

from prowtui.app.widgets.events_table import EventsView
from prowtui.app.widgets.log_panel import LogPanel
from prowtui.commands.explore import build_app
from prowtui.demo import NIGHTLY_JOB_DIR, build_demo_bucket
from prowtui.sources.cached import CachedSource
from prowtui.sources.resolve import open_source, resolve_target
from tests.test_app_support import settle

SIZE = (120, 36)


async def wait_for(pilot, predicate, timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        assert loop.time() < deadline, "condition not reached in time"
        await pilot.pause(0.02)


async def test_build_log_and_events_through_the_emulator(tmp_path: Path, emulator_bucket) -> None:
    root = tmp_path / "demo"
    build_demo_bucket(root, small=True)
    for other in [*root.glob("pr-logs"), *root.glob("logs/*")]:  # one job uploads faster
        if other != root / NIGHTLY_JOB_DIR.rstrip("/"):
            shutil.rmtree(other)
    bucket = emulator_bucket(root, prefix="demo")
    first = sorted(p.name for p in (root / NIGHTLY_JOB_DIR).iterdir() if p.is_dir())[0]
    build = f"{NIGHTLY_JOB_DIR}{first}/"

    spec, path = resolve_target(None, f"gs://{bucket}/{NIGHTLY_JOB_DIR}")
    source = open_source(spec)
    assert isinstance(source, CachedSource) and source.kind == "gcs"
    app = build_app(source, spec, path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = app.main_screen
        assert main.current_path() == NIGHTLY_JOB_DIR
        job = main.tree.cursor_node
        builds = [c for c in job.children if c.data and c.data.is_build]
        assert len(builds) == len([p for p in (root / NIGHTLY_JOB_DIR).iterdir() if p.is_dir()])
        assert all(str(b.label)[0] in "✔✘⊘!◷" for b in builds), [str(b.label) for b in builds]

        await pilot.press("down", "enter")  # expand the first build
        await settle(pilot)
        assert main.current_path() == build and main.preview.preview_kind == "build"
        await pilot.press("down", "down")  # artifacts/, then build-log.txt
        await settle(pilot)
        assert main.current_path() == build + "build-log.txt"
        panel = main.preview.query_one(LogPanel)
        await wait_for(
            pilot, lambda: bool(panel.error) or (panel.complete and panel.view.index.done)
        )
        assert not panel.error
        expected = (root / build / "build-log.txt").read_bytes()
        assert panel.view.index.line_count == expected.count(b"\n")
        await pilot.press("enter", "slash", *"error", "enter")
        await settle(pilot)
        assert panel.view.hits is not None and panel.view.hits.done

        main.goto(build + "artifacts/e2e-aws-ovn/gather-extra/artifacts/events.json")
        await settle(pilot)
        assert main.preview.preview_kind == "events"
        events = main.preview.query_one(EventsView)
        assert len(events.rows) > 0
        assert app.is_running

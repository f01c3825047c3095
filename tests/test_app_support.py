"""Helpers for the explorer tests (a small bucket tree, waiting for workers) and tests of the
explorer's non-visual services (listing and build-result caches)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path

from textual.pilot import Pilot
from textual.worker import WorkerCancelled, WorkerState

from prowtui.app.services import BuildResultCache, ListingCache
from prowtui.errors import NotFound
from prowtui.sources.local import LocalSource

JOB = "logs/periodic-demo-e2e/"
BUILDS = {
    "1001": ("SUCCESS", 1_700_000_000),
    "1002": ("FAILURE", 1_700_003_600),
    "1003": (None, 1_700_007_200),
}

EVENTS = {
    "kind": "EventList",
    "items": [
        {
            "metadata": {"uid": f"u{i}", "namespace": "ci-op", "name": f"ev{i}"},
            "reason": reason,
            "type": kind,
            "message": message,
            "count": count,
            "firstTimestamp": f"2023-11-14T22:{10 + i:02d}:00Z",
            "lastTimestamp": f"2023-11-14T22:{20 + i:02d}:00Z",
            "source": {"component": "kubelet"},
            "involvedObject": {"kind": "Pod", "name": f"pod-{i}"},
        }
        for i, (reason, kind, message, count) in enumerate(
            [
                ("Pulled", "Normal", "Successfully pulled image", 1),
                ("BackOff", "Warning", "Back-off restarting failed container", 7),
                ("Scheduled", "Normal", "Successfully assigned pod", 1),
                ("BackOff", "Warning", "Back-off restarting failed container", 3),
                ("Failed", "Warning", "[bold]Error[/bold] \x1b[2J pulling image", 2),
            ]
        )
    ],
}

JUNIT = """<?xml version="1.0" encoding="UTF-8"?>
<testsuites>
  <testsuite name="e2e" tests="3" failures="1">
    <testcase name="passes quickly" classname="e2e" time="1.5"/>
    <testcase name="[sig-net] fails loudly" classname="e2e" time="12.25">
      <failure message="boom">expected 1 got 2 at line 42</failure>
    </testcase>
    <testcase name="skipped one" classname="e2e"><skipped/></testcase>
  </testsuite>
</testsuites>
"""


def make_bucket(root: Path, *, builds: dict[str, tuple[str | None, int]] = BUILDS) -> Path:
    """A small Prow-like bucket under ``root``: one periodic job with a few builds."""
    job = root / JOB
    for build_id, (result, started) in builds.items():
        build = job / build_id
        (build / "artifacts" / "build-resources").mkdir(parents=True)
        (build / "started.json").write_text(json.dumps({"timestamp": started}))
        if result is not None:
            (build / "finished.json").write_text(
                json.dumps(
                    {"timestamp": started + 3725, "passed": result == "SUCCESS", "result": result}
                )
            )
        lines = [f"line {n} doing work" for n in range(200)]
        lines[150] = "ERROR: something failed here"
        (build / "build-log.txt").write_text("\n".join(lines) + "\n")
        (build / "artifacts" / "build-resources" / "events.json").write_text(json.dumps(EVENTS))
        (build / "artifacts" / "junit_e2e.xml").write_text(JUNIT)
        (build / "artifacts" / "blob.bin").write_bytes(bytes(range(256)) * 8)
    (job / "latest-build.txt").write_text(max(builds))
    return root


async def settle(pilot: Pilot, rounds: int = 40) -> None:
    """Wait until timers fired and every worker finished (bounded); a worker cancelled on the
    way (an exclusive one replaced by a newer one) does not end the wait early."""
    app = pilot.app

    def busy() -> bool:
        return any(w.state in (WorkerState.PENDING, WorkerState.RUNNING) for w in app.workers)

    async def wait() -> None:
        for _ in range(rounds):
            if not busy():
                return
            with contextlib.suppress(WorkerCancelled):
                await app.workers.wait_for_complete()
            await pilot.pause()

    for _ in range(rounds):
        await pilot.pause(0.05)
        await wait()
        await pilot.pause()
        if not busy():
            await pilot.pause(0.15)
            await wait()
            if not busy():
                return


class CountingSource(LocalSource):
    """A local source that counts listings per path and can be told to fail some."""

    def __init__(self, root: Path) -> None:
        super().__init__(root, bucket="test-bucket")
        self.listings: dict[str, int] = {}
        self.failing: set[str] = set()

    async def list(self, path: str):  # type: ignore[override]
        self.listings[path] = self.listings.get(path, 0) + 1
        if path in self.failing:
            raise NotFound(f"{path}: refused by the test [bold]x[/bold]", path)
        return await super().list(path)


async def test_listing_cache_lists_once_for_concurrent_callers(tmp_path: Path) -> None:
    source = CountingSource(make_bucket(tmp_path))
    cache = ListingCache(source)
    first, second = await asyncio.gather(cache.get(JOB), cache.get(JOB))
    assert first == second and [e.name for e in first][:3] == ["1001/", "1002/", "1003/"]
    assert source.listings == {JOB: 1}
    cache.forget("logs/")
    await cache.get(JOB)
    assert source.listings == {JOB: 2}


async def test_build_results_are_read_once_and_pending_without_finished(tmp_path: Path) -> None:
    source = LocalSource(make_bucket(tmp_path))
    cache = BuildResultCache(source)
    results = await asyncio.gather(*(cache.get(f"{JOB}{b}/") for b in BUILDS))
    assert [r.result for r in results] == ["SUCCESS", "FAILURE", "PENDING"]
    assert results[0].started is not None and results[0].started.year == 2023
    assert cache.cached(f"{JOB}1001") is results[0]

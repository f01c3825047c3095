"""Integration of the on-disk cache with the log view, the explorer and the config file.

Through the tests' gcsweb server: a streamed log lands in the cache exactly once and opens
from it with no request; sources without a cache keep a bounded download directory.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from urllib.parse import unquote

import pytest
from textual.app import App, ComposeResult

from prowtui.app import Explorer, ProwtuiApp
from prowtui.app.widgets.log_panel import LogPanel
from prowtui.cache import Cache
from prowtui.commands.explore import build_app
from prowtui.logs.fetch import log_cache_path, logs_dir, prune_logs
from prowtui.sources.cached import CachedSource
from prowtui.sources.gcsweb import GcswebSource
from prowtui.sources.http import RetryPolicy
from prowtui.sources.local import LocalSource
from prowtui.sources.resolve import resolve_target
from tests.test_app_support import JOB, make_bucket, settle

SIZE = (80, 16)
FAST_RETRY = RetryPolicy(attempts=2, total=5.0, initial_wait=0.01, max_wait=0.05)
#: a log big enough to be kept in a file of its own by the cache (FILE_THRESHOLD is 256 KB)
BIG_LOG = b"".join(b"line %06d of a long step output\n" % i for i in range(12_000))


class PanelApp(App[None]):
    def compose(self) -> ComposeResult:
        yield LogPanel()


async def wait_for(pilot, predicate, timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        assert loop.time() < deadline, "condition not reached in time"
        await pilot.pause(0.02)


@pytest.fixture
def bucket(tmp_path: Path) -> Path:
    root = make_bucket(tmp_path / "bucket")
    for build in ("1001", "1003"):
        (root / JOB / build / "build-log.txt").write_bytes(BIG_LOG)
    return root


def cached_source(server, store: Path, *, offline: bool = False) -> CachedSource:
    inner = GcswebSource(
        server.base_url, server.bucket, storage_url=server.storage_url, retry=FAST_RETRY
    )
    return CachedSource(inner, Cache(store), offline=offline)


def files_holding(root: Path, data: bytes) -> list[Path]:
    """Every file below ``root`` whose bytes are ``data``."""
    found = []
    for file in root.rglob("*"):
        if file.is_file() and file.stat().st_size == len(data) and file.read_bytes() == data:
            found.append(file)
    return found


async def open_log(pilot, panel: LogPanel, source, path: str) -> None:
    panel.open_remote(source, path, len(BIG_LOG))
    await wait_for(pilot, lambda: bool(panel.error) or (panel.complete and panel.view.index.done))


async def test_streamed_log_of_a_finished_build_is_kept_once_in_the_cache(
    tmp_path: Path, bucket: Path, gcsweb_server_factory
) -> None:
    server = gcsweb_server_factory(bucket, bucket="test-bucket")
    store = tmp_path / "store"
    source = cached_source(server, store)
    path = JOB + "1001/build-log.txt"
    app = PanelApp()
    async with app.run_test(size=SIZE) as pilot:
        panel = app.query_one(LogPanel)
        await open_log(pilot, panel, source, path)
        assert not panel.error and panel.view.index.line_count == 12_000
        hit = source.cache.get(source.key("obj", path))
        assert hit is not None and hit.ttl is None  # a finished build: kept until evicted
        assert files_holding(store, BIG_LOG) == [hit.file]
        assert files_holding(logs_dir(), BIG_LOG) == []
        assert not log_cache_path(source, path).exists()
        assert list(source.cache.temp_dir().iterdir()) == []

        server.reset_counts()
        await open_log(pilot, panel, source, path)
        assert panel.view.index.path == hit.file
        assert panel.view.index.line_count == 12_000
        assert server.paths_requested == []  # opened from the cache: no download, no stat
    await source.aclose()


async def test_log_of_a_running_build_is_cached_with_the_ttl(
    tmp_path: Path, bucket: Path, gcsweb_server_factory
) -> None:
    server = gcsweb_server_factory(bucket, bucket="test-bucket")
    source = cached_source(server, tmp_path / "store")
    path = JOB + "1003/build-log.txt"  # no finished.json
    app = PanelApp()
    async with app.run_test(size=SIZE) as pilot:
        panel = app.query_one(LogPanel)
        await open_log(pilot, panel, source, path)
        hit = source.cache.get(source.key("obj", path))
        assert hit is not None and hit.ttl == source.cache.ttl_seconds
        assert len(files_holding(tmp_path / "store", BIG_LOG)) == 1
    await source.aclose()


async def test_offline_log_that_was_never_fetched_says_not_cached(
    tmp_path: Path, bucket: Path, gcsweb_server_factory
) -> None:
    server = gcsweb_server_factory(bucket, bucket="test-bucket")
    source = cached_source(server, tmp_path / "store", offline=True)
    app = PanelApp()
    async with app.run_test(size=SIZE) as pilot:
        panel = app.query_one(LogPanel)
        await open_log(pilot, panel, source, JOB + "1002/build-log.txt")
        assert "not in the cache" in panel.error
        assert server.paths_requested == []
        assert app.is_running
    await source.aclose()


def test_downloads_of_sources_without_a_cache_are_bounded() -> None:
    root = logs_dir() / "ab"
    root.mkdir(parents=True, exist_ok=True)
    for old in logs_dir().glob("*/*"):
        old.unlink()
    files = []
    for n in range(12):
        file = root / f"{n:02d}.log"
        file.write_bytes(b"x" * 100)
        os.utime(file, (1_000_000 + n, 1_000_000 + n))
        files.append(file)
    leftover = root / ".99.log.part-1-abcd"
    leftover.write_bytes(b"partial")
    os.utime(leftover, (1_000_000, 1_000_000))
    removed = prune_logs(protect=files[0], keep=4, now=2_000_000)
    remaining = sorted(p.name for p in root.iterdir())
    assert remaining == ["00.log", "09.log", "10.log", "11.log"]
    assert leftover in removed
    prune_logs(keep=8, max_bytes=250, now=2_000_000)
    assert sorted(p.name for p in root.iterdir()) == ["10.log", "11.log"]


# -- walk through the cache (GCS's one recursive listing) ----------------------------------


def gcs_tree(root: Path) -> Path:
    for build, finished in (("1", True), ("2", True), ("3", False)):
        base = root / "logs" / "job" / build
        (base / "artifacts").mkdir(parents=True)
        (base / "started.json").write_text('{"timestamp": 1700000000}')
        if finished:
            (base / "finished.json").write_text('{"timestamp": 1700000100, "result": "SUCCESS"}')
        (base / "build-log.txt").write_text("step\n")
        (base / "artifacts" / "junit_e2e.xml").write_text("<testsuites/>")
    (root / "logs" / "job" / "latest-build.txt").write_text("3")
    return root


def listings(emulator) -> list[str]:
    """The object listings in the emulator's request log, as recursive or one-level."""
    out = []
    for line in emulator.request_log:
        if "/o?" in line or line.endswith("/o"):
            prefix = line.split("prefix=", 1)[1].split("&", 1)[0] if "prefix=" in line else ""
            out.append(("level " if "delimiter=" in line else "walk ") + unquote(prefix))
    return out


async def test_walk_through_the_cache_is_one_listing_then_none(
    tmp_path: Path, emulator, emulator_bucket
) -> None:
    from prowtui.analysis.crawl import crawl_job
    from prowtui.sources.gcs import GcsSource

    bucket = emulator_bucket(gcs_tree(tmp_path / "tree"))
    now = [1_000.0]
    cache = Cache(tmp_path / "store", ttl_seconds=60, clock=lambda: now[0])
    source = CachedSource(GcsSource(bucket, concurrency=4, timeout=10), cache)
    assert callable(getattr(source, "walk", None))

    emulator.reset_counter()
    cold = await crawl_job(source, "logs/job/")
    assert [b.build_id for b in cold] == ["1", "2", "3"]
    assert listings(emulator) == ["walk logs/job/"]  # the crawl kept the one recursive listing

    emulator.reset_counter()
    warm = await crawl_job(source, "logs/job/")
    assert [(b.build_id, b.top_level) for b in warm] == [(b.build_id, b.top_level) for b in cold]
    assert emulator.requests == 0, emulator.request_log

    now[0] += 120  # the job's walk and the running build's expire; finished builds stay
    emulator.reset_counter()
    paths = [e.path async for e in source.walk("logs/job/")]
    assert sorted(listings(emulator)) == ["level logs/job/", "walk logs/job/3/"]
    assert paths == [e.path async for e in source.inner.walk("logs/job/")]
    assert len(paths) == 12

    now[0] += 3600  # offline: the expired walk still answers, without a request
    offline = CachedSource(GcsSource(bucket, concurrency=4, timeout=10), cache, offline=True)
    emulator.reset_counter()
    assert [e.path async for e in offline.walk("logs/job/")] == paths
    assert emulator.requests == 0
    await source.aclose()


# -- the config file in the explorer ---------------------------------------------------------


def write_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, text: str) -> None:
    path = tmp_path / "prowtui.toml"
    path.write_text(text)
    monkeypatch.setenv("PROWTUI_CONFIG", str(path))


def log_bucket(root: Path) -> Path:
    make_bucket(root)
    lines = ["starting", "the widget exploded", "x" * 200, "ERROR: default pattern", "done"]
    (root / JOB / "1001" / "build-log.txt").write_text("\n".join(lines) + "\n")
    return root


async def test_config_error_patterns_and_line_limit_reach_the_log_view(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config(
        monkeypatch,
        tmp_path,
        '[logs]\nerror_patterns = ["widget explod(ed|ing)"]\nmax_line_chars = 40\n',
    )
    source = LocalSource(log_bucket(tmp_path / "bucket"), bucket="test-bucket")
    app = build_app(source, None, JOB + "1001/build-log.txt")
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        panel = app.main_screen.preview.query_one(LogPanel)
        await wait_for(pilot, lambda: panel.view.index is not None and panel.view.index.done)
        view = panel.view
        errors = [view._is_error(i, view.index.read_line(i)) for i in range(5)]
        assert errors == [False, True, False, True, False]  # config pattern plus the defaults
        assert view.max_line_chars == 40
        rendered = "".join(seg.text for seg in view.render_line(2))
        assert "x" * 40 + " …[+160 chars]" in rendered


async def test_config_keys_remap_log_bindings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config(monkeypatch, tmp_path, '[keys]\n"log.search" = "ctrl+f"\n')
    source = LocalSource(log_bucket(tmp_path / "bucket"), bucket="test-bucket")
    app = build_app(source, None, JOB + "1001/build-log.txt")
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        panel = app.main_screen.preview.query_one(LogPanel)
        await wait_for(pilot, lambda: panel.view.index is not None and panel.view.index.done)
        panel.view.focus()
        bar = panel.query_one("#log-search")
        await pilot.press("slash")
        assert not bar.has_class("-visible")  # the old key no longer searches
        await pilot.press("ctrl+f")
        assert bar.has_class("-visible") and panel.query_input.has_focus
        await pilot.press("escape")
        assert panel.view.has_focus and not bar.has_class("-visible")


# -- offline in the explorer ---------------------------------------------------------------


def explorer_app(server, store: Path, start: str, *, offline: bool = False):
    source = cached_source(server, store, offline=offline)
    spec, _ = resolve_target(f"{server.base_url}/gcs/{server.bucket}/", None)
    return ProwtuiApp(Explorer(source, spec, start))


def child_paths(node) -> list[str]:
    return [c.data.path for c in node.children if c.data.role == "entry"]


async def test_offline_explorer_serves_what_was_seen_and_names_what_was_not(
    tmp_path: Path, bucket: Path, gcsweb_server_factory
) -> None:
    server = gcsweb_server_factory(bucket, bucket="test-bucket")
    store = tmp_path / "store"
    log = JOB + "1001/build-log.txt"
    online = explorer_app(server, store, JOB)
    async with online.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        online.main_screen.goto(log)
        await settle(pilot)
        panel = online.main_screen.preview.query_one(LogPanel)
        await wait_for(pilot, lambda: panel.complete and panel.view.index.done)
        seen = child_paths(online.main_screen.tree.node_for_path(JOB + "1001/"))
    server.stop()

    app = explorer_app(server, store, JOB, offline=True)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        main = app.main_screen
        assert "offline" in app.explorer.describe()
        main.goto(log)
        await settle(pilot)
        assert child_paths(main.tree.node_for_path(JOB + "1001/")) == seen
        panel = main.preview.query_one(LogPanel)
        await wait_for(pilot, lambda: panel.complete and panel.view.index.done)
        assert not panel.error and panel.view.index.line_count == 12_000

        main.goto(JOB + "1002/artifacts/")  # never listed online
        await settle(pilot)
        node = main.tree.node_for_path(JOB + "1002/artifacts/")
        (error,) = node.children
        assert error.data.role == "error" and "not in the cache" in str(error.label)
        assert "retry" not in str(error.label)

        main.goto(JOB + "1002/build-log.txt")  # listed, never read
        await settle(pilot)
        panel = main.preview.query_one(LogPanel)
        await wait_for(pilot, lambda: bool(panel.error))
        assert "not in the cache" in panel.error

        main.goto(JOB + "1001/started.json")  # listed, read for the build's result
        await settle(pilot)
        assert main.preview.preview_kind == "metadata"
        assert app.is_running

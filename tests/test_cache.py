"""The on-disk cache and the caching source: TTLs, finished builds, eviction, two processes,
corruption, offline mode."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from prowtui.cache import FILE_THRESHOLD, SYNC_FILE_BYTES, Cache
from prowtui.errors import NotCached, NotFound, Unreachable
from prowtui.sources.base import Entry, ObjectInfo
from prowtui.sources.cached import CachedSource
from prowtui.sources.local import LocalSource

REPO = Path(__file__).resolve().parent.parent
BIG_LOG = b"".join(b"line %06d of a long build log\n" % i for i in range(20_000))


class Clock:
    """A controllable clock (seconds)."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


class Counting:
    """A source wrapper recording every call that reaches the backend."""

    def __init__(self, inner: LocalSource) -> None:
        self.inner = inner
        self.kind = inner.kind
        self.bucket = inner.bucket
        self.root = inner.root
        self.calls: list[tuple[str, str]] = []
        self.unreachable = False

    def _record(self, op: str, path: str) -> None:
        if self.unreachable:
            raise Unreachable(f"{path}: server unreachable (test)", path)
        self.calls.append((op, path))

    def describe(self) -> str:
        return self.inner.describe()

    async def list(self, path: str) -> list[Entry]:
        self._record("list", path)
        return await self.inner.list(path)

    async def read(self, path: str, start: int | None = None, end: int | None = None) -> bytes:
        self._record("read", path)
        return await self.inner.read(path, start, end)

    async def stat(self, path: str) -> ObjectInfo:
        self._record("stat", path)
        return await self.inner.stat(path)

    async def stream(self, path: str, chunk_size: int = 1 << 20) -> AsyncIterator[bytes]:
        self._record("stream", path)
        async for chunk in self.inner.stream(path, chunk_size):
            yield chunk

    async def aclose(self) -> None:
        await self.inner.aclose()


class Exploding(Counting):
    """A backend that must never be called (offline mode)."""

    def _record(self, op: str, path: str) -> None:
        raise AssertionError(f"offline mode called the backend: {op} {path}")


@pytest.fixture
def bucket(tmp_path: Path) -> Path:
    """A job with one finished build (1) and one pending build (2)."""
    root = tmp_path / "bucket"
    job = root / "logs" / "job"
    for build, files in {
        "1": {"started.json": "{}", "finished.json": '{"result": "SUCCESS"}'},
        "2": {"started.json": "{}"},
    }.items():
        (job / build / "artifacts").mkdir(parents=True)
        for name, text in files.items():
            (job / build / name).write_text(text)
        (job / build / "artifacts" / "junit.xml").write_text("<testsuites/>")
        (job / build / "build-log.txt").write_bytes(BIG_LOG)
    (job / "latest-build.txt").write_text("2")
    return root


@pytest.fixture
def clock() -> Clock:
    return Clock()


def make(
    root: Path, store: Path, clock: Clock, *, offline: bool = False, ttl: float = 300
) -> tuple[CachedSource, Counting]:
    backend = (Exploding if offline else Counting)(LocalSource(root))
    cache = Cache(store, max_size_mb=64, ttl_seconds=ttl, clock=clock)
    return CachedSource(backend, cache, offline=offline), backend


async def test_finished_build_is_not_fetched_again(bucket: Path, tmp_path: Path, clock: Clock):
    store = tmp_path / "store"
    first, backend = make(bucket, store, clock)
    listing = await first.list("logs/job/1/")
    log = await first.read("logs/job/1/build-log.txt")
    junit = await first.read("logs/job/1/artifacts/junit.xml")
    info = await first.stat("logs/job/1/started.json")
    assert log == BIG_LOG
    assert ("list", "logs/job/1/") in backend.calls
    await first.aclose()

    clock.now += 10 * 24 * 3600  # ten days later, a new process
    second, backend2 = make(bucket, store, clock)
    assert await second.list("logs/job/1/") == listing
    assert await second.read("logs/job/1/build-log.txt") == log
    assert await second.read("logs/job/1/artifacts/junit.xml") == junit
    assert await second.stat("logs/job/1/started.json") == info
    assert await second.read("logs/job/1/build-log.txt", 5, 25) == BIG_LOG[5:25]
    assert await second.read("logs/job/1/build-log.txt", -10) == BIG_LOG[-10:]
    assert backend2.calls == []


async def test_pending_build_and_job_listing_expire(bucket: Path, tmp_path: Path, clock: Clock):
    source, backend = make(bucket, tmp_path / "store", clock, ttl=300)
    await source.list("logs/job/")
    await source.read("logs/job/latest-build.txt")
    await source.read("logs/job/2/started.json")
    before = len(backend.calls)

    clock.now += 299
    await source.list("logs/job/")
    await source.read("logs/job/latest-build.txt")
    await source.read("logs/job/2/started.json")
    assert len(backend.calls) == before

    clock.now += 2
    (bucket / "logs" / "job" / "latest-build.txt").write_text("3")
    assert await source.read("logs/job/latest-build.txt") == b"3"
    await source.list("logs/job/")
    await source.read("logs/job/2/started.json")
    refetched = {call for call in backend.calls[before:]}
    assert refetched >= {
        ("read", "logs/job/latest-build.txt"),
        ("list", "logs/job/"),
        ("read", "logs/job/2/started.json"),
    }


async def test_build_that_finishes_becomes_permanent(bucket: Path, tmp_path: Path, clock: Clock):
    source, backend = make(bucket, tmp_path / "store", clock, ttl=60)
    assert "finished.json" not in {e.name for e in await source.list("logs/job/2/")}
    (bucket / "logs" / "job" / "2" / "finished.json").write_text('{"result": "FAILURE"}')
    clock.now += 61
    assert "finished.json" in {e.name for e in await source.list("logs/job/2/")}
    await source.read("logs/job/2/finished.json")
    clock.now += 100_000
    calls = len(backend.calls)
    await source.list("logs/job/2/")
    await source.read("logs/job/2/finished.json")
    assert len(backend.calls) == calls


async def test_missing_path_in_finished_build_is_remembered(
    bucket: Path, tmp_path: Path, clock: Clock
):
    source, backend = make(bucket, tmp_path / "store", clock)
    for _ in range(2):
        with pytest.raises(NotFound):
            await source.read("logs/job/1/podinfo.json")
    assert backend.calls.count(("read", "logs/job/1/podinfo.json")) == 1


async def test_sources_never_share_entries(bucket: Path, tmp_path: Path, clock: Clock):
    other = tmp_path / "other"
    (other / "logs" / "job" / "1").mkdir(parents=True)
    (other / "logs" / "job" / "1" / "finished.json").write_text("other")
    store = tmp_path / "store"
    one, _ = make(bucket, store, clock)
    two, _ = make(other, store, clock)
    assert await one.read("logs/job/1/finished.json") == b'{"result": "SUCCESS"}'
    assert await two.read("logs/job/1/finished.json") == b"other"


async def test_offline_serves_seen_paths_and_refuses_others(
    bucket: Path, tmp_path: Path, clock: Clock
):
    store = tmp_path / "store"
    online, _ = make(bucket, store, clock, ttl=300)
    await online.list("logs/job/")
    await online.read("logs/job/latest-build.txt")
    await online.read("logs/job/1/build-log.txt")
    with pytest.raises(NotFound):
        await online.read("logs/job/1/podinfo.json")
    await online.aclose()

    clock.now += 3 * 24 * 3600  # stale entries still answer offline
    offline, _ = make(bucket, store, clock, offline=True)
    assert "1/" in {e.name for e in await offline.list("logs/job/")}
    assert await offline.read("logs/job/latest-build.txt") == b"2"
    assert await offline.read("logs/job/1/build-log.txt", 0, 4) == b"line"
    chunks = [chunk async for chunk in offline.stream("logs/job/1/build-log.txt")]
    assert b"".join(chunks) == BIG_LOG
    with pytest.raises(NotFound):
        await offline.read("logs/job/1/podinfo.json")
    with pytest.raises(NotCached, match=r"logs/job/2/started.json: not in the cache"):
        await offline.read("logs/job/2/started.json")
    with pytest.raises(NotCached, match="run once online"):
        await offline.list("logs/job/2/")
    with pytest.raises(NotCached):
        await offline.stat("logs/job/1/started.json")
    assert "offline" in offline.describe()


async def test_unreachable_server_falls_back_to_stale_entry(
    bucket: Path, tmp_path: Path, clock: Clock
):
    source, backend = make(bucket, tmp_path / "store", clock, ttl=10)
    listing = await source.list("logs/job/")
    clock.now += 11
    backend.unreachable = True
    assert await source.list("logs/job/") == listing
    with pytest.raises(Unreachable):
        await source.read("logs/job/2/started.json")


async def test_stream_lands_in_cache_as_a_file(bucket: Path, tmp_path: Path, clock: Clock):
    source, backend = make(bucket, tmp_path / "store", clock)
    assert await source.cached_file("logs/job/1/build-log.txt") is None
    streamed = b"".join([c async for c in source.stream("logs/job/1/build-log.txt", 4096)])
    assert streamed == BIG_LOG
    path = await source.cached_file("logs/job/1/build-log.txt")
    assert path is not None and path.read_bytes() == BIG_LOG
    calls = len(backend.calls)
    assert await source.read("logs/job/1/build-log.txt", 100, 200) == BIG_LOG[100:200]
    again = b"".join([c async for c in source.stream("logs/job/1/build-log.txt")])
    assert again == BIG_LOG and len(backend.calls) == calls


async def test_corrupted_entries_are_fetched_again(bucket: Path, tmp_path: Path, clock: Clock):
    store = tmp_path / "store"
    source, backend = make(bucket, store, clock)
    await source.list("logs/job/1/")
    await source.read("logs/job/1/build-log.txt")
    await source.read("logs/job/1/started.json")
    source.cache.flush()  # the background writer has stored what was fetched
    # flip bytes of the big object's file and of a small inline entry
    big = source.cache.get(source.key("obj", "logs/job/1/build-log.txt"))
    assert big is not None and big.file is not None
    big.file.write_bytes(b"X" + BIG_LOG[1:])
    raw_store = source.cache._store
    key = source.key("obj", "logs/job/1/started.json")
    raw_store.set(key, raw_store.get(key)[:-2] + b"!}")
    listing_key = source.key("ls", "logs/job/1/")
    raw_store.set(listing_key, b"garbage")
    backend.calls.clear()

    assert await source.read("logs/job/1/build-log.txt") == BIG_LOG
    assert await source.read("logs/job/1/started.json") == b"{}"
    assert "finished.json" in {e.name for e in await source.list("logs/job/1/")}
    assert {call[1] for call in backend.calls} >= {
        "logs/job/1/build-log.txt",
        "logs/job/1/started.json",
        "logs/job/1/",
    }


def test_damaged_database_is_replaced(tmp_path: Path, clock: Clock):
    store = tmp_path / "store"
    store.mkdir()
    (store / "cache.db").write_bytes(b"this is not an sqlite database" * 100)
    cache = Cache(store, clock=clock)
    cache.put("k", b"value", ttl=None)
    hit = cache.get("k")
    assert hit is not None and hit.read() == b"value"


def test_ttl_expiry_and_stale_reads(tmp_path: Path, clock: Clock):
    cache = Cache(tmp_path / "store", clock=clock)
    cache.put("short", b"a", ttl=5)
    cache.put("forever", b"b", ttl=None)
    clock.now += 6
    assert cache.get("short") is None
    stale = cache.get("short", allow_stale=True)
    assert stale is not None and not stale.fresh and stale.read() == b"a"
    kept = cache.get("forever")
    assert kept is not None and kept.fresh


def test_eviction_keeps_the_store_under_its_cap(tmp_path: Path, clock: Clock):
    cap_mb = 3
    cache = Cache(tmp_path / "store", max_size_mb=cap_mb, clock=clock)
    value = b"v" * (300 * 1024)
    for index in range(40):
        cache.put(f"k{index}", value, ttl=None)
        assert cache.get("k0") is not None  # used all along: least recently used it is not
    info = cache.info()
    assert info.size_bytes <= cap_mb * 1024 * 1024 + len(value)
    assert info.entries < 40
    assert cache.get("k1") is None  # the oldest unused entries went first
    assert cache.get("k39") is not None
    assert cache.get("k0") is not None


def _access_times(store: Path) -> dict[str, float]:
    """access_time per key, read straight from diskcache's database."""
    with sqlite3.connect(store / "cache.db") as con:
        return dict(con.execute("SELECT key, access_time FROM Cache"))


def test_reads_write_nothing_until_access_times_are_flushed(tmp_path: Path, clock: Clock):
    store = tmp_path / "store"
    cache = Cache(store, clock=clock)
    cache.put("small", b"x", ttl=None)
    cache.put("big", b"y" * (FILE_THRESHOLD + 1), ttl=None)
    before = _access_times(store)
    time.sleep(0.01)
    for _ in range(3):
        assert cache.get("small") is not None and cache.get("big") is not None
    assert _access_times(store) == before  # no write per read
    cache.close()
    after = _access_times(store)
    assert set(after) == set(before)  # the record and the big payload's data row
    assert all(after[key] > before[key] for key in before)


def test_eviction_by_another_process_sees_flushed_reads(tmp_path: Path, clock: Clock):
    store = tmp_path / "store"
    value = b"v" * (300 * 1024)
    reader = Cache(store, max_size_mb=3, clock=clock)
    for index in range(6):
        reader.put(f"k{index}", value, ttl=None)
    time.sleep(0.01)
    assert reader.get("k0") is not None  # k0 is now the most recently used of the six
    reader.close()
    writer = Cache(store, max_size_mb=3, clock=clock)  # its own connection, like a process
    for index in range(6, 12):
        writer.put(f"k{index}", value, ttl=None)
    assert writer.get("k1") is None and writer.get("k0") is not None


async def test_aget_loads_a_file_payload_once_and_checks_it(tmp_path: Path, clock: Clock):
    cache = Cache(tmp_path / "store", clock=clock)
    payload = bytes(range(256)) * (SYNC_FILE_BYTES // 128)  # 2 MiB: past the event-loop limit
    cache.put("big", payload, ttl=None)
    loaded = await cache.aget("big", load=len(payload))
    assert loaded is not None and loaded.inline == payload and loaded.file is not None
    assert loaded.read() == payload and b"".join(loaded.chunks(1000)) == payload
    by_path = await cache.aget("big")  # checksummed in a thread, then trusted this run
    assert by_path is not None and by_path.inline is None and by_path.file == loaded.file
    assert await cache.aget("big") is not None
    by_path.file.write_bytes(payload[:-1] + b"!")  # damaged after it was checked
    assert await cache.aget("big", load=len(payload)) is None  # a load always checks
    assert cache.get("big") is None  # and the damaged entry is gone


async def test_ranges_of_a_trusted_file_notice_a_rewrite(tmp_path: Path, clock: Clock):
    cache = Cache(tmp_path / "store", clock=clock)
    payload = b"z" * (2 * SYNC_FILE_BYTES)
    cache.put("log", payload, ttl=None)
    hit = await cache.aget("log")
    assert hit is not None and hit.file is not None
    hit.file.write_bytes(payload + b"more")  # another size: no longer the file checked
    assert await cache.aget("log") is None


_WRITER = """
import sys
from pathlib import Path
from prowtui.cache import FILE_THRESHOLD, SYNC_FILE_BYTES, Cache

store, name = Path(sys.argv[1]), sys.argv[2]
cache = Cache(store, max_size_mb=512)
for i in range(150):
    payload = (f"{i}:" * (50 if i % 10 else 40_000)).encode()
    cache.put(f"shared-{i}", payload, ttl=None)
    cache.put(f"{name}-{i}", payload, ttl=60)
    hit = cache.get(f"shared-{i}")
    assert hit is not None and hit.read() == payload, i
print("done")
"""


def run_writers(script: str, store: Path, names: tuple[str, ...] = ("a", "b")) -> None:
    """Run ``python -c script STORE NAME`` for each name at once; each must print "done"."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(store), name],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in names
    ]
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert out.strip() == "done"


def test_two_processes_write_at_once(tmp_path: Path):
    store = tmp_path / "store"
    run_writers(_WRITER, store)
    cache = Cache(store, max_size_mb=512)
    for i in range(150):
        payload = (f"{i}:" * (50 if i % 10 else 40_000)).encode()
        for key in (f"shared-{i}", f"a-{i}", f"b-{i}"):
            hit = cache.get(key)
            assert hit is not None and hit.read() == payload
    assert cache.info().entries == 450


def test_info_and_clear(tmp_path: Path, clock: Clock):
    cache = Cache(tmp_path / "store", clock=clock)
    cache.put("small", b"x", ttl=None)
    cache.put("big", b"y" * 400_000, ttl=None)
    info = cache.info()
    assert info.entries == 2 and info.size_bytes >= 400_000
    assert json.loads(json.dumps(info.to_json()))["entries"] == 2
    assert cache.clear() == 2
    assert cache.info().entries == 0 and cache.get("big") is None


@pytest.mark.parametrize("generation", ["modern", "legacy"])
async def test_second_look_through_gcsweb_makes_no_request(
    bucket: Path, tmp_path: Path, clock: Clock, gcsweb_server_factory, generation: str
):
    from prowtui.sources.gcsweb import GcswebSource

    server = gcsweb_server_factory(bucket, generation, bucket="b")
    store = tmp_path / "store"

    async def look() -> tuple[list[Entry], bytes, bytes]:
        inner = GcswebSource(server.base_url, "b", storage_url=server.storage_url)
        source = CachedSource(inner, Cache(store, clock=clock))
        try:
            listing = await source.list("logs/job/1/")
            log = await source.read("logs/job/1/build-log.txt")
            tail = await source.read("logs/job/1/build-log.txt", len(BIG_LOG) - 50)
            return listing, log, tail
        finally:
            await source.aclose()

    cold = await look()
    assert server.request_count > 0 and cold[1] == BIG_LOG and cold[2] == BIG_LOG[-50:]
    server.reset_counts()
    clock.now += 7 * 24 * 3600
    assert await look() == cold
    assert server.request_count == 0


class CountingCache(Cache):
    """A cache that counts the lookups a caching source makes (one SQLite query each)."""

    lookups: int = 0

    async def alookup(self, key: str, fallback: str, **kwargs):  # type: ignore[no-untyped-def]
        self.lookups += 1
        return await super().alookup(key, fallback, **kwargs)


async def test_a_cold_crawl_asks_the_cache_only_for_what_it_may_hold(
    bucket: Path, tmp_path: Path, clock: Clock
):
    cache = CountingCache(tmp_path / "store", max_size_mb=64, ttl_seconds=300, clock=clock)
    backend = Counting(LocalSource(bucket))
    source = CachedSource(backend, cache)
    job = await source.list("logs/job/")
    for build in (e.path for e in job if e.is_dir):
        await source.list(build)
        await source.read(build + "started.json")
        await source.list(build + "artifacts/")
    # only the job listing was looked up: everything below it was new to the cache
    assert cache.lookups == 1 and len(backend.calls) == 7
    # asked again in this run, from the cache: looked up, not fetched
    assert await source.read("logs/job/1/started.json") == b"{}"
    assert cache.lookups == 2 and len(backend.calls) == 7
    await source.aclose()

    # a later run finds the job listing stored: every path is looked up, finished build 1
    # answers from the cache, the pending build 2 (kept for the TTL) too
    cache = CountingCache(tmp_path / "store", max_size_mb=64, ttl_seconds=300, clock=clock)
    again = CachedSource(Counting(LocalSource(bucket)), cache)
    assert await again.list("logs/job/") == job
    assert await again.list("logs/job/1/") == await source.list("logs/job/1/")
    assert cache.lookups == 2 and again.inner.calls == []
    await again.aclose()


async def test_a_child_stored_by_another_route_still_answers_the_same(
    bucket: Path, tmp_path: Path, clock: Clock
):
    """Another process listed build 1 on its own; this one then lists the job, new to the
    cache, and fetches build 1 again (once) rather than looking it up: the same answer."""
    other, _ = make(bucket, tmp_path / "store", clock)
    first = await other.list("logs/job/1/")
    await other.aclose()
    source, backend = make(bucket, tmp_path / "store", clock)
    await source.list("logs/job/")
    assert await source.list("logs/job/1/") == first
    assert await source.list("logs/job/1/") == first
    assert backend.calls == [("list", "logs/job/"), ("list", "logs/job/1/")]
    await source.aclose()

"""Retries against injected faults: recovered when transient, bounded when not, never truncated."""

from __future__ import annotations

import gzip
import socket
import time
import tracemalloc
from collections.abc import AsyncIterator, Callable
from email.utils import formatdate
from pathlib import Path

import aiohttp
import pytest

from prowtui.errors import AccessDenied, BadResponse, NotFound, Unreachable
from prowtui.sources.gcsweb import GcswebSource
from prowtui.sources.http import (
    USER_AGENT,
    RetryPolicy,
    fetch,
    make_client,
    make_retrying,
    parse_retry_after,
    stream_bytes,
)
from tests.servers.gcsweb_server import FaultPlan, GcswebServer

FAST = RetryPolicy(attempts=5, initial_wait=0.001, max_wait=0.01, total=20.0)
BODY = b"".join(b"%06d some log line\n" % i for i in range(20_000))  # ~360 kB
FILES = {
    "logs/job/1/build-log.txt": BODY,
    "logs/job/1/finished.json": b'{"passed": true}',
    "logs/job/1/artifacts/events.json": gzip.compress(b'{"items": []}'),
    "logs/job/2/build-log.txt": b"short\n",
}


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for key, data in FILES.items():
        (tmp_path / key).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / key).write_bytes(data)
    return tmp_path


def decoded(key: str) -> bytes:
    data = FILES[key]
    return gzip.decompress(data) if key.endswith("events.json") else data


@pytest.fixture
async def make_source(
    gcsweb_server_factory: Callable[..., GcswebServer], tree: Path
) -> AsyncIterator[Callable[..., tuple[GcswebServer, GcswebSource]]]:
    sources: list[GcswebSource] = []

    def make(
        generation: str = "modern", policy: RetryPolicy = FAST, timeout: float = 0.5, **kw: object
    ) -> tuple[GcswebServer, GcswebSource]:
        server = gcsweb_server_factory(tree, generation=generation, **kw)
        source = GcswebSource(
            server.base_url,
            server.bucket,
            storage_url=server.storage_url,
            retry=policy,
            timeout=timeout,
        )
        sources.append(source)
        return server, source

    yield make
    for source in sources:
        await source.aclose()


PREFIXES = ["", "logs/", "logs/job/", "logs/job/1/", "logs/job/1/artifacts/"]


async def snapshot(
    source: GcswebSource, prefixes: list[str] = PREFIXES, keys: tuple[str, ...] = tuple(FILES)
) -> dict[str, object]:
    """Listings and objects' bytes (whole, ranged and streamed)."""
    result: dict[str, object] = {}
    for prefix in prefixes:
        result[prefix] = [e.to_json() for e in await source.list(prefix)]
    for key in keys:
        result[key] = await source.read(key)
        result[key + "#range"] = await source.read(key, 3, 9)
        result[key + "#stream"] = b"".join([c async for c in source.stream(key, 4096)])
    return result


@pytest.mark.parametrize("kind", ["500", "429", "reset", "stall", "truncate"])
@pytest.mark.parametrize("generation", ["modern", "legacy"])
async def test_each_fault_kind_is_recovered(make_source, kind: str, generation: str) -> None:
    faults = FaultPlan(share=1.0, kinds=(kind,), max_consecutive=1, stall_seconds=0.8)
    # a short read timeout only where a stall needs it: on a loaded machine a slow answer
    # that timed out would cost an attempt the fault plan does not count
    _, source = make_source(generation, faults=faults, timeout=0.5 if kind == "stall" else 10.0)
    _, clean = make_source(generation)
    # every request fails once first; stalls cost a read timeout each, so ask less of them
    keys = ("logs/job/1/build-log.txt", "logs/job/1/artifacts/events.json")
    prefixes = ["logs/job/1/"] if kind == "stall" else PREFIXES
    got = await snapshot(source, prefixes, keys[:1] if kind == "stall" else keys)
    assert got == await snapshot(clean, prefixes, keys[:1] if kind == "stall" else keys)
    assert got["logs/job/1/build-log.txt"] == BODY
    if kind != "stall":
        events = "logs/job/1/artifacts/events.json"
        assert got[events] == decoded(events)


async def test_a_mix_of_faults_gives_the_fault_free_result(make_source) -> None:
    _, source = make_source("legacy", faults=FaultPlan(share=0.4, seed=7, stall_seconds=0.8))
    _, clean = make_source("legacy")
    assert await snapshot(source) == await snapshot(clean)


async def test_each_fault_costs_one_more_request(make_source) -> None:
    faults = FaultPlan(share=1.0, kinds=("500",), max_consecutive=2)
    server, source = make_source("modern", faults=faults)
    assert await source.read("logs/job/2/build-log.txt") == b"short\n"
    assert server.request_count == 3


async def test_permanent_500_is_unreachable_after_bounded_attempts(make_source) -> None:
    server, source = make_source("modern", faults=FaultPlan(share=0, permanent_paths={"/1/"}))
    with pytest.raises(Unreachable) as info:
        await source.read("logs/job/1/build-log.txt")
    message = str(info.value)
    assert "HTTP 500 after 5 attempts" in message and "\n" not in message
    assert message.startswith("127.0.0.1:") and "logs/job/1/build-log.txt" in message
    assert server.request_count == 5
    assert await source.read("logs/job/2/build-log.txt") == b"short\n"  # others still work


async def test_total_time_bounds_retries(make_source) -> None:
    policy = RetryPolicy(attempts=1000, initial_wait=0.05, max_wait=0.1, total=0.6)
    _, source = make_source("modern", policy, faults=FaultPlan(share=0, permanent_paths={"job"}))
    started = time.monotonic()
    with pytest.raises(Unreachable):
        await source.list("logs/job/")
    assert time.monotonic() - started < 2.0


@pytest.mark.parametrize(("status", "error"), [(403, AccessDenied), (401, AccessDenied)])
async def test_access_denied_is_not_retried(make_source, status: int, error: type) -> None:
    server, source = make_source("modern")
    server.statuses["/gcs/test-bucket/logs/"] = status
    with pytest.raises(error, match=f"HTTP {status}"):
        await source.list("logs/")
    assert server.request_count == 1


async def test_404_is_not_retried(make_source) -> None:
    server, source = make_source("legacy")
    await source.list("logs/job/1/")
    server.reset_counts()
    with pytest.raises(NotFound):
        await source.read("logs/job/1/missing.txt")
    assert server.request_count == 1  # straight to storage, which says 404 once


async def test_a_truncated_body_is_never_returned(make_source) -> None:
    # Every answer is cut short and the server closes at once. The read timeout is far longer
    # than any scheduling delay, so on a loaded machine a slow close can never pass for a
    # stall ("timed out"): each of the 3 attempts must be seen as a truncated body.
    faults = FaultPlan(share=1.0, kinds=("truncate",), max_consecutive=100)
    policy = RetryPolicy(attempts=3, initial_wait=0.001, max_wait=0.01)
    server, source = make_source("legacy", policy, timeout=30.0, faults=faults)
    with pytest.raises(BadResponse, match=r"truncated body .* after 3 attempts"):
        await source.list("logs/")
    assert server.request_count == 3

    async def streamed() -> bytes:
        return b"".join([c async for c in source.stream("logs/job/1/build-log.txt")])

    for read in (
        lambda: source.read("logs/job/1/build-log.txt"),
        lambda: source.read("logs/job/1/build-log.txt", 100, 200_000),
        streamed,
    ):
        with pytest.raises(BadResponse, match=r"truncated body .* after 3 attempts"):
            await read()


async def test_stream_resumes_without_repeating_bytes(make_source) -> None:
    faults = FaultPlan(share=0.5, kinds=("truncate", "reset"), seed=3)
    server, _ = make_source("legacy", faults=faults)
    url = f"{server.storage_url}/test-bucket/logs/job/1/build-log.txt"
    async with make_client(timeout=1.0) as client:
        chunks = [c async for c in stream_bytes(client, url, policy=FAST, chunk_size=10_000)]
    assert b"".join(chunks) == BODY


def _refused_port() -> int:
    """A port on 127.0.0.1 with nothing listening (bound once, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_connection_refused_is_retried_once_at_most() -> None:
    policy = RetryPolicy(attempts=5, initial_wait=0.2, max_wait=0.2)
    started = time.monotonic()
    async with make_client(timeout=1.0) as client:
        with pytest.raises(Unreachable, match=r"cannot connect .* after 2 attempts"):
            await fetch(client, "GET", f"http://127.0.0.1:{_refused_port()}/x", policy=policy)
    assert time.monotonic() - started < 1.0  # one wait of 0.1-0.2 s, not four


async def test_a_name_that_does_not_resolve_is_retried_once_at_most() -> None:
    policy = RetryPolicy(attempts=5, initial_wait=0.2, max_wait=0.2)
    source = GcswebSource("http://name.invalid", "b", retry=policy, timeout=5.0)
    started = time.monotonic()
    try:
        with pytest.raises(Unreachable, match=r"name\.invalid.*cannot connect.* after 2 attempts"):
            await source.list("logs/")
        with pytest.raises(Unreachable, match="after 2 attempts"):
            [chunk async for chunk in source.stream("logs/x.txt")]
    finally:
        await source.aclose()
    assert time.monotonic() - started < 5.0


async def test_a_refused_gcsweb_fails_fast_with_the_default_policy() -> None:
    source = GcswebSource(f"http://127.0.0.1:{_refused_port()}", "b")  # 5 attempts, 0.5 s on
    started = time.monotonic()
    try:
        with pytest.raises(Unreachable, match="after 2 attempts"):
            await source.list("logs/")
    finally:
        await source.aclose()
    assert time.monotonic() - started < 2.0  # was 0.5 + 1 + 2 + 4 s of backoff


async def test_client_identifies_itself(make_source) -> None:
    _, source = make_source("modern")
    assert source._client.headers["user-agent"] == USER_AGENT
    assert USER_AGENT.startswith("prowtui/") and len(USER_AGENT) > len("prowtui/")


def test_parse_retry_after() -> None:
    assert parse_retry_after("0") == 0.0
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    now = time.time()
    assert 29 <= parse_retry_after(formatdate(now + 30, usegmt=True), now=now) <= 30  # type: ignore[operator]
    assert parse_retry_after(formatdate(now - 30, usegmt=True), now=now) == 0.0


def test_policy_waits_honour_retry_after_with_a_cap() -> None:
    policy = RetryPolicy(initial_wait=1.0, max_wait=8.0, max_retry_after=5.0)

    class Limited(Exception):
        retry_after = 60.0

    assert policy.delay(1, Limited()) == 5.0
    for attempt in range(1, 8):
        assert 0 < policy.delay(attempt, None) <= min(8.0, 2 ** (attempt - 1))


async def test_make_retrying_retries_transient_errors_only() -> None:
    calls = 0

    async def flaky() -> str:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise aiohttp.SocketTimeoutError("slow")
        return "done"

    async for attempt in make_retrying(FAST):
        with attempt:
            assert await flaky() == "done"
    assert calls == 3
    with pytest.raises(ValueError):
        async for attempt in make_retrying(FAST):
            with attempt:
                raise ValueError("not transient")


async def test_server_answers_head_and_ranges_of_a_big_file_without_reading_it(
    gcsweb_server_factory: Callable[..., GcswebServer], tmp_path: Path
) -> None:
    big = tmp_path / "logs" / "big" / "build-log.txt"
    big.parent.mkdir(parents=True)
    with big.open("wb") as handle:  # sparse: 100 MiB that cost no disk
        handle.truncate(100 << 20)
        handle.seek((100 << 20) - 6)
        handle.write(b"tail!\n")
    server = gcsweb_server_factory(tmp_path, generation="legacy")
    url = f"{server.storage_url}/test-bucket/logs/big/build-log.txt"
    tracemalloc.start()
    try:
        async with make_client(timeout=5.0) as client:
            head = await fetch(client, "HEAD", url, policy=FAST)
            tail = await fetch(client, "GET", url, policy=FAST, headers={"Range": "bytes=-6"})
            middle = await fetch(
                client, "GET", url, policy=FAST, headers={"Range": "bytes=50000000-50000999"}
            )
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert head.headers["content-length"] == str(100 << 20)
    assert tail.status_code == 206 and tail.content == b"tail!\n"
    assert middle.content == bytes(1000)
    assert middle.headers["content-range"] == f"bytes 50000000-50000999/{100 << 20}"
    assert peak < 8 << 20  # the 100 MiB file was never read whole

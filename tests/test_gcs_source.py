"""GcsSource against gcp-storage-emulator on 127.0.0.1.

The emulator ignores ``maxResults``/``pageToken`` (every listing is one page), so these tests
exercise the ``it.pages`` loop with a single page only; multi-page behaviour is the client
library's. It also returns gzip-encoded objects as stored bytes, which ``read`` decodes.
"""

from __future__ import annotations

import gzip
import json
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from prowtui.errors import AccessDenied, BadResponse, NotFound, SourceError, Unreachable
from prowtui.sources.base import Source
from prowtui.sources.gcs import GcsSource
from prowtui.sources.walk import walk
from tests.servers.emulator import EmulatorServer

LOG = b"".join(b"line %d of the build log\n" % i for i in range(2000))
BIG = bytes(range(256)) * 40_000  # 10 MB, more than two stream chunks


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("gcs") / "bucket"
    build = root / "logs" / "job" / "7"
    (build / "artifacts" / "deep").mkdir(parents=True)
    (build / "build-log.txt").write_bytes(gzip.compress(LOG, mtime=0))
    (build / "x.log.gz").write_bytes(gzip.compress(b"stay compressed", mtime=0))
    (build / "finished.json").write_bytes(b'{"result": "SUCCESS"}')
    (build / "empty.txt").write_bytes(b"")
    (build / "artifacts" / "big.bin").write_bytes(BIG)
    (build / "artifacts" / "deep" / "a b%#é.txt").write_bytes(b"odd")
    (root / "logs" / "job" / "latest-build.txt").write_bytes(b"7")
    return root


@pytest.fixture(scope="module")
def bucket(tree: Path, emulator: EmulatorServer) -> str:
    """The tree uploaded once for the module (the tests only read)."""
    emulator.upload_tree(tree, "gcs-source-tests")
    return "gcs-source-tests"


@pytest.fixture
def source(bucket: str, emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch) -> GcsSource:
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", emulator.host)
    return GcsSource(bucket, concurrency=4, timeout=10)


async def test_is_a_source(source: GcsSource) -> None:
    assert isinstance(source, Source)
    assert source.kind == "gcs" and source.describe().startswith("gs://")


async def test_list_levels(source: GcsSource) -> None:
    assert [e.to_json()["name"] for e in await source.list("")] == ["logs/"]
    job = await source.list("logs/job")
    assert [(e.name, e.path, e.is_dir) for e in job] == [
        ("7/", "logs/job/7/", True),
        ("latest-build.txt", "logs/job/latest-build.txt", False),
    ]
    build = await source.list("logs/job/7/")
    assert [e.name for e in build] == [
        "artifacts/",
        "build-log.txt",
        "empty.txt",
        "finished.json",
        "x.log.gz",
    ]
    sizes = {e.name: e.size for e in build}
    assert sizes["build-log.txt"] == len(gzip.compress(LOG, mtime=0))  # stored size
    assert sizes["empty.txt"] == 0
    for entry in build:
        if not entry.is_dir:
            assert entry.updated is not None and entry.updated.microsecond == 0
            assert entry.updated.utcoffset() is not None
    deep = await source.list("logs/job/7/artifacts/deep/")
    assert [e.path for e in deep] == ["logs/job/7/artifacts/deep/a b%#é.txt"]


async def test_not_found(source: GcsSource) -> None:
    with pytest.raises(NotFound, match="no such directory"):
        await source.list("logs/nope/")
    with pytest.raises(NotFound, match="is a file"):
        await source.list("logs/job/latest-build.txt")
    with pytest.raises(NotFound):
        await source.read("logs/job/7/missing.txt")
    with pytest.raises(NotFound):
        await source.stat("logs/job/7/")


async def test_missing_bucket_is_not_found(emulator_bucket: Callable[[Path], str]) -> None:
    with pytest.raises(NotFound):
        await GcsSource("no-such-bucket", timeout=5).list("")


async def test_ranged_reads(source: GcsSource, emulator: EmulatorServer) -> None:
    path = "logs/job/7/artifacts/big.bin"
    assert await source.read(path, 1000, 1010) == BIG[1000:1010]
    assert await source.read(path, len(BIG) - 5) == BIG[-5:]
    assert await source.read(path, None, 3) == BIG[:3]
    assert await source.read(path, len(BIG) - 2, len(BIG) + 50) == BIG[-2:]
    assert await source.read(path, len(BIG) + 1, len(BIG) + 9) == b""
    assert await source.read("logs/job/7/empty.txt") == b""
    assert await source.read("logs/job/7/artifacts/deep/a b%#é.txt") == b"odd"


async def test_gzip_encoded_object(source: GcsSource) -> None:
    info = await source.stat("logs/job/7/build-log.txt")
    assert info.gzip_encoded
    assert await source.read("logs/job/7/build-log.txt") == LOG
    assert await source.read("logs/job/7/build-log.txt", 100, 150) == LOG[100:150]
    chunks = [c async for c in source.stream("logs/job/7/build-log.txt", chunk_size=4096)]
    assert b"".join(chunks) == LOG and len(chunks) > 1
    # a .gz name is an ordinary object: its bytes are returned as stored
    assert await source.read("logs/job/7/x.log.gz") == gzip.compress(b"stay compressed", mtime=0)
    assert not (await source.stat("logs/job/7/x.log.gz")).gzip_encoded


async def test_stream_identity_object_uses_ranged_reads(
    source: GcsSource, emulator: EmulatorServer
) -> None:
    emulator.reset_counter()
    chunks = [c async for c in source.stream("logs/job/7/artifacts/big.bin")]
    assert b"".join(chunks) == BIG
    assert max(len(c) for c in chunks) <= 1 << 20
    assert emulator.requests == 1 + 3, emulator.request_log  # stat + three 4 MiB ranges


async def test_walk_is_one_recursive_listing(source: GcsSource, emulator: EmulatorServer) -> None:
    emulator.reset_counter()
    paths = [e.path async for e in walk(source, "logs/job/7")]
    assert paths == [
        "logs/job/7/artifacts/big.bin",
        "logs/job/7/artifacts/deep/a b%#é.txt",
        "logs/job/7/build-log.txt",
        "logs/job/7/empty.txt",
        "logs/job/7/finished.json",
        "logs/job/7/x.log.gz",
    ]
    assert emulator.requests == 1, emulator.request_log
    with pytest.raises(NotFound):
        async for _ in source.walk("logs/absent/"):
            pass


async def test_a_listed_object_is_read_with_one_request(
    source: GcsSource, emulator: EmulatorServer
) -> None:
    await source.list("logs/job/7/")
    emulator.reset_counter()
    assert await source.read("logs/job/7/finished.json") == b'{"result": "SUCCESS"}'
    assert emulator.requests == 1, emulator.request_log  # no objects.get before the download
    emulator.reset_counter()
    assert await source.read("logs/job/7/build-log.txt") == LOG  # gzip-encoded, from listing
    assert b"".join([c async for c in source.stream("logs/job/7/build-log.txt")]) == LOG
    assert emulator.requests == 2, emulator.request_log
    emulator.reset_counter()
    assert await source.read("logs/job/7/artifacts/big.bin", 5, 9) == BIG[5:9]  # not listed
    assert emulator.requests == 2, emulator.request_log  # objects.get, then the range


async def test_a_walked_object_is_read_with_one_request(
    source: GcsSource, emulator: EmulatorServer
) -> None:
    _ = [e async for e in source.walk("logs/job/7/artifacts/")]
    emulator.reset_counter()
    assert await source.read("logs/job/7/artifacts/big.bin", 5, 9) == BIG[5:9]
    assert await source.read("logs/job/7/artifacts/deep/a b%#é.txt") == b"odd"
    assert emulator.requests == 2, emulator.request_log


async def test_concurrent_reads(source: GcsSource) -> None:
    import asyncio

    results = await asyncio.gather(*(source.read("logs/job/7/finished.json") for _ in range(20)))
    assert set(results) == {b'{"result": "SUCCESS"}'}


async def test_unreachable_server(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", f"http://127.0.0.1:{port}")
    source = GcsSource("bucket", timeout=1.0)
    with pytest.raises(Unreachable) as caught:
        await source.list("logs/")
    assert "\n" not in str(caught.value)
    await source.aclose()
    assert os.environ["STORAGE_EMULATOR_HOST"].endswith(str(port))


class _StatusHandler(BaseHTTPRequestHandler):
    """Answers every request with the server's configured status (or stalls)."""

    server: _StatusServer

    def do_GET(self) -> None:
        if self.server.stall:
            time.sleep(self.server.stall)
        body = json.dumps({"error": {"code": self.server.status, "message": "nope"}}).encode()
        self.send_response(self.server.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


class _StatusServer(ThreadingHTTPServer):
    daemon_threads = True
    status = 500
    stall = 0.0

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that gave up (the timeout test) is expected, not an error."""


@pytest.fixture
def status_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[_StatusServer]:
    server = _StatusServer(("127.0.0.1", 0), _StatusHandler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", f"http://127.0.0.1:{server.server_address[1]}")
    yield server
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (403, AccessDenied),
        (401, AccessDenied),
        (404, NotFound),
        (503, Unreachable),
        (429, Unreachable),
        (400, BadResponse),
    ],
)
async def test_http_errors_are_mapped(
    status_server: _StatusServer, status: int, error: type[SourceError]
) -> None:
    status_server.status = status
    source = GcsSource("bucket", timeout=0.6)
    calls = (
        lambda: source.list("logs/"),
        lambda: source.read("logs/x.txt"),
        lambda: source.stat("logs/x.txt"),
    )
    for call in calls:
        with pytest.raises(error) as caught:
            await call()
        assert "\n" not in str(caught.value)
    await source.aclose()


async def test_slow_server_times_out(status_server: _StatusServer) -> None:
    status_server.status, status_server.stall = 200, 2.0
    source = GcsSource("bucket", timeout=0.3)
    started = time.monotonic()
    with pytest.raises(Unreachable, match="timed out"):
        await source.list("logs/")
    assert time.monotonic() - started < 2.0

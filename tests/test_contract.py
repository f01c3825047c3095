"""One contract for every backend: the same tree gives identical listings and identical bytes.

Each tree is served by every backend (local directory, demo, gcsweb modern, gcsweb legacy with
a small page size, the GCS API against the emulator). The reference is a direct reading of the
tree on disk (not a backend), and each backend must reproduce it: ``Entry.to_json()`` at every
directory level, bytes of every object whole and as a range, NotFound for missing paths.

Modification times: the emulator's ``updated`` is the upload time and cannot be set, so after
uploading a tree the test sets every file's mtime to the emulator's ``updated`` (whole
seconds). From then on every backend, the emulator included, must report the same instants.
"""

from __future__ import annotations

import asyncio
import gzip
import itertools
import os
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from prowtui import demo
from prowtui.demo import build_demo_bucket
from prowtui.errors import NotFound
from prowtui.sources.base import Source, sort_entries
from prowtui.sources.encoding import looks_gzip_encoded
from prowtui.sources.gcs import GcsSource
from prowtui.sources.gcsweb import GcswebSource
from prowtui.sources.local import LocalSource
from prowtui.sources.walk import walk
from tests.servers.emulator import EmulatorServer, iter_tree
from tests.servers.gcsweb_server import GcswebServer

#: page size of the legacy gcsweb server; the fixture has a directory with more entries
LEGACY_PAGE_SIZE = 7
BACKENDS = ["local", "demo", "gcsweb-modern", "gcsweb-legacy", "gcs-emulator"]
LOG = "".join(f"{i:05d} \x1b[31mstep\x1b[0m done ✓\n" for i in range(3000)).encode()
_buckets = itertools.count(1)


# -- the trees -----------------------------------------------------------------------------


def build_fixture_tree(root: Path) -> None:
    """Nested dirs, awkward names, an empty file, gzip-encoded objects, a long directory."""
    files: dict[str, bytes] = {
        "README.txt": b"top level file\n",
        "logs/job-a/latest-build.txt": b"1002",
        "logs/job-a/1001/build-log.txt": gzip.compress(LOG, mtime=0),
        "logs/job-a/1001/started.json": b'{"timestamp": 1690000000}',
        "logs/job-a/1001/finished.json": b'{"timestamp": 1690000100, "result": "SUCCESS"}',
        "logs/job-a/1001/artifacts/x.log.gz": gzip.compress(b"must stay gzip\n", mtime=0),
        "logs/job-a/1001/artifacts/junit_operator.xml": gzip.compress(
            b'<?xml version="1.0"?><testsuite tests="0"/>', mtime=0
        ),
        "logs/job-a/1001/artifacts/empty.log": b"",
        "logs/job-a/1001/artifacts/deep/er/still deeper.txt": b"deep",
        "logs/job-a/1002/build-log.txt": b"short plain log\n",
        "odd names/with space.txt": b"space",
        "odd names/100%.txt": b"percent",
        "odd names/a%20b.txt": b"literal percent-two-zero",
        "odd names/hash#tag.txt": b"hash",
        "odd names/ünïcødé ✓.txt": "unicode ✓".encode(),
        "odd names/日本語/ファイル.json": b"{}",
        "odd names/dir #1/inside.txt": b"in a dir with a hash",
    }
    for i in range(12):
        files[f"many/file-{i:02d}.txt"] = f"file {i}\n".encode() * (i + 1)
    for i in range(3):
        files[f"many/sub-{i}/leaf.txt"] = f"leaf {i}".encode()
    for key, data in files.items():
        path = root.joinpath(*key.split("/"))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


@dataclass
class Tree:
    """A tree on disk, its twin bucket in the emulator, and its directory prefixes."""

    name: str
    root: Path
    bucket: str
    dirs: list[str]
    files: list[str]


def _sync_mtimes_from_emulator(emulator: EmulatorServer, root: Path, bucket: str) -> None:
    """Set each file's mtime to the emulator's ``updated`` (whole seconds) for that object."""
    client = emulator.client()
    for blob in client.list_blobs(bucket):
        stamp = int(blob.updated.replace(microsecond=0).timestamp())
        os.utime(root.joinpath(*blob.name.split("/")), (stamp, stamp))


def _describe_tree(name: str, root: Path, bucket: str) -> Tree:
    subdirs = sorted(p.relative_to(root).as_posix() + "/" for p in root.rglob("*") if p.is_dir())
    return Tree(name, root, bucket, ["", *subdirs], [key for key, _ in iter_tree(root)])


def _prepare(name: str, root: Path, emulator: EmulatorServer) -> Tree:
    bucket = f"contract-{name}-{next(_buckets)}"
    emulator.upload_tree(root, bucket)
    _sync_mtimes_from_emulator(emulator, root, bucket)
    return _describe_tree(name, root, bucket)


@pytest.fixture(scope="module")
def fixture_tree(tmp_path_factory: pytest.TempPathFactory, emulator: EmulatorServer) -> Tree:
    root = tmp_path_factory.mktemp("contract") / "fixture"
    build_fixture_tree(root)
    return _prepare("fixture", root, emulator)


@pytest.fixture(scope="module")
def demo_tree(tmp_path_factory: pytest.TempPathFactory, emulator: EmulatorServer) -> Tree:
    root = tmp_path_factory.mktemp("contract") / "demo"
    build_demo_bucket(root, small=True)
    return _prepare("demo", root, emulator)


#: (tree, backend) pairs: every backend serves both trees, except the demo backend, which only
#: ever serves the demo bucket
CASES = [
    pytest.param(tree, backend, id=f"{tree}-{backend}")
    for tree in ("fixture", "demo")
    for backend in BACKENDS
    if not (backend == "demo" and tree != "demo")
]
#: backends other than demo run the fixture tree; demo runs its own
TREE_OF = {backend: "demo" if backend == "demo" else "fixture" for backend in BACKENDS}


@pytest.fixture
def tree(request: pytest.FixtureRequest, tree_name: str) -> Tree:
    return request.getfixturevalue(f"{tree_name}_tree")


# -- the reference: the tree read straight from disk ---------------------------------------


def expected_listing(tree: Tree, prefix: str) -> list[dict[str, object]]:
    """What ``ls --json`` must print for ``prefix``, computed from the files themselves."""
    from prowtui.sources.base import Entry

    directory = tree.root.joinpath(*prefix.rstrip("/").split("/")) if prefix else tree.root
    entries = []
    for child in directory.iterdir():
        if child.is_dir():
            entries.append(Entry(child.name + "/", prefix + child.name + "/", True))
        else:
            info = child.stat()
            updated = datetime.fromtimestamp(int(info.st_mtime), tz=UTC)
            entries.append(Entry(child.name, prefix + child.name, False, info.st_size, updated))
    return [e.to_json() for e in sort_entries(entries)]


def expected_bytes(tree: Tree, key: str) -> bytes:
    data = tree.root.joinpath(*key.split("/")).read_bytes()
    return gzip.decompress(data) if looks_gzip_encoded(key.rsplit("/", 1)[-1], data[:2]) else data


# -- the backends --------------------------------------------------------------------------


class GcswebServers:
    """gcsweb-format servers started on demand, one per (tree, generation), for the module."""

    def __init__(self) -> None:
        self._servers: dict[tuple[str, str], GcswebServer] = {}

    def get(self, tree: Tree, generation: str) -> GcswebServer:
        key = (str(tree.root), generation)
        if key not in self._servers:
            page_size = LEGACY_PAGE_SIZE if generation == "legacy" else 1000
            server = GcswebServer(
                tree.root, tree.bucket, generation=generation, page_size=page_size
            )
            server.start()
            self._servers[key] = server
        return self._servers[key]

    def stop(self) -> None:
        for server in self._servers.values():
            server.stop()


@pytest.fixture(scope="module")
def gcsweb_servers() -> Iterator[GcswebServers]:
    servers = GcswebServers()
    yield servers
    servers.stop()


@pytest.fixture
def open_backend(
    gcsweb_servers: GcswebServers, emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> Callable[[str, Tree], Any]:
    """``open(backend, tree)`` as an async context manager yielding a Source over ``tree``."""

    @asynccontextmanager
    async def open_source(backend: str, tree: Tree) -> AsyncIterator[Source]:
        source: Source
        if backend == "local":
            source = LocalSource(tree.root, bucket=tree.bucket)
        elif backend == "demo":
            # open_demo() serves demo_root(), which (re)builds the *full* bucket unless one is
            # there; point it at the small tree built (and mtime-synced) for this module.
            monkeypatch.setattr(demo, "demo_root", lambda: tree.root)
            source = demo.open_demo()
        elif backend.startswith("gcsweb-"):
            server = gcsweb_servers.get(tree, backend.removeprefix("gcsweb-"))
            source = GcswebSource(server.base_url, tree.bucket, storage_url=server.storage_url)
        else:
            monkeypatch.setenv("STORAGE_EMULATOR_HOST", emulator.host)
            source = GcsSource(tree.bucket, timeout=10)
        try:
            yield source
        finally:
            await source.aclose()

    return open_source


# -- the contract --------------------------------------------------------------------------


@pytest.mark.parametrize(("tree_name", "backend"), CASES)
async def test_listings_identical_at_every_level(
    backend: str, tree: Tree, open_backend: Callable[[str, Tree], Any]
) -> None:
    async with open_backend(backend, tree) as source:
        listings = await asyncio.gather(*(source.list(prefix) for prefix in tree.dirs))
    for prefix, listing in zip(tree.dirs, listings, strict=True):
        assert [e.to_json() for e in listing] == expected_listing(tree, prefix), prefix


@pytest.mark.parametrize(("tree_name", "backend"), CASES)
async def test_bytes_identical_for_every_object(
    backend: str, tree: Tree, open_backend: Callable[[str, Tree], Any]
) -> None:
    async with open_backend(backend, tree) as source:
        whole = await asyncio.gather(*(source.read(key) for key in tree.files))
        ranged = await asyncio.gather(*(source.read(key, 3, 11) for key in tree.files))
    for key, data, part in zip(tree.files, whole, ranged, strict=True):
        expected = expected_bytes(tree, key)
        assert data == expected, key
        assert part == expected[3:11], key


@pytest.mark.parametrize("backend", [b for b in BACKENDS if b != "demo"])
async def test_gzip_rules(
    backend: str, fixture_tree: Tree, open_backend: Callable[[str, Tree], Any]
) -> None:
    async with open_backend(backend, fixture_tree) as source:
        log = "logs/job-a/1001/build-log.txt"
        assert await source.read(log) == LOG
        assert await source.read(log, len(LOG) - 10) == LOG[-10:]
        streamed = b"".join([c async for c in source.stream(log, chunk_size=1000)])
        assert streamed == LOG
        info = await source.stat(log)
        assert info.gzip_encoded
        assert info.size == len(gzip.compress(LOG, mtime=0))
        raw = await source.read("logs/job-a/1001/artifacts/x.log.gz")
        assert raw == gzip.compress(b"must stay gzip\n", mtime=0)


@pytest.mark.parametrize("backend", BACKENDS)
async def test_missing_paths_are_not_found(
    backend: str, request: pytest.FixtureRequest, open_backend: Callable[[str, Tree], Any]
) -> None:
    tree = request.getfixturevalue(f"{TREE_OF[backend]}_tree")
    async with open_backend(backend, tree) as source:
        with pytest.raises(NotFound):
            await source.list("logs/no-such-job/")
        with pytest.raises(NotFound):
            await source.read("logs/no-such-job/1/no-such-file.txt")
        with pytest.raises(NotFound):
            await source.read(tree.files[0] + "-missing")


@pytest.mark.parametrize(("tree_name", "backend"), CASES)
async def test_walk_finds_every_file(
    backend: str, tree: Tree, open_backend: Callable[[str, Tree], Any]
) -> None:
    async with open_backend(backend, tree) as source:
        found = sorted([(e.path, e.size) async for e in walk(source, "")])
    expected = sorted(
        (key, tree.root.joinpath(*key.split("/")).stat().st_size) for key in tree.files
    )
    assert found == expected


# -- real Prow artifacts -------------------------------------------------------------------


@pytest.fixture(scope="module")
def samples_tree(emulator: EmulatorServer) -> Iterator[Tree | None]:
    from tests.conftest import SHARED_SAMPLES

    if not SHARED_SAMPLES.is_dir():
        yield None
        return
    yield _prepare_readonly("samples", SHARED_SAMPLES, emulator)


def _prepare_readonly(name: str, root: Path, emulator: EmulatorServer) -> Tree:
    """Like ``_prepare`` but never touches the files (they are shared, read-only data)."""
    bucket = f"contract-{name}-{next(_buckets)}"
    emulator.upload_tree(root, bucket)
    return _describe_tree(name, root, bucket)


@pytest.mark.parametrize("backend", [b for b in BACKENDS if b != "demo"])
async def test_real_samples_through_every_backend(
    backend: str,
    samples_dir: Path,
    samples_tree: Tree | None,
    open_backend: Callable[[str, Tree], Any],
) -> None:
    assert samples_tree is not None and samples_tree.root == samples_dir
    async with open_backend(backend, samples_tree) as source:
        whole = await asyncio.gather(*(source.read(key) for key in samples_tree.files))
        listings = await asyncio.gather(*(source.list(prefix) for prefix in samples_tree.dirs))
    for key, data in zip(samples_tree.files, whole, strict=True):
        assert data == expected_bytes(samples_tree, key), key
    for prefix, listing in zip(samples_tree.dirs, listings, strict=True):
        # the samples keep their own mtimes, which the emulator cannot reproduce
        drop_time = backend == "gcs-emulator"
        got = [_without_time(e.to_json()) if drop_time else e.to_json() for e in listing]
        want = [
            _without_time(row) if drop_time else row
            for row in expected_listing(samples_tree, prefix)
        ]
        assert got == want, prefix


def _without_time(row: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in row.items() if k != "updated"}

"""GcswebSource against the real gcsweb-format server, both generations."""

from __future__ import annotations

import asyncio
import gzip
import time
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timezone
from pathlib import Path

import pytest

from prowtui.errors import BadResponse, NotFound
from prowtui.sources.base import Entry, Source, sort_entries
from prowtui.sources.encoding import looks_gzip_encoded
from prowtui.sources.gcsweb import GcswebSource
from prowtui.sources.http import RetryPolicy, fetch
from tests.servers.gcsweb_server import GcswebServer

GENERATIONS = ["modern", "legacy"]
FAST = RetryPolicy(attempts=3, initial_wait=0.001, max_wait=0.01, total=10.0)
LOG = b"".join(b"line %05d: something happened\n" % i for i in range(4000))
ODD_NAMES = ["a b.txt", "100%.log", "x#y.txt", "junit%23run.xml", "R&D notes.txt", "ünï-日本.json"]


def build_tree(root: Path) -> Path:
    """A small bucket: builds, awkward names, a gzip-encoded log, a real .tar.gz, a big dir."""
    files: dict[str, bytes] = {
        "logs/job/latest-build.txt": b"10",
        "logs/job/1/build-log.txt": LOG,
        "logs/job/1/finished.json": b'{"result": "SUCCESS", "passed": true}',
        "logs/job/1/artifacts/ci-operator.log": gzip.compress(LOG),  # stored gzip-encoded
        "logs/job/1/artifacts/bundle.tar.gz": gzip.compress(b"raw tarball"),
        "logs/job/10/started.json": b'{"timestamp": 1700000000}',
        "logs/job/2/started.json": b"{}",
        "pr-logs/pull/org_repo/12/job/3/build-log.txt": b"",
        **{f"logs/odd/{name}": name.encode() for name in ODD_NAMES},
        **{f"logs/many/f{i:02d}.txt": b"x" * i for i in range(8)},
        **{f"logs/many/d{i}/x.txt": b"d" for i in range(3)},
    }
    for key, data in files.items():
        path = root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def expected_listing(root: Path, prefix: str) -> list[Entry]:
    """What one level of ``prefix`` must look like (mtimes at gcsweb's 1 s resolution)."""
    entries = []
    for child in (root / prefix).iterdir():
        if child.is_dir():
            entries.append(Entry(child.name + "/", prefix + child.name + "/", True))
        else:
            stat = child.stat()
            updated = datetime.fromtimestamp(int(stat.st_mtime), timezone.utc)
            entries.append(Entry(child.name, prefix + child.name, False, stat.st_size, updated))
    return sort_entries(entries)


def all_dirs(root: Path) -> list[str]:
    return ["", *sorted(str(p.relative_to(root)) + "/" for p in root.rglob("*") if p.is_dir())]


def all_files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def decoded(root: Path, key: str) -> bytes:
    data = (root / key).read_bytes()
    return gzip.decompress(data) if looks_gzip_encoded(key, data[:2]) else data


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    return build_tree(tmp_path / "bucket")


@pytest.fixture
async def open_source(
    gcsweb_server_factory: Callable[..., GcswebServer], tree: Path
) -> AsyncIterator[Callable[..., tuple[GcswebServer, GcswebSource]]]:
    """``open(generation, **server_kw) -> (server, source)``; sources closed at teardown."""
    sources: list[GcswebSource] = []

    def open_(generation: str, **kwargs: object) -> tuple[GcswebServer, GcswebSource]:
        source_kw = {k: kwargs.pop(k) for k in ("concurrency", "timeout") if k in kwargs}
        server = gcsweb_server_factory(tree, generation=generation, **kwargs)
        source = GcswebSource(
            server.base_url,
            server.bucket,
            storage_url=server.storage_url,
            retry=FAST,
            **source_kw,  # type: ignore[arg-type]
        )
        sources.append(source)
        return server, source

    yield open_
    for source in sources:
        await source.aclose()


@pytest.mark.parametrize("generation", GENERATIONS)
async def test_listing_equals_the_tree(open_source, tree: Path, generation: str) -> None:
    _, source = open_source(generation)
    assert isinstance(source, Source) and source.kind == "gcsweb"
    for prefix in all_dirs(tree):
        assert await source.list(prefix) == expected_listing(tree, prefix), prefix
    assert source.generation == generation


@pytest.mark.parametrize("generation", GENERATIONS)
async def test_every_object_reads_back_decompressed(open_source, tree, generation) -> None:
    _, source = open_source(generation)
    for key in all_files(tree):
        assert await source.read(key) == decoded(tree, key), key
        assert b"".join([c async for c in source.stream(key, chunk_size=1000)]) == decoded(
            tree, key
        )


async def test_legacy_pagination_visits_every_page_once(open_source, tree) -> None:
    server, source = open_source("legacy", page_size=3)
    assert await source.list("logs/many/") == expected_listing(tree, "logs/many/")
    pages = [p for p in server.paths_requested if p.startswith("/gcs/test-bucket/logs/many/")]
    assert len(pages) == len(set(pages)) == 4  # 11 entries, 3 per page
    assert all("?marker=" in p for p in pages[1:])
    assert pages[-1].endswith("?marker=logs%2fmany%2ff05.txt")


@pytest.mark.parametrize("generation", GENERATIONS)
async def test_gzip_encoded_object(open_source, generation) -> None:
    _, source = open_source(generation)
    key = "logs/job/1/artifacts/ci-operator.log"
    assert await source.read(key) == LOG
    assert await source.read(key, 100, 200) == LOG[100:200]
    info = await source.stat(key)
    assert info.gzip_encoded and info.size == len(gzip.compress(LOG))
    assert info.content_type and "gzip" not in info.content_type
    raw = await source.read("logs/job/1/artifacts/bundle.tar.gz")
    assert gzip.decompress(raw) == b"raw tarball"  # a real .gz file is served as stored


@pytest.mark.parametrize("generation", GENERATIONS)
@pytest.mark.parametrize(
    ("start", "end"), [(0, 10), (5, None), (1000, 2000), (None, 7), (len(LOG) - 5, None)]
)
async def test_ranged_reads(open_source, generation, start, end) -> None:
    _, source = open_source(generation)
    assert await source.read("logs/job/1/build-log.txt", start, end) == LOG[start:end]


async def test_legacy_ranges_only_for_identity_objects(open_source) -> None:
    server, source = open_source("legacy")
    await source.list("logs/job/")  # learn the generation
    assert await source.read("logs/job/1/build-log.txt", 10, 20) == LOG[10:20]
    assert await source.read("logs/job/1/artifacts/ci-operator.log", 10, 20) == LOG[10:20]
    assert await source.read("logs/job/1/build-log.txt", 10**9, None) == b""
    assert [spec for _, spec in server.range_requests] == ["bytes=10-19", "bytes=1000000000-"]


async def test_legacy_stat_is_one_request_once_generation_known(open_source, tree) -> None:
    server, source = open_source("legacy")
    await source.list("")
    server.reset_counts()
    info = await source.stat("logs/job/1/finished.json")
    assert server.request_count == 1
    assert info.size == (tree / "logs/job/1/finished.json").stat().st_size
    assert info.content_encoding is None and info.updated is not None


@pytest.mark.parametrize("generation", GENERATIONS)
async def test_missing_paths_are_not_found(open_source, generation) -> None:
    _, source = open_source(generation)
    with pytest.raises(NotFound):
        await source.list("logs/nope/")
    with pytest.raises(NotFound):
        await source.list("logs/job/1/build-log.txt")  # a file is not a directory
    with pytest.raises(NotFound):
        await source.read("logs/job/1/nope.txt")
    with pytest.raises(NotFound):
        await source.read("logs/job/1")  # a directory is not an object
    with pytest.raises(NotFound):
        await source.stat("logs/job/1/nope.txt")
    with pytest.raises(NotFound):
        [c async for c in source.stream("logs/nope.txt")]


@pytest.mark.parametrize("generation", GENERATIONS)
async def test_redirect_to_a_foreign_host_is_refused(open_source, generation) -> None:
    server, source = open_source(generation)
    server.redirects["/gcs/test-bucket/logs/job/"] = (302, "http://evil.example/steal")
    with pytest.raises(BadResponse, match=r"refusing redirect to other host evil\.example"):
        await source.list("logs/job")
    server.redirects["/gcs/test-bucket/logs/job/2/started.json"] = (307, "https://evil.example/x")
    with pytest.raises(BadResponse, match="refusing redirect"):
        await source.read("logs/job/2/started.json")
    with pytest.raises(BadResponse, match="refusing redirect"):
        [c async for c in source.stream("logs/job/2/started.json")]


async def test_unknown_bucket_redirect_to_console_is_refused(open_source) -> None:
    server, _ = open_source("modern")
    other = GcswebSource(server.base_url, "other-bucket", retry=FAST)
    try:
        with pytest.raises(BadResponse, match=r"console\.cloud\.google\.com"):
            await other.list("logs/")
    finally:
        await other.aclose()


@pytest.mark.parametrize("generation", GENERATIONS)
async def test_bucket_url_without_slash_gets_308(open_source, generation) -> None:
    server, source = open_source(generation)
    response = await fetch(
        source._client, "GET", f"{server.base_url}/gcs/test-bucket", follow=source._follow_pages
    )
    assert response.status_code == 200 and response.url.path == "/gcs/test-bucket/"
    assert [p for p in server.paths_requested] == ["/gcs/test-bucket", "/gcs/test-bucket/"]


async def test_concurrency_is_bounded(open_source) -> None:
    _, source = open_source("modern", latency=0.1, concurrency=2)
    keys = ["logs/job/2/started.json"] * 6
    started = time.perf_counter()
    await asyncio.gather(*(source.read(k) for k in keys))
    assert time.perf_counter() - started >= 0.3  # 6 requests, 2 at a time, 0.1 s each


async def test_links_to_other_hosts_in_a_page_are_not_followed(open_source) -> None:
    server, source = open_source("legacy", page_size=3)
    page = server.render_legacy("logs/many/", ["d0/"], [], marker="")
    page = page.replace(
        "</ul>",
        '<a class="pure-button next-button" href="http://evil.example/gcs/test-bucket/x/?marker=a">'
        "Next page</a>"
        '<li class="pure-g grid-row"><div class="pure-u-2-5"><a href="http://evil.example/f">'
        '<img src="/icons/file.png"> f.txt</a></div><div class="pure-u-1-5">1</div>'
        '<div class="pure-u-2-5">-</div></li></ul>',
    )
    headers = {"Content-Type": "text/html; charset=utf-8"}
    server.responses["/gcs/test-bucket/logs/many/"] = (200, headers, page.encode())
    with pytest.raises(BadResponse, match=r"refusing next-page link to other host evil\.example"):
        await source.list("logs/many/")
    server.responses["/gcs/test-bucket/logs/many/"] = (
        200,
        headers,
        page.replace("next-", "x").encode(),
    )
    listing = await source.list("logs/many/")
    assert [e.path for e in listing] == ["logs/many/d0/", "logs/many/f.txt"]  # keys, not hrefs
    assert not any("evil" in p for p in server.paths_requested)

"""LocalSource: listing, reads, ranges, gzip-encoded files, path safety, walk."""

from __future__ import annotations

import contextlib
import gzip
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from prowtui.errors import BadResponse, NotFound
from prowtui.sources.base import Source
from prowtui.sources.local import LocalSource
from prowtui.sources.walk import walk

LOG = b"line one\nline two\n" * 50
MTIME = 1_700_000_000.75


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "bucket"
    (root / "logs" / "job" / "1").mkdir(parents=True)
    (root / "logs" / "job" / "1" / "build-log.txt").write_bytes(gzip.compress(LOG, mtime=0))
    (root / "logs" / "job" / "1" / "x.log.gz").write_bytes(gzip.compress(b"keep", mtime=0))
    (root / "logs" / "job" / "1" / "started.json").write_bytes(b'{"timestamp": 1}')
    (root / "logs" / "job" / "1" / "empty").write_bytes(b"")
    (root / "logs" / "job" / "latest-build.txt").write_bytes(b"1")
    (root / "logs" / "a b%#é.txt").write_bytes(b"odd name")
    (root / "top.txt").write_bytes(b"0123456789")
    for path in root.rglob("*"):
        os.utime(path, (MTIME, MTIME))
    return root


@pytest.fixture
def source(tree: Path) -> LocalSource:
    return LocalSource(tree, bucket="b")


def test_is_a_source(source: LocalSource) -> None:
    assert isinstance(source, Source)
    assert source.kind == "local" and source.bucket == "b"
    assert "bucket b" in source.describe()


async def test_list_root_and_levels(source: LocalSource) -> None:
    root = await source.list("")
    assert [e.to_json() for e in root] == [
        {"name": "logs/", "path": "logs/", "is_dir": True, "size": None, "updated": None},
        {
            "name": "top.txt",
            "path": "top.txt",
            "is_dir": False,
            "size": 10,
            "updated": "2023-11-14T22:13:20Z",
        },
    ]
    assert root[1].updated == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
    logs = await source.list("logs")
    assert [e.path for e in logs] == ["logs/job/", "logs/a b%#é.txt"]
    build = await source.list("/logs/job/1/")
    assert [e.name for e in build] == ["build-log.txt", "empty", "started.json", "x.log.gz"]
    by_name = {e.name: e for e in build}
    stored = Path(source.root) / "logs/job/1/build-log.txt"
    assert by_name["build-log.txt"].size == stored.stat().st_size
    assert by_name["empty"].size == 0


async def test_missing_and_file_paths_are_not_found(source: LocalSource) -> None:
    with pytest.raises(NotFound, match="no such directory"):
        await source.list("logs/nope/")
    with pytest.raises(NotFound, match="is a file"):
        await source.list("top.txt")
    with pytest.raises(NotFound):
        await source.read("logs/nope.txt")
    with pytest.raises(NotFound, match="directory"):
        await source.read("logs")
    with pytest.raises(NotFound, match="directory"):
        await source.stat("logs/")


async def test_missing_root_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        await LocalSource(tmp_path / "absent").list("")


async def test_reads_and_ranges(source: LocalSource) -> None:
    assert await source.read("top.txt") == b"0123456789"
    assert await source.read("top.txt", 2, 5) == b"234"
    assert await source.read("top.txt", 7) == b"789"
    assert await source.read("top.txt", None, 3) == b"012"
    assert await source.read("top.txt", 8, 100) == b"89"
    assert await source.read("top.txt", 20, 30) == b""
    assert await source.read("logs/job/1/empty") == b""
    assert await source.read("logs/a b%#é.txt") == b"odd name"


async def test_gzip_encoded_file_is_decoded_but_gz_name_is_not(source: LocalSource) -> None:
    assert await source.read("logs/job/1/build-log.txt") == LOG
    assert await source.read("logs/job/1/build-log.txt", 5, 13) == LOG[5:13]
    info = await source.stat("logs/job/1/build-log.txt")
    assert info.gzip_encoded and info.content_encoding == "gzip"
    assert info.size == len(gzip.compress(LOG, mtime=0))
    raw = await source.read("logs/job/1/x.log.gz")
    assert raw == gzip.compress(b"keep", mtime=0)
    assert not (await source.stat("logs/job/1/x.log.gz")).gzip_encoded


async def test_broken_gzip_is_bad_response(tree: Path, source: LocalSource) -> None:
    (tree / "broken.txt").write_bytes(gzip.compress(LOG)[:30])
    with pytest.raises(BadResponse, match=r"broken\.txt"):
        await source.read("broken.txt")
    with pytest.raises(BadResponse):
        async for _ in source.stream("broken.txt"):
            pass


async def test_stat(source: LocalSource) -> None:
    info = await source.stat("logs/job/1/started.json")
    assert info.size == 16 and info.content_type == "application/json"
    assert info.updated == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
    assert info.content_encoding is None


async def test_stream_in_chunks(source: LocalSource) -> None:
    chunks = [c async for c in source.stream("logs/job/1/build-log.txt", chunk_size=64)]
    assert b"".join(chunks) == LOG and max(len(c) for c in chunks) <= 64 and len(chunks) > 1
    plain = [c async for c in source.stream("top.txt", chunk_size=4)]
    assert plain == [b"0123", b"4567", b"89"]


@pytest.mark.parametrize(
    "bad",
    ["../secret", "logs/../../secret", "/etc/passwd", "logs\\job", "logs//job/1/empty", "a\x00b"],
)
async def test_paths_cannot_escape_root(source: LocalSource, bad: str) -> None:
    with pytest.raises(NotFound):
        await source.read(bad)
    with pytest.raises(NotFound):
        await source.stat(bad)


async def test_list_rejects_parent_segments(source: LocalSource) -> None:
    for bad in ("..", "logs/../..", "logs/..", "logs\\job"):
        with pytest.raises(NotFound):
            await source.list(bad)


async def test_symlinks_outside_root_are_invisible(tmp_path: Path, tree: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_bytes(b"secret")
    (tree / "leak").symlink_to(outside, target_is_directory=True)
    (tree / "leak.txt").symlink_to(outside / "secret.txt")
    (tree / "inside.txt").symlink_to(tree / "top.txt")
    (tree / "dangling.txt").symlink_to(tree / "gone.txt")
    source = LocalSource(tree)
    names = [e.name for e in await source.list("")]
    assert names == ["logs/", "inside.txt", "top.txt"]
    assert await source.read("inside.txt") == b"0123456789"
    for bad in ("leak.txt", "leak/secret.txt", "dangling.txt"):
        with pytest.raises(NotFound):
            await source.read(bad)
    with pytest.raises(NotFound):
        await source.list("leak/")


async def test_hidden_files_are_listed(tree: Path) -> None:
    (tree / ".hidden").write_bytes(b"h")
    assert ".hidden" in [e.name for e in await LocalSource(tree).list("")]


async def test_walk_lists_every_file(source: LocalSource) -> None:
    paths = sorted([e.path async for e in walk(source, "logs/", concurrency=2)])
    assert paths == [
        "logs/a b%#é.txt",
        "logs/job/1/build-log.txt",
        "logs/job/1/empty",
        "logs/job/1/started.json",
        "logs/job/1/x.log.gz",
        "logs/job/latest-build.txt",
    ]
    with pytest.raises(NotFound):
        async for _ in walk(source, "nope/"):
            pass


def test_read_many_reads_what_read_would_and_leaves_out_the_rest(
    tmp_path: Path, tree: Path, source: LocalSource
) -> None:
    """Whole objects in one call (decompressed like ``read``); missing objects, directories,
    bad keys and symlinks leaving the root are left out."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_bytes(b"secret")
    (tree / "leak.txt").symlink_to(outside / "secret.txt")
    keys = [
        "logs/job/1/started.json",
        "logs/job/1/build-log.txt",
        "logs/job/1/missing.json",
        "logs/job/1",
        "../outside/secret.txt",
        "leak.txt",
        "top.txt",
    ]
    assert source.read_many(keys) == {
        "logs/job/1/started.json": b'{"timestamp": 1}',
        "logs/job/1/build-log.txt": LOG,
        "top.txt": b"0123456789",
    }


async def test_read_many_answers_as_read_does_for_links_and_odd_keys(
    tmp_path: Path, tree: Path, source: LocalSource
) -> None:
    """read_many resolves each directory once and opens each file once; whatever it keeps
    or leaves out is what ``read`` returns or refuses, key by key."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "started.json").write_bytes(b"secret")
    (tree / "leak").symlink_to(outside, target_is_directory=True)
    (tree / "alias").symlink_to(tree / "logs" / "job", target_is_directory=True)
    (tree / "logs" / "job" / "1" / "linked.json").symlink_to(tree / "top.txt")
    (tree / "logs" / "job" / "1" / "out.json").symlink_to(outside / "started.json")
    keys = [
        "logs/job/1/started.json",
        "logs/job/1/x.log.gz",
        "logs/job/1/empty",
        "logs/job/1/linked.json",
        "logs/job/1/out.json",
        "logs/job/1/",
        "logs//job/1/started.json",
        "logs/job/./1/started.json",
        "leak/started.json",
        "alias/1/started.json",
        "alias/1/build-log.txt",
        "logs/a b%#é.txt",
        "logs/job/1/started.json\x00",
    ]
    expected = {}
    for key in keys:
        with contextlib.suppress(NotFound):
            expected[key] = await source.read(key)
    assert source.read_many(keys) == expected
    assert set(expected) == {
        "logs/job/1/started.json",
        "logs/job/1/x.log.gz",
        "logs/job/1/empty",
        "logs/job/1/linked.json",
        "alias/1/started.json",
        "alias/1/build-log.txt",
        "logs/a b%#é.txt",
    }
    assert expected["alias/1/build-log.txt"] == LOG

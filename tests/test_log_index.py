"""LineIndex: edge cases of line splitting, and a file that grows while it is indexed."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from prowtui.logs.index import LineIndex


def _index(tmp_path: Path, data: bytes) -> LineIndex:
    path = tmp_path / "log.txt"
    path.write_bytes(data)
    index = LineIndex(path)
    assert index.wait_done(timeout=10)
    return index


def _lines(index: LineIndex) -> list[bytes]:
    return [index.read_line(i) for i in range(index.line_count)]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", []),
        (b"\n", [b""]),
        (b"a", [b"a"]),
        (b"a\nb\n", [b"a", b"b"]),
        (b"a\nb", [b"a", b"b"]),
        (b"a\r\nb\r\n", [b"a", b"b"]),
        (b"a\r\n\r\nb", [b"a", b"", b"b"]),
        (b"\n\n\n", [b"", b"", b""]),
        (b"bad \xff\xfe utf8\nnul\x00byte\n", [b"bad \xff\xfe utf8", b"nul\x00byte"]),
    ],
)
def test_edge_cases_match_splitlines(tmp_path: Path, data: bytes, expected: list[bytes]) -> None:
    with _index(tmp_path, data) as index:
        assert _lines(index) == expected
        assert index.indexed_bytes == len(data)
        assert index.done


def test_many_lines_across_chunks_match_reference(tmp_path: Path) -> None:
    data = b"".join(b"line %d %s\n" % (i, b"x" * (i % 300)) for i in range(20_000))
    with _index(tmp_path, data) as index:
        assert index.line_count == 20_000
        assert _lines(index) == data.split(b"\n")[:-1]
        for i in (0, 1, 9_999, 19_999):
            start, end = index.line_span(i)
            assert data[start:end] == b"line %d %s" % (i, b"x" * (i % 300))
            assert index.line_of_offset(start) == i
            assert index.line_of_offset(end) == i


def test_one_ten_megabyte_line(tmp_path: Path) -> None:
    data = b"x" * (10 << 20) + b"\nshort\n"
    with _index(tmp_path, data) as index:
        assert index.line_count == 2
        assert index.line_length(0) == 10 << 20
        assert index.read_line(0, max_bytes=100) == b"x" * 100
        assert index.read_line(1) == b"short"


def test_out_of_range_raises(tmp_path: Path) -> None:
    with _index(tmp_path, b"one\n") as index, pytest.raises(IndexError):
        index.line_span(1)


def test_growing_file_is_followed_until_finish(tmp_path: Path) -> None:
    path = tmp_path / "growing.log"
    path.write_bytes(b"")
    index = LineIndex(path, growing=True)
    try:
        with path.open("ab") as out:
            out.write(b"first\nsecond pa")
            out.flush()
            index.notify()
            assert index.wait(nbytes=15, timeout=5)
            assert index.line_count == 2  # the partial line counts
            assert index.read_line(1) == b"second pa"
            assert not index.done
            out.write(b"rt\nthird\n")
            out.flush()
            index.notify()
            assert index.wait(lines=3, timeout=5)
        index.finish()
        assert index.wait_done(timeout=5)
        assert _lines(index) == [b"first", b"second part", b"third"]
    finally:
        index.close()
    assert index.read_range(0, 5) == b""


def test_missing_file_raises_oserror(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        LineIndex(tmp_path / "nope.log")


def _chunked(tmp_path: Path, data: bytes, chunk_size: int) -> LineIndex:
    path = tmp_path / "chunked.log"
    path.write_bytes(data)
    index = LineIndex(path, chunk_size=chunk_size)
    assert index.wait_done(timeout=10)
    return index


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 4, 5, 7, 8, 64])
def test_newline_exactly_at_chunk_edges(tmp_path: Path, chunk_size: int) -> None:
    # lines of length chunk_size - 1 put every "\n" on the last byte of a chunk
    data = b"".join(bytes([97 + i % 26]) * (chunk_size - 1) + b"\n" for i in range(50))
    with _chunked(tmp_path, data, chunk_size) as index:
        assert _lines(index) == data.split(b"\n")[:-1]
        assert index.indexed_bytes == len(data)


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 5, 16])
def test_crlf_split_across_chunks(tmp_path: Path, chunk_size: int) -> None:
    data = b"".join(b"x" * (i % 7) + b"\r\n" for i in range(40)) + b"last\r"
    with _chunked(tmp_path, data, chunk_size) as index:
        expected = [b"x" * (i % 7) for i in range(40)] + [b"last"]
        assert _lines(index) == expected
        assert [index.line_length(i) for i in range(40)] == [i % 7 for i in range(40)]


@pytest.mark.parametrize("chunk_size", [1, 3, 4096, 1 << 20])
def test_chunked_scan_matches_split_on_random_bytes(tmp_path: Path, chunk_size: int) -> None:
    rng = random.Random(chunk_size)
    data = bytes(rng.choice(b"ab\n\r\x00\xff") for _ in range(20_000))
    with _chunked(tmp_path, data, chunk_size) as index:
        reference = data.split(b"\n")
        if reference[-1] == b"":
            reference.pop()
        assert [index.line_span(i) for i in range(index.line_count)] == _spans(data)
        assert len(reference) == index.line_count


def _spans(data: bytes) -> list[tuple[int, int]]:
    spans, start = [], 0
    for pos, byte in enumerate(data):
        if byte == 10:
            spans.append((start, pos))
            start = pos + 1
    if start < len(data):
        spans.append((start, len(data)))
    return spans


def test_file_growing_between_scans_with_tiny_chunks(tmp_path: Path) -> None:
    path = tmp_path / "growing.log"
    path.write_bytes(b"")
    index = LineIndex(path, growing=True, chunk_size=3)
    pieces = [b"ab", b"c\nd", b"\r", b"\n", b"", b"efgh\n\n", b"tail"]
    try:
        with path.open("ab") as out:
            written = 0
            for piece in pieces:
                out.write(piece)
                out.flush()
                written += len(piece)
                index.notify()
                assert index.wait(nbytes=written, timeout=5)
                assert index.indexed_bytes == written
            assert not index.done
        index.finish()
        assert index.wait_done(timeout=5)
        assert _lines(index) == [b"abc", b"d", b"efgh", b"", b"tail"]
    finally:
        index.close()


def test_file_growing_after_done_is_not_rescanned(tmp_path: Path) -> None:
    with _chunked(tmp_path, b"one\ntwo\n", 2) as index:
        assert index.line_count == 2
        with (tmp_path / "chunked.log").open("ab") as out:
            out.write(b"three\n")
        assert index.line_count == 2
        assert index.done

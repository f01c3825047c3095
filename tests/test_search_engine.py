"""The search engine (ripgrep over files and streamed bytes) and the impact arithmetic."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from prowtui.errors import UsageError
from prowtui.logs.grep import (
    MAX_LINE_CHARS,
    FileHits,
    Pattern,
    check_pattern,
    rg_binary,
    search_bytes,
    search_files,
    search_stream,
)
from prowtui.search.model import BuildMatches, MatchRow, job_matches, order_jobs


async def chunked(data: bytes, size: int) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def test_rg_is_the_packaged_binary():
    """The ripgrep package's binary beside the interpreter, not whatever PATH has first."""
    path = Path(rg_binary())
    assert path.is_file() and path.name.startswith("rg")


async def test_lines_across_read_boundaries_crlf_and_utf8():
    """A line cut by every chunk boundary is matched once, whole, at its own number; CRLF
    ends are not text; bad UTF-8 becomes replacement characters."""
    lines = [f"line {i}" for i in range(1, 200)]
    lines[149] = "a needle \xe9 in line 150"
    data = "\r\n".join(lines).encode() + b"\r\n" + b"bad \xff needle\n"
    for size in (1, 7, 4096):
        hits = await search_stream(Pattern("needle"), chunked(data, size))
        assert [(h.line, h.text) for h in hits.hits] == [
            (150, "a needle \xe9 in line 150"),
            (200, "bad \ufffd needle"),
        ]
        assert hits.hits[0].spans == [(2, 8)] and hits.hits[1].spans == [(6, 12)]
        assert hits.bytes_searched == len(data)


async def test_context_edges_neighbours_and_cap(tmp_path: Path):
    """Context stops at file edges and at a neighbouring match (no line twice); the cap keeps
    the first N matches of a file and says there were more; -F and -i."""
    data = b"m1\nx\nm2\ny\nz\nw\nm3\nq\n"
    hits = await search_bytes(Pattern("m", context=2), data)
    assert [(h.line, h.before, h.after) for h in hits.hits] == [
        (1, [], ["x"]),
        (3, [], ["y", "z"]),
        (7, ["w"], ["q"]),
    ]
    capped = await search_bytes(Pattern("m", context=1, max_per_file=2), data)
    assert [h.line for h in capped.hits] == [1, 3] and capped.truncated
    exact = await search_bytes(Pattern("m", max_per_file=3), data)
    assert len(exact.hits) == 3 and not exact.truncated
    assert not (await search_bytes(Pattern("a.c", fixed=True), b"abc\n")).hits
    assert (await search_bytes(Pattern("a.c", fixed=True), b"xa.c\n")).hits[0].spans == [(1, 4)]
    assert len((await search_bytes(Pattern("ERROR", ignore_case=True), b"error\n")).hits) == 1
    assert not (await search_bytes(Pattern("ERROR"), b"error\n")).hits


async def test_files_in_one_process_and_unreadable(tmp_path: Path):
    (tmp_path / "a.log").write_bytes(b"one\nfound it\n")
    (tmp_path / "b.log").write_bytes(b"nothing\n")
    seen: dict[str, FileHits] = {}
    errors = await search_files(
        Pattern("found"),
        [str(tmp_path / "a.log"), str(tmp_path / "b.log"), str(tmp_path / "gone.log")],
        on_file=seen.__setitem__,
    )
    assert list(seen) == [str(tmp_path / "a.log")]
    assert seen[str(tmp_path / "a.log")].hits[0].line == 2
    assert list(errors) == [str(tmp_path / "gone.log")]


async def test_pathological_pattern_and_long_line():
    """``(a+)+$`` on a 5 MB line finishes in seconds (linear time); the line comes back
    clipped around the match."""
    started = time.monotonic()
    hits = await search_bytes(Pattern("(a+)+$"), b"a" * 5_000_000 + b"\n")
    assert time.monotonic() - started < 10
    assert len(hits.hits) == 1 and len(hits.hits[0].text) == MAX_LINE_CHARS
    long = b"x" * 200_000 + b"NEEDLE" + b"y" * 100_000 + b"\n"
    (hit,) = (await search_bytes(Pattern("NEEDLE"), long)).hits
    start, end = hit.spans[0]
    assert hit.text[start:end] == "NEEDLE" and len(hit.text) == MAX_LINE_CHARS


@pytest.mark.parametrize("bad", ["(", "a{99999999}", "\\p{NoSuchClass}"])
async def test_invalid_pattern_is_one_line(bad: str):
    with pytest.raises(UsageError) as caught:
        await check_pattern(Pattern(bad))
    assert "\n" not in str(caught.value) and str(caught.value).startswith("invalid pattern")


def _build(build_id: str, result: str | None, matched: bool) -> BuildMatches:
    rows = [MatchRow("build-log.txt", 1, "x")] if matched else []
    return BuildMatches(build_id, result, datetime(2024, 1, 1, tzinfo=UTC), rows)


def test_impact_arithmetic_and_order():
    """runs/failed count finished builds (ABORTED is a failure); pending builds are listed
    but counted nowhere; impact = matched failures / runs; jobs without a match are left out."""
    job = job_matches(
        "logs/a/",
        [
            _build("5", "FAILURE", True),
            _build("4", "ABORTED", False),
            _build("3", "SUCCESS", True),
            _build("2", "SUCCESS", False),
            _build("6", None, True),
        ],
    )
    assert job is not None
    assert (job.runs, job.failed, job.matched_runs, job.matched_failed) == (4, 2, 2, 1)
    assert (job.failed_pct, job.match_pct_of_failures, job.impact) == (0.5, 0.5, 0.25)
    assert [b.build_id for b in job.builds] == ["6", "5", "3"]
    assert job_matches("logs/b/", [_build("1", "FAILURE", False)]) is None
    pending_only = job_matches("logs/c/", [_build("1", None, True)])
    assert pending_only is not None and pending_only.impact is None
    passed = job_matches("logs/d/", [_build("1", "SUCCESS", True), _build("2", "SUCCESS", True)])
    assert passed is not None and passed.match_pct_of_failures is None and passed.impact == 0
    ordered = order_jobs([pending_only, passed, job])
    assert [j.job for j in ordered] == ["logs/a/", "logs/d/", "logs/c/"]


async def test_slots_let_files_go_first_and_hand_on_cancelled_grants():
    """A file's slot (``first()``) is granted before listings that waited longer; a waiter
    cancelled in the queue or right after its grant never loses a slot."""
    import asyncio

    from prowtui.search.run import Slots

    slots = Slots(1)
    order: list[str] = []
    await slots.acquire()  # the one slot is taken

    async def listing(name: str) -> None:
        async with slots:
            order.append(name)

    async def file(name: str) -> None:
        async with slots.first():
            order.append(name)

    waiting = [asyncio.ensure_future(listing("list-1")), asyncio.ensure_future(listing("list-2"))]
    gone = asyncio.ensure_future(listing("cancelled"))
    await asyncio.sleep(0)
    waiting.append(asyncio.ensure_future(file("file")))
    await asyncio.sleep(0)
    gone.cancel()
    slots.release()
    await asyncio.gather(*waiting)
    assert order == ["file", "list-1", "list-2"]
    # granted, then cancelled before it ran: the slot goes on to the next waiter
    await slots.acquire()
    granted = asyncio.ensure_future(listing("granted-then-cancelled"))
    after = asyncio.ensure_future(listing("after"))
    await asyncio.sleep(0)
    slots.release()
    granted.cancel()
    await asyncio.wait_for(after, 1)
    assert order[-1] == "after"
    async with slots:  # and the slot is free again
        pass

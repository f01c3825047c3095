"""Search hits equal a plain Python reference; context filtering; error-line navigation."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from prowtui.errors import UsageError
from prowtui.logs import search as search_mod
from prowtui.logs.highlight import ErrorPatterns, is_error_line, next_error
from prowtui.logs.index import LineIndex
from prowtui.logs.search import Query, filter_with_context, search_all

WORDS = ["error", "Error", "ERROR", "ok", "pod", "fail", "Timeout", "café", "x.y", "a+b", "\t"]


@pytest.fixture
def log(tmp_path: Path):
    rng = random.Random(7)
    lines = [" ".join(rng.choices(WORDS, k=rng.randint(0, 8))) for _ in range(5_000)]
    lines[100] = "x" * 70_000 + " error"
    data = ("\n".join(lines) + "\n").encode()
    path = tmp_path / "log.txt"
    path.write_bytes(data)
    index = LineIndex(path)
    index.wait_done(timeout=10)
    yield index, [line.encode() for line in lines]
    index.close()


def _reference(lines: list[bytes], query: Query) -> list[int]:
    needle = query.text.encode()
    if query.regex:
        pattern = re.compile(needle, 0 if query.case else re.IGNORECASE)
        return [i for i, line in enumerate(lines) if pattern.search(line)]
    if query.case:
        return [i for i, line in enumerate(lines) if needle in line]
    return [i for i, line in enumerate(lines) if needle.lower() in line.lower()]


@pytest.mark.parametrize(
    "query",
    [
        Query("error"),
        Query("error", case=True),
        Query("ERROR", case=True),
        Query("x.y"),
        Query("a+b"),
        Query(r"err(or)? \w+", regex=True),
        Query(r"^pod", regex=True, case=True),
        Query(r"fail$", regex=True),
        Query("café"),
    ],
)
def test_hits_equal_python_reference(log, query: Query, monkeypatch) -> None:
    index, lines = log
    monkeypatch.setattr(search_mod, "CHUNK", 4096)  # many chunk boundaries
    assert search_all(index, query) == _reference(lines, query)


def test_bad_regex_is_a_usage_error(log) -> None:
    with pytest.raises(UsageError):
        Query("(", regex=True).compile()


def test_cancel_stops_the_search(log) -> None:
    index, _ = log
    batches = list(search_mod.iter_hits(index, Query("pod"), cancelled=lambda: True))
    assert batches == []


def test_filter_with_context_merges_and_clips() -> None:
    assert filter_with_context([0, 3, 10], context=2, line_count=11) == [
        0, 1, 2, 3, 4, 5, 8, 9, 10,
    ]  # fmt: skip
    assert filter_with_context([5, 5, 6], context=1) == [4, 5, 6, 7]
    assert filter_with_context([], context=2) == []


def test_error_patterns() -> None:
    assert is_error_line(b"level=error msg=boom")
    assert is_error_line(b"ERRO[0003] something")
    assert is_error_line(b"E0102 10:11:12.123456 1 foo.go:1] bad")
    assert is_error_line(b"  [FAILED] in [It] ...")
    assert is_error_line(b"context deadline exceeded: timed out waiting")
    assert is_error_line(b"panic: runtime error")
    assert not is_error_line(b"INFO all good, 0 issues")
    assert not is_error_line(b"Errorless")
    custom = ErrorPatterns([("boom", True)])
    assert custom.is_error_line(b"a boom") and not custom.is_error_line(b"an error")


def test_next_error_both_directions(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr("prowtui.logs.highlight.CHUNK", 64)
    lines = ["ok"] * 50
    for i in (3, 20, 47):
        lines[i] = f"step {i} failed"
    path = tmp_path / "e.log"
    path.write_text("\n".join(lines))
    with LineIndex(path) as index:
        index.wait_done(timeout=5)
        assert next_error(index, 0, 1) == 3
        assert next_error(index, 3, 1) == 20
        assert next_error(index, 47, 1) is None
        assert next_error(index, 47, -1) == 20
        assert next_error(index, 20, -1) == 3
        assert next_error(index, 3, -1) is None

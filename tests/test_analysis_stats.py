"""``job_stats`` on a hand-built bucket with hand-counted completeness, checked three ways:
against literal expected numbers, against an independent pandas computation over the tree,
and (text measures) against the notebook's formulas."""

from __future__ import annotations

import itertools
import json
import math
import os
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prowtui.analysis.describe import describe
from prowtui.analysis.stats import PRESENCE_PATHS, job_stats
from prowtui.analysis.text_measures import StreamingCounts, get_counts
from prowtui.sources.local import LocalSource

JOB = "logs/periodic-hand-counted/"
EVENTS = json.dumps({"kind": "EventList", "items": [{"metadata": {"uid": "u"}, "message": "m"}]})
JUNIT = '<testsuite name="s"><testcase name="t" time="1"/></testsuite>'

#: build id -> {relative path: content}; None content means "write nothing" (not used)
BUILDS: dict[str, dict[str, bytes]] = {
    "1001": {
        "build-log.txt": b"hello world\n",
        "finished.json": b'{"timestamp": 1600000100, "passed": true, "result": "SUCCESS"}',
        "started.json": b'{"timestamp": 1600000000}',
        "prowjob.json": b"{}",
        "podinfo.json": b"{}",
        "artifacts/build-resources/events.json": EVENTS.encode(),
        "artifacts/junit_operator.xml": JUNIT.encode(),
        "artifacts/metadata.json": b"{}",
    },
    "1002": {
        "build-log.txt": b"a\r\nb\r\nc",
        "finished.json": b'{"timestamp": 1600000200, "passed": false, "result": "FAILURE"}',
        "started.json": b'{"timestamp": 1600000150}',
        "prowjob.json": b"{}",
        "podinfo.json": b"{}",
        "artifacts/build-resources/events.json": EVENTS.encode(),
        "artifacts/junit_operator.xml": JUNIT.encode(),
    },
    "1003": {
        "build-log.txt": b"",
        "finished.json": b'{"timestamp": 1600000300, "passed": false}',
        "started.json": b'{"timestamp": 1600000250}',
        "prowjob.json": b"{}",
        "artifacts/build-resources/pods.json": b"{}",
        "artifacts/junit_operator.xml": JUNIT.encode(),
        "artifacts/metadata.json": b"{}",
    },
    "1004": {
        "build-log.txt": b"ok \xff\xfe done\n",
        "finished.json": b'{"timestamp": 1600000400, "passed": false, "result": "aborted"}',
        "started.json": b'{"timestamp": 1600000350}',
        "prowjob.json": b"{}",
    },
    "999": {"started.json": b'{"timestamp": 1599999999}'},
}

TOP_6 = ["artifacts/", "build-log.txt", "finished.json", "podinfo.json", "prowjob.json"]
TOP_6 = [*TOP_6, "started.json"]
ART_3 = ["build-resources/", "junit_operator.xml", "metadata.json"]


def _describe_literal(values: list[float]) -> dict[str, object]:
    """Hand formulas for describe(): sample std, linear-interpolated quartiles."""
    xs = sorted(values)
    n = len(xs)
    mean = sum(xs) / n

    def q(p: float) -> float:
        pos = p * (n - 1)
        lo = math.floor(pos)
        hi = min(lo + 1, n - 1)
        return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)

    std = math.sqrt(sum((x - mean) ** 2 for x in xs) / (n - 1))
    return {
        "count": n,
        "mean": mean,
        "std": std,
        "min": float(xs[0]),
        "25%": q(0.25),
        "50%": q(0.5),
        "75%": q(0.75),
        "max": float(xs[-1]),
    }


EXPECTED = {
    "job": JOB,
    "builds": 5,
    "top_level": {
        "entry_count_distribution": {"1": 1, "4": 1, "5": 1, "6": 2},
        "patterns": [
            {"entries": TOP_6, "builds": 2, "share": 0.4},
            {
                "entries": [
                    "artifacts/",
                    "build-log.txt",
                    "finished.json",
                    "prowjob.json",
                    "started.json",
                ],
                "builds": 1,
                "share": 0.2,
            },
            {
                "entries": ["build-log.txt", "finished.json", "prowjob.json", "started.json"],
                "builds": 1,
                "share": 0.2,
            },
            {"entries": ["started.json"], "builds": 1, "share": 0.2},
        ],
    },
    "artifacts": {
        "entry_count_distribution": {"0": 2, "2": 1, "3": 2},
        "patterns": [
            {"entries": [], "builds": 2, "share": 0.4},
            {"entries": ART_3, "builds": 2, "share": 0.4},
            {"entries": ["build-resources/", "junit_operator.xml"], "builds": 1, "share": 0.2},
        ],
    },
    "presence": {
        "build-log.txt": 0.8,
        "finished.json": 0.8,
        "started.json": 1.0,
        "prowjob.json": 0.8,
        "podinfo.json": 0.4,
        "artifacts/": 0.6,
        "artifacts/build-resources/events.json": 0.4,
    },
    "results": {"FAILURE": 2, "ABORTED": 1, "PENDING": 1, "SUCCESS": 1},
    "build_log_bytes": _describe_literal([12, 7, 0, 11]),
}

EXPECTED_CONTENT = {
    "chars": _describe_literal([12, 7, 0, 11, 0]),
    "words": _describe_literal([2, 3, 0, 3, 0]),
    "lines": _describe_literal([2, 3, 0, 2, 0]),
}


def write_tree(root: Path) -> Path:
    """Write the hand-counted job (plus non-build noise) below ``root``."""
    job = root / JOB
    for build_id, files in BUILDS.items():
        for rel, data in files.items():
            path = job / build_id / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
    (job / "latest-build.txt").write_text("1004")
    (job / "not-a-build").mkdir()
    (job / "not-a-build" / "x.txt").write_text("x")
    return root


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    return write_tree(tmp_path / "bucket")


def assert_close(actual: object, expected: object, where: str = "") -> None:
    """Deep equality with floats compared to 1e-12 relative tolerance."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), where
        assert list(actual) == list(expected) or set(actual) == set(expected), where
        for key in expected:
            assert_close(actual[key], expected[key], f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), where
        for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
            assert_close(a, e, f"{where}[{i}]")
    elif isinstance(expected, float):
        assert actual is not None and math.isclose(actual, expected, rel_tol=1e-12), where
    else:
        assert actual == expected, where


async def test_stats_json_matches_hand_counts(tree: Path) -> None:
    stats = await job_stats(LocalSource(tree), JOB, concurrency=3)
    doc = stats.to_json()
    assert list(doc) == [
        "job",
        "builds",
        "top_level",
        "artifacts",
        "presence",
        "results",
        "build_log_bytes",
    ]
    assert_close(doc, EXPECTED)
    assert stats.failures == []
    json.dumps(doc, allow_nan=False)  # strictly JSON-safe


async def test_stats_content_matches_notebook_formulas(tree: Path) -> None:
    doc = (await job_stats(LocalSource(tree), JOB, content=True)).to_json()
    assert list(doc)[-1] == "build_log"
    assert_close(doc["build_log"], EXPECTED_CONTENT)
    assert_close({k: v for k, v in doc.items() if k != "build_log"}, EXPECTED)


def _pandas_reference(root: Path, content: bool) -> dict[str, object]:
    """An independent computation straight from the directory tree with pandas."""
    job_dir = root / JOB
    builds = sorted((p.name for p in job_dir.iterdir() if p.name.isdigit()), key=int)
    top = pd.Series({b: sorted(_names(job_dir / b)) for b in builds})
    art = pd.Series(
        {
            b: sorted(_names(job_dir / b / "artifacts"))
            if (job_dir / b / "artifacts").is_dir()
            else []
            for b in builds
        }
    )
    present = pd.DataFrame(
        {p: [(job_dir / b / p).exists() for b in builds] for p in PRESENCE_PATHS}, index=builds
    )
    sizes = pd.Series(
        [
            (job_dir / b / "build-log.txt").stat().st_size
            for b in builds
            if (job_dir / b / "build-log.txt").exists()
        ],
        dtype="float64",
    )
    ref: dict[str, object] = {
        "top_counts": top.apply(len).value_counts().sort_index(),
        "art_counts": art.apply(len).value_counts().sort_index(),
        "top_patterns": top.apply(" ".join).value_counts(normalize=True),
        "art_patterns": art.apply(" ".join).value_counts(normalize=True),
        "presence": present.mean(),
        "sizes": sizes.describe(),
    }
    if content:
        rows = []
        for b in builds:
            log = job_dir / b / "build-log.txt"
            text = log.read_bytes().decode("utf-8", "replace") if log.exists() else ""
            rows.append(get_counts(text))
        df = pd.DataFrame(rows, columns=["chars", "words", "lines"])
        ref["content"] = {c: df[c].describe() for c in df}
    return ref


def _names(directory: Path) -> list[str]:
    return [e.name + ("/" if e.is_dir() else "") for e in os.scandir(directory)]


def _check_describe(actual: dict[str, object], series: pd.Series) -> None:
    for key, value in series.items():
        if pd.isna(value):
            assert actual[key] is None
        else:
            assert math.isclose(actual[key], float(value), rel_tol=1e-12), key


async def test_stats_equal_independent_pandas_computation(tree: Path) -> None:
    doc = (await job_stats(LocalSource(tree), JOB, content=True)).to_json()
    ref = _pandas_reference(tree, content=True)
    for block, counts_key in (("top_level", "top_counts"), ("artifacts", "art_counts")):
        counts = ref[counts_key]
        assert doc[block]["entry_count_distribution"] == {str(k): int(v) for k, v in counts.items()}
    for block, key in (("top_level", "top_patterns"), ("artifacts", "art_patterns")):
        shares = {" ".join(p["entries"]): p["share"] for p in doc[block]["patterns"]}
        expected = {k: float(v) for k, v in ref[key].items()}
        assert shares.keys() == expected.keys()
        for k, v in expected.items():
            assert math.isclose(shares[k], v)
    for path, share in ref["presence"].items():
        assert math.isclose(doc["presence"][path], float(share)), path
    _check_describe(doc["build_log_bytes"], ref["sizes"])
    for col, series in ref["content"].items():
        _check_describe(doc["build_log"][col], series)


async def test_limit_takes_newest_builds_numerically(tree: Path) -> None:
    stats = await job_stats(LocalSource(tree), JOB, limit=2)
    assert [b.build_id for b in stats.builds] == ["1003", "1004"]
    assert stats.to_json()["builds"] == 2


async def test_progress_is_reported_for_every_build(tree: Path) -> None:
    seen: list[tuple[int, int]] = []
    await job_stats(LocalSource(tree), JOB, on_progress=lambda d, t, _c: seen.append((d, t)))
    assert seen[0] == (0, 5)
    assert sorted(seen[1:]) == [(i, 5) for i in range(1, 6)]


async def test_unreadable_build_is_reported_not_fatal(tree: Path) -> None:
    # gzip magic followed by garbage: the source reports a broken stream (BadResponse)
    (tree / JOB / "1002" / "finished.json").write_bytes(b"\x1f\x8b\x08\x00garbage")
    stats = await job_stats(LocalSource(tree), JOB)
    assert [f[0] for f in stats.failures] == ["1002"]
    assert stats.to_json()["builds"] == 4


def test_describe_of_empty_and_single() -> None:
    assert describe([]) == {
        "count": 0,
        "mean": None,
        "std": None,
        "min": None,
        "25%": None,
        "50%": None,
        "75%": None,
        "max": None,
    }
    one = describe([5])
    assert one["count"] == 1 and one["std"] is None and one["max"] == 5.0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", (0, 0, 0)),
        (None, (0, 0, 0)),
        ("a b\r\nc d\r\n", (10, 4, 3)),
        ("no final newline", (16, 3, 1)),
        (b"bad \xff\xfe utf8\n", (12, 3, 2)),
        ("   ", (3, 0, 1)),
    ],
)
def test_get_counts_formulas(text: str | bytes | None, expected: tuple[int, int, int]) -> None:
    assert get_counts(text) == expected


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=300), cuts=st.lists(st.integers(0, 300), max_size=8))
def test_streaming_counts_equal_whole_counts(data: bytes, cuts: list[int]) -> None:
    counter = StreamingCounts()
    points = sorted({c for c in cuts if c <= len(data)} | {0, len(data)})
    for start, end in itertools.pairwise(points):
        counter.feed(data[start:end])
    assert counter.result() == get_counts(data)


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet=" \t\r\n\x0b\x0c\x1c\u2028\u3000ab\u00e9\U0001f600", max_size=60))
def test_streaming_counts_unicode_whitespace(text: str) -> None:
    data = text.encode()
    counter = StreamingCounts()
    for i in range(0, len(data), 3):
        counter.feed(data[i : i + 3])
    assert counter.result() == get_counts(text)

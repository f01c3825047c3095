"""Property tests: any input to a Prow parser gives a result or ParseError, nothing else."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prowtui.errors import ParseError
from prowtui.prow.artifacts import artifact_kind, is_events_file, is_junit_file, looks_binary
from prowtui.prow.decode import parse_timestamp
from prowtui.prow.events import EventRow, parse_events
from prowtui.prow.jobs import classify_path, is_build_id, parse_job_path
from prowtui.prow.junit import parse_junit, parse_junit_suites
from prowtui.prow.metadata import (
    RESULTS,
    normalize_result,
    parse_finished,
    parse_podinfo,
    parse_prowjob,
    parse_started,
)

FUZZ = settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

JSON_PARSERS: list[Callable[..., Any]] = [
    parse_started,
    parse_finished,
    parse_prowjob,
    parse_podinfo,
    parse_events,
]
ALL_PARSERS: list[Callable[..., Any]] = [*JSON_PARSERS, parse_junit, parse_junit_suites]

KEYS = [
    "timestamp", "passed", "result", "revision", "metadata", "repo-commit", "repos", "node",
    "pull", "job-version", "repo-version", "version", "kind", "items", "spec", "status", "refs",
    "pulls", "state", "startTime", "completionTime", "labels", "pod", "events", "containers",
    "containerStatuses", "initContainers", "state", "terminated", "exitCode", "name", "image",
    "involvedObject", "regarding", "series", "count", "eventTime", "firstTimestamp",
    "lastTimestamp", "source", "component", "uid", "namespace", "creationTimestamp", "type",
]  # fmt: skip
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(["SUCCESS", "failure", "2022-12-12T17:58:09Z", "1595279434", "Pod"]),
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(
            st.one_of(st.sampled_from(KEYS), st.text(max_size=8)), children, max_size=6
        ),
    ),
    max_leaves=40,
)

VALID_DOCS = [
    b'{"timestamp": 1595279434, "passed": true, "result": "SUCCESS", "revision": "abc"}',
    b'{"timestamp": 1460712625, "version": "v1.3", "repos": {"a/b": "master:abc,1:def"}}',
    json.dumps(
        {
            "spec": {"job": "j", "type": "presubmit", "refs": {"org": "o", "pulls": [{"n": 1}]}},
            "status": {"state": "failure", "startTime": "2022-12-12T17:58:09Z"},
        }
    ).encode(),
    json.dumps(
        {
            "kind": "EventList",
            "items": [
                {
                    "metadata": {"name": "e", "uid": "u"},
                    "involvedObject": {"kind": "Pod", "name": "p"},
                    "count": 3,
                    "lastTimestamp": "2021-04-17T10:05:00Z",
                }
            ],
        }
    ).encode(),
    json.dumps({"pod": {"status": {"containerStatuses": [{"name": "t"}]}}, "events": []}).encode(),
    b'<!-- c --><?xml version="1.0"?><testsuites><testsuite name="s" tests="2">'
    b'<testcase name="a" time="1,5"><failure message="m">body &amp; more</failure></testcase>'
    b'<testcase name="b" time="whatever"><skipped/></testcase></testsuite></testsuites>',
]

MUTATION = st.tuples(
    st.sampled_from(["truncate", "insert", "delete", "replace"]),
    st.integers(min_value=0, max_value=10_000),
    st.integers(min_value=0, max_value=64),
    st.binary(min_size=1, max_size=16),
)


def _mutate(data: bytes, mutations: list[tuple[str, int, int, bytes]]) -> bytes:
    for op, position, length, blob in mutations:
        pos = position % (len(data) + 1)
        if op == "truncate":
            data = data[:pos]
        elif op == "insert":
            data = data[:pos] + blob + data[pos:]
        elif op == "delete":
            data = data[:pos] + data[pos + length :]
        else:
            data = data[:pos] + blob + data[pos + len(blob) :]
    return data


def _check(parser: Callable[..., Any], data: bytes | str) -> Any:
    """Run a parser: its result, or None when it raised ParseError; anything else fails."""
    try:
        result = parser(data, file="fuzz.file")
    except ParseError as exc:
        assert str(exc).startswith("fuzz.file: ")
        assert "\n" not in str(exc)
        return None
    _check_shape(result)
    return result


def _check_shape(result: Any) -> None:
    if isinstance(result, list):
        for row in result:
            if isinstance(row, EventRow):
                assert row.count is None or isinstance(row.count, int)
                for stamp in (row.first_timestamp, row.last_timestamp):
                    assert stamp is None or stamp.tzinfo is not None
            elif hasattr(row, "status"):
                assert row.status in ("passed", "failed", "error", "skipped")
    elif hasattr(result, "result"):
        assert result.result in RESULTS
    elif hasattr(result, "state"):
        assert result.state in RESULTS


@FUZZ
@given(data=st.binary(max_size=2000), index=st.integers(0, len(ALL_PARSERS) - 1))
def test_arbitrary_bytes(data: bytes, index: int) -> None:
    _check(ALL_PARSERS[index], data)


@FUZZ
@given(
    data=st.text(st.characters(exclude_categories=[]), max_size=1000),
    index=st.integers(0, len(ALL_PARSERS) - 1),
)
def test_arbitrary_text(data: str, index: int) -> None:
    _check(ALL_PARSERS[index], data)


@FUZZ
@given(value=JSON_VALUES, index=st.integers(0, len(JSON_PARSERS) - 1))
def test_any_json_shape(value: Any, index: int) -> None:
    text = json.dumps(value, allow_nan=True)
    _check(JSON_PARSERS[index], text)
    _check(JSON_PARSERS[index], text.encode("utf-8", "surrogatepass"))


@FUZZ
@given(
    doc=st.sampled_from(VALID_DOCS),
    mutations=st.lists(MUTATION, min_size=1, max_size=4),
    index=st.integers(0, len(ALL_PARSERS) - 1),
)
def test_mutated_valid_documents(
    doc: bytes, mutations: list[tuple[str, int, int, bytes]], index: int
) -> None:
    _check(ALL_PARSERS[index], _mutate(doc, mutations))


XML_NAMES = st.sampled_from(
    ["testsuites", "testsuite", "testcase", "failure", "error", "skipped", "system-out", "x"]
)
XML_ATTRS = st.dictionaries(
    st.sampled_from(["name", "classname", "time", "tests", "failures", "message", "skipped"]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=12),
    max_size=4,
)


@st.composite
def junit_trees(draw: st.DrawFn, depth: int = 0, in_suite: bool = True) -> tuple[str, int]:
    """A random junit-ish element and how many test cases a parser should find in it (those
    whose ancestors are all ``testsuites``/``testsuite``)."""
    tag = draw(XML_NAMES)
    attrs = draw(XML_ATTRS)
    rendered = "".join(
        f' {key}="{value.replace("&", "&amp;").replace("<", "&lt;").replace(chr(34), "&quot;")}"'
        for key, value in attrs.items()
    )
    child_in_suite = in_suite and tag in ("testsuites", "testsuite")
    children = (
        draw(st.lists(junit_trees(depth + 1, child_in_suite), max_size=3)) if depth < 4 else []
    )
    text = draw(st.sampled_from(["", "text", "a &amp; b", "<![CDATA[<raw>]]>", "&#xA;"]))
    count = int(in_suite and tag == "testcase") + sum(n for _xml, n in children)
    return f"<{tag}{rendered}>{text}{''.join(xml for xml, _n in children)}</{tag}>", count


@FUZZ
@given(tree=junit_trees(), prefix=st.sampled_from(["", "\ufeff", "<!-- c -->\n", "  \n"]))
def test_generated_junit(tree: tuple[str, int], prefix: str) -> None:
    xml, cases = tree
    doc = prefix + '<?xml version="1.0" encoding="UTF-8"?>' + xml
    rows = _check(parse_junit, doc)
    if xml.startswith(("<testsuites", "<testsuite", "<testcase")):
        assert rows is not None
        assert len(rows) == cases
    else:
        assert rows is None
    _check(parse_junit_suites, doc.encode())


@FUZZ
@given(value=st.one_of(JSON_VALUES, st.text(max_size=40)))
def test_timestamps_and_results_never_raise(value: Any) -> None:
    stamp = parse_timestamp(value)
    assert stamp is None or (
        isinstance(stamp, datetime) and stamp.utcoffset() == timezone.utc.utcoffset(None)
    )
    text = value if isinstance(value, str) else None
    assert normalize_result(text, value if isinstance(value, bool) else None) in RESULTS


@FUZZ
@given(path=st.text(max_size=80), size=st.one_of(st.none(), st.integers(0, 2**40)))
def test_path_helpers_never_raise(path: str, size: int | None) -> None:
    job = parse_job_path(path)
    assert job.path == "" or job.path.endswith("/")
    info = classify_path(path)
    assert info.kind in ("root", "logs-root", "job", "build", "build-file", "artifact", "other")
    assert info.build_id is None or is_build_id(info.build_id)
    assert isinstance(artifact_kind(path, size), str)
    is_events_file(path)
    is_junit_file(path)


@FUZZ
@given(head=st.binary(max_size=4096))
def test_looks_binary_never_raises(head: bytes) -> None:
    assert looks_binary(head) in (True, False)
    if b"\x00" in head:
        assert looks_binary(head)

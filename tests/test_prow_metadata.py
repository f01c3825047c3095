"""started.json / finished.json / prowjob.json / podinfo.json parsing and result normalisation."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from prowtui.errors import ParseError, TooLarge
from prowtui.prow import limits
from prowtui.prow.decode import parse_timestamp
from prowtui.prow.metadata import (
    RESULTS,
    build_result,
    build_version,
    normalize_result,
    parse_finished,
    parse_podinfo,
    parse_prowjob,
    parse_started,
)

UTC = timezone.utc


@pytest.mark.parametrize(
    ("result", "passed", "expected"),
    [
        ("SUCCESS", None, "SUCCESS"),
        ("success", False, "SUCCESS"),
        ("failure", None, "FAILURE"),
        ("aborted", False, "ABORTED"),
        ("error", None, "ERROR"),
        (" Pending ", None, "PENDING"),
        ("triggered", None, "PENDING"),
        (None, True, "SUCCESS"),
        (None, False, "FAILURE"),
        ("", True, "SUCCESS"),
        (None, None, "UNKNOWN"),
        ("UNSTABLE", True, "UNKNOWN"),
        ("weird", None, "UNKNOWN"),
    ],
)
def test_normalize_result(result: str | None, passed: bool | None, expected: str) -> None:
    assert normalize_result(result, passed) == expected
    assert expected in RESULTS


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1595279434, datetime(2020, 7, 20, 21, 10, 34, tzinfo=UTC)),
        (1595279434.5, datetime(2020, 7, 20, 21, 10, 34, 500000, tzinfo=UTC)),
        ("1595279434", datetime(2020, 7, 20, 21, 10, 34, tzinfo=UTC)),
        ("2022-12-12T17:58:09Z", datetime(2022, 12, 12, 17, 58, 9, tzinfo=UTC)),
        ("2022-12-12T17:58:09.123456789Z", datetime(2022, 12, 12, 17, 58, 9, 123456, tzinfo=UTC)),
        ("2022-12-12T19:58:09+02:00", datetime(2022, 12, 12, 17, 58, 9, tzinfo=UTC)),
        ("garbage", None),
        ("", None),
        (True, None),
        (None, None),
        (float("nan"), None),
        (10**30, None),
        ("2022-13-45T99:00:00Z", None),
        ({"a": 1}, None),
    ],
)
def test_parse_timestamp(value: object, expected: datetime | None) -> None:
    assert parse_timestamp(value) == expected


def test_started_podutils_with_refs() -> None:
    doc = {
        "timestamp": 1700000000,
        "pull": "27600",
        "repos": {"openshift/origin": "master:abc,27600:def", "bad": 5, "worse": None},
        "repo-commit": "def",
        "metadata": {"uploader": "crier"},
    }
    started = parse_started(json.dumps(doc))
    assert started.timestamp == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
    assert started.pull == "27600"
    assert started.repos == {"openshift/origin": "master:abc,27600:def", "bad": "5"}
    assert started.repo_commit == "def"
    assert started.metadata == {"uploader": "crier"}
    assert started.node is None and started.job_version is None
    assert started.raw == doc


def test_started_wrong_types_become_none() -> None:
    started = parse_started(b'{"timestamp": "soon", "node": [], "repos": "x", "metadata": 3}')
    assert started.timestamp is None
    assert started.node is None
    assert started.repos == {}
    assert started.metadata == {}


def test_finished_forms() -> None:
    jenkins = parse_finished(b'{"result": "SUCCESS", "timestamp": 1460733046}')
    assert (jenkins.result, jenkins.passed, jenkins.revision) == ("SUCCESS", None, None)
    crier = parse_finished(b'{"timestamp": 1, "passed": false, "result": "aborted"}')
    assert crier.result == "ABORTED"
    no_result = parse_finished(b'{"timestamp": 1, "passed": false}')
    assert no_result.result == "FAILURE"
    null_passed = parse_finished(b'{"passed": null}')
    assert (null_passed.result, null_passed.timestamp) == ("UNKNOWN", None)
    bootstrap = parse_finished(
        json.dumps(
            {
                "timestamp": 1595279434,
                "passed": True,
                "result": "SUCCESS",
                "job-version": "v1.20.0",
                "metadata": {"repo-commit": "abc123", "infra-commit": "x"},
            }
        )
    )
    assert bootstrap.revision == "abc123"
    assert bootstrap.job_version == "v1.20.0"


def test_finished_revision_order() -> None:
    both = {"revision": "top", "metadata": {"revision": "meta", "repo-commit": "rc"}}
    assert parse_finished(json.dumps(both)).revision == "top"
    meta = {"revision": "", "metadata": {"revision": "meta", "repo-commit": "rc"}}
    assert parse_finished(json.dumps(meta)).revision == "meta"
    assert parse_finished('{"metadata": {"repo-commit": "rc"}}').revision == "rc"


def test_build_result_and_version() -> None:
    assert build_result(None) == "PENDING"
    finished = parse_finished('{"passed": true, "metadata": {"revision": "r1"}}')
    assert build_result(finished) == "SUCCESS"
    started = parse_started('{"timestamp": 1, "repo-version": "v1", "repo-commit": "c"}')
    assert build_version(started, finished) == "v1"
    assert build_version(parse_started('{"repo-commit": "c"}'), finished) == "r1"
    assert build_version(parse_started('{"repo-commit": "c"}'), None) == "c"
    assert build_version(None, None) is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"timestamp": ', "finished.json: invalid JSON at line 1 column 15"),
        (b"[1, 2]", "finished.json: expected a JSON object, got array"),
        (b'"SUCCESS"', "finished.json: expected a JSON object, got string"),
        (b"", "finished.json: empty document"),
        (b"\x00\x00", "finished.json: invalid JSON at line 1 column 1"),
        (b'{"a": 1}\x00', "finished.json: invalid JSON at line 1 column 9"),
        (b"[" * 100_000, "finished.json: JSON nested too deeply"),
    ],
)
def test_finished_errors_name_the_file(data: bytes, message: str) -> None:
    with pytest.raises(ParseError) as info:
        parse_finished(data)
    assert str(info.value) == message
    assert info.value.file == "finished.json"


def test_custom_file_name_in_messages() -> None:
    with pytest.raises(ParseError, match=r"^logs/j/1/started.json: invalid JSON"):
        parse_started("{nope", file="logs/j/1/started.json")


def test_invalid_utf8_is_replaced() -> None:
    started = parse_started(b'{"node": "n\xff\xfeode", "timestamp": 5}')
    assert started.node == "n\ufffd\ufffdode"
    assert parse_started(b'\xef\xbb\xbf{"timestamp": 5}').timestamp is not None


def test_too_large(monkeypatch: pytest.MonkeyPatch) -> None:
    assert limits.MAX_JSON_BYTES == 64 * 1024 * 1024
    big = b'{"pad": "' + b"x" * limits.MAX_JSON_BYTES + b'"}'
    with pytest.raises(TooLarge, match=r"^finished.json: .* over the 64 MiB limit"):
        parse_finished(big)
    with pytest.raises(TooLarge):
        parse_started(big.decode())


PROWJOB = {
    "kind": "ProwJob",
    "metadata": {"name": "abc", "labels": {"prow.k8s.io/build-id": "42"}},
    "spec": {
        "type": "periodic",
        "job": "periodic-ci-foo",
        "cluster": "build01",
        "namespace": "ci",
    },
    "status": {"state": "triggered", "startTime": "2022-12-12T17:58:09Z"},
}


def test_prowjob_minimal_and_label_fallbacks() -> None:
    info = parse_prowjob(json.dumps(PROWJOB))
    assert info.job == "periodic-ci-foo"
    assert info.type == "periodic"
    assert info.state == "PENDING" and info.raw_state == "triggered"
    assert info.build_id == "42"
    assert info.org is None and info.pulls == []
    assert info.start_time == datetime(2022, 12, 12, 17, 58, 9, tzinfo=UTC)
    assert info.completion_time is None


def test_prowjob_wrong_shapes() -> None:
    info = parse_prowjob('{"spec": [], "status": "x", "metadata": {"labels": [1]}}')
    assert info.job is None and info.state == "UNKNOWN" and info.labels == {}
    odd = {"spec": {"refs": {"pulls": [{"number": 1}, "junk", None]}}}
    assert parse_prowjob(json.dumps(odd)).pulls == [{"number": 1}]


PODINFO = {
    "pod": {
        "metadata": {"name": "pod-1", "namespace": "test-pods"},
        "spec": {
            "nodeName": "node-a",
            "initContainers": [{"name": "clonerefs", "image": "clonerefs:v1"}],
            "containers": [{"name": "test", "image": "img:1"}, {"name": "sidecar"}],
        },
        "status": {
            "phase": "Failed",
            "startTime": "2024-01-02T03:04:05Z",
            "initContainerStatuses": [
                {
                    "name": "clonerefs",
                    "ready": False,
                    "restartCount": 0,
                    "state": {"terminated": {"exitCode": 0, "reason": "Completed"}},
                }
            ],
            "containerStatuses": [
                {
                    "name": "test",
                    "ready": False,
                    "restartCount": 2,
                    "image": "img:1",
                    "state": {"terminated": {"exitCode": 137, "reason": "OOMKilled"}},
                },
                {"name": "sidecar", "ready": True, "state": {"running": {}}},
            ],
        },
    },
    "events": [
        {
            "metadata": {"name": "pod-1.1", "namespace": "test-pods", "uid": "u1"},
            "involvedObject": {"kind": "Pod", "name": "pod-1"},
            "reason": "Scheduled",
            "type": "Normal",
            "count": 1,
            "firstTimestamp": "2024-01-02T03:04:00Z",
            "lastTimestamp": "2024-01-02T03:04:01Z",
        },
        "junk",
    ],
    "node": {"metadata": {"name": "node-a"}},
}


def test_podinfo() -> None:
    info = parse_podinfo(json.dumps(PODINFO).encode())
    assert (info.pod_name, info.namespace, info.node_name, info.phase) == (
        "pod-1",
        "test-pods",
        "node-a",
        "Failed",
    )
    assert info.start_time == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    init, test, sidecar = info.containers
    assert (init.name, init.init, init.state, init.exit_code) == (
        "clonerefs",
        True,
        "terminated",
        0,
    )
    assert (test.image, test.restart_count, test.reason, test.exit_code) == (
        "img:1",
        2,
        "OOMKilled",
        137,
    )
    assert (sidecar.state, sidecar.ready, sidecar.image) == ("running", True, None)
    assert [event.reason for event in info.events] == ["Scheduled"]
    assert info.node == {"metadata": {"name": "node-a"}}


def test_podinfo_empty_object() -> None:
    info = parse_podinfo(b"{}")
    assert info.pod_name is None and info.containers == [] and info.events == []
    assert info.node is None

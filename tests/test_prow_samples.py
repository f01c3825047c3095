"""Every real artifact in ../shared/data/prow-samples parses with the right parser and gives the
values its MANIFEST line states."""

from __future__ import annotations

import gzip
from datetime import datetime, timezone
from pathlib import Path

import pytest

from prowtui.prow.artifacts import artifact_kind, looks_binary
from prowtui.prow.events import parse_events
from prowtui.prow.junit import parse_junit, parse_junit_suites
from prowtui.prow.metadata import (
    build_result,
    parse_finished,
    parse_podinfo,
    parse_prowjob,
    parse_started,
)

UTC = timezone.utc
KUBE_5043 = "kubernetes__test-infra/gubernator/test_data/kube_results.tar.gz.extracted/5043"
PROW_DOCS = "kubernetes-sigs__prow/site/content/en/docs/metadata-artifacts.md.extracted"
CI_TOOLS = "openshift__ci-tools/test/e2e"

PARSERS = {
    "started": parse_started,
    "finished": parse_finished,
    "prowjob": parse_prowjob,
    "podinfo": parse_podinfo,
    "events": parse_events,
    "junit": parse_junit,
}


def _kind(path: Path) -> str:
    """The parser a sample needs: by name, and any ``.xml`` is junit; a JSON named otherwise
    (``prowjob_test.json``) by its content's shape."""
    kind = artifact_kind(path.name, path.stat().st_size)
    if path.suffix == ".xml":
        return "junit"
    if path.name.startswith("prowjob"):
        return "prowjob"
    return kind


def _samples(samples_dir: Path) -> list[Path]:
    return sorted(p for p in samples_dir.rglob("*") if p.is_file() and p.name != "MANIFEST.md")


def test_every_sample_parses_or_reads_as_text(samples_dir: Path) -> None:
    seen_kinds = set()
    for path in _samples(samples_dir):
        data = path.read_bytes()
        kind = _kind(path)
        seen_kinds.add(kind)
        if kind in PARSERS:
            result = PARSERS[kind](data, file=path.name)
            assert result, path
        elif kind == "archive":
            assert looks_binary(data[:4096]), path
            assert not looks_binary(gzip.decompress(data)[:4096]), path
        else:
            assert kind in ("log", "text"), (path, kind)
            assert not looks_binary(data[:65536]), path
    assert {"started", "finished", "prowjob", "junit", "log", "archive"} <= seen_kinds


def test_kube_junit_01(samples_dir: Path) -> None:
    data = (samples_dir / KUBE_5043 / "artifacts/junit_01.xml").read_bytes()
    (suite,) = parse_junit_suites(data)
    assert (suite.tests, suite.failures) == (194, 7)  # as declared (and in the MANIFEST)
    rows = parse_junit(data)
    statuses = [row.status for row in rows]
    # the file lists 274 cases: 182 passed + 7 failed = 189 run, 85 skipped
    assert (len(rows), statuses.count("failed"), statuses.count("skipped")) == (274, 7, 85)
    failed = [row for row in rows if row.status == "failed"]
    assert all(row.message for row in failed)
    assert "Only 257 pods started out of 300" in (failed[0].message or "")
    assert all(row.classname == "Kubernetes e2e suite" and row.suite == "" for row in rows)
    assert rows[0].time_s == pytest.approx(7.614168723)


def test_kettle_standard_with_leading_comment(samples_dir: Path) -> None:
    data = (samples_dir / "kubernetes__test-infra/kettle/testdata/standard.xml").read_bytes()
    assert data.startswith(b"<!--")
    rows = parse_junit(data)
    assert [row.name for row in rows] == [
        "TearDown Previous",
        "Up",
        "test setup",
        "Node Tests",
        "DumpClusterLogs",
        "TearDown",
        "Deferred TearDown",
        "Timeout",
    ]
    failed = [row for row in rows if row.status == "failed"]
    assert [(row.name, row.message) for row in failed] == [("Node Tests", "error during go run")]
    assert rows[0].time_s == pytest.approx(2.065e-05)
    assert rows[-1].time_s == 3900.0
    assert parse_junit_suites(data)[0].tests == 7


def test_ci_tools_junit_time_whatever(samples_dir: Path) -> None:
    data = (samples_dir / CI_TOOLS / "simple/artifacts/junit_operator.xml").read_bytes()
    rows = parse_junit(data)
    assert len(rows) == 5
    assert {row.suite for row in rows} == {"step graph"}
    assert all(row.time_s is None and row.status == "passed" for row in rows)
    assert (
        rows[2].name == 'Create the release image "latest" containing all images built by this job'
    )
    (suite,) = parse_junit_suites(data)
    assert (suite.tests, suite.time_s) == (8, None)


def test_ci_tools_junit_failure_body_with_entities(samples_dir: Path) -> None:
    path = samples_dir / CI_TOOLS / "observer/artifacts/multi-observers-junit_operator.xml"
    rows = parse_junit(path.read_bytes())
    assert len(rows) == 9
    (failed,) = [row for row in rows if row.status == "failed"]
    assert failed.name.endswith("multi-observers-failing-observer container test")
    assert failed.message is not None
    assert failed.message.startswith("+ echo 'this is going to fail'\nthis is going to fail\n")
    assert '"msg":"Error executing test process"' in failed.message
    assert all(row.message is None for row in rows if row.status == "passed")


def test_kubevirt_junit(samples_dir: Path) -> None:
    path = "kubevirt__project-infra/pkg/flakefinder/junit-merge/testdata/conflict/"
    data = (samples_dir / path / "partial.junit.functest.1.xml").read_bytes()
    rows = parse_junit(data)
    statuses = [row.status for row in rows]
    assert (len(rows), statuses.count("passed"), statuses.count("skipped")) == (399, 122, 277)
    assert parse_junit_suites(data)[0].tests == 122
    assert {row.suite for row in rows} == {"Tests Suite"}


def test_sippy_prowjob(samples_dir: Path) -> None:
    info = parse_prowjob(
        (samples_dir / "openshift__sippy/pkg/prowloader/prowjob_test.json").read_bytes()
    )
    assert (info.state, info.raw_state) == ("FAILURE", "failure")
    assert info.job == "pull-ci-openshift-origin-master-e2e-aws-csi"
    assert (info.type, info.build_id, info.cluster) == (
        "presubmit",
        "1602362182819909632",
        "build01",
    )
    assert (info.org, info.repo, info.base_ref) == ("openshift", "origin", "master")
    assert info.pulls[0]["number"] == 27600
    assert info.start_time == datetime(2022, 12, 12, 17, 58, 9, tzinfo=UTC)
    assert info.completion_time == datetime(2022, 12, 12, 19, 17, 57, tzinfo=UTC)
    assert info.description == "Job failed."
    assert info.url is not None and info.url.endswith("/1602362182819909632")


def test_bootstrap_started(samples_dir: Path) -> None:
    started = parse_started((samples_dir / PROW_DOCS / "bootstrap/started.json").read_bytes())
    assert started.timestamp == datetime(2020, 7, 20, 20, 54, 20, tzinfo=UTC)
    assert started.node == "0790211c-cacb-11ea-a4b9-4a19d9b965b2"
    assert started.pull is not None and started.pull.startswith("master:5a529aa3")
    assert started.repo_version == "v1.20.0-alpha.0.261+06ea384605f172"
    assert started.version == started.repo_version
    assert started.repos["k8s.io/release"] == "master"
    assert len(started.repos) == 2


def test_podutils_finished(samples_dir: Path) -> None:
    finished = parse_finished((samples_dir / PROW_DOCS / "podutils/finished.json").read_bytes())
    assert finished.timestamp == datetime(2020, 7, 20, 21, 10, 34, tzinfo=UTC)
    assert (finished.passed, finished.result) == (True, "SUCCESS")
    assert finished.revision == "5dd9241d43f256984358354d1fec468f274f9ac4"


def test_jenkins_started_and_finished(samples_dir: Path) -> None:
    finished = parse_finished((samples_dir / KUBE_5043 / "finished.json").read_bytes())
    assert (finished.passed, finished.result, build_result(finished)) == (
        None,
        "SUCCESS",
        "SUCCESS",
    )
    assert finished.timestamp == datetime(2016, 4, 15, 15, 10, 46, tzinfo=UTC)
    started = parse_started((samples_dir / KUBE_5043 / "started.json").read_bytes())
    assert started.timestamp == datetime(2016, 4, 15, 9, 30, 25, tzinfo=UTC)
    assert started.version == "v1.3.0-alpha.2.12+31de62216dea22"
    assert (started.node, started.pull, started.repos) == (None, None, {})

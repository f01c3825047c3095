"""Job paths, path classification, build listing and latest-build.txt over a LocalSource."""

from __future__ import annotations

from pathlib import Path

import pytest

from prowtui.errors import NotFound
from prowtui.prow.artifacts import (
    WELL_KNOWN,
    artifact_kind,
    is_events_file,
    is_junit_file,
    looks_binary,
)
from prowtui.prow.jobs import (
    BuildRef,
    JobRef,
    PathInfo,
    classify_path,
    is_build_id,
    latest_build,
    list_builds,
    parse_job_path,
)
from prowtui.sources.local import LocalSource

ORIGIN_JOB = "pull-ci-openshift-origin-master-e2e-aws-csi"


@pytest.mark.parametrize(
    ("path", "name", "kind", "org_repo", "pr"),
    [
        ("logs/periodic-ci-foo/", "periodic-ci-foo", "periodic", None, None),
        ("logs/ci-k8s-e2e", "ci-k8s-e2e", "periodic", None, None),
        ("/logs/post-test-infra-push/", "post-test-infra-push", "postsubmit", None, None),
        ("logs/branch-ci-x-images/", "branch-ci-x-images", "postsubmit", None, None),
        (
            "pr-logs/pull/openshift_release/123/pull-x/",
            "pull-x",
            "presubmit",
            "openshift_release",
            "123",
        ),
        (f"pr-logs/pull/27600/{ORIGIN_JOB}", ORIGIN_JOB, "presubmit", None, "27600"),
        ("pr-logs/pull/batch/pull-k8s-e2e/", "pull-k8s-e2e", "batch", None, None),
        ("pr-logs/directory/pull-k8s-e2e/", "pull-k8s-e2e", "presubmit", None, None),
        ("my-prefix/logs/periodic-x/", "periodic-x", "periodic", None, None),
        ("a/b/pr-logs/pull/test-infra/9/pull-ti/", "pull-ti", "presubmit", "test-infra", "9"),
        ("some/other/dir/", "dir", "unknown", None, None),
        ("logs/job/123/", "123", "unknown", None, None),
        ("", "", "unknown", None, None),
    ],
)
def test_parse_job_path(
    path: str, name: str, kind: str, org_repo: str | None, pr: str | None
) -> None:
    job_path = path.strip("/") + "/" if path.strip("/") else ""
    assert parse_job_path(path) == JobRef(job_path, name, kind, org_repo, pr)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("name", "expected"),
    [("123", True), ("1602362182819909632/", True), ("", False), ("12a", False), ("١٢", False),
     ("latest-build.txt", False), ("12/3", False), ("-1", False)],
)  # fmt: skip
def test_is_build_id(name: str, expected: bool) -> None:
    assert is_build_id(name) is expected


PERIODIC = JobRef("logs/j/", "j", "periodic", None, None)
DIRECTORY = JobRef("pr-logs/directory/pj/", "pj", "presubmit", None, None)
PULL = JobRef("pr-logs/pull/5/pj/", "pj", "presubmit", None, "5")


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("", PathInfo("root", None, None, "")),
        ("logs/", PathInfo("logs-root", None, None, "")),
        ("pr-logs/", PathInfo("logs-root", None, None, "")),
        ("pr-logs/pull/", PathInfo("logs-root", None, None, "")),
        ("pr-logs/pull/openshift_release/", PathInfo("logs-root", None, None, "")),
        ("pr-logs/pull/openshift_release/12/", PathInfo("logs-root", None, None, "")),
        ("logs/j/", PathInfo("job", PERIODIC, None, "")),
        ("logs/j/123/", PathInfo("build", PERIODIC, "123", "")),
        ("logs/j/123", PathInfo("build", PERIODIC, "123", "")),
        ("logs/j/123/finished.json", PathInfo("build-file", PERIODIC, "123", "finished.json")),
        ("logs/j/123/artifacts/", PathInfo("artifact", PERIODIC, "123", "artifacts/")),
        ("logs/j/123/artifacts/x", PathInfo("artifact", PERIODIC, "123", "artifacts/x")),
        ("logs/j/1/artifacts/e/g/", PathInfo("artifact", PERIODIC, "1", "artifacts/e/g/")),
        ("logs/j/latest-build.txt", PathInfo("other", PERIODIC, None, "latest-build.txt")),
        ("pr-logs/directory/pj/77.txt", PathInfo("other", DIRECTORY, "77", "77.txt")),
        ("pr-logs/pull/5/pj/9/build-log.txt", PathInfo("build-file", PULL, "9", "build-log.txt")),
        ("README.md", PathInfo("other", None, None, "")),
    ],
)
def test_classify_path(path: str, expected: PathInfo) -> None:
    assert classify_path(path) == expected


def _tree(root: Path) -> None:
    job = root / "logs" / "periodic-x"
    for build in ("9", "10", "100", "2", "1602362182819909632"):
        (job / build).mkdir(parents=True)
        (job / build / "started.json").write_text('{"timestamp": 1}')
    (job / "not-a-build").mkdir()
    (job / "12abc").mkdir()
    (job / "555").write_text("a file named like a build")
    (job / "latest-build.txt").write_text("1602362182819909632")


async def test_list_builds_numeric_only_sorted_numerically(tmp_path: Path) -> None:
    _tree(tmp_path)
    source = LocalSource(tmp_path)
    builds = await list_builds(source, "logs/periodic-x")
    assert [b.build_id for b in builds] == ["2", "9", "10", "100", "1602362182819909632"]
    assert builds[0] == BuildRef("2", "logs/periodic-x/2/")
    assert await list_builds(source, "logs/periodic-x/") == builds


async def test_list_builds_missing_job_raises_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        await list_builds(LocalSource(tmp_path), "logs/nope/")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"1602362182819909632", "1602362182819909632"),
        (b"  42\n", "42"),
        (b"", None),
        (b"not-a-number", None),
        (b"12 34", None),
        (b"\xff\xfe", None),
        (b"9" * 1000, None),
    ],
    ids=["snowflake", "whitespace", "empty", "word", "two", "invalid-utf8", "too-long"],
)
async def test_latest_build(tmp_path: Path, content: bytes, expected: str | None) -> None:
    job = tmp_path / "logs" / "j"
    job.mkdir(parents=True)
    (job / "latest-build.txt").write_bytes(content)
    assert await latest_build(LocalSource(tmp_path), "logs/j/") == expected


async def test_latest_build_missing_is_none(tmp_path: Path) -> None:
    (tmp_path / "logs" / "j").mkdir(parents=True)
    assert await latest_build(LocalSource(tmp_path), "logs/j") is None


@pytest.mark.parametrize(
    ("path", "size", "kind"),
    [
        ("logs/j/1/", None, "dir"),
        ("logs/j/1/started.json", 10, "started"),
        ("logs/j/1/finished.json", None, "finished"),
        ("logs/j/1/prowjob.json", None, "prowjob"),
        ("logs/j/1/podinfo.json", None, "podinfo"),
        ("artifacts/build-resources/events.json", None, "events"),
        ("artifacts/e2e-aws/gather-extra/artifacts/events.json", None, "events"),
        ("artifacts/junit_01.xml", None, "junit"),
        ("artifacts/e2e/JUnit-operator.XML", None, "junit"),
        ("artifacts/junit_operator.xml", 70 * 1024 * 1024, "text"),
        ("artifacts/ci-operator-step-graph.json", None, "json"),
        ("artifacts/huge.json", 65 * 1024 * 1024, "text"),
        ("build-log.txt", None, "log"),
        ("artifacts/ci-operator.log", None, "log"),
        ("clone-log.txt", None, "text"),
        ("artifacts/notes.txt", None, "text"),
        ("artifacts/oc_cmds/events", None, "text"),
        ("artifacts/container-logs/test.log.gz", None, "archive"),
        ("artifacts/must-gather.tar", None, "archive"),
        ("artifacts/screenshot.png", None, "image"),
        ("artifacts/core.dump", None, "binary"),
    ],
)
def test_artifact_kind(path: str, size: int | None, kind: str) -> None:
    assert artifact_kind(path, size) == kind


def test_well_known_and_patterns() -> None:
    assert "artifacts/build-resources/events.json" in WELL_KNOWN
    assert is_events_file("artifacts/e2e/gather-extra/artifacts/events.json")
    assert not is_events_file("artifacts/a/b/gather-extra/artifacts/events.json")
    assert not is_events_file("artifacts/e2e/openshift-e2e-test/artifacts/junit/e2e-events_1.json")
    assert is_junit_file("junit_e2e__20240101.xml") and is_junit_file("e2e-junit.xml")
    assert not is_junit_file("junit.json") and not is_junit_file("results.xml")


@pytest.mark.parametrize(
    ("head", "binary"),
    [
        (b"", False),
        (b"plain text\nwith lines\n", False),
        ("unicode ✓ text, cut at the end: \u00e9".encode()[:-1], False),
        (b"\x1b[31mred\x1b[0m log line\r\n", False),
        (b"text with a NUL\x00", True),
        (b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff*I-.\xe1\x02", True),
        (bytes(range(1, 32)) * 4, True),
        (b"mostly text but one \xff byte in a long line of ascii characters.", False),
    ],
)
def test_looks_binary(head: bytes, binary: bool) -> None:
    assert looks_binary(head) is binary

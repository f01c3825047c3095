"""``triage_job`` on a hand-built job whose causes, noise, tests and events are counted by hand:
signature grouping and ranking, each build's cause, flaky against broken tests, events, the
JSON contract and its byte-for-byte stability."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from prowtui.errors import NotFound
from prowtui.sources.local import LocalSource
from prowtui.triage import triage_job
from prowtui.triage.model import TriageReport
from tests.servers.gcsweb_fixtures import GcswebServerFactory

JOB = "logs/periodic-hand-triage/"
FAILED = ("101", "103", "105", "106", "108")
PASSED = ("102", "104", "107")

#: what varies per build in the planted lines
_VARY = {
    b: (int(b) - 100, f"{int(b) * 7919:x}", f"ci-op-{int(b) * 31:x}zz") for b in (*FAILED, *PASSED)
}


def _disk(build: str) -> str:
    n, hexid, ns = _VARY[build]
    wal = f"/var/lib/etcd/member/wal/{hexid}0000.wal"
    return f"error: write {wal}: no space left on device (pod etcd-{ns}-{n})"


def _dns(build: str) -> str:
    n, _hexid, ns = _VARY[build]
    return f"dial tcp: lookup api.{ns}.example.com on 10.0.0.{n}:53: no such host error"


def _noise(build: str) -> str:
    n, _hexid, _ns = _VARY[build]
    return (
        f'time="2024-03-0{n % 9 + 1}T10:00:{n:02d}Z" level=error msg="retrying watch" attempt={n}'
    )


def _junit(cases: list[tuple[str, str | None]]) -> str:
    body = "".join(
        f'<testcase classname="e2e" name="{name}" time="1">'
        + (f'<failure message="">{message}</failure>' if message else "")
        + "</testcase>"
        for name, message in cases
    )
    return f'<testsuite name="suite-a" tests="{len(cases)}">{body}</testsuite>'


def _events(*items: tuple[str, str, str, int]) -> str:
    return json.dumps(
        {
            "kind": "EventList",
            "items": [
                {
                    "metadata": {"uid": f"u{n}", "namespace": "ci-op-x"},
                    "reason": reason,
                    "type": type_,
                    "message": message,
                    "count": count,
                    "involvedObject": {"kind": "Pod", "name": "p"},
                }
                for n, (message, reason, type_, count) in enumerate(items)
            ],
        }
    )


def build_files() -> dict[str, dict[str, str]]:
    """build id -> {path inside the build: text}."""
    builds: dict[str, dict[str, str]] = {}
    for n, build in enumerate(sorted((*FAILED, *PASSED), key=int)):
        failed = build in FAILED
        result = "ABORTED" if build == "108" else "FAILURE" if failed else "SUCCESS"
        log = ["INFO starting", _noise(build)]
        if not failed:
            log.append("warning: flag --fail-fast is deprecated")
        if failed:
            log.append("ERRO[2024-03-01T10:00:00Z] Some steps failed:")
        if build == "101":
            log.append(_disk(build))
        if build in ("105", "108"):
            log += [_dns(build), "INFO retry in 5s", _dns(build)]
        files = {
            "started.json": json.dumps({"timestamp": 1709280000 + 3600 * n}),
            "finished.json": json.dumps(
                {
                    "timestamp": 1709280000 + 3600 * n + 600 + n,
                    "passed": not failed,
                    "result": result,
                }
            ),
            "build-log.txt": "\n".join(log) + "\n",
        }
        if build == "106":  # the cause only in a step log (found through listings)
            files["artifacts/e2e/run-tests/build-log.txt"] = "step output\n" + _disk(build) + "\n"
        if build != "108":
            cases = [
                ("t-flaky", "flaked: timeout" if build in ("101", "104") else None),
                ("t-broken", "fail [x_test.go:12]: broken" if build in ("105", "106") else None),
                ("t-scattered", "scattered failure" if build in ("101", "103") else None),
                ("t-ok", None),
            ]
            if build == "104":
                cases.append(("t-flaky", None))  # retried and passed in the same build
            files["artifacts/e2e/run-tests/artifacts/junit/junit_e2e.xml"] = _junit(cases)
        if build in ("101", "103"):
            files["artifacts/build-resources/events.json"] = _events(
                (
                    f"Back-off restarting failed container (restart {n + 2})",
                    "BackOff",
                    "Warning",
                    2 + n,
                ),
                ("Created container test", "Created", "Normal", 1),
            )
        builds[build] = files
    builds["109"] = {"started.json": json.dumps({"timestamp": 1709320000})}
    return builds


def write_tree(root: Path) -> Path:
    for build, files in build_files().items():
        for rel, text in files.items():
            path = root / JOB / build / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    return root


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tree(tmp_path_factory.mktemp("triage") / "bucket")


async def triage(root: Path, **options: object) -> TriageReport:
    return await triage_job(LocalSource(root), JOB, **options)  # type: ignore[arg-type]


async def test_counts_history_and_json_keys(tree: Path) -> None:
    report = await triage(tree)
    doc = report.to_json()
    assert list(doc) == [
        "job", "builds", "failed_builds", "passed_builds",
        "history", "tests", "signatures", "events",
    ]  # fmt: skip
    assert (doc["job"], doc["builds"], doc["failed_builds"], doc["passed_builds"]) == (JOB, 9, 5, 3)
    history = doc["history"]
    assert [h["build_id"] for h in history] == [str(b) for b in range(101, 110)]
    assert list(history[0]) == [
        "build_id", "result", "started", "duration_s", "failed_tests", "signatures", "cause"
    ]  # fmt: skip
    assert history[0]["started"] == "2024-03-01T08:00:00Z" and history[0]["duration_s"] == 600
    assert history[2]["duration_s"] == 602
    assert history[-1] == {
        "build_id": "109",
        "result": "PENDING",
        "started": "2024-03-01T19:06:40Z",
        "duration_s": None,
        "failed_tests": None,
        "signatures": [],
        "cause": None,
    }
    # failed tests that stayed failed: 101 flaky+scattered, 104 none (retried), 105/106 broken
    assert [h["failed_tests"] for h in history[:8]] == [2, 0, 1, 0, 1, 1, 0, None]
    assert [h["result"] for h in history[:8]] == [
        "FAILURE", "SUCCESS", "FAILURE", "SUCCESS", "FAILURE", "FAILURE", "SUCCESS", "ABORTED"
    ]  # fmt: skip


async def test_signatures_group_rank_and_explain_each_failure(tree: Path) -> None:
    report = await triage(tree)
    sigs = {s.template: s for s in report.signatures}
    boiler, disk, dns = sigs["Some steps failed:"], None, None
    for s in report.signatures:
        if "no space left on device" in s.template:
            disk = s
        if "no such host" in s.template:
            dns = s
    assert disk is not None and dns is not None
    # scores: failed share minus passed share, by hand
    assert (boiler.builds, boiler.score) == (FAILED, 1.0)
    assert (disk.builds, disk.failed_builds, disk.passed_builds, disk.score) == (
        ("101", "106"),
        2,
        0,
        0.4,
    )
    assert (dns.builds, dns.score) == (("105", "108"), 0.4)
    noise = next(s for s in report.signatures if "retrying watch" in s.template)
    assert noise.builds == (*sorted((*FAILED, *PASSED), key=int),) and noise.score == 0.0
    # order: score, then failed builds, then template ("dial..." < "error: write...")
    order = [s.id for s in report.signatures]
    assert (
        order.index(boiler.id) < order.index(dns.id) < order.index(disk.id) < order.index(noise.id)
    )
    # the deprecation warning only ever appears in passed builds: not listed
    assert not any("deprecated" in s.template for s in report.signatures)
    # templates mask what varies; the example is the newest failed build's original line
    assert disk.template == (
        "error: write /var/lib/etcd/member/wal/<HEX>.wal: no space left on device "
        "(pod etcd-ci-op-<ID>-<NUM>)"
    )
    assert disk.example.build_id == "106"
    assert disk.example.path == f"{JOB}106/artifacts/e2e/run-tests/build-log.txt"
    assert (disk.example.line, disk.example.text) == (2, _disk("106"))
    assert [(o.build_id, o.line) for o in disk.occurrences] == [("101", 4), ("106", 2)]
    assert dns.occurrences[0].line == 4  # the first of the build's two lines
    # junit failure messages are source text too (no line number)
    broken = next(s for s in report.signatures if "broken" in s.template)
    assert broken.builds == ("105", "106") and broken.example.line is None
    assert broken.example.path.endswith("artifacts/e2e/run-tests/artifacts/junit/junit_e2e.xml")
    # causes: the highest failed share, then the fewest failed builds, then score, then id
    scattered = next(s for s in report.signatures if s.template == "scattered failure")
    assert scattered.builds == ("101", "103") and scattered.score == 0.4
    causes = {h.build_id: h.cause for h in report.history}
    assert causes["101"] == min(disk.id, scattered.id)
    assert causes["103"] == scattered.id  # share 1 with 2 failed builds beats the boilerplate
    assert causes["105"] == min(dns.id, broken.id)
    assert causes["106"] == min(disk.id, broken.id)
    assert causes["108"] == dns.id
    assert causes["102"] is None and causes["109"] is None
    for h in report.history:
        assert list(h.signatures) == [s.id for s in report.signatures if h.build_id in s.builds]


async def test_flaky_broken_and_scattered_tests(tree: Path) -> None:
    report = await triage(tree)
    tests = {t.name: t for t in report.tests}
    flaky, broken, scattered, ok = (
        tests[n] for n in ("t-flaky", "t-broken", "t-scattered", "t-ok")
    )
    # failed and passed inside build 104: flaky although its failures are not scattered
    assert (flaky.failures, flaky.passes, flaky.runs, flaky.flaky) == (2, 6, 8, True)
    assert flaky.builds_failed == ("101", "104") and flaky.flake_rate == 0.25
    # two failures in a row of the builds that ran it: broken, not flaky
    assert (broken.builds_failed, broken.flaky) == (("105", "106"), False)
    assert (broken.first_failed, broken.last_failed) == ("105", "106")
    # failures in 101 and 103 with a pass in 102 between: flaky
    assert (scattered.builds_failed, scattered.flaky) == (("101", "103"), True)
    assert (ok.failures, ok.flaky, ok.flake_rate, ok.first_failed) == (0, False, 0.0, None)
    assert (ok.suite, ok.classname) == ("suite-a", "e2e")
    assert [t.name for t in report.tests] == ["t-broken", "t-flaky", "t-scattered", "t-ok"]
    assert [f.build_id for f in flaky.failures_detail] == ["101", "104"]
    assert flaky.failures_detail[0].message == "flaked: timeout"
    assert flaky.failures_detail[0].path.endswith("junit/junit_e2e.xml")


async def test_events_are_templated_and_summed(tree: Path) -> None:
    report = await triage(tree)
    assert [e.to_json() for e in report.events] == [
        {
            "template": "Back-off restarting failed container (restart <NUM>)",
            "reason": "BackOff",
            "type": "Warning",
            "builds": 2,
            "count": 2 + 0 + 2 + 2,  # build 101 (n=0) and 103 (n=2)
            "warning": True,
        },
        {
            "template": "Created container test",
            "reason": "Created",
            "type": "Normal",
            "builds": 2,
            "count": 2,
            "warning": False,
        },
    ]


async def test_same_input_same_bytes_and_limit_and_progress(tree: Path) -> None:
    seen: list[tuple[int, int]] = []
    one = await triage(tree, on_progress=lambda done, total: seen.append((done, total)))
    two = await triage(tree, concurrency=1)
    assert one.dumps() == two.dumps()
    assert json.loads(one.dumps()) == one.to_json()
    assert seen[0] == (0, 9) and seen[-1] == (9, 9)
    newest = await triage(tree, limit=3)
    assert [h.build_id for h in newest.history] == ["107", "108", "109"]
    assert (newest.failed_builds, newest.passed_builds) == (1, 1)


async def test_config_error_patterns_add_candidate_lines(tree: Path) -> None:
    plain = await triage(tree)
    assert not any("INFO starting" in s.lines for s in plain.signatures)
    extra = await triage(tree, error_patterns=[r"^INFO starting$"])
    # in every finished build, like the noise line: one signature with both lines
    (both,) = [s for s in extra.signatures if "INFO starting" in s.lines]
    assert any("retrying watch" in line for line in both.lines) and both.score == 0.0


async def test_a_missing_job_is_not_found(tree: Path) -> None:
    with pytest.raises(NotFound):
        await triage_job(LocalSource(tree), "logs/no-such-job/")


async def test_cancelling_stops_every_fetch(
    tree: Path, gcsweb_server_factory: GcswebServerFactory
) -> None:
    """What ``esc`` on the Triage screen does: no request or task outlives the cancel."""
    from prowtui.sources.gcsweb import GcswebSource

    server = gcsweb_server_factory(tree, bucket="b", latency=0.05)
    source = GcswebSource(server.base_url, "b", storage_url=server.storage_url)
    first = asyncio.Event()
    task = asyncio.ensure_future(
        triage_job(source, JOB, on_progress=lambda done, _total: done and first.set())
    )
    await asyncio.wait_for(first.wait(), 30)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.sleep(0)
    others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    assert not [t for t in others if not t.done()]
    # requests already on the wire at the cancel may still reach the server's count; after
    # they land, no new one may start
    await asyncio.sleep(0.2)
    requests = server.request_count
    await asyncio.sleep(0.3)
    assert server.request_count == requests
    await source.aclose()

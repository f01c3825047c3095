"""The demo's ground truth (:mod:`prowtui.demo.causes`) recovered by triage: every
cause as its own signature with exactly its builds, ranked above the noise and below only
boilerplate shared by several causes, each planted build explained by its cause, and the
flaky and the broken junit tests told apart. ``prowtui triage --json`` gives the same bytes."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from prowtui.demo import BIG_JOB_DIR, open_demo
from prowtui.demo.causes import GroundTruth, ground_truth
from prowtui.triage import triage_job
from prowtui.triage.model import Signature, TriageReport

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def demo_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The demo directory every test of the session uses (built once, shared)."""
    env = {"PROWTUI_DEMO_DIR": str(tmp_path_factory.getbasetemp() / "demo")}
    with pytest.MonkeyPatch.context() as patch:
        for key, value in env.items():
            patch.setenv(key, value)
        yield env


@pytest.fixture(scope="module")
def report(demo_env: dict[str, str]) -> TriageReport:
    import asyncio

    return asyncio.run(triage_job(open_demo(), BIG_JOB_DIR))


@pytest.fixture(scope="module")
def truth() -> GroundTruth:
    return ground_truth()


def signature_with_builds(report: TriageReport, builds: tuple[str, ...]) -> Signature | None:
    return next((s for s in report.signatures if s.builds == builds), None)


def test_the_ground_truth_is_what_the_issue_asks_for(truth: GroundTruth) -> None:
    planted = [c for c in truth.causes if c.planted]
    assert len(planted) >= 3
    sets = [set(c.builds) for c in truth.causes]
    assert all(len(s) >= 3 for s in sets[:3])
    assert all(a.isdisjoint(b) or a is b for a in sets[:3] for b in sets[:3])  # planted: distinct
    assert len(truth.broken_builds) >= 3 and set(truth.broken_builds) <= set(truth.causes[0].builds)
    assert truth.flaky_retried and set(truth.flaky_retried) < set(truth.flaky_failed)


def test_every_cause_is_its_own_signature_with_exactly_its_builds(
    report: TriageReport, truth: GroundTruth
) -> None:
    for cause in (*truth.causes, *truth.noise):
        signature = signature_with_builds(report, cause.builds)
        assert signature is not None, cause.name
        if cause in truth.causes:
            assert signature.passed_builds == 0 and signature.failed_builds == len(cause.builds)


def test_planted_lines_vary_from_build_to_build(report: TriageReport, truth: GroundTruth) -> None:
    for cause in truth.causes[:3]:
        signature = signature_with_builds(report, cause.builds)
        assert signature is not None
        texts = [o.text for o in signature.occurrences]
        assert len(texts) == len(cause.builds) == len(set(texts)), cause.name
        assert all(
            o.path.endswith("artifacts/e2e-gcp-upgrade/build-log.txt")
            for o in signature.occurrences
        )
        assert "<" in signature.template  # something was masked or generalised


def test_causes_rank_above_noise_and_below_only_shared_boilerplate(
    report: TriageReport, truth: GroundTruth
) -> None:
    cause_ids = {
        c.name: signature_with_builds(report, c.builds).id  # type: ignore[union-attr]
        for c in truth.causes
    }
    order = [s.id for s in report.signatures]

    def causes_touched(signature: Signature) -> int:
        return sum(1 for c in truth.causes if set(c.builds) & set(signature.builds))

    for cause in truth.causes[:3]:
        position = order.index(cause_ids[cause.name])
        for above in report.signatures[:position]:
            assert above.id in cause_ids.values() or causes_touched(above) >= 2, (
                cause.name,
                above.template,
            )
    lowest_cause = max(order.index(i) for i in cause_ids.values())
    noisy = [s for s in report.signatures if s.passed_builds > 0]
    assert noisy and all(order.index(s.id) > lowest_cause for s in noisy)
    for noise in truth.noise:
        assert signature_with_builds(report, noise.builds).score < 0  # type: ignore[union-attr]


def test_each_planted_build_is_explained_by_its_cause(
    report: TriageReport, truth: GroundTruth
) -> None:
    history = {h.build_id: h for h in report.history}
    for cause in truth.causes[:3]:
        signature = signature_with_builds(report, cause.builds)
        assert signature is not None
        assert {history[b].cause for b in cause.builds} == {signature.id}, cause.name
        assert all(signature.id in history[b].signatures for b in cause.builds)


def test_the_flaky_and_the_broken_test(report: TriageReport, truth: GroundTruth) -> None:
    tests = {t.name: t for t in report.tests}
    flaky, broken = tests[truth.flaky_test], tests[truth.broken_test]
    assert flaky.flaky and flaky.builds_failed == truth.flaky_failed
    assert flaky.passes > 0 and 0 < (flaky.flake_rate or 0) < 1
    passed = {h.build_id for h in report.history if h.result == "SUCCESS"}
    assert set(truth.flaky_retried) & passed  # failed, then passed on a retry, in a passed build
    assert not broken.flaky and broken.builds_failed == truth.broken_builds
    assert (broken.first_failed, broken.last_failed) == (
        truth.broken_builds[0],
        truth.broken_builds[-1],
    )
    assert broken.failures == len(truth.broken_builds) and broken.passes > 100
    # the builds between its first and last failure that ran the suite all failed it
    ran = [
        h.build_id for h in report.history if h.failed_tests is not None and h.result != "ABORTED"
    ]
    first, last = ran.index(broken.builds_failed[0]), ran.index(broken.builds_failed[-1])
    assert ran[first : last + 1] == list(truth.broken_builds)


def test_job_counts_match_the_notebook_results(report: TriageReport) -> None:
    assert (report.builds, report.failed_builds, report.passed_builds) == (243, 110, 132)
    assert report.history[-1].result == "PENDING" and not report.problems


@pytest.mark.slow
def test_cli_json_on_the_demo_is_byte_identical(
    report: TriageReport, demo_env: dict[str, str]
) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "prowtui", "triage", "--source", "demo", BIG_JOB_DIR, "--json"],
        capture_output=True,
        env={**os.environ, **demo_env, "PYTHONPATH": str(REPO)},
        timeout=240,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == report.dumps().encode()
    assert proc.stderr == b""  # no progress off a terminal

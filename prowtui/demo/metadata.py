"""A build's ``started.json``, ``finished.json`` and ``metadata.json`` in their variants."""

from __future__ import annotations

import random

from prowtui.demo.formats import compact_json, release_stamp, tabbed_json
from prowtui.demo.ids import hex_digits
from prowtui.demo.layout import METADATA, NIGHTLY_JOB, PRESUBMIT_JOB
from prowtui.demo.plan import Build


def _day_sha(build: Build, salt: int = 0) -> str:
    """A commit of the day the build started (the same for every build that day)."""
    return hex_digits(random.Random(int(build.start) // 86400 + salt), 40)


def started_json(build: Build) -> bytes:
    """started.json: presubmit refs, crier's tabbed variant, bare or with the repo commit."""
    if build.job == PRESUBMIT_JOB:
        refs = build.refs
        repos = {
            "openshift/release": f"master:{refs['base_sha']},{refs['pull']}:{refs['pull_sha']}"
        }
        return compact_json(
            {
                "timestamp": int(build.start),
                "pull": str(refs["pull"]),
                "repos": repos,
                "repo-version": refs["pull_sha"],
                "repo-commit": refs["pull_sha"],
            }
        )
    sha = _day_sha(build)
    if build.started_variant == "crier":
        return tabbed_json(
            {
                "timestamp": int(build.start) + 2,
                "repos": {"openshift/release": "master"},
                "metadata": {"uploader": "crier"},
            }
        )
    if build.job == NIGHTLY_JOB:
        return compact_json({"timestamp": int(build.start)})
    return compact_json(
        {
            "timestamp": int(build.start),
            "repos": {"openshift/release": "master"},
            "repo-version": sha,
            "repo-commit": sha,
        }
    )


def job_metadata(build: Build) -> dict[str, object]:
    """What ci-operator records in ``metadata.json`` (and finished.json's ``metadata``)."""
    return {
        "infra-commit": hex_digits(random.Random(int(build.start) // 86400 + 1), 9),
        "job-version": f"4.6.0-0.ci-{release_stamp(build.start)}",
        "pod": build.job if len(build.job) < 63 else build.job[:40],
        "repo": "openshift/release",
        "repo-commit": _day_sha(build),
        "repos": {"openshift/release": "master"},
        "work-namespace": build.namespace,
    }


def finished_json(build: Build) -> bytes:
    """finished.json: the sidecar's, crier's, one without a result, one with ``passed: null``."""
    assert build.result is not None
    passed = build.result == "SUCCESS"
    ts = int(build.end)
    if build.finished_variant == "crier":
        return tabbed_json(
            {
                "timestamp": ts,
                "passed": passed,
                "result": build.result.lower(),
                "metadata": {"uploader": "crier"},
            }
        )
    body: dict[str, object] = {"timestamp": ts, "passed": passed, "result": build.result}
    if build.finished_variant == "no-result":
        body = {"timestamp": ts, "passed": passed}
    elif build.finished_variant == "passed-null":
        body["passed"] = None
    body["revision"] = "master"
    if build.artifacts and METADATA in build.artifacts:
        body["metadata"] = job_metadata(build)
    return compact_json(body)


def step_finished_json(build: Build, ts: float) -> bytes:
    """finished.json of one test step, ending at ``ts`` with the build's result."""
    return compact_json(
        {"timestamp": int(ts), "passed": build.result == "SUCCESS", "result": build.result}
    )

"""A finished build's ``artifacts/`` directory, in the big job's and the newer jobs' layouts."""

from __future__ import annotations

import gzip

from prowtui.demo.causes import with_planted_lines
from prowtui.demo.e2e_text import e2e_output
from prowtui.demo.events import Event, ci_namespace_events, event_list
from prowtui.demo.formats import compact_json, iso, tabbed_json, utc_format
from prowtui.demo.junit import junit_e2e, junit_operator
from prowtui.demo.layout import (
    BUILD_RESOURCES,
    E2E_DIR,
    E2E_STEPS,
    JUNIT_OPERATOR,
    METADATA,
    OPERATOR_LOG,
    RELEASE_DIR,
    STEP_GRAPH,
)
from prowtui.demo.logs import cap_log
from prowtui.demo.metadata import job_metadata, step_finished_json
from prowtui.demo.plan import Build
from prowtui.demo.writer import TreeWriter

_UPGRADE_FAILURE = (
    "fail [github.com/openshift/origin/test/e2e/upgrade/upgrade.go:138]: "
    "Cluster did not complete upgrade: timed out waiting for the condition\n"
    'level=error msg="openshift-tests failed" error="exit status 1"\n'
)


def _step_description(test: str, step: str) -> str:
    return f"Run multi-stage test {test} - {test}-{step} container test"


def step_graph(build: Build) -> bytes:
    """ci-operator-step-graph.json: the test's steps in a chain, the e2e step failed if any."""
    t = build.start + 10
    steps = []
    previous: list[str] = []
    for step, seconds in E2E_STEPS:
        took = seconds * 1.0
        steps.append(
            {
                "name": f"{build.test}-{step}",
                "description": _step_description(build.test, step),
                "dependencies": previous,
                "started_at": iso(t),
                "finished_at": iso(t + took),
                "duration": int(took * 1e9),
                "failed": build.result == "FAILURE" and step == "openshift-e2e-test",
            }
        )
        previous = [f"{build.test}-{step}"]
        t += took
    return tabbed_json(steps)


def write_big_job_artifacts(
    w: TreeWriter, build: Build, base: str, oplog: bytes, limit: int | None
) -> None:
    """The 2021 layout: ci-operator files, build-resources/, release/, e2e-gcp-upgrade/."""
    end = build.end
    combo = build.artifacts or ()
    steps = [
        "Find the input image origin-centos-8 and tag it into the pipeline",
        'Import the release payload "initial" from an external source',
    ]
    if build.log_kind == "config-error":
        steps = [
            "Load the configuration of openshift/release@master and resolve it: load configuration"
        ]
    elif E2E_DIR in combo:
        steps += [_step_description(build.test, s) for s, _ in E2E_STEPS]
    _write_operator_files(w, build, base, steps, oplog)
    if BUILD_RESOURCES in combo:
        pods = 4 + build.rng.randint(0, 4) if build.event_count is None else 29
        if limit is not None:
            pods = min(pods, 6)
        events = _write_events(
            w, build, base + "build-resources/events.json", pods, build.event_count, end + 2
        )
        w.write(base + "build-resources/pods.json", _pod_list(build, events), end + 2)
    if RELEASE_DIR in combo:
        w.write(
            base + "release/build-log.txt",
            f"Imported release 4.5.37 with 108 images to tag release:initial\n"
            f"Imported release {job_metadata(build)['job-version']} with 121 images to tag "
            "release:latest\n",
            build.start + 150,
        )
    if E2E_DIR in combo:
        test_log = "\n".join(e2e_output(build.rng, build.start + 3000, 40)) + "\n"
        if build.result == "FAILURE":
            test_log += _UPGRADE_FAILURE
        test_log = with_planted_lines(test_log, build, build.start + 3000)
        _write_test_step(w, build, base + E2E_DIR, "junit/junit_e2e_", test_log, end - 400, limit)


def write_newer_job_artifacts(
    w: TreeWriter, build: Build, base: str, oplog: bytes, limit: int | None
) -> None:
    """The 2024 layout (nightly and presubmit): ci-operator files and one directory a step."""
    end = build.end
    test = build.test
    steps = [
        _step_description(test, s)
        for s in ("ipi-install-install", "openshift-e2e-test", "gather-extra")
    ]
    _write_operator_files(w, build, base, steps, oplog)
    _write_events(w, build, base + f"{test}/gather-extra/artifacts/events.json", 3, None, end - 600)
    test_log = "\n".join(e2e_output(build.rng, build.start + 3000, 60, "4.16.0-0.nightly"))
    _write_test_step(
        w,
        build,
        base + f"{test}/openshift-e2e-test/",
        "artifacts/junit/junit_e2e__",
        test_log,
        end - 700,
        limit,
    )
    w.write(
        base + f"{test}/ipi-install-install/build-log.txt",
        'level=info msg="Install complete!"\n',
        build.start + 2700,
    )


def _write_operator_files(
    w: TreeWriter, build: Build, base: str, steps: list[str], oplog: bytes
) -> None:
    """ci-operator's own artifacts that the build's combination holds."""
    combo = build.artifacts or ()
    end = build.end
    if JUNIT_OPERATOR in combo:
        w.write(base + JUNIT_OPERATOR, junit_operator(build, steps), end + 3)
    if METADATA in combo:
        w.write(base + METADATA, compact_json(job_metadata(build)), end + 3)
    if OPERATOR_LOG in combo:
        data = oplog
        if build.gzip_oplog:
            data = gzip.compress(oplog, compresslevel=6, mtime=0)
        w.write(base + OPERATOR_LOG, data, end + 3)
    if STEP_GRAPH in combo:
        w.write(base + STEP_GRAPH, step_graph(build), end + 3)


def _write_events(
    w: TreeWriter, build: Build, path: str, pods: int, target: int | None, mtime: float
) -> list[Event]:
    """Write the namespace's events.json; returns its events."""
    events = ci_namespace_events(build, pods, target)
    w.write(path, event_list(events, build.rng), mtime)
    return events


def _pod_list(build: Build, events: list[Event]) -> bytes:
    """pods.json: a PodList of the pods the events are about."""
    pod_names = sorted(
        {
            str(e["involvedObject"]["name"])  # type: ignore[index]
            for e in events
            if e["involvedObject"]["kind"] == "Pod"  # type: ignore[index]
        }
    )
    return compact_json(
        {
            "kind": "PodList",
            "apiVersion": "v1",
            "items": [
                {
                    "metadata": {"name": n, "namespace": build.namespace},
                    "status": {"phase": "Succeeded"},
                }
                for n in pod_names
            ],
        }
    )


def _write_test_step(
    w: TreeWriter,
    build: Build,
    step_dir: str,
    junit_prefix: str,
    test_log: str,
    end: float,
    limit: int | None,
) -> None:
    """A test step's build-log.txt, finished.json and (unless aborted) its e2e junit file."""
    w.write(step_dir + "build-log.txt", cap_log(test_log.encode(), limit), end)
    w.write(step_dir + "finished.json", step_finished_json(build, end), end)
    if build.result != "ABORTED":
        junit_name = junit_prefix + utc_format(build.start + 3000, "%Y%m%d-%H%M%S.xml")
        w.write(step_dir + junit_name, junit_e2e(build), end)

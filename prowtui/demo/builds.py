"""A job's builds on disk: each build's top-level files and artifacts, ``latest-build.txt``,
and a presubmit's ``pr-logs/directory`` link files."""

from __future__ import annotations

from prowtui.demo.artifacts import write_big_job_artifacts, write_newer_job_artifacts
from prowtui.demo.formats import compact_json
from prowtui.demo.layout import CONTENT_BUCKET, PRESUBMIT_JOB, PRESUBMIT_JOB_DIR, build_dir
from prowtui.demo.logs import cap_log, ci_operator_log
from prowtui.demo.metadata import finished_json, started_json
from prowtui.demo.plan import Build
from prowtui.demo.podinfo import podinfo_json
from prowtui.demo.prowjob import prowjob_json
from prowtui.demo.writer import TreeWriter


def write_job(w: TreeWriter, builds: list[Build], job_dir: str, limit: int | None) -> None:
    """Every build of a job, then its ``latest-build.txt`` naming the newest."""
    for build in builds:
        _write_build(w, build, limit)
    _write_latest(w, job_dir, builds[-1])


def write_presubmit(w: TreeWriter, builds: list[Build], limit: int | None) -> None:
    """The presubmit job, plus the ``pr-logs/directory/<job>/`` links to its builds."""
    write_job(w, builds, PRESUBMIT_JOB_DIR, limit)
    directory = f"pr-logs/directory/{PRESUBMIT_JOB}/"
    for build in builds:
        link = f"gs://{CONTENT_BUCKET}/{PRESUBMIT_JOB_DIR}{build.build_id}"
        w.write(f"{directory}{build.build_id}.txt", link, build.start + 1)
    _write_latest(w, directory, builds[-1])


def _write_latest(w: TreeWriter, directory: str, newest: Build) -> None:
    w.write(directory + "latest-build.txt", newest.build_id, newest.start + 1)


def _write_build(w: TreeWriter, build: Build, limit: int | None) -> None:
    """A build's files; a pending build has only started.json and prowjob.json."""
    base = build_dir(build.job, build.build_id) + "/"
    start, end = build.start, build.end
    w.write(base + "started.json", started_json(build), start + 2)
    w.write(base + "prowjob.json", prowjob_json(build), (end + 20) if build.result else start)
    if build.result is None:
        return
    if build.job == PRESUBMIT_JOB:
        _write_clone_files(w, build, base)
    log, oplog = ci_operator_log(build)
    if build.log_kind not in ("huge", "big"):
        log, oplog = cap_log(log, limit), cap_log(oplog, limit)
    w.write(base + "build-log.txt", log, end + 5)
    w.write(base + "finished.json", finished_json(build), end + 6)
    if build.podinfo:
        w.write(base + "podinfo.json", podinfo_json(build), end + 25)
    if build.artifacts:
        write = write_newer_job_artifacts if build.era == "N" else write_big_job_artifacts
        write(w, build, base + "artifacts/", oplog, limit)


def _write_clone_files(w: TreeWriter, build: Build, base: str) -> None:
    """clonerefs' log and records of a presubmit (the pull merged into the base)."""
    refs = build.refs
    w.write(
        base + "clone-log.txt",
        f"Cloning openshift/release at master({refs['base_sha']})\n"
        f"$ git fetch https://github.com/openshift/release.git pull/{refs['pull']}/head\n"
        f"$ git merge --no-ff {refs['pull_sha']}\n",
        build.start + 1,
    )
    w.write(
        base + "clone-records.json",
        compact_json(
            [
                {
                    "refs": {"org": "openshift", "repo": "release", "base_ref": "master"},
                    "commands": [{"command": "git init", "output": "", "duration": 4000000}],
                    "final_sha": refs["pull_sha"],
                    "duration": 9000000000,
                }
            ]
        ),
        build.start + 1,
    )

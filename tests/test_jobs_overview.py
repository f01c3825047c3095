"""The jobs overview: its rules (pure) and ``prowtui jobs`` on a local mirror, gcsweb (paged)
and the GCS API (emulator), with the cache offline."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from prowtui.analysis.jobs_overview import job_state, sort_jobs, summarize_job
from prowtui.analysis.window_builds import JobWindowBuilds, WindowBuild
from prowtui.cli import main as cli_main
from tests.jobs_tree import NOW, B, days, write_job


def wb(index: int, result: str | None, window: str = "current") -> WindowBuild:
    """A build ``index`` hours before NOW (higher index: older)."""
    started = NOW - timedelta(hours=index) - (days(7) if window == "previous" else timedelta())
    return WindowBuild(
        "logs/j/",
        str(1000 - index),
        f"logs/j/{1000 - index}/",
        started,
        None,
        result,
        None,
        window,  # type: ignore[arg-type]
    )


def states(*results: str | None) -> str:
    return job_state([wb(i, r) for i, r in enumerate(results)])


def test_state_rules():
    assert states() == "stale" and states(None, None) == "stale"
    assert states("FAILURE", "ERROR", "ABORTED", "SUCCESS") == "broken"
    assert states(None, "FAILURE", None, "FAILURE", "FAILURE") == "broken"  # pending skipped
    assert states("FAILURE", "FAILURE") == "failing"  # fewer than 3
    assert states("FAILURE", "SUCCESS", "FAILURE") == "failing"
    assert states("SUCCESS", "SUCCESS", "SUCCESS", "SUCCESS", "FAILURE") == "flaky"
    assert states("SUCCESS", *["SUCCESS"] * 4, "FAILURE") == "passing"  # 6th is too old
    assert states("SUCCESS") == "passing"


def test_summary_fields_and_order():
    builds = [
        wb(0, None),
        wb(1, "FAILURE"),
        wb(2, None),
        wb(3, "FAILURE"),
        wb(4, "SUCCESS"),
        wb(5, "SUCCESS", "previous"),
        wb(6, "FAILURE", "previous"),
    ]
    job = summarize_job(JobWindowBuilds("logs/j/", builds))
    assert (job.runs, job.passed, job.failed, job.pending) == (5, 1, 2, 2)
    assert job.pass_rate == pytest.approx(1 / 3)
    assert (job.previous_runs, job.previous_pass_rate) == (2, 0.5)
    assert job.change == pytest.approx(1 / 3 - 0.5)
    assert job.state == "failing"
    assert job.failing_since is not None and job.failing_since.build_id == "997"
    assert job.streak == 2
    assert job.last_pass is not None and job.last_pass.build_id == "996"
    out = job.to_json()
    assert list(out) == [
        "job", "runs", "passed", "failed", "pending", "pass_rate", "previous_runs",
        "previous_pass_rate", "change", "state", "last_pass", "failing_since", "streak",
        "results",
    ]  # fmt: skip
    assert [r["result"] for r in out["results"]] == [None, "FAILURE", None, "FAILURE", "SUCCESS"]
    # a stale job keeps the failing run of the previous window
    stale = summarize_job(JobWindowBuilds("logs/s/", [wb(1, "FAILURE", "previous")]))
    assert stale.state == "stale" and stale.streak == 1 and stale.change is None
    assert stale.pass_rate is None and stale.last_pass is None
    passing = summarize_job(JobWindowBuilds("logs/a/", [wb(0, "SUCCESS")]))
    broken = summarize_job(JobWindowBuilds("logs/b/", [wb(i, "FAILURE") for i in range(3)]))
    flaky = summarize_job(JobWindowBuilds("logs/f/", [wb(0, "SUCCESS"), wb(1, "FAILURE")]))
    ordered = sort_jobs([stale, passing, flaky, job, broken])
    assert [j.job for j in ordered] == ["logs/b/", "logs/j/", "logs/f/", "logs/a/", "logs/s/"]


#: a small release: one job per state (and one beside the pattern)
RELEASE = {
    "periodic-x-4.16-broken": [B(days(d), "FAILURE") for d in (1, 2, 3, 9)] + [B(days(10))],
    "periodic-x-4.16-failing": [B(days(1), "failure"), B(days(2)), B(days(8))],
    "periodic-x-4.16-flaky": [B(days(0.5), None), B(days(1)), B(days(2), "ERROR"), B(days(3))],
    "periodic-x-4.16-passing": [B(days(d)) for d in (1, 2, 3)],
    "periodic-x-4.16-stale": [B(days(9), "FAILURE"), B(days(20))],
    "periodic-y-4.15-other": [B(days(1))],
}


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("release")
    for job, builds in RELEASE.items():
        write_job(root, job, builds)
    return root


def jobs_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli_main(["jobs", *args])
    out, err = capsys.readouterr()
    return code, out, err


NOW_ARG = ("--now", "2024-05-01T12:00:00Z")


def test_cli_json_on_a_local_mirror(release: Path, capsys: pytest.CaptureFixture[str]):
    code, out, err = jobs_cli(
        capsys, "--source", str(release), "logs/*-4.16-*", "logs/nope-*", *NOW_ARG, "--json"
    )
    assert code == 0, err
    assert "warning: no job directory matches 'logs/nope-*'" in err
    report = json.loads(out)
    assert report["now"] == "2024-05-01T12:00:00Z" and report["since_s"] == 7 * 86400
    assert report["unmatched"] == ["logs/nope-*"]
    names = [j["job"].split("-")[-1].rstrip("/") for j in report["jobs"]]
    assert names == ["broken", "failing", "flaky", "passing", "stale"]
    broken, failing, flaky, _passing, stale = report["jobs"]
    assert broken["job"] == "logs/periodic-x-4.16-broken/"
    assert broken["streak"] == 4 and broken["previous_pass_rate"] == 0.5
    assert broken["failing_since"]["started"].endswith("Z")
    assert failing["results"][0]["result"] == "FAILURE"  # crier's lower case, upper-cased
    assert flaky["pending"] == 1 and flaky["results"][0]["result"] is None
    assert flaky["pass_rate"] == pytest.approx(2 / 3)
    assert stale["runs"] == 0 and stale["failing_since"] is not None


def test_cli_usage_and_plain(release: Path, capsys: pytest.CaptureFixture[str]):
    code, _, err = jobs_cli(capsys, "--source", str(release), "logs/nope-*", *NOW_ARG)
    assert code == 2 and "no job directory matches" in err
    code, _, err = jobs_cli(capsys, "--source", str(release), "logs/*", "--since", "3m")
    assert code == 2 and "--since" in err
    code, out, err = jobs_cli(
        capsys, "--source", str(release), "logs/*", "--now", "latest", "--json"
    )
    assert code == 0, err
    assert json.loads(out)["now"] == "2024-05-01T00:00:00Z"  # the newest build's ID time
    code, out, err = jobs_cli(capsys, "--source", str(release), "logs/*", *NOW_ARG)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("6 jobs, window 7d up to 2024-05-01T12:00:00Z")
    assert lines[2].split()[:4] == ["broken", "0%", "↓50", "3"]
    assert lines[2].split()[-2:] == ["xxx", "logs/periodic-x-4.16-broken/"]


def test_cli_through_gcsweb_then_offline(
    release: Path, capsys: pytest.CaptureFixture[str], gcsweb_server_factory
):
    """(Legacy gcsweb's paged listings: ``test_jobs_windows``; its files are read from a
    storage host that a URL on the command line cannot name.)"""
    server = gcsweb_server_factory(release, "modern", bucket="b")
    url = f"{server.base_url}/gcs/b/logs/periodic-x-4.16-*"
    code, out, err = jobs_cli(capsys, url, *NOW_ARG, "--json", "-j", "4")
    assert code == 0, err
    online = json.loads(out)
    assert [j["state"] for j in online["jobs"]] == [
        "broken", "failing", "flaky", "passing", "stale",
    ]  # fmt: skip
    server.reset_counts()
    code, out, err = jobs_cli(capsys, url, *NOW_ARG, "--json", "--offline")
    assert code == 0, err
    assert json.loads(out) == online and server.request_count == 0
    other = f"{server.base_url}/gcs/b/logs/periodic-y-*"
    code, out, err = jobs_cli(capsys, other, *NOW_ARG, "--json", "--offline")
    assert code == 1 and "not in the cache" in err


@pytest.mark.emulator
def test_cli_through_the_gcs_api(
    release: Path, capsys: pytest.CaptureFixture[str], emulator_bucket
):
    bucket = emulator_bucket(release)
    code, out, err = jobs_cli(
        capsys, "--source", f"gs://{bucket}", "logs/periodic-x-*", *NOW_ARG, "--json"
    )
    assert code == 0, err
    assert json.loads(out)["jobs"][0]["state"] == "broken"


def test_cli_names_unreadable_jobs(release: Path, tmp_path: Path, capsys, gcsweb_server_factory):
    server = gcsweb_server_factory(release, "modern", bucket="b")
    server.statuses["/gcs/b/logs/periodic-x-4.16-passing/"] = 403
    url = f"{server.base_url}/gcs/b/logs/periodic-x-4.16-*"
    code, out, err = jobs_cli(capsys, url, *NOW_ARG, "--json")
    assert code == 1
    assert "periodic-x-4.16-passing/: cannot list the job" in err
    assert len(json.loads(out)["jobs"]) == 4


def test_demo_release_covers_every_state(capsys: pytest.CaptureFixture[str]):
    """The demo's release shows every state, the notebook's job among them, and its logs share
    error lines across jobs (in passed builds too, retried)."""
    from prowtui.analysis.jobs_overview import STATES
    from prowtui.demo import BIG_JOB_DIR, RELEASE_JOB_DIRS, demo_root

    code, out, err = jobs_cli(capsys, "--source", "demo", "logs/*", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["now"] == "2024-03-12T00:01:49Z"  # the nightly job's newest build
    by_job = {job["job"]: job for job in report["jobs"]}
    assert {job["state"] for job in report["jobs"]} == set(STATES)
    assert by_job[BIG_JOB_DIR]["state"] == "stale" and len(by_job) == 14
    assert max(len(list((demo_root() / d).iterdir())) for d in RELEASE_JOB_DIRS) > 200
    shared = "context deadline exceeded"
    with_it, passed_with_it = set(), 0
    for job in RELEASE_JOB_DIRS:
        for build in (demo_root() / job).iterdir():
            log = build / "build-log.txt"
            if log.exists() and shared in log.read_text():
                with_it.add(job)
                passed_with_it += '"SUCCESS"' in (build / "finished.json").read_text()
    assert len(with_it) >= 6 and passed_with_it > 0


async def test_jobs_beneath_a_folder():
    from prowtui.analysis.jobs_overview import jobs_beneath
    from prowtui.demo import NIGHTLY_JOB_DIR, PRESUBMIT_JOB_DIR, RELEASE_JOB_DIRS, open_demo

    source = open_demo()
    everything, stopped = await jobs_beneath(source, "")
    assert not stopped and PRESUBMIT_JOB_DIR in everything and len(everything) == 15
    assert not any("pr-logs/directory/" in job for job in everything)  # links, not builds
    assert (await jobs_beneath(source, "logs/"))[0] == sorted(
        [*RELEASE_JOB_DIRS, NIGHTLY_JOB_DIR, everything[0]]
    )
    inside = f"{NIGHTLY_JOB_DIR}1763353455621050368/artifacts/"
    assert await jobs_beneath(source, inside) == ([NIGHTLY_JOB_DIR], False)

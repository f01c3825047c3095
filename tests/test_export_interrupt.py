"""A real ``python -m prowtui export`` killed with SIGINT or SIGKILL at several moments leaves the
previous complete files or none (never a truncated parquet, never a temp under a final name),
and a re-run completes the job."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from prowtui.demo import build_demo_bucket
from tests.servers.gcsweb_server import GcswebServer

JOB = "logs/periodic-ci-openshift-release-master-ci-4.6-upgrade-from-stable-4.5-e2e-gcp-upgrade/"
BUCKET = "origin-ci-test"
FINAL = ("builds", "build_logs", "events", "junit", "failures")
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GcswebServer]:
    """The small demo behind a slow gcsweb server, so an export takes a few seconds."""
    root = build_demo_bucket(tmp_path_factory.mktemp("demo") / "bucket", small=True)
    with GcswebServer(root, bucket=BUCKET, latency=0.04) as srv:
        yield srv


def _start(server: GcswebServer, out: Path, concurrency: int = 2) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "prowtui",
            "export",
            "--source",
            f"{server.base_url}/gcs/{BUCKET}/",
            JOB,
            "-o",
            str(out),
            "--concurrency",
            str(concurrency),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _wait_for_progress(proc: subprocess.Popen[str]) -> None:
    """Block until the export prints its first progress line (the crawl has begun)."""
    assert proc.stderr is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line or "builds" in line:
            return
    pytest.fail("export never reported progress")


def _snapshot(out: Path) -> dict[str, list[dict[str, object]]]:
    """Every final parquet file, read whole (a truncated file raises here)."""
    return {p.name: pq.read_table(p).to_pylist() for p in sorted(out.glob("*.parquet"))}


def _check_consistent(out: Path, previous: dict[str, list[dict[str, object]]] | None) -> None:
    names = {p.name for p in out.iterdir() if not p.name.startswith(".")}
    assert names <= {f"{n}.parquet" for n in FINAL}, names
    current = _snapshot(out)
    if previous is None:
        # a fresh directory: a file that appeared is complete (it was renamed when whole)
        for name in current:
            assert pq.ParquetFile(out / name).metadata.num_rows >= 0
    else:
        for name, rows in current.items():
            assert rows == previous[name], f"{name} changed though the export was killed"


@pytest.fixture(scope="module")
def complete_run(server: GcswebServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("complete")
    proc = _start(server, out, concurrency=8)
    _, err = proc.communicate(timeout=180)
    assert proc.returncode == 0, err
    return out


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["SIGINT", "SIGKILL"])
@pytest.mark.parametrize("delay", [0.3, 1.5])
def test_killed_export_leaves_previous_files_or_none(
    server: GcswebServer,
    complete_run: Path,
    tmp_path: Path,
    sig: signal.Signals,
    delay: float,
) -> None:
    previous = _snapshot(complete_run)
    fresh, again = tmp_path / "fresh", tmp_path / "again"
    again.mkdir()
    for name in previous:
        (again / name).write_bytes((complete_run / name).read_bytes())

    for out, before in ((fresh, None), (again, previous)):
        proc = _start(server, out)
        _wait_for_progress(proc)
        time.sleep(delay)
        proc.send_signal(sig)
        proc.communicate(timeout=60)
        if sig == signal.SIGINT:
            # 130: interrupted mid-run; 0: done before the signal; -SIGINT: hit while exiting
            assert proc.returncode in (0, 130, -signal.SIGINT), proc.returncode
        if out.exists():
            _check_consistent(out, before)
        if sig == signal.SIGINT and proc.returncode == 130 and out.exists():
            assert not [p for p in out.iterdir() if p.name.startswith(".")], "temps left"

    # a re-run completes and cleans what a killed run left behind
    rerun = _start(server, fresh, concurrency=8)
    _, err = rerun.communicate(timeout=180)
    assert rerun.returncode == 0, err
    assert _snapshot(fresh) == previous
    assert not [p for p in fresh.iterdir() if p.name.startswith(".")]

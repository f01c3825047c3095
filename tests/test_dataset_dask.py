"""Dataset exports on a real Dask ``LocalCluster`` (worker processes, no mocks), through the
gcsweb test server: the three demo jobs equal their single-job exports, a SIGKILLed worker
loses nothing, a second run fetches no complete part, repeated runs never hang (workers run
without the disk cache), and ``prowtui export --workers`` survives Ctrl-C."""

from __future__ import annotations

import concurrent.futures
import os
import re
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from prowtui.analysis.dataset.engine import DaskEngine
from prowtui.analysis.dataset.export import DatasetOptions, DatasetResult, export_dataset
from prowtui.analysis.dataset.layout import PART_FILE, TEMP_FILE
from prowtui.demo import build_demo_bucket
from prowtui.demo.layout import (
    BIG_JOB,
    BIG_JOB_DIR,
    NIGHTLY_JOB,
    NIGHTLY_JOB_DIR,
    PRESUBMIT_JOB,
    PRESUBMIT_JOB_DIR,
)
from tests.dask_cluster import KillBusyWorker, local_cluster
from tests.servers.gcsweb_server import GcswebServer
from tests.test_dataset import (
    assert_dataset_equals,
    dataset_rows,
    gcsweb_spec,
    local_spec,
    manifest,
    requested_builds,
    single_exports,
    sort_rows,
)

distributed = pytest.importorskip("distributed")

BUCKET = "origin-ci-test"
REPO = Path(__file__).resolve().parent.parent
JOBS = {BIG_JOB: [BIG_JOB_DIR], NIGHTLY_JOB: [NIGHTLY_JOB_DIR], PRESUBMIT_JOB: [PRESUBMIT_JOB_DIR]}
#: patterns naming the three jobs (the full demo's logs/ also holds a release of small jobs)
TARGETS = [
    "logs/*-ci-4.6-*",
    "logs/*-nightly-4.16-e2e-aws-ovn",
    "pr-logs/pull/openshift_release/*/pull-ci-openshift-release-master-e2e-aws",
]
#: runs of the no-hang test: a 1-in-6 hang goes unseen with probability (5/6)**25 ≈ 1 %
HANG_RUNS = 25
HANG_TIMEOUT = 60.0
TEMP_FILE_PART = re.compile(r"^\.(?P<part>part-[0-9]+-[0-9]+)\.parquet\.")


@pytest.fixture(scope="module")
def worker_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The workers' own cache, demo and config locations (as tests/conftest.py isolates ours)."""
    return tmp_path_factory.mktemp("worker-home")


@pytest.fixture(scope="module")
def client(worker_home: Path) -> Iterator[Any]:
    """A LocalCluster of two worker processes, one thread each, shared by the module."""
    with local_cluster(worker_home) as client:
        yield client


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GcswebServer]:
    """The full demo bucket (the 242-build job among them) behind the gcsweb server."""
    root = build_demo_bucket(tmp_path_factory.mktemp("demo") / "bucket")
    with GcswebServer(root, bucket=BUCKET) as srv:
        yield srv


@pytest.fixture(scope="module")
def reference(server: GcswebServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, list]:
    """The three single-job exports, in this process, as expected dataset rows (read from
    the tree directly: the demo's rows are the same through every source, and faster)."""
    return single_exports(local_spec(server.root), JOBS, tmp_path_factory.mktemp("single"))


def run(
    server: GcswebServer, client: Any, out: Path, progress: Any = None, **options: Any
) -> DatasetResult:
    options.setdefault("source_options", {"timeout": 10.0, "retries": 4})
    return export_dataset(
        gcsweb_spec(server),
        TARGETS,
        out,
        options=DatasetOptions(**options),
        engine=DaskEngine(client=client),
        progress=progress,
    )


def leftovers(out: Path) -> list[Path]:
    """Temporary files, and part files the manifest does not list."""
    recorded = {
        rel
        for job in manifest(out)["jobs"].values()
        for part in job["parts"]
        for rel in part["files"].values()
    }
    found = []
    for path in out.rglob("*"):
        rel = path.relative_to(out).as_posix()
        if TEMP_FILE.match(path.name) or (PART_FILE.match(path.name) and rel not in recorded):
            found.append(path)
    return found


def test_two_workers_equal_the_three_single_job_exports(
    server: GcswebServer, client: Any, reference: dict[str, list], tmp_path: Path
) -> None:
    out = tmp_path / "dataset"
    result = run(server, client, out)
    assert result.ok, result.failed_chunks
    assert result.jobs == 3 and result.builds_fetched == len(reference["builds"]) >= 242
    assert_dataset_equals(out, reference)
    workers = {p["worker"] for j in manifest(out)["jobs"].values() for p in j["parts"]}
    assert len(workers) == 2  # both worker processes wrote parts
    assert leftovers(out) == []
    counts = duckdb.sql(
        f"SELECT job, count(*) FROM read_parquet('{out}/builds/**/*.parquet', "
        "hive_partitioning = true) GROUP BY job ORDER BY job"
    ).fetchall()
    assert counts == sorted(Counter(row["job"] for row in reference["builds"]).items())


@pytest.fixture(scope="module")
def small_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GcswebServer]:
    """The small demo (28 builds, two of them running), a little latency per request."""
    root = build_demo_bucket(tmp_path_factory.mktemp("small") / "bucket", small=True)
    with GcswebServer(root, bucket=BUCKET, latency=0.01) as srv:
        yield srv


@pytest.fixture(scope="module")
def small_reference(
    small_server: GcswebServer, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, list]:
    return single_exports(local_spec(small_server.root), JOBS, tmp_path_factory.mktemp("ref"))


def test_a_second_run_fetches_nothing_of_complete_parts(
    small_server: GcswebServer, client: Any, small_reference: dict[str, list], tmp_path: Path
) -> None:
    out = tmp_path / "dataset"
    assert run(small_server, client, out, chunk=5).ok
    doc = manifest(out)
    complete = [p for j in doc["jobs"].values() for p in j["parts"] if p["complete"]]
    unfinished = {b for j in doc["jobs"].values() for p in j["parts"] for b in p["unfinished"]}
    assert complete and unfinished  # the demo has builds still running
    small_server.reset_counts()
    again = run(small_server, client, out, chunk=5)
    assert again.ok and again.parts_skipped == len(complete)
    every = {row["build_id"] for row in small_reference["builds"]}
    assert requested_builds(small_server, every) == unfinished
    assert again.builds_fetched == len(unfinished)
    assert_dataset_equals(out, small_reference)


def test_a_worker_killed_mid_chunk_loses_nothing(
    small_server: GcswebServer, client: Any, small_reference: dict[str, list], tmp_path: Path
) -> None:
    out = tmp_path / "dataset"
    killer = KillBusyWorker(client, lambda pid: list(out.rglob(f".part-*-{pid}.tmp")))
    result = run(small_server, client, out, progress=killer, chunk=4, concurrency=2)
    assert killer.killed is not None, "no worker was killed while writing a part"
    pid, temps = killer.killed
    assert result.ok, result.failed_chunks
    assert_dataset_equals(out, small_reference)
    assert leftovers(out) == [] and not any(path.exists() for path in temps)
    killed_parts = {TEMP_FILE_PART.match(path.name)["part"] for path in temps}
    writers = {p["name"]: p["worker"] for j in manifest(out)["jobs"].values() for p in j["parts"]}
    for part in killed_parts:  # rescheduled: written whole by another worker process
        assert writers[part] and not writers[part].endswith(f"-{pid}"), part
    client.wait_for_workers(2, timeout=60)


def test_repeated_local_cluster_runs_never_hang_and_workers_use_no_cache(
    small_server: GcswebServer, client: Any, worker_home: Path, tmp_path: Path
) -> None:
    """The disk cache inside Dask workers hung about one run in six; workers do not use it.

    Through gcsweb, the kind of source the cache serves (local and demo trees never use it),
    with the default configuration (cache enabled) in the workers' environment.
    """
    first: list[dict[str, Any]] | None = None
    targets = [NIGHTLY_JOB_DIR, PRESUBMIT_JOB_DIR]  # 4 + 3 builds: a chunk for each worker
    fast = GcswebServer(small_server.root, bucket=BUCKET).start()
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    try:
        for attempt in range(HANG_RUNS):
            out = tmp_path / f"run-{attempt}"
            future = pool.submit(
                export_dataset,
                gcsweb_spec(fast),
                targets,
                out,
                options=DatasetOptions(chunk=4, source_options={"timeout": 10.0}),
                engine=DaskEngine(client=client),
            )
            try:
                result = future.result(timeout=HANG_TIMEOUT)
            except concurrent.futures.TimeoutError:
                stacks = client.call_stack()
                pytest.fail(f"run {attempt} hung for {HANG_TIMEOUT} s; worker stacks: {stacks}")
            assert result.ok and result.parts_written == 2, (attempt, result.failed_chunks)
            rows = sort_rows(dataset_rows(out, "builds"))
            first = first or rows
            assert rows == first, attempt
    finally:
        pool.shutdown(wait=False)
        fast.stop()
    assert first is not None and len(first) == 7
    cache = worker_home / "cache"
    assert not cache.exists() or not any(cache.iterdir())  # no worker opened the cache


def test_cli_workers_ctrl_c_leaves_no_partial_part_and_a_rerun_completes(
    small_server: GcswebServer, small_reference: dict[str, list], tmp_path: Path
) -> None:
    with GcswebServer(small_server.root, bucket=BUCKET, latency=0.05) as srv:
        source = f"{srv.base_url}/gcs/{BUCKET}/"
        command = [sys.executable, "-m", "prowtui", "export", "-s", source, *TARGETS]
        command += ["--chunk", "4", "-j", "2", "-o", str(tmp_path / "dataset")]
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        proc = subprocess.Popen(
            [*command, "--workers", "2"],
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
            env=env,
            start_new_session=True,  # its own process group, as a terminal's foreground job
        )
        assert proc.stderr is not None
        assert "chunk(s) to write" in proc.stderr.readline()
        total = len(small_reference["builds"])
        while True:  # until the workers have fetched half the builds
            line = re.match(r"prowtui: export: ([0-9]+)/", proc.stderr.readline())
            if line and int(line.group(1)) >= total // 2:
                break
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C does: the whole group
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 130, err
        assert "Traceback" not in err  # the workers ignore SIGINT; the client cleans up
        out = tmp_path / "dataset"
        assert leftovers(out) == []
        kept = sum(len(j["parts"]) for j in manifest(out)["jobs"].values())
        assert 0 < kept < total // 4  # some parts, not all of them

        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "in-process" in done.stdout and f"{kept:,}" in done.stdout  # complete parts kept
    assert leftovers(out) == []
    assert_dataset_equals(out, small_reference)


def test_cli_runs_on_the_cluster_that_prowtui_dask_scheduler_names(
    small_server: GcswebServer, client: Any, small_reference: dict[str, list], tmp_path: Path
) -> None:
    address = client.scheduler.address
    out = tmp_path / "dataset"
    source = f"{small_server.base_url}/gcs/{BUCKET}/"
    proc = subprocess.run(
        [sys.executable, "-m", "prowtui", "export", "-s", source, *TARGETS, "-o", str(out)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO), "PROWTUI_DASK_SCHEDULER": address},
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert f"Dask cluster at {address}" in proc.stdout
    workers = {p["worker"] for j in manifest(out)["jobs"].values() for p in j["parts"]}
    cluster_pids = {str(pid) for pid in client.run(os.getpid).values()}
    assert {w.rsplit("-", 1)[1] for w in workers} <= cluster_pids  # written by its workers
    assert_dataset_equals(out, small_reference)

"""Export through a flaky gcsweb server: transient faults change nothing, permanent ones are
reported per build (failures.parquet, stderr, exit 1) while the rest is exported."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from prowtui.analysis.export import export_job
from prowtui.demo import build_demo_bucket
from prowtui.prow.jobs import list_builds
from prowtui.sources.gcsweb import GcswebSource
from prowtui.sources.http import RetryPolicy
from prowtui.sources.local import LocalSource
from tests.servers.gcsweb_server import FaultPlan, GcswebServer

JOB = "logs/periodic-ci-openshift-release-master-ci-4.6-upgrade-from-stable-4.5-e2e-gcp-upgrade/"
BUCKET = "origin-ci-test"
TABLE_FILES = ("builds", "build_logs", "events", "junit")
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def demo_small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small demo bucket (~20 builds of the notebook's job)."""
    return build_demo_bucket(tmp_path_factory.mktemp("demo") / "bucket", small=True)


@pytest.fixture(scope="module")
def build_ids(demo_small: Path) -> list[str]:
    return [b.build_id for b in asyncio.run(list_builds(LocalSource(demo_small), JOB))]


@pytest.fixture(scope="module")
def clean_export(demo_small: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fault-free export through the gcsweb server (its request count beside it)."""
    out = tmp_path_factory.mktemp("clean")
    with GcswebServer(demo_small, bucket=BUCKET) as server:
        asyncio.run(_export(server, out))
        (out / "requests.txt").write_text(str(server.request_count))
    return out


def _source(server: GcswebServer) -> GcswebSource:
    return GcswebSource(
        server.base_url,
        BUCKET,
        storage_url=server.storage_url,
        timeout=1.0,
        retry=RetryPolicy(attempts=6, total=30.0, initial_wait=0.02, max_wait=0.2),
    )


async def _export(server: GcswebServer, out: Path):
    source = _source(server)
    try:
        return await export_job(source, JOB, out, concurrency=8)
    finally:
        await source.aclose()


@pytest.fixture
def flaky_server(demo_small: Path) -> Iterator[GcswebServer]:
    plan = FaultPlan(share=0.2, seed=7, stall_seconds=1.5)
    with GcswebServer(demo_small, bucket=BUCKET, faults=plan) as server:
        yield server


def test_transient_faults_change_no_row(
    flaky_server: GcswebServer, clean_export: Path, tmp_path: Path, build_ids: list[str]
) -> None:
    result = asyncio.run(_export(flaky_server, tmp_path))
    clean_requests = int((clean_export / "requests.txt").read_text())
    assert flaky_server.request_count > clean_requests * 1.1  # faults were injected and retried
    assert result.failures == []
    assert result.row_counts["builds"] == len(build_ids)
    for name in TABLE_FILES:
        faulty = pq.read_table(tmp_path / f"{name}.parquet")
        clean = pq.read_table(clean_export / f"{name}.parquet")
        assert faulty.schema == clean.schema, name
        assert faulty.to_pylist() == clean.to_pylist(), name
    assert pq.read_table(tmp_path / "failures.parquet").num_rows == 0


def test_permanent_failures_are_listed_and_the_rest_exported(
    demo_small: Path, clean_export: Path, tmp_path: Path, build_ids: list[str]
) -> None:
    broken = [build_ids[3], build_ids[-2]]
    plan = FaultPlan(share=0.0, permanent_paths={f"/{b}/" for b in broken})
    with GcswebServer(demo_small, bucket=BUCKET, faults=plan) as server:
        result = asyncio.run(_export(server, tmp_path))
    assert sorted(f[0] for f in result.failures) == sorted(broken)
    failures = pd.read_parquet(tmp_path / "failures.parquet")
    assert sorted(failures["build_id"]) == sorted(broken)
    assert all(failures["path"].str.startswith(JOB)) and failures["error"].str.len().min() > 0
    clean = pq.read_table(clean_export / "builds.parquet").to_pylist()
    kept = pq.read_table(tmp_path / "builds.parquet").to_pylist()
    assert kept == [row for row in clean if row["build_id"] not in broken]
    events = pd.read_parquet(tmp_path / "events.parquet")
    assert not set(events["build_id"]) & set(broken)


def test_cli_names_failed_builds_and_exits_non_zero(
    demo_small: Path, tmp_path: Path, build_ids: list[str]
) -> None:
    broken = build_ids[5]
    plan = FaultPlan(share=0.0, permanent_paths={f"/{broken}/"})
    with GcswebServer(demo_small, bucket=BUCKET, faults=plan) as server:
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "prowtui",
                "export",
                "--source",
                f"{server.base_url}/gcs/{BUCKET}/",
                JOB,
                "-o",
                str(tmp_path / "out"),
                "--tables",
                "builds",
            ],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
    assert proc.returncode == 1, proc.stderr
    assert broken in proc.stderr
    assert pd.read_parquet(tmp_path / "out" / "failures.parquet")["build_id"].tolist() == [broken]
    assert len(pd.read_parquet(tmp_path / "out" / "builds.parquet")) == len(build_ids) - 1


def test_full_242_build_job_with_20_percent_faults_equals_the_fault_free_export(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """The issue's own scenario: the whole notebook-shaped job, one request in five failing."""
    bucket = build_demo_bucket(tmp_path_factory.mktemp("full") / "bucket")
    clean_out, faulty_out = tmp_path_factory.mktemp("clean"), tmp_path_factory.mktemp("faulty")
    with GcswebServer(bucket, bucket=BUCKET) as server:
        clean = asyncio.run(_export(server, clean_out))
        clean_requests = server.request_count
    plan = FaultPlan(share=0.2, seed=11, stall_seconds=1.5)
    with GcswebServer(bucket, bucket=BUCKET, faults=plan) as server:
        faulty = asyncio.run(_export(server, faulty_out))
        assert server.request_count > clean_requests * 1.1  # faults were injected and retried
    assert clean.failures == [] and faulty.failures == []
    assert faulty.row_counts == clean.row_counts
    assert clean.row_counts["builds"] >= 242
    for name in TABLE_FILES:
        assert pq.read_table(faulty_out / f"{name}.parquet").equals(
            pq.read_table(clean_out / f"{name}.parquet")
        ), name

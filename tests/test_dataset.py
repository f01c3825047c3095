"""Dataset exports in this process: the hive layout read back by pandas, pyarrow and DuckDB
equals the single-job exports; patterns; resume (complete parts are not fetched again,
unfinished builds are); strays of killed runs; failures; the command line's modes."""

from __future__ import annotations

import asyncio
import json
import os
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow.dataset as pads
import pyarrow.parquet as pq
import pytest

from prowtui.analysis.dataset.chunk import ChunkTask
from prowtui.analysis.dataset.export import (
    DatasetOptions,
    DatasetResult,
    dataset_lock,
    export_dataset,
)
from prowtui.analysis.dataset.jobs import expand_jobs
from prowtui.analysis.dataset.layout import DATASET_SCHEMAS, MANIFEST, partition_dir
from prowtui.analysis.dataset.manifest import JobRecord, PartRecord
from prowtui.analysis.dataset.plan import Chunk, plan_job
from prowtui.analysis.export import export_job
from prowtui.analysis.tables import TABLES
from prowtui.demo import build_demo_bucket
from prowtui.demo.layout import BIG_JOB_DIR, NIGHTLY_JOB_DIR, PRESUBMIT_JOB_DIR
from prowtui.errors import ProwtuiError, UsageError
from prowtui.prow.jobs import BuildRef
from prowtui.sources.local import LocalSource
from prowtui.sources.resolve import SourceSpec, open_backend, parse_source
from tests.cli import run_prowtui as prowtui
from tests.servers.gcsweb_server import FaultPlan, GcswebServer
from tests.test_analysis_stats import BUILDS
from tests.test_export import GOLDEN, schema_doc

REPO = Path(__file__).resolve().parent.parent
BUCKET = "origin-ci-test"
PERIODIC = "logs/periodic-a/"
OTHER = "logs/periodic-b/"
PR1 = "pr-logs/pull/org_repo/1/pull-e2e/"
PR2 = "pr-logs/pull/org_repo/2/pull-e2e/"
FINISHED = BUILDS["1001"]
IDS = {str(i) for i in range(1, 10)}
UNFINISHED = {"started.json": b'{"timestamp": 1600000000}', "build-log.txt": b"running\n"}


# -- helpers shared with test_dataset_dask -------------------------------------------------------


def write_job(root: Path, job_path: str, builds: dict[str, dict[str, bytes]]) -> None:
    """Write builds (``{id: {relative path: bytes}}``) under ``root/job_path``."""
    for build_id, files in builds.items():
        for rel, data in files.items():
            path = root / job_path / build_id / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)


def hand_tree(root: Path) -> Path:
    """Two periodic jobs and one presubmit in two pull requests (one partition)."""
    write_job(root, PERIODIC, {str(1000 + i): BUILDS[str(1001 + i % 4)] for i in range(7)})
    write_job(root, OTHER, {"5": FINISHED, "6": BUILDS["1004"]})
    write_job(root, PR1, {"2001": FINISHED, "2002": BUILDS["1002"]})
    write_job(root, PR2, {"2003": BUILDS["1003"]})
    return root


def local_spec(root: Path) -> SourceSpec:
    return SourceSpec("local", "", root=root.resolve())


def gcsweb_spec(server: GcswebServer) -> SourceSpec:
    return parse_source(f"{server.base_url}/gcs/{server.bucket}/")


def dataset_rows(root: Path, table: str) -> list[dict[str, Any]]:
    """A dataset table read with pyarrow's hive partitioning, ``job`` as a plain column."""
    data = pads.dataset(root / table, format="parquet", partitioning="hive").to_table()
    return data.to_pylist()


def single_rows(out: Path, table: str, job: str) -> list[dict[str, Any]]:
    """A single-job export's table, with the job name on every row."""
    return [{**row, "job": job} for row in pq.read_table(out / f"{table}.parquet").to_pylist()]


def sort_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows in a canonical order (every value as text, columns by name)."""
    return sorted(rows, key=lambda row: [repr(row[key]) for key in sorted(row)])


def assert_dataset_equals(root: Path, expected: dict[str, list[dict[str, Any]]]) -> None:
    """Each table of the dataset holds exactly ``expected`` rows (any order)."""
    for table in TABLES:
        assert sort_rows(dataset_rows(root, table)) == sort_rows(expected[table]), table


def single_exports(spec_source: Any, jobs: dict[str, list[str]], out: Path) -> dict[str, list]:
    """The single-job exports of every job directory, as expected dataset rows."""
    expected: dict[str, list[dict[str, Any]]] = {table: [] for table in TABLES}
    for name, paths in jobs.items():
        for index, path in enumerate(paths):
            target = out / f"{name}-{index}"
            result = asyncio.run(_export_one(spec_source, path, target))
            assert result.failures == []
            for table in TABLES:
                expected[table] += single_rows(target, table, name)
    return expected


async def _export_one(spec: SourceSpec, path: str, target: Path):
    source = open_backend(spec, concurrency=4, timeout=5.0, retries=3)
    try:
        return await export_job(source, path, target)
    finally:
        await source.aclose()


def manifest(root: Path) -> dict[str, Any]:
    return json.loads((root / MANIFEST).read_text())


def export(spec: SourceSpec, targets: list[str], out: Path, **options: Any) -> DatasetResult:
    options.setdefault("concurrency", 4)
    options.setdefault("source_options", {"timeout": 5.0, "retries": 3})
    return export_dataset(spec, targets, out, options=DatasetOptions(**options))


def requested_builds(server: GcswebServer, builds: set[str]) -> set[str]:
    """Which of ``builds`` the server was asked about (any path inside them) since its reset."""
    paths = server.paths_requested
    return {build for build in builds if any(f"/{build}/" in path for path in paths)}


# -- tests -------------------------------------------------------------------------------------


def test_dataset_schemas_are_the_golden_schemas_without_job() -> None:
    golden = json.loads(GOLDEN.read_text())
    for table in TABLES:
        expected = [col for col in golden[table] if col[0] != "job"]
        assert schema_doc(DATASET_SCHEMAS[table]) == expected, table
    assert "job" in [c[0] for c in golden["builds"]]


@pytest.fixture(scope="module")
def small_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo_bucket(tmp_path_factory.mktemp("demo") / "bucket", small=True)


@pytest.mark.parametrize(
    ("pattern", "expected", "listings"),
    [
        ("logs/periodic-*-4.16-*", [NIGHTLY_JOB_DIR], 1),
        ("logs/*", sorted([BIG_JOB_DIR, NIGHTLY_JOB_DIR]), 1),
        ("logs/[pq]eriodic-*-gcp-upgrade", [BIG_JOB_DIR], 1),
        (
            "logs/periodic-ci-openshift-release-master-nightly-4.1?-e2e-aws-ovn/",
            [NIGHTLY_JOB_DIR],
            1,
        ),
        (
            "pr-logs/pull/openshift_release/*/pull-ci-openshift-release-master-e2e-aws",
            [PRESUBMIT_JOB_DIR],
            2,
        ),
        ("pr-logs/pull/*/*/pull-ci-*", [PRESUBMIT_JOB_DIR], 3),
        ("logs/nothing-*", [], 1),
        (BIG_JOB_DIR, [BIG_JOB_DIR], 0),
    ],
)
def test_patterns_expand_by_listing_each_level_once(
    small_demo: Path, pattern: str, expected: list[str], listings: int
) -> None:
    with GcswebServer(small_demo, bucket=BUCKET) as server:
        source = open_backend(gcsweb_spec(server), concurrency=4, timeout=5.0, retries=2)
        found = asyncio.run(_expand(source, [pattern]))
        assert found.paths == expected
        assert found.unmatched == ([] if expected else [pattern])
        assert server.request_count == listings


async def _expand(source, patterns):
    try:
        return await expand_jobs(source, patterns)
    finally:
        await source.aclose()


def test_dataset_equals_single_job_exports_and_reads_in_pandas_pyarrow_duckdb(
    tmp_path: Path,
) -> None:
    tree = hand_tree(tmp_path / "bucket")
    spec = local_spec(tree)
    out = tmp_path / "dataset"
    result = export(spec, ["logs/periodic-*", "pr-logs/pull/org_repo/*/pull-e2e"], out, chunk=3)
    assert result.ok, result
    assert result.jobs == 3 and result.builds_fetched == 12
    expected = single_exports(
        spec,
        {"periodic-a": [PERIODIC], "periodic-b": [OTHER], "pull-e2e": [PR1, PR2]},
        tmp_path / "single",
    )
    assert_dataset_equals(out, expected)

    # layout: hive directories, part names from first and last build, no job column inside
    parts = sorted(p.relative_to(out).as_posix() for p in (out / "builds").rglob("*.parquet"))
    assert parts == [
        "builds/job=periodic-a/part-1000-1002.parquet",
        "builds/job=periodic-a/part-1003-1005.parquet",
        "builds/job=periodic-a/part-1006-1006.parquet",
        "builds/job=periodic-b/part-5-6.parquet",
        "builds/job=pull-e2e/part-2001-2003.parquet",
    ]
    for path in out.rglob("*.parquet"):
        assert "job" not in pq.read_schema(path).names
    assert not [p for p in out.rglob(".*") if p.name != ".prowtui-export.lock"]

    doc = manifest(out)
    assert doc["source"]["kind"] == "local"
    assert doc["rows"] == {t: len(expected[t]) for t in TABLES}
    assert doc["jobs"]["pull-e2e"]["paths"] == [PR1, PR2]
    part = doc["jobs"]["pull-e2e"]["parts"][0]
    assert (part["first"], part["last"], part["complete"]) == ("2001", "2003", True)
    assert part["files"]["events"] == "events/job=pull-e2e/part-2001-2003.parquet"

    # pandas: one table per directory, the job a column, build_logs indexed by build_id
    builds = pd.read_parquet(out / "builds")
    assert len(builds) == 12
    assert sorted(builds["job"].astype(str).unique()) == ["periodic-a", "periodic-b", "pull-e2e"]
    logs = pd.read_parquet(out / "build_logs")
    assert logs.index.name == "build_id" and list(logs.columns) == ["log", "job"]
    assert logs.loc["1001", "log"] == "a\r\nb\r\nc"

    # DuckDB with hive partitioning
    con = duckdb.connect()
    counts = con.sql(
        f"SELECT job, count(*) AS n FROM read_parquet('{out}/builds/**/*.parquet', "
        "hive_partitioning = true) GROUP BY job ORDER BY job"
    ).fetchall()
    assert counts == [("periodic-a", 7), ("periodic-b", 2), ("pull-e2e", 3)]
    events = con.sql(
        f"SELECT count(*) FROM read_parquet('{out}/events/**/*.parquet', hive_partitioning = true)"
    ).fetchall()
    assert events == [(len(expected["events"]),)]


def test_job_names_are_percent_encoded_in_partition_directories(tmp_path: Path) -> None:
    name = "odd job=x%"
    tree = tmp_path / "bucket"
    write_job(tree, f"logs/{name}/", {"7": FINISHED})
    out = tmp_path / "dataset"
    assert export(local_spec(tree), ["logs/odd*"], out).ok
    assert partition_dir(name) == "job=odd%20job%3Dx%25"
    assert (out / "builds" / partition_dir(name) / "part-7-7.parquet").is_file()
    assert [row["job"] for row in dataset_rows(out, "builds")] == [name]
    assert partition_dir("../x") == "job=..%2Fx"


def test_resume_fetches_only_unfinished_and_new_builds(tmp_path: Path) -> None:
    tree = tmp_path / "bucket"
    write_job(tree, PERIODIC, {"1": FINISHED, "2": FINISHED, "3": FINISHED, "4": UNFINISHED})
    out = tmp_path / "dataset"
    with GcswebServer(tree, bucket=BUCKET) as server:
        spec = gcsweb_spec(server)
        first = export(spec, [PERIODIC], out, chunk=3)
        assert first.ok and first.unfinished == 1 and first.parts_written == 2
        parts = {p["name"]: p for p in manifest(out)["jobs"]["periodic-a"]["parts"]}
        assert parts["part-1-3"]["complete"] and not parts["part-4-4"]["complete"]
        assert parts["part-4-4"]["unfinished"] == ["4"]

        # build 4 finishes, 5 and 6 start; 1..3 are in a complete part
        write_job(tree, PERIODIC, {"4": FINISHED, "5": FINISHED, "6": UNFINISHED})
        server.reset_counts()
        second = export(spec, [PERIODIC], out, chunk=3)
        assert second.ok
        assert requested_builds(server, IDS) == {"4", "5", "6"}
        assert (second.parts_skipped, second.builds_skipped) == (1, 3)
        # the incomplete part was topped up to the chunk size and renamed
        assert (second.parts_written, second.builds_fetched, second.builds_copied) == (1, 3, 0)
        names = sorted(p.name for p in (out / "builds" / "job=periodic-a").iterdir())
        assert names == ["part-1-3.parquet", "part-4-6.parquet"]

        # 6 finishes: only 6 is fetched, 4 and 5 are copied from the part's files
        write_job(tree, PERIODIC, {"6": FINISHED})
        server.reset_counts()
        third = export(spec, [PERIODIC], out, chunk=3)
        assert requested_builds(server, IDS) == {"6"}
        assert (third.builds_fetched, third.builds_copied, third.unfinished) == (1, 2, 0)

        server.reset_counts()
        fourth = export(spec, [PERIODIC], out, chunk=3)
        assert requested_builds(server, IDS) == set()
        assert server.request_count == 1  # the job's listing
        assert (fourth.parts_written, fourth.parts_skipped) == (0, 2)

        fresh = tmp_path / "fresh"
        export(spec, [PERIODIC], fresh, chunk=3)
    for table in TABLES:
        assert sort_rows(dataset_rows(out, table)) == sort_rows(dataset_rows(fresh, table))
    assert all(p["complete"] for p in manifest(out)["jobs"]["periodic-a"]["parts"])


def test_strays_of_killed_runs_are_removed_and_missing_parts_redone(tmp_path: Path) -> None:
    tree = tmp_path / "bucket"
    write_job(tree, PERIODIC, {"1": FINISHED, "2": FINISHED, "3": FINISHED})
    spec = local_spec(tree)
    out = tmp_path / "dataset"
    export(spec, [PERIODIC], out, chunk=2)
    before = sort_rows(dataset_rows(out, "events"))
    job_dir = out / "events" / "job=periodic-a"
    temp = job_dir / ".part-1-2.parquet.otherhost-123.tmp"
    temp.write_bytes(b"half")
    stray = job_dir / "part-9-9.parquet"  # written, never recorded: its run was killed
    stray.write_bytes((job_dir / "part-1-2.parquet").read_bytes())
    (out / "junit" / "job=periodic-a" / "part-3-3.parquet").unlink()
    result = export(spec, [PERIODIC], out, chunk=2)
    assert not temp.exists() and not stray.exists()
    assert (result.parts_written, result.parts_skipped, result.builds_fetched) == (1, 1, 1)
    assert sort_rows(dataset_rows(out, "events")) == before
    assert (out / "junit" / "job=periodic-a" / "part-3-3.parquet").is_file()


def test_overwrite_and_new_tables_fetch_again(tmp_path: Path) -> None:
    tree = tmp_path / "bucket"
    write_job(tree, PERIODIC, {"1": FINISHED, "2": BUILDS["1002"]})
    spec = local_spec(tree)
    out = tmp_path / "dataset"
    first = export(spec, [PERIODIC], out, tables=("builds",))
    assert first.rows == {"builds": 2} and not (out / "events").exists()
    again = export(spec, [PERIODIC], out, tables=("builds",))
    assert again.builds_fetched == 0
    more = export(spec, [PERIODIC], out, tables=("events",))
    assert more.builds_fetched == 2 and set(more.rows) == {"builds", "events"}
    part = manifest(out)["jobs"]["periodic-a"]["parts"][0]
    assert part["tables"] == ["builds", "events"]
    redo = export(spec, [PERIODIC], out, tables=("builds", "events"), overwrite=True)
    assert redo.builds_fetched == 2 and redo.parts_skipped == 0


def test_failed_builds_make_the_chunk_fail_and_the_next_run_retries_them(tmp_path: Path) -> None:
    tree = tmp_path / "bucket"
    write_job(tree, PERIODIC, {"1": FINISHED, "2": FINISHED, "3": FINISHED})
    out = tmp_path / "dataset"
    plan = FaultPlan(share=0.0, permanent_paths={"/2/"})
    with GcswebServer(tree, bucket=BUCKET, faults=plan) as server:
        result = export(gcsweb_spec(server), [PERIODIC], out, source_options={"retries": 1})
    assert not result.ok
    [failed] = result.failed_chunks
    assert (failed.job, failed.part) == ("periodic-a", "part-1-3")
    assert "1 build(s) failed, e.g. 2:" in failed.reason
    assert [r["build_id"] for r in dataset_rows(out, "builds")] == ["1", "3"]
    part = manifest(out)["jobs"]["periodic-a"]["parts"][0]
    assert part["complete"] is False and part["failed"][0]["build_id"] == "2"
    with GcswebServer(tree, bucket=BUCKET) as server:
        retry = export(gcsweb_spec(server), [PERIODIC], out)
        assert requested_builds(server, IDS) == {"2"}
    assert retry.ok and (retry.builds_fetched, retry.builds_copied) == (1, 2)
    assert sorted(r["build_id"] for r in dataset_rows(out, "builds")) == ["1", "2", "3"]


def test_one_dataset_one_source_and_one_run_at_a_time(tmp_path: Path) -> None:
    tree = tmp_path / "bucket"
    write_job(tree, PERIODIC, {"1": FINISHED})
    out = tmp_path / "dataset"
    export(local_spec(tree), [PERIODIC], out)
    other = tmp_path / "other"
    write_job(other, PERIODIC, {"1": FINISHED})
    with pytest.raises(UsageError, match="holds local directory"):
        export(local_spec(other), [PERIODIC], out)
    with dataset_lock(out), pytest.raises(ProwtuiError, match="another export"):
        export(local_spec(tree), [PERIODIC], out)
    with pytest.raises(ProwtuiError, match="no job matches"):
        export(local_spec(tree), ["logs/none-*"], tmp_path / "empty")
    single = tmp_path / "single"
    asyncio.run(export_job(LocalSource(tree), PERIODIC, single))
    with pytest.raises(UsageError, match="single-job export"):
        export(local_spec(tree), [PERIODIC], single)


def test_plan_skips_complete_parts_and_redoes_incomplete_ones() -> None:
    refs = [BuildRef(str(i), f"{PERIODIC}{i}/") for i in range(1, 8)]
    job = type("Job", (), {"name": "periodic-a", "paths": [PERIODIC], "builds": refs})()

    def part(builds: list[str], unfinished: list[str] = (), tables=("builds",)) -> PartRecord:
        name = f"part-{builds[0]}-{builds[-1]}"
        return PartRecord(name, builds, list(tables), {}, {}, unfinished=list(unfinished))

    record = JobRecord("periodic-a", [PERIODIC])
    for p in (part(["1", "2"]), part(["3", "4"], unfinished=["4"])):
        record.parts[p.name] = p
    plan = plan_job(job, record, chunk=3, tables=("builds",))  # type: ignore[arg-type]
    assert (plan.skipped_parts, plan.skipped_builds) == (1, 2)
    top_up, new = plan.chunks
    assert (top_up.name, top_up.replaces, top_up.carry.keep) == ("part-3-5", "part-3-4", ("3",))
    assert [r.build_id for r in top_up.fetch] == ["4", "5"]
    assert (new.name, new.builds, new.carry) == ("part-6-7", ["6", "7"], None)
    # a table the parts lack: every part is fetched again, with both tables
    plan = plan_job(job, record, chunk=3, tables=("builds", "events"))  # type: ignore[arg-type]
    assert [c.name for c in plan.chunks][:2] == ["part-1-2", "part-3-4"]
    assert all(c.carry is None and c.tables == ("builds", "events") for c in plan.chunks)
    # an incomplete part whose only build the bucket no longer lists is dropped
    record = JobRecord("periodic-a", [PERIODIC])
    for p in (part(["1", "2"]), part(["4"], unfinished=["4"])):
        record.parts[p.name] = p
    gone = type("Job", (), {"name": "periodic-a", "paths": [PERIODIC], "builds": refs[:2]})()
    plan = plan_job(gone, record, chunk=3, tables=("builds",))  # type: ignore[arg-type]
    assert (plan.dropped, plan.chunks) == (["part-4-4"], [])
    # ... unless a new build takes its place
    gone.builds = refs[:3]
    plan = plan_job(gone, record, chunk=3, tables=("builds",))  # type: ignore[arg-type]
    assert [(c.name, c.builds, c.replaces) for c in plan.chunks] == [
        ("part-3-3", ["3"], "part-4-4")
    ]


def test_chunk_tasks_pickle_and_workers_open_sources_without_the_config(tmp_path: Path) -> None:
    spec = parse_source("http://127.0.0.1:9/gcs/some-bucket/")
    chunk = Chunk("job", "part-1-1", (BuildRef("1", "logs/job/1/"),), TABLES)
    task = ChunkTask(str(tmp_path), chunk, spec, {"timeout": 3.0, "retries": 2}, 4, "run")
    again = pickle.loads(pickle.dumps(task))
    assert again == task and again.key == task.key
    broken = tmp_path / "broken.toml"
    broken.write_text("this is [ not toml")
    os.environ["PROWTUI_CONFIG"] = str(broken)
    try:
        source = open_backend(again.spec, concurrency=4, timeout=3.0, retries=2)
        assert source.describe() == "gcsweb http://127.0.0.1:9/gcs/some-bucket/"
        asyncio.run(source.aclose())
        with pytest.raises(UsageError):
            open_backend(again.spec)  # without all options it reads (and rejects) the config
    finally:
        os.environ.pop("PROWTUI_CONFIG")


# -- the command line --------------------------------------------------------------------------


def test_cli_one_plain_job_keeps_the_four_files_and_refuses_dataset_options(
    tmp_path: Path,
) -> None:
    tree = hand_tree(tmp_path / "bucket")
    out = tmp_path / "single"
    proc = prowtui("export", "-s", str(tree), PERIODIC, "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted(
        f"{name}.parquet" for name in (*TABLES, "failures")
    )
    for option in (["--workers", "2"], ["--chunk", "5"], ["--overwrite"], ["--scheduler", "x"]):
        proc = prowtui("export", "-s", str(tree), PERIODIC, "-o", str(out), *option)
        assert proc.returncode == 2 and "only for a dataset export" in proc.stderr, option
    proc = prowtui("export", "-s", str(tree), PERIODIC, PR1, "-o", str(out / "d"), "--offline")
    assert proc.returncode == 2 and "--offline" in proc.stderr


def test_cli_dataset_in_process_summary_and_exit_codes(tmp_path: Path) -> None:
    tree = hand_tree(tmp_path / "bucket")
    out = tmp_path / "dataset"
    proc = prowtui("export", "-s", str(tree), "--dataset", OTHER, "logs/nope-*", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "no job matches logs/nope-*" in proc.stderr
    assert "1 chunk(s) to write, 2 build(s) to fetch" in proc.stderr
    assert "in-process" in proc.stdout and "parts written" in proc.stdout
    assert [r["build_id"] for r in dataset_rows(out, "builds")] == ["5", "6"]
    proc = prowtui("export", "-s", str(tree), "logs/nope-*", "-o", str(tmp_path / "none"))
    assert proc.returncode == 1 and "no job matches" in proc.stderr
    env = {"PROWTUI_DASK_SCHEDULER": "tcp://127.0.0.1:9"}
    proc = prowtui("export", "-s", str(tree), PERIODIC, "-o", str(tmp_path / "one"), env=env)
    assert proc.returncode == 0, proc.stderr  # one plain job: in-process, the env is not used
    assert (tmp_path / "one" / "builds.parquet").is_file()


def test_reading_a_dataset_file_by_file_matches_the_manifest(tmp_path: Path) -> None:
    tree = hand_tree(tmp_path / "bucket")
    out = tmp_path / "dataset"
    export(local_spec(tree), ["logs/*", "pr-logs/pull/*/*/*"], out, chunk=2)
    doc = manifest(out)
    for job, record in doc["jobs"].items():
        for part in record["parts"]:
            for table, rel in part["files"].items():
                rows = pq.read_table(out / rel)
                assert rows.num_rows == part["rows"][table], (job, rel)
                assert rows.schema.equals(DATASET_SCHEMAS[table], check_metadata=False)
    assert sum(r["rows"]["builds"] for r in doc["jobs"].values()) == 12


def test_cli_names_a_chunk_that_failed_for_good_and_exports_the_rest(tmp_path: Path) -> None:
    tree = hand_tree(tmp_path / "bucket")
    out = tmp_path / "dataset"
    blocker = out / "events" / "job=periodic-b"
    blocker.parent.mkdir(parents=True)
    blocker.write_text("not a directory")  # periodic-b's events part cannot be written
    proc = prowtui("export", "-s", str(tree), "logs/periodic-*", "-o", str(out), "--chunk", "4")
    assert proc.returncode == 1, proc.stderr
    assert "1 chunk(s) failed" in proc.stderr
    assert "periodic-b part-5-6: FileExistsError" in proc.stderr
    jobs = manifest(out)["jobs"]
    assert [p["name"] for p in jobs["periodic-a"]["parts"]] == ["part-1000-1003", "part-1004-1006"]
    assert jobs["periodic-b"]["parts"] == []
    assert not (out / "builds" / "job=periodic-b").exists() or not any(
        (out / "builds" / "job=periodic-b").iterdir()
    )
    blocker.unlink()
    proc = prowtui("export", "-s", str(tree), "logs/periodic-*", "-o", str(out), "--chunk", "4")
    assert proc.returncode == 0, proc.stderr
    assert [r["build_id"] for r in dataset_rows(out, "builds") if r["job"] == "periodic-b"] == [
        "5",
        "6",
    ]


def test_dask_is_imported_only_when_a_dask_engine_runs(tmp_path: Path) -> None:
    tree = hand_tree(tmp_path / "bucket")
    script = f"""
import sys
from prowtui.cli import build_parser
build_parser().parse_args(["export", "logs/x/", "logs/y/", "-o", "out", "--workers", "2"])
assert not {{"dask", "distributed", "pyarrow"}} & set(sys.modules), "parser"
from prowtui.analysis.dataset.export import DatasetOptions, export_dataset
from prowtui.sources.resolve import SourceSpec
from pathlib import Path
spec = SourceSpec("local", "", root=Path({str(tree)!r}))
assert export_dataset(spec, ["logs/*"], {str(tmp_path / "out")!r}).ok
assert not {{"dask", "distributed"}} & set(sys.modules), "in-process export"
"""
    proc = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr

"""``export_job``: parquet files read back with the golden schema, exact row counts and values,
nulls where unknown, several row groups (rows are written as builds arrive), atomic files."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from prowtui.analysis.export import TABLES, check_tables, export_job, remove_stale_temps
from prowtui.errors import UsageError
from prowtui.sources.local import LocalSource
from tests.test_analysis_stats import JOB, write_tree

GOLDEN = Path(__file__).parent / "golden" / "export_schemas.json"
FILES = (*TABLES, "failures")


def schema_doc(schema: pa.Schema) -> list[list[str]]:
    """``[[name, type], ...]`` of a schema (metadata left out)."""
    return [[field.name, str(field.type)] for field in schema]


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = write_tree(tmp_path / "bucket")
    # events in the newer location as well, and a junit file in artifacts/junit/
    extra = root / JOB / "1001" / "artifacts" / "e2e" / "gather-extra" / "artifacts"
    extra.mkdir(parents=True)
    (extra / "events.json").write_text(
        json.dumps(
            {
                "items": [
                    {
                        "metadata": {"uid": "c1", "namespace": "openshift-etcd", "name": "e1"},
                        "reason": "Started",
                        "type": "Normal",
                        "message": "started",
                        "count": 3,
                        "firstTimestamp": "2020-09-13T12:26:40Z",
                        "lastTimestamp": "2020-09-13T12:30:00Z",
                        "source": {"component": "kubelet"},
                        "involvedObject": {"kind": "Pod", "name": "etcd-0"},
                    }
                ]
            }
        )
    )
    junit_dir = root / JOB / "1002" / "artifacts" / "junit"
    junit_dir.mkdir(parents=True)
    (junit_dir / "junit_e2e.xml").write_text(
        '<testsuites><testsuite name="e2e"><testcase classname="c" name="fails" time="2.5">'
        "<failure message='boom'>trace</failure></testcase></testsuite></testsuites>"
    )
    return root


async def test_files_have_golden_schema_and_counts(tree: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = await export_job(LocalSource(tree), JOB, out, group_rows=2)
    golden = json.loads(GOLDEN.read_text())
    assert set(golden) == set(FILES)
    for name in FILES:
        schema = pq.read_schema(out / f"{name}.parquet")
        assert schema_doc(schema) == golden[name], name
    assert result.row_counts == {"builds": 5, "build_logs": 5, "events": 3, "junit": 4}
    assert result.failures == []
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{n}.parquet" for n in FILES)


async def test_builds_rows_values_and_nulls(tree: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    await export_job(LocalSource(tree), JOB, out, group_rows=2)
    builds = pd.read_parquet(out / "builds.parquet").set_index("build_id")
    assert list(builds.index) == ["999", "1001", "1002", "1003", "1004"]
    assert builds.loc["1001", "result"] == "SUCCESS"
    assert bool(builds.loc["1001", "passed"]) is True
    assert builds.loc["1001", "started"] == pd.Timestamp(1600000000, unit="s", tz="UTC")
    assert builds.loc["1001", "duration_s"] == 100.0
    assert list(builds.loc["1001", "top_level_entries"]) == [
        "artifacts/",
        "build-log.txt",
        "finished.json",
        "podinfo.json",
        "prowjob.json",
        "started.json",
    ]
    assert builds.loc["1004", "result"] == "ABORTED"
    assert list(builds.loc["1004", "artifact_entries"]) == []
    pending = builds.loc["999"]
    assert pending["result"] == "PENDING"
    assert pd.isna(pending["passed"]) and pd.isna(pending["finished"])
    assert pd.isna(pending["duration_s"]) and pd.isna(pending["log_bytes"])
    assert (pending["log_chars"], pending["log_words"], pending["log_lines"]) == (0, 0, 0)
    counts = builds.loc[["1001", "1002", "1003", "1004"], ["log_chars", "log_words", "log_lines"]]
    assert counts.values.tolist() == [[12, 2, 2], [7, 3, 3], [0, 0, 0], [11, 3, 2]]
    assert builds["log_bytes"].dtype == "Int64" or str(builds["log_bytes"].dtype).startswith(
        ("int", "float")
    )
    table = pq.read_table(out / "builds.parquet")
    assert table.column("log_bytes").to_pylist() == [None, 12, 7, 0, 11]


async def test_build_logs_shape_matches_notebook(tree: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    await export_job(LocalSource(tree), JOB, out, group_rows=2)
    logs = pd.read_parquet(out / "build_logs.parquet")
    assert logs.index.name == "build_id"
    assert list(logs.columns) == ["log"]
    assert list(logs.index) == ["999", "1001", "1002", "1003", "1004"]
    assert logs.loc["1002", "log"] == "a\r\nb\r\nc"
    assert logs.loc["1003", "log"] == ""
    assert logs.loc["1004", "log"] == "ok \ufffd\ufffd done\n"
    assert pd.isna(logs.loc["999", "log"])  # no build-log.txt: unknown, not empty


async def test_events_and_junit_rows(tree: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    await export_job(LocalSource(tree), JOB, out)
    events = pd.read_parquet(out / "events.parquet")
    assert events["build_id"].tolist() == ["1001", "1001", "1002"]
    newer = events[events["source_file"].str.contains("gather-extra")].iloc[0]
    assert newer["count"] == 3 and newer["involved_kind"] == "Pod"
    assert newer["first_timestamp"] == pd.Timestamp("2020-09-13T12:26:40Z")
    assert newer["source_component"] == "kubelet"
    old = events[events["source_file"] == "artifacts/build-resources/events.json"].iloc[0]
    assert pd.isna(old["count"]) and pd.isna(old["first_timestamp"])
    junit = pd.read_parquet(out / "junit.parquet")
    assert sorted(junit["file"].unique()) == [
        "artifacts/junit/junit_e2e.xml",
        "artifacts/junit_operator.xml",
    ]
    failed = junit[junit["status"] == "failed"].iloc[0]
    assert (failed["build_id"], failed["name"], failed["time_s"]) == ("1002", "fails", 2.5)


async def test_rows_are_written_in_several_row_groups(tree: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    await export_job(LocalSource(tree), JOB, out, group_rows=2)
    assert pq.ParquetFile(out / "builds.parquet").num_row_groups == 3
    assert pq.ParquetFile(out / "build_logs.parquet").num_row_groups == 3


async def test_limit_and_table_choice(tree: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = await export_job(LocalSource(tree), JOB, out, limit=2, tables=["events", "builds"])
    assert set(result.paths) == {"builds", "events"}
    assert pd.read_parquet(out / "builds.parquet")["build_id"].tolist() == ["1003", "1004"]
    assert not (out / "build_logs.parquet").exists()
    with pytest.raises(UsageError):
        check_tables(["builds", "nope"])


async def test_rerun_replaces_files_and_cleans_dead_temps(tree: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    stale = out / ".builds.parquet.999999999.tmp"
    stale.write_bytes(b"half a file")
    await export_job(LocalSource(tree), JOB, out)
    assert not stale.exists()
    first = pq.read_table(out / "builds.parquet")
    await export_job(LocalSource(tree), JOB, out)
    assert pq.read_table(out / "builds.parquet").equals(first)
    assert remove_stale_temps(out) == []
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


def test_golden_file_matches_declared_schemas() -> None:
    from prowtui.analysis.export import SCHEMAS

    golden = json.loads(GOLDEN.read_text())
    assert {name: schema_doc(SCHEMAS[name]) for name in FILES} == golden
    ts = dict(golden["builds"])["started"]
    assert ts == "timestamp[us, tz=UTC]"
    assert datetime(2020, 1, 1, tzinfo=timezone.utc)  # aware datetimes are what rows carry

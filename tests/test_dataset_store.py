"""Exports into buckets (``-o s3://…``, ``-o gs://…``) against real local servers: moto's S3
server and the GCS emulator, no mocks. A bucket dataset equals a local export of the same
jobs; resume fetches nothing inside complete parts and rewrites none; what killed runs leave
(unlisted parts, unfinished multipart uploads) is removed; the lock names its holder and
``--break-lock`` removes a stale one; Dask workers write their parts straight to the bucket
(a SIGKILLed worker loses nothing, Ctrl-C leaves nothing unlisted); bad URLs, an unknown
scheme and missing credentials, buckets or libraries are one line, never a traceback and
never a local directory named after the URL."""

from __future__ import annotations

import itertools
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.dataset as pads
import pyarrow.parquet as pq
import pytest

from prowtui.analysis.dataset.export import DatasetOptions, DatasetResult, export_dataset
from prowtui.analysis.dataset.layout import LOCK, MANIFEST, PART_FILE, partition_dir
from prowtui.analysis.store import open_store, parse_location
from prowtui.analysis.tables import TABLES
from prowtui.cli import main as cli_main
from prowtui.demo import build_demo_bucket
from prowtui.demo.layout import NIGHTLY_JOB, NIGHTLY_JOB_DIR
from prowtui.errors import ProwtuiError, UsageError
from tests.dask_cluster import KillBusyWorker, local_cluster
from tests.servers.emulator import EmulatorServer
from tests.servers.gcsweb_server import GcswebServer
from tests.servers.s3 import S3Server
from tests.test_dataset import gcsweb_spec, requested_builds, sort_rows

distributed = pytest.importorskip("distributed")
pytest.importorskip("moto")

BUCKET = "origin-ci-test"
REPO = Path(__file__).resolve().parent.parent
TARGETS = ["logs/*", "pr-logs/pull/openshift_release/*/pull-ci-openshift-release-master-e2e-aws"]
CHUNK = 5
_numbers = itertools.count(1)


# -- servers and environments ------------------------------------------------------------------


@pytest.fixture(scope="module")
def s3_server() -> Iterator[S3Server]:
    with S3Server() as server:
        yield server


@pytest.fixture
def s3(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> S3Server:
    """The S3 server, with this process's AWS settings pointing at it (dummy credentials)."""
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL_S3", "AWS_REGION", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    for name, value in s3_server.env.items():
        monkeypatch.setenv(name, value)
    return s3_server


def new_bucket(s3: S3Server) -> str:
    name = f"datasets-{next(_numbers)}"
    s3.client().create_bucket(Bucket=name)
    return name


@pytest.fixture(scope="module")
def gcs_server() -> Iterator[EmulatorServer]:
    with EmulatorServer() as server:
        yield server


@pytest.fixture
def gcs(gcs_server: EmulatorServer, monkeypatch: pytest.MonkeyPatch) -> EmulatorServer:
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs_server.host)
    return gcs_server


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small demo (28 builds of three jobs, two of them still running)."""
    return build_demo_bucket(tmp_path_factory.mktemp("demo") / "bucket", small=True)


@pytest.fixture(scope="module")
def server(demo: Path) -> Iterator[GcswebServer]:
    with GcswebServer(demo, bucket=BUCKET) as srv:
        yield srv


def run(server: GcswebServer, out: Path | str, **options: Any) -> DatasetResult:
    engine = options.pop("engine", None)
    break_lock = options.pop("break_lock", False)
    options.setdefault("chunk", CHUNK)
    options.setdefault("concurrency", 4)
    options.setdefault("source_options", {"timeout": 10.0, "retries": 4})
    return export_dataset(
        gcsweb_spec(server),
        TARGETS,
        out,
        options=DatasetOptions(**options),
        engine=engine,
        break_lock=break_lock,
    )


@pytest.fixture(scope="module")
def local_dataset(server: GcswebServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same jobs exported to a local directory, in this process."""
    out = tmp_path_factory.mktemp("local") / "dataset"
    assert run(server, out).ok
    return out


# -- comparing a bucket dataset with the local one ----------------------------------------------


def read_manifest(url: str) -> dict[str, Any]:
    data = open_store(url).read(MANIFEST)
    assert data is not None
    return json.loads(data)


def without_times(doc: dict[str, Any]) -> dict[str, Any]:
    """The manifest less what differs between two runs: times and writers."""
    doc = {k: v for k, v in doc.items() if k not in ("created", "updated")}
    for job in doc["jobs"].values():
        for part in job["parts"]:
            part.pop("written"), part.pop("worker")
    return doc


def read_table(store: Any, key: str) -> pa.Table:
    """A parquet object read whole through the store's client."""
    data = store.read(key)
    assert data is not None, key
    return pq.read_table(pa.BufferReader(data))


def listed(doc: dict[str, Any]) -> set[str]:
    return {f for job in doc["jobs"].values() for p in job["parts"] for f in p["files"].values()}


def assert_same_dataset(url: str, local: Path, *, same_server: bool = True) -> None:
    """Same files, types and rows as the local export; manifest equal but times/writers
    (and the source's address when read through another server of the same bucket)."""
    store = open_store(url)
    doc = read_manifest(url)
    local_doc = json.loads((local / MANIFEST).read_text())
    if not same_server:
        doc["source"].pop("describe"), local_doc["source"].pop("describe")
    assert without_times(doc) == without_times(local_doc)
    keys = {k for t in TABLES for k in store.list(f"{t}/")}
    local_keys = {p.relative_to(local).as_posix() for p in local.rglob("*.parquet")}
    assert keys == local_keys == listed(doc)  # nothing unlisted, nothing missing
    assert store.list(LOCK) == []  # the lock is gone
    filesystem, base = store.describe_filesystem()
    for key in sorted(keys):
        remote = read_table(store, key)
        assert remote.schema == pq.read_schema(local / key), key
        assert sort_rows(remote.to_pylist()) == sort_rows(pq.read_table(local / key).to_pylist())
    for table in TABLES:  # read as a hive dataset straight from the bucket
        data = pads.dataset(
            f"{base}/{table}", filesystem=filesystem, format="parquet", partitioning="hive"
        ).to_table()
        here = pads.dataset(local / table, format="parquet", partitioning="hive").to_table()
        assert sort_rows(data.to_pylist()) == sort_rows(here.to_pylist()), table


def s3_uploads(s3: S3Server, bucket: str) -> list[str]:
    answer = s3.client().list_multipart_uploads(Bucket=bucket)
    return [upload["Key"] for upload in answer.get("Uploads", [])]


# -- URLs and errors ---------------------------------------------------------------------------


def test_output_urls_parse_and_bad_ones_are_usage_errors(tmp_path: Path) -> None:
    s3 = parse_location("s3://my-bucket/datasets/ocp/")
    assert (s3.kind, s3.bucket, s3.prefix, s3.url) == ("s3", "my-bucket", "datasets/ocp", s3.url)
    assert parse_location("gs://b-1").url == "gs://b-1"
    assert parse_location(f"file://{tmp_path}/x").path == tmp_path / "x"
    assert parse_location(str(tmp_path)).path == tmp_path
    for bad in ("s3://", "s3:///x", "s3://Bad_Bucket/x", "gs://b/a/../c", "ftp://host/x"):
        with pytest.raises(UsageError):
            parse_location(bad)


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = cli_main(["export", *args])
    return code, capsys.readouterr().err


def test_bad_urls_and_missing_credentials_bucket_or_library_are_one_line(
    s3: S3Server,
    demo: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)  # where a URL taken for a path would become a directory
    one = ["-s", str(demo), NIGHTLY_JOB_DIR]
    many = ["-s", str(demo), *TARGETS]
    cases: list[tuple[list[str], int, str]] = [
        ([*one, "-o", "ftp://host/x"], 2, "unknown output scheme ftp://"),
        ([*many, "-o", "ftp://host/x"], 2, "unknown output scheme ftp://"),
        ([*many, "-o", "s3://"], 2, "not a valid bucket name"),
        ([*one, "-o", "gs://Bad_Bucket/x"], 2, "not a valid bucket name"),
        ([*many, "-o", "s3://b-1/a/../c"], 2, "'.', '..'"),
        ([*one, "-o", "s3://no-such-bucket/x"], 1, "no bucket no-such-bucket"),
        ([*many, "-o", "s3://no-such-bucket/x"], 1, "no bucket no-such-bucket"),
    ]
    for args, code, message in cases:
        got, err = _cli(capsys, *args)
        assert (got, message) == (code, message) and message in err, (args, err)
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err

    # no credentials anywhere: the AWS chain finds none (and never probes the network)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    for args in ([*one, "-o", "s3://b-1/x"], [*many, "-o", "s3://b-1/x"]):
        got, err = _cli(capsys, *args)
        assert got == 1 and "no AWS credentials: set AWS_ACCESS_KEY_ID" in err, err
        assert len(err.strip().splitlines()) == 1
    # no Google credentials (and no emulator)
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "missing.json"))
    got, err = _cli(capsys, *many, "-o", "gs://b-1/x")
    assert got == 1 and "no Google credentials" in err and "Traceback" not in err, err
    # boto3 not installed
    monkeypatch.setitem(sys.modules, "boto3", None)
    got, err = _cli(capsys, *many, "-o", "s3://b-1/x")
    assert got == 1 and "need boto3: pip install 'prowtui[s3]'" in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no "s3:", "gs:" or "ftp:"


# -- one job -------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["s3", "gs"])
def test_one_job_into_a_bucket_equals_the_local_export(
    kind: str,
    s3: S3Server,
    gcs: EmulatorServer,
    demo: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    if kind == "s3":
        bucket = new_bucket(s3)
    else:
        bucket = f"datasets-{next(_numbers)}"
        gcs.create_bucket(bucket)
    url = f"{kind}://{bucket}/one/job"
    assert cli_main(["export", "-s", str(demo), NIGHTLY_JOB_DIR, "-o", url]) == 0
    out = capsys.readouterr().out
    assert f"exported to {url}" in out
    local = tmp_path / "local"
    assert cli_main(["export", "-s", str(demo), NIGHTLY_JOB_DIR, "-o", f"file://{local}"]) == 0
    store = open_store(url)
    names = sorted(p.name for p in local.iterdir())
    assert (
        sorted(store.list("")) == names == [f"{t}.parquet" for t in sorted([*TABLES, "failures"])]
    )
    for name in names:
        assert read_table(store, name).equals(pq.read_table(local / name)), name


# -- datasets in this process --------------------------------------------------------------------


def test_s3_dataset_equals_the_local_one_resumes_without_rewriting_and_cleans_up(
    s3: S3Server, server: GcswebServer, local_dataset: Path
) -> None:
    bucket = new_bucket(s3)
    url = f"s3://{bucket}/datasets/ocp"
    client = s3.client()
    # what a killed run left: a worker's unfinished multipart upload and an unlisted part
    base = "datasets/ocp/builds/" + partition_dir(NIGHTLY_JOB)
    upload = client.create_multipart_upload(Bucket=bucket, Key=f"{base}/part-1-2.parquet")
    client.upload_part(
        Bucket=bucket, Key=f"{base}/part-1-2.parquet", PartNumber=1, UploadId=upload["UploadId"],
        Body=b"half a part",
    )  # fmt: skip
    client.put_object(Bucket=bucket, Key=f"{base}/part-3-4.parquet", Body=b"not recorded")
    # another writer's uploads, outside the dataset's tables, are none of its business
    others = ["datasets/ocp-2/builds/x.parquet", "datasets/ocp/notes/x.txt"]
    for key in others:
        client.create_multipart_upload(Bucket=bucket, Key=key)
    result = run(server, url)
    assert result.ok, result.failed_chunks
    assert result.root == url and s3_uploads(s3, bucket) == sorted(others)
    assert_same_dataset(url, local_dataset)

    doc = read_manifest(url)
    complete = [p for j in doc["jobs"].values() for p in j["parts"] if p["complete"]]
    unfinished = {b for j in doc["jobs"].values() for p in j["parts"] for b in p["unfinished"]}
    assert complete and unfinished
    server.reset_counts()
    s3.reset_counts()
    again = run(server, url)
    assert again.ok and again.parts_skipped == len(complete) and again.builds_copied > 0
    every = {b for j in doc["jobs"].values() for p in j["parts"] for b in p["builds"]}
    assert requested_builds(server, every) == unfinished  # nothing inside complete parts
    writes = [line for line in s3.request_log if line.split()[0] in ("PUT", "POST", "DELETE")]
    kept = {f for p in complete for f in p["files"].values()}
    assert writes and not [w for w in writes for key in kept if key in w]  # none rewritten
    assert_same_dataset(url, local_dataset)


def test_gcs_dataset_equals_the_local_one_and_a_stale_lock_needs_break_lock(
    gcs: EmulatorServer, server: GcswebServer, local_dataset: Path
) -> None:
    bucket = f"datasets-{next(_numbers)}"
    gcs.create_bucket(bucket)
    url = f"gs://{bucket}/ocp"
    store = open_store(url)
    old = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 7200))
    store.put(LOCK, json.dumps({"holder": "gone-host-4242", "since": old}).encode())
    server.reset_counts()
    with pytest.raises(ProwtuiError) as caught:
        run(server, url)
    message = str(caught.value)
    assert "gone-host-4242" in message and old in message and "2.0 h ago" in message
    assert "--break-lock" in message and server.request_count == 0
    result = run(server, url, break_lock=True)
    assert result.ok, result.failed_chunks
    assert_same_dataset(url, local_dataset)
    again = run(server, url)  # the rows of parts with running builds are copied from GCS
    assert again.ok and again.builds_copied > 0 and again.parts_skipped > 0
    assert_same_dataset(url, local_dataset)


def test_the_lock_is_held_by_one_export_and_named_to_the_second(
    s3: S3Server, server: GcswebServer, capsys: pytest.CaptureFixture[str]
) -> None:
    bucket = new_bucket(s3)
    url = f"s3://{bucket}/ocp"
    args = ["export", "-s", f"{server.base_url}/gcs/{BUCKET}/", *TARGETS, "-o", url]
    store = open_store(url)
    with store.lock(LOCK):
        holder = json.loads(store.read(LOCK) or b"{}")
        started = time.monotonic()
        assert cli_main(args) == 1
        assert time.monotonic() - started < 5  # at once, no waiting
        err = capsys.readouterr().err
        assert holder["holder"] in err and holder["since"] in err, err
        assert "another export is writing this dataset" in err and len(err.splitlines()) == 1
    assert store.read(LOCK) is None  # released
    # a lock left by a killed client: --break-lock removes it, the lock is gone at the end
    store.put(LOCK, b'{"holder": "killed-1", "since": "2020-01-01T00:00:00Z"}')
    assert cli_main([*args, "--chunk", "50", "--break-lock"]) == 0
    assert store.read(LOCK) is None and read_manifest(url)["rows"]["builds"] == 28
    capsys.readouterr()
    # after a failure too
    failing = ["export", "-s", f"{server.base_url}/gcs/{BUCKET}/", "logs/nothing-*", "-o", url]
    assert cli_main(failing) == 1 and "no job matches" in capsys.readouterr().err
    assert store.read(LOCK) is None


def _httpfs() -> Any:
    """A DuckDB connection with httpfs loaded from the ``duckdb-extension-httpfs`` package
    (which ships it for one DuckDB version; never downloaded, nothing installed in the
    user's DuckDB directory), or None when that package does not fit this DuckDB."""
    import importlib.resources

    duckdb = pytest.importorskip("duckdb")
    try:
        package = importlib.resources.files("duckdb_extension_httpfs")
    except ModuleNotFoundError:
        return None
    path = package / "extensions" / f"v{duckdb.__version__}" / "httpfs.duckdb_extension"
    if not path.is_file():
        return None
    connection = duckdb.connect()
    connection.sql("SET autoinstall_known_extensions = false")
    connection.sql(f"LOAD '{path}'")
    return connection


def test_duckdb_reads_the_bucket_dataset_with_the_documented_secret(
    s3: S3Server, server: GcswebServer
) -> None:
    connection = _httpfs()
    if connection is None:
        pytest.skip("duckdb-extension-httpfs is not installed for this DuckDB version")
    bucket = new_bucket(s3)
    assert run(server, f"s3://{bucket}/ocp").ok
    connection.sql(
        f"""CREATE SECRET moto (TYPE s3, KEY_ID 'testing', SECRET 'testing',
        REGION 'us-east-1', ENDPOINT '127.0.0.1:{s3.port}', URL_STYLE 'path', USE_SSL false)"""
    )
    rows = connection.sql(
        f"SELECT job, count(*) FROM read_parquet('s3://{bucket}/ocp/builds/**/*.parquet', "
        "hive_partitioning = true) GROUP BY job"
    ).fetchall()
    doc = read_manifest(f"s3://{bucket}/ocp")
    assert dict(rows) == {name: job["builds"] for name, job in doc["jobs"].items()}


# -- Dask workers writing to the bucket ----------------------------------------------------------


@pytest.fixture(scope="module")
def cluster(s3_server: S3Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Two worker processes whose environment reaches the S3 server (as a cluster's would)."""
    with local_cluster(tmp_path_factory.mktemp("worker-home"), s3_server.env) as client:
        yield client


#: a spool directory's name: the process, then the part it holds
SPOOL_PART = re.compile(r"prowtui-part-(?P<pid>\d+)-(?P<part>part-\d+-\d+)-")


def spools(pid: int) -> list[Path]:
    """A chunk process's local spool directories (it is writing a part to a bucket)."""
    return list(Path(tempfile.gettempdir()).glob(f"prowtui-part-{pid}-*"))


def test_two_dask_workers_write_their_parts_to_the_bucket_and_one_killed_loses_nothing(
    s3: S3Server, server: GcswebServer, cluster: Any, local_dataset: Path
) -> None:
    from prowtui.analysis.dataset.engine import DaskEngine

    bucket = new_bucket(s3)
    url = f"s3://{bucket}/ocp"
    result = run(server, url, engine=DaskEngine(client=cluster))
    assert result.ok, result.failed_chunks
    doc = read_manifest(url)
    workers = {p["worker"] for j in doc["jobs"].values() for p in j["parts"]}
    cluster_pids = {str(pid) for pid in cluster.run(os.getpid).values()}
    assert {w.rsplit("-", 1)[1] for w in workers} == cluster_pids  # both, nobody else
    assert_same_dataset(url, local_dataset)

    with GcswebServer(server.root, bucket=BUCKET, latency=0.01) as slow:
        url = f"s3://{bucket}/killed"
        killer = KillBusyWorker(cluster, spools)
        export = export_dataset(
            gcsweb_spec(slow),
            TARGETS,
            url,
            options=DatasetOptions(
                chunk=4, concurrency=2, source_options={"timeout": 10.0, "retries": 4}
            ),
            engine=DaskEngine(client=cluster),
            progress=killer,
        )
    assert killer.killed is not None, "no worker was killed while writing a part"
    pid, left = killer.killed
    assert export.ok, export.failed_chunks
    assert s3_uploads(s3, bucket) == []
    assert not any(path.exists() for path in left)  # the next chunk removed its spool
    doc = read_manifest(url)
    keys = {k for t in TABLES for k in open_store(url).list(f"{t}/")}
    assert keys == listed(doc)
    # the part the killed process was writing was written whole by the other worker (the
    # killed one may have finished other parts before it died: those are rightly its own)
    killed_parts = {SPOOL_PART.match(path.name)["part"] for path in left}
    writers = {p["name"]: p["worker"] for j in doc["jobs"].values() for p in j["parts"]}
    for part in killed_parts:
        assert writers[part] and not writers[part].endswith(f"-{pid}"), part
    assert doc["rows"] == json.loads((local_dataset / MANIFEST).read_text())["rows"]
    cluster.wait_for_workers(2, timeout=60)


@pytest.mark.parametrize("engine", [["--workers", "2"], []], ids=["workers", "in-process"])
def test_cli_ctrl_c_leaves_nothing_unlisted_in_the_bucket_and_a_rerun_completes(
    engine: list[str], s3: S3Server, demo: Path, local_dataset: Path
) -> None:
    bucket = new_bucket(s3)
    url = f"s3://{bucket}/ocp"
    with GcswebServer(demo, bucket=BUCKET, latency=0.05) as srv:
        source = f"{srv.base_url}/gcs/{BUCKET}/"
        command = [sys.executable, "-m", "prowtui", "export", "-s", source, *TARGETS]
        command += ["--chunk", str(CHUNK), "-j", "2", "-o", url]
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        proc = subprocess.Popen(
            [*command, *engine],
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
            env=env,
            start_new_session=True,
        )
        assert proc.stderr is not None
        assert "chunk(s) to write" in proc.stderr.readline()
        while True:  # until half the builds are fetched
            line = re.match(r"prowtui: export: ([0-9]+)/", proc.stderr.readline())
            if line and int(line.group(1)) >= 28 // 2:
                break
        os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 130, err
        assert "Traceback" not in err
        doc = read_manifest(url)
        store = open_store(url)
        kept = listed(doc)
        assert {k for t in TABLES for k in store.list(f"{t}/")} == kept, err
        every = listed(json.loads((local_dataset / MANIFEST).read_text()))
        assert 0 < len(kept) < len(every), err  # some parts, not all of them
        assert s3_uploads(s3, bucket) == [] and store.read(LOCK) is None
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert_same_dataset(url, local_dataset, same_server=False)
    assert all(PART_FILE.match(k.rsplit("/", 1)[1]) for k in listed(read_manifest(url)))

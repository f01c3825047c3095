"""``prowtui stats`` and ``prowtui export`` as subprocesses, on every backend: the hand-counted
job gives the same ``stats --json`` and the same parquet rows through a local directory, the
gcsweb server and the GCS emulator; the demo bucket works end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.cli import run_prowtui as prowtui
from tests.servers.gcsweb_fixtures import GcswebServerFactory
from tests.test_analysis_stats import EXPECTED, EXPECTED_CONTENT, JOB, assert_close, write_tree

REPO = Path(__file__).resolve().parent.parent
DEMO_JOB = (
    "logs/periodic-ci-openshift-release-master-ci-4.6-upgrade-from-stable-4.5-e2e-gcp-upgrade/"
)
TABLE_FILES = ("builds", "build_logs", "events", "junit", "failures")


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tree(tmp_path_factory.mktemp("hand") / "bucket")


@pytest.fixture(scope="module")
def local_export(tree: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("local-export")
    proc = prowtui("export", "--source", str(tree), JOB, "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    return out


Backend = Callable[[], tuple[str, dict[str, str]]]


@pytest.fixture(params=["local", "gcsweb", "emulator"])
def backend(
    request: pytest.FixtureRequest,
    tree: Path,
    gcsweb_server_factory: GcswebServerFactory,
) -> tuple[str, dict[str, str]]:
    """``(--source value, extra environment)`` serving the hand-counted tree."""
    if request.param == "local":
        return str(tree), {}
    if request.param == "gcsweb":
        server = gcsweb_server_factory(tree, bucket="hand-bucket")
        return f"{server.base_url}/gcs/hand-bucket/", {}
    upload = request.getfixturevalue("emulator_bucket")
    emulator = request.getfixturevalue("emulator")
    bucket = upload(tree, "hand")
    return f"gs://{bucket}", {"STORAGE_EMULATOR_HOST": emulator.host}


def test_stats_json_is_the_same_on_every_backend(backend: tuple[str, dict[str, str]]) -> None:
    source, env = backend
    proc = prowtui("stats", "--source", source, JOB, "--json", "--content", env=env)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert_close({k: v for k, v in doc.items() if k != "build_log"}, EXPECTED)
    assert_close(doc["build_log"], EXPECTED_CONTENT)


def test_export_rows_are_the_same_on_every_backend(
    backend: tuple[str, dict[str, str]], local_export: Path, tmp_path: Path
) -> None:
    source, env = backend
    proc = prowtui("export", "--source", source, JOB, "-o", str(tmp_path), env=env)
    assert proc.returncode == 0, proc.stderr
    assert "builds.parquet" in proc.stdout
    for name in TABLE_FILES:
        rows = pq.read_table(tmp_path / f"{name}.parquet").to_pylist()
        assert rows == pq.read_table(local_export / f"{name}.parquet").to_pylist(), name


def test_stats_accepts_a_gcsweb_url(tree: Path, gcsweb_server_factory: GcswebServerFactory) -> None:
    server = gcsweb_server_factory(tree, bucket="hand-bucket")
    proc = prowtui("stats", f"{server.base_url}/gcs/hand-bucket/{JOB}", "--json", "--limit", "2")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["builds"] == 2 and doc["results"] == {"ABORTED": 1, "FAILURE": 1}


def test_stats_human_output_is_inert_and_complete(tree: Path) -> None:
    proc = prowtui("stats", "--source", str(tree), JOB, "--content")
    assert proc.returncode == 0, proc.stderr
    for needle in ("presence", "results", "build-log.txt sizes", "FAILURE", "80.0%"):
        assert needle in proc.stdout, needle
    assert "\x1b" not in proc.stdout  # not a terminal: no escape sequences at all
    assert "prowtui: stats: 5/5 builds" in proc.stderr  # plain progress lines off a terminal


def test_missing_job_is_a_one_line_error(tree: Path) -> None:
    proc = prowtui("stats", "--source", str(tree), "logs/no-such-job/")
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1].startswith("prowtui: error:")


@pytest.mark.slow
def test_demo_stats_and_export_end_to_end(tmp_path: Path) -> None:
    proc = prowtui("stats", "--source", "demo", DEMO_JOB, "--json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["builds"] >= 242
    assert doc["top_level"]["patterns"][0]["share"] > 0.9
    out = tmp_path / "out"
    proc = prowtui("export", "--source", "demo", DEMO_JOB, "-o", str(out), "--limit", "30")
    assert proc.returncode == 0, proc.stderr
    assert pq.read_table(out / "builds.parquet").num_rows == 30
    assert pq.read_table(out / "build_logs.parquet").num_rows == 30


@pytest.mark.parametrize(("flag", "expected"), [([], 3), (["-j", "5"], 5)])
async def test_concurrency_comes_from_the_config_unless_given(
    tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flag: list[str], expected: int
) -> None:
    from prowtui.cli import build_parser
    from prowtui.commands.stats import open_job_source

    config = tmp_path / "config.toml"
    config.write_text("concurrency = 3\n")
    monkeypatch.setenv("PROWTUI_CONFIG", str(config))
    args = build_parser().parse_args(["stats", "--source", str(tree), JOB, *flag])
    source, path, concurrency = await open_job_source(args)
    await source.aclose()
    assert path == JOB and concurrency == expected


def test_help_imports_no_heavy_library() -> None:
    """Every command module is imported to build the parser: none may pull in these."""
    code = (
        "import sys; from prowtui.cli import build_parser; build_parser(); "
        "heavy = {'pandas', 'pyarrow', 'numpy', 'textual', 'google', 'bs4', 'lxml', 'aiohttp'}; "
        "print(sorted(heavy & {name.split('.')[0] for name in sys.modules}))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_a_warm_stats_run_imports_no_http_client_or_numpy(
    tree: Path, gcsweb_server_factory: GcswebServerFactory, tmp_path: Path
) -> None:
    """A run answered wholly from the cache needs no HTTP client: aiohttp (and numpy, which
    stats does not use) would cost a fresh process a few tenths of a second to import."""
    server = gcsweb_server_factory(tree, bucket="hand-bucket")
    code = (
        "import sys; from prowtui.cli import main; "
        f"code = main(['stats', '--json', '{server.base_url}/gcs/hand-bucket/{JOB}']); "
        "heavy = {'aiohttp', 'numpy', 'pandas', 'rich'}; "
        "print(code, sorted(heavy & {name.split('.')[0] for name in sys.modules}), "
        "file=sys.stderr)"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO), "PROWTUI_CACHE_DIR": str(tmp_path / "cache")}
    runs = [
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
        for _ in ("cold", "warm")
    ]
    cold, warm = (run.stderr.strip().splitlines()[-1] for run in runs)
    assert cold == "0 ['aiohttp']", runs[0].stderr
    assert warm == "0 []", runs[1].stderr
    assert json.loads(runs[0].stdout) == json.loads(runs[1].stdout)

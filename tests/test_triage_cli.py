"""``prowtui triage`` as a subprocess: the same JSON from a local mirror, the gcsweb server and
the GCS emulator; plain text when piped and Rich tables on a terminal, both inert; a log that
cannot be read is reported and the rest still triaged; usage and missing-job errors."""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path

import pytest
from rich.console import Console

from prowtui.commands.triage import render_plain, render_rich
from prowtui.sources.local import LocalSource
from prowtui.triage import triage_job
from tests.cli import run_prowtui
from tests.servers.gcsweb_fixtures import GcswebServerFactory
from tests.servers.gcsweb_server import FaultPlan
from tests.test_triage_analysis import JOB, write_tree

REPO = Path(__file__).resolve().parent.parent
HOSTILE = "error: \x1b]52;c;cHduZWQ=\x07 clipboard \x1b[2J and \u202eevil\u202c [bold]markup[/]"


def prowtui(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return run_prowtui(*args, env={"COLUMNS": "200", **(env or {})})


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = write_tree(tmp_path_factory.mktemp("triage-cli") / "bucket")
    log = root / JOB / "103" / "build-log.txt"
    log.write_text(log.read_text() + HOSTILE + "\n")
    return root


@pytest.fixture(scope="module")
def local_json(tree: Path) -> str:
    proc = prowtui("triage", "--source", str(tree), JOB, "--json")
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_local_json_is_the_in_process_report(tree: Path, local_json: str) -> None:
    import asyncio

    report = asyncio.run(triage_job(LocalSource(tree), JOB))
    assert local_json == report.dumps()
    doc = json.loads(local_json)
    assert doc["builds"] == 9 and doc["signatures"][0]["template"] == "Some steps failed:"
    assert "\x1b" not in local_json and "\u202e" not in local_json  # JSON escapes them


@pytest.mark.parametrize("backend", ["gcsweb", "emulator"])
def test_json_is_the_same_through_gcsweb_and_the_gcs_api(
    backend: str,
    tree: Path,
    local_json: str,
    gcsweb_server_factory: GcswebServerFactory,
    request: pytest.FixtureRequest,
) -> None:
    env: dict[str, str] = {}
    if backend == "gcsweb":
        server = gcsweb_server_factory(tree, bucket="triage-bucket")
        source = f"{server.base_url}/gcs/triage-bucket/"
    else:
        emulator = request.getfixturevalue("emulator")
        bucket = request.getfixturevalue("emulator_bucket")(tree, "triage")
        source, env = f"gs://{bucket}", {"STORAGE_EMULATOR_HOST": emulator.host}
    proc = prowtui("triage", "--source", source, JOB, "--json", env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == local_json
    again = prowtui("triage", "--source", source, JOB, "--json", "--offline", env=env)
    assert again.returncode == 0, again.stderr
    assert again.stdout == local_json  # answered from the cache the first run filled


def test_plain_text_when_piped_is_inert_and_complete(tree: Path) -> None:
    proc = prowtui("triage", "--source", str(tree), JOB, "--limit", "8")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    for needle in ("history, oldest first", "signatures (", "tests (", "events (", "t-broken"):
        assert needle in out, needle
    assert "\x1b" not in out and "\u202e" not in out and "\x07" not in out
    # escape sequences were dropped from the line; the bidi override is shown escaped
    assert "error: clipboard and \\u202eevil\\u202c [bold]markup[/]" in out
    assert "8 builds: 4 failed, 3 passed, 1 other" in out
    assert proc.stderr == ""  # progress only on a terminal


def test_rich_tables_on_a_terminal_are_inert(tree: Path) -> None:
    import asyncio

    report = asyncio.run(triage_job(LocalSource(tree), JOB))
    buffer = io.StringIO()
    render_rich(
        report, Console(file=buffer, force_terminal=True, width=220, color_system="truecolor")
    )
    out = buffer.getvalue()
    assert "\x1b]52" not in out and "\u202e" not in out and "\x1b[2J" not in out
    assert "\\u202eevil" in out and "[bold]markup[/]" in out  # shown literally, not as markup
    for needle in ("history, oldest first", "causes of failed builds", "signatures", "t-flaky"):
        assert needle in out, needle
    plain = io.StringIO()
    render_plain(report, plain)
    letters = plain.getvalue().splitlines()[3].strip()
    assert len(letters) == 9 and letters[1] == "." and letters[-1] == "-"


def test_an_unreadable_log_is_reported_and_the_rest_triaged(
    tree: Path, local_json: str, gcsweb_server_factory: GcswebServerFactory
) -> None:
    step_log = f"{JOB}106/artifacts/e2e/run-tests/build-log.txt"
    faults = FaultPlan(share=0.0, permanent_paths={step_log})
    server = gcsweb_server_factory(tree, bucket="triage-bucket", faults=faults)
    source = f"{server.base_url}/gcs/triage-bucket/"
    proc = prowtui("triage", "--source", source, JOB, "--json", env={"PROWTUI_RETRIES": "2"})
    assert proc.returncode == 1
    assert "106" in proc.stderr and "problem" in proc.stderr
    doc = json.loads(proc.stdout)
    disk = next(s for s in doc["signatures"] if "no space left" in s["template"])
    assert disk["builds"] == ["101"]  # 106's copy was in the unreadable step log
    local = json.loads(local_json)["history"]
    assert [(h["result"], h["duration_s"]) for h in doc["history"]] == [
        (h["result"], h["duration_s"]) for h in local
    ]
    assert disk["id"] not in doc["history"][5]["signatures"]


def test_usage_and_missing_job_errors(tree: Path) -> None:
    missing = prowtui("triage", "--source", str(tree), "logs/no-such-job/")
    assert missing.returncode == 1
    assert missing.stderr.strip().splitlines()[-1].startswith("prowtui: error:")
    bad = prowtui("triage", "--source", str(tree), JOB, "--limit", "0")
    assert bad.returncode == 2 and "must be at least 1" in bad.stderr
    helped = prowtui("triage", "--help")
    assert helped.returncode == 0 and "--concurrency" in helped.stdout

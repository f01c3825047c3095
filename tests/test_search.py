"""``prowtui search`` end to end: a local mirror (command line), gcsweb of both generations
(request accounting, cold and warm, through the cache) and the GCS API (emulator)."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from prowtui.cache import Cache
from prowtui.logs.grep import Pattern
from prowtui.search.model import MatchRow
from prowtui.search.run import SearchOptions, search_jobs
from prowtui.sources.cached import CachedSource
from prowtui.sources.gcs import GcsSource
from prowtui.sources.gcsweb import GcswebSource
from tests.cli import PLAIN_WIDE, run_prowtui
from tests.jobs_tree import NOW, B, days, write_job

JUNIT = """<?xml version="1.0"?>
<testsuite name="e2e">
  <testcase name="[sig-storage] volume mounts" time="1">
    <failure message="short">step one
mount failed: disk full on /dev/sda
step three</failure>
  </testcase>
  <testcase name="passes" time="1"/>
  <testcase name="[sig-node] other" time="1"><error message="disk full again"/></testcase>
</testsuite>
"""
HOSTILE = "disk full \x1b[31mRED\x1b[0m [bold]x[/bold] \u202eevil\n"


@pytest.fixture(scope="module")
def bucket(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two jobs: ``periodic-a`` with failed, passed, pending and too-old builds, some of them
    with the line; ``periodic-b`` without it."""
    root = tmp_path_factory.mktemp("search-bucket")
    ids = write_job(
        root,
        "periodic-a",
        [
            B(days(0.5), "FAILURE", log="start\n" + HOSTILE + "end\n"),
            B(days(1), "SUCCESS", log="ok\r\nnot a problem: disk full\r\n"),
            B(days(1.5), "ABORTED", log="aborted\n"),
            B(days(0.2), None, log="running, disk full\n"),
            B(days(5), "FAILURE", log="disk full, but long ago\n"),
        ],
    )
    first = root / "logs" / "periodic-a" / ids["0"]
    step = first / "artifacts" / "e2e" / "gather"
    step.mkdir(parents=True)
    (step / "build-log.txt").write_text("a\nb\ndisk full\n")
    (step / "not-a-log.txt").write_text("disk full\n")
    (first / "artifacts" / "e2e" / "junit_e2e.xml").write_text(JUNIT)
    write_job(root, "periodic-b", [B(days(0.5), "FAILURE", log="other trouble\n")])
    return root


def _search(bucket: Path, *args: str) -> tuple[int, str, str]:
    result = run_prowtui(
        "search",
        "--source",
        str(bucket),
        "--now",
        NOW.isoformat(),
        *args,
        env=PLAIN_WIDE,
    )
    return result.returncode, result.stdout, result.stderr


def test_local_mirror_json(bucket: Path):
    """The JSON's exact keys, the impact line, builds newest first, files in path order, the
    step log and the junit messages (with their test, lines within the message)."""
    code, out, err = _search(bucket, "disk full", "logs/periodic-*", "logs/nothing-*", "--json")
    assert code == 0, err
    assert "logs/nothing-*" in err and "warning" in err
    doc = json.loads(out)
    assert set(doc) == {"query", "jobs", "searched", "unmatched"}
    assert doc["query"] == {
        "regex": "disk full",
        "fixed": False,
        "ignore_case": False,
        "type": "all",
        "since_s": 2 * 86400,
        "now": "2024-05-01T12:00:00Z",
    }
    assert doc["unmatched"] == ["logs/nothing-*"]
    (job,) = doc["jobs"]
    assert set(job) == {
        "job",
        "runs",
        "failed",
        "matched_runs",
        "matched_failed",
        "failed_pct",
        "match_pct_of_failures",
        "impact",
        "builds",
    }
    assert job["job"] == "logs/periodic-a/"
    assert (job["runs"], job["failed"], job["matched_runs"], job["matched_failed"]) == (3, 2, 2, 1)
    assert job["impact"] == pytest.approx(1 / 3) and job["match_pct_of_failures"] == 0.5
    assert [b["result"] for b in job["builds"]] == [None, "FAILURE", "SUCCESS"]
    failed = job["builds"][1]
    assert set(failed) == {"build_id", "result", "started", "matches", "truncated"}
    assert set(failed["matches"][0]) == {"path", "line", "text", "before", "after", "test"}
    where = [(m["path"], m["line"], m["test"]) for m in failed["matches"]]
    assert where == [
        ("artifacts/e2e/gather/build-log.txt", 3, None),
        ("artifacts/e2e/junit_e2e.xml", 2, "[sig-storage] volume mounts"),
        ("artifacts/e2e/junit_e2e.xml", 1, "[sig-node] other"),
        ("build-log.txt", 2, None),
    ]
    assert failed["matches"][0]["text"] == "disk full"
    assert job["builds"][2]["matches"][0]["text"] == "not a problem: disk full"  # no \r
    # periodic-b's build is searched too: each build's log and junit.xml, the step's two files
    assert doc["searched"]["builds"] == 5 and doc["searched"]["files"] == 12


def test_local_mirror_context_failed_only_and_filters(bucket: Path):
    code, out, err = _search(
        bucket, "disk full", "logs/periodic-*", "--json", "-C", "1", "--type", "junit"
    )
    assert code == 0, err
    matches = json.loads(out)["jobs"][0]["builds"][0]["matches"]
    assert matches[0]["before"] == ["step one"] and matches[0]["after"] == ["step three"]
    assert matches[1]["before"] == [] and matches[1]["after"] == []  # not the other message's
    code, out, _ = _search(
        bucket, "disk full", "logs/periodic-*", "--json", "--failed-only", "--max-per-file", "1"
    )
    (job,) = json.loads(out)["jobs"]
    assert (job["runs"], job["failed"], job["matched_runs"]) == (3, 2, 1)
    (build,) = job["builds"]
    assert build["result"] == "FAILURE" and build["truncated"]  # the junit file had two
    assert [m["path"] for m in build["matches"]].count("artifacts/e2e/junit_e2e.xml") == 1
    code, out, _ = _search(bucket, "disk full", "logs/periodic-*", "--json", "--exclude=-a$")
    assert code == 0 and json.loads(out)["jobs"] == []


def test_terminal_view_is_inert_and_errors(bucket: Path):
    """Piped: plain text with the impact line, hostile bytes shown, never interpreted; an
    invalid pattern and patterns matching no job are usage errors (one line, exit 2)."""
    code, out, err = _search(bucket, "disk full", "logs/periodic-*")
    assert code == 0, err
    assert "\x1b" not in out and "\u202e" not in out
    assert "3 runs, 2 failed (66.7%), 2 matched, 1 of the failures (50.0%) = 33.3% impact" in out
    assert "[bold]x[/bold]" in out and "\\e[31mRED" in out
    code, out, err = _search(bucket, "(unclosed", "logs/periodic-*")
    assert code == 2 and err.count("\n") == 1 and "unclosed group" in err
    code, _, err = _search(bucket, "x", "logs/nothing-*")
    assert code == 2 and "no job matched" in err


def _requested(server, bucket_name: str) -> list[str]:
    out = []
    for role, _, raw in server.requests:
        parts = urlsplit(raw)
        path = unquote(parts.path)
        prefix = f"/gcs/{bucket_name}/" if role == "gcsweb" else f"/{bucket_name}/"
        out.append(path.removeprefix(prefix) + (f"?{parts.query}" if parts.query else ""))
    return out


def _options(**kwargs: object) -> SearchOptions:
    return SearchOptions(pattern=Pattern("disk full"), concurrency=8, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("generation", ["legacy", "modern"])
async def test_gcsweb_requests_cold_and_warm(
    bucket: Path, tmp_path: Path, gcsweb_server_factory, generation: str
):
    """Cold: listings, both metadata files of the window's builds, one read per searched
    file, nothing of the old build. Warm: no file of a finished build is read again."""
    server = gcsweb_server_factory(bucket, generation, bucket="b", page_size=3)

    async def run(offline: bool = False) -> dict:
        inner = GcswebSource(server.base_url, "b", storage_url=server.storage_url)
        source = CachedSource(inner, Cache(tmp_path / "cache"), offline=offline)
        try:
            report = await search_jobs(
                source, ["logs/periodic-a/"], _options(), since=days(2), now=NOW
            )
        finally:
            await source.aclose()
        return report.to_json()

    cold = await run()
    assert cold["jobs"][0]["matched_failed"] == 1
    requested = _requested(server, "b")
    files = [p for p in requested if "?" not in p and not p.endswith("/")]
    old = B(days(5)).build_id(4)
    assert not any(old in p for p in requested)
    searched = {p for p in files if p.endswith((".txt", ".xml"))}
    assert len(searched) == 10 and not any("not-a-log" in p for p in searched)
    assert len([p for p in files if p.endswith((".txt", ".xml"))]) == 10  # one read each
    assert len([p for p in files if p.endswith(".json")]) == 8  # the 4 builds' metadata
    server.reset_counts()
    warm = await run()
    assert warm == cold
    files = [p for p in _requested(server, "b") if "?" not in p and not p.endswith("/")]
    pending = B(days(0.2)).build_id(3)
    assert all(pending in p for p in files if not p.endswith("finished.json"))
    assert not any(p.endswith((".txt", ".xml")) for p in files if pending not in p)
    server.reset_counts()
    assert await run(offline=True) == cold  # --offline: all from the cache
    assert not server.requests


async def test_gcs_api(bucket: Path, emulator_bucket):
    name = emulator_bucket(bucket)
    source = GcsSource(name)
    try:
        report = await search_jobs(
            source, ["logs/periodic-*"], _options(type="build-log"), since=days(2), now=NOW
        )
    finally:
        await source.aclose()
    (job,) = report.jobs
    assert (job.runs, job.failed, job.matched_runs, job.matched_failed) == (3, 2, 2, 1)
    assert [m.path for m in job.builds[1].matches] == [
        "artifacts/e2e/gather/build-log.txt",
        "build-log.txt",
    ]
    assert not report.problems


def test_demo_jobs_share_a_line():
    """The demo's release jobs share failure lines: a search of them ranks several jobs by
    impact, each match in a build log at its line."""
    result = run_prowtui(
        "search", "--source", "demo", "-F", "failed to acquire lease", "logs/*", "--json"
    )
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert len(doc["jobs"]) >= 2
    impacts = [job["impact"] for job in doc["jobs"] if job["impact"] is not None]
    assert impacts == sorted(impacts, reverse=True)
    match = doc["jobs"][0]["builds"][0]["matches"][0]
    assert match["path"] == "build-log.txt" and "failed to acquire lease" in match["text"]


def test_rich_view_is_inert():
    """On a terminal: styles from prowtui, never from the bucket's bytes."""
    import io

    from prowtui.commands.search import print_rich
    from prowtui.search.model import (
        BuildMatches,
        Searched,
        SearchQuery,
        SearchReport,
        job_matches,
    )

    row = MatchRow("build-log.txt", 3, HOSTILE.rstrip("\n"), spans=[(0, 9)])
    job = job_matches("logs/a/", [BuildMatches("1", "FAILURE", NOW, [row])])
    assert job is not None
    query = SearchQuery("disk full", False, False, "all", 3600, NOW)
    out = io.StringIO()
    print_rich(SearchReport(query, [job], Searched(1, 1, 10), []), out)
    text = out.getvalue()
    assert "\x1b[31mRED" not in text and "\u202e" not in text and "[bold]x[/bold]" in text


async def test_unreadable_file_is_named_and_the_search_goes_on(bucket: Path, gcsweb_server_factory):
    server = gcsweb_server_factory(bucket, "modern", bucket="b")
    first = B(days(0.5)).build_id(0)
    refused = f"logs/periodic-a/{first}/artifacts/e2e/gather/build-log.txt"
    server.statuses[f"/gcs/b/{refused}"] = 403
    source = GcswebSource(server.base_url, "b", storage_url=server.storage_url)
    try:
        report = await search_jobs(source, ["logs/periodic-a/"], _options(), since=days(2), now=NOW)
    finally:
        await source.aclose()
    assert len(report.problems) == 1 and report.problems[0].startswith(refused + ": ")
    (job,) = report.jobs
    assert job.matched_failed == 1  # its build log and junit file still matched
    paths = [m.path for m in job.builds[1].matches]
    assert "artifacts/e2e/gather/build-log.txt" not in paths and "build-log.txt" in paths

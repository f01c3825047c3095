"""Report windows, build-ID times and the window crawl's requests (through the cache, against
the counting gcsweb server)."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from prowtui.analysis.window_builds import (
    latest_id_time,
    list_job_builds,
    resolve_job_patterns,
    window_builds,
)
from prowtui.cache import Cache
from prowtui.errors import UsageError
from prowtui.prow.windows import Windows, parse_now, parse_since, snowflake_time
from prowtui.sources.cached import CachedSource
from prowtui.sources.gcsweb import GcswebSource
from prowtui.sources.local import LocalSource
from tests.jobs_tree import NOW, B, days, write_job

WEEK = Windows(NOW, timedelta(days=7))


def test_snowflake_time_matches_real_artifacts(samples_dir: Path):
    """The ID's time is the ProwJob's creation: the sample ProwJob's startTime to the second,
    and the first line of the sample build log (its pod's start) a few seconds later."""
    prowjob = json.loads(
        (samples_dir / "openshift__sippy/pkg/prowloader/prowjob_test.json").read_text()
    )
    build_id = prowjob["status"]["build_id"]
    start = datetime.fromisoformat(prowjob["status"]["startTime"].replace("Z", "+00:00"))
    assert abs(snowflake_time(build_id) - start) < timedelta(seconds=1)
    notebook = samples_dir / "aicoe-aiops__ocp-ci-analysis/notebooks/data-sources/gcsweb-ci"
    (log,) = notebook.glob("prow_archive_discovery.ipynb.extracted/logs/*/*/build-log.txt")
    first = re.search(r"\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)Z\]", log.read_text())
    assert first is not None  # "INFO[2021-04-17T19:58:56Z] ci-operator version ..."
    pod_start = datetime.fromisoformat(first.group(1) + "+00:00")
    gap = pod_start - snowflake_time(log.parent.name)
    assert timedelta(0) <= gap < timedelta(minutes=10)


def test_snowflake_time_rejects_non_ids():
    assert snowflake_time("1383510269677801472") == datetime(
        2021, 4, 17, 19, 58, 47, 326000, tzinfo=UTC
    )
    for bad in ("", "abc", "12a", "-5", "1" * 30, "5043", "١٢٣"):
        assert snowflake_time(bad) is None


def test_parse_since_and_now():
    assert parse_since("7d") == timedelta(days=7)
    assert parse_since("12h") == timedelta(hours=12)
    assert parse_since("2W") == timedelta(weeks=2)
    for bad in ("", "7", "0d", "3m", "1.5d", "d7"):
        with pytest.raises(UsageError):
            parse_since(bad)
    assert parse_now(None) is None and parse_now("latest") is None
    assert parse_now("2024-05-01T12:00:00Z") == NOW
    assert parse_now("2024-05-01T14:00:00+02:00") == NOW
    assert parse_now("2024-05-01T12:00:00") == NOW
    with pytest.raises(UsageError):
        parse_now("yesterday")


def test_windows_edges():
    assert WEEK.which(NOW) == "current"
    assert WEEK.which(NOW - days(7)) == "previous"  # (now-since, now]: the edge is previous
    assert WEEK.which(NOW - days(7) + timedelta(seconds=1)) == "current"
    assert WEEK.which(NOW - days(14)) is None
    assert WEEK.which(NOW + timedelta(seconds=1)) is None
    assert WEEK.may_hold(NOW - days(14) - timedelta(minutes=59))
    assert not WEEK.may_hold(NOW - days(14) - timedelta(minutes=61))
    assert not WEEK.may_hold(NOW + timedelta(minutes=61))
    assert WEEK.near_edge(NOW - days(7) + timedelta(minutes=30))
    assert not WEEK.near_edge(NOW - days(3))


#: one job: pass, fail, pending, a build whose ID is in the previous window and whose pod
#: started in the current one, one in the previous window, one well outside (never read), one
#: without started.json, one with an unreadable finished.json
JOB = [
    B(days(1)),
    B(days(2), "failure"),
    B(days(3), None),
    B(days(7) + timedelta(minutes=20), "FAILURE", start_delay=timedelta(minutes=30)),
    B(days(9)),
    B(days(15)),
    B(days(30), "FAILURE"),
    B(days(4), "SUCCESS", started=False),
    B(days(5), bad_finished=True),
]


@pytest.fixture(scope="module")
def bucket(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("jobs-bucket")
    write_job(root, "periodic-a", JOB)
    write_job(root, "periodic-b", [B(days(1), "FAILURE")])
    (root / "logs" / "periodic-a" / "latest-build.txt").write_text("1")
    (root / "logs" / "periodic-a" / "not-a-build").mkdir()
    (root / "logs" / "periodic-a" / "not-a-build" / "x").write_text("x")
    return root


async def test_window_builds_places_and_reads(bucket: Path):
    source = LocalSource(bucket)
    result = await window_builds(source, "logs/periodic-a", WEEK)
    ids = {b.build_id: b for b in result.builds}
    by_index = {str(i): JOB[i].build_id(i) for i in range(len(JOB))}
    assert [b.build_id for b in result.builds] == sorted(ids, key=int, reverse=True)
    assert ids[by_index["0"]].passed and ids[by_index["0"]].window == "current"
    assert ids[by_index["1"]].failed and ids[by_index["1"]].result == "FAILURE"
    assert ids[by_index["2"]].pending and ids[by_index["2"]].duration_s is None
    edge = ids[by_index["3"]]
    assert edge.window == "current"  # placed by started.json, not by its ID
    assert ids[by_index["4"]].window == "previous"
    assert by_index["5"] not in ids and by_index["6"] not in ids
    no_started = ids[by_index["7"]]
    assert no_started.started == snowflake_time(by_index["7"])
    assert no_started.duration_s == pytest.approx(3600 + 120)
    assert ids[by_index["8"]].pending
    assert len(result.problems) == 1 and "finished.json: unreadable" in result.problems[0]
    assert ids[by_index["0"]].duration_s == pytest.approx(3600)


async def test_patterns_and_latest(bucket: Path):
    source = LocalSource(bucket)
    jobs, unmatched = await resolve_job_patterns(
        source, ["logs/periodic-*", "logs/nothing-*", "logs/"]
    )
    assert jobs == ["logs/periodic-a/", "logs/periodic-b/"]
    assert unmatched == ["logs/nothing-*", "logs/"]
    listing = await list_job_builds(source, "logs/periodic-a/")
    assert latest_id_time([listing]) == NOW - days(1)


def _requested(server) -> list[str]:
    """Bucket paths requested (listing pages keep their marker), without the URL's head."""
    out = []
    for role, _, raw in server.requests:
        parts = urlsplit(raw)
        path = unquote(parts.path)
        path = path.removeprefix("/gcs/b/") if role == "gcsweb" else path.removeprefix("/b/")
        out.append(path + (f"?{parts.query}" if parts.query else ""))
    return out


@pytest.mark.parametrize("generation", ["legacy", "modern"])
async def test_requests_cold_and_warm(
    bucket: Path, tmp_path: Path, gcsweb_server_factory, generation
):
    """Cold: the job's listing pages and both metadata files of builds that may be in a window;
    no other file and no build listing. Warm: the listing again and the pending builds."""
    server = gcsweb_server_factory(bucket, generation, bucket="b", page_size=4)
    store = tmp_path / "cache"

    async def run() -> list[str]:
        inner = GcswebSource(server.base_url, "b", storage_url=server.storage_url)
        source = CachedSource(inner, Cache(store))
        try:
            result = await window_builds(
                source, "logs/periodic-a/", WEEK, limiter=asyncio.Semaphore(4)
            )
        finally:
            await source.aclose()
        return [b.build_id for b in result.builds]

    cold = await run()
    requested = _requested(server)
    ids = [b.build_id(i) for i, b in enumerate(JOB)]
    read = {ids[i] for i in (0, 1, 2, 3, 4, 7, 8)}
    files = sorted(p for p in requested if "?" not in p and not p.endswith("/"))
    # started.json of ids[7] is asked for and missing: that is how its absence is learned
    expected = sorted(
        f"logs/periodic-a/{i}/{name}" for i in read for name in ("finished.json", "started.json")
    )
    assert files == expected
    listings = [p for p in requested if p.endswith("/") or "?" in p]
    assert all(p.startswith("logs/periodic-a/") for p in listings)
    assert not any(p.rstrip("/").split("/")[-1].isdigit() for p in listings)
    if generation == "legacy":
        assert len(listings) >= 3  # 11 entries, 4 a page
    for never in (ids[5], ids[6]):
        assert not any(never in p for p in requested)

    server.reset_counts()
    warm = await run()
    assert warm == cold
    requested = _requested(server)
    assert [p for p in requested if p.endswith("/") or "?" in p] == listings
    files = sorted(set(p for p in requested if "?" not in p and not p.endswith("/")))
    # only the pending build is read again (ids[8]'s unreadable finished.json exists: kept)
    assert files == sorted(
        f"logs/periodic-a/{ids[2]}/{name}" for name in ("finished.json", "started.json")
    )

"""The offline demo bucket: determinism, the notebook's distributions, variants, building."""

from __future__ import annotations

import gzip
import json
import os
import statistics
import time
from collections import Counter
from pathlib import Path

import pytest

from prowtui import demo
from prowtui.demo import (
    BIG_JOB_DIR,
    NIGHTLY_JOB_DIR,
    PRESUBMIT_JOB,
    PRESUBMIT_JOB_DIR,
    RELEASE_JOB_DIRS,
    build_demo_bucket,
    demo_root,
    is_current,
    open_demo,
    snowflake_ms,
)
from prowtui.sources.encoding import looks_gzip_encoded

#: the notebook's top-level listings of the 242 builds (without the ``..`` row)
NOTEBOOK_TOP = {
    "artifacts/ build-log.txt finished.json podinfo.json prowjob.json started.json": 238,
    "artifacts/ build-log.txt finished.json prowjob.json started.json": 2,
    "build-log.txt finished.json podinfo.json prowjob.json started.json": 1,
    "build-log.txt finished.json prowjob.json started.json": 1,
}
#: the notebook's artifacts/ entry counts, ``..`` included as the notebook counted it
NOTEBOOK_ARTIFACT_COUNTS = {6: 95, 8: 58, 7: 46, 5: 36, 1: 2, 3: 2, 4: 2, 2: 1}
#: the combinations the notebook printed, with their shares of 242
NOTEBOOK_COMBOS = {
    "build-resources/ e2e-gcp-upgrade/ release/ junit_operator.xml metadata.json": 0.380165,
    "build-resources/ e2e-gcp-upgrade/ release/ ci-operator-step-graph.json ci-operator.log "
    "junit_operator.xml metadata.json": 0.239669,
    "build-resources/ e2e-gcp-upgrade/ release/ ci-operator.log junit_operator.xml "
    "metadata.json": 0.161157,
    "build-resources/ e2e-gcp-upgrade/ junit_operator.xml metadata.json": 0.111570,
    "build-resources/ release/ junit_operator.xml metadata.json": 0.037190,
    "build-resources/ release/ ci-operator-step-graph.json ci-operator.log junit_operator.xml "
    "metadata.json": 0.028926,
    "build-resources/ release/ ci-operator.log junit_operator.xml metadata.json": 0.008264,
}


def listing(directory: Path) -> list[str]:
    """gcsweb-style names: directories (with ``/``) first, then files, each sorted."""
    names = [p.name + "/" if p.is_dir() else p.name for p in directory.iterdir()]
    return sorted(names, key=lambda n: (not n.endswith("/"), n))


def builds_of(root: Path, job_dir: str) -> list[Path]:
    return sorted((p for p in (root / job_dir).iterdir() if p.is_dir()), key=lambda p: int(p.name))


def snapshot(root: Path) -> dict[str, tuple[bytes, float]]:
    """Every file and directory below root with its bytes (files) and mtime."""
    out: dict[str, tuple[bytes, float]] = {}
    for path in sorted(root.rglob("*")):
        data = path.read_bytes() if path.is_file() else b"<dir>"
        out[path.relative_to(root).as_posix()] = (data, path.stat().st_mtime)
    return out


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, float]:
    """The full demo, built once for this module, and how long building it took."""
    dest = tmp_path_factory.mktemp("full") / "bucket"
    began = time.perf_counter()
    build_demo_bucket(dest)
    return dest, time.perf_counter() - began


@pytest.fixture(scope="module")
def full_root(full: tuple[Path, float]) -> Path:
    return full[0]


@pytest.fixture(scope="module")
def small_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo_bucket(tmp_path_factory.mktemp("small") / "bucket", small=True)


def test_generation_is_fast_and_bounded_on_disk(full: tuple[Path, float]) -> None:
    root, seconds = full
    total = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
    assert seconds < 12, f"building the demo took {seconds:.1f} s"
    assert 40_000_000 < total < 85_000_000


def test_two_builds_are_identical(small_root: Path, tmp_path: Path) -> None:
    again = build_demo_bucket(tmp_path / "again", small=True)
    assert snapshot(again) == snapshot(small_root)


def test_rebuild_replaces_atomically_and_stamp_stays_outside(tmp_path: Path) -> None:
    dest = tmp_path / "bucket"
    build_demo_bucket(dest, small=True)
    (dest / "stray.txt").write_text("old layout")
    build_demo_bucket(dest, small=True)
    assert not (dest / "stray.txt").exists()
    assert is_current(dest, small=True) and not is_current(dest)
    assert (tmp_path / "bucket.stamp").read_text().startswith(demo.DEMO_VERSION)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bucket", "bucket.stamp"]
    assert listing(dest) == ["logs/", "pr-logs/"]


def test_big_job_top_level_matches_the_notebook(full_root: Path) -> None:
    builds = builds_of(full_root, BIG_JOB_DIR)
    finished = [b for b in builds if (b / "finished.json").exists()]
    assert len(finished) == 242
    assert Counter(" ".join(listing(b)) for b in finished) == NOTEBOOK_TOP


def test_big_job_artifacts_match_the_notebook(full_root: Path) -> None:
    finished = [b for b in builds_of(full_root, BIG_JOB_DIR) if (b / "finished.json").exists()]
    arts = [listing(b / "artifacts") if (b / "artifacts").is_dir() else [] for b in finished]
    assert Counter(len(a) + 1 for a in arts) == NOTEBOOK_ARTIFACT_COUNTS
    combos = Counter(" ".join(a) for a in arts)
    for combo, share in NOTEBOOK_COMBOS.items():
        assert combos[combo] == round(share * 242), combo


def test_events_json_present_in_all_but_five(full_root: Path) -> None:
    finished = [b for b in builds_of(full_root, BIG_JOB_DIR) if (b / "finished.json").exists()]
    have = [b for b in finished if (b / "artifacts/build-resources/events.json").is_file()]
    assert len(finished) - len(have) == 5
    assert round(100 * len(have) / len(finished), 2) == 97.93
    first = json.loads((have[0] / "artifacts/build-resources/events.json").read_bytes())
    assert first["kind"] == "EventList" and first["items"]
    item = first["items"][0]
    assert {"metadata", "involvedObject", "reason", "message", "type", "count"} <= set(item)
    assert item["message"].startswith("Running job ")


def test_the_notebooks_example_build_has_482_events(full_root: Path) -> None:
    second = builds_of(full_root, BIG_JOB_DIR)[1]
    events = json.loads((second / "artifacts/build-resources/events.json").read_bytes())["items"]
    assert len(events) == 482
    assert len({e["metadata"]["uid"] for e in events}) == 482
    reasons = Counter(e["reason"] for e in events)
    assert {"Scheduled", "Pulling", "Pulled", "Created", "Started", "BackOff"} <= set(reasons)
    assert any(e["type"] == "Warning" for e in events)


def test_build_ids_are_increasing_snowflakes_and_latest_is_pending(full_root: Path) -> None:
    builds = builds_of(full_root, BIG_JOB_DIR)
    ids = [b.name for b in builds]
    assert all(len(i) == 19 for i in ids)
    assert ids[0] == "1364778930069835776"  # the notebook's first build
    times = [snowflake_ms(i) for i in ids]
    assert times == sorted(times)
    latest = (full_root / BIG_JOB_DIR / "latest-build.txt").read_bytes()
    assert latest == ids[-1].encode()  # no trailing newline
    assert listing(builds[-1]) == ["prowjob.json", "started.json"]
    prowjob = json.loads((builds[-1] / "prowjob.json").read_bytes())
    assert prowjob["status"]["state"] == "pending"
    started = json.loads((builds[-1] / "started.json").read_bytes())
    assert abs(started["timestamp"] - times[-1] / 1000) < 5


def test_build_logs_span_the_notebooks_range(full_root: Path) -> None:
    finished = [b for b in builds_of(full_root, BIG_JOB_DIR) if (b / "finished.json").exists()]
    sizes = sorted((b / "build-log.txt").stat().st_size for b in finished)
    assert sizes[0] < 600
    assert 8_000 < statistics.median(sizes) < 17_000
    assert 29_000_000 < sizes[-1] < 31_000_000
    assert sum(1 for s in sizes if s > 1_000_000) >= 3
    first = (finished[0] / "build-log.txt").read_text()
    assert "failed to load configuration" in first and len(first) == 517
    huge = max(finished, key=lambda b: (b / "build-log.txt").stat().st_size)
    with open(huge / "build-log.txt", "rb") as handle:
        head = handle.read(4096)
        handle.seek(-4096, os.SEEK_END)
        tail = handle.read()
    assert b"\x1b[36mINFO\x1b[0m" in head
    assert b"\x1b[31mERRO\x1b[0m" in tail and b"ERRO" not in head


def test_failing_logs_have_error_lines(full_root: Path) -> None:
    finished = [b for b in builds_of(full_root, BIG_JOB_DIR) if (b / "finished.json").exists()]
    small_logs = [b for b in finished if (b / "build-log.txt").stat().st_size < 100_000]
    failing = [b for b in small_logs if b'"FAILURE"' in (b / "finished.json").read_bytes()]
    assert failing
    for build in failing:
        text = (build / "build-log.txt").read_bytes()
        assert b"level=error" in text or b"ERRO" in text or b"error:" in text


def test_finished_json_variants(full_root: Path) -> None:
    finished = []
    for build in builds_of(full_root, BIG_JOB_DIR):
        if (build / "finished.json").exists():
            finished.append(json.loads((build / "finished.json").read_bytes()))
    results = Counter(f.get("result") for f in finished)
    assert {"SUCCESS", "FAILURE", "ABORTED", "failure", "aborted", None} <= set(results)
    assert results[None] == 1
    no_result = next(f for f in finished if "result" not in f)
    assert no_result["passed"] is True
    assert any(f["passed"] is None for f in finished)
    crier = [f for f in finished if f.get("metadata") == {"uploader": "crier"}]
    assert len(crier) == 2 and all(f["result"].islower() for f in crier)


def test_metadata_files_have_real_shapes(full_root: Path) -> None:
    build = builds_of(full_root, BIG_JOB_DIR)[1]
    prowjob_bytes = (build / "prowjob.json").read_bytes()
    assert prowjob_bytes.startswith(b'{\n\t"kind": "ProwJob"')
    prowjob = json.loads(prowjob_bytes)
    assert prowjob["spec"]["type"] == "periodic"
    assert prowjob["status"]["build_id"] == build.name
    assert prowjob["status"]["url"].endswith(f"{BIG_JOB_DIR}{build.name}")
    podinfo = json.loads((build / "podinfo.json").read_bytes())
    assert "pod" in podinfo and podinfo["pod"]["status"]["phase"] in ("Succeeded", "Failed")
    started = json.loads((build / "started.json").read_bytes())
    assert isinstance(started["timestamp"], int)
    e2e = build / "artifacts/e2e-gcp-upgrade"
    assert (e2e / "build-log.txt").is_file()
    assert any(p.name.startswith("junit_e2e_") for p in (e2e / "junit").iterdir())


def test_junit_operator_variants(full_root: Path) -> None:
    junits = [
        p.read_bytes() for p in full_root.glob(f"{BIG_JOB_DIR}*/artifacts/junit_operator.xml")
    ]
    assert all(b"<testsuites>" in j for j in junits)
    assert any(b"<failure" in j for j in junits)
    commented = [j for j in junits if j.startswith(b"<!--")]
    assert len(commented) == 1 and b"<?xml" in commented[0]


def test_exactly_one_gzip_encoded_object(full_root: Path) -> None:
    encoded = []
    for path in full_root.rglob("*"):
        if path.is_file():
            with open(path, "rb") as handle:
                if looks_gzip_encoded(path.name, handle.read(2)):
                    encoded.append(path)
    assert len(encoded) == 1
    assert encoded[0].name == "ci-operator.log"
    first_line = gzip.decompress(encoded[0].read_bytes()).split(b"\n", 1)[0]
    assert json.loads(first_line)["level"] == "info"


def test_second_job_and_presubmit(full_root: Path) -> None:
    nightly = builds_of(full_root, NIGHTLY_JOB_DIR)
    assert 10 <= len(nightly) <= 14
    assert not (nightly[-1] / "finished.json").exists()
    pulls = builds_of(full_root, PRESUBMIT_JOB_DIR)
    assert len(pulls) == 5
    assert (full_root / PRESUBMIT_JOB_DIR / "latest-build.txt").read_text() == pulls[-1].name
    started = json.loads((pulls[0] / "started.json").read_bytes())
    assert started["pull"] == "4242"
    directory = full_root / "pr-logs/directory" / PRESUBMIT_JOB
    for build in pulls:
        link = (directory / f"{build.name}.txt").read_text()
        assert link.endswith(f"/{PRESUBMIT_JOB_DIR}{build.name}") and link.startswith("gs://")
    assert (directory / "latest-build.txt").read_text() == pulls[-1].name


def test_small_demo_has_the_same_kinds_with_small_logs(small_root: Path) -> None:
    builds = builds_of(small_root, BIG_JOB_DIR)
    assert 18 <= len(builds) <= 24
    tops = Counter(" ".join(listing(b)) for b in builds)
    assert len(tops) == 5  # complete, no podinfo, no artifacts, neither, pending
    logs = [p for p in small_root.rglob("*") if p.suffix in (".txt", ".log") and p.is_file()]
    assert max(p.stat().st_size for p in logs) <= 64 * 1024
    assert any((b / "artifacts/ci-operator.log").is_file() for b in builds)
    gz = [p for p in logs if p.read_bytes()[:2] == b"\x1f\x8b"]
    assert len(gz) == 1
    assert (small_root / PRESUBMIT_JOB_DIR / "latest-build.txt").is_file()


async def test_demo_root_builds_once_and_open_demo_lists_it() -> None:
    root = demo_root()
    assert root == Path(os.environ["PROWTUI_DEMO_DIR"])
    assert is_current(root)
    mtime = root.stat().st_mtime
    assert demo_root() == root and root.stat().st_mtime == mtime
    source = open_demo()
    try:
        assert source.kind == "demo" and source.bucket == "demo"
        names = [e.name for e in await source.list("logs/")]
        jobs = [BIG_JOB_DIR, NIGHTLY_JOB_DIR, *RELEASE_JOB_DIRS]  # the release after the nightly
        assert names == [job.split("/")[1] + "/" for job in jobs]
        data = await source.read(BIG_JOB_DIR + "latest-build.txt")
        assert data.isdigit()
    finally:
        await source.aclose()


async def test_gzip_object_reads_decompressed_through_the_demo_source() -> None:
    source = open_demo()
    try:
        root = demo_root()
        path = next(
            p
            for p in root.glob(f"{BIG_JOB_DIR}*/artifacts/ci-operator.log")
            if p.read_bytes()[:2] == b"\x1f\x8b"
        )
        key = path.relative_to(root).as_posix()
        data = await source.read(key)
        assert data == gzip.decompress(path.read_bytes())
        assert (await source.stat(key)).gzip_encoded
    finally:
        await source.aclose()


async def test_the_sources_read_the_demo_the_commands_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sources only read the demo directory; ``open_spec`` (the commands) builds it first."""
    from prowtui.commands.common import open_spec
    from prowtui.errors import NotFound
    from prowtui.sources.resolve import PRESETS, open_source

    dest = tmp_path / "demo"
    monkeypatch.setenv("PROWTUI_DEMO_DIR", str(dest))
    with pytest.raises(NotFound, match="no demo bucket at"):
        open_source(PRESETS["demo"])
    built: list[Path] = []

    def small_root() -> Path:
        built.append(build_demo_bucket(dest, small=True))
        return dest

    monkeypatch.setattr(demo, "demo_root", small_root)
    source = open_spec(PRESETS["demo"])
    try:
        assert built == [dest] and source.kind == "demo" and source.bucket == "demo"
        assert [e.name for e in await source.list("")] == ["logs/", "pr-logs/"]
    finally:
        await source.aclose()

"""Bad data in a bucket: every preview and CLI command says what is wrong and carries on.

Truncated and invalid JSON, events missing fields, invalid UTF-8, NUL bytes, binary data named
``.txt``, a gzip-encoded object with a broken stream, junit with a comment before ``<?xml`` and
a JSON file above :data:`prowtui.prow.limits.MAX_JSON_BYTES`.
"""

from __future__ import annotations

import gzip
import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from prowtui.app import Explorer, ProwtuiApp
from prowtui.prow.limits import MAX_JSON_BYTES
from prowtui.sources.local import LocalSource
from tests.cli import PLAIN_WIDE, run_prowtui
from tests.test_app_support import settle
from tests.test_hostile_app import screen_text
from tests.test_hostile_data import assert_inert

JOB = "logs/bad-job/"
BAD = f"{JOB}1/"
GOOD = f"{JOB}2/"
#: a gzip-encoded object (gzip bytes, no .gz name) whose deflate stream breaks half-way
BROKEN_GZIP = gzip.compress(random.Random(0).randbytes(40_000), mtime=0)[:20_000] + b"\xffbad" * 64

BAD_FILES: dict[str, bytes] = {
    "started.json": b'{"timestamp": 17000',
    "finished.json": b"not json at all \xff",
    "build-log.txt": b"ok line\n\xff\xfe bad utf-8 \x00 NUL \x00\n" * 50 + b"ERROR last\n",
    "artifacts/events.json": json.dumps({"items": [{}, {"message": 5, "count": "x"}]}).encode(),
    "artifacts/binary.txt": bytes(range(256)) * 64,
    "artifacts/broken.log": BROKEN_GZIP,
    "artifacts/junit_comment.xml": b'<!-- generated --><?xml version="1.0"?><testsuite name="s">'
    b'<testcase name="a" time="1"/></testsuite>',
    "artifacts/nul.json": b'{"a": "\x00"}\x00\x00',
}
HUGE = "artifacts/huge.json"


@pytest.fixture(scope="module")
def bad_bucket(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("bad") / "bucket"
    for key, data in BAD_FILES.items():
        (root / BAD / key).parent.mkdir(parents=True, exist_ok=True)
        (root / BAD / key).write_bytes(data)
    with (root / BAD / HUGE).open("wb") as handle:  # sparse: costs no disk
        handle.write(b'{"a": "')
        handle.truncate(MAX_JSON_BYTES + 1024)
    (root / GOOD / "artifacts").mkdir(parents=True)
    (root / GOOD / "started.json").write_text('{"timestamp": 1700000000}')
    (root / GOOD / "finished.json").write_text('{"timestamp": 1700003600, "passed": true}')
    (root / GOOD / "build-log.txt").write_text("all good\n")
    return root


def prowtui(*args: str) -> subprocess.CompletedProcess[str]:
    return run_prowtui(*args, env=PLAIN_WIDE, timeout=120)


@pytest.mark.parametrize("key", [*BAD_FILES, HUGE])
async def test_every_bad_file_previews_with_a_message_and_the_app_carries_on(
    bad_bucket: Path, key: str
) -> None:
    app = ProwtuiApp(Explorer(LocalSource(bad_bucket), None, BAD + key))
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        main = app.main_screen
        assert app.is_running and main is not None and main.current_path() == BAD + key
        assert main.preview.preview_kind  # something was shown, not a blank pane
        text = screen_text(app)
        assert_inert(text)
        if key == HUGE:  # never parsed whole: opened as text in the log view
            assert main.preview.preview_kind in ("log", "error", "binary")
        elif key.endswith(".json"):
            assert main.preview.preview_kind in ("error", "json", "metadata", "events", "binary")
        # the explorer still works afterwards
        main.goto(GOOD + "build-log.txt")
        await settle(pilot)
        assert main.preview.preview_kind == "log"


def test_cat_of_a_broken_gzip_object_is_one_clear_error(bad_bucket: Path) -> None:
    result = prowtui("cat", "--source", str(bad_bucket), BAD + "artifacts/broken.log")
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "gzip" in lines[0] and "Traceback" not in result.stderr


@pytest.mark.parametrize("key", [k for k in BAD_FILES if k != "artifacts/broken.log"])
def test_cat_writes_any_bytes_verbatim(bad_bucket: Path, key: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "prowtui", "cat", "--source", str(bad_bucket), BAD + key],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0 and result.stdout == BAD_FILES[key]


def test_ls_lists_a_directory_of_bad_files(bad_bucket: Path) -> None:
    result = prowtui("ls", "--source", str(bad_bucket), BAD + "artifacts/", "--json")
    assert result.returncode == 0, result.stderr
    names = {entry["name"] for entry in json.loads(result.stdout)}
    assert names == {k.split("/", 1)[1] for k in [*BAD_FILES, HUGE] if k.startswith("artifacts/")}


@pytest.mark.parametrize("as_json", [False, True])
def test_stats_content_reports_bad_builds_and_finishes(bad_bucket: Path, as_json: bool) -> None:
    args = ["stats", "--source", str(bad_bucket), JOB, "--content"] + (
        ["--json"] if as_json else []
    )
    result = prowtui(*args)
    assert "Traceback" not in result.stderr
    assert result.returncode in (0, 1), result.stderr
    if as_json:
        doc = json.loads(result.stdout)
        assert doc["builds"] == 2
    else:
        assert "bad-job" in result.stdout and "2 builds" in result.stdout
    if result.returncode == 1:  # a build that could not be read is named, one line each
        assert "build(s) could not be read" in result.stderr

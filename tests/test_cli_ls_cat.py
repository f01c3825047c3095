"""``prowtui ls`` and ``prowtui cat`` in a real subprocess, on the demo and a local directory."""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from prowtui.demo import BIG_JOB, BIG_JOB_DIR, NIGHTLY_JOB, RELEASE_JOB_DIRS, demo_root
from tests.cli import PLAIN_WIDE, run_prowtui
from tests.test_hostile_cli import run_tty

HOSTILE = (
    "\x1b[31mred\x1b]52;c;aGVsbG8=\x07.txt",
    "[bold red]markup[blink].txt",
    "\u202eevil\u202c.txt",
)


def prowtui(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[bytes]:
    """Run ``python -m prowtui ARGS`` with the test's environment; capture bytes."""
    return run_prowtui(*args, env=PLAIN_WIDE, timeout=timeout, text=False)


def one_line_error(result: subprocess.CompletedProcess[bytes]) -> str:
    err = result.stderr.decode()
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    return lines[0]


@pytest.fixture
def demo() -> Path:
    """The full demo (in the test's $PROWTUI_DEMO_DIR), built in-process on first use so the
    subprocesses find it ready."""
    return demo_root()


@pytest.fixture
def hostile_dir(tmp_path: Path) -> Path:
    root = tmp_path / "mirror"
    (root / "logs" / "job" / "1").mkdir(parents=True)
    for name in HOSTILE:
        (root / "logs" / name).write_bytes(b"x")
    (root / "logs" / "job" / "1" / "build-log.txt").write_bytes(b"0123456789\n" * 100)
    (root / "logs" / "job" / "1" / "zipped.log").write_bytes(gzip.compress(b"inflated\n", mtime=0))
    return root


def test_ls_json_lists_the_demo_jobs(demo: Path) -> None:
    result = prowtui("ls", "--source", "demo", "logs/", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [
        {"name": f"{job}/", "path": f"logs/{job}/", "is_dir": True, "size": None, "updated": None}
        for job in (BIG_JOB, NIGHTLY_JOB, *(d.split("/")[1] for d in RELEASE_JOB_DIRS))
    ]


def test_ls_json_of_a_build_orders_dirs_first(demo: Path) -> None:
    build = sorted(p.name for p in (demo / BIG_JOB_DIR).iterdir() if p.is_dir())[1]
    result = prowtui("ls", f"{BIG_JOB_DIR}{build}/", "--json")  # demo is the default source
    assert result.returncode == 0, result.stderr
    entries = json.loads(result.stdout)
    assert [e["name"] for e in entries] == [
        "artifacts/",
        "build-log.txt",
        "finished.json",
        "podinfo.json",
        "prowjob.json",
        "started.json",
    ]
    log = entries[1]
    assert log["path"] == f"{BIG_JOB_DIR}{build}/build-log.txt"
    assert log["size"] == (demo / log["path"]).stat().st_size
    assert log["updated"].endswith("Z") and log["updated"].startswith("2021-02-25T")


def test_ls_table_humanises_sizes(demo: Path) -> None:
    build = sorted(p.name for p in (demo / BIG_JOB_DIR).iterdir() if p.is_dir())[1]
    out, err, code = run_tty("ls", "--source", "demo", f"{BIG_JOB_DIR}{build}/")
    assert code == 0, err
    assert "artifacts/" in out and "build-log.txt" in out
    assert "KiB" in out and "Updated" in out


def test_ls_table_on_a_terminal_cuts_long_names_in_the_middle(tmp_path: Path) -> None:
    long_name = "periodic-" + "x" * 200 + "-e2e-aws-upgrade"
    (tmp_path / "logs" / long_name).mkdir(parents=True)
    (tmp_path / "logs" / "short.txt").write_text("hello")
    out, err, code = run_tty("ls", "--source", str(tmp_path), "logs/")
    assert code == 0, err
    plain = re.sub(r"\x1b\[[0-9;]*m", "", out)
    rows = [line for line in plain.splitlines() if line.startswith("│")]
    assert len(rows) == 2  # one line a row: nothing wrapped
    assert all(len(line) <= 200 for line in plain.splitlines())
    assert "periodic-xxx" in rows[0] and "…" in rows[0] and "x-e2e-aws-upgrade/" in rows[0]
    assert "short.txt" in rows[1] and "5 B" in rows[1]


@pytest.fixture(scope="module")
def big_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A mirror whose logs/ holds 20,000 entries: 19,998 job folders and two files."""
    root = tmp_path_factory.mktemp("big")
    logs = root / "logs"
    logs.mkdir()
    for i in range(19_998):
        (logs / f"periodic-ci-openshift-release-master-ci-4.{12 + i % 6}-e2e-{i:05d}").mkdir()
    (logs / "README.md").write_bytes(b"x" * 1234)
    os.utime(logs / "README.md", (1_700_000_000, 1_700_000_000))
    (logs / "notes.txt").write_bytes(b"")
    return root


def test_ls_piped_prints_one_name_a_line_for_20000_entries(big_folder: Path) -> None:
    result = prowtui("ls", "--source", str(big_folder), "logs/")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.decode().splitlines()
    assert len(lines) == 20_000
    assert lines[0] == "periodic-ci-openshift-release-master-ci-4.12-e2e-00000/"
    assert lines[-2:] == ["README.md", "notes.txt"]
    assert sum(line.endswith("/") for line in lines) == 19_998
    assert sum("4.16" in line for line in lines) == 3_333  # what | grep 4.16 finds


def test_ls_long_is_name_size_and_iso_time_tab_separated(big_folder: Path) -> None:
    result = prowtui("ls", "--source", str(big_folder), "logs/", "-l")
    assert result.returncode == 0, result.stderr
    rows = [line.split("\t") for line in result.stdout.decode().splitlines()]
    assert len(rows) == 20_000 and {len(row) for row in rows} == {3}
    assert rows[0] == ["periodic-ci-openshift-release-master-ci-4.12-e2e-00000/", "", ""]
    assert rows[-2] == ["README.md", "1234", "2023-11-14T22:13:20Z"]
    assert rows[-1][:2] == ["notes.txt", "0"]


def test_ls_of_an_object_lists_it_alone(demo: Path) -> None:
    result = prowtui("ls", f"{BIG_JOB_DIR}latest-build.txt", "--json")
    assert result.returncode == 0, result.stderr
    [entry] = json.loads(result.stdout)
    assert entry["name"] == "latest-build.txt" and entry["is_dir"] is False


def test_cat_whole_and_ranges(demo: Path) -> None:
    latest = prowtui("cat", "--source", "demo", f"{BIG_JOB_DIR}latest-build.txt")
    assert latest.returncode == 0 and latest.stdout.isdigit()
    first = sorted(p.name for p in (demo / BIG_JOB_DIR).iterdir() if p.is_dir())[0]
    key = f"{BIG_JOB_DIR}{first}/build-log.txt"
    data = (demo / key).read_bytes()
    assert prowtui("cat", key).stdout == data
    assert prowtui("cat", key, "--range", "100-").stdout == data[100:]
    assert prowtui("cat", key, "-r", f"{len(data) - 5}-{len(data) + 50}").stdout == data[-5:]


def test_cat_decompresses_the_gzip_encoded_object(demo: Path) -> None:
    stored = next(
        p
        for p in demo.glob(f"{BIG_JOB_DIR}*/artifacts/ci-operator.log")
        if p.read_bytes()[:2] == b"\x1f\x8b"
    )
    key = stored.relative_to(demo).as_posix()
    result = prowtui("cat", key)
    assert result.returncode == 0
    assert result.stdout == gzip.decompress(stored.read_bytes())
    assert prowtui("cat", key, "--range", "0-7").stdout == result.stdout[:8]


def test_not_found_exits_1_with_one_line(demo: Path) -> None:
    for args in (("cat", f"{BIG_JOB_DIR}no-such-file"), ("ls", "logs/no-such-job/")):
        result = prowtui(*args)
        assert result.returncode == 1
        assert one_line_error(result).startswith("prowtui: error:")
        assert result.stdout == b""


@pytest.mark.parametrize(
    "args",
    [
        ("cat", "x", "--range", "5-2"),
        ("ls", "--source", "no-such-preset", "logs/"),
        ("ls", "https://example.com/not-a-gcsweb-url"),
        ("cat", "--source", "demo", "logs/"),
    ],
)
def test_bad_usage_exits_2(args: tuple[str, ...]) -> None:
    result = prowtui(*args)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr.decode()
    assert result.stderr.strip()


def test_local_directory_listing_and_cat(hostile_dir: Path) -> None:
    result = prowtui("ls", "--source", f"local:{hostile_dir}", "logs/job/1/", "--json")
    assert result.returncode == 0, result.stderr
    names = [e["name"] for e in json.loads(result.stdout)]
    assert names == ["build-log.txt", "zipped.log"]
    cat = prowtui("cat", "--source", str(hostile_dir), "logs/job/1/zipped.log")
    assert cat.stdout == b"inflated\n"
    ranged = prowtui("cat", "--source", str(hostile_dir), "logs/job/1/build-log.txt", "-r", "3-5")
    assert ranged.stdout == b"345"


def test_hostile_names_are_printed_inert(hostile_dir: Path) -> None:
    piped = prowtui("ls", "--source", str(hostile_dir), "logs/")
    assert piped.returncode == 0, piped.stderr
    out = piped.stdout.decode()
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
    assert out.splitlines()[0] == "job/"
    assert sorted(out.splitlines()[1:]) == [
        "[bold red]markup[blink].txt",
        "\\e[31mred\\e]52;c;aGVsbG8=\\x07.txt",
        "\\u202eevil\\u202c.txt",
    ]
    as_json = prowtui("ls", "--source", str(hostile_dir), "logs/", "--json")
    assert b"\x1b" not in as_json.stdout
    names = {e["name"] for e in json.loads(as_json.stdout)}
    assert set(HOSTILE) <= names  # JSON keeps the real names, escaped by the encoder


def test_unreachable_gcsweb_exits_1(tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = prowtui("ls", "--source", f"http://127.0.0.1:{port}/gcs/bucket/", "logs/", timeout=120)
    assert result.returncode == 1
    assert one_line_error(result).startswith("prowtui: error:")

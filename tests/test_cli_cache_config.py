"""``prowtui cache ...`` and ``prowtui config ...`` as a user runs them (subprocesses)."""

from __future__ import annotations

import json
import subprocess
import tomllib
from pathlib import Path

import pytest

from prowtui.cache import Cache, store_dir
from tests.cli import run_prowtui

REPO = Path(__file__).resolve().parent.parent


def prowtui(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return run_prowtui(*args, env=env, timeout=60)


@pytest.fixture
def filled_store() -> Path:
    with Cache(store_dir()) as cache:
        cache.clear()
        cache.put("one", b"1" * 10, ttl=None)
        cache.put("two", b"2" * 500_000, ttl=60)
    return store_dir()


def test_cache_info_json_then_clear(filled_store: Path):
    result = prowtui("cache", "info", "--json")
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert info["location"] == str(filled_store)
    assert info["entries"] == 2 and info["size_bytes"] >= 500_000

    human = prowtui("cache", "info")
    assert f"location: {filled_store}" in human.stdout and "entries:  2" in human.stdout

    cleared = prowtui("cache", "clear")
    assert cleared.returncode == 0 and "removed 2 entries" in cleared.stdout
    assert json.loads(prowtui("cache", "info", "--json").stdout)["entries"] == 0


def test_config_path_follows_prowtui_config(tmp_path: Path):
    path = tmp_path / "elsewhere.toml"
    result = prowtui("config", "path", env={"PROWTUI_CONFIG": str(path)})
    assert result.returncode == 0 and result.stdout.strip() == str(path)


def test_config_show_prints_toml_with_origins(tmp_path: Path):
    path = tmp_path / "config.toml"
    path.write_text('default_source = "gs://team"\n[cache]\nttl_seconds = 42\n')
    env = {"PROWTUI_CONFIG": str(path), "PROWTUI_TIMEOUT": "7"}
    result = prowtui("config", "show", env=env)
    assert result.returncode == 0, result.stderr
    assert 'default_source = "gs://team"  # file' in result.stdout
    assert "timeout = 7.0  # env:PROWTUI_TIMEOUT" in result.stdout
    assert "max_size_mb = 2048  # default" in result.stdout
    parsed = tomllib.loads(result.stdout)  # the output is itself valid TOML
    assert parsed["cache"]["ttl_seconds"] == 42

    as_json = json.loads(prowtui("config", "show", "--json", env=env).stdout)
    assert as_json["values"]["cache"]["ttl_seconds"] == 42
    assert as_json["origins"]["cache.ttl_seconds"] == "file"
    assert as_json["origins"]["timeout"] == "env:PROWTUI_TIMEOUT"
    assert as_json["exists"] is True


def test_config_show_rejects_a_bad_file_in_one_line(tmp_path: Path):
    path = tmp_path / "config.toml"
    path.write_text("[cache]\nmax_size_mb = 'big'\n")
    result = prowtui("config", "show", env={"PROWTUI_CONFIG": str(path)})
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0
    assert str(path) in result.stderr and "cache.max_size_mb" in result.stderr
    assert "Traceback" not in result.stderr


def test_offline_answers_what_was_seen_after_the_server_is_gone(
    tmp_path: Path, gcsweb_server_factory
):
    root = tmp_path / "bucket"
    build = root / "logs" / "job" / "7"
    build.mkdir(parents=True)
    (build / "finished.json").write_text('{"result": "SUCCESS"}')
    (build / "build-log.txt").write_text("hello\n")
    server = gcsweb_server_factory(root, "modern", bucket="b")
    source = f"{server.base_url}/gcs/b/"

    online = prowtui("ls", "--source", source, "logs/job/7/", "--json")
    assert online.returncode == 0, online.stderr
    assert prowtui("cat", "--source", source, "logs/job/7/build-log.txt").stdout == "hello\n"
    server.stop()

    offline = prowtui("ls", "--source", source, "--offline", "logs/job/7/", "--json")
    assert offline.returncode == 0, offline.stderr
    assert json.loads(offline.stdout) == json.loads(online.stdout)
    cat = prowtui("cat", "--source", source, "--offline", "logs/job/7/build-log.txt")
    assert cat.stdout == "hello\n"
    unseen = prowtui("cat", "--source", source, "--offline", "logs/job/7/finished.json")
    assert unseen.returncode == 1
    assert "logs/job/7/finished.json: not in the cache" in unseen.stderr

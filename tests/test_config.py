"""The config file: precedence (env > file > default), validation messages, key remapping."""

from __future__ import annotations

from pathlib import Path

import pytest

from prowtui.config import (
    DEFAULT_CACHE_MAX_MB,
    DEFAULT_CACHE_TTL,
    Config,
    load_config,
    parse_keys,
)
from prowtui.errors import UsageError

FULL = """
default_source = "gs://my-bucket"
concurrency = 4
timeout = 12
retries = 3

[presets.team]
source = "https://gcsweb.example.org/gcs/team-bucket/"
deck = "https://prow.example.org"

[presets.mirror]
source = "/srv/mirror"

[cache]
enabled = true
max_size_mb = 100
ttl_seconds = 60

[logs]
error_patterns = ["(?i)\\\\bpanic\\\\b", "FATAL"]
max_line_chars = 2000

[keys]
"log.search" = "ctrl+f"
"tree.refresh" = "r,f5"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def test_defaults_without_a_file(tmp_path: Path):
    config = load_config(tmp_path / "missing.toml", environ={})
    assert config.default_source is None
    assert config.concurrency_for("gcsweb") == 8
    assert config.concurrency_for("gcs") == 16
    assert config.cache.max_size_mb == DEFAULT_CACHE_MAX_MB
    assert config.cache.ttl_seconds == DEFAULT_CACHE_TTL
    assert config.cache.enabled and not config.offline
    assert config.origin("timeout") == "default"
    assert dict(config.keys) == {} and dict(config.presets) == {}


def test_file_overrides_defaults(tmp_path: Path):
    config = load_config(write(tmp_path, FULL), environ={})
    assert config.default_source == "gs://my-bucket"
    assert config.concurrency_for("gcsweb") == 4 and config.concurrency_for("gcs") == 4
    assert config.timeout == 12.0 and isinstance(config.timeout, float)
    assert config.retries == 3
    assert config.cache.max_size_mb == 100 and config.cache.ttl_seconds == 60
    assert config.logs.error_patterns == ("(?i)\\bpanic\\b", "FATAL")
    assert config.logs.max_line_chars == 2000
    assert config.presets["team"].deck == "https://prow.example.org"
    assert config.presets["mirror"].source == "/srv/mirror"
    assert config.presets["mirror"].deck is None
    assert config.origin("cache.ttl_seconds") == "file"


def test_environment_overrides_file(tmp_path: Path):
    environ = {
        "PROWTUI_SOURCE": "demo",
        "PROWTUI_CONCURRENCY": "2",
        "PROWTUI_TIMEOUT": "1.5",
        "PROWTUI_CACHE_MAX_MB": "10",
        "PROWTUI_CACHE_TTL": "5",
        "PROWTUI_OFFLINE": "yes",
    }
    config = load_config(write(tmp_path, FULL), environ=environ)
    assert config.default_source == "demo"
    assert config.concurrency == 2 and config.timeout == 1.5
    assert config.cache.max_size_mb == 10 and config.cache.ttl_seconds == 5
    assert config.offline
    assert config.origin("cache.ttl_seconds") == "env:PROWTUI_CACHE_TTL"
    assert config.origin("retries") == "file"


def test_reads_the_path_from_prowtui_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = write(tmp_path, 'default_source = "gs://from-env-path"\n')
    monkeypatch.setenv("PROWTUI_CONFIG", str(path))
    config = load_config()
    assert config.default_source == "gs://from-env-path" and config.path == path


def test_config_is_frozen():
    config = Config()
    with pytest.raises(AttributeError):
        config.timeout = 1.0  # type: ignore[misc]
    with pytest.raises(TypeError):
        config.keys["x.y"] = "z"  # type: ignore[index]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("timeout = 'soon'\n", "timeout: expected a number"),
        ("concurrency = 0\n", "concurrency: must be greater than 0"),
        ("[cache]\nmax_size_mb = true\n", "cache.max_size_mb: expected an integer"),
        ("[cache]\nttl = 5\n", "cache.ttl: unknown key"),
        ("colour = 1\n", "colour: unknown key"),
        ("[logs]\nerror_patterns = ['(unclosed']\n", "logs.error_patterns[0]: invalid regular"),
        ("[logs]\nerror_patterns = 'x'\n", "logs.error_patterns: expected a list"),
        ('[keys]\n"search" = "ctrl+f"\n', "binding id must look like"),
        ('[keys]\n"log.search" = 3\n', "expected a key name"),
        ('[presets.x]\ndeck = "https://d"\n', "presets.x.source: is required"),
        ("default_source = [\n", "invalid TOML"),
    ],
)
def test_invalid_file_names_file_and_key(tmp_path: Path, text: str, fragment: str):
    path = write(tmp_path, text)
    with pytest.raises(UsageError) as caught:
        load_config(path, environ={})
    message = str(caught.value)
    assert message.startswith(str(path))
    assert fragment in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("name", "value"),
    [("PROWTUI_CONCURRENCY", "many"), ("PROWTUI_TIMEOUT", "-1"), ("PROWTUI_OFFLINE", "maybe")],
)
def test_invalid_environment_names_the_variable(tmp_path: Path, name: str, value: str):
    with pytest.raises(UsageError, match=f"\\${name}"):
        load_config(tmp_path / "none.toml", environ={name: value})


def test_key_remap_parsing():
    keys = parse_keys({"log.search": "ctrl+f", "tree.open": "enter, l", "app.quit": "q"})
    assert keys == {"log.search": "ctrl+f", "tree.open": "enter,l", "app.quit": "q"}
    with pytest.raises(UsageError, match=r'keys\."log": quote dotted binding ids'):
        parse_keys({"log": {"search": "ctrl+f"}})

"""The user's TOML config file, with environment overrides.

Precedence, highest first: environment variables, the config file
(:func:`prowtui.paths.config_path`, ``$PROWTUI_CONFIG`` overrides the path), built-in defaults.
:func:`load_config` returns a frozen :class:`Config` that also records where each value came
from (``"default"``, ``"file"`` or ``"env:NAME"``), for ``prowtui config show``.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from prowtui.errors import UsageError
from prowtui.paths import config_path

#: default concurrency per source kind, when the config leaves ``concurrency`` unset
DEFAULT_CONCURRENCY = MappingProxyType({"gcsweb": 8, "gcs": 16})
FALLBACK_CONCURRENCY = 8
DEFAULT_TIMEOUT = 30.0
DEFAULT_RETRIES = 5
DEFAULT_CACHE_MAX_MB = 2048
DEFAULT_CACHE_TTL = 300
DEFAULT_MAX_LINE_CHARS = 10_000

_BINDING_ID = re.compile(r"^[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*)+$")
_KEY_NAME = re.compile(r"^[\w+\-]+(,[\w+\-]+)*$")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


@dataclass(frozen=True)
class Preset:
    """A user-defined source: ``[presets.<name>] source = "gs://..."``, optional ``deck``."""

    name: str
    source: str
    deck: str | None = None


@dataclass(frozen=True)
class CacheConfig:
    """``[cache]``: the on-disk cache."""

    enabled: bool = True
    max_size_mb: int = DEFAULT_CACHE_MAX_MB
    ttl_seconds: int = DEFAULT_CACHE_TTL


@dataclass(frozen=True)
class LogsConfig:
    """``[logs]``: extra error-highlight regexes and the longest line shown before cutting."""

    error_patterns: tuple[str, ...] = ()
    max_line_chars: int = DEFAULT_MAX_LINE_CHARS


def _frozen_map(items: Mapping[str, Any] | None = None) -> Mapping[str, Any]:
    return MappingProxyType(dict(items or {}))


@dataclass(frozen=True)
class Config:
    """The effective configuration. ``origins`` maps dotted keys to where the value came from."""

    default_source: str | None = None
    presets: Mapping[str, Preset] = field(default_factory=_frozen_map)
    concurrency: int | None = None
    timeout: float = DEFAULT_TIMEOUT
    retries: int = DEFAULT_RETRIES
    offline: bool = False
    cache: CacheConfig = field(default_factory=CacheConfig)
    logs: LogsConfig = field(default_factory=LogsConfig)
    keys: Mapping[str, str] = field(default_factory=_frozen_map)
    path: Path | None = None
    origins: Mapping[str, str] = field(default_factory=_frozen_map)

    def concurrency_for(self, kind: str) -> int:
        """The concurrency for a source kind: the configured value, else that kind's default."""
        if self.concurrency is not None:
            return self.concurrency
        return DEFAULT_CONCURRENCY.get(kind, FALLBACK_CONCURRENCY)

    def origin(self, key: str) -> str:
        """Where a dotted key's value came from: ``default``, ``file`` or ``env:NAME``."""
        return self.origins.get(key, "default")

    def to_dict(self) -> dict[str, Any]:
        """The effective values as plain data (TOML/JSON friendly; unset values omitted)."""
        data: dict[str, Any] = {}
        if self.default_source is not None:
            data["default_source"] = self.default_source
        if self.concurrency is not None:
            data["concurrency"] = self.concurrency
        data["timeout"] = self.timeout
        data["retries"] = self.retries
        data["offline"] = self.offline
        data["cache"] = {
            "enabled": self.cache.enabled,
            "max_size_mb": self.cache.max_size_mb,
            "ttl_seconds": self.cache.ttl_seconds,
        }
        data["logs"] = {
            "error_patterns": list(self.logs.error_patterns),
            "max_line_chars": self.logs.max_line_chars,
        }
        data["keys"] = dict(self.keys)
        data["presets"] = {
            name: {"source": p.source, **({"deck": p.deck} if p.deck else {})}
            for name, p in self.presets.items()
        }
        return data


class _FileReader:
    """Typed access to the parsed TOML table; every error names the file and the key."""

    def __init__(self, path: Path, table: Mapping[str, Any]) -> None:
        self.path = path
        self.table = table

    def error(self, key: str, message: str) -> UsageError:
        return UsageError(f"{self.path}: {key}: {message}")

    def section(self, name: str) -> Mapping[str, Any]:
        value = self.table.get(name, {})
        if not isinstance(value, Mapping):
            raise self.error(name, "must be a table")
        return value

    def get(self, table: Mapping[str, Any], key: str, dotted: str, kind: type) -> Any:
        value = table.get(key)
        if value is None:
            return None
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise self.error(dotted, f"expected {_type_name(kind)}, got {_type_name(type(value))}")
        return value


def _type_name(kind: type) -> str:
    return {str: "a string", int: "an integer", float: "a number", bool: "true or false"}.get(
        kind, kind.__name__
    )


_KNOWN_TOP = {
    "default_source",
    "presets",
    "concurrency",
    "timeout",
    "retries",
    "offline",
    "cache",
    "logs",
    "keys",
}
_KNOWN_CACHE = {"enabled", "max_size_mb", "ttl_seconds"}
_KNOWN_LOGS = {"error_patterns", "max_line_chars"}


def _check_known(reader: _FileReader, table: Mapping[str, Any], known: set[str], prefix: str):
    for key in table:
        if key not in known:
            raise reader.error(f"{prefix}{key}", "unknown key")


def _positive(reader: _FileReader, dotted: str, value: float | None) -> None:
    if value is not None and value <= 0:
        raise reader.error(dotted, "must be greater than 0")


def _read_file(path: Path) -> tuple[dict[str, Any], set[str]]:
    """Parse and validate the file; return the values it sets and their dotted keys."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}, set()
    except OSError as exc:
        raise UsageError(f"{path}: cannot read config file ({exc.strerror})") from exc
    try:
        table = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path}: not UTF-8 text") from exc
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: invalid TOML ({exc})") from exc
    reader = _FileReader(path, table)
    _check_known(reader, table, _KNOWN_TOP, "")
    values: dict[str, Any] = {}

    def put(dotted: str, value: Any) -> None:
        if value is not None:
            values[dotted] = value

    put("default_source", reader.get(table, "default_source", "default_source", str))
    for name in ("concurrency", "retries"):
        value = reader.get(table, name, name, int)
        _positive(reader, name, value)
        put(name, value)
    timeout = reader.get(table, "timeout", "timeout", float)
    _positive(reader, "timeout", timeout)
    put("timeout", timeout)
    put("offline", reader.get(table, "offline", "offline", bool))

    cache = reader.section("cache")
    _check_known(reader, cache, _KNOWN_CACHE, "cache.")
    put("cache.enabled", reader.get(cache, "enabled", "cache.enabled", bool))
    for name in ("max_size_mb", "ttl_seconds"):
        value = reader.get(cache, name, f"cache.{name}", int)
        if value is not None and value < 0:
            raise reader.error(f"cache.{name}", "must not be negative")
        put(f"cache.{name}", value)

    logs = reader.section("logs")
    _check_known(reader, logs, _KNOWN_LOGS, "logs.")
    patterns = logs.get("error_patterns")
    if patterns is not None:
        values["logs.error_patterns"] = _parse_patterns(reader, patterns)
    max_line = reader.get(logs, "max_line_chars", "logs.max_line_chars", int)
    _positive(reader, "logs.max_line_chars", max_line)
    put("logs.max_line_chars", max_line)

    keys = reader.section("keys")
    if keys:
        values["keys"] = _parse_keys(reader, keys)
    presets = reader.section("presets")
    if presets:
        values["presets"] = _parse_presets(reader, presets)
    return values, set(values)


def _parse_patterns(reader: _FileReader, patterns: Any) -> tuple[str, ...]:
    if not isinstance(patterns, list):
        raise reader.error("logs.error_patterns", "expected a list of regular expressions")
    for index, pattern in enumerate(patterns):
        dotted = f"logs.error_patterns[{index}]"
        if not isinstance(pattern, str):
            raise reader.error(dotted, "expected a string")
        try:
            re.compile(pattern)
        except re.error as exc:
            raise reader.error(dotted, f"invalid regular expression ({exc})") from exc
    return tuple(patterns)


def parse_keys(table: Mapping[str, Any], where: str = "config") -> dict[str, str]:
    """Validate a ``[keys]`` table: binding id (``"log.search"``) -> key(s) (``"ctrl+f"``)."""
    return _parse_keys(_FileReader(Path(where), table), table)


def _parse_keys(reader: _FileReader, keys: Mapping[str, Any]) -> dict[str, str]:
    result: dict[str, str] = {}
    for binding_id, key in keys.items():
        dotted = f'keys."{binding_id}"'
        if isinstance(key, Mapping):
            raise reader.error(dotted, 'quote dotted binding ids: "log.search" = "ctrl+f"')
        if not _BINDING_ID.match(binding_id):
            raise reader.error(dotted, "binding id must look like 'screen.action'")
        if not isinstance(key, str) or not _KEY_NAME.match(key.replace(" ", "")):
            raise reader.error(dotted, "expected a key name such as 'ctrl+f' (or 'a,b')")
        result[binding_id] = key.replace(" ", "")
    return result


def _parse_presets(reader: _FileReader, presets: Mapping[str, Any]) -> dict[str, Preset]:
    result: dict[str, Preset] = {}
    for name, table in presets.items():
        dotted = f"presets.{name}"
        if not isinstance(table, Mapping):
            raise reader.error(dotted, "must be a table with a 'source' key")
        _check_known(reader, table, {"source", "deck"}, f"{dotted}.")
        source = reader.get(table, "source", f"{dotted}.source", str)
        if not source:
            raise reader.error(f"{dotted}.source", "is required")
        deck = reader.get(table, "deck", f"{dotted}.deck", str)
        result[name] = Preset(name=name, source=source, deck=deck)
    return result


def _env_int(name: str, value: str, minimum: int) -> int:
    try:
        number = int(value.strip())
    except ValueError:
        raise UsageError(f"${name}: expected an integer, got {value!r}") from None
    if number < minimum:
        raise UsageError(f"${name}: must be at least {minimum}")
    return number


def _env_float(name: str, value: str) -> float:
    try:
        number = float(value.strip())
    except ValueError:
        raise UsageError(f"${name}: expected a number, got {value!r}") from None
    if number <= 0:
        raise UsageError(f"${name}: must be greater than 0")
    return number


def _env_bool(name: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise UsageError(f"${name}: expected 1/0, true/false, yes/no or on/off, got {value!r}")


#: environment variable -> (dotted key, converter)
ENV_VARS: Mapping[str, tuple[str, Callable[[str, str], Any]]] = MappingProxyType(
    {
        "PROWTUI_SOURCE": ("default_source", lambda n, v: v.strip()),
        "PROWTUI_CONCURRENCY": ("concurrency", lambda n, v: _env_int(n, v, 1)),
        "PROWTUI_TIMEOUT": ("timeout", _env_float),
        "PROWTUI_RETRIES": ("retries", lambda n, v: _env_int(n, v, 1)),
        "PROWTUI_CACHE_MAX_MB": ("cache.max_size_mb", lambda n, v: _env_int(n, v, 0)),
        "PROWTUI_CACHE_TTL": ("cache.ttl_seconds", lambda n, v: _env_int(n, v, 0)),
        "PROWTUI_OFFLINE": ("offline", _env_bool),
    }
)


def load_config(path: Path | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """Read the config file (missing is fine) and apply environment overrides.

    Raises :class:`UsageError` with a one-line message naming the file (or variable) and key.
    """
    path = path or config_path()
    environ = os.environ if environ is None else environ
    values, _ = _read_file(path)
    origins = {key: "file" for key in values}
    for name, (dotted, convert) in ENV_VARS.items():
        raw = environ.get(name)
        if raw is None or (name == "PROWTUI_SOURCE" and not raw.strip()):
            continue
        values[dotted] = convert(name, raw)
        origins[dotted] = f"env:{name}"
    defaults = Config()
    return Config(
        default_source=values.get("default_source"),
        presets=_frozen_map(values.get("presets")),
        concurrency=values.get("concurrency"),
        timeout=values.get("timeout", defaults.timeout),
        retries=values.get("retries", defaults.retries),
        offline=values.get("offline", False),
        cache=CacheConfig(
            enabled=values.get("cache.enabled", True),
            max_size_mb=values.get("cache.max_size_mb", DEFAULT_CACHE_MAX_MB),
            ttl_seconds=values.get("cache.ttl_seconds", DEFAULT_CACHE_TTL),
        ),
        logs=LogsConfig(
            error_patterns=values.get("logs.error_patterns", ()),
            max_line_chars=values.get("logs.max_line_chars", DEFAULT_MAX_LINE_CHARS),
        ),
        keys=_frozen_map(values.get("keys")),
        path=path,
        origins=_frozen_map(origins),
    )

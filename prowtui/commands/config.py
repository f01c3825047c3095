"""``prowtui config path`` and ``prowtui config show [--json]``: the effective configuration,
each value with where it came from (default, the file, or an environment variable)."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from prowtui.commands.common import fail
from prowtui.errors import ProwtuiError
from prowtui.paths import config_path

if TYPE_CHECKING:
    from prowtui.config import Config


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)


def _toml_key(key: str) -> str:
    bare = key.replace("_", "").replace("-", "").isalnum() and key.isascii()
    return key if bare else json.dumps(key)


def origins(config: Config) -> dict[str, str]:
    """Every shown key (dotted) -> where its value came from."""
    data = config.to_dict()
    result: dict[str, str] = {}
    for key, value in data.items():
        if key in ("cache", "logs"):
            for sub in value:
                result[f"{key}.{sub}"] = config.origin(f"{key}.{sub}")
        else:
            result[key] = config.origin(key)
    if "concurrency" not in result:
        result["concurrency"] = "default"
    if "default_source" not in result:
        result["default_source"] = "default"
    return result


def render_toml(config: Config) -> str:
    """The effective config as TOML, with the origin of each value as a comment."""
    data = config.to_dict()
    where = origins(config)
    exists = config.path is not None and config.path.is_file()
    lines = [f"# config file: {config.path} ({'found' if exists else 'not found'})"]

    def line(key: str, value: Any, origin: str) -> str:
        return f"{_toml_key(key)} = {_toml_value(value)}  # {origin}"

    if "default_source" in data:
        lines.append(line("default_source", data["default_source"], where["default_source"]))
    else:
        lines.append("# default_source: not set (demo)  # default")
    if "concurrency" in data:
        lines.append(line("concurrency", data["concurrency"], where["concurrency"]))
    else:
        from prowtui.config import DEFAULT_CONCURRENCY

        per_kind = ", ".join(f"{kind} {n}" for kind, n in DEFAULT_CONCURRENCY.items())
        lines.append(f"# concurrency: per source kind ({per_kind}, others 8)  # default")
    for key in ("timeout", "retries", "offline"):
        lines.append(line(key, data[key], where[key]))
    for section in ("cache", "logs"):
        lines += ["", f"[{section}]"]
        for key, value in data[section].items():
            lines.append(line(key, value, where[f"{section}.{key}"]))
    lines += ["", f"[keys]  # {where['keys']}"]
    lines += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in data["keys"].items()]
    for name, preset in data["presets"].items():
        lines += ["", f"[presets.{_toml_key(name)}]  # {where['presets']}"]
        lines += [f"{key} = {_toml_value(value)}" for key, value in preset.items()]
    return "\n".join(lines)


def _path(_args: argparse.Namespace) -> int:
    print(config_path())
    return 0


def _show(args: argparse.Namespace) -> int:
    try:
        from prowtui.config import load_config

        config = load_config()
    except ProwtuiError as exc:
        return fail(str(exc))
    if args.json:
        exists = config.path is not None and config.path.is_file()
        payload = {
            "path": str(config.path),
            "exists": exists,
            "values": config.to_dict(),
            "origins": origins(config),
        }
        print(json.dumps(payload, indent=2))
    else:
        print(render_toml(config))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``config path`` and ``config show``."""
    parser = subparsers.add_parser(
        "config", help="where the config file is and what is in effect", description=__doc__
    )
    actions = parser.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    actions.add_parser("path", help="print the config file's path").set_defaults(func=_path)
    show = actions.add_parser("show", help="print the effective config and where values came from")
    show.add_argument("--json", action="store_true", help="values and origins as JSON")
    show.set_defaults(func=_show)

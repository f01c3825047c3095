"""``prowtui cache info [--json]`` and ``prowtui cache clear``."""

from __future__ import annotations

import argparse
import json

from prowtui.commands.common import fail
from prowtui.errors import ProwtuiError
from prowtui.units import human_size


def _info(args: argparse.Namespace) -> int:
    from prowtui import cache

    try:
        info = cache.cache_info()
    except ProwtuiError as exc:
        return fail(str(exc))
    if args.json:
        print(json.dumps(info.to_json()))
    else:
        print(f"location: {info.location}")
        print(f"size:     {human_size(info.size_bytes)} ({info.size_bytes} bytes)")
        print(f"entries:  {info.entries}")
    return 0


def _clear(args: argparse.Namespace) -> int:
    from prowtui import cache

    try:
        removed = cache.clear()
    except ProwtuiError as exc:
        return fail(str(exc))
    print(f"removed {removed} entries from {cache.store_dir()}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``cache info`` and ``cache clear``."""
    parser = subparsers.add_parser(
        "cache", help="show or empty the on-disk cache", description=__doc__
    )
    actions = parser.add_subparsers(dest="cache_command", metavar="ACTION", required=True)
    info = actions.add_parser("info", help="location, size on disk and number of entries")
    info.add_argument("--json", action="store_true", help="one JSON object")
    info.set_defaults(func=_info)
    clear = actions.add_parser("clear", help="remove every cached listing and object")
    clear.set_defaults(func=_clear)

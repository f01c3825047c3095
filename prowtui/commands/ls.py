"""``prowtui ls [--source SRC] PATH [-l | --json]``: one level of a bucket prefix.

On a terminal, a table whose names are cut in the middle to fit (never wrapped); piped, one
name a line (a directory with its ``/``) for ``grep``, ``wc -l`` and ``xargs``; ``-l``, name,
size and time tab-separated.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from prowtui.commands.common import add_source_args, run, usage_error
from prowtui.errors import NotFound, UsageError
from prowtui.safetext import inert, inert_text
from prowtui.sources.base import Entry, Source
from prowtui.units import human_size

if TYPE_CHECKING:
    from rich.table import Table

#: the widths of the table's other columns and borders, and the fewest cells a name gets
UPDATED_WIDTH = len("YYYY-MM-DD HH:MM:SS")
TABLE_CHROME = 10
MIN_NAME_WIDTH = 12


def register(subparsers: Any) -> None:
    """Add the ``ls`` sub-command."""
    parser = subparsers.add_parser(
        "ls",
        help="list one level of a bucket path",
        description="List a bucket path one level deep: directories first, then files. "
        "PATH may be a bucket path (logs/) or a pasted URL (gcsweb, gs://, Spyglass, console).",
    )
    add_source_args(parser)
    parser.add_argument("path", metavar="PATH", nargs="?", default="", help="path or URL")
    output = parser.add_mutually_exclusive_group()
    output.add_argument(
        "-l",
        "--long",
        action="store_true",
        help="one entry a line: name, size in bytes (empty for a directory) and time "
        "(ISO 8601 UTC, empty when unknown), tab-separated",
    )
    output.add_argument("--json", action="store_true", help="print a JSON list of entries")
    parser.set_defaults(func=main)


async def list_path(source: Source, path: str) -> list[Entry]:
    """The listing of ``path``; an object path lists as that one object."""
    try:
        return await source.list(path)
    except NotFound:
        if not path or path.endswith("/"):
            raise
        try:
            info = await source.stat(path)
        except NotFound:
            raise NotFound(f"{path}: no such path", path) from None
        name = path.rsplit("/", 1)[-1]
        return [Entry(name, path, False, info.size, info.updated)]


def plain_lines(entries: list[Entry], *, long: bool = False) -> str:
    """The piped output: one inert name a line, or ``name\tsize\ttime`` with ``long``."""
    if not long:
        return "".join(f"{inert(entry.name)}\n" for entry in entries)
    lines = []
    for entry in entries:
        size = "" if entry.is_dir or entry.size is None else str(entry.size)
        updated = entry.updated.strftime("%Y-%m-%dT%H:%M:%SZ") if entry.updated else ""
        lines.append(f"{inert(entry.name)}\t{size}\t{updated}\n")
    return "".join(lines)


def render_table(entries: list[Entry], where: str, width: int = 80) -> Table:
    """A Rich table of entries for a terminal ``width`` cells wide: every name inert and cut
    in the middle to fit, so a row is always one line."""
    from rich.table import Table
    from rich.text import Text

    from prowtui.textcut import ellipsize_middle

    sizes = [human_size(entry.size) for entry in entries]
    size_width = max([len("Size"), *map(len, sizes)])
    room = max(MIN_NAME_WIDTH, width - size_width - UPDATED_WIDTH - TABLE_CHROME)
    table = Table(title=inert_text(where), title_justify="left", expand=False)
    table.add_column("Name", no_wrap=True, overflow="crop")
    table.add_column("Size", justify="right", no_wrap=True)
    table.add_column("Updated (UTC)", no_wrap=True)
    for entry, size in zip(entries, sizes, strict=True):
        updated = entry.updated.strftime("%Y-%m-%d %H:%M:%S") if entry.updated else ""
        name = inert_text(entry.name, "bold blue" if entry.is_dir else "")
        table.add_row(ellipsize_middle(name, room), Text(size), Text(updated))
    return table


def main(args: argparse.Namespace) -> int:
    """Run ``prowtui ls``."""
    from prowtui.sources.resolve import open_source, resolve_target

    try:
        spec, path = resolve_target(args.source, args.path)
    except UsageError as exc:
        return usage_error(str(exc), "ls")

    async def body() -> int:
        source = open_source(spec, offline=args.offline)
        try:
            entries = await list_path(source, path)
        finally:
            await source.aclose()
        if args.json:
            sys.stdout.write(json.dumps([e.to_json() for e in entries], indent=1) + "\n")
        elif args.long or not sys.stdout.isatty():
            sys.stdout.write(plain_lines(entries, long=args.long))
        else:
            from rich.console import Console

            console = Console(highlight=False)
            where = f"{source.describe()} {path or '/'}"
            console.print(render_table(entries, where, console.width))
        return 0

    return int(run(body))

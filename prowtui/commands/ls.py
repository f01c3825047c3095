"""``prowtui ls [--source SRC] PATH [--json]``: one level of a bucket prefix."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from prowtui.commands.common import add_source_args, open_spec, run, usage_error
from prowtui.errors import NotFound, UsageError
from prowtui.safetext import inert_text
from prowtui.sources.base import Entry, Source
from prowtui.units import human_size

if TYPE_CHECKING:
    from rich.table import Table


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
    parser.add_argument("--json", action="store_true", help="print a JSON list of entries")
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


def render_table(entries: list[Entry], where: str) -> Table:
    """A Rich table of entries; every name is made inert."""
    from rich.table import Table
    from rich.text import Text

    table = Table(title=inert_text(where), title_justify="left", expand=False)
    table.add_column("Name", overflow="fold")
    table.add_column("Size", justify="right", no_wrap=True)
    table.add_column("Updated (UTC)", no_wrap=True)
    for entry in entries:
        updated = entry.updated.strftime("%Y-%m-%d %H:%M:%S") if entry.updated else ""
        style = "bold blue" if entry.is_dir else ""
        table.add_row(inert_text(entry.name, style), Text(human_size(entry.size)), Text(updated))
    return table


def main(args: argparse.Namespace) -> int:
    """Run ``prowtui ls``."""
    from prowtui.sources.resolve import resolve_target

    try:
        spec, path = resolve_target(args.source, args.path)
    except UsageError as exc:
        return usage_error(str(exc), "ls")

    async def body() -> int:
        source = open_spec(spec, offline=args.offline)
        try:
            entries = await list_path(source, path)
        finally:
            await source.aclose()
        if args.json:
            sys.stdout.write(json.dumps([e.to_json() for e in entries], indent=1) + "\n")
        else:
            from rich.console import Console

            where = f"{source.describe()} {path or '/'}"
            Console(highlight=False).print(render_table(entries, where))
        return 0

    return int(run(body))

"""``prowtui ls [--source SRC] PATH [-l | --json]``: one level of a bucket prefix.

On a terminal, a table whose names are cut in the middle to fit (never wrapped); piped, one
name a line (a directory with its ``/``) for ``grep``, ``wc -l`` and ``xargs``; ``-l``, name,
size and time tab-separated.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from prowtui.commands.common import add_source_args, open_spec, run, usage_error
from prowtui.errors import NotFound, UsageError
from prowtui.safetext import inert
from prowtui.sources.base import Entry, Source
from prowtui.units import human_size

if TYPE_CHECKING:
    from rich.console import Console

#: ``paint(style) -> (before, after)``: a terminal's codes around text in a style
Painter = Callable[[str], tuple[str, str]]

UPDATED_HEADER = "Updated (UTC)"
#: the cells of a table row that are borders and padding, and the fewest cells a name gets
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


def render_table(entries: list[Entry], where: str, width: int, paint: Painter) -> str:
    """The terminal table, ``width`` cells wide, as Rich draws a heavy-head table: names inert
    and cut in the middle to fit, so a row is always one line.

    Drawn row by row (a Rich ``Table`` measures and wraps every cell: seconds for 20,000
    rows); ``paint(style)`` gives the terminal's codes around text in that style.
    """
    from rich.cells import cell_len

    from prowtui.textcut import ellipsize_start, middle_cut

    names = [inert(entry.name) for entry in entries]
    sizes = [human_size(entry.size) for entry in entries]
    times = [e.updated.strftime("%Y-%m-%d %H:%M:%S") if e.updated else "" for e in entries]
    size_w = max([len("Size"), *map(len, sizes)])
    time_w = max([len(UPDATED_HEADER), *map(len, times)])
    room = max(MIN_NAME_WIDTH, width - size_w - time_w - TABLE_CHROME)
    widths = [len(n) if n.isascii() else cell_len(n) for n in names]
    name_w = min(room, max([len("Name"), *widths]))
    bold, italic, dim = paint("bold"), paint("italic"), paint("dim")
    styles = {True: paint("bold blue"), False: ("", "")}

    def row(name: str, size: str, when: str) -> str:
        return f"│ {name} │ {size:>{size_w}} │ {when:<{time_w}} │\n"

    out = [
        f"{italic[0]}{ellipsize_start(inert(where), width)}{italic[1]}\n",
        f"┏━{'━' * name_w}━┳━{'━' * size_w}━┳━{'━' * time_w}━┓\n",
        f"┃ {bold[0]}{'Name':<{name_w}}{bold[1]} ┃ {bold[0]}{'Size':>{size_w}}{bold[1]} "
        f"┃ {bold[0]}{UPDATED_HEADER:<{time_w}}{bold[1]} ┃\n",
        f"┡━{'━' * name_w}━╇━{'━' * size_w}━╇━{'━' * time_w}━┩\n",
    ]
    for entry, name, cells, size, when in zip(entries, names, widths, sizes, times, strict=True):
        on, off = styles[entry.is_dir]
        cut = middle_cut(name, name_w) if cells > name_w else None
        if cut is None:
            shown = f"{on}{name}{off}{' ' * (name_w - cells)}"
        else:
            head, tail = name[: cut[0]], name[cut[1] :]
            used = cell_len(head) + 1 + cell_len(tail)
            shown = f"{on}{head}{off}{dim[0]}…{dim[1]}{on}{tail}{off}{' ' * (name_w - used)}"
        out.append(row(shown, size, when))
    out.append(f"└─{'─' * name_w}─┴─{'─' * size_w}─┴─{'─' * time_w}─┘\n")
    return "".join(out)


def console_painter(console: Console) -> Painter:
    """``paint(style)`` for ``console``: the codes it prints around text in that style (none
    without colours or styles), found once per style through Rich itself."""
    from rich.text import Text

    cache: dict[str, tuple[str, str]] = {}

    def paint(style: str) -> tuple[str, str]:
        if style not in cache:
            with console.capture() as capture:
                console.print(Text("X", style=style), end="")
            before, _, after = capture.get().partition("X")
            cache[style] = (before, after)
        return cache[style]

    return paint


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
        elif args.long or not sys.stdout.isatty():
            sys.stdout.write(plain_lines(entries, long=args.long))
        else:
            from rich.console import Console

            console = Console(highlight=False)
            where = f"{source.describe()} {path or '/'}"
            table = render_table(entries, where, console.width, console_painter(console))
            sys.stdout.write(table)
        return 0

    return int(run(body))

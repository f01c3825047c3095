"""``prowtui cat [--source SRC] PATH [--range START-END]``: an object's bytes on stdout."""

from __future__ import annotations

import argparse
import os
import re
import sys
from typing import Any

from prowtui.commands.common import add_source_args, open_spec, run, usage_error
from prowtui.errors import UsageError

_RANGE = re.compile(r"^(\d+)-(\d*)$")


def parse_range(text: str) -> tuple[int, int | None]:
    """``START-END`` (inclusive, as in HTTP) or ``START-`` → (start, exclusive end or None)."""
    match = _RANGE.match(text.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"expected START-END or START-, got {text!r}")
    start = int(match.group(1))
    if not match.group(2):
        return start, None
    end = int(match.group(2))
    if end < start:
        raise argparse.ArgumentTypeError(f"range end {end} is before its start {start}")
    return start, end + 1


def register(subparsers: Any) -> None:
    """Add the ``cat`` sub-command."""
    parser = subparsers.add_parser(
        "cat",
        help="write an object's bytes to stdout",
        description="Write an object (decompressed when stored gzip-encoded) to stdout. "
        "PATH may be a bucket path or a pasted URL.",
    )
    add_source_args(parser)
    parser.add_argument("path", metavar="PATH", help="object path or URL")
    parser.add_argument(
        "--range",
        "-r",
        metavar="START-END",
        type=parse_range,
        default=None,
        help="only bytes START..END inclusive (END may be omitted: to the end)",
    )
    parser.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    """Run ``prowtui cat``."""
    from prowtui.sources.resolve import resolve_target

    try:
        spec, path = resolve_target(args.source, args.path)
    except UsageError as exc:
        return usage_error(str(exc), "cat")
    if not path or path.endswith("/"):
        return usage_error(f"{path or '/'} is a directory", "cat")
    out = sys.stdout.buffer

    async def body() -> int:
        source = open_spec(spec, offline=args.offline)
        try:
            if args.range is not None:
                start, end = args.range
                out.write(await source.read(path, start, end))
            else:
                async for chunk in source.stream(path):
                    out.write(chunk)
            out.flush()
        finally:
            await source.aclose()
        return 0

    try:
        return int(run(body))
    except BrokenPipeError:
        # the reader went away (``| head``): not an error; silence the flush at exit
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0

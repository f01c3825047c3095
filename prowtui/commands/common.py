"""Helpers shared by the sub-commands: source options, running a coroutine, error reporting."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable
from typing import TypeVar

from prowtui.errors import ProwtuiError
from prowtui.safetext import inert

T = TypeVar("T")


def add_source_args(parser: argparse.ArgumentParser) -> None:
    """``--source`` and ``--offline``, shared by every command that reads a bucket."""
    parser.add_argument(
        "--source",
        "-s",
        metavar="SRC",
        default=None,
        help="demo, a preset name, gs://BUCKET, https://HOST/gcs/BUCKET/, or a local directory "
        "(default: $PROWTUI_SOURCE, then the config file, then demo)",
    )
    parser.add_argument("--offline", action="store_true", help="answer from the on-disk cache only")


def fail(message: str) -> int:
    """Print a one-line error (made inert) to stderr and return exit code 1."""
    first_line = inert(str(message).strip().splitlines()[0] if str(message).strip() else "error")
    print(f"prowtui: error: {first_line}", file=sys.stderr)
    return 1


def run(main: Callable[[], Awaitable[T]]) -> T | int:
    """Run an async command body; turn project errors into exit 1 and Ctrl-C into 130."""
    import asyncio

    try:
        return asyncio.run(main())
    except ProwtuiError as exc:
        return fail(str(exc))
    except KeyboardInterrupt:
        print("prowtui: interrupted", file=sys.stderr)
        return 130

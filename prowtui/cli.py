"""The ``prowtui`` command line: the explorer by default, headless sub-commands for scripts.

``prowtui [--source SRC] [PATH_OR_URL]`` opens the explorer; ``prowtui ls|cat|stats|export|
triage|jobs|search|cache|config ...`` run without a UI, ``prowtui serve`` serves the explorer to
a browser. Exit codes: 0 success, 1 a one-line error (not found, refused, unreachable, bad
data), 2 bad usage, 130 interrupted.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from prowtui import __version__

#: sub-command name -> module in prowtui.commands exposing ``register(subparsers)``
COMMANDS = {
    "ls": "ls",
    "cat": "cat",
    "stats": "stats",
    "export": "export",
    "triage": "triage",
    "jobs": "jobs",
    "search": "search",
    "cache": "cache",
    "config": "config",
    "serve": "serve",
}


def _first_positional(argv: Sequence[str]) -> str | None:
    """The first token that is not an option or an option's value."""
    takes_value = {"--source", "-s", "--config"}
    skip = False
    for token in argv:
        if skip:
            skip = False
            continue
        if token in takes_value:
            skip = True
            continue
        if token.startswith("-"):
            continue
        return token
    return None


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser of every sub-command (``prowtui --help`` lists them); with ``only``, of
    that sub-command alone (its module is the only one imported: a fresh ``prowtui search``
    does not import what ``export`` or ``serve`` need)."""
    parser = argparse.ArgumentParser(
        prog="prowtui",
        description="A terminal explorer for Prow CI job artifacts in Google Cloud Storage.",
        epilog="Without a sub-command, opens the explorer: prowtui [--source SRC] [PATH_OR_URL]",
    )
    parser.add_argument("--version", action="version", version=f"prowtui {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module_name in COMMANDS.items():
        if only is not None and name != only:
            continue
        module = importlib.import_module(f"prowtui.commands.{module_name}")
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    first = _first_positional(args_list)
    if first in COMMANDS or (first is None and {"-h", "--help", "--version"} & set(args_list)):
        parser = build_parser(first if first in COMMANDS else None)
        args = parser.parse_args(args_list)
        return int(args.func(args) or 0)
    from prowtui.commands import explore

    return explore.main(args_list)


if __name__ == "__main__":
    raise SystemExit(main())

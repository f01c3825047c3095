"""``prowtui [--source SRC] [--offline] [PATH_OR_URL]``: open the Textual explorer."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TYPE_CHECKING

from prowtui.commands.common import (
    add_source_args,
    fail,
    fewer_collections,
    open_spec,
    usage_error,
)
from prowtui.errors import ProwtuiError, UsageError

if TYPE_CHECKING:
    from prowtui.app import ProwtuiApp
    from prowtui.config import Config
    from prowtui.sources.base import Source


def build_parser() -> argparse.ArgumentParser:
    """The explorer's own parser."""
    parser = argparse.ArgumentParser(
        prog="prowtui",
        description="Browse Prow job artifacts: a lazy bucket tree, previews, stats and export.",
        epilog="Sub-commands for scripts: prowtui ls|cat|stats|export|cache|config --help",
    )
    add_source_args(parser)
    parser.add_argument(
        "target",
        nargs="?",
        metavar="PATH_OR_URL",
        default=None,
        help="a bucket path, or a gcsweb, gs:// or Spyglass URL to open the tree down to",
    )
    return parser


def main(argv: Sequence[str]) -> int:
    """Parse, resolve the source, run the app; 2 on bad usage, 1 on a bad source."""
    parser = build_parser()
    try:
        args = parser.parse_args(list(argv))
    except SystemExit as exc:
        return int(exc.code or 0) if isinstance(exc.code, int) else 2
    from prowtui.sources.resolve import resolve_target

    try:
        spec, path = resolve_target(args.source, args.target)
        source = open_spec(spec, offline=args.offline)
    except UsageError as exc:
        return usage_error(str(exc))
    except ProwtuiError as exc:
        return fail(str(exc))
    try:
        app = build_app(source, spec, path or "")
    except ProwtuiError as exc:
        return fail(str(exc))
    # a folder of 20,000 entries is 100,000s of objects: the default collector thresholds
    # ran a full collection (over 0.1 s) every few keys of a tree filter
    with fewer_collections():
        app.run()
    return int(app.return_code or 0)


def build_app(source: Source, spec: object, path: str, config: Config | None = None) -> ProwtuiApp:
    """The explorer on ``source`` with the config file's key map and log settings
    (``load_config()`` when ``config`` is None; a bad config raises ``UsageError``)."""
    from prowtui.app import Explorer, ProwtuiApp
    from prowtui.app.services import LogSettings
    from prowtui.config import load_config

    config = load_config() if config is None else config
    explorer = Explorer(source, spec, path, logs=LogSettings.from_config(config.logs))
    return ProwtuiApp(explorer, keymap={str(k): str(v) for k, v in config.keys.items()})

"""Helpers shared by the sub-commands: source options, running a coroutine, error reporting."""

from __future__ import annotations

import argparse
import contextlib
import gc
import sys
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from asyncio import AbstractEventLoop

    from prowtui.sources.base import Source
    from prowtui.sources.resolve import SourceSpec

from prowtui.errors import ProwtuiError, UsageError
from prowtui.safetext import inert

T = TypeVar("T")

#: the collector's first threshold while a command runs (Python's default is 700 to 2,000,
#: by version): a crawl makes hundreds of thousands of short-lived containers (pages,
#: entries, requests), few of them in cycles, and the default ran a collection every few
#: requests, about a tenth of a cold crawl's CPU
GC_THRESHOLD = 50_000


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


def ensure_demo(spec: SourceSpec) -> None:
    """Build the demo bucket when ``spec`` names it and it is missing or out of date: the
    demo is a data builder above the sources, which read what it wrote as a directory."""
    if spec.kind == "demo":
        from prowtui.demo import demo_root

        demo_root()


def open_spec(spec: SourceSpec, *, offline: bool = False, **options: object) -> Source:
    """:func:`~prowtui.sources.resolve.open_source`, the demo bucket built first if needed."""
    from prowtui.sources.resolve import open_source

    ensure_demo(spec)
    return open_source(spec, offline=offline, **options)


def same_bucket(a: SourceSpec, b: SourceSpec) -> bool:
    """Whether two specs read the same bucket the same way (one source can serve both)."""
    key = ("kind", "bucket", "base_url", "root", "storage_url")
    return all(getattr(a, k) == getattr(b, k) for k in key)


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {value}")
    return value


def add_window_args(
    parser: argparse.ArgumentParser, *, default_since: str, help_since: str
) -> None:
    """``--since``, ``--now``, ``--json`` and ``--concurrency``: the options of the commands
    that read builds by window (``jobs``, ``search``)."""
    parser.add_argument("--since", default=default_since, metavar="DURATION", help=help_since)
    parser.add_argument(
        "--now",
        default=None,
        metavar="TIME",
        help="the window's end: ISO 8601 UTC (2024-05-01T12:00:00Z) or 'latest' (the newest "
        "build's ID time); default: the current time (latest on the demo bucket)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument(
        "--concurrency",
        "-j",
        type=positive_int,
        default=None,
        help="requests in flight at once (default: the config's concurrency for the source)",
    )


def parse_window(args: argparse.Namespace, spec: SourceSpec) -> tuple[timedelta, datetime | None]:
    """``--since`` and ``--now``: the window's length and end; the end is the current time
    unless given, or ``None`` (the newest build's time) on the demo bucket, whose time is
    long past; :class:`UsageError` for a bad value."""
    from prowtui.prow.windows import parse_now, parse_since

    since = parse_since(args.since)
    now = parse_now(args.now)
    if args.now is None and spec.kind != "demo":
        now = datetime.now(UTC)
    return since, now


def resolve_job_dirs(
    source: str | None, targets: list[str], reader: str
) -> tuple[SourceSpec, list[str]]:
    """One source for every job directory or pattern in ``targets`` (URLs included) and their
    bucket paths; :class:`UsageError` when they lie in different buckets ("one ``reader``
    reads one source") or one names the bucket's root."""
    from prowtui.sources.resolve import resolve_target

    spec: SourceSpec | None = None
    paths = []
    for target in targets:
        target_spec, path = resolve_target(source, target)
        if spec is None:
            spec = target_spec
        elif not same_bucket(spec, target_spec):
            raise UsageError(
                f"{target!r} is in {target_spec.describe()}, not {spec.describe()}: "
                f"one {reader} reads one source"
            )
        if not path.strip("/"):
            raise UsageError(f"{target!r} names no job directory")
        paths.append(path)
    assert spec is not None  # argparse requires one target
    return spec, paths


def _report(message: str, command: str) -> None:
    """Print the first line of ``message`` (made inert) as ``prowtui[ COMMAND]: error: ...``."""
    text = str(message).strip()
    first_line = inert(text.splitlines()[0] if text else "error")
    prog = f"prowtui {command}" if command else "prowtui"
    print(f"{prog}: error: {first_line}", file=sys.stderr)


def fail(message: str, command: str = "") -> int:
    """Report a failure (not found, refused, unreachable, bad data); exit code 1."""
    _report(message, command)
    return 1


def usage_error(message: str, command: str = "") -> int:
    """Report bad usage (a malformed source, URL or range); exit code 2."""
    _report(message, command)
    return 2


def _loop_factory() -> Callable[[], AbstractEventLoop] | None:
    """uvloop's event loop where it is installed (its loop costs a request about a quarter
    less CPU than asyncio's), else None: asyncio's own."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


@contextlib.contextmanager
def fewer_collections() -> Iterator[None]:
    """Collect young objects less often (:data:`GC_THRESHOLD`) while a command runs; the
    caller's thresholds are restored afterwards."""
    saved = gc.get_threshold()
    gc.set_threshold(max(GC_THRESHOLD, saved[0]), *saved[1:])
    try:
        yield
    finally:
        gc.set_threshold(*saved)


def run(main: Callable[[], Awaitable[T]]) -> T | int:
    """Run an async command body; turn project errors into exit 1 and Ctrl-C into 130."""
    import asyncio

    try:
        with fewer_collections(), asyncio.Runner(loop_factory=_loop_factory()) as runner:
            return runner.run(main())
    except ProwtuiError as exc:
        return fail(str(exc))
    except KeyboardInterrupt:
        print("prowtui: interrupted", file=sys.stderr)
        return 130

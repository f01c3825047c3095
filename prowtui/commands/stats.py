"""``prowtui stats JOBPATH``: completeness, results and log sizes of a job (``--json`` for scripts).

Also holds the pieces ``export`` shares: opening the job's source and progress reporting (a
Rich bar on a terminal's stderr, plain lines otherwise). The CLI imports every command module
to build its parser, so the analysis layer, Rich's console and the sources are imported inside
the functions that use them: ``prowtui --help`` and the other commands never pay for them.
"""

from __future__ import annotations

import argparse
import inspect
import json
import sys
from collections.abc import Sequence
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any

from prowtui.commands.common import add_source_args, open_spec, positive_int, run
from prowtui.safetext import inert, inert_text
from prowtui.units import human_size

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress
    from rich.table import Table

    from prowtui.analysis.crawl import BuildCrawl
    from prowtui.analysis.size_histogram import SizeHistogram
    from prowtui.analysis.stats import JobStats
    from prowtui.sources.base import Source

PATTERNS_SHOWN = 10


def add_job_args(parser: argparse.ArgumentParser) -> None:
    """JOBPATH, --limit and --concurrency, shared by stats and export."""
    add_source_args(parser)
    parser.add_argument(
        "job",
        metavar="JOBPATH",
        help="a job directory (logs/<job>/ or pr-logs/pull/<org_repo>/<pr>/<job>/) or its URL",
    )
    parser.add_argument(
        "--limit", "-n", type=positive_int, default=None, help="only the newest N builds"
    )
    parser.add_argument(
        "--concurrency",
        "-j",
        type=positive_int,
        default=None,
        help="requests in flight at once (default: the config's concurrency, else 8 through "
        "gcsweb and 16 through the GCS API)",
    )


def register(subparsers: Any) -> None:
    """Add the ``stats`` sub-command."""
    parser = subparsers.add_parser(
        "stats",
        help="summarise a job: completeness, results, build-log sizes",
        description="Crawl a job's builds concurrently and summarise which files they have, "
        "their results and their build-log sizes (--content: chars/words/lines of every log).",
    )
    add_job_args(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument(
        "--content", action="store_true", help="download every build log and measure its text"
    )
    parser.set_defaults(func=main)


async def open_job_source(args: argparse.Namespace) -> tuple[Source, str, int]:
    """The source, job path and concurrency that ``--source``, JOBPATH (a path or a URL) and
    ``--concurrency`` (else the config's value for the source kind) name."""
    from prowtui.config import load_config
    from prowtui.sources.resolve import resolve_target

    spec, path = resolve_target(args.source, args.job)
    concurrency = args.concurrency or load_config().concurrency_for(spec.kind)
    source = open_spec(spec, offline=args.offline, concurrency=concurrency)
    if inspect.isawaitable(source):
        source = await source
    return source, path, concurrency


class ProgressReport:
    """A crawl progress callback: a Rich bar on a terminal, else a line every tenth."""

    def __init__(self, label: str, stream: IO[str] | None = None) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self._bar: Progress | None = None
        self._task: Any = None
        self._last_tenth = -1

    def __enter__(self) -> ProgressReport:
        if self.stream.isatty():
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )

            console = Console(file=self.stream)
            self._bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=console,
                transient=True,
            )
            self._bar.start()
            self._task = self._bar.add_task(self.label, total=None)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.stop()

    def __call__(self, done: int, total: int, crawl: BuildCrawl | None) -> None:
        if self._bar is not None:
            self._bar.update(self._task, completed=done, total=total)
            return
        tenth = (10 * done) // total if total else 10
        if tenth != self._last_tenth:
            self._last_tenth = tenth
            print(f"prowtui: {self.label}: {done}/{total} builds", file=self.stream, flush=True)


def report_failures(failures: Sequence[tuple[str, str, str]], what: str) -> None:
    """Name each failed build and its error on stderr (inert)."""
    print(
        f"prowtui: error: {len(failures)} build(s) could not be {what}:",
        file=sys.stderr,
    )
    for build_id, path, error in failures:
        print(f"  {inert(build_id)} ({inert(path)}): {inert(error)}", file=sys.stderr)


def main(args: argparse.Namespace) -> int:
    """Run ``prowtui stats``."""
    return int(run(lambda: _stats(args)) or 0)


async def _stats(args: argparse.Namespace) -> int:
    from prowtui.analysis.stats import job_stats

    source, path, concurrency = await open_job_source(args)
    try:
        with ProgressReport("stats") as progress:
            stats = await job_stats(
                source,
                path,
                content=args.content,
                limit=args.limit,
                concurrency=concurrency,
                on_progress=progress,
            )
    finally:
        await source.aclose()
    if args.json:
        print(json.dumps(stats.to_json(), indent=2))
    else:
        from rich.console import Console

        render(stats, Console(highlight=False))
    if stats.failures:
        report_failures(stats.failures, "read")
        return 1
    return 0


# -- human output ----------------------------------------------------------------------------


def _pct(share: float) -> str:
    return f"{100 * share:.1f}%"


def _num(value: float | int | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, int) or float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}"


#: builds named under the histogram as beyond the 99th percentile
BEYOND_NAMED = 5


def histogram_rows(hist: SizeHistogram, width: int = 40) -> list[tuple[str, int, str, str]]:
    """``(bin label, builds, bar, marker)`` of a log-scaled histogram; the marker counts the
    bin's builds beyond the 99th percentile."""
    rows = []
    for b in hist.bins:
        bar = "█" * max(1 if b.count else 0, round(width * b.count / hist.peak))
        marker = f"▲ {b.beyond} > p{hist.percentile:g}" if b.beyond else ""
        rows.append((b.label, b.count, bar, marker))
    return rows


def beyond_note(hist: SizeHistogram, limit: int = BEYOND_NAMED) -> str:
    """One line naming the builds beyond the percentile (biggest first), or ``""``."""
    if not hist.beyond or hist.threshold is None:
        return ""
    named = ", ".join(f"{inert(name)} ({human_size(size)})" for name, size in hist.beyond[:limit])
    more = len(hist.beyond) - limit
    tail = f" and {more} more" if more > 0 else ""
    return (
        f"▲ {len(hist.beyond)} build(s) beyond the {hist.percentile:g}th percentile "
        f"({human_size(hist.threshold)}): {named}{tail}"
    )


def _table(title: str) -> Table:
    """A table whose left-aligned title never wraps."""
    from rich.table import Table

    return Table(title=title, title_justify="left", min_width=len(title) + 2)


def _describe_table(title: str, columns: dict[str, dict[str, Any]]) -> Table:
    table = _table(title)
    table.add_column("")
    for name in columns:
        table.add_column(name, justify="right")
    keys = ("count", "mean", "std", "min", "25%", "50%", "75%", "max")
    for key in keys:
        table.add_row(key, *(_num(col[key]) for col in columns.values()))
    return table


def _completeness_tables(title: str, block: dict[str, Any]) -> list[Table]:
    dist = _table(f"{title}: entries per build")
    dist.add_column("entries", justify="right")
    dist.add_column("builds", justify="right")
    for n, builds in block["entry_count_distribution"].items():
        dist.add_row(n, str(builds))
    pats = _table(f"{title}: distinct combinations")
    pats.add_column("share", justify="right")
    pats.add_column("builds", justify="right")
    pats.add_column("entries")
    for pattern in block["patterns"][:PATTERNS_SHOWN]:
        entries = inert_text("  ".join(pattern["entries"]) or "(none)")
        pats.add_row(_pct(pattern["share"]), str(pattern["builds"]), entries)
    hidden = len(block["patterns"]) - PATTERNS_SHOWN
    if hidden > 0:
        pats.caption = f"and {hidden} more combinations"
    return [dist, pats]


def render(stats: JobStats, console: Console) -> None:
    """Tables and a log-size histogram for people (every data string made inert)."""
    from rich.text import Text

    doc = stats.to_json()
    header = Text("job ")
    header.append_text(inert_text(stats.job, "bold"))
    header.append(f"  ·  {doc['builds']} builds")
    console.print(header)

    results = _table("results")
    results.add_column("result")
    results.add_column("builds", justify="right")
    for name, n in doc["results"].items():  # type: ignore[union-attr]
        results.add_row(inert_text(name), str(n))
    console.print(results)

    presence = _table("presence")
    presence.add_column("path in build")
    presence.add_column("share", justify="right")
    for name, share in doc["presence"].items():  # type: ignore[union-attr]
        presence.add_row(inert_text(name), _pct(share))
    console.print(presence)

    for title in ("top_level", "artifacts"):
        for table in _completeness_tables(title, doc[title]):  # type: ignore[arg-type]
            console.print(table)

    console.print(_describe_table("build-log.txt size (bytes)", {"bytes": doc["build_log_bytes"]}))
    from prowtui.analysis.size_histogram import build_log_histogram

    histogram = build_log_histogram(stats.builds)
    # size, builds and marker columns, their borders and padding take about 50 columns
    rows = histogram_rows(histogram, width=max(10, min(40, console.width - 50)))
    if rows:
        hist = _table("build-log.txt sizes (log scale)")
        hist.show_edge = False
        hist.add_column("size", justify="right")
        hist.add_column("builds", justify="right")
        hist.add_column("", no_wrap=True, overflow="crop")
        hist.add_column("", no_wrap=True)
        for label, n, bar, marker in rows:
            hist.add_row(label, str(n), Text(bar, style="cyan"), Text(marker, style="yellow"))
        note = beyond_note(histogram)
        if note:
            hist.caption = note
            hist.caption_justify = "left"
        console.print(hist)
    if "build_log" in doc:
        console.print(_describe_table("build-log.txt text", doc["build_log"]))  # type: ignore[arg-type]

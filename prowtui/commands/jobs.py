"""``prowtui jobs PATTERN...``: many jobs at a glance (state, pass rate and its change, runs,
failing since, last pass, newest results) over the current and the previous window.

A Rich table on a terminal, plain text when piped, ``--json`` for scripts. Every string from
the bucket is made inert. Problems reading a job are named on stderr (exit 1); every other job
is still reported.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import IO, TYPE_CHECKING, Any

from prowtui.commands.common import (
    add_source_args,
    add_window_args,
    fail,
    open_spec,
    parse_window,
    resolve_job_dirs,
    run,
    usage_error,
)
from prowtui.errors import UsageError
from prowtui.safetext import inert, inert_text

if TYPE_CHECKING:
    from prowtui.analysis.jobs_overview import JobOverview, Overview
    from prowtui.sources.resolve import SourceSpec

#: newest results shown in the table's strip (the JSON has them all)
STRIP_CELLS = 30
DEFAULT_SINCE = "7d"


def register(subparsers: Any) -> None:
    """Add the ``jobs`` sub-command."""
    parser = subparsers.add_parser(
        "jobs",
        help="many jobs at a glance: which are red, since when, and is it getting worse",
        description="For each job the patterns name: runs, pass rate and its change against "
        "the previous window, state (broken, failing, flaky, passing, stale), when the "
        "current run of failures began, the last pass and the newest results. Reads only "
        "the job listings and started.json/finished.json of builds in the two windows.",
    )
    add_source_args(parser)
    parser.add_argument(
        "patterns",
        nargs="+",
        metavar="PATTERN",
        help="a job directory (logs/<job>/, pr-logs/pull/<org_repo>/<pr>/<job>/), its URL, or a "
        "pattern with shell wildcards (quote it), e.g. 'logs/periodic-*-4.16-*'",
    )
    add_window_args(
        parser,
        default_since=DEFAULT_SINCE,
        help_since="window length: Nh, Nd or Nw (default: 7d); the previous window is as long "
        "and ends where the current one begins",
    )
    parser.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    """Run ``prowtui jobs``."""
    try:
        spec, paths = resolve_job_dirs(args.source, args.patterns, "report")
        since, now = parse_window(args, spec)
    except UsageError as exc:
        return usage_error(str(exc), "jobs")
    return int(run(lambda: _jobs(args, spec, paths, since, now)) or 0)


async def _jobs(
    args: argparse.Namespace, spec: SourceSpec, paths: list[str], since: Any, now: Any
) -> int:
    import inspect

    from prowtui.analysis.jobs_overview import read_overview
    from prowtui.analysis.window_builds import resolve_job_patterns
    from prowtui.config import load_config

    concurrency = args.concurrency or load_config().concurrency_for(spec.kind)
    source = open_spec(spec, offline=args.offline, concurrency=concurrency)
    if inspect.isawaitable(source):
        source = await source
    try:
        jobs, unmatched = await resolve_job_patterns(source, paths)
        if not jobs:
            names = ", ".join(repr(p) for p in paths)
            return usage_error(f"no job directory matches {inert(names)}", "jobs")
        for pattern in unmatched:
            warn(f"no job directory matches {pattern!r}")
        progress = Progress(len(jobs))
        overview = await read_overview(
            source, jobs, since, now, concurrency=concurrency, on_job=progress.job_done
        )
        progress.close()
    finally:
        await source.aclose()
    overview.unmatched = unmatched
    for message in overview.warnings:
        warn(message)
    for message in overview.problems:
        fail(message, "jobs")
    if args.json:
        json.dump(overview.to_json(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    elif sys.stdout.isatty():
        print_table(overview)
    else:
        print_plain(overview, sys.stdout)
    return 1 if overview.problems else 0


def warn(message: str) -> None:
    """``prowtui jobs: warning: ...`` on stderr (one line, inert)."""
    text = str(message).strip().splitlines()
    print(f"prowtui jobs: warning: {inert(text[0] if text else '')}", file=sys.stderr)


class Progress:
    """``jobs: 37 of 120`` on a terminal's stderr, rewritten in place."""

    def __init__(self, total: int, stream: IO[str] | None = None) -> None:
        self.total = total
        self.done = 0
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty()

    def job_done(self, *_: object) -> None:
        self.done += 1
        if self.live:
            print(f"\rjobs: {self.done} of {self.total}", end="", file=self.stream, flush=True)

    def close(self) -> None:
        if self.live:
            print("\r\x1b[2K", end="", file=self.stream, flush=True)


def _window_line(overview: Overview) -> str:
    from prowtui.analysis.jobs_overview import since_text
    from prowtui.prow.windows import format_time

    windows = overview.windows
    span = since_text(windows.since)
    count = len(overview.jobs)
    return (
        f"{count} job{'' if count == 1 else 's'}, window {span} up to "
        f"{format_time(windows.now)} (compared with the {span} before)"
    )


def print_table(overview: Overview) -> None:
    """The Rich table, worst first; job names without the prefix they all share (said in the
    title), the strip of newest results as wide as the terminal allows."""
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from prowtui.analysis import jobs_overview as jo

    now = overview.windows.now
    console = Console(highlight=False)
    prefix = jo.common_prefix([job.job for job in overview.jobs])
    title = Text(_window_line(overview))
    if prefix:
        title.append("\njob names after ")
        title.append_text(inert_text(prefix))
    names = [job.job[len(prefix) :].rstrip("/") or job.job for job in overview.jobs]
    # the columns besides the job's and the strip take about 62 cells with their padding
    longest = max((len(name) for name in names), default=10)
    cells = max(6, min(STRIP_CELLS, console.width - 62 - longest))
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("job", overflow="fold")
    table.add_column("state", no_wrap=True)
    table.add_column("pass", justify="right", no_wrap=True)
    table.add_column("Δ", no_wrap=True)
    table.add_column("runs", justify="right", no_wrap=True)
    table.add_column("failing", justify="right", no_wrap=True)
    table.add_column("last pass", justify="right", no_wrap=True)
    table.add_column("newest", no_wrap=True, width=cells)
    for job, name in zip(overview.jobs, names, strict=True):
        table.add_row(
            inert_text(name),
            Text(job.state, style=jo.STATE_STYLES[job.state]),
            jo.rate_text(job.pass_rate),
            _change_cell(job),
            str(job.runs),
            jo.failing_since_text(job, now),
            jo.last_pass_text(job, now),
            jo.strip_text(job, cells),
        )
    console.print(table)


def _change_cell(job: JobOverview) -> Any:
    from rich.text import Text

    from prowtui.analysis.jobs_overview import change_text

    text = change_text(job.change)
    style = "green" if text.startswith("↑") else "red" if text.startswith("↓") else "dim"
    return Text(text, style=style)


def print_plain(overview: Overview, out: IO[str]) -> None:
    """Plain text: one line per job, worst first (``+`` passed, ``x`` failed, ``.`` pending,
    newest first)."""
    from prowtui.analysis import jobs_overview as jo

    now = overview.windows.now
    print(_window_line(overview), file=out)
    header = ("state", "pass", "change", "runs", "failing since", "last pass", "newest", "job")
    rows = [header]
    for job in overview.jobs:
        rows.append(
            (
                job.state,
                jo.rate_text(job.pass_rate),
                jo.change_text(job.change) or "-",
                str(job.runs),
                jo.failing_since_text(job, now) or "-",
                jo.last_pass_text(job, now),
                "".join(jo.result_letter(b) for b in job.results[:STRIP_CELLS]) or "-",
                inert(job.job),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
    right = {1, 2, 3}
    for row in rows:
        cells = [
            cell.rjust(width) if i in right else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=False))
        ]
        print("  ".join([*cells, row[-1]]), file=out)

"""``prowtui export JOBPATH -o DIR``: a job's builds, logs, events and junit rows as parquet."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from prowtui.analysis.tables import TABLES, check_tables
from prowtui.commands.common import run
from prowtui.commands.stats import ProgressReport, add_job_args, open_job_source, report_failures
from prowtui.safetext import inert_text


def register(subparsers: Any) -> None:
    """Add the ``export`` sub-command."""
    parser = subparsers.add_parser(
        "export",
        help="write a job's builds, build logs, events and junit rows to parquet",
        description="Crawl a job and write builds.parquet, build_logs.parquet, events.parquet "
        "and junit.parquet (plus failures.parquet) into DIR. Each file is replaced only "
        "when complete.",
    )
    add_job_args(parser)
    parser.add_argument(
        "--output", "-o", metavar="DIR", required=True, type=Path, help="output directory"
    )
    parser.add_argument(
        "--tables",
        nargs="+",
        choices=TABLES,
        default=list(TABLES),
        metavar="TABLE",
        help=f"tables to write (default: all of {', '.join(TABLES)})",
    )
    parser.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    """Run ``prowtui export``."""
    return int(run(lambda: _export(args)) or 0)


async def _export(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from prowtui.analysis.export import export_job

    tables = check_tables(args.tables)
    source, path, concurrency = await open_job_source(args)
    try:
        with ProgressReport("export") as progress:
            result = await export_job(
                source,
                path,
                args.output,
                limit=args.limit,
                tables=tables,
                concurrency=concurrency,
                on_progress=progress,
            )
    finally:
        await source.aclose()
    console = Console(highlight=False)
    header = Text("exported to ")
    header.append_text(inert_text(str(args.output.resolve())))
    console.print(header, overflow="fold")
    table = Table()
    table.add_column("file")
    table.add_column("rows", justify="right")
    for name, file in result.paths.items():
        table.add_row(inert_text(file.name), f"{result.row_counts[name]:,}")
    if result.failures_path is not None:
        table.add_row(inert_text(result.failures_path.name), f"{len(result.failures):,}")
    console.print(table)
    if result.failures:
        report_failures(result.failures, "exported (see failures.parquet)")
        return 1
    return 0

"""``prowtui export JOBPATH... -o OUT``: jobs' builds, logs, events and junit rows as parquet.

OUT is a directory, ``file://PATH``, ``s3://BUCKET/PREFIX`` or ``gs://BUCKET/PREFIX``
(:mod:`prowtui.analysis.store`). One plain JOBPATH writes the four table files (plus
``failures.parquet``) into OUT. Several jobs, a pattern or ``--dataset`` make OUT a
hive-partitioned dataset (:mod:`prowtui.analysis.dataset`), run in this process, on a Dask
``LocalCluster`` (``--workers N``) or on a Dask cluster (``--scheduler``,
``$PROWTUI_DASK_SCHEDULER``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import tempfile
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any

from prowtui.analysis.dataset.defaults import DEFAULT_CHUNK, SCHEDULER_ENV, has_wildcard
from prowtui.analysis.tables import TABLES, check_tables
from prowtui.commands.common import (
    add_source_args,
    ensure_demo,
    fail,
    positive_int,
    resolve_job_dirs,
    run,
    usage_error,
)
from prowtui.commands.stats import (
    ProgressReport,
    open_job_source,
    report_failures,
)
from prowtui.errors import ProwtuiError, UsageError
from prowtui.safetext import inert, inert_text

if TYPE_CHECKING:
    from rich.progress import Progress

    from prowtui.analysis.dataset.engine import Engine
    from prowtui.analysis.dataset.export import DatasetResult
    from prowtui.sources.resolve import SourceSpec


def register(subparsers: Any) -> None:
    """Add the ``export`` sub-command."""
    parser = subparsers.add_parser(
        "export",
        help="write jobs' builds, build logs, events and junit rows to parquet",
        description="Crawl a job and write builds.parquet, build_logs.parquet, events.parquet "
        "and junit.parquet (plus failures.parquet) into DIR; each file is replaced only when "
        "complete. Several jobs, a pattern (shell wildcards, e.g. 'logs/periodic-*-4.16-*') or "
        "--dataset write a hive-partitioned dataset instead: DIR/<table>/job=<job>/part-<first "
        "build>-<last build>.parquet and DIR/_manifest.json. A dataset export resumes: parts "
        "whose builds have all finished are kept, new builds are fetched.",
    )
    add_source_args(parser)
    parser.add_argument(
        "jobs",
        nargs="+",
        metavar="JOBPATH",
        help="a job directory (logs/<job>/ or pr-logs/pull/<org_repo>/<pr>/<job>/), its URL, "
        "or a pattern with shell wildcards (quote it)",
    )
    parser.add_argument(
        "--output",
        "-o",
        metavar="OUT",
        required=True,
        help="output directory, file://PATH, s3://BUCKET/PREFIX or gs://BUCKET/PREFIX "
        "(credentials and endpoints from the AWS or Google settings of each process)",
    )
    parser.add_argument(
        "--tables",
        nargs="+",
        choices=TABLES,
        default=list(TABLES),
        metavar="TABLE",
        help=f"tables to write (default: all of {', '.join(TABLES)})",
    )
    parser.add_argument(
        "--limit", "-n", type=positive_int, default=None, help="only the newest N builds of a job"
    )
    parser.add_argument(
        "--concurrency",
        "-j",
        type=positive_int,
        default=None,
        help="requests in flight at once per process (default: the config's concurrency, else "
        "8 through gcsweb and 16 through the GCS API)",
    )
    dataset = parser.add_argument_group("dataset exports (several jobs, a pattern or --dataset)")
    dataset.add_argument(
        "--dataset", action="store_true", help="write a dataset even for one plain JOBPATH"
    )
    dataset.add_argument(
        "--chunk",
        type=positive_int,
        default=None,
        metavar="N",
        help=f"builds per part file, the unit of work (default: {DEFAULT_CHUNK})",
    )
    redo = dataset.add_mutually_exclusive_group()
    redo.add_argument(
        "--resume",
        action="store_true",
        help="keep complete parts and fetch only the rest (the default)",
    )
    redo.add_argument(
        "--overwrite",
        action="store_true",
        help="drop the named jobs' parts and export them again",
    )
    dataset.add_argument(
        "--break-lock",
        action="store_true",
        help="remove the lock a killed export left in a bucket, then export",
    )
    engine = dataset.add_mutually_exclusive_group()
    engine.add_argument(
        "--workers",
        type=positive_int,
        default=None,
        metavar="N",
        help="run the chunks on a Dask LocalCluster of N worker processes",
    )
    engine.add_argument(
        "--scheduler",
        metavar="ADDR",
        default=None,
        help=f"run the chunks on the Dask cluster at ADDR (tcp://HOST:8786; default: "
        f"${SCHEDULER_ENV} when set, else in this process)",
    )
    parser.set_defaults(func=main)


def is_dataset(args: argparse.Namespace) -> bool:
    """Several jobs, a pattern or --dataset."""
    return bool(args.dataset or len(args.jobs) > 1 or any(has_wildcard(j) for j in args.jobs))


def main(args: argparse.Namespace) -> int:
    """Run ``prowtui export``."""
    from prowtui.analysis.store import parse_location

    try:
        args.location = parse_location(args.output)
    except UsageError as exc:
        return usage_error(str(exc), "export")
    if is_dataset(args):
        return _dataset_main(args)
    dataset_only = {
        "--chunk": args.chunk is not None,
        "--overwrite": args.overwrite,
        "--resume": args.resume,
        "--workers": args.workers is not None,
        "--scheduler": args.scheduler is not None,
        "--break-lock": args.break_lock,
    }
    given = [name for name, used in dataset_only.items() if used]
    if given:
        return usage_error(
            f"{', '.join(given)}: only for a dataset export (several jobs, a pattern or --dataset)",
            "export",
        )
    args.job = args.jobs[0]
    return int(run(lambda: _export(args)) or 0)


async def _export(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from prowtui.analysis.export import export_job

    tables = check_tables(args.tables)
    location = args.location
    store = None
    if location.kind != "local":  # written locally, then each whole file uploaded
        from prowtui.analysis.store import open_store

        store = open_store(location)
        await asyncio.to_thread(store.prepare)
    source, path, concurrency = await open_job_source(args)
    try:
        with contextlib.ExitStack() as stack:
            out = location.path
            if store is not None:
                out = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="prowtui-")))
            with ProgressReport("export") as progress:
                result = await export_job(
                    source,
                    path,
                    out,
                    limit=args.limit,
                    tables=tables,
                    concurrency=concurrency,
                    on_progress=progress,
                )
            if store is not None:
                files = [*result.paths.values()]
                files += [result.failures_path] if result.failures_path else []
                for file in files:
                    await asyncio.to_thread(store.publish, file, file.name)
    finally:
        await source.aclose()
    console = Console(highlight=False)
    header = Text("exported to ")
    header.append_text(inert_text(location.url))
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


# -- datasets --------------------------------------------------------------------------------


def make_engine(args: argparse.Namespace) -> Engine:
    """In-process, a LocalCluster of --workers, or the cluster at --scheduler / the env."""
    from prowtui.analysis.dataset.engine import DaskEngine, InProcessEngine

    if args.workers is not None:
        return DaskEngine(workers=args.workers)
    scheduler = args.scheduler or os.environ.get(SCHEDULER_ENV, "").strip()
    if scheduler:
        return DaskEngine(scheduler=scheduler)
    return InProcessEngine()


def _dataset_main(args: argparse.Namespace) -> int:
    if args.offline:
        return usage_error(
            "--offline: a dataset export does not read the cache (its complete parts are "
            "what it keeps between runs)",
            "export",
        )
    try:
        spec, paths = resolve_job_dirs(args.source, args.jobs, "dataset")
        tables = check_tables(args.tables)
    except UsageError as exc:
        return usage_error(str(exc), "export")
    try:
        result = _run_dataset(args, spec, paths, tables)
    except UsageError as exc:
        return usage_error(str(exc), "export")
    except ProwtuiError as exc:
        return fail(str(exc), "export")
    except KeyboardInterrupt:
        print(
            "prowtui: interrupted (complete parts are kept; run again to resume)", file=sys.stderr
        )
        return 130
    print_summary(result)
    return 0 if result.ok else 1


def _run_dataset(
    args: argparse.Namespace, spec: SourceSpec, paths: list[str], tables: tuple[str, ...]
) -> DatasetResult:
    from prowtui.analysis.dataset.export import DatasetOptions, export_dataset
    from prowtui.config import load_config

    config = load_config()
    options = DatasetOptions(
        tables=tables,
        chunk=args.chunk or DEFAULT_CHUNK,
        concurrency=args.concurrency or config.concurrency_for(spec.kind),
        limit=args.limit,
        overwrite=args.overwrite,
        source_options={"timeout": config.timeout, "retries": config.retries},
    )
    engine = make_engine(args)
    ensure_demo(spec)
    with DatasetProgressReport() as progress:
        return export_dataset(
            spec,
            paths,
            args.location.path or args.location.url,
            options=options,
            engine=engine,
            progress=progress,
            break_lock=args.break_lock,
        )


class DatasetProgressReport:
    """One progress bar over every chunk: builds fetched of the total, failed chunks.

    A Rich bar on a terminal's stderr, else a plain line every tenth of the way.
    """

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream or sys.stderr
        self._bar: Progress | None = None
        self._task: Any = None
        self._total = 0
        self._last_tenth = -1

    def __enter__(self) -> DatasetProgressReport:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    def start(self, total_builds: int, chunks: int) -> None:
        self._total = total_builds
        print(
            f"prowtui: export: {chunks:,} chunk(s) to write, {total_builds:,} build(s) to fetch",
            file=self.stream,
            flush=True,
        )
        if not self.stream.isatty() or not chunks:
            return
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._bar = Progress(
            TextColumn("export"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("builds · {task.fields[failed]} failed chunk(s)"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=Console(file=self.stream),
            transient=True,
        )
        self._bar.start()
        self._task = self._bar.add_task("export", total=total_builds, failed=0)

    def update(self, fetched: int, failed_chunks: int) -> None:
        if self._bar is not None:
            self._bar.update(self._task, completed=fetched, failed=failed_chunks)
            return
        tenth = (10 * fetched) // self._total if self._total else 10
        if tenth != self._last_tenth:
            self._last_tenth = tenth
            print(
                f"prowtui: export: {fetched:,}/{self._total:,} builds, "
                f"{failed_chunks} failed chunk(s)",
                file=self.stream,
                flush=True,
            )


def print_summary(result: DatasetResult) -> None:
    """The run's figures on stdout; failures and unmatched patterns on stderr (inert)."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(highlight=False)
    header = Text(f"dataset of {result.jobs:,} job(s) in ")
    header.append_text(inert_text(str(result.root)))
    header.append(f" ({result.engine}, {result.seconds:.1f} s)")
    console.print(header, soft_wrap=True)
    table = Table(show_header=False)
    table.add_column("")
    table.add_column("", justify="right")
    table.add_row("parts written", f"{result.parts_written:,}")
    table.add_row("complete parts kept", f"{result.parts_skipped:,}")
    table.add_row("builds fetched", f"{result.builds_fetched:,}")
    table.add_row("builds copied from the parts rewritten", f"{result.builds_copied:,}")
    table.add_row("builds in complete parts", f"{result.builds_skipped:,}")
    table.add_row("builds still running (fetched again next run)", f"{result.unfinished:,}")
    for name, rows in result.rows.items():
        table.add_row(f"{name} rows written", f"{rows:,}")
    console.print(table)
    for pattern in result.unmatched:
        print(f"prowtui: warning: no job matches {inert(pattern)}", file=sys.stderr)
    if result.failed_jobs:
        print(
            f"prowtui: error: {len(result.failed_jobs)} job(s) could not be listed:",
            file=sys.stderr,
        )
        for path, reason in result.failed_jobs:
            print(f"  {inert(path)}: {inert(reason)}", file=sys.stderr)
    if result.failed_chunks:
        print(
            f"prowtui: error: {len(result.failed_chunks)} chunk(s) failed "
            "(the next run tries them again):",
            file=sys.stderr,
        )
        for failed in result.failed_chunks:
            print(
                f"  {inert(failed.job)} {inert(failed.part)}: {inert(failed.reason)}",
                file=sys.stderr,
            )

"""Export one job to parquet: builds, build logs, events and junit rows, written as builds arrive.

Each file is written by a :class:`AtomicParquetWriter`: row groups go to a hidden temporary
file in the output directory (``.NAME.parquet.<pid>.tmp``) as builds arrive, and only a
complete file is fsynced and renamed over ``NAME.parquet``. A crash, SIGINT or SIGKILL at any
moment therefore leaves the previous complete file or none. Memory is bounded: the crawl keeps
a window of builds in flight, build logs are spooled to disk above a few MB, and ``log`` rows
are flushed in small row groups (one log in memory at a time when logs are big).

Builds whose fetches fail permanently are left out of every table and listed, with the error,
in ``failures.parquet`` (written on every run; empty when nothing failed).
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from prowtui.analysis.crawl import (
    DEFAULT_CONCURRENCY,
    BuildCrawl,
    CrawlOptions,
    JobCrawler,
    ProgressCallback,
)
from prowtui.analysis.store import fsync_dir
from prowtui.analysis.tables import TABLES, check_tables
from prowtui.prow.jobs import parse_job_path
from prowtui.sources.base import Source, normalize_dir

TS = pa.timestamp("us", tz="UTC")
#: parquet names a list item "element"; declaring it so makes written and read schemas equal
LIST_OF_STRINGS = pa.list_(pa.field("element", pa.string()))

BUILDS_SCHEMA = pa.schema(
    [
        ("build_id", pa.string()),
        ("job", pa.string()),
        ("path", pa.string()),
        ("result", pa.string()),
        ("passed", pa.bool_()),
        ("started", TS),
        ("finished", TS),
        ("duration_s", pa.float64()),
        ("revision", pa.string()),
        ("top_level_entries", LIST_OF_STRINGS),
        ("artifact_entries", LIST_OF_STRINGS),
        ("log_bytes", pa.int64()),
        ("log_chars", pa.int64()),
        ("log_words", pa.int64()),
        ("log_lines", pa.int64()),
    ]
)

EVENTS_SCHEMA = pa.schema(
    [
        ("build_id", pa.string()),
        ("source_file", pa.string()),
        ("uid", pa.string()),
        ("namespace", pa.string()),
        ("name", pa.string()),
        ("reason", pa.string()),
        ("type", pa.string()),
        ("message", pa.string()),
        ("count", pa.int64()),
        ("first_timestamp", TS),
        ("last_timestamp", TS),
        ("source_component", pa.string()),
        ("involved_kind", pa.string()),
        ("involved_name", pa.string()),
    ]
)

JUNIT_SCHEMA = pa.schema(
    [
        ("build_id", pa.string()),
        ("file", pa.string()),
        ("suite", pa.string()),
        ("classname", pa.string()),
        ("name", pa.string()),
        ("time_s", pa.float64()),
        ("status", pa.string()),
        ("message", pa.string()),
    ]
)

FAILURES_SCHEMA = pa.schema(
    [("build_id", pa.string()), ("path", pa.string()), ("error", pa.string())]
)


def _build_logs_schema() -> pa.Schema:
    """``log`` plus the index ``build_id``, with the pandas metadata that restores the index.

    The metadata is written out here (pandas' documented ``pandas`` schema key) rather than
    taken from ``Schema.from_pandas``, so that exporting never imports pandas (half a second
    of every run); ``pd.read_parquet`` gives back a frame indexed by ``build_id``.
    """

    def column(name: str | None) -> dict[str, Any]:
        return {
            "name": name,
            "field_name": name,
            "pandas_type": "unicode",
            "numpy_type": "object",
            "metadata": None if name else {"encoding": "UTF-8"},
        }

    try:
        pandas_version = importlib.metadata.version("pandas")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - pandas is a dependency
        pandas_version = "2.0.0"
    pandas_meta = {
        "index_columns": ["build_id"],
        "column_indexes": [column(None)],
        "columns": [column("log"), column("build_id")],
        "attributes": {},
        "creator": {"library": "pyarrow", "version": pa.__version__},
        "pandas_version": pandas_version,
    }
    return pa.schema(
        [("log", pa.string()), ("build_id", pa.string())],
        metadata={b"pandas": json.dumps(pandas_meta).encode()},
    )


BUILD_LOGS_SCHEMA = _build_logs_schema()

SCHEMAS: dict[str, pa.Schema] = {
    "builds": BUILDS_SCHEMA,
    "build_logs": BUILD_LOGS_SCHEMA,
    "events": EVENTS_SCHEMA,
    "junit": JUNIT_SCHEMA,
    "failures": FAILURES_SCHEMA,
}

#: rows per row group (builds, events, junit, failures)
ROW_GROUP_ROWS = 1000
#: a build_logs row group is flushed once it holds this many bytes of log text
LOG_GROUP_BYTES = 8 << 20
LOG_GROUP_ROWS = 64

_TEMP = re.compile(r"^\.(?P<final>[A-Za-z_]+\.parquet)\.(?P<pid>[0-9]+)\.tmp$")
_SPOOL = re.compile(r"^\.prowtui-spool-(?P<pid>[0-9]+)-")


class AtomicParquetWriter:
    """Write row groups to a hidden temp file; :meth:`commit` makes it appear whole."""

    def __init__(
        self,
        final: Path,
        schema: pa.Schema,
        *,
        group_rows: int = ROW_GROUP_ROWS,
        group_bytes: int | None = None,
        tag: str | None = None,
    ) -> None:
        self.final = final
        self.schema = schema
        # the tag (default: this process id) tells whose temporary file it is
        self.temp = final.with_name(f".{final.name}.{tag or os.getpid()}.tmp")
        self.group_rows = group_rows
        self.group_bytes = group_bytes
        self.rows = 0
        self._buffer: list[dict[str, Any]] = []
        self._buffer_bytes = 0
        self._writer = pq.ParquetWriter(self.temp, schema)

    def add(self, row: dict[str, Any], size: int = 0) -> None:
        """Buffer one row; a full group is written out."""
        self._buffer.append(row)
        self._buffer_bytes += size
        full = len(self._buffer) >= self.group_rows
        if full or (self.group_bytes is not None and self._buffer_bytes >= self.group_bytes):
            self.flush()

    def flush(self) -> None:
        """Write the buffered rows as one row group."""
        if not self._buffer:
            return
        table = pa.Table.from_pylist(self._buffer, schema=self.schema)
        self._writer.write_table(table)
        self.rows += len(self._buffer)
        self._buffer = []
        self._buffer_bytes = 0

    def write_table(self, table: pa.Table) -> None:
        """Write rows that are already a table (after the buffered ones), as row groups."""
        self.flush()
        self._writer.write_table(table, row_group_size=self.group_rows)
        self.rows += table.num_rows

    def commit(self) -> Path:
        """Flush, close, fsync and rename over the final name (then fsync the directory)."""
        self.flush()
        self._writer.close()
        with open(self.temp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(self.temp, self.final)
        fsync_dir(self.final.parent)
        return self.final

    def abort(self) -> None:
        """Drop the temporary file (the previous final file, if any, stays)."""
        with contextlib.suppress(Exception):
            self._writer.close()
        with contextlib.suppress(FileNotFoundError):
            self.temp.unlink()


def remove_stale_temps(out_dir: Path) -> list[Path]:
    """Delete temp files and spool dirs left by exports that were killed (process gone)."""
    removed = []
    for path in out_dir.iterdir():
        match = _TEMP.match(path.name) or _SPOOL.match(path.name)
        if not match:
            continue
        pid = int(match["pid"])
        if pid != os.getpid() and pid_alive(pid):
            continue
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        removed.append(path)
    return removed


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` of this host still runs (one of another user counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass
class ExportResult:
    """Where the files are, how many rows each holds, and the builds that failed."""

    paths: dict[str, Path] = field(default_factory=dict)
    row_counts: dict[str, int] = field(default_factory=dict)
    failures: list[tuple[str, str, str]] = field(default_factory=list)
    failures_path: Path | None = None


def build_row(crawl: BuildCrawl, job: str) -> dict[str, Any]:
    """One ``builds.parquet`` row."""
    started = crawl.started.timestamp if crawl.started else None
    finished = crawl.finished.timestamp if crawl.finished else None
    duration = (finished - started).total_seconds() if started and finished else None
    revision = (crawl.finished.revision if crawl.finished else None) or (
        crawl.started.repo_commit if crawl.started else None
    )
    log = crawl.log
    return {
        "build_id": crawl.build_id,
        "job": job,
        "path": crawl.path,
        "result": crawl.result,
        "passed": crawl.finished.passed if crawl.finished else None,
        "started": started,
        "finished": finished,
        "duration_s": duration,
        "revision": revision,
        "top_level_entries": list(crawl.top_level),
        "artifact_entries": list(crawl.artifacts),
        "log_bytes": crawl.log_bytes,
        "log_chars": log.chars if log else 0,
        "log_words": log.words if log else 0,
        "log_lines": log.lines if log else 0,
    }


def event_rows(crawl: BuildCrawl) -> Iterable[dict[str, Any]]:
    """``events.parquet`` rows of one build."""
    for source_file, ev in crawl.events:
        yield {
            "build_id": crawl.build_id,
            "source_file": source_file,
            "uid": ev.uid,
            "namespace": ev.namespace,
            "name": ev.name,
            "reason": ev.reason,
            "type": ev.type,
            "message": ev.message,
            "count": ev.count,
            "first_timestamp": ev.first_timestamp,
            "last_timestamp": ev.last_timestamp,
            "source_component": ev.source_component,
            "involved_kind": ev.involved_kind,
            "involved_name": ev.involved_name,
        }


def junit_rows(crawl: BuildCrawl) -> Iterable[dict[str, Any]]:
    """``junit.parquet`` rows of one build."""
    for file, case in crawl.junit:
        yield {
            "build_id": crawl.build_id,
            "file": file,
            "suite": case.suite,
            "classname": case.classname,
            "name": case.name,
            "time_s": case.time_s,
            "status": str(case.status),
            "message": case.message,
        }


def open_writers(
    paths: Mapping[str, Path],
    *,
    schemas: Mapping[str, pa.Schema] = SCHEMAS,
    group_rows: int = ROW_GROUP_ROWS,
    tag: str | None = None,
) -> dict[str, AtomicParquetWriter]:
    """One :class:`AtomicParquetWriter` per table (``paths``: table name → final file);
    ``build_logs`` gets small, byte-bounded row groups. On an error none is left open."""
    writers: dict[str, AtomicParquetWriter] = {}
    try:
        for name, path in paths.items():
            if name == "build_logs":
                writers[name] = AtomicParquetWriter(
                    path,
                    schemas[name],
                    group_rows=min(group_rows, LOG_GROUP_ROWS),
                    group_bytes=LOG_GROUP_BYTES,
                    tag=tag,
                )
            else:
                writers[name] = AtomicParquetWriter(
                    path, schemas[name], group_rows=group_rows, tag=tag
                )
    except BaseException:
        for writer in writers.values():
            writer.abort()
        raise
    return writers


def crawl_options(tables: Iterable[str], spool_dir: str | None = None) -> CrawlOptions:
    """What the crawl must fetch for these tables."""
    chosen = set(tables)
    return CrawlOptions(
        content="builds" in chosen or "build_logs" in chosen,
        keep_logs="build_logs" in chosen,
        details="events" in chosen or "junit" in chosen,
        spool_dir=spool_dir,
    )


async def export_job(
    source: Source,
    job_path: str,
    out_dir: Path | str,
    *,
    limit: int | None = None,
    tables: Iterable[str] = TABLES,
    concurrency: int = DEFAULT_CONCURRENCY,
    on_progress: ProgressCallback | None = None,
    group_rows: int = ROW_GROUP_ROWS,
) -> ExportResult:
    """Crawl ``job_path`` and write the chosen parquet tables (plus ``failures.parquet``).

    Files are replaced only when complete; on any error or cancellation the temporary files
    are removed and the previous files stay.
    """
    chosen = check_tables(tables)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(out)
    job_path = normalize_dir(job_path)
    job_name = parse_job_path(job_path).name
    result = ExportResult()
    with tempfile.TemporaryDirectory(prefix=f".prowtui-spool-{os.getpid()}-", dir=out) as spool_dir:
        options = crawl_options(chosen, spool_dir)
        crawler = JobCrawler(
            source,
            job_path,
            limit=limit,
            concurrency=concurrency,
            options=options,
            on_progress=on_progress,
        )
        writers = open_writers(
            {name: out / f"{name}.parquet" for name in chosen}, group_rows=group_rows
        )
        failures = AtomicParquetWriter(
            out / "failures.parquet", FAILURES_SCHEMA, group_rows=group_rows
        )
        try:
            async for crawl in crawler.builds():
                try:
                    if crawl.error is not None:
                        result.failures.append((crawl.build_id, crawl.path, crawl.error))
                        failures.add(
                            {"build_id": crawl.build_id, "path": crawl.path, "error": crawl.error}
                        )
                        continue
                    write_build(crawl, job_name, writers)
                finally:
                    crawl.close()
            for name, writer in writers.items():
                result.paths[name] = writer.commit()
                result.row_counts[name] = writer.rows
            result.failures_path = failures.commit()
        except BaseException:
            for writer in writers.values():
                writer.abort()
            failures.abort()
            raise
    return result


def write_build(crawl: BuildCrawl, job: str, writers: Mapping[str, AtomicParquetWriter]) -> None:
    """Add one crawled build's rows to the writers of the tables being exported."""
    if "builds" in writers:
        writers["builds"].add(build_row(crawl, job))
    if "build_logs" in writers:
        log = crawl.log
        text = log.text() if log is not None and log.spool is not None else None
        if log is not None and log.size == 0 and crawl.log_bytes is None:
            text = None  # no build-log.txt at all: unknown, not empty
        writers["build_logs"].add({"log": text, "build_id": crawl.build_id}, size=len(text or ""))
    if "events" in writers:
        for row in event_rows(crawl):
            writers["events"].add(row)
    if "junit" in writers:
        for row in junit_rows(crawl):
            writers["junit"].add(row)

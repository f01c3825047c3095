"""One chunk → one part file per table, on whatever process runs it.

A :class:`ChunkTask` is plain, picklable data: the source *spec* (never an open source), the
builds to fetch, the rows to copy from the part it supersedes, and where to write (a
directory or a bucket URL, see :mod:`prowtui.analysis.store`). Any process can run it:
:func:`run_chunk` opens its own source and store, fetches and writes every table.

- In a directory, each table goes to a temporary name (``.part-A-B.parquet.<host>-<pid>.tmp``)
  and the files are renamed only when all of them are whole.
- In a bucket, each table is written to a local spool directory of this process
  (``$TMPDIR/prowtui-part-<pid>-<part>-*``), then each whole file is uploaded under its key, the
  builds table last. Credentials and endpoints come from this process's environment.

On any error or cancellation the temporary files are removed and nothing new is visible.

Workers read the bucket **without the on-disk cache**: the complete parts are a bulk
export's cache (a re-run skips them), and copying every build log into each worker's
size-capped cache would only evict what interactive use keeps there.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from prowtui.analysis.crawl import JobCrawler
from prowtui.analysis.dataset.layout import DATASET_SCHEMAS, part_key, part_path
from prowtui.analysis.dataset.manifest import PartRecord, utc_now
from prowtui.analysis.dataset.plan import Chunk
from prowtui.analysis.export import (
    AtomicParquetWriter,
    crawl_options,
    open_writers,
    pid_alive,
    write_build,
)
from prowtui.analysis.store import Store, holder_tag, open_store
from prowtui.sources.base import Source
from prowtui.sources.resolve import SourceSpec, open_backend

#: builds a part holds per row group of the copied rows (kept small: build logs are big)
COPY_BATCH_ROWS = 64
#: how often a running chunk asks whether it should stop (seconds)
STOP_POLL_SECONDS = 0.2
#: the local spool directories of chunks written to a bucket (``<prefix><pid>-<random>``)
SPOOL_PREFIX = "prowtui-part-"


class ChunkCancelled(Exception):
    """The client gave up on the run (Ctrl-C): the chunk stops and writes nothing."""


@dataclass(frozen=True)
class ChunkTask:
    """Everything a process needs to write one part (picklable)."""

    #: the dataset's directory or bucket URL (``s3://…``, ``gs://…``)
    root: str
    chunk: Chunk
    spec: SourceSpec
    source_options: dict[str, Any] = field(default_factory=dict)
    concurrency: int = 8
    run_id: str = ""

    @property
    def key(self) -> str:
        """A name for the task, unique within a run (Dask task key)."""
        return f"prowtui-chunk-{self.run_id}-{self.chunk.job}-{self.chunk.name}"


@dataclass
class ChunkResult:
    """What a chunk wrote: the part's record plus what it cost."""

    job: str
    part: PartRecord
    replaces: str | None
    fetched: int
    copied: int
    seconds: float
    worker: str

    @property
    def failed(self) -> list[dict[str, str]]:
        """Builds that could not be exported (the part is then incomplete)."""
        return self.part.failed


def _copy_rows(
    writers: dict[str, AtomicParquetWriter], sources: dict[str, Path], keep: tuple[str, ...]
) -> None:
    """Copy the rows of the ``keep`` builds from the superseded part's files."""
    wanted = pa.array(keep, pa.string())
    for table, writer in writers.items():
        parquet = pq.ParquetFile(sources[table])
        for batch in parquet.iter_batches(batch_size=COPY_BATCH_ROWS):
            rows = batch.filter(pc.is_in(batch.column("build_id"), value_set=wanted))
            if rows.num_rows:
                copied = pa.Table.from_batches([rows]).replace_schema_metadata(
                    writer.schema.metadata
                )
                writer.write_table(copied)


def _copyable(store: Store, chunk: Chunk, spool: Path | None) -> dict[str, Path] | None:
    """The superseded part's files (local, or downloaded into ``spool``) when each exists
    with this version's schema, else None."""
    if chunk.carry is None:
        return None
    files: dict[str, Path] = {}
    try:
        for table in chunk.tables:
            key = part_key(table, chunk.job, chunk.carry.part)
            path = files[table] = store.fetch(key, spool or Path("."))
            if not pq.read_schema(path).equals(DATASET_SCHEMAS[table], check_metadata=False):
                return None
    except (OSError, pa.ArrowException):
        return None
    return files


def remove_stale_spools() -> None:
    """Delete spool directories of chunk processes of this host that died (SIGKILL)."""
    base = Path(tempfile.gettempdir())
    for path in base.glob(f"{SPOOL_PREFIX}*"):
        pid = path.name[len(SPOOL_PREFIX) :].partition("-")[0]
        if pid.isdigit() and int(pid) != os.getpid() and not pid_alive(int(pid)):
            shutil.rmtree(path, ignore_errors=True)


def _publish_all(store: Store, files: list[tuple[Path, str]]) -> None:
    for local, key in files:
        store.publish(local, key)


async def _publish(store: Store, files: list[tuple[Path, str]]) -> None:
    """Upload the whole files; a cancellation waits for the upload under way to end (it
    cannot be stopped halfway), so that what it leaves is a whole, unrecorded part that
    the client removes."""
    work = asyncio.ensure_future(asyncio.to_thread(_publish_all, store, files))
    try:
        await asyncio.shield(work)
    except asyncio.CancelledError:
        with contextlib.suppress(BaseException):
            await work
        raise


async def export_chunk(
    source: Source,
    task: ChunkTask,
    *,
    on_build: Callable[[int], None] | None = None,
) -> ChunkResult:
    """Write ``task``'s part through ``source`` (see the module docstring)."""
    started = time.monotonic()
    store = open_store(task.root)
    chunk = task.chunk
    keys = {t: part_key(t, chunk.job, chunk.name) for t in chunk.tables}
    spool: Path | None = None
    if store.remote:
        remove_stale_spools()
        spool = Path(tempfile.mkdtemp(prefix=f"{SPOOL_PREFIX}{os.getpid()}-{chunk.name}-"))
        paths = {t: spool / f"{t}.parquet" for t in chunk.tables}
    else:
        root = Path(task.root)
        paths = {t: part_path(root, t, chunk.job, chunk.name) for t in chunk.tables}
        for path in paths.values():
            path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fetch = list(chunk.fetch)
        keep: tuple[str, ...] = ()
        copy_from = await asyncio.to_thread(_copyable, store, chunk, spool)
        if chunk.carry is not None:
            if copy_from is not None:
                keep = chunk.carry.keep
            else:  # nothing usable to copy from: fetch those builds again (if still listed)
                fetch = sorted([*chunk.carry.refs, *fetch], key=lambda ref: int(ref.build_id))
        tag = holder_tag()
        unfinished: list[str] = []
        failed: list[dict[str, str]] = []
        writers = open_writers(paths, schemas=DATASET_SCHEMAS, tag=tag)
        try:
            if keep and copy_from is not None:
                await asyncio.to_thread(_copy_rows, writers, copy_from, keep)
            job_path = fetch[0].path.rstrip("/").rpartition("/")[0] + "/" if fetch else ""
            crawler = JobCrawler(
                source,
                job_path,
                concurrency=task.concurrency,
                options=crawl_options(chunk.tables),
                builds=fetch,
            )
            done = 0
            async for crawl in crawler.builds():
                try:
                    done += 1
                    if crawl.error is not None:
                        failed.append(
                            {"build_id": crawl.build_id, "path": crawl.path, "error": crawl.error}
                        )
                        continue
                    write_build(crawl, chunk.job, writers)
                    if "finished.json" not in crawl.files:
                        unfinished.append(crawl.build_id)
                finally:
                    crawl.close()
                if on_build is not None:
                    on_build(done)
            # the builds table last: the other files are in place when it appears
            order = sorted(writers, key=lambda t: t == "builds")
            for table in order:
                writers[table].commit()
        except BaseException:
            for writer in writers.values():
                writer.abort()
            raise
        if store.remote:
            await _publish(store, [(paths[t], keys[t]) for t in order])
    finally:
        if spool is not None:
            shutil.rmtree(spool, ignore_errors=True)
    part = PartRecord(
        name=chunk.name,
        builds=[*keep, *(ref.build_id for ref in fetch)],
        tables=list(chunk.tables),
        files=dict(keys),
        rows={t: w.rows for t, w in writers.items()},
        unfinished=unfinished,
        failed=failed,
        written=utc_now(),
        worker=tag,
    )
    return ChunkResult(
        job=chunk.job,
        part=part,
        replaces=chunk.replaces,
        fetched=len(fetch),
        copied=len(keep),
        seconds=time.monotonic() - started,
        worker=tag,
    )


def open_chunk_source(task: ChunkTask) -> Source:
    """The task's own source, opened from its spec, without the on-disk cache."""
    return open_backend(task.spec, concurrency=task.concurrency, **task.source_options)


async def run_chunk_async(
    task: ChunkTask,
    *,
    on_build: Callable[[int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> ChunkResult:
    """Open the task's source, write its part, close the source.

    ``should_stop`` is polled every :data:`STOP_POLL_SECONDS`; when it answers True the
    chunk is cancelled at once (its temporary files removed) and ChunkCancelled raised.
    """
    source = open_chunk_source(task)
    work = asyncio.ensure_future(export_chunk(source, task, on_build=on_build))
    stopped = False

    async def watch() -> None:
        nonlocal stopped
        assert should_stop is not None
        while not work.done():
            await asyncio.sleep(STOP_POLL_SECONDS)
            if should_stop():
                stopped = True
                work.cancel()
                return

    watcher = asyncio.ensure_future(watch()) if should_stop is not None else None
    try:
        return await work
    except asyncio.CancelledError:
        if stopped:
            raise ChunkCancelled(f"{task.chunk.job} {task.chunk.name}: cancelled") from None
        raise
    finally:
        if watcher is not None:
            watcher.cancel()
        await source.aclose()


def run_chunk(
    task: ChunkTask,
    *,
    on_build: Callable[[int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> ChunkResult:
    """Synchronous entry point for worker processes and threads (runs its own event loop)."""
    return asyncio.run(run_chunk_async(task, on_build=on_build, should_stop=should_stop))

"""Export many jobs to one hive-partitioned parquet dataset: plan, run the chunks, record.

:func:`export_dataset` is the client side of a run, whatever the engine:

1. take the dataset's lock (one run at a time per directory or bucket prefix) and read its
   manifest;
2. expand the job patterns and list every job's builds (one listing per job directory);
3. remove what killed runs left (temporary files, part files the manifest does not list,
   unfinished multipart uploads);
4. plan the chunks (:mod:`~prowtui.analysis.dataset.plan`) and hand them to the engine;
5. record each part in the manifest as it arrives (saved at most every second, then always
   at the end, also after an error or Ctrl-C) and delete the files of parts it replaces;
6. at the end, whatever happened, remove temporary files and part files that were not
   recorded (a chunk cut short, or finished after the run was interrupted): every part
   file left in the dataset is one the manifest lists.

The output is a :class:`~prowtui.analysis.store.Store`: a directory, or a bucket prefix
(``s3://…``, ``gs://…``) that every worker writes its parts to directly.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from prowtui.analysis.crawl import DEFAULT_CONCURRENCY
from prowtui.analysis.dataset.chunk import ChunkResult, ChunkTask
from prowtui.analysis.dataset.defaults import DEFAULT_CHUNK
from prowtui.analysis.dataset.engine import Engine, InProcessEngine
from prowtui.analysis.dataset.jobs import Discovery, JobBuilds, discover
from prowtui.analysis.dataset.layout import LOCK, MANIFEST, PART_FILE, TEMP_FILE, partition_dir
from prowtui.analysis.dataset.manifest import Manifest
from prowtui.analysis.dataset.plan import JobPlan, plan_job
from prowtui.analysis.store import LocalStore, Store, open_store
from prowtui.analysis.tables import TABLES, check_tables
from prowtui.errors import ProwtuiError, UsageError
from prowtui.sources.resolve import SourceSpec, open_backend

#: where part objects live under the root (unfinished uploads elsewhere are not ours)
TABLE_PREFIXES = tuple(f"{table}/" for table in TABLES)
#: the manifest is saved at most this often while chunks arrive (seconds)
SAVE_INTERVAL = 1.0


class DatasetProgress(Protocol):
    """Progress over the whole run (builds to fetch, over all chunks)."""

    def start(self, total_builds: int, chunks: int) -> None:
        """The plan is made: ``total_builds`` to fetch in ``chunks`` chunks."""

    def update(self, fetched: int, failed_chunks: int) -> None:
        """``fetched`` builds done so far; ``failed_chunks`` chunks failed."""


@dataclass(frozen=True)
class DatasetOptions:
    """What to export and how: tables, chunk size, requests in flight per process."""

    tables: tuple[str, ...] = TABLES
    chunk: int = DEFAULT_CHUNK
    concurrency: int = DEFAULT_CONCURRENCY
    limit: int | None = None
    overwrite: bool = False
    #: passed to the source of every process (``timeout``, ``retries``)
    source_options: dict[str, Any] = field(default_factory=dict)


@dataclass
class FailedChunk:
    """A chunk that failed for good (or wrote a part with failed builds), and why."""

    job: str
    part: str
    reason: str


@dataclass
class DatasetResult:
    """What a run did (``root`` and ``manifest``: paths, or URLs for a bucket)."""

    root: Path | str
    manifest: Path | str
    engine: str
    jobs: int = 0
    parts_written: int = 0
    parts_skipped: int = 0
    builds_fetched: int = 0
    builds_copied: int = 0
    builds_skipped: int = 0
    unfinished: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    failed_chunks: list[FailedChunk] = field(default_factory=list)
    failed_jobs: list[tuple[str, str]] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """No chunk and no job failed."""
        return not self.failed_chunks and not self.failed_jobs


@contextlib.contextmanager
def dataset_lock(root: Path | str, *, break_lock: bool = False) -> Iterator[None]:
    """Hold the dataset's lock (one export per dataset at a time); see
    :meth:`~prowtui.analysis.store.Store.lock`."""
    with open_store(root).lock(LOCK, break_lock=break_lock):
        yield


def source_doc(spec: SourceSpec) -> dict[str, str]:
    """How the manifest names the source."""
    return {"kind": spec.kind, "bucket": spec.bucket, "describe": spec.describe()}


def _check_source(manifest: Manifest, spec: SourceSpec) -> None:
    """A dataset holds one bucket (read through gcsweb or the GCS API alike)."""
    old = manifest.source
    web = ("gcs", "gcsweb")
    if spec.kind in web:
        same = old.get("kind") in web and old.get("bucket") == spec.bucket
    else:
        same = old.get("kind") == spec.kind and old.get("describe") == spec.describe()
    if not same:
        raise UsageError(
            f"the dataset holds {old.get('describe', 'another source')}, not "
            f"{spec.describe()}: choose another output directory"
        )


def remove_strays(store: Store, manifest: Manifest, jobs: Sequence[str]) -> int:
    """Delete temporary files and unrecorded part files of ``jobs``; forget recorded parts
    whose files are gone. Returns how many files were removed.

    One recursive listing per table (a bucket lists a thousand keys per request)."""
    removed = 0
    by_dir = {partition_dir(job): job for job in jobs}
    recorded: dict[str, set[str]] = {}
    for job in jobs:
        record = manifest.jobs.get(job)
        recorded[job] = (
            {f for part in record.parts.values() for f in part.files.values()} if record else set()
        )
    present: dict[str, set[str]] = {job: set() for job in jobs}
    for table in TABLES:
        for key in store.list(f"{table}/"):
            segments = key.split("/")
            if len(segments) != 3 or segments[1] not in by_dir:
                continue
            job, name = by_dir[segments[1]], segments[2]
            if TEMP_FILE.match(name) or (PART_FILE.match(name) and key not in recorded[job]):
                store.delete(key)
                removed += 1
            elif key in recorded[job]:
                present[job].add(key)
    for job in jobs:
        record = manifest.jobs.get(job)
        if not record:
            continue
        for name, part in list(record.parts.items()):
            if not set(part.files.values()) <= present[job]:
                del record.parts[name]
                for key in part.files.values():  # the rest of a part cut short
                    if key in present[job]:
                        store.delete(key)
                        removed += 1
    return removed


class _Recorder:
    """Records finished chunks in the manifest and keeps the progress numbers."""

    def __init__(
        self,
        store: Store,
        manifest: Manifest,
        result: DatasetResult,
        progress: DatasetProgress | None,
    ) -> None:
        self.store = store
        self.manifest = manifest
        self.result = result
        self.bar = progress
        self.fetched: dict[str, int] = {}
        self.doomed: list[str] = []
        self.dirty = False
        self.saved_at = 0.0

    def _update(self) -> None:
        if self.bar is not None:
            self.bar.update(sum(self.fetched.values()), len(self.result.failed_chunks))

    def progress(self, task: ChunkTask, fetched: int) -> None:
        self.fetched[task.key] = max(self.fetched.get(task.key, 0), fetched)
        self._update()

    def finished(self, task: ChunkTask, result: ChunkResult) -> None:
        job = self.manifest.job(result.job)
        if result.replaces and result.replaces in job.parts:
            old = job.parts.pop(result.replaces)
            self.doomed += list(old.files.values())
        job.parts[result.part.name] = result.part
        part = result.part
        self.result.parts_written += 1
        self.result.builds_fetched += result.fetched
        self.result.builds_copied += result.copied
        self.result.unfinished += len(part.unfinished)
        for table, n in part.rows.items():
            self.result.rows[table] = self.result.rows.get(table, 0) + n
        if part.failed:
            first = part.failed[0]
            self.result.failed_chunks.append(
                FailedChunk(
                    result.job,
                    part.name,
                    f"{len(part.failed)} build(s) failed, e.g. {first['build_id']}: "
                    f"{first['error']}",
                )
            )
        self.fetched[task.key] = len(task.chunk.fetch)
        self.dirty = True
        self._update()
        self.save(force=False)

    def failed(self, task: ChunkTask, reason: str) -> None:
        self.result.failed_chunks.append(FailedChunk(task.chunk.job, task.chunk.name, reason))
        self.fetched[task.key] = len(task.chunk.fetch)
        self._update()

    def save(self, *, force: bool) -> None:
        """Save the manifest (at most every SAVE_INTERVAL unless forced), then delete the
        files of the parts it no longer lists."""
        now = time.monotonic()
        if not self.dirty or (not force and now - self.saved_at < SAVE_INTERVAL):
            return
        self.manifest.save(self.store)
        self.saved_at = now
        self.dirty = False
        for key in self.doomed:
            self.store.delete(key)
        self.doomed.clear()


async def _discover(spec: SourceSpec, targets: Sequence[str], options: DatasetOptions) -> Discovery:
    source = open_backend(spec, concurrency=options.concurrency, **options.source_options)
    try:
        return await discover(source, targets, options.limit)
    finally:
        await source.aclose()


def plan_dataset(
    manifest: Manifest, jobs: Sequence[JobBuilds], options: DatasetOptions
) -> list[JobPlan]:
    """The chunks of every job (see :func:`~prowtui.analysis.dataset.plan.plan_job`)."""
    return [
        plan_job(job, manifest.jobs.get(job.name), chunk=options.chunk, tables=options.tables)
        for job in jobs
    ]


def export_dataset(
    spec: SourceSpec,
    targets: Sequence[str],
    out: Path | str,
    *,
    options: DatasetOptions | None = None,
    engine: Engine | None = None,
    progress: DatasetProgress | None = None,
    break_lock: bool = False,
) -> DatasetResult:
    """Bring the dataset in ``out`` (a directory or a bucket URL) up to date with the jobs
    ``targets`` name.

    ``targets`` are job paths and patterns (:mod:`~prowtui.analysis.dataset.jobs`). Complete
    parts are kept (``options.overwrite`` drops the named jobs' parts first). Raises
    ProwtuiError when no job matches, the output cannot be written or holds another
    source's dataset, or another export holds the lock (``break_lock`` removes a lock a
    killed export left in a bucket first); failed jobs and chunks are in the result.
    """
    options = options or DatasetOptions()
    tables = check_tables(options.tables)
    options = DatasetOptions(**{**options.__dict__, "tables": tables})
    if options.chunk < 1:
        raise UsageError("--chunk must be at least 1")
    engine = engine or InProcessEngine()
    started = time.monotonic()
    store = open_store(out)
    store.prepare()
    root: Path | str = store.root if isinstance(store, LocalStore) else store.url
    if store.exists("builds.parquet"):
        raise UsageError(f"{store.url} holds a single-job export: write the dataset elsewhere")
    manifest_at = f"{store.url}/{MANIFEST}" if store.remote else Manifest.path(Path(root))
    result = DatasetResult(root=root, manifest=manifest_at, engine=engine.describe())
    with store.lock(LOCK, break_lock=break_lock):
        manifest = Manifest.load(store)
        if manifest is None:
            manifest = Manifest(source_doc(spec))
        else:
            _check_source(manifest, spec)
        found = asyncio.run(_discover(spec, targets, options))
        result.unmatched = found.unmatched
        result.failed_jobs = list(found.failed)
        jobs = []
        for job in found.jobs:
            if not job.name:
                result.failed_jobs.append((", ".join(job.paths), "not a job directory"))
            else:
                jobs.append(job)
        if not jobs and not result.failed_jobs:
            raise ProwtuiError(f"no job matches {' '.join(targets)}")
        names = [job.name for job in jobs]
        result.jobs = len(jobs)
        for job in jobs:
            record = manifest.job(job.name)
            if options.overwrite:
                record.parts.clear()
            record.paths = sorted(set(record.paths) | set(job.paths))
        manifest.save(store)  # before removing files: an unrecorded part is a stray
        store.abort_uploads(TABLE_PREFIXES)  # what killed workers left unfinished
        remove_strays(store, manifest, names)
        plans = plan_dataset(manifest, jobs, options)
        run_id = uuid.uuid4().hex[:12]
        tasks: list[ChunkTask] = []
        for plan in plans:
            result.parts_skipped += plan.skipped_parts
            result.builds_skipped += plan.skipped_builds
            record = manifest.job(plan.job)
            for name in plan.dropped:
                part = record.parts.pop(name)
                for key in part.files.values():
                    store.delete(key)
            tasks += [
                ChunkTask(
                    root=str(root),
                    chunk=chunk,
                    spec=spec,
                    source_options=dict(options.source_options),
                    concurrency=options.concurrency,
                    run_id=run_id,
                )
                for chunk in plan.chunks
            ]
        recorder = _Recorder(store, manifest, result, progress)
        recorder.dirty = True
        if progress is not None:
            progress.start(sum(len(t.chunk.fetch) for t in tasks), len(tasks))
        try:
            engine.run(tasks, recorder)
        finally:
            recorder.save(force=True)
            # after an error or Ctrl-C: what workers wrote but the client never recorded
            store.abort_uploads(TABLE_PREFIXES)
            remove_strays(store, manifest, names)
    result.seconds = time.monotonic() - started
    return result

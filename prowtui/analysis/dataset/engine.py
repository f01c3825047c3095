"""Where chunks run: in this process, or on Dask distributed (a ``LocalCluster`` or a cluster).

An engine takes the run's :class:`~prowtui.analysis.dataset.chunk.ChunkTask` list and reports
each chunk's progress, result or failure to an :class:`EngineEvents` on the calling thread.

- :class:`InProcessEngine`: an asyncio loop here, one source shared by the chunks, a couple
  of chunks at a time (the source's own concurrency bounds the requests in flight).
- :class:`DaskEngine`: one Dask task per chunk (``pure=False``, no retries: a chunk that
  raises has a reason worth reading, and a worker that dies is replaced and its chunk
  rescheduled by Dask itself). Workers open their own source from the task's spec. Progress
  within chunks comes back as Dask events on one topic; a chunk whose task was cancelled
  (Ctrl-C, or the client went away) stops between builds and writes nothing.

``dask`` and ``distributed`` are imported only inside :class:`DaskEngine`.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from prowtui.analysis.dataset.chunk import (
    ChunkResult,
    ChunkTask,
    export_chunk,
    open_chunk_source,
    run_chunk,
)

if TYPE_CHECKING:
    from distributed import Client

#: chunks written at once by the in-process engine
IN_PROCESS_PARALLEL = 2
#: Dask event topic carrying progress within chunks (one topic: the scheduler keeps a
#: bounded log per topic, so runs on a long-lived cluster do not pile up topics)
PROGRESS_TOPIC = "prowtui-progress"
#: a worker reports a chunk's progress at most this often (seconds)
PROGRESS_INTERVAL = 0.5


class EngineEvents(Protocol):
    """What an engine reports, always on the thread that called :meth:`Engine.run`."""

    def progress(self, task: ChunkTask, fetched: int) -> None:
        """``fetched`` builds of ``task`` are done (may repeat or restart after a retry)."""

    def finished(self, task: ChunkTask, result: ChunkResult) -> None:
        """The task wrote its part."""

    def failed(self, task: ChunkTask, reason: str) -> None:
        """The task failed for good; nothing was written."""


class Engine(Protocol):
    """Runs chunk tasks."""

    def describe(self) -> str:
        """A short description for the summary."""

    def run(self, tasks: Sequence[ChunkTask], events: EngineEvents) -> None:
        """Run every task; return when each has finished or failed."""


def one_line(exc: BaseException) -> str:
    """``Type: first line`` of an exception."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


class InProcessEngine:
    """Chunks on an asyncio loop in this process."""

    def __init__(self, parallel: int = IN_PROCESS_PARALLEL) -> None:
        self.parallel = max(1, parallel)

    def describe(self) -> str:
        return "in-process"

    def run(self, tasks: Sequence[ChunkTask], events: EngineEvents) -> None:
        if tasks:
            asyncio.run(self._run(tasks, events))

    async def _run(self, tasks: Sequence[ChunkTask], events: EngineEvents) -> None:
        source = open_chunk_source(tasks[0])  # every task of a run has the same spec
        slots = asyncio.Semaphore(self.parallel)

        async def one(task: ChunkTask) -> None:
            try:
                result = await export_chunk(
                    source, task, on_build=lambda n: events.progress(task, n)
                )
            except Exception as exc:
                events.failed(task, one_line(exc))
            else:
                events.finished(task, result)
            finally:
                slots.release()

        try:
            async with asyncio.TaskGroup() as group:
                for task in tasks:
                    await slots.acquire()
                    group.create_task(one(task))
        finally:
            await source.aclose()


def dask_chunk(task: ChunkTask) -> ChunkResult:
    """The Dask task: run one chunk on this worker, reporting progress as events."""
    from distributed import get_worker

    worker = get_worker()
    last = [0.0]

    def on_build(fetched: int) -> None:
        now = time.monotonic()
        if now - last[0] >= PROGRESS_INTERVAL:
            last[0] = now
            worker.log_event(PROGRESS_TOPIC, {"key": task.key, "fetched": fetched})

    def should_stop() -> bool:
        if worker.status.name in ("closing", "closing_gracefully", "closed", "failed"):
            return True  # the cluster is shutting down: do not hold its close up
        state = worker.state.tasks.get(task.key)
        return state is None or state.state in ("cancelled", "released", "forgotten")

    return run_chunk(task, on_build=on_build, should_stop=should_stop)


class DaskEngine:
    """Chunks as Dask tasks: on a new ``LocalCluster`` of ``workers`` processes, on the
    cluster at ``scheduler``, or through an existing ``client`` (left open)."""

    def __init__(
        self,
        *,
        workers: int | None = None,
        scheduler: str | None = None,
        client: Client | None = None,
    ) -> None:
        if sum(x is not None for x in (workers, scheduler, client)) != 1:
            raise ValueError("give exactly one of workers, scheduler and client")
        self.workers = workers
        self.scheduler = scheduler
        self.client = client

    def describe(self) -> str:
        if self.workers is not None:
            return f"Dask LocalCluster, {self.workers} worker processes"
        if self.scheduler is not None:
            return f"Dask cluster at {self.scheduler}"
        return "Dask cluster (given client)"

    def _connect(self) -> tuple[Client, list[Any]]:
        """A client, and what to close after the run (nothing for a given client)."""
        from distributed import Client, LocalCluster

        if self.client is not None:
            return self.client, []
        if self.workers is not None:
            import dask

            # the statistical profiler samples every thread's stack every 10 ms: a sixth of a
            # worker's CPU on a crawl, for a dashboard nobody looks at (the nannies keep this
            # config for restarted workers too)
            with dask.config.set({"distributed.worker.profile.enabled": False}):
                cluster = LocalCluster(
                    n_workers=self.workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    silence_logs=logging.ERROR,
                    preload=["prowtui.analysis.dataset.worker_setup"],
                )
            client = Client(cluster)
            return client, [client, cluster]
        logging.getLogger("distributed").setLevel(logging.ERROR)
        client = Client(self.scheduler, timeout=30)
        return client, [client]

    def run(self, tasks: Sequence[ChunkTask], events: EngineEvents) -> None:
        if not tasks:
            return
        from distributed import as_completed

        client, owned = self._connect()
        try:
            self._run(client, tasks, events, as_completed)
        finally:
            for thing in owned:
                thing.close()

    def _run(
        self, client: Client, tasks: Sequence[ChunkTask], events: EngineEvents, as_completed: Any
    ) -> None:
        by_key = {task.key: task for task in tasks}
        reports: queue.SimpleQueue[dict[str, Any]] = queue.SimpleQueue()

        def on_event(event: tuple[float, Any]) -> None:
            msg = event[1]
            if isinstance(msg, dict) and msg.get("key") in by_key:
                reports.put(msg)

        client.subscribe_topic(PROGRESS_TOPIC, on_event)
        futures = {
            client.submit(dask_chunk, task, key=task.key, pure=False, retries=0): task
            for task in tasks
        }
        pending = as_completed(futures)
        try:
            while not pending.is_empty():
                batch = pending.next_batch(block=False)
                while not reports.empty():
                    msg = reports.get()
                    events.progress(by_key[msg["key"]], int(msg["fetched"]))
                for future in batch:
                    self._report(future, futures.pop(future), events)
                if not batch:
                    time.sleep(0.1)
        except BaseException:
            client.cancel(list(futures), force=True)
            raise
        finally:
            client.unsubscribe_topic(PROGRESS_TOPIC)

    @staticmethod
    def _report(future: Any, task: ChunkTask, events: EngineEvents) -> None:
        try:
            if future.status == "cancelled":
                events.failed(task, "cancelled")
                return
            try:
                result = future.result()
            except Exception as exc:  # the task raised, or its worker died too often
                events.failed(task, one_line(exc))
                return
            events.finished(task, result)
        finally:
            future.release()

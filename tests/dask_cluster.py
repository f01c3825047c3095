"""Dask helpers of the dataset tests: a ``LocalCluster`` of worker processes, and a progress
hook that SIGKILLs a worker while it writes a part (callers ``importorskip("distributed")``)."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any


@contextlib.contextmanager
def local_cluster(home: Path, env: Mapping[str, str] | None = None) -> Iterator[Any]:
    """A client of two worker processes, one thread each, with their own cache, demo and
    config locations under ``home`` (as tests/conftest.py isolates ours) and ``env``."""
    import distributed

    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        silence_logs=logging.CRITICAL,
        env={
            **(env or {}),
            "PROWTUI_CACHE_DIR": str(home / "cache"),
            "PROWTUI_DEMO_DIR": str(home / "demo"),
            "PROWTUI_CONFIG": str(home / "config.toml"),
        },
        preload=["prowtui.analysis.dataset.worker_setup"],
    )
    client = distributed.Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


class KillBusyWorker:
    """Progress hook: SIGKILL a worker process while it is writing a part (``left_by(pid)``,
    the files such a process has on disk, is not empty), once; records the process and the
    files it left."""

    def __init__(self, client: Any, left_by: Callable[[int], list[Path]]) -> None:
        self.client = client
        self.left_by = left_by
        self.killed: tuple[int, list[Path]] | None = None

    def start(self, total_builds: int, chunks: int) -> None:
        """Nothing to prepare."""

    def update(self, fetched: int, failed_chunks: int) -> None:
        if self.killed is not None or not fetched:
            return
        try:
            pids = self.client.run(os.getpid, on_error="ignore")
        except Exception:  # a worker is restarting: next time
            return
        for pid in pids.values():
            if self.left_by(pid):
                os.kill(pid, signal.SIGKILL)
                time.sleep(0.2)
                if left := self.left_by(pid):  # died mid-chunk (else it just finished: again)
                    self.killed = (pid, left)
                return

"""Dask worker preload for the ``LocalCluster`` that ``--workers`` starts.

A terminal's Ctrl-C reaches every process of the foreground group, the cluster's worker
processes included. The client handles it (cancels the chunks, closes the cluster, removes
temporary files), so the workers ignore SIGINT instead of each dying with a traceback.
"""

from __future__ import annotations

import contextlib
import signal
from typing import Any


def dask_setup(worker: Any) -> None:
    """Ignore SIGINT in this worker process (called by Dask in the worker's main thread)."""
    with contextlib.suppress(ValueError):  # not the main thread: leave it as it is
        signal.signal(signal.SIGINT, signal.SIG_IGN)

"""Triage a job across its builds: history, failing and flaky tests, log failure signatures
and job-wide events (``prowtui triage``, the Triage screen).

:func:`triage_job` is the entry point; the values it returns live in
:mod:`prowtui.triage.model`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from prowtui.triage.model import (
    BuildHistory,
    EventStat,
    Example,
    Signature,
    TestFailure,
    TestStat,
    TriageReport,
)

if TYPE_CHECKING:
    from prowtui.sources.base import Source

__all__ = [
    "BuildHistory",
    "EventStat",
    "Example",
    "Signature",
    "TestFailure",
    "TestStat",
    "TriageReport",
    "triage_job",
]


async def triage_job(
    source: Source,
    job_path: str,
    *,
    limit: int | None = None,
    concurrency: int = 8,
    error_patterns: Sequence[str] = (),
    on_progress: Callable[[int, int], None] | None = None,
) -> TriageReport:
    """Crawl the job's builds (the newest ``limit`` when given) and triage them.

    ``error_patterns`` are extra error-line regexes (the config's ``[logs] error_patterns``)
    added to the log viewer's defaults; ``on_progress(done, total)`` fires as builds complete.
    """
    raise NotImplementedError("triage_job is being built")

"""Triage a job across its builds: history, failing and flaky tests, log failure signatures
and job-wide events (``prowtui triage``, the Triage screen).

:func:`triage_job` is the entry point; the values it returns live in
:mod:`prowtui.triage.model`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
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
    Raises ``NotFound`` when the job has no builds and ``UsageError`` for a bad pattern.
    """
    from contextlib import aclosing

    from prowtui.sources.base import normalize_dir
    from prowtui.triage.candidates import LineSelector
    from prowtui.triage.events import EventAggregator
    from prowtui.triage.gather import Gatherer
    from prowtui.triage.signatures import BuildRef, SignatureMiner, causes, per_build
    from prowtui.triage.testcases import TestAggregator

    job = normalize_dir(job_path)
    gatherer = Gatherer(
        source,
        job,
        LineSelector(tuple(error_patterns)),
        limit=limit,
        concurrency=concurrency,
        on_progress=on_progress,
    )
    miner = SignatureMiner()
    tests = TestAggregator()
    events = EventAggregator()
    refs: list[BuildRef] = []
    rows: list[tuple[datetime | None, float | None, int | None]] = []
    problems: list[tuple[str, str]] = []
    async with aclosing(gatherer.builds()) as gathered:  # cancelling stops every fetch
        async for evidence in gathered:
            refs.append(BuildRef(evidence.build_id, evidence.path, evidence.result))
            miner.add_build(evidence.index, evidence.candidates.lines.values())
            failed_tests = tests.add_build(evidence.index, evidence.build_id, evidence.junit)
            events.add_build(evidence.index, evidence.events)
            rows.append((evidence.started, evidence.duration_s, failed_tests))
            problems.extend((evidence.build_id, problem) for problem in evidence.problems)
    signatures = miner.signatures(refs)
    build_causes = causes(signatures, refs)
    build_signatures = per_build(signatures, refs)
    history = tuple(
        BuildHistory(
            build_id=ref.build_id,
            result=ref.result,
            started=started,
            duration_s=duration,
            failed_tests=failed_tests,
            signatures=build_signatures[i],
            cause=build_causes[i],
            path=ref.path,
        )
        for i, (ref, (started, duration, failed_tests)) in enumerate(zip(refs, rows, strict=True))
    )
    return TriageReport(
        job=job,
        builds=len(refs),
        failed_builds=sum(1 for r in refs if r.failed),
        passed_builds=sum(1 for r in refs if r.passed),
        history=history,
        tests=tuple(tests.stats()),
        signatures=tuple(signatures),
        events=tuple(events.stats()),
        problems=tuple(problems),
    )

"""One job's summary: completeness, presence, results, log sizes and (optionally) text measures.

``job_stats`` crawls the job (listings plus ``finished.json``; with ``content`` also every
``build-log.txt``, streamed) and folds each build into small per-build tuples, so memory grows
with the number of builds, never with their contents.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from prowtui.analysis.completeness import completeness, presence_shares
from prowtui.analysis.crawl import (
    DEFAULT_CONCURRENCY,
    BuildCrawl,
    CrawlOptions,
    JobCrawler,
    ProgressCallback,
)
from prowtui.analysis.describe import describe
from prowtui.prow.artifacts import WELL_KNOWN
from prowtui.sources.base import Source, normalize_dir

#: the paths whose presence share ``stats`` always reports, in this order
PRESENCE_PATHS = WELL_KNOWN


@dataclass
class BuildSummary:
    """What stats keeps of one build."""

    build_id: str
    top_level: list[str]
    artifacts: list[str]
    present: set[str]
    result: str
    log_bytes: int | None
    counts: tuple[int, int, int] | None = None


@dataclass
class JobStats:
    """The summary of one job; :meth:`to_json` is the ``prowtui stats --json`` document."""

    job: str
    content: bool
    builds: list[BuildSummary] = field(default_factory=list)
    failures: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def log_sizes(self) -> list[int]:
        """Stored sizes of the build logs of builds that have one."""
        return [b.log_bytes for b in self.builds if b.log_bytes is not None]

    def results(self) -> dict[str, int]:
        """``{result: builds}`` for results that occur, most common first."""
        counts = Counter(b.result for b in self.builds)
        return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))

    def to_json(self) -> dict[str, object]:
        """Exactly the keys of the documented ``stats --json`` output."""
        doc: dict[str, object] = {
            "job": self.job,
            "builds": len(self.builds),
            "top_level": completeness([b.top_level for b in self.builds]),
            "artifacts": completeness([b.artifacts for b in self.builds]),
            "presence": presence_shares([b.present for b in self.builds], PRESENCE_PATHS),
            "results": self.results(),
            "build_log_bytes": describe(self.log_sizes),
        }
        if self.content:
            counts = [b.counts or (0, 0, 0) for b in self.builds]
            doc["build_log"] = {
                "chars": describe(c[0] for c in counts),
                "words": describe(c[1] for c in counts),
                "lines": describe(c[2] for c in counts),
            }
        return doc


def summarise(crawl: BuildCrawl) -> BuildSummary:
    """The per-build facts stats needs."""
    log = crawl.log
    return BuildSummary(
        build_id=crawl.build_id,
        top_level=list(crawl.top_level),
        artifacts=list(crawl.artifacts),
        present=crawl.present & set(PRESENCE_PATHS),
        result=crawl.result,
        log_bytes=crawl.log_bytes,
        counts=(log.chars, log.words, log.lines) if log is not None else None,
    )


async def job_stats(
    source: Source,
    job_path: str,
    *,
    content: bool = False,
    limit: int | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    on_progress: ProgressCallback | None = None,
) -> JobStats:
    """Crawl ``job_path`` (the newest ``limit`` builds when given) and summarise it.

    Builds whose fetches failed are left out of the numbers and listed in ``failures``
    as ``(build_id, path, error)``.
    """
    crawler = JobCrawler(
        source,
        job_path,
        limit=limit,
        concurrency=concurrency,
        options=CrawlOptions(started=False, content=content),
        on_progress=on_progress,
    )
    stats = JobStats(job=normalize_dir(job_path), content=content)
    async for crawl in crawler.builds():
        if crawl.error is not None:
            stats.failures.append((crawl.build_id, crawl.path, crawl.error))
        else:
            stats.builds.append(summarise(crawl))
    return stats

"""Cut each job's builds into chunks, skipping what complete parts already hold.

For one job, given its builds and the parts the manifest records:

- a **complete** part that has every table asked for is skipped;
- an **incomplete** part (a build without ``finished.json``, or one that failed) is written
  again under its name: its finished builds are copied from the part's files, its other
  builds fetched again;
- builds in no part are **new**: they first top up the job's newest part when that part is
  incomplete (it is written again anyway) and smaller than the chunk size, so that runs
  while builds are still running do not leave a small file per job each time; then they
  fill chunks of ``chunk`` builds, oldest first.

A part that lacks a table asked for is fetched again whole (with the union of its tables).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from prowtui.analysis.dataset.jobs import JobBuilds
from prowtui.analysis.dataset.layout import part_name
from prowtui.analysis.dataset.manifest import JobRecord
from prowtui.analysis.tables import TABLES
from prowtui.prow.jobs import BuildRef


@dataclass(frozen=True)
class Carry:
    """Rows of an existing part to copy into the new one: its name and the builds kept."""

    part: str
    keep: tuple[str, ...]
    #: the kept builds the bucket still lists, fetched instead when the rows cannot be copied
    refs: tuple[BuildRef, ...] = ()


@dataclass(frozen=True)
class Chunk:
    """One unit of work: fetch ``fetch``, copy ``carry``, write part ``name`` of ``job``.

    ``replaces`` names the part whose files this one supersedes (deleted once the new part
    is recorded), when the name changed.
    """

    job: str
    name: str
    fetch: tuple[BuildRef, ...]
    tables: tuple[str, ...]
    carry: Carry | None = None
    replaces: str | None = None

    @property
    def builds(self) -> list[str]:
        """Every build the part will hold (copied and fetched)."""
        kept = list(self.carry.keep) if self.carry else []
        return kept + [ref.build_id for ref in self.fetch]


@dataclass
class JobPlan:
    """The chunks of one job and what was skipped."""

    job: str
    chunks: list[Chunk] = field(default_factory=list)
    skipped_parts: int = 0
    skipped_builds: int = 0
    #: parts to forget: incomplete, and the bucket no longer lists any build they held
    dropped: list[str] = field(default_factory=list)


def _ordered(tables: set[str]) -> tuple[str, ...]:
    return tuple(name for name in TABLES if name in tables)


def _name(builds: list[str]) -> str:
    ids = sorted(builds, key=int)
    return part_name(ids[0], ids[-1])


def plan_job(
    job: JobBuilds, record: JobRecord | None, *, chunk: int, tables: tuple[str, ...]
) -> JobPlan:
    """The chunks that bring ``job`` up to date (see the module docstring)."""
    if chunk < 1:
        raise ValueError("chunk must be at least 1")
    plan = JobPlan(job.name)
    refs = {ref.build_id: ref for ref in job.builds}
    parts = sorted(
        record.parts.values() if record else [],
        key=lambda p: min((int(b) for b in p.builds), default=0),
    )
    covered = {build for part in parts for build in part.builds}
    new = [ref for ref in job.builds if ref.build_id not in covered]
    wanted = set(tables)
    newest = parts[-1] if parts else None
    for part in parts:
        has_tables = wanted <= set(part.tables)
        top_up = (
            part is newest and new and has_tables and not part.complete and len(part.builds) < chunk
        )
        if part.complete and has_tables and not top_up:
            plan.skipped_parts += 1
            plan.skipped_builds += len(part.builds)
            continue
        part_tables = _ordered(wanted | set(part.tables))
        if has_tables:
            again = set(part.unfinished) | {f.get("build_id", "") for f in part.failed}
            keep = tuple(b for b in part.builds if b not in again)
        else:  # the missing table needs every build fetched again
            again, keep = set(part.builds), ()
        # builds the bucket no longer lists cannot be fetched again: they leave the part
        redo = [refs[b] for b in part.builds if b in again and b in refs]
        extra: list[BuildRef] = []
        if top_up:
            room = chunk - len(part.builds)
            extra, new = new[:room], new[room:]
        fetch = tuple(redo + extra)
        builds = list(keep) + [r.build_id for r in fetch]
        if not builds:
            plan.dropped.append(part.name)
            continue
        name = _name(builds)
        plan.chunks.append(
            Chunk(
                job.name,
                name,
                fetch,
                part_tables,
                carry=Carry(part.name, keep, tuple(refs[b] for b in keep if b in refs))
                if keep
                else None,
                replaces=part.name if name != part.name else None,
            )
        )
    for start in range(0, len(new), chunk):
        piece = tuple(new[start : start + chunk])
        plan.chunks.append(Chunk(job.name, _name([r.build_id for r in piece]), piece, tables))
    return plan

"""``DIR/_manifest.json``: the dataset's jobs, parts, row counts and source.

The manifest is the commit record of the dataset. A part file is written by a worker under a
temporary name and renamed when whole (in a bucket: uploaded whole); the part *counts* once
the client has recorded it here. Files of a part that the manifest does not list (left by a
run that was killed before it saved the manifest) are removed by the next run, which then
writes that chunk again. Only the client process writes the manifest, always whole
(temporary file, fsync, rename; in a bucket one whole-object write).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prowtui.analysis.dataset.layout import MANIFEST
from prowtui.errors import UsageError

if TYPE_CHECKING:
    from prowtui.analysis.store import Store

FORMAT = "prowtui-dataset/1"


def utc_now() -> str:
    """The current time as ``2024-05-01T12:00:00Z``."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class PartRecord:
    """One part: the same builds in one file per table.

    ``complete`` parts hold only finished builds (each has ``finished.json``) and no failed
    build; a run skips them. Others are written again by the next run (only their
    ``unfinished`` and ``failed`` builds are fetched again).
    """

    name: str
    builds: list[str]
    tables: list[str]
    files: dict[str, str]
    rows: dict[str, int]
    unfinished: list[str] = field(default_factory=list)
    failed: list[dict[str, str]] = field(default_factory=list)
    written: str = ""
    #: ``host-pid`` of the process that wrote it
    worker: str = ""

    @property
    def complete(self) -> bool:
        """No build without ``finished.json`` and no build that failed to export."""
        return not self.unfinished and not self.failed

    def to_json(self) -> dict[str, Any]:
        """The manifest entry (``complete`` spelled out for readers)."""
        doc = asdict(self)
        doc["complete"] = self.complete
        doc["first"], doc["last"] = _bounds(self.builds)
        return doc

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> PartRecord:
        """Parse an entry written by :meth:`to_json` (ValueError when malformed)."""
        try:
            return cls(
                name=str(doc["name"]),
                builds=[str(b) for b in doc["builds"]],
                tables=[str(t) for t in doc["tables"]],
                files={str(k): str(v) for k, v in doc["files"].items()},
                rows={str(k): int(v) for k, v in doc["rows"].items()},
                unfinished=[str(b) for b in doc.get("unfinished", [])],
                failed=[{str(k): str(v) for k, v in f.items()} for f in doc.get("failed", [])],
                written=str(doc.get("written", "")),
                worker=str(doc.get("worker", "")),
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"malformed part entry: {exc}") from None


def _bounds(builds: list[str]) -> tuple[str | None, str | None]:
    if not builds:
        return None, None
    ids = sorted(builds, key=int)
    return ids[0], ids[-1]


@dataclass
class JobRecord:
    """One job (the partition): the job directories it was read from and its parts."""

    name: str
    paths: list[str] = field(default_factory=list)
    parts: dict[str, PartRecord] = field(default_factory=dict)

    def covered(self) -> dict[str, str]:
        """Build ID → the part that holds it."""
        return {build: part.name for part in self.parts.values() for build in part.builds}

    def to_json(self) -> dict[str, Any]:
        rows: dict[str, int] = {}
        for part in self.parts.values():
            for table, n in part.rows.items():
                rows[table] = rows.get(table, 0) + n
        ordered = sorted(self.parts.values(), key=lambda p: int(_bounds(p.builds)[0] or 0))
        return {
            "paths": sorted(self.paths),
            "builds": sum(len(p.builds) for p in self.parts.values()),
            "rows": rows,
            "parts": [part.to_json() for part in ordered],
        }


@dataclass
class Manifest:
    """The whole manifest; :meth:`load` / :meth:`save` read and write ``DIR/_manifest.json``."""

    source: dict[str, str]
    jobs: dict[str, JobRecord] = field(default_factory=dict)
    created: str = field(default_factory=utc_now)
    updated: str = ""

    @staticmethod
    def path(root: Path) -> Path:
        """``root/_manifest.json``."""
        return root / MANIFEST

    @classmethod
    def load(cls, store: Store) -> Manifest | None:
        """The manifest in ``store``, None when there is none; UsageError when it is not one."""
        where = f"{store.url}/{MANIFEST}"
        try:
            data = store.read(MANIFEST)
            if data is None:
                return None
            doc = json.loads(data.decode("utf-8"))
        except (OSError, ValueError) as exc:
            raise UsageError(f"{where}: not a prowtui dataset manifest ({exc})") from None
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise UsageError(f"{where}: not a {FORMAT} manifest")
        try:
            jobs = {}
            for name, job in doc.get("jobs", {}).items():
                parts = [PartRecord.from_json(p) for p in job.get("parts", [])]
                jobs[str(name)] = JobRecord(
                    str(name), [str(p) for p in job.get("paths", [])], {p.name: p for p in parts}
                )
            source = {str(k): str(v) for k, v in doc.get("source", {}).items()}
        except (AttributeError, TypeError, ValueError) as exc:
            raise UsageError(f"{where}: malformed manifest ({exc})") from None
        return cls(source, jobs, str(doc.get("created", "")), str(doc.get("updated", "")))

    def job(self, name: str) -> JobRecord:
        """The record of job ``name`` (created empty when new)."""
        record = self.jobs.get(name)
        if record is None:
            record = self.jobs[name] = JobRecord(name)
        return record

    def to_json(self) -> dict[str, Any]:
        jobs = {name: self.jobs[name].to_json() for name in sorted(self.jobs)}
        totals: dict[str, int] = {}
        for job in jobs.values():
            for table, n in job["rows"].items():
                totals[table] = totals.get(table, 0) + n
        return {
            "format": FORMAT,
            "source": self.source,
            "created": self.created,
            "updated": self.updated,
            "partitioning": {"flavor": "hive", "key": "job", "segment_encoding": "uri"},
            "rows": totals,
            "jobs": jobs,
        }

    def save(self, store: Store) -> None:
        """Write the manifest whole (a directory: temporary file, fsync, rename; a bucket:
        one object write)."""
        self.updated = utc_now()
        data = json.dumps(self.to_json(), indent=1, ensure_ascii=False).encode("utf-8")
        store.put(MANIFEST, data)

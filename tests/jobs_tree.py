"""A small bucket tree of periodic jobs with builds at chosen times, for the jobs overview tests.

Every build ID is a snowflake of the build's creation time; ``started.json`` is written
``start_delay`` later (the pod's start), ``finished.json`` ``duration`` after that (none for a
pending build).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from prowtui.prow.windows import SNOWFLAKE_EPOCH_MS

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def snowflake_id(at: datetime, sequence: int = 0) -> str:
    """The Prow build ID of a job created at ``at``."""
    millis = int(at.timestamp() * 1000) - SNOWFLAKE_EPOCH_MS
    return str((millis << 22) | sequence)


@dataclass
class B:
    """One build: created ``ago`` before :data:`NOW`; ``result`` None = pending."""

    ago: timedelta
    result: str | None = "SUCCESS"
    start_delay: timedelta = timedelta(minutes=2)
    duration: timedelta = timedelta(hours=1)
    started: bool = True
    bad_finished: bool = False
    log: str = "ok\n"

    def build_id(self, sequence: int = 0) -> str:
        return snowflake_id(NOW - self.ago, sequence)


def write_job(root: Path, job: str, builds: list[B]) -> dict[str, str]:
    """Write ``logs/<job>/<id>/...`` for each build; returns build ID by index (as text)."""
    ids = {}
    for index, build in enumerate(builds):
        build_id = build.build_id(index)
        ids[str(index)] = build_id
        folder = root / "logs" / job / build_id
        (folder / "artifacts").mkdir(parents=True, exist_ok=True)
        created = NOW - build.ago
        start = created + build.start_delay
        if build.started:
            (folder / "started.json").write_text(json.dumps({"timestamp": int(start.timestamp())}))
        if build.bad_finished:
            (folder / "finished.json").write_text("{not json")
        elif build.result is not None:
            end = start + build.duration
            doc = {"timestamp": int(end.timestamp()), "result": build.result}
            doc["passed"] = build.result.upper() == "SUCCESS"
            (folder / "finished.json").write_text(json.dumps(doc))
        (folder / "build-log.txt").write_text(build.log)
        (folder / "artifacts" / "junit.xml").write_text("<testsuite/>")
    return ids


def days(n: float) -> timedelta:
    return timedelta(days=n)

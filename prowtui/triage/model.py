"""What a triage of one job produces: frozen values, their ``--json`` form and nothing else.

The JSON keys and their order are the contract of ``prowtui triage --json``; fields that the
JSON does not carry (``BuildHistory.path``, ``Signature.occurrences``,
``TestStat.failures_detail``) are there for the Triage screen, which jumps from a row to the
build, log line or junit file behind it. No Textual, no I/O.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

JsonDict = dict[str, Any]


def iso_utc(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with a ``Z`` (whole seconds), or None."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, slots=True)
class Example:
    """One original line: where it is (bucket-relative ``path``; ``line`` is 1-based, None for
    a junit failure message) and its text."""

    build_id: str
    path: str
    line: int | None
    text: str

    def to_json(self) -> JsonDict:
        """The ``example`` object of a signature."""
        return {"build_id": self.build_id, "path": self.path, "line": self.line, "text": self.text}


@dataclass(frozen=True, slots=True)
class BuildHistory:
    """One build of the window: result, timing, failed tests and the signatures in its logs.

    ``path`` is the build directory (bucket-relative, ending with ``/``); not in the JSON.
    """

    build_id: str
    result: str
    started: datetime | None
    duration_s: float | None
    failed_tests: int | None
    signatures: tuple[str, ...]
    cause: str | None
    path: str = ""

    def to_json(self) -> JsonDict:
        """One ``history`` object."""
        return {
            "build_id": self.build_id,
            "result": self.result,
            "started": iso_utc(self.started),
            "duration_s": self.duration_s,
            "failed_tests": self.failed_tests,
            "signatures": list(self.signatures),
            "cause": self.cause,
        }


@dataclass(frozen=True, slots=True)
class TestFailure:
    """One failed run of a test: the build, the junit file (bucket-relative) and the message."""

    build_id: str
    path: str
    message: str


@dataclass(frozen=True, slots=True)
class TestStat:
    """One junit test case (suite + classname + name) across the window.

    ``failures_detail`` (every failed run, oldest build first) is not in the JSON.
    """

    __test__ = False  # not a pytest class

    name: str
    suite: str
    classname: str
    runs: int
    failures: int
    passes: int
    skipped: int
    builds_failed: tuple[str, ...]
    first_failed: str | None
    last_failed: str | None
    flaky: bool
    flake_rate: float | None
    failures_detail: tuple[TestFailure, ...] = ()

    def to_json(self) -> JsonDict:
        """One ``tests`` object."""
        return {
            "name": self.name,
            "suite": self.suite,
            "classname": self.classname,
            "runs": self.runs,
            "failures": self.failures,
            "passes": self.passes,
            "skipped": self.skipped,
            "builds_failed": list(self.builds_failed),
            "first_failed": self.first_failed,
            "last_failed": self.last_failed,
            "flaky": self.flaky,
            "flake_rate": self.flake_rate,
        }


@dataclass(frozen=True, slots=True)
class Signature:
    """Templates that occur in exactly the same builds: one failure signature.

    ``lines`` are its templates, most specific first; ``template`` is ``lines[0]`` and
    ``example`` an original line of it. ``occurrences`` (not in the JSON) holds, for each build
    that has the signature (oldest first), the first original line of ``template`` there.
    """

    id: str
    lines: tuple[str, ...]
    template: str
    failed_builds: int
    passed_builds: int
    builds: tuple[str, ...]
    score: float
    example: Example
    occurrences: tuple[Example, ...] = field(default=())

    def to_json(self) -> JsonDict:
        """One ``signatures`` object."""
        return {
            "id": self.id,
            "lines": list(self.lines),
            "template": self.template,
            "failed_builds": self.failed_builds,
            "passed_builds": self.passed_builds,
            "builds": list(self.builds),
            "score": self.score,
            "example": self.example.to_json(),
        }


@dataclass(frozen=True, slots=True)
class EventStat:
    """One templated Kubernetes event message across the window."""

    template: str
    reason: str
    type: str
    builds: int
    count: int
    warning: bool

    def to_json(self) -> JsonDict:
        """One ``events`` object."""
        return {
            "template": self.template,
            "reason": self.reason,
            "type": self.type,
            "builds": self.builds,
            "count": self.count,
            "warning": self.warning,
        }


@dataclass(frozen=True, slots=True)
class TriageReport:
    """The triage of one job: history (oldest first), tests, ranked signatures and events."""

    job: str
    builds: int
    failed_builds: int
    passed_builds: int
    history: tuple[BuildHistory, ...]
    tests: tuple[TestStat, ...]
    signatures: tuple[Signature, ...]
    events: tuple[EventStat, ...]
    #: builds that could not be read whole, as ``(build_id, message)`` (not in the JSON)
    problems: tuple[tuple[str, str], ...] = ()

    def to_json(self) -> JsonDict:
        """The ``prowtui triage --json`` document (keys in the documented order)."""
        return {
            "job": self.job,
            "builds": self.builds,
            "failed_builds": self.failed_builds,
            "passed_builds": self.passed_builds,
            "history": [h.to_json() for h in self.history],
            "tests": [t.to_json() for t in self.tests],
            "signatures": [s.to_json() for s in self.signatures],
            "events": [e.to_json() for e in self.events],
        }

    def dumps(self) -> str:
        """The JSON document as text (ASCII: anything else is escaped): the same report always
        gives the same bytes."""
        return json.dumps(self.to_json(), indent=2) + "\n"

    def signature(self, signature_id: str) -> Signature | None:
        """The signature with this id, or None."""
        for sig in self.signatures:
            if sig.id == signature_id:
                return sig
        return None

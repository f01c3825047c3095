"""The Prow domain layer: jobs and builds in a bucket, and parsers for their artifacts.

Pure Python, no UI. Parsers raise only :class:`prowtui.errors.ParseError` (or its subclass
:class:`prowtui.errors.TooLarge` above the limits in :mod:`prowtui.prow.limits`).
"""

from __future__ import annotations

from prowtui.prow.artifacts import (
    EVENTS_PATTERNS,
    WELL_KNOWN,
    artifact_kind,
    is_events_file,
    is_junit_file,
    looks_binary,
)
from prowtui.prow.decode import parse_timestamp
from prowtui.prow.events import EventRow, parse_events
from prowtui.prow.jobs import (
    BuildRef,
    JobRef,
    PathInfo,
    classify_path,
    is_build_id,
    latest_build,
    list_builds,
    parse_job_path,
)
from prowtui.prow.junit import JunitSuite, TestCaseRow, parse_junit, parse_junit_suites
from prowtui.prow.limits import MAX_JSON_BYTES, MAX_XML_BYTES
from prowtui.prow.metadata import (
    RESULTS,
    ContainerInfo,
    Finished,
    PodInfo,
    ProwJobInfo,
    Started,
    build_result,
    build_version,
    normalize_result,
    parse_finished,
    parse_podinfo,
    parse_prowjob,
    parse_started,
)

__all__ = [
    "EVENTS_PATTERNS",
    "MAX_JSON_BYTES",
    "MAX_XML_BYTES",
    "RESULTS",
    "WELL_KNOWN",
    "BuildRef",
    "ContainerInfo",
    "EventRow",
    "Finished",
    "JobRef",
    "JunitSuite",
    "PathInfo",
    "PodInfo",
    "ProwJobInfo",
    "Started",
    "TestCaseRow",
    "artifact_kind",
    "build_result",
    "build_version",
    "classify_path",
    "is_build_id",
    "is_events_file",
    "is_junit_file",
    "latest_build",
    "list_builds",
    "looks_binary",
    "normalize_result",
    "parse_events",
    "parse_finished",
    "parse_job_path",
    "parse_junit",
    "parse_junit_suites",
    "parse_podinfo",
    "parse_prowjob",
    "parse_started",
    "parse_timestamp",
]

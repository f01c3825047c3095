"""Jobs and builds in a Prow bucket: path shapes, build directories, ``latest-build.txt``.

Layouts (``<P>`` is an optional ``path_prefix``; see the layout reference §2.1):
``<P>/logs/<job>/`` (periodic, postsubmit), ``<P>/pr-logs/pull/<org_repo>/<pr>/<job>/`` and
``<P>/pr-logs/pull/<pr>/<job>/`` (presubmit; the repo segment is empty for the default repo),
``<P>/pr-logs/pull/batch/<job>/`` (batch) and ``pr-logs/directory/<job>/`` (presubmit history).
A build is a directory whose name is all digits under a job directory.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from prowtui.errors import NotFound
from prowtui.layout import (
    JobKind,
    JobRef,
    PathInfo,
    PathKind,
    classify_path,
    is_build_id,
    match_job,
    segments,
)
from prowtui.sources.base import Entry, normalize_dir

__all__ = [
    "LATEST_BUILD_MAX_BYTES",
    "BuildRef",
    "JobKind",
    "JobRef",
    "PathInfo",
    "PathKind",
    "build_refs",
    "classify_path",
    "is_build_id",
    "latest_build",
    "list_builds",
    "parse_job_path",
]

_DIGITS = re.compile(r"[0-9]+")
#: bytes of ``latest-build.txt`` read at most (it holds one build ID)
LATEST_BUILD_MAX_BYTES = 256


class _Lister(Protocol):
    async def list(self, path: str) -> list[Entry]: ...


class _Reader(Protocol):
    async def read(self, path: str, start: int | None = None, end: int | None = None) -> bytes: ...


@dataclass(frozen=True)
class BuildRef:
    """One build directory of a job (``path`` ends with ``/``)."""

    build_id: str
    path: str


def parse_job_path(path: str) -> JobRef:
    """The job a job directory path names; other shapes give kind "unknown" (last segment)."""
    segs = segments(path)
    match = match_job(segs)
    if match is not None and match[1] == len(segs):
        return match[0]
    return JobRef(normalize_dir(path), segs[-1] if segs else "", "unknown", None, None)


def build_refs(entries: Iterable[Entry]) -> list[BuildRef]:
    """The build directories (numeric names only) of a job's listing, oldest (smallest ID)
    first."""
    builds = [
        BuildRef(entry.name.rstrip("/"), normalize_dir(entry.path))
        for entry in entries
        if entry.is_dir and is_build_id(entry.name)
    ]
    builds.sort(key=lambda build: int(build.build_id))
    return builds


async def list_builds(source: _Lister, job_path: str) -> list[BuildRef]:
    """The job's build directories (numeric names only), oldest (smallest ID) first."""
    return build_refs(await source.list(normalize_dir(job_path)))


async def latest_build(source: _Reader, job_path: str) -> str | None:
    """The build ID in ``<job_path>latest-build.txt`` (whitespace stripped); None when the file
    is missing, longer than :data:`LATEST_BUILD_MAX_BYTES` or not a build ID."""
    try:
        data = await source.read(
            normalize_dir(job_path) + "latest-build.txt", 0, LATEST_BUILD_MAX_BYTES + 1
        )
    except NotFound:
        return None
    if len(data) > LATEST_BUILD_MAX_BYTES:
        return None
    text = data.decode("utf-8", "replace").strip()
    return text if _DIGITS.fullmatch(text) else None

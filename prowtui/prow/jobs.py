"""Jobs and builds in a Prow bucket: path shapes, build directories, ``latest-build.txt``.

Layouts (``<P>`` is an optional ``path_prefix``; see the layout reference §2.1):
``<P>/logs/<job>/`` (periodic, postsubmit), ``<P>/pr-logs/pull/<org_repo>/<pr>/<job>/`` and
``<P>/pr-logs/pull/<pr>/<job>/`` (presubmit; the repo segment is empty for the default repo),
``<P>/pr-logs/pull/batch/<job>/`` (batch) and ``pr-logs/directory/<job>/`` (presubmit history).
A build is a directory whose name is all digits under a job directory.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, Protocol

from prowtui.errors import NotFound
from prowtui.sources.base import Entry, normalize_dir

JobKind = Literal["periodic", "postsubmit", "presubmit", "batch", "unknown"]
PathKind = Literal["root", "logs-root", "job", "build", "build-file", "artifact", "other"]

_BUILD_ID = re.compile(r"[0-9]+/?")
_DIGITS = re.compile(r"[0-9]+")
#: job-name prefixes that mark a job under ``logs/`` as a postsubmit (k8s ``post-``,
#: OpenShift ``branch-ci-``); everything else there is taken for a periodic
_POSTSUBMIT_PREFIXES = ("post-", "branch-ci-")
#: bytes of ``latest-build.txt`` read at most (it holds one build ID)
LATEST_BUILD_MAX_BYTES = 256


class _Lister(Protocol):
    async def list(self, path: str) -> list[Entry]: ...


class _Reader(Protocol):
    async def read(self, path: str, start: int | None = None, end: int | None = None) -> bytes: ...


@dataclass(frozen=True)
class JobRef:
    """A job directory: ``path`` ends with ``/``; ``pr`` and ``org_repo`` for presubmits."""

    path: str
    name: str
    kind: JobKind
    org_repo: str | None
    pr: str | None


@dataclass(frozen=True)
class BuildRef:
    """One build directory of a job (``path`` ends with ``/``)."""

    build_id: str
    path: str


@dataclass(frozen=True)
class PathInfo:
    """What a bucket path is, for the explorer.

    ``rel`` is the part of the path inside the build directory (``"artifacts/x"``), or inside
    the job directory for non-build entries of a job (``latest-build.txt``), else ``""``.
    """

    kind: PathKind
    job: JobRef | None
    build_id: str | None
    rel: str


def is_build_id(name: str) -> bool:
    """True for a build directory name: ASCII digits only, an optional trailing ``/``."""
    return bool(_BUILD_ID.fullmatch(name))


def _segments(path: str) -> list[str]:
    return [seg for seg in path.strip("/").split("/") if seg] if path.strip("/") else []


def _logs_index(segs: list[str]) -> int | None:
    for index, seg in enumerate(segs):
        if seg in ("logs", "pr-logs"):
            return index
    return None


def _match_job(segs: list[str]) -> tuple[JobRef, int] | None:
    """The job a path is in, and how many segments its job directory has."""
    start = _logs_index(segs)
    if start is None:
        return None
    rest = segs[start + 1 :]
    head = "/".join(segs[: start + 1]) + "/"
    if segs[start] == "logs":
        if not rest:
            return None
        name = rest[0]
        kind: JobKind = "postsubmit" if name.startswith(_POSTSUBMIT_PREFIXES) else "periodic"
        return JobRef(f"{head}{name}/", name, kind, None, None), start + 2
    if len(rest) >= 2 and rest[0] == "directory":
        return JobRef(f"{head}directory/{rest[1]}/", rest[1], "presubmit", None, None), start + 3
    if not rest or rest[0] != "pull" or len(rest) < 3:
        return None
    if rest[1] == "batch":
        path = f"{head}pull/batch/{rest[2]}/"
        return JobRef(path, rest[2], "batch", None, None), start + 4
    if _DIGITS.fullmatch(rest[1]):
        path = f"{head}pull/{rest[1]}/{rest[2]}/"
        return JobRef(path, rest[2], "presubmit", None, rest[1]), start + 4
    if len(rest) >= 4 and _DIGITS.fullmatch(rest[2]):
        org_repo, pr, name = rest[1], rest[2], rest[3]
        path = f"{head}pull/{org_repo}/{pr}/{name}/"
        return JobRef(path, name, "presubmit", org_repo, pr), start + 5
    return None


def parse_job_path(path: str) -> JobRef:
    """The job a job directory path names; other shapes give kind "unknown" (last segment)."""
    segs = _segments(path)
    match = _match_job(segs)
    if match is not None and match[1] == len(segs):
        return match[0]
    return JobRef(normalize_dir(path), segs[-1] if segs else "", "unknown", None, None)


def classify_path(path: str) -> PathInfo:
    """Classify a bucket path: root, logs-root, job, build, build-file, artifact or other."""
    segs = _segments(path)
    if not segs:
        return PathInfo("root", None, None, "")
    is_dir = path.endswith("/")
    match = _match_job(segs)
    if match is None:
        start = _logs_index(segs)
        if start is not None and _above_jobs(segs[start:]):
            return PathInfo("logs-root", None, None, "")
        return PathInfo("other", None, None, "")
    job, depth = match
    inner = segs[depth:]
    if not inner:
        return PathInfo("job", job, None, "")
    rel = "/".join(inner[1:]) + ("/" if is_dir and len(inner) > 1 else "")
    if is_build_id(inner[0]):
        if len(inner) == 1:
            return PathInfo("build", job, inner[0], "")
        kind: PathKind = "artifact" if inner[1] == "artifacts" else "build-file"
        return PathInfo(kind, job, inner[0], rel)
    # latest-build.txt, pr-logs/directory/<job>/<id>.txt aliases, non-numeric directories
    alias = re.fullmatch(r"([0-9]+)\.txt", inner[0]) if len(inner) == 1 else None
    own_rel = "/".join(inner) + ("/" if is_dir else "")
    return PathInfo("other", job, alias.group(1) if alias else None, own_rel)


def _above_jobs(tail: list[str]) -> bool:
    """``logs/``, ``pr-logs/``, ``pr-logs/pull|directory/``, ``pr-logs/pull/<seg>/[<pr>/]``."""
    if tail == ["logs"] or tail == ["pr-logs"]:
        return True
    if tail[0] != "pr-logs":
        return False
    if len(tail) == 2:
        return tail[1] in ("pull", "directory")
    if tail[1] != "pull":
        return False
    if len(tail) == 3:
        return True
    return len(tail) == 4 and bool(_DIGITS.fullmatch(tail[3]))


async def list_builds(source: _Lister, job_path: str) -> list[BuildRef]:
    """The job's build directories (numeric names only), oldest (smallest ID) first."""
    entries = await source.list(normalize_dir(job_path))
    builds = [
        BuildRef(entry.name.rstrip("/"), normalize_dir(entry.path))
        for entry in entries
        if entry.is_dir and is_build_id(entry.name)
    ]
    builds.sort(key=lambda build: int(build.build_id))
    return builds


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

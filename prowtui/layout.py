"""The Prow bucket layout as pure path rules: which paths are jobs, builds and build files.

Layouts (``<P>`` is an optional ``path_prefix``; see the layout reference §2.1):
``<P>/logs/<job>/`` (periodic, postsubmit), ``<P>/pr-logs/pull/<org_repo>/<pr>/<job>/`` and
``<P>/pr-logs/pull/<pr>/<job>/`` (presubmit; the repo segment is empty for the default repo),
``<P>/pr-logs/pull/batch/<job>/`` (batch) and ``pr-logs/directory/<job>/`` (presubmit history).
A build is a directory whose name is all digits under a job directory.

Strings in, values out, no I/O and no other prowtui import: it sits below the sources, so that
the cache wrapper (:mod:`prowtui.sources.cached`) can tell build directories apart without
reaching up into the domain layer. :mod:`prowtui.prow.jobs` builds on it and re-exports it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

JobKind = Literal["periodic", "postsubmit", "presubmit", "batch", "unknown"]
PathKind = Literal["root", "logs-root", "job", "build", "build-file", "artifact", "other"]

_BUILD_ID = re.compile(r"[0-9]+/?")
_DIGITS = re.compile(r"[0-9]+")
#: job-name prefixes that mark a job under ``logs/`` as a postsubmit (k8s ``post-``,
#: OpenShift ``branch-ci-``); everything else there is taken for a periodic
_POSTSUBMIT_PREFIXES = ("post-", "branch-ci-")


@dataclass(frozen=True)
class JobRef:
    """A job directory: ``path`` ends with ``/``; ``pr`` and ``org_repo`` for presubmits."""

    path: str
    name: str
    kind: JobKind
    org_repo: str | None
    pr: str | None


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


def segments(path: str) -> list[str]:
    """The non-empty ``/``-separated segments of ``path``."""
    return [seg for seg in path.strip("/").split("/") if seg] if path.strip("/") else []


def _logs_index(segs: list[str]) -> int | None:
    for index, seg in enumerate(segs):
        if seg in ("logs", "pr-logs"):
            return index
    return None


def match_job(segs: list[str]) -> tuple[JobRef, int] | None:
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


def classify_path(path: str) -> PathInfo:
    """Classify a bucket path: root, logs-root, job, build, build-file, artifact or other."""
    segs = segments(path)
    if not segs:
        return PathInfo("root", None, None, "")
    is_dir = path.endswith("/")
    match = match_job(segs)
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

"""Build metadata files: ``started.json``, ``finished.json``, ``prowjob.json``, ``podinfo.json``.

Every parser takes bytes or text, returns a dataclass (the decoded document stays in ``raw``)
and raises only :class:`prowtui.errors.ParseError` (message names the file) or
:class:`prowtui.errors.TooLarge` above :data:`prowtui.prow.limits.MAX_JSON_BYTES`. Fields of
the wrong JSON type or missing are None (empty dict/list for collections); timestamps are aware
UTC datetimes (see :func:`prowtui.prow.decode.parse_timestamp`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from prowtui.prow.decode import (
    as_bool,
    as_dict,
    as_int,
    as_list,
    first_str,
    load_json_object,
    parse_timestamp,
    str_dict,
)
from prowtui.prow.events import EventRow, event_rows
from prowtui.prow.limits import MAX_JSON_BYTES

#: every value a normalised build result can take
RESULTS = ("SUCCESS", "FAILURE", "ABORTED", "ERROR", "PENDING", "UNKNOWN")

#: ProwJob states that mean "not finished yet"
_PENDING_ALIASES = frozenset({"TRIGGERED", "SCHEDULING"})


def normalize_result(result: str | None, passed: bool | None) -> str:
    """One of :data:`RESULTS` from a ``result`` string and the ``passed`` flag.

    ``result`` wins when present (any case: crier writes lowercase ProwJob states; the ProwJob
    states ``triggered``/``scheduling`` count as PENDING); an unrecognised string is UNKNOWN.
    Without a result, ``passed`` True/False gives SUCCESS/FAILURE and None gives UNKNOWN.
    """
    if isinstance(result, str) and result.strip():
        word = result.strip().upper()
        if word in RESULTS:
            return word
        return "PENDING" if word in _PENDING_ALIASES else "UNKNOWN"
    if passed is True:
        return "SUCCESS"
    if passed is False:
        return "FAILURE"
    return "UNKNOWN"


@dataclass
class Started:
    """``started.json`` (pod-utils, crier, bootstrap and Jenkins-era forms)."""

    timestamp: datetime | None
    node: str | None
    pull: str | None
    repos: dict[str, str]
    repo_commit: str | None
    repo_version: str | None
    job_version: str | None
    metadata: dict[str, Any]
    raw: dict[str, Any]
    #: bootstrap/Jenkins-era top-level ``version``
    version: str | None = None


def parse_started(data: bytes | str, file: str = "started.json") -> Started:
    """Parse ``started.json``."""
    doc = load_json_object(data, file, MAX_JSON_BYTES)
    return Started(
        timestamp=parse_timestamp(doc.get("timestamp")),
        node=first_str(doc.get("node")),
        pull=first_str(doc.get("pull")),
        repos=str_dict(doc.get("repos")),
        repo_commit=first_str(doc.get("repo-commit")),
        repo_version=first_str(doc.get("repo-version")),
        job_version=first_str(doc.get("job-version")),
        metadata=as_dict(doc.get("metadata")),
        raw=doc,
        version=first_str(doc.get("version")),
    )


@dataclass
class Finished:
    """``finished.json``; ``result`` is normalised (one of :data:`RESULTS`)."""

    timestamp: datetime | None
    passed: bool | None
    result: str
    revision: str | None
    metadata: dict[str, Any]
    raw: dict[str, Any]
    job_version: str | None = None
    repo_version: str | None = None
    version: str | None = None


def parse_finished(data: bytes | str, file: str = "finished.json") -> Finished:
    """Parse ``finished.json``.

    ``revision`` is the first non-empty of ``revision``, ``metadata.revision`` and
    ``metadata.repo-commit`` (testgrid's order for finished-side fields).
    """
    doc = load_json_object(data, file, MAX_JSON_BYTES)
    metadata = as_dict(doc.get("metadata"))
    passed = as_bool(doc.get("passed"))
    raw_result = doc.get("result")
    return Finished(
        timestamp=parse_timestamp(doc.get("timestamp")),
        passed=passed,
        result=normalize_result(raw_result if isinstance(raw_result, str) else None, passed),
        revision=first_str(
            doc.get("revision"), metadata.get("revision"), metadata.get("repo-commit")
        ),
        metadata=metadata,
        raw=doc,
        job_version=first_str(doc.get("job-version"), metadata.get("job-version")),
        repo_version=first_str(doc.get("repo-version")),
        version=first_str(doc.get("version")),
    )


def build_result(finished: Finished | None) -> str:
    """A build's result: PENDING without ``finished.json``, else its normalised result."""
    return "PENDING" if finished is None else finished.result


def build_version(started: Started | None, finished: Finished | None) -> str | None:
    """Testgrid's version rule: first non-empty of finished/started ``job-version``, started/
    finished ``repo-version``, finished ``metadata.revision``, ``metadata.repo-commit``,
    ``metadata.job-version``, then started ``repo-commit``."""
    fmeta = finished.metadata if finished else {}
    return first_str(
        finished.raw.get("job-version") if finished else None,
        started.job_version if started else None,
        started.repo_version if started else None,
        finished.repo_version if finished else None,
        fmeta.get("revision"),
        fmeta.get("repo-commit"),
        fmeta.get("job-version"),
        started.repo_commit if started else None,
    )


@dataclass
class ProwJobInfo:
    """The useful parts of ``prowjob.json`` (a prow.k8s.io/v1 ProwJob).

    ``state`` is normalised with :func:`normalize_result` (``failure`` → FAILURE,
    ``triggered`` → PENDING); the ProwJob's own spelling is in ``raw_state``.
    """

    job: str | None
    type: str | None
    state: str
    build_id: str | None
    cluster: str | None
    namespace: str | None
    pod_name: str | None
    url: str | None
    org: str | None
    repo: str | None
    base_ref: str | None
    base_sha: str | None
    pulls: list[dict[str, Any]]
    start_time: datetime | None
    completion_time: datetime | None
    description: str | None
    raw: dict[str, Any]
    raw_state: str | None = None
    name: str | None = None
    labels: dict[str, str] = field(default_factory=dict)


def parse_prowjob(data: bytes | str, file: str = "prowjob.json") -> ProwJobInfo:
    """Parse ``prowjob.json``."""
    doc = load_json_object(data, file, MAX_JSON_BYTES)
    meta = as_dict(doc.get("metadata"))
    spec = as_dict(doc.get("spec"))
    status = as_dict(doc.get("status"))
    refs = as_dict(spec.get("refs"))
    labels = str_dict(meta.get("labels"))
    raw_state = first_str(status.get("state"))
    return ProwJobInfo(
        job=first_str(spec.get("job"), labels.get("prow.k8s.io/job")),
        type=first_str(spec.get("type"), labels.get("prow.k8s.io/type")),
        state=normalize_result(raw_state, None),
        build_id=first_str(status.get("build_id"), labels.get("prow.k8s.io/build-id")),
        cluster=first_str(spec.get("cluster")),
        namespace=first_str(spec.get("namespace")),
        pod_name=first_str(status.get("pod_name")),
        url=first_str(status.get("url")),
        org=first_str(refs.get("org"), labels.get("prow.k8s.io/refs.org")),
        repo=first_str(refs.get("repo"), labels.get("prow.k8s.io/refs.repo")),
        base_ref=first_str(refs.get("base_ref"), labels.get("prow.k8s.io/refs.base_ref")),
        base_sha=first_str(refs.get("base_sha")),
        pulls=[pull for pull in as_list(refs.get("pulls")) if isinstance(pull, dict)],
        start_time=parse_timestamp(status.get("startTime")),
        completion_time=parse_timestamp(status.get("completionTime")),
        description=first_str(status.get("description")),
        raw=doc,
        raw_state=raw_state,
        name=first_str(meta.get("name")),
        labels=labels,
    )


@dataclass
class ContainerInfo:
    """One container of the test pod, from its spec and status."""

    name: str | None
    image: str | None
    ready: bool | None
    restart_count: int | None
    #: "running", "waiting", "terminated" or None
    state: str | None
    reason: str | None
    exit_code: int | None
    init: bool = False


@dataclass
class PodInfo:
    """``podinfo.json`` written by crier: ``{"pod": Pod, "events": [Event], "node": Node}``."""

    pod_name: str | None
    namespace: str | None
    node_name: str | None
    phase: str | None
    start_time: datetime | None
    containers: list[ContainerInfo]
    events: list[EventRow]
    node: dict[str, Any] | None
    raw: dict[str, Any]


def parse_podinfo(data: bytes | str, file: str = "podinfo.json") -> PodInfo:
    """Parse ``podinfo.json``."""
    doc = load_json_object(data, file, MAX_JSON_BYTES)
    pod = as_dict(doc.get("pod"))
    meta = as_dict(pod.get("metadata"))
    spec = as_dict(pod.get("spec"))
    status = as_dict(pod.get("status"))
    containers = _containers(
        as_list(spec.get("initContainers")), as_list(status.get("initContainerStatuses")), True
    ) + _containers(as_list(spec.get("containers")), as_list(status.get("containerStatuses")))
    node = doc.get("node")
    return PodInfo(
        pod_name=first_str(meta.get("name")),
        namespace=first_str(meta.get("namespace")),
        node_name=first_str(spec.get("nodeName")),
        phase=first_str(status.get("phase")),
        start_time=parse_timestamp(status.get("startTime")),
        containers=containers,
        events=event_rows(as_list(doc.get("events"))),
        node=node if isinstance(node, dict) else None,
        raw=doc,
    )


def _containers(specs: list[Any], statuses: list[Any], init: bool = False) -> list[ContainerInfo]:
    """Merge container specs and statuses by name (spec order, then status-only entries)."""
    by_name: dict[str, dict[str, Any]] = {}
    for status in statuses:
        if isinstance(status, dict) and isinstance(status.get("name"), str):
            by_name.setdefault(status["name"], status)
    rows: list[ContainerInfo] = []
    seen: set[str] = set()
    for spec in specs:
        if not isinstance(spec, dict):
            continue
        name = first_str(spec.get("name"))
        status = by_name.get(name or "", {})
        if name:
            seen.add(name)
        rows.append(_container(name, first_str(spec.get("image")), status, init))
    for name, status in by_name.items():
        if name not in seen:
            rows.append(_container(name or None, first_str(status.get("image")), status, init))
    return rows


def _container(
    name: str | None, image: str | None, status: dict[str, Any], init: bool
) -> ContainerInfo:
    states = as_dict(status.get("state"))
    state_name = next((key for key in ("terminated", "waiting", "running") if key in states), None)
    detail = as_dict(states.get(state_name)) if state_name else {}
    return ContainerInfo(
        name=name,
        image=image or first_str(status.get("image")),
        ready=as_bool(status.get("ready")) if status else None,
        restart_count=as_int(status.get("restartCount")),
        state=state_name,
        reason=first_str(detail.get("reason")),
        exit_code=as_int(detail.get("exitCode")),
        init=init,
    )

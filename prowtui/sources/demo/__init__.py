"""The offline demo bucket: a deterministic Prow artifact tree built on first use.

The big job reproduces the job of the original analysis
(``periodic-ci-openshift-release-master-ci-4.6-upgrade-from-stable-4.5-e2e-gcp-upgrade``):
242 finished builds whose top-level and ``artifacts/`` listings have the notebook's entry
counts and combinations, 237 with ``artifacts/build-resources/events.json``, ci-operator
build logs from ~100 bytes to ~30 MB, plus one newer pending build. A second, smaller periodic
job and one presubmit (with ``pr-logs/directory`` link files) complete the tree.

Everything is derived from seeded ``random.Random`` instances and fixed timestamps, so two
builds give the same bytes and the same mtimes. The tree is written into a temporary sibling
directory and renamed into place; a version stamp *outside* the tree
(``<dest>.stamp``) tells :func:`demo_root` whether an existing tree is current.
"""

from __future__ import annotations

import functools
import gzip
import json
import os
import random
import shutil
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from json.encoder import encode_basestring_ascii as _json_string
from pathlib import Path

from prowtui import paths
from prowtui.sources.base import Source

#: bump when the layout or content changes, so an old demo tree is rebuilt
DEMO_VERSION = "prowtui-demo-4"
DEMO_BUCKET_NAME = "demo"
#: the bucket the demo content pretends to live in (links, prowjob URLs)
CONTENT_BUCKET = "origin-ci-test"

BIG_JOB = "periodic-ci-openshift-release-master-ci-4.6-upgrade-from-stable-4.5-e2e-gcp-upgrade"
NIGHTLY_JOB = "periodic-ci-openshift-release-master-nightly-4.16-e2e-aws-ovn"
PRESUBMIT_JOB = "pull-ci-openshift-release-master-e2e-aws"
PRESUBMIT_ORG_REPO = "openshift_release"
PRESUBMIT_PR = 4242

BIG_JOB_DIR = f"logs/{BIG_JOB}/"
NIGHTLY_JOB_DIR = f"logs/{NIGHTLY_JOB}/"
PRESUBMIT_JOB_DIR = f"pr-logs/pull/{PRESUBMIT_ORG_REPO}/{PRESUBMIT_PR}/{PRESUBMIT_JOB}/"
#: the one gzip-encoded object of the demo (relative to the big job's directory)
GZIP_OBJECT_NAME = "artifacts/ci-operator.log"

_SNOWFLAKE_EPOCH_MS = 1288834974657
_BIG_JOB_FIRST_ID = 1364778930069835776  # the first build of the notebook's listing
_SMALL_LOG_LIMIT = 64 * 1024

_BR, _E2E, _REL = "build-resources/", "e2e-gcp-upgrade/", "release/"
_GRAPH, _OPLOG = "ci-operator-step-graph.json", "ci-operator.log"
_JUNIT, _META = "junit_operator.xml", "metadata.json"

#: artifacts/ combinations of the notebook (era, entries, number of builds in the full demo)
_FULL_COMBOS: tuple[tuple[str, tuple[str, ...], int], ...] = (
    ("A", (_BR, _E2E, _REL, _JUNIT, _META), 92),
    ("A", (_BR, _E2E, _JUNIT, _META), 27),
    ("A", (_BR, _REL, _JUNIT, _META), 9),
    ("A", (_BR, _JUNIT, _META), 2),
    ("A", (_JUNIT, _META), 2),
    ("B", (_BR, _E2E, _REL, _OPLOG, _JUNIT, _META), 39),
    ("B", (_BR, _REL, _OPLOG, _JUNIT, _META), 2),
    ("B", (_BR, _E2E, _REL, _OPLOG, _JUNIT), 1),
    ("B", (_JUNIT,), 1),
    ("C", (_BR, _E2E, _REL, _GRAPH, _OPLOG, _JUNIT, _META), 58),
    ("C", (_BR, _REL, _GRAPH, _OPLOG, _JUNIT, _META), 7),
)
_SMALL_COMBOS: tuple[tuple[str, tuple[str, ...], int], ...] = (
    ("A", (_BR, _E2E, _REL, _JUNIT, _META), 5),
    ("A", (_BR, _E2E, _JUNIT, _META), 2),
    ("A", (_BR, _REL, _JUNIT, _META), 1),
    ("A", (_JUNIT, _META), 1),
    ("B", (_BR, _E2E, _REL, _OPLOG, _JUNIT, _META), 3),
    ("B", (_JUNIT,), 1),
    ("C", (_BR, _E2E, _REL, _GRAPH, _OPLOG, _JUNIT, _META), 4),
    ("C", (_BR, _REL, _GRAPH, _OPLOG, _JUNIT, _META), 1),
)

_TOP_FILES = ("build-log.txt", "finished.json", "podinfo.json", "prowjob.json", "started.json")

_E2E_STEPS = (
    ("ipi-install-hosted-loki", 10),
    ("ipi-conf", 20),
    ("ipi-conf-gcp", 10),
    ("ipi-install-monitoringpvc", 10),
    ("ipi-install-rbac", 10),
    ("ipi-install-install-stableinitial", 2400),
    ("openshift-e2e-test", 4200),
    ("gather-gcp-console", 30),
    ("gather-must-gather", 1140),
    ("gather-extra", 60),
    ("gather-audit-logs", 50),
    ("ipi-deprovision-deprovision", 170),
)


# --------------------------------------------------------------------------------------
# small helpers


def snowflake_id(epoch_ms: int, sequence: int = 0) -> str:
    """A Prow build id (Twitter snowflake: ms since 2010-11-04 << 22, node 1)."""
    return str(((epoch_ms - _SNOWFLAKE_EPOCH_MS) << 22) | (1 << 12) | sequence)


def snowflake_ms(build_id: str) -> int:
    """The creation time (epoch ms) encoded in a snowflake build id."""
    return (int(build_id) >> 22) + _SNOWFLAKE_EPOCH_MS


@functools.lru_cache(maxsize=65536)
def _strftime(second: int, fmt: str) -> str:
    return datetime.fromtimestamp(second, timezone.utc).strftime(fmt)


def _iso(ts: float) -> str:
    return _strftime(int(ts), "%Y-%m-%dT%H:%M:%SZ")


def _slash(ts: float) -> str:
    return _strftime(int(ts), "%Y/%m/%d %H:%M:%S")


def _klog(ts: float) -> str:
    return f"{_strftime(int(ts), '%b %d %H:%M:%S')}.{int(ts * 1000) % 1000:03d}"


def _uid(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) % 4]}{h[17:20]}-{h[20:]}"


def _hex(rng: random.Random, n: int) -> str:
    return f"{rng.getrandbits(4 * n):0{n}x}"


def _ns(rng: random.Random) -> str:
    return "ci-op-" + "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(8))


def _duration(seconds: float) -> str:
    """Go's time.Duration formatting (1h2m3.5s)."""
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    out = f"{int(h)}h" if h >= 1 else ""
    if h >= 1 or m >= 1:
        out += f"{int(m)}m"
    return out + (f"{s:.9f}".rstrip("0").rstrip(".") + "s")


def _compact(obj: object) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def _tabbed(obj: object) -> bytes:
    return json.dumps(obj, indent="\t").encode()


# --------------------------------------------------------------------------------------
# the tree writer


class _TreeWriter:
    """Writes files below a root, remembering mtimes so directories get fixed ones too."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._dir_mtimes: dict[Path, float] = {}

    def write(self, rel: str, data: bytes | str, mtime: float) -> None:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode() if isinstance(data, str) else data)
        os.utime(path, (mtime, mtime))
        parent = path.parent
        while True:
            self._dir_mtimes[parent] = max(self._dir_mtimes.get(parent, 0.0), mtime)
            if parent == self.root:
                break
            parent = parent.parent

    def finish(self) -> None:
        """Give every directory the newest mtime below it (deepest first)."""
        for directory in sorted(self._dir_mtimes, key=lambda p: len(p.parts), reverse=True):
            os.utime(directory, (self._dir_mtimes[directory], self._dir_mtimes[directory]))


# --------------------------------------------------------------------------------------
# build plans


@dataclass
class _Build:
    """Everything decided about one build before its files are written."""

    job: str
    build_id: str
    start: float
    rng: random.Random
    era: str
    result: str | None  # SUCCESS / FAILURE / ABORTED, None while pending
    artifacts: tuple[str, ...] | None
    podinfo: bool = True
    log_kind: str = "normal"  # config-error | early | lease | normal | big | huge
    big_size: int = 0
    finished_variant: str = "sidecar"  # sidecar | crier | no-result | passed-null
    started_variant: str = "podutils"  # podutils | crier | bare
    gzip_oplog: bool = False
    junit_comment: bool = False
    event_count: int | None = None
    namespace: str = ""
    duration: float = 0.0
    refs: dict[str, object] = field(default_factory=dict)

    @property
    def end(self) -> float:
        return self.start + self.duration

    @property
    def test(self) -> str:
        """The ci-operator test the job runs."""
        return {NIGHTLY_JOB: "e2e-aws-ovn", PRESUBMIT_JOB: "e2e-aws"}.get(
            self.job, "e2e-gcp-upgrade"
        )

    @property
    def variant(self) -> str:
        """The ci-operator config variant."""
        return {NIGHTLY_JOB: "nightly-4.16", PRESUBMIT_JOB: ""}.get(
            self.job, "ci-4.6-upgrade-from-stable-4.5"
        )


def _big_job_plan(small: bool) -> list[_Build]:
    """The big job: finished builds with the notebook's distributions, then one pending."""
    rng = random.Random(20210225)
    combos = _SMALL_COMBOS if small else _FULL_COMBOS
    eras: dict[str, list[tuple[str, ...]]] = {"A": [], "B": [], "C": []}
    for era, entries, count in combos:
        eras[era].extend([entries] * count)
    for era_list in eras.values():
        rng.shuffle(era_list)
    # the first build failed loading its config (as in the notebook); put that combination first
    first = eras["A"].index((_JUNIT, _META))
    eras["A"][0], eras["A"][first] = eras["A"][first], eras["A"][0]
    # the two builds without artifacts/ fall in eras A and B
    eras["A"].insert(len(eras["A"]) * 2 // 3, ())
    eras["B"].insert(len(eras["B"]) // 2, ())
    ordered = [("A", c) for c in eras["A"]] + [("B", c) for c in eras["B"]]
    ordered += [("C", c) for c in eras["C"]]

    builds: list[_Build] = []
    first_ms = snowflake_ms(str(_BIG_JOB_FIRST_ID))
    for index, (era, combo) in enumerate(ordered):
        start_ms = first_ms + index * 21_600_000 + (rng.randint(0, 95_000) if index else 0)
        build_id = str(_BIG_JOB_FIRST_ID) if index == 0 else snowflake_id(start_ms)
        brng = random.Random(int(build_id))
        build = _Build(
            job=BIG_JOB,
            build_id=build_id,
            start=start_ms / 1000,
            rng=brng,
            era=era,
            result="SUCCESS",
            artifacts=combo or None,
            namespace=_ns(brng),
        )
        _decide_outcome(build)
        builds.append(build)

    no_artifacts = [b for b in builds if b.artifacts is None]
    no_artifacts[0].podinfo = False
    no_artifacts[0].result, no_artifacts[0].finished_variant = "ABORTED", "crier"
    no_artifacts[0].started_variant = "crier"
    no_artifacts[1].result, no_artifacts[1].finished_variant = "FAILURE", "crier"
    no_artifacts[1].started_variant = "crier"
    for b in no_artifacts:
        b.log_kind, b.duration = "early", 300 + b.rng.randint(0, 200)

    normal = [b for b in builds if b.log_kind == "normal"]
    # two builds whose podinfo.json was never written (artifacts present)
    for b in (
        (normal[len(normal) // 5], normal[len(normal) * 3 // 5]) if not small else (normal[2],)
    ):
        b.podinfo = False
    failures = [b for b in normal if b.result == "FAILURE" and _E2E in (b.artifacts or ())]
    era_c_failures = [b for b in failures if b.era == "C"]
    huge = era_c_failures[len(era_c_failures) // 2]
    huge.log_kind, huge.big_size = "huge", (_SMALL_LOG_LIMIT if small else 30_000_000)
    plain_failures = [b for b in failures if b.era != "C" and b is not huge]
    big_sizes = (48_000, 40_000, 36_000) if small else (6_662_932, 2_400_000, 1_150_000)
    for b, size in zip(plain_failures[1::7], big_sizes, strict=False):
        b.log_kind, b.big_size = "big", size
    successes = [b for b in normal if b.result == "SUCCESS"]
    successes[len(successes) // 3].finished_variant = "no-result"
    aborted = [b for b in normal if b.result == "ABORTED"]
    if aborted:
        aborted[0].finished_variant = "passed-null"
    with_oplog = [b for b in normal if _OPLOG in (b.artifacts or ()) and b.era == "B"]
    with_oplog[len(with_oplog) // 2].gzip_oplog = True
    with_junit = [b for b in normal if b.result == "FAILURE" and b.era == "A"]
    with_junit[0].junit_comment = True
    builds[1].event_count = None if small else 482

    # the newest build has started but not finished
    last = builds[-1]
    pending_ms = snowflake_ms(last.build_id) + 21_600_000 + 41_337
    pending_id = snowflake_id(pending_ms)
    prng = random.Random(int(pending_id))
    builds.append(
        _Build(
            job=BIG_JOB,
            build_id=pending_id,
            start=pending_ms / 1000,
            rng=prng,
            era="C",
            result=None,
            artifacts=None,
            podinfo=False,
            namespace=_ns(prng),
            duration=0.0,
        )
    )
    return builds


def _decide_outcome(build: _Build) -> None:
    """Result, log kind and duration of a finished build from its artifacts combination."""
    rng = build.rng
    combo = build.artifacts or ()
    if combo in ((_JUNIT, _META), (_JUNIT,)):
        build.result, build.log_kind, build.duration = "FAILURE", "config-error", 2 + rng.random()
    elif _REL not in combo and _E2E not in combo:
        build.result, build.log_kind, build.duration = "FAILURE", "early", 180 + rng.randint(0, 90)
    elif _E2E not in combo:
        build.result, build.log_kind = "FAILURE", "lease"
        build.duration = 3600 + rng.randint(0, 1800)
    else:
        roll = rng.random()
        build.result = "SUCCESS" if roll < 0.58 else "FAILURE" if roll < 0.95 else "ABORTED"
        build.duration = 5400 + rng.randint(0, 3600)


def _nightly_plan(small: bool) -> list[_Build]:
    count = 4 if small else 12
    base_ms = 1709251200000  # 2024-03-01T00:00:00Z
    builds = []
    for index in range(count):
        start_ms = base_ms + index * 86_400_000 + 1_000 * ((index * 7919) % 600)
        build_id = snowflake_id(start_ms)
        rng = random.Random(int(build_id))
        pending = index == count - 1
        roll = rng.random()
        result = None if pending else ("SUCCESS" if roll < 0.6 else "FAILURE")
        build = _Build(
            job=NIGHTLY_JOB,
            build_id=build_id,
            start=start_ms / 1000,
            rng=rng,
            era="N",
            result=result,
            artifacts=None if pending else (_OPLOG, _GRAPH, _JUNIT, _META, "e2e-aws-ovn/"),
            podinfo=not pending,
            namespace=_ns(rng),
            duration=0.0 if pending else 7200 + rng.randint(0, 3600),
        )
        if index == 2:
            build.result, build.finished_variant = "FAILURE", "crier"
        builds.append(build)
    return builds


def _presubmit_plan(small: bool) -> list[_Build]:
    count = 3 if small else 5
    base_ms = 1709550000000  # 2024-03-04
    builds = []
    for index in range(count):
        start_ms = base_ms + index * 5_400_000 + 1_000 * ((index * 104_729) % 900)
        build_id = snowflake_id(start_ms, sequence=index)
        rng = random.Random(int(build_id))
        result = ("FAILURE", "FAILURE", "SUCCESS", "FAILURE", "SUCCESS")[index % 5]
        build = _Build(
            job=PRESUBMIT_JOB,
            build_id=build_id,
            start=start_ms / 1000,
            rng=rng,
            era="N",
            result=result,
            artifacts=(_OPLOG, _JUNIT, _META, "e2e-aws/"),
            namespace=_ns(rng),
            duration=4200 + rng.randint(0, 2400),
        )
        build.refs = {
            "org": "openshift",
            "repo": "release",
            "base_ref": "master",
            "base_sha": _hex(random.Random(4242), 40),
            "pull": PRESUBMIT_PR,
            "pull_sha": _hex(random.Random(4242 + index // 2), 40),
        }
        builds.append(build)
    return builds


# --------------------------------------------------------------------------------------
# build logs


class _LogLines:
    """ci-operator log lines in the plain (early 2021) or coloured logrus format."""

    def __init__(self, coloured: bool) -> None:
        self.coloured = coloured
        self.lines: list[str] = []
        self.json_lines: list[str] = []

    def info(self, ts: float, msg: str) -> None:
        if self.coloured:
            self.lines.append(f"\x1b[36mINFO\x1b[0m[{_iso(ts)}] {msg:<44} ")
        else:
            self.lines.append(f"{_slash(ts)} {msg}")
        self.json_lines.append(_json_log("info", msg, ts))

    def error(self, ts: float, msg: str) -> None:
        if self.coloured:
            self.lines.append(f"\x1b[31mERRO\x1b[0m[{_iso(ts)}] {msg:<44} ")
        else:
            self.lines.append(msg)
        self.json_lines.append(_json_log("error", msg, ts))

    def debug(self, ts: float, msg: str) -> None:
        self.json_lines.append(_json_log("debug", msg, ts))

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"

    def json_text(self) -> str:
        return "\n".join(self.json_lines) + "\n"


def _json_log(level: str, msg: str, ts: float) -> str:
    return f'{{"level":"{level}","msg":{_json_string(msg)},"time":"{_iso(ts)}"}}'


_INSTALL_OUTPUT = (
    'level=info msg="Credentials loaded from environment variable \\"GOOGLE_CLOUD_KEYFILE_JSON\\""',
    'level=info msg="Consuming Install Config from target directory"',
    'level=info msg="Creating infrastructure resources..."',
    'level=info msg="Waiting up to 20m0s for the Kubernetes API at https://api.{ns}.gcp:6443..."',
    'level=info msg="API v1.18.3+cdb0358 up"',
    'level=info msg="Waiting up to 40m0s for bootstrapping to complete..."',
    'level=error msg="Cluster operator authentication Degraded is True with '
    'RouterCerts_NoRouterCertSecret: secret/v4-0-config-system-router-certs not found"',
    'level=info msg="Cluster operator machine-config Progressing is True with : Working '
    'towards 4.5.37"',
    'level=error msg="Cluster operator machine-config Degraded is True with '
    'RenderConfigFailed: configmap \\"kube-cloud-config\\" not found"',
    'level=info msg="Pulling debug logs from the bootstrap machine"',
    'level=fatal msg="Bootstrap failed to complete: failed to wait for bootstrapping to '
    'complete: timed out waiting for the condition"',
    '{"component":"entrypoint","error":"wrapped process failed: exit status 1",'
    '"level":"error","msg":"Error executing test process","severity":"error"}',
    "error: failed to execute wrapped command: exit status 1",
)


def _ci_operator_log(build: _Build) -> tuple[bytes, bytes]:
    """The top-level build-log.txt and the matching artifacts/ci-operator.log (JSON lines)."""
    rng = build.rng
    coloured = build.era in ("C", "N")
    log = _LogLines(coloured)
    t = build.start + 7 + rng.random()
    job_variant = f" [{build.variant}]" if build.variant else ""
    version_day = datetime.fromtimestamp(build.start - 86400, timezone.utc).strftime("%Y%m%d")
    log.info(t, f"ci-operator version v{version_day}-{_hex(rng, 7)}")
    log.info(
        t,
        f"Loading configuration from https://config.ci.openshift.org for "
        f"openshift/release@master{job_variant}",
    )
    log.debug(t, "performing request method GET url https://config.ci.openshift.org/config")
    if build.log_kind == "config-error":
        log.error(
            t,
            "error: failed to load configuration: got unexpected http 404 status code "
            "from configresolver: failed to get config: could not find any config for "
            "branch master on repo openshift/release",
        )
        if build.era == "A" and rng.random() < 0.5:
            log.lines.append(
                f'time="{_iso(t)}" level=info msg="Reporting job state \'failed\' '
                "with reason 'loading_args:loading_config:config_resolver'\""
            )
        elif not coloured:
            log.lines[:] = log.lines[-1:]
        return log.text().encode(), log.json_text().encode()
    log.info(
        t,
        "Resolved SHA missing for master in https://github.com/openshift/release "
        "(will prevent caching)",
    )
    log.info(
        t,
        "Using explicitly provided pull-spec for release initial "
        "(registry.ci.openshift.org/ocp/release:4.5.37)",
    )
    stamp = datetime.fromtimestamp(build.start - 7200, timezone.utc).strftime("%Y-%m-%d-%H%M%S")
    log.info(
        t,
        f"Using explicitly provided pull-spec for release latest "
        f"(registry.ci.openshift.org/ocp/release:4.6.0-0.ci-{stamp})",
    )
    log.info(
        t,
        f"Using namespace https://console.build02.ci.openshift.org/k8s/cluster/projects/"
        f"{build.namespace}",
    )
    log.info(
        t,
        "Running [input:origin-centos-8], [input:ocp-4.5-upi-installer], "
        f"[release:initial], [release:latest], [images], {build.test}",
    )
    for src, dst in (
        ("origin/centos:8", "origin-centos-8"),
        ("ocp/4.5:upi-installer", "ocp-4.5-upi-installer"),
    ):
        t += 0.6
        log.info(t, f"Tagging {src} into pipeline:{dst}.")
    for name in ("initial", "latest"):
        log.info(t, f"Importing release image {name}.")
    if build.log_kind == "early":
        t += 120
        log.info(
            t,
            "Imported release 4.5.37 created at 2021-03-31 06:05:56 +0000 UTC with 108 "
            "images to tag release:initial",
        )
        log.error(
            t,
            "error: some steps failed:\n  * could not run steps: step [release:latest] "
            'failed: failed to import release image: pod "release-images-latest-cli" '
            "failed: the pod was deleted",
        )
        if not coloured:
            log.lines.append(
                f'time="{_iso(t)}" level=error msg="Reporting job state \'failed\' '
                "with reason 'executing_graph:step_failed:importing_release'\""
            )
        return log.text().encode(), log.json_text().encode()
    t += 129
    log.info(
        t,
        "Imported release 4.5.37 created at 2021-03-31 06:05:56 +0000 UTC with 108 images "
        "to tag release:initial",
    )
    t += 8
    log.info(
        t,
        f"Imported release 4.6.0-0.ci-{stamp} created at {_slash(build.start - 7100)} "
        "+0000 UTC with 121 images to tag release:latest",
    )
    log.info(t, f"Acquiring leases for test {build.test}")
    if build.log_kind == "lease":
        t += 3600
        for attempt in range(1, 13):
            log.info(
                t - 3600 + attempt * 300,
                f"Waiting for lease gcp-quota-slice (attempt "
                f"{attempt}/12): no resources of type gcp-quota-slice are free",
            )
        errors = [
            f"  * could not run steps: step {build.test} failed: failed to acquire "
            "lease for gcp-quota-slice: resources not found"
        ]
        return _finish_log(log, build, t, errors, "utilizing_lease:acquiring_lease")
    log.info(t, f"Running multi-stage test {build.test}")
    failing_step = ""
    if build.result == "FAILURE":
        failing_step = rng.choice(
            ("ipi-install-install-stableinitial", "openshift-e2e-test", "openshift-e2e-test")
        )
        if build.log_kind in ("big", "huge"):
            failing_step = "openshift-e2e-test"
    aborted_at = rng.randint(5, 9) if build.result == "ABORTED" else None
    for index, (step, seconds) in enumerate(_E2E_STEPS):
        if aborted_at is not None and index == aborted_at:
            log.info(t, "Received signal terminated, cancelling execution")
            errors = [f"  * could not run steps: step {build.test}-{step} was interrupted"]
            return _finish_log(log, build, t, errors, "interrupted")
        name = f"{build.test}-{step}"
        log.info(t, f"Running step {name}.")
        log.debug(t, f"Creating pod {name} in namespace {build.namespace}")
        took = seconds * (0.8 + 0.4 * rng.random()) + rng.random()
        t += took
        for container in ("place-entrypoint", "cp-secret-wrapper", "sidecar", "test"):
            log.info(t, f"Container {container} in pod {name} completed successfully")
        if step == failing_step:
            log.info(t, f"Logs for container test in pod {name}:")
            _dump_step_output(log, build, t, step)
            log.info(t, f"Step {name} failed after {_duration(took)}.")
        else:
            log.info(t, f"Pod {name} succeeded after {_duration(took)}")
            log.info(t, f"Step {name} succeeded after {_duration(took)}.")
        if step == failing_step and step == "ipi-install-install-stableinitial":
            break
    log.info(t, f"Releasing leases for test {build.test}")
    if not failing_step:
        return _finish_log(log, build, t, [])
    errors = [
        f"  * could not run steps: step {build.test} failed: "
        f'"{build.test}" test steps failed: "{build.test}" pod '
        f'"{build.test}-{failing_step}" failed: the pod {build.namespace}/'
        f"{build.test}-{failing_step} failed after "
        f"{_duration(1800 + build.rng.random())} (failed containers: test): "
        "ContainerFailed one or more containers exited",
        "Container test exited with code 1, reason Error",
        f"Link to step on registry info site: https://steps.ci.openshift.org/reference/"
        f"{failing_step}",
    ]
    return _finish_log(log, build, t, errors, "utilizing_lease:executing_test")


def _dump_step_output(log: _LogLines, build: _Build, t: float, step: str) -> None:
    """A failed step's container log, re-logged by ci-operator (huge for the big logs)."""
    if step == "ipi-install-install-stableinitial":
        for line in _INSTALL_OUTPUT:
            log.info(t, line.replace("{ns}", build.namespace))
        return
    if build.log_kind in ("big", "huge"):
        log.info(t, "\x00BULK\x00")  # placeholder filled by _fill_bulk
        return
    for line in _e2e_output(build.rng, build.start + 3000, 30 + build.rng.randint(0, 40)):
        log.info(t, line)


def _finish_log(
    log: _LogLines, build: _Build, t: float, errors: list[str], reason: str = ""
) -> tuple[bytes, bytes]:
    """End a ci-operator log: run time, the failure summary, the reported job state."""
    t += 1
    log.info(t, f"Ran for {_duration(t - build.start)}")
    coloured = log.coloured
    if errors:
        log.error(t, "Some steps failed:" if coloured else "error: some steps failed:")
        for line in errors:
            log.error(t, line)
    if not coloured:
        state = "failed" if reason else "succeeded"
        suffix = f" with reason 'executing_graph:step_failed:{reason}'" if reason else ""
        log.lines.append(
            f'time="{_iso(t)}" level=info msg="Reporting job state \'{state}\'{suffix}"'
        )
    text = log.text()
    oplog = log.json_text()
    if build.log_kind in ("big", "huge"):
        text = _fill_bulk(text, build, coloured)
        oplog = oplog.replace("\\u0000BULK\\u0000", "(container output omitted: 1 MiB limit)")
    return text.encode(), oplog.encode()


_E2E_MESSAGES = (
    "INFO: cluster upgrade is Progressing: Working towards {v}: {p}% complete",
    "INFO: Waiting for all pods to be running in namespace openshift-etcd",
    "INFO: Poll: route not yet available, retrying in 2s",
    "INFO: Unexpected error listing nodes: Get https://api.{ns}.gcp:6443/api/v1/nodes: EOF",
    "INFO: >>> kubeConfig: /tmp/kubeconfig",
    "INFO: Service endpoint for e2e-k8s-service-lb-available is not reachable: i/o timeout",
    "\x1b[1mSTEP\x1b[0m: Creating a kubernetes client",
    "\x1b[1mSTEP\x1b[0m: Building a namespace api object, basename e2e-test",
    "\x1b[1mSTEP\x1b[0m: Waiting for a default service account to be provisioned in namespace",
    "\x1b[90m/go/src/github.com/openshift/origin/test/e2e/upgrade/upgrade.go:138\x1b[0m",
    "INFO: Running 'oc --namespace=e2e-test-{p} --kubeconfig=/tmp/kubeconfig get pods'",
    "INFO: Condition Ready of node {ns}-w-b-{p} is false instead of true. Reason: KubeletNotReady",
    "INFO: event for {ns}-master-0: {{kubelet }} NodeNotReady: Node status is now: NodeNotReady",
    "INFO: At 2021-04-17 20:31:05 +0000 UTC - event for etcd-quorum-guard: {{default-scheduler }}"
    " FailedScheduling: 0/6 nodes are available: 3 node(s) didn't match node selector",
    "\x1b[32m\u2022\x1b[0m\x1b[32m [SLOW TEST:{p}.412 seconds]\x1b[0m",
    "\x1b[91m\x1b[1m\u2022 Failure [{p}.002 seconds]\x1b[0m",
    "disruption/openshift-api connection/new stopped responding to GET requests over new "
    "connections: Get https://api.{ns}.gcp:6443/apis/image.openshift.io/v1: dial tcp: i/o timeout",
)


def _e2e_output(rng: random.Random, t: float, count: int, version: str = "4.6.0-0.ci") -> list[str]:
    out = []
    for _ in range(count):
        t += rng.random() * 4
        msg = rng.choice(_E2E_MESSAGES).format(v=version, p=rng.randint(1, 99), ns="ci-op-x")
        out.append(f"{_klog(t)}: {msg}")
    return out


def _fill_bulk(text: str, build: _Build, coloured: bool) -> str:
    """Replace the bulk placeholder with e2e output so the log reaches ``build.big_size``."""
    marker_line = next(line for line in text.split("\n") if "\x00BULK\x00" in line)
    head, tail = text.split(marker_line + "\n", 1)
    prefix = marker_line.split("\x00BULK\x00")[0]
    end = " " if coloured else ""  # logrus pads the message and adds one space
    rng = random.Random(int(build.build_id) + 1)
    pool = [
        m.format(v="4.6.0-0.ci", p=p, ns=build.namespace)
        for m in _E2E_MESSAGES
        for p in (3, 17, 42, 64, 88)
    ]
    mean = sum(len(m) for m in pool) / len(pool) + len(prefix) + len(end) + 21
    budget = build.big_size - len(head) - len(tail) - 1
    count = max(1, int(budget / mean) + 1)
    first_ms = int((build.start + 3000) * 1000)
    seconds = {}
    for second in range(first_ms // 1000, (first_ms + count * 13) // 1000 + 1):
        seconds[second] = datetime.fromtimestamp(second, timezone.utc).strftime("%b %d %H:%M:%S")
    lines = [
        f"{prefix}{seconds[ms // 1000]}.{ms % 1000:03d}: {msg}{end}"
        for ms, msg in zip(
            range(first_ms, first_ms + count * 13, 13), rng.choices(pool, k=count), strict=True
        )
    ]
    body = "\n".join(lines)
    # trim to the budget on a line boundary
    if len(body) > budget > 0:
        body = body[: body.rfind("\n", 0, budget)]
    return head + body + "\n" + tail


# --------------------------------------------------------------------------------------
# metadata files


def _started_json(build: _Build) -> bytes:
    if build.job == PRESUBMIT_JOB:
        refs = build.refs
        repos = {
            "openshift/release": f"master:{refs['base_sha']},{refs['pull']}:{refs['pull_sha']}"
        }
        return _compact(
            {
                "timestamp": int(build.start),
                "pull": str(refs["pull"]),
                "repos": repos,
                "repo-version": refs["pull_sha"],
                "repo-commit": refs["pull_sha"],
            }
        )
    sha = _hex(random.Random(int(build.start) // 86400), 40)
    if build.started_variant == "crier":
        return _tabbed(
            {
                "timestamp": int(build.start) + 2,
                "repos": {"openshift/release": "master"},
                "metadata": {"uploader": "crier"},
            }
        )
    if build.job == NIGHTLY_JOB:
        return _compact({"timestamp": int(build.start)})
    return _compact(
        {
            "timestamp": int(build.start),
            "repos": {"openshift/release": "master"},
            "repo-version": sha,
            "repo-commit": sha,
        }
    )


def _metadata(build: _Build) -> dict[str, object]:
    stamp = datetime.fromtimestamp(build.start - 7200, timezone.utc).strftime("%Y-%m-%d-%H%M%S")
    return {
        "infra-commit": _hex(random.Random(int(build.start) // 86400 + 1), 9),
        "job-version": f"4.6.0-0.ci-{stamp}",
        "pod": build.job if len(build.job) < 63 else build.job[:40],
        "repo": "openshift/release",
        "repo-commit": _hex(random.Random(int(build.start) // 86400), 40),
        "repos": {"openshift/release": "master"},
        "work-namespace": build.namespace,
    }


def _finished_json(build: _Build) -> bytes:
    assert build.result is not None
    passed = build.result == "SUCCESS"
    ts = int(build.end)
    if build.finished_variant == "crier":
        return _tabbed(
            {
                "timestamp": ts,
                "passed": passed,
                "result": build.result.lower(),
                "metadata": {"uploader": "crier"},
            }
        )
    body: dict[str, object] = {"timestamp": ts, "passed": passed, "result": build.result}
    if build.finished_variant == "no-result":
        body = {"timestamp": ts, "passed": passed}
    elif build.finished_variant == "passed-null":
        body["passed"] = None
    body["revision"] = "master"
    if build.artifacts and _META in build.artifacts:
        body["metadata"] = _metadata(build)
    return _compact(body)


def _prowjob_json(build: _Build) -> bytes:
    rng = random.Random(int(build.build_id) + 7)
    name = _uid(rng)
    presubmit = build.job == PRESUBMIT_JOB
    job_type = "presubmit" if presubmit else "periodic"
    labels = {
        "ci.openshift.io/generator": "prowgen",
        "created-by-prow": "true",
        "prow.k8s.io/build-id": build.build_id,
        "prow.k8s.io/context": "" if not presubmit else "e2e-aws",
        "prow.k8s.io/id": name,
        "prow.k8s.io/job": build.job[:63],
        "prow.k8s.io/type": job_type,
    }
    refs = {
        "org": "openshift",
        "repo": "release",
        "repo_link": "https://github.com/openshift/release",
        "base_ref": "master",
        "base_link": "https://github.com/openshift/release/commits/master",
    }
    if presubmit:
        refs["base_sha"] = build.refs["base_sha"]
        refs["pulls"] = [
            {
                "number": PRESUBMIT_PR,
                "author": "demo-author",
                "sha": build.refs["pull_sha"],
                "title": "Add a demo job",
                "link": f"https://github.com/openshift/release/pull/{PRESUBMIT_PR}",
            }
        ]
    build_dir = _build_dir(build)
    spec: dict[str, object] = {
        "type": job_type,
        "agent": "kubernetes",
        "cluster": "build02",
        "namespace": "ci",
        "job": build.job,
        ("refs" if presubmit else "extra_refs"): refs if presubmit else [refs],
        "report": presubmit,
        "rerun_command": "/test e2e-aws" if presubmit else "",
        "pod_spec": {
            "containers": [
                {
                    "name": "",
                    "image": "ci-operator:latest",
                    "command": ["ci-operator"],
                    "args": [
                        "--gcs-upload-secret=/secrets/gcs/service-account.json",
                        "--image-import-pull-secret=/etc/pull-secret/.dockerconfigjson",
                        "--lease-server-credentials-file=/etc/boskos/credentials",
                        "--report-credentials-file=/etc/report/credentials",
                        "--secret-dir=/secrets/ci-pull-credentials",
                        f"--target={build.test}",
                        f"--variant={build.variant}",
                    ],
                    "resources": {"requests": {"cpu": "10m"}},
                    "imagePullPolicy": "Always",
                }
            ],
            "serviceAccountName": "ci-operator",
        },
        "decoration_config": {
            "timeout": "4h0m0s",
            "grace_period": "1h0m0s",
            "utility_images": {
                tool: f"gcr.io/k8s-prow/{tool}:v20210224-9f7a9a3d3f"
                for tool in ("clonerefs", "initupload", "entrypoint", "sidecar")
            },
            "gcs_configuration": {
                "bucket": CONTENT_BUCKET,
                "path_strategy": "single",
                "default_org": "openshift",
                "default_repo": "origin",
                "mediaTypes": {"log": "text/plain"},
            },
            "gcs_credentials_secret": "gce-sa-credentials-gcs-publisher",
        },
    }
    status: dict[str, object] = {
        "startTime": _iso(build.start - 1),
        "pendingTime": _iso(build.start),
    }
    if build.result is None:
        status["state"] = "pending"
        status["description"] = "Job triggered."
    else:
        status["completionTime"] = _iso(build.end + 20)
        status["state"] = build.result.lower()
        status["description"] = {
            "SUCCESS": "Job succeeded.",
            "FAILURE": "Job failed.",
            "ABORTED": "Job aborted.",
        }[build.result]
    status["url"] = f"https://prow.ci.openshift.org/view/gs/{CONTENT_BUCKET}/{build_dir}"
    status["pod_name"] = name
    status["build_id"] = build.build_id
    status["prev_report_states"] = {
        "gcsk8sreporter": status["state"],
        "gcsreporter": status["state"],
    }
    return _tabbed(
        {
            "kind": "ProwJob",
            "apiVersion": "prow.k8s.io/v1",
            "metadata": {
                "name": name,
                "namespace": "ci",
                "uid": _uid(rng),
                "resourceVersion": str(rng.randint(10**8, 10**9)),
                "generation": 7 if build.result else 2,
                "creationTimestamp": _iso(build.start - 1),
                "labels": labels,
                "annotations": {"prow.k8s.io/context": "", "prow.k8s.io/job": build.job},
            },
            "spec": spec,
            "status": status,
        }
    )


def _pod_event(
    rng: random.Random,
    namespace: str,
    pod: str,
    ts: float,
    reason: str,
    message: str,
    *,
    kind: str = "Pod",
    field_path: str = "",
    event_type: str = "Normal",
    component: str = "kubelet",
    host: str = "",
    count: int = 1,
) -> dict[str, object]:
    involved: dict[str, object] = {
        "kind": kind,
        "namespace": namespace,
        "name": pod,
        "uid": _uid(rng),
        "apiVersion": "v1" if kind == "Pod" else "policy/v1beta1",
        "resourceVersion": str(rng.randint(10**8, 10**9)),
    }
    if field_path:
        involved["fieldPath"] = field_path
    source: dict[str, str] = {"component": component}
    if host:
        source["host"] = host
    return {
        "metadata": {
            "name": f"{pod}.{_hex(rng, 16)}",
            "namespace": namespace,
            "uid": _uid(rng),
            "resourceVersion": str(rng.randint(10**8, 10**9)),
            "creationTimestamp": _iso(ts),
        },
        "involvedObject": involved,
        "reason": reason,
        "message": message,
        "source": source,
        "firstTimestamp": _iso(ts),
        "lastTimestamp": _iso(ts + (count - 1) * 30),
        "count": count,
        "type": event_type,
        "eventTime": None,
        "reportingComponent": "",
        "reportingInstance": "",
    }


def _events_for(build: _Build, pods: int, target: int | None) -> list[dict[str, object]]:
    """A realistic CI-namespace event stream: jobs, scheduling, pulls, containers, back-offs."""
    rng = random.Random(int(build.build_id) + 3)
    ns = build.namespace
    events: list[dict[str, object]] = []
    t = build.start + 20
    for _ in range(4):
        events.append(
            _pod_event(
                rng,
                ns,
                ns,
                t,
                "CiJobRequested",
                f"Running job {build.job} for build {build.build_id}",
                kind="Namespace",
                component="ci-operator",
            )
        )
    prow_tag = "v20210224-9f7a9a3d3f"
    names = [f"{build.test}-{s}" for s, _ in _E2E_STEPS] + [
        "release-images-initial",
        "release-images-latest",
    ]
    while len(names) < pods:
        names.append(f"{build.test}-extra-{len(names)}")
    for pod in names[:pods]:
        t += 30 + rng.random() * 240
        host = (
            f"build0-gstfj-w-{rng.choice('bcd')}-{_hex(rng, 5)}.c.openshift-ci-build-farm.internal"
        )
        if rng.random() < 0.15:
            events.append(
                _pod_event(
                    rng,
                    ns,
                    pod,
                    t,
                    "FailedScheduling",
                    f"0/{rng.randint(20, 40)} nodes are available: "
                    f"{rng.randint(1, 5)} Insufficient cpu, 3 node(s) had taint "
                    "{node-role.kubernetes.io/master: }, that the pod "
                    "didn't tolerate.",
                    event_type="Warning",
                    component="default-scheduler",
                )
            )
        events.append(
            _pod_event(
                rng,
                ns,
                pod,
                t,
                "Scheduled",
                f"Successfully assigned {ns}/{pod} to {host}",
                component="default-scheduler",
            )
        )
        events.append(
            _pod_event(
                rng,
                ns,
                pod,
                t + 2,
                "AddedInterface",
                f"Add eth0 [10.{rng.randint(128, 131)}.{rng.randint(0, 255)}."
                f"{rng.randint(2, 254)}/23]",
                component="multus",
            )
        )
        for container, image in (
            ("place-entrypoint", f"gcr.io/k8s-prow/entrypoint:{prow_tag}"),
            ("sidecar", f"gcr.io/k8s-prow/sidecar:{prow_tag}"),
        ):
            path = f"spec.{'initContainers' if container == 'place-entrypoint' else 'containers'}"
            fp = f"{path}{{{container}}}"
            events.append(
                _pod_event(
                    rng,
                    ns,
                    pod,
                    t + 3,
                    "Pulled",
                    f'Container image "{image}" already present on machine',
                    field_path=fp,
                    host=host,
                )
            )
            events.append(
                _pod_event(
                    rng,
                    ns,
                    pod,
                    t + 4,
                    "Created",
                    f"Created container {container}",
                    field_path=fp,
                    host=host,
                )
            )
            events.append(
                _pod_event(
                    rng,
                    ns,
                    pod,
                    t + 4,
                    "Started",
                    f"Started container {container}",
                    field_path=fp,
                    host=host,
                )
            )
        image = f"image-registry.openshift-image-registry.svc:5000/{ns}/stable:{pod[-12:]}"
        fp = "spec.containers{test}"
        events.append(
            _pod_event(
                rng, ns, pod, t + 5, "Pulling", f'Pulling image "{image}"', field_path=fp, host=host
            )
        )
        if rng.random() < 0.12:
            events.append(
                _pod_event(
                    rng,
                    ns,
                    pod,
                    t + 40,
                    "BackOff",
                    f'Back-off pulling image "{image}"',
                    field_path=fp,
                    host=host,
                    event_type="Warning",
                    count=rng.randint(2, 6),
                )
            )
            events.append(
                _pod_event(
                    rng,
                    ns,
                    pod,
                    t + 41,
                    "Failed",
                    "Error: ImagePullBackOff",
                    field_path=fp,
                    host=host,
                    event_type="Warning",
                )
            )
        events.append(
            _pod_event(
                rng,
                ns,
                pod,
                t + 60,
                "Pulled",
                f'Successfully pulled image "{image}" in {rng.uniform(0.5, 50):.6f}s',
                field_path=fp,
                host=host,
            )
        )
        events.append(
            _pod_event(
                rng, ns, pod, t + 61, "Created", "Created container test", field_path=fp, host=host
            )
        )
        events.append(
            _pod_event(
                rng, ns, pod, t + 61, "Started", "Started container test", field_path=fp, host=host
            )
        )
        if rng.random() < 0.2:
            events.append(
                _pod_event(
                    rng,
                    ns,
                    pod,
                    t + 62,
                    "NoPods",
                    "No matching pods found",
                    kind="PodDisruptionBudget",
                    component="controllermanager",
                )
            )
        if rng.random() < 0.1:
            events.append(
                _pod_event(
                    rng,
                    ns,
                    pod,
                    t + 62,
                    "NoControllers",
                    f'found no controller ref for pod "{pod}"',
                    kind="PodDisruptionBudget",
                    component="controllermanager",
                    event_type="Warning",
                )
            )
    if target is not None:
        while len(events) < target:
            t += 31
            pod = rng.choice(names[:pods])
            image = f"image-registry.openshift-image-registry.svc:5000/{ns}/stable:{pod[-12:]}"
            events.append(
                _pod_event(
                    rng,
                    ns,
                    pod,
                    t,
                    "BackOff",
                    f'Back-off pulling image "{image}"',
                    field_path="spec.containers{test}",
                    event_type="Warning",
                    count=rng.randint(2, 9),
                )
            )
        del events[target:]
    return events


def _event_list(items: list[dict[str, object]], rng: random.Random) -> bytes:
    return _compact(
        {
            "kind": "EventList",
            "apiVersion": "v1",
            "metadata": {"resourceVersion": str(rng.randint(10**8, 10**9))},
            "items": items,
        }
    )


def _podinfo_json(build: _Build) -> bytes:
    rng = random.Random(int(build.build_id) + 11)
    pod_name = _uid(random.Random(int(build.build_id) + 7))
    host = f"build0-gstfj-ci-prowjobs-worker-{rng.choice('bcd')}-{_hex(rng, 5)}"
    phase = "Succeeded" if build.result == "SUCCESS" else "Failed"
    exit_code = 0 if build.result == "SUCCESS" else 1
    containers = [
        {
            "name": "test",
            "image": "ci-operator:latest",
            "command": ["/tools/entrypoint"],
            "env": [
                {"name": "BUILD_ID", "value": build.build_id},
                {"name": "JOB_NAME", "value": build.job},
            ],
        },
        {
            "name": "sidecar",
            "image": "gcr.io/k8s-prow/sidecar:v20210224-9f7a9a3d3f",
            "command": ["/sidecar"],
        },
    ]
    statuses = [
        {
            "name": name,
            "state": {
                "terminated": {
                    "exitCode": code,
                    "reason": "Completed" if code == 0 else "Error",
                    "startedAt": _iso(build.start + 5),
                    "finishedAt": _iso(build.end),
                }
            },
            "ready": False,
            "restartCount": 0,
            "image": image,
        }
        for name, code, image in (
            ("test", exit_code, "ci-operator:latest"),
            ("sidecar", 0, "gcr.io/k8s-prow/sidecar:v20210224-9f7a9a3d3f"),
        )
    ]
    pod = {
        "metadata": {
            "name": pod_name,
            "namespace": "ci",
            "uid": _uid(rng),
            "creationTimestamp": _iso(build.start - 1),
            "labels": {
                "created-by-prow": "true",
                "prow.k8s.io/build-id": build.build_id,
                "prow.k8s.io/job": build.job[:63],
            },
        },
        "spec": {"containers": containers, "nodeName": host, "restartPolicy": "Never"},
        "status": {
            "phase": phase,
            "hostIP": f"10.0.{rng.randint(0, 63)}.{rng.randint(2, 254)}",
            "startTime": _iso(build.start),
            "containerStatuses": statuses,
        },
    }
    body: dict[str, object] = {"pod": pod}
    events = [
        _pod_event(
            rng,
            "ci",
            pod_name,
            build.start,
            "Scheduled",
            f"Successfully assigned ci/{pod_name} to {host}",
            component="default-scheduler",
        ),
        _pod_event(
            rng,
            "ci",
            pod_name,
            build.start + 3,
            "Pulled",
            'Container image "ci-operator:latest" already present on machine',
            field_path="spec.containers{test}",
            host=host,
        ),
        _pod_event(
            rng,
            "ci",
            pod_name,
            build.start + 4,
            "Created",
            "Created container test",
            field_path="spec.containers{test}",
            host=host,
        ),
        _pod_event(
            rng,
            "ci",
            pod_name,
            build.start + 4,
            "Started",
            "Started container test",
            field_path="spec.containers{test}",
            host=host,
        ),
    ]
    if rng.random() < 0.8:
        body["events"] = events
    if rng.random() < 0.85:
        body["node"] = {
            "metadata": {
                "name": host,
                "uid": _uid(rng),
                "labels": {"kubernetes.io/hostname": host, "node-role.kubernetes.io/worker": ""},
            },
            "status": {
                "nodeInfo": {
                    "kubeletVersion": "v1.20.0+bafe72f",
                    "osImage": "Red Hat Enterprise Linux CoreOS 47.83",
                }
            },
        }
    return _tabbed(body)


def _junit_operator(build: _Build, steps: Iterable[str]) -> bytes:
    rng = random.Random(int(build.build_id) + 5)
    cases: list[str] = []
    failures = 0
    for step in steps:
        took = f"{rng.uniform(1, 3000):.6f}"
        if build.result == "FAILURE" and step.endswith(
            ("openshift-e2e-test container test", "load configuration")
        ):
            failures += 1
            cases.append(
                f'    <testcase name="{step}" time="{took}">\n'
                '      <failure message="">+ openshift-tests run-upgrade all&#xA;'
                "error: 3 fail, 1024 pass, 18 skip&#xA;{&#34;component&#34;:&#34;entrypoint&#34;,"
                "&#34;error&#34;:&#34;wrapped process failed: exit status 1&#34;}&#xA;"
                "</failure>\n    </testcase>"
            )
        else:
            cases.append(f'    <testcase name="{step}" time="{took}"></testcase>')
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n'
        f'  <testsuite name="operator" tests="{len(cases)}" skipped="0" failures="{failures}" '
        f'time="{rng.uniform(100, 9000):.6f}">\n    <properties></properties>\n'
        + "\n".join(cases)
        + "\n  </testsuite>\n</testsuites>\n"
    )
    if build.junit_comment:
        body = f"<!-- generated by ci-operator for {build.job} -->\n" + body
    return body.encode()


def _junit_e2e(build: _Build) -> bytes:
    rng = random.Random(int(build.build_id) + 13)
    tests = [
        "[sig-arch] Check if alerts are firing during or after upgrade success",
        "[sig-cluster-lifecycle] Cluster completes upgrade",
        "[sig-api-machinery] Kubernetes APIs remain available for new connections",
        "[sig-api-machinery] OpenShift APIs remain available for new connections",
        "[sig-network-edge] Application behind service load balancer with PDB is not disrupted",
        "[sig-storage] [Serial] Volume expansion should resize volume when PVC is edited",
        "[sig-node] pods should never transition back to pending",
        "[sig-etcd] etcd leader changes are not excessive",
    ]
    failing = set(rng.sample(tests, 2)) if build.result == "FAILURE" else set()
    cases = []
    for name in tests:
        took = f"{rng.uniform(0.1, 4000):.3f}"
        if name in failing:
            cases.append(
                f'  <testcase name="{name}" time="{took}">\n    <failure message="">fail '
                "[github.com/openshift/origin/test/e2e/upgrade/upgrade.go:138]: during upgrade: "
                "Cluster did not complete upgrade: timed out waiting for the condition"
                "</failure>\n  </testcase>"
            )
        else:
            cases.append(f'  <testcase name="{name}" time="{took}"></testcase>')
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<testsuite name="openshift-tests" tests="{len(tests)}" skipped="0" '
        f'failures="{len(failing)}" time="{rng.uniform(3000, 6000):.3f}">\n'
        + "\n".join(cases)
        + "\n</testsuite>\n"
    ).encode()


def _step_graph(build: _Build) -> bytes:
    t = build.start + 10
    steps = []
    previous: list[str] = []
    for step, seconds in _E2E_STEPS:
        took = seconds * 1.0
        steps.append(
            {
                "name": f"{build.test}-{step}",
                "description": f"Run multi-stage test {build.test} - {build.test}-{step} "
                "container test",
                "dependencies": previous,
                "started_at": _iso(t),
                "finished_at": _iso(t + took),
                "duration": int(took * 1e9),
                "failed": build.result == "FAILURE" and step == "openshift-e2e-test",
            }
        )
        previous = [f"{build.test}-{step}"]
        t += took
    return _tabbed(steps)


# --------------------------------------------------------------------------------------
# writing builds


def _build_dir(build: _Build) -> str:
    if build.job == BIG_JOB:
        return f"{BIG_JOB_DIR}{build.build_id}"
    if build.job == NIGHTLY_JOB:
        return f"{NIGHTLY_JOB_DIR}{build.build_id}"
    return f"{PRESUBMIT_JOB_DIR}{build.build_id}"


def _cap(data: bytes, limit: int | None) -> bytes:
    if limit is None or len(data) <= limit:
        return data
    cut = data.rfind(b"\n", 0, limit - 200)
    return data[: cut + 1] + data[-200:][data[-200:].find(b"\n") + 1 :]


def _write_build(w: _TreeWriter, build: _Build, limit: int | None) -> None:
    base = _build_dir(build) + "/"
    start, end = build.start, build.end
    w.write(base + "started.json", _started_json(build), start + 2)
    w.write(base + "prowjob.json", _prowjob_json(build), (end + 20) if build.result else start)
    if build.result is None:
        return
    if build.job == PRESUBMIT_JOB:
        _write_clone_files(w, build, base)
    log, oplog = _ci_operator_log(build)
    if build.log_kind not in ("huge", "big"):
        log, oplog = _cap(log, limit), _cap(oplog, limit)
    w.write(base + "build-log.txt", log, end + 5)
    w.write(base + "finished.json", _finished_json(build), end + 6)
    if build.podinfo:
        w.write(base + "podinfo.json", _podinfo_json(build), end + 25)
    if build.artifacts:
        writer = _write_nightly_artifacts if build.era == "N" else _write_big_artifacts
        writer(w, build, base + "artifacts/", oplog, limit)


def _write_clone_files(w: _TreeWriter, build: _Build, base: str) -> None:
    refs = build.refs
    w.write(
        base + "clone-log.txt",
        f"Cloning openshift/release at master({refs['base_sha']})\n"
        f"$ git fetch https://github.com/openshift/release.git pull/{refs['pull']}/head\n"
        f"$ git merge --no-ff {refs['pull_sha']}\n",
        build.start + 1,
    )
    w.write(
        base + "clone-records.json",
        _compact(
            [
                {
                    "refs": {"org": "openshift", "repo": "release", "base_ref": "master"},
                    "commands": [{"command": "git init", "output": "", "duration": 4000000}],
                    "final_sha": refs["pull_sha"],
                    "duration": 9000000000,
                }
            ]
        ),
        build.start + 1,
    )


def _write_big_artifacts(
    w: _TreeWriter, build: _Build, base: str, oplog: bytes, limit: int | None
) -> None:
    end = build.end
    combo = build.artifacts or ()
    steps = [
        "Find the input image origin-centos-8 and tag it into the pipeline",
        'Import the release payload "initial" from an external source',
    ]
    if build.log_kind == "config-error":
        steps = [
            "Load the configuration of openshift/release@master and resolve it: load configuration"
        ]
    elif _E2E in combo:
        steps += [
            f"Run multi-stage test e2e-gcp-upgrade - e2e-gcp-upgrade-{s} container test"
            for s, _ in _E2E_STEPS
        ]
    if _JUNIT in combo:
        w.write(base + _JUNIT, _junit_operator(build, steps), end + 3)
    if _META in combo:
        w.write(base + _META, _compact(_metadata(build)), end + 3)
    if _OPLOG in combo:
        data = oplog
        if build.gzip_oplog:
            data = gzip.compress(oplog, compresslevel=6, mtime=0)
        w.write(base + _OPLOG, data, end + 3)
    if _GRAPH in combo:
        w.write(base + _GRAPH, _step_graph(build), end + 3)
    if _BR in combo:
        pods = 4 + build.rng.randint(0, 4) if build.event_count is None else 29
        if limit is not None:
            pods = min(pods, 6)
        events = _events_for(build, pods, build.event_count)
        w.write(base + "build-resources/events.json", _event_list(events, build.rng), end + 2)
        pod_names = sorted(
            {
                str(e["involvedObject"]["name"])
                for e in events  # type: ignore[index]
                if e["involvedObject"]["kind"] == "Pod"
            }
        )  # type: ignore[index]
        pods_json = {
            "kind": "PodList",
            "apiVersion": "v1",
            "items": [
                {
                    "metadata": {"name": n, "namespace": build.namespace},
                    "status": {"phase": "Succeeded"},
                }
                for n in pod_names
            ],
        }
        w.write(base + "build-resources/pods.json", _compact(pods_json), end + 2)
    if _REL in combo:
        w.write(
            base + "release/build-log.txt",
            f"Imported release 4.5.37 with 108 images to tag release:initial\n"
            f"Imported release {_metadata(build)['job-version']} with 121 images to tag "
            "release:latest\n",
            build.start + 150,
        )
    if _E2E in combo:
        e2e_end = end - 400
        test_log = "\n".join(_e2e_output(build.rng, build.start + 3000, 40)) + "\n"
        if build.result == "FAILURE":
            test_log += (
                "fail [github.com/openshift/origin/test/e2e/upgrade/upgrade.go:138]: "
                "Cluster did not complete upgrade: timed out waiting for the condition\n"
                'level=error msg="openshift-tests failed" error="exit status 1"\n'
            )
        w.write(base + "e2e-gcp-upgrade/build-log.txt", _cap(test_log.encode(), limit), e2e_end)
        w.write(
            base + "e2e-gcp-upgrade/finished.json",
            _compact(
                {
                    "timestamp": int(e2e_end),
                    "passed": build.result == "SUCCESS",
                    "result": build.result,
                }
            ),
            e2e_end,
        )
        if build.result != "ABORTED":
            stamp = datetime.fromtimestamp(build.start + 3000, timezone.utc)
            name = stamp.strftime("junit_e2e_%Y%m%d-%H%M%S.xml")
            w.write(base + f"e2e-gcp-upgrade/junit/{name}", _junit_e2e(build), e2e_end)


def _write_nightly_artifacts(
    w: _TreeWriter, build: _Build, base: str, oplog: bytes, limit: int | None
) -> None:
    end = build.end
    test = "e2e-aws-ovn" if build.job == NIGHTLY_JOB else "e2e-aws"
    steps = [
        f"Run multi-stage test {test} - {test}-{s} container test"
        for s in ("ipi-install-install", "openshift-e2e-test", "gather-extra")
    ]
    w.write(base + _OPLOG, oplog, end + 3)
    w.write(base + _JUNIT, _junit_operator(build, steps), end + 3)
    w.write(base + _META, _compact(_metadata(build)), end + 3)
    if _GRAPH in (build.artifacts or ()):
        w.write(base + _GRAPH, _step_graph(build), end + 3)
    events = _events_for(build, 3, None)
    w.write(
        base + f"{test}/gather-extra/artifacts/events.json",
        _event_list(events, build.rng),
        end - 600,
    )
    test_log = "\n".join(_e2e_output(build.rng, build.start + 3000, 60, "4.16.0-0.nightly"))
    w.write(
        base + f"{test}/openshift-e2e-test/build-log.txt", _cap(test_log.encode(), limit), end - 700
    )
    w.write(
        base + f"{test}/openshift-e2e-test/finished.json",
        _compact(
            {
                "timestamp": int(end - 700),
                "passed": build.result == "SUCCESS",
                "result": build.result,
            }
        ),
        end - 700,
    )
    stamp = datetime.fromtimestamp(build.start + 3000, timezone.utc)
    w.write(
        base + f"{test}/openshift-e2e-test/artifacts/junit/"
        f"{stamp.strftime('junit_e2e__%Y%m%d-%H%M%S.xml')}",
        _junit_e2e(build),
        end - 700,
    )
    w.write(
        base + f"{test}/ipi-install-install/build-log.txt",
        'level=info msg="Install complete!"\n',
        build.start + 2700,
    )


def _write_job(w: _TreeWriter, builds: list[_Build], job_dir: str, limit: int | None) -> None:
    for build in builds:
        _write_build(w, build, limit)
    newest = builds[-1]
    w.write(job_dir + "latest-build.txt", newest.build_id, newest.start + 1)


def _write_presubmit(w: _TreeWriter, builds: list[_Build], limit: int | None) -> None:
    _write_job(w, builds, PRESUBMIT_JOB_DIR, limit)
    directory = f"pr-logs/directory/{PRESUBMIT_JOB}/"
    for build in builds:
        link = f"gs://{CONTENT_BUCKET}/{PRESUBMIT_JOB_DIR}{build.build_id}"
        w.write(f"{directory}{build.build_id}.txt", link, build.start + 1)
    w.write(directory + "latest-build.txt", builds[-1].build_id, builds[-1].start + 1)


# --------------------------------------------------------------------------------------
# public API


def build_demo_bucket(dest: Path, *, small: bool = False) -> Path:
    """Build the demo bucket at ``dest`` atomically and return ``dest``.

    The tree is written into a temporary sibling and renamed into place; an existing ``dest``
    is replaced. ``small=True`` writes ~20 builds in the big job and caps logs at 64 KiB.
    A stamp file ``<dest>.stamp`` beside the tree records the version that was built.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.parent / f".{dest.name}.building-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    limit = _SMALL_LOG_LIMIT if small else None
    try:
        writer = _TreeWriter(tmp)
        _write_job(writer, _big_job_plan(small), BIG_JOB_DIR, limit)
        _write_job(writer, _nightly_plan(small), NIGHTLY_JOB_DIR, limit)
        _write_presubmit(writer, _presubmit_plan(small), limit)
        writer.finish()
        _replace_dir(tmp, dest)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    _write_stamp(dest, _stamp_text(small))
    return dest


def _stamp_path(dest: Path) -> Path:
    return dest.parent / f"{dest.name}.stamp"


def _stamp_text(small: bool) -> str:
    return f"{DEMO_VERSION} {'small' if small else 'full'}\n"


def _write_stamp(dest: Path, text: str) -> None:
    stamp = _stamp_path(dest)
    tmp = stamp.with_name(f".{stamp.name}.{os.getpid()}")
    tmp.write_text(text)
    os.replace(tmp, stamp)


def _replace_dir(tmp: Path, dest: Path) -> None:
    """Rename ``tmp`` to ``dest``, moving an older ``dest`` aside first."""
    if dest.exists():
        old = dest.parent / f".{dest.name}.old-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        try:
            os.rename(dest, old)
        except FileNotFoundError:
            old = None  # type: ignore[assignment]
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    try:
        os.rename(tmp, dest)
    except OSError:
        # another process renamed its finished tree into place first; keep that one
        if not dest.is_dir():
            raise


def is_current(dest: Path, *, small: bool = False) -> bool:
    """True when ``dest`` holds a demo tree of the current version."""
    stamp = _stamp_path(dest)
    try:
        return dest.is_dir() and stamp.read_text() == _stamp_text(small)
    except OSError:
        return False


def demo_root() -> Path:
    """The demo bucket directory, built on first use (or rebuilt when its version is old)."""
    dest = paths.demo_dir()
    if not is_current(dest):
        build_demo_bucket(dest)
    return dest


def open_demo(**_options: object) -> Source:
    """The demo bucket as a Source (a LocalSource over :func:`demo_root`)."""
    from prowtui.sources.local import LocalSource

    return LocalSource(demo_root(), bucket=DEMO_BUCKET_NAME, kind="demo")

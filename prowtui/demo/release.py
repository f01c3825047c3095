"""A release's worth of periodic jobs (4.16) for the jobs overview: a dozen jobs, four weeks of
builds up to just before the nightly job's newest, whose states cover broken, failing, flaky,
passing and stale.

Each build has only ``started.json``, ``finished.json`` (none while pending) and a small
``build-log.txt``, so the demo stays quick to build. The logs share a few error lines across
jobs (the same ``context deadline exceeded`` in several of them, some in builds that passed
after a retry), for searches across builds. Everything comes from seeded generators and fixed
times.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from prowtui.demo.formats import compact_json, iso
from prowtui.demo.ids import hex_digits, namespace, snowflake_id
from prowtui.demo.writer import TreeWriter

PREFIX = "periodic-ci-openshift-release-master-"
#: the release jobs' newest builds are created before this (2024-03-11T21:00:00Z): their
#: files are all older than the nightly job's newest, so the folders above keep their mtimes
#: and the nightly job's newest build stays the demo's newest
END = 1710190800
HOUR = 3600
DAY = 24 * HOUR

#: shared failure lines: (key, text)
ERRORS: dict[str, str] = {
    "pull": 'error: failed to pull image "registry.ci.openshift.org/ocp/4.16-2024-03-11-041402'
    '@sha256:6f1c" for step "release:latest": context deadline exceeded',
    "lease": 'error: failed to acquire lease for "{cloud}-quota-slice": resources not found: '
    "context deadline exceeded",
    "install": 'level=error msg="failed to wait for bootstrapping to complete: timed out waiting '
    'for the condition: context deadline exceeded"',
    "auth": "level=error msg=Cluster operator authentication Degraded is True with "
    "OAuthServerRouteEndpointAccessibleController_SyncError: Get "
    '"https://oauth-openshift.apps.ci-op.example/healthz": EOF',
    "upgrade": "error: failed to upgrade: Cluster did not complete upgrade: timed out waiting for "
    'the condition: Cluster operator machine-config is not available: "context deadline exceeded"',
    "ipv6": "error: could not run steps: step baremetalds-devscripts-setup failed: dial tcp "
    "[fd2e:6f44:5dd8::1]:6443: connect: connection refused",
}


@dataclass(frozen=True)
class ReleaseJob:
    """One job: a build every ``every_h`` hours from ``first_day`` days before :data:`END` to
    ``last_day`` days before it, passing with probability ``pass_rate`` (then ``recent``
    from ``recent_day`` days before END on), failing with one of ``errors``."""

    name: str
    every_h: int
    pass_rate: float
    errors: tuple[str, ...]
    first_day: float = 28
    last_day: float = 0
    recent: float | None = None
    recent_day: float = 7
    #: the newest build is still running (no finished.json)
    pending_newest: bool = False
    #: results forced on the newest builds, newest first
    newest: tuple[str, ...] = ()
    cloud: str = "aws"


RELEASE_JOBS: tuple[ReleaseJob, ...] = (
    ReleaseJob(
        "nightly-4.16-e2e-azure-ovn",
        3,
        0.82,
        ("install", "lease", "auth"),
        cloud="azure4",
        newest=("SUCCESS", "SUCCESS", "FAILURE"),
    ),
    ReleaseJob(
        "nightly-4.16-e2e-gcp-ovn", 3, 0.97, ("pull", "lease"), cloud="gcp", newest=("SUCCESS",) * 6
    ),
    ReleaseJob(
        "nightly-4.16-upgrade-from-stable-4.15-e2e-aws-ovn-upgrade",
        4,
        0.8,
        ("upgrade", "pull"),
        recent=0.0,
        recent_day=2.6,
    ),
    ReleaseJob(
        "nightly-4.16-e2e-metal-ipi-ovn-ipv6",
        8,
        0.75,
        ("ipv6", "pull"),
        cloud="metal",
        newest=("FAILURE", "FAILURE", "SUCCESS"),
    ),
    ReleaseJob(
        "nightly-4.16-e2e-vsphere-ovn", 12, 0.6, ("install", "lease"), last_day=9.2, cloud="vsphere"
    ),
    ReleaseJob(
        "nightly-4.16-e2e-gcp-ovn-techpreview",
        8,
        0.9,
        ("auth", "pull"),
        recent=0.55,
        cloud="gcp",
        newest=("SUCCESS", "FAILURE"),
    ),
    ReleaseJob(
        "nightly-4.16-e2e-ibmcloud-ovn",
        12,
        0.4,
        ("install", "lease"),
        recent=1.0,
        cloud="ibmcloud",
    ),
    ReleaseJob(
        "nightly-4.16-e2e-nutanix-ovn",
        12,
        0.7,
        ("lease", "install"),
        recent=0.0,
        recent_day=5.1,
        cloud="nutanix",
    ),
    ReleaseJob(
        "nightly-4.16-e2e-openstack-ovn", 24, 0.5, ("install",), last_day=16.3, cloud="openstack"
    ),
    ReleaseJob(
        "nightly-4.16-e2e-rosa-sts-ovn",
        12,
        0.85,
        ("pull", "auth"),
        newest=("ABORTED", "SUCCESS", "SUCCESS"),
    ),
    ReleaseJob(
        "nightly-4.16-e2e-aws-upi",
        8,
        0.8,
        ("pull", "lease", "install"),
        pending_newest=True,
        newest=("SUCCESS", "FAILURE"),
    ),
    ReleaseJob(
        "okd-scos-4.16-e2e-aws-ovn",
        12,
        0.92,
        ("pull",),
        pending_newest=True,
        newest=("SUCCESS",) * 5,
    ),
)


#: the job directories of the release's jobs (in the full demo only), sorted
RELEASE_JOB_DIRS: tuple[str, ...] = tuple(
    sorted(f"logs/{PREFIX}{job.name}/" for job in RELEASE_JOBS)
)


def write_release(w: TreeWriter) -> int:
    """Write every release job; returns the number of builds."""
    return sum(_write_job(w, index, job) for index, job in enumerate(RELEASE_JOBS))


def _write_job(w: TreeWriter, index: int, job: ReleaseJob) -> int:
    rng = random.Random(f"release-{job.name}")
    step = job.every_h * HOUR
    # the newest creation time on the job's grid before its end, offset per job
    last = END - int(job.last_day * DAY) - (index * 437) % step
    first = END - int(job.first_day * DAY)
    times = list(range(last, first, -step))  # newest first
    name = PREFIX + job.name
    for position, created in enumerate(times):
        created += rng.randint(0, 90)
        start = created + rng.randint(8, 75)
        build_id = snowflake_id(created * 1000 + rng.randint(0, 999), index)
        base = f"logs/{name}/{build_id}/"
        w.write(base + "started.json", compact_json({"timestamp": start}), start + 2)
        if position == 0 and job.pending_newest:
            continue
        result = _result(job, position, created, rng)
        end = start + rng.randint(75, 170) * 60 if result != "ABORTED" else start + 1500
        log = _build_log(job, name, result, start, end, rng)
        w.write(base + "build-log.txt", log, end + 5)
        finished = {
            "timestamp": end,
            "passed": result == "SUCCESS",
            "result": result,
            "revision": "master",
        }
        w.write(base + "finished.json", compact_json(finished), end + 6)
    return len(times)


def _result(job: ReleaseJob, position: int, created: int, rng: random.Random) -> str:
    """The build's result: forced for the newest, else drawn from the job's pass rate."""
    forced = position - (1 if job.pending_newest else 0)
    draw = rng.random()
    if 0 <= forced < len(job.newest):
        return job.newest[forced]
    rate = job.pass_rate
    if job.recent is not None and created >= END - job.recent_day * DAY:
        rate = job.recent
    if draw < rate:
        return "SUCCESS"
    return "ERROR" if draw > 0.985 else "FAILURE"


def _build_log(
    job: ReleaseJob, name: str, result: str, start: int, end: int, rng: random.Random
) -> str:
    """A short ci-operator log; a failed build ends with one of the job's errors, and some
    passed builds hit one on the way and retried."""
    ns = namespace(rng)
    test = job.name.split("-4.16-", 1)[1]
    lines = [
        f"INFO[{iso(start)}] ci-operator version v20240308-{hex_digits(rng, 9)}",
        f"INFO[{iso(start)}] Loading configuration from https://config.ci.openshift.org for "
        f"openshift/release@master [{name.removeprefix('periodic-ci-openshift-release-master-')}]",
        f"INFO[{iso(start + 2)}] Using namespace https://console.build05.ci.openshift.org/k8s/"
        f"cluster/projects/{ns}",
        f"INFO[{iso(start + 3)}] Running [input:origin-centos-8], [release:latest], {test}",
        f"INFO[{iso(start + 40)}] Acquiring leases for test {test}: [{job.cloud}-quota-slice]",
    ]
    error = ERRORS[rng.choice(job.errors)].format(cloud=job.cloud)
    if result == "SUCCESS" and rng.random() < 0.15:
        lines.append(f"WARN[{iso(start + 50)}] {error} (retrying)")
    lines.append(f"INFO[{iso(start + 60)}] Running multi-stage test {test}")
    if result == "SUCCESS":
        lines.append(
            f"INFO[{iso(end - 30)}] Step {test}-e2e-test succeeded after {(end - start) // 60}m."
        )
        lines.append(f"INFO[{iso(end - 2)}] Ran for {(end - start) // 60}m0s")
    elif result == "ABORTED":
        lines.append(f"INFO[{iso(end - 2)}] Received signal. signal=interrupt")
        lines.append(f"ERRO[{iso(end - 1)}] error: process aborted: a newer build replaced it")
    else:
        lines.append(f"ERRO[{iso(end - 40)}] {error}")
        lines.append(
            f"ERRO[{iso(end - 5)}] Some steps failed: * could not run steps: step {test} failed: "
            f'"{test}" test steps failed'
        )
        lines.append(f"INFO[{iso(end - 2)}] Ran for {(end - start) // 60}m0s")
    return "\n".join(lines) + "\n"

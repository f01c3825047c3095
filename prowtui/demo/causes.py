"""Ground truth for ``prowtui triage`` in the demo's big job: why each build failed.

Three **planted causes** print their lines (numbers, ids, addresses and pod names vary from
build to build) into the e2e step log ``artifacts/e2e-gcp-upgrade/build-log.txt`` of a known
set of failed builds:

- ``registry``: image pulls from the CI registry time out, a regression over one stretch of
  the history (every build failing its e2e step there, plus the builds where the broken test
  fails);
- ``etcd``: etcd leader changes during the upgrade, scattered over the history;
- ``oom``: the e2e runner is OOM-killed, scattered over the history.

The demo's ci-operator logs also carry **natural causes** (from its plan, not planted here):
``install`` (the install step fails to bootstrap), ``lease`` (no GCP quota lease),
``release-import`` (the release image import fails) and ``config`` (the configuration does
not load). **Noise** error lines go into the step logs of every third (``watch``) and every
fourth (``exec``) build that ran the e2e step, passed or failed alike. In the e2e junit file,
the **flaky** test fails in some failed builds and fails then passes on a retry in some
builds of both kinds; the **broken** test fails in one contiguous stretch of builds (its
failure message is a ``registry`` line) and passes everywhere else.

:func:`plant` records the decisions on the plan's builds (its own seeded generator, so no
other draw changes); :func:`ground_truth` reads them back for tests and docs.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache

from prowtui.demo.formats import go_duration, klog, utc_format
from prowtui.demo.ids import hex_digits
from prowtui.demo.layout import BIG_JOB_DIR, E2E_DIR
from prowtui.demo.logs import peek_failing_step
from prowtui.demo.plan import Build, big_job_plan

REGISTRY, ETCD, OOM = "registry", "etcd", "oom"
INSTALL, LEASE, RELEASE_IMPORT, CONFIG = "install", "lease", "release-import", "config"
WATCH, EXEC = "watch", "exec"

PLANTED = (REGISTRY, ETCD, OOM)
NATURAL = (INSTALL, LEASE, RELEASE_IMPORT, CONFIG)
SUMMARIES = {
    REGISTRY: "image pulls from the CI registry time out (one stretch of the history)",
    ETCD: "etcd leader changes during the upgrade",
    OOM: "the e2e runner is OOM-killed",
    INSTALL: "the install step fails to bootstrap the cluster",
    LEASE: "no GCP quota lease is free",
    RELEASE_IMPORT: "the release image import fails",
    CONFIG: "the ci-operator configuration does not load",
    WATCH: "noise: a watch of the API server times out",
    EXEC: "noise: exec into a finished pod fails",
}

FLAKY_TEST = (
    "[sig-network] Services should be able to reach a UDP service through its load balancer "
    "[Suite:openshift/conformance/parallel]"
)
BROKEN_TEST = (
    "[sig-imageregistry] Image pull from the CI registry should succeed "
    "[Suite:openshift/conformance/parallel]"
)

_K8S = "bcdfghjklmnpqrstvwxz2456789"
_REGISTRY_HOST = "registry.build02.ci.openshift.org"
#: share of the history the registry regression spans on each side of the broken stretch
_REGRESSION_PAD = 0.06


@dataclass(frozen=True, slots=True)
class Cause:
    """One known reason for failure (or noise line) and the builds whose logs show it."""

    name: str
    summary: str
    builds: tuple[str, ...]
    planted: bool


@dataclass(frozen=True, slots=True)
class GroundTruth:
    """What triage should find in the big job (build ids oldest first)."""

    job_dir: str
    causes: tuple[Cause, ...]
    noise: tuple[Cause, ...]
    flaky_test: str
    flaky_failed: tuple[str, ...]
    flaky_retried: tuple[str, ...]
    broken_test: str
    broken_builds: tuple[str, ...]

    def cause(self, name: str) -> Cause:
        """The cause (or noise) called ``name``."""
        return next(c for c in (*self.causes, *self.noise) if c.name == name)


def big_job_builds(small: bool) -> list[Build]:
    """The big job's plan (:func:`~prowtui.demo.plan.big_job_plan`) with its ground truth
    planted: what the bucket is written from."""
    builds = big_job_plan(small)
    plant(builds)
    return builds


def plant(builds: list[Build]) -> None:
    """Decide, for the big job's builds (oldest first), the ground truth described above."""
    rng = random.Random(20210417)
    finished = [b for b in builds if b.result]
    for build in finished:
        build.failing_step = peek_failing_step(build)
    position = {id(b): n for n, b in enumerate(builds)}
    e2e_runs = [b for b in finished if E2E_DIR in (b.artifacts or ())]
    junit_runs = [b for b in e2e_runs if b.result != "ABORTED"]
    stretch = _longest_failed_run(junit_runs)
    for build in stretch:
        build.broken = True
    e2e_failures = [b for b in finished if b.failing_step == "openshift-e2e-test"]
    if stretch:
        pad = max(1, int(len(builds) * _REGRESSION_PAD))
        low, high = position[id(stretch[0])] - pad, position[id(stretch[-1])] + pad
        for build in (*stretch, *(b for b in e2e_failures if low <= position[id(b)] <= high)):
            build.cause = REGISTRY
    for build in e2e_failures:
        if not build.cause:
            build.cause = ETCD if rng.random() < 0.5 else OOM
    for n, build in enumerate(e2e_runs):
        build.noise = tuple(name for name, hit in ((WATCH, n % 3 == 0), (EXEC, n % 4 == 1)) if hit)
    for build in junit_runs:
        roll = rng.random()
        if build.result == "SUCCESS":
            build.flaky = "retry" if roll < 0.2 else ""
        else:
            build.flaky = "fail" if roll < 0.12 else "retry" if roll < 0.18 else ""


def _longest_failed_run(runs: list[Build]) -> list[Build]:
    """The longest run of consecutive failed builds in ``runs`` (the first when tied)."""
    best: list[Build] = []
    current: list[Build] = []
    for build in runs:
        current = [*current, build] if build.result == "FAILURE" else []
        if len(current) > len(best):
            best = current
    return best


@lru_cache(maxsize=2)
def ground_truth(small: bool = False) -> GroundTruth:
    """The big job's ground truth (for the full demo, or the small one)."""
    builds = big_job_builds(small)

    def ids(wanted: object) -> tuple[str, ...]:
        return tuple(b.build_id for b in builds if wanted(b))  # type: ignore[operator]

    natural = {
        INSTALL: ids(lambda b: b.failing_step == "ipi-install-install-stableinitial"),
        LEASE: ids(lambda b: b.log_kind == "lease"),
        RELEASE_IMPORT: ids(lambda b: b.log_kind == "early"),
        CONFIG: ids(lambda b: b.log_kind == "config-error"),
    }
    causes = [Cause(n, SUMMARIES[n], ids(lambda b, n=n: b.cause == n), True) for n in PLANTED]
    causes += [Cause(n, SUMMARIES[n], natural[n], False) for n in NATURAL]
    noise = tuple(
        Cause(n, SUMMARIES[n], ids(lambda b, n=n: n in b.noise), True) for n in (WATCH, EXEC)
    )
    return GroundTruth(
        job_dir=BIG_JOB_DIR,
        causes=tuple(c for c in causes if c.builds),
        noise=noise,
        flaky_test=FLAKY_TEST,
        flaky_failed=ids(lambda b: b.flaky in ("fail", "retry")),
        flaky_retried=ids(lambda b: b.flaky == "retry"),
        broken_test=BROKEN_TEST,
        broken_builds=ids(lambda b: b.broken),
    )


# -- the planted text ---------------------------------------------------------------------------


def _suffix(rng: random.Random) -> str:
    return "".join(rng.choice(_K8S) for _ in range(5))


def _address(rng: random.Random) -> str:
    return f"10.{rng.randint(0, 3)}.{rng.randint(0, 255)}.{rng.randint(2, 254)}"


def _klog_header(rng: random.Random, t: float, severity: str = "E") -> str:
    micros = rng.randint(0, 999_999)
    return f"{severity}{utc_format(t, '%m%d %H:%M:%S')}.{micros:06d}    {rng.randint(10, 999)}"


def broken_message(build: Build) -> str:
    """The broken test's failure message in ``build`` (a ``registry`` line)."""
    rng = random.Random(int(build.build_id) + 37)
    return (
        f"fail [github.com/openshift/origin/test/extended/images/pull.go:{rng.choice((87, 91))}]: "
        f"Unexpected error: image pull from {_REGISTRY_HOST} failed after "
        f"{rng.randint(3, 6)} attempts: dial tcp {_address(rng)}:443: i/o timeout"
    )


def flaky_message(build: Build) -> str:
    """The flaky test's failure message in ``build``."""
    rng = random.Random(int(build.build_id) + 41)
    return (
        f"fail [k8s.io/kubernetes/test/e2e/network/loadbalancer.go:{rng.randint(1100, 1200)}]: "
        f"failed to reach UDP service e2e-svc-{rng.randint(1, 99)}-{_suffix(rng)} at "
        f"{_address(rng)}:{rng.randint(30000, 32767)}: no response after "
        f"{go_duration(rng.randint(60, 300))}"
    )


def cause_lines(build: Build, t: float) -> list[str]:
    """The lines ``build``'s cause prints into its e2e step log (none without one)."""
    rng = random.Random(int(build.build_id) + 29)
    ns = build.namespace
    if build.cause == REGISTRY:
        pod = f"e2e-test-image-pull-{rng.randint(1, 99)}-{_suffix(rng)}"
        digest = hex_digits(rng, 64)
        return [
            f"{klog(t)}: INFO: pod {pod} failed to pull image "
            f'"{_REGISTRY_HOST}/{ns}/stable@sha256:{digest}": rpc error: code = Unknown desc = '
            f'pinging container registry {_REGISTRY_HOST}: Get "https://{_REGISTRY_HOST}/v2/": '
            f"dial tcp {_address(rng)}:443: i/o timeout",
            f"{_klog_header(rng, t + 1)} kuberuntime_manager.go:{rng.choice((815, 841))}] "
            f'container "test" in pod "{pod}_e2e-test-image-pull-{rng.randint(100, 999)}" '
            "failed: ErrImagePull: rpc error: code = Unknown desc = context deadline exceeded",
            broken_message(build),
        ]
    if build.cause == ETCD:
        member = f"etcd-{ns}-master-{rng.randint(0, 2)}"
        return [
            f"{klog(t)}: INFO: unexpected error getting pod {member} in namespace "
            f"openshift-etcd: etcdserver: leader changed (term {rng.randint(4, 40)})",
            f"{_klog_header(rng, t + 2)} leaderelection.go:{rng.choice((321, 325))}] error "
            "retrieving resource lock openshift-etcd-operator/"
            "openshift-cluster-etcd-operator-lock: etcdserver: request timed out",
        ]
    if build.cause == OOM:
        runner = f"e2e-upgrade-runner-{_suffix(rng)}"
        return [
            f"{klog(t)}: INFO: pod {runner} failed: container openshift-tests was OOMKilled "
            f"after {go_duration(rng.randint(1800, 5400) + rng.random())} "
            f"(exit code 137, memory limit {rng.choice((4096, 6144, 8192))}Mi)",
            f"fatal error: runtime: out of memory: cannot allocate {rng.randint(1, 64) << 20}-byte "
            f"block ({rng.randint(3000, 8000) << 20} in use)",
        ]
    return []


def noise_lines(build: Build, t: float) -> list[str]:
    """The noise lines of ``build``'s e2e step log (passed and failed builds alike)."""
    rng = random.Random(int(build.build_id) + 43)
    lines = []
    if WATCH in build.noise:
        lines.append(
            f"{_klog_header(rng, t, 'W')} reflector.go:{rng.choice((156, 167))}] "
            "k8s.io/client-go/tools/cache/reflector.go: failed to list *v1.ConfigMap: "
            f'Get "https://api.{build.namespace}.gcp:6443/api/v1/configmaps?limit=500": '
            "net/http: TLS handshake timeout"
        )
    if EXEC in build.noise:
        lines.append(
            f"{klog(t + 5)}: INFO: error running oc exec pod/e2e-debug-{_suffix(rng)} "
            f"-n e2e-test-{rng.randint(1, 99)}: error: unable to upgrade connection: "
            'container not found ("sidecar")'
        )
    return lines


def with_planted_lines(test_log: str, build: Build, t: float) -> str:
    """``test_log`` (the e2e step log) with the build's cause and noise lines inserted."""
    planted = cause_lines(build, t + 600)
    noise = noise_lines(build, t + 120)
    if not planted and not noise:
        return test_log
    lines = test_log.splitlines()
    rng = random.Random(int(build.build_id) + 47)
    at = rng.randint(1, max(1, len(lines) - 3))
    lines[at:at] = planted
    lines[1:1] = noise
    return "\n".join(lines) + "\n"

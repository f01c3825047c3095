"""ci-operator build logs: the top-level ``build-log.txt`` and ``artifacts/ci-operator.log``.

Early (era A/B) builds log plain ``2021/02/25 01:02:03 msg`` lines, later ones coloured logrus
lines; the JSON-lines operator log mirrors both. Big and huge logs get a failed step's
container output filled in up to their planned size.
"""

from __future__ import annotations

import random
from json.encoder import encode_basestring_ascii as _json_string

from prowtui.demo.e2e_text import E2E_MESSAGES, e2e_output
from prowtui.demo.formats import go_duration, iso, release_stamp, slash, utc_format
from prowtui.demo.ids import hex_digits
from prowtui.demo.layout import E2E_STEPS
from prowtui.demo.plan import Build

#: stands in for a big log's bulk until :func:`_fill_bulk` replaces it
_BULK = "\x00BULK\x00"
_IMPORTED_INITIAL = (
    "Imported release 4.5.37 created at 2021-03-31 06:05:56 +0000 UTC with 108 images "
    "to tag release:initial"
)
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


class LogLines:
    """ci-operator log lines in the plain (early 2021) or coloured logrus format."""

    def __init__(self, coloured: bool) -> None:
        self.coloured = coloured
        self.lines: list[str] = []
        self.json_lines: list[str] = []

    def info(self, ts: float, msg: str) -> None:
        self._log("info", "\x1b[36mINFO\x1b[0m", ts, msg, f"{slash(ts)} {msg}")

    def error(self, ts: float, msg: str) -> None:
        self._log("error", "\x1b[31mERRO\x1b[0m", ts, msg, msg)

    def debug(self, ts: float, msg: str) -> None:
        """Only in the JSON log (the text log is at info level)."""
        self.json_lines.append(_json_log("debug", msg, ts))

    def _log(self, level: str, tag: str, ts: float, msg: str, plain: str) -> None:
        self.lines.append(f"{tag}[{iso(ts)}] {msg:<44} " if self.coloured else plain)
        self.json_lines.append(_json_log(level, msg, ts))

    def report_state(self, ts: float, state: str, reason: str = "", level: str = "info") -> None:
        """The logrus line an early ci-operator ended with (text log only)."""
        suffix = f" with reason '{reason}'" if reason else ""
        self.lines.append(
            f'time="{iso(ts)}" level={level} msg="Reporting job state \'{state}\'{suffix}"'
        )

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"

    def json_text(self) -> str:
        return "\n".join(self.json_lines) + "\n"

    def encoded(self) -> tuple[bytes, bytes]:
        """The text log and the JSON log as bytes."""
        return self.text().encode(), self.json_text().encode()


def _json_log(level: str, msg: str, ts: float) -> str:
    return f'{{"level":"{level}","msg":{_json_string(msg)},"time":"{iso(ts)}"}}'


def ci_operator_log(build: Build) -> tuple[bytes, bytes]:
    """The top-level build-log.txt and the matching artifacts/ci-operator.log (JSON lines)."""
    rng = build.rng
    coloured = build.era in ("C", "N")
    log = LogLines(coloured)
    t = build.start + 7 + rng.random()
    job_variant = f" [{build.variant}]" if build.variant else ""
    version_day = utc_format(build.start - 86400, "%Y%m%d")
    log.info(t, f"ci-operator version v{version_day}-{hex_digits(rng, 7)}")
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
            log.report_state(t, "failed", "loading_args:loading_config:config_resolver")
        elif not coloured:
            log.lines[:] = log.lines[-1:]
        return log.encoded()
    stamp = release_stamp(build.start)
    t = _log_setup(log, build, t, stamp)
    if build.log_kind == "early":
        t += 120
        log.info(t, _IMPORTED_INITIAL)
        log.error(
            t,
            "error: some steps failed:\n  * could not run steps: step [release:latest] "
            'failed: failed to import release image: pod "release-images-latest-cli" '
            "failed: the pod was deleted",
        )
        if not coloured:
            log.report_state(
                t, "failed", "executing_graph:step_failed:importing_release", level="error"
            )
        return log.encoded()
    t += 129
    log.info(t, _IMPORTED_INITIAL)
    t += 8
    log.info(
        t,
        f"Imported release 4.6.0-0.ci-{stamp} created at {slash(build.start - 7100)} "
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
    return _log_test_steps(log, build, t)


def _log_setup(log: LogLines, build: Build, t: float, stamp: str) -> float:
    """Resolving the config, namespace and inputs, tagging images; returns the time after."""
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
    return t


_FAILING_STEPS = ("ipi-install-install-stableinitial", "openshift-e2e-test", "openshift-e2e-test")


def _choose_failing_step(build: Build, rng: random.Random) -> str:
    """The step a failed build fails at (one draw from ``rng`` when the build failed)."""
    if build.result != "FAILURE":
        return ""
    step = rng.choice(_FAILING_STEPS)
    return "openshift-e2e-test" if build.log_kind in ("big", "huge") else step


def peek_failing_step(build: Build) -> str:
    """The step :func:`ci_operator_log` will make ``build`` fail at ("" if none), drawn from
    a copy of the build's generator so the plan can know it without changing any draw."""
    if build.log_kind not in ("normal", "big", "huge"):
        return ""
    rng = random.Random()
    rng.setstate(build.rng.getstate())
    rng.random()  # the first line's time
    hex_digits(rng, 7)  # the ci-operator version
    return _choose_failing_step(build, rng)


def _log_test_steps(log: LogLines, build: Build, t: float) -> tuple[bytes, bytes]:
    """The multi-stage test's steps, up to the failing or interrupted one, and the summary."""
    rng = build.rng
    log.info(t, f"Running multi-stage test {build.test}")
    failing_step = _choose_failing_step(build, rng)
    if build.failing_step and failing_step != build.failing_step:
        raise AssertionError(f"{build.build_id}: planned {build.failing_step}, drew {failing_step}")
    aborted_at = rng.randint(5, 9) if build.result == "ABORTED" else None
    for index, (step, seconds) in enumerate(E2E_STEPS):
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
            log.info(t, f"Step {name} failed after {go_duration(took)}.")
        else:
            log.info(t, f"Pod {name} succeeded after {go_duration(took)}")
            log.info(t, f"Step {name} succeeded after {go_duration(took)}.")
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
        f"{go_duration(1800 + build.rng.random())} (failed containers: test): "
        "ContainerFailed one or more containers exited",
        "Container test exited with code 1, reason Error",
        f"Link to step on registry info site: https://steps.ci.openshift.org/reference/"
        f"{failing_step}",
    ]
    return _finish_log(log, build, t, errors, "utilizing_lease:executing_test")


def _dump_step_output(log: LogLines, build: Build, t: float, step: str) -> None:
    """A failed step's container log, re-logged by ci-operator (huge for the big logs)."""
    if step == "ipi-install-install-stableinitial":
        for line in _INSTALL_OUTPUT:
            log.info(t, line.replace("{ns}", build.namespace))
        return
    if build.log_kind in ("big", "huge"):
        log.info(t, _BULK)  # placeholder filled by _fill_bulk
        return
    for line in e2e_output(build.rng, build.start + 3000, 30 + build.rng.randint(0, 40)):
        log.info(t, line)


def _finish_log(
    log: LogLines, build: Build, t: float, errors: list[str], reason: str = ""
) -> tuple[bytes, bytes]:
    """End a ci-operator log: run time, the failure summary, the reported job state."""
    t += 1
    log.info(t, f"Ran for {go_duration(t - build.start)}")
    coloured = log.coloured
    if errors:
        log.error(t, "Some steps failed:" if coloured else "error: some steps failed:")
        for line in errors:
            log.error(t, line)
    if not coloured:
        if reason:
            log.report_state(t, "failed", f"executing_graph:step_failed:{reason}")
        else:
            log.report_state(t, "succeeded")
    text = log.text()
    oplog = log.json_text()
    if build.log_kind in ("big", "huge"):
        text = _fill_bulk(text, build, coloured)
        oplog = oplog.replace("\\u0000BULK\\u0000", "(container output omitted: 1 MiB limit)")
    return text.encode(), oplog.encode()


def _fill_bulk(text: str, build: Build, coloured: bool) -> str:
    """Replace the bulk placeholder with e2e output so the log reaches ``build.big_size``."""
    marker_line = next(line for line in text.split("\n") if _BULK in line)
    head, tail = text.split(marker_line + "\n", 1)
    prefix = marker_line.split(_BULK)[0]
    end = " " if coloured else ""  # logrus pads the message and adds one space
    rng = random.Random(int(build.build_id) + 1)
    pool = [
        m.format(v="4.6.0-0.ci", p=p, ns=build.namespace)
        for m in E2E_MESSAGES
        for p in (3, 17, 42, 64, 88)
    ]
    mean = sum(len(m) for m in pool) / len(pool) + len(prefix) + len(end) + 21
    budget = build.big_size - len(head) - len(tail) - 1
    count = max(1, int(budget / mean) + 1)
    first_ms = int((build.start + 3000) * 1000)
    seconds = {
        second: utc_format(second, "%b %d %H:%M:%S")
        for second in range(first_ms // 1000, (first_ms + count * 13) // 1000 + 1)
    }
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


def cap_log(data: bytes, limit: int | None) -> bytes:
    """``data`` cut to about ``limit`` bytes on line boundaries, keeping its last lines."""
    if limit is None or len(data) <= limit:
        return data
    cut = data.rfind(b"\n", 0, limit - 200)
    return data[: cut + 1] + data[-200:][data[-200:].find(b"\n") + 1 :]

"""Which builds exist and what each one gets: the notebook's distributions, decided up front.

Every decision is drawn from seeded ``random.Random`` instances, so a plan is the same on every
run; the generators in the sibling modules only read it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from prowtui.demo.ids import hex_digits, namespace, snowflake_id, snowflake_ms
from prowtui.demo.layout import (
    BIG_JOB,
    BUILD_RESOURCES,
    E2E_DIR,
    JUNIT_OPERATOR,
    METADATA,
    NIGHTLY_JOB,
    OPERATOR_LOG,
    PRESUBMIT_JOB,
    PRESUBMIT_PR,
    RELEASE_DIR,
    SMALL_LOG_LIMIT,
    STEP_GRAPH,
)

_BIG_JOB_FIRST_ID = 1364778930069835776  # the first build of the notebook's listing
_SIX_HOURS_MS = 21_600_000

_BR, _E2E, _REL = BUILD_RESOURCES, E2E_DIR, RELEASE_DIR
_GRAPH, _OPLOG, _JUNIT, _META = STEP_GRAPH, OPERATOR_LOG, JUNIT_OPERATOR, METADATA

Combos = tuple[tuple[str, tuple[str, ...], int], ...]

#: artifacts/ combinations of the notebook (era, entries, number of builds in the full demo)
FULL_COMBOS: Combos = (
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
#: the same shapes for the small demo
SMALL_COMBOS: Combos = (
    ("A", (_BR, _E2E, _REL, _JUNIT, _META), 5),
    ("A", (_BR, _E2E, _JUNIT, _META), 2),
    ("A", (_BR, _REL, _JUNIT, _META), 1),
    ("A", (_JUNIT, _META), 1),
    ("B", (_BR, _E2E, _REL, _OPLOG, _JUNIT, _META), 3),
    ("B", (_JUNIT,), 1),
    ("C", (_BR, _E2E, _REL, _GRAPH, _OPLOG, _JUNIT, _META), 4),
    ("C", (_BR, _REL, _GRAPH, _OPLOG, _JUNIT, _META), 1),
)


@dataclass
class Build:
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
    # ground truth for triage (prowtui.demo.causes): the step the build fails at,
    # the planted cause and noise in its logs, how the flaky and the broken test fare in it
    failing_step: str = ""
    cause: str = ""
    noise: tuple[str, ...] = ()
    flaky: str = ""  # "" | "fail" (failed) | "retry" (failed, then passed on a retry)
    broken: bool = False

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


def _new_build(
    job: str,
    build_id: str,
    start_ms: int,
    era: str,
    result: str | None,
    artifacts: tuple[str, ...] | None,
    rng: random.Random | None = None,
) -> Build:
    """A build whose generator is seeded by its id (unless ``rng`` is that generator, already
    drawn from); its namespace is the generator's next draw."""
    if rng is None:
        rng = random.Random(int(build_id))
    return Build(
        job=job,
        build_id=build_id,
        start=start_ms / 1000,
        rng=rng,
        era=era,
        result=result,
        artifacts=artifacts,
        namespace=namespace(rng),
    )


def big_job_plan(small: bool) -> list[Build]:
    """The big job: finished builds with the notebook's distributions, then one pending.

    The triage ground truth is not planted yet: :func:`prowtui.demo.causes.big_job_builds`
    plants it (the causes depend on the plan, never the other way round)."""
    rng = random.Random(20210225)
    builds = [
        _big_job_build(rng, index, era, combo)
        for index, (era, combo) in enumerate(_big_job_combos(rng, small))
    ]
    _assign_variants(builds, small)
    # the newest build has started but not finished
    pending_ms = snowflake_ms(builds[-1].build_id) + _SIX_HOURS_MS + 41_337
    pending_id = snowflake_id(pending_ms)
    pending = _new_build(BIG_JOB, pending_id, pending_ms, "C", None, None)
    pending.podinfo = False
    builds.append(pending)
    return builds


def _big_job_combos(rng: random.Random, small: bool) -> list[tuple[str, tuple[str, ...]]]:
    """(era, artifacts combination) of each finished build of the big job, oldest first."""
    eras: dict[str, list[tuple[str, ...]]] = {"A": [], "B": [], "C": []}
    for era, entries, count in SMALL_COMBOS if small else FULL_COMBOS:
        eras[era].extend([entries] * count)
    for era_list in eras.values():
        rng.shuffle(era_list)
    # the first build failed loading its config (as in the notebook); put that combination first
    first = eras["A"].index((_JUNIT, _META))
    eras["A"][0], eras["A"][first] = eras["A"][first], eras["A"][0]
    # the two builds without artifacts/ fall in eras A and B
    eras["A"].insert(len(eras["A"]) * 2 // 3, ())
    eras["B"].insert(len(eras["B"]) // 2, ())
    return [(era, combo) for era in "ABC" for combo in eras[era]]


def _big_job_build(rng: random.Random, index: int, era: str, combo: tuple[str, ...]) -> Build:
    """One finished build of the big job, six hours (and a jitter) after the previous one."""
    first_ms = snowflake_ms(str(_BIG_JOB_FIRST_ID))
    start_ms = first_ms + index * _SIX_HOURS_MS + (rng.randint(0, 95_000) if index else 0)
    build_id = str(_BIG_JOB_FIRST_ID) if index == 0 else snowflake_id(start_ms)
    build = _new_build(BIG_JOB, build_id, start_ms, era, "SUCCESS", combo or None)
    _decide_outcome(build)
    return build


def _assign_variants(builds: list[Build], small: bool) -> None:
    """Pick the builds that carry the notebook's oddities: early ends, big logs, variants."""
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
    huge.log_kind, huge.big_size = "huge", (SMALL_LOG_LIMIT if small else 30_000_000)
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


def _decide_outcome(build: Build) -> None:
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


def nightly_plan(small: bool) -> list[Build]:
    """The nightly periodic job: one build a day, the newest still pending."""
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
        artifacts = None if pending else (_OPLOG, _GRAPH, _JUNIT, _META, "e2e-aws-ovn/")
        build = _new_build(NIGHTLY_JOB, build_id, start_ms, "N", result, artifacts, rng)
        build.podinfo = not pending
        build.duration = 0.0 if pending else 7200 + rng.randint(0, 3600)
        if index == 2:
            build.result, build.finished_variant = "FAILURE", "crier"
        builds.append(build)
    return builds


def presubmit_plan(small: bool) -> list[Build]:
    """The presubmit job of one pull request: a few runs over its successive pushes."""
    count = 3 if small else 5
    base_ms = 1709550000000  # 2024-03-04
    builds = []
    for index in range(count):
        start_ms = base_ms + index * 5_400_000 + 1_000 * ((index * 104_729) % 900)
        build_id = snowflake_id(start_ms, sequence=index)
        result = ("FAILURE", "FAILURE", "SUCCESS", "FAILURE", "SUCCESS")[index % 5]
        artifacts = (_OPLOG, _JUNIT, _META, "e2e-aws/")
        build = _new_build(PRESUBMIT_JOB, build_id, start_ms, "N", result, artifacts)
        build.duration = 4200 + build.rng.randint(0, 2400)
        build.refs = {
            "org": "openshift",
            "repo": "release",
            "base_ref": "master",
            "base_sha": hex_digits(random.Random(4242), 40),
            "pull": PRESUBMIT_PR,
            "pull_sha": hex_digits(random.Random(4242 + index // 2), 40),
        }
        builds.append(build)
    return builds

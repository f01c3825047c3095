"""Where things live in the demo bucket: job names and directories, artifact names, e2e steps."""

from __future__ import annotations

#: bump when the layout or content changes, so an old demo tree is rebuilt
DEMO_VERSION = "prowtui-demo-6"
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

#: the directory of each job, by job name
JOB_DIRS = {BIG_JOB: BIG_JOB_DIR, NIGHTLY_JOB: NIGHTLY_JOB_DIR, PRESUBMIT_JOB: PRESUBMIT_JOB_DIR}

#: logs of the small demo (and the big logs' stand-in there) stop at this size
SMALL_LOG_LIMIT = 64 * 1024

#: entries of a build's artifacts/ directory
BUILD_RESOURCES, E2E_DIR, RELEASE_DIR = "build-resources/", "e2e-gcp-upgrade/", "release/"
STEP_GRAPH, OPERATOR_LOG = "ci-operator-step-graph.json", "ci-operator.log"
JUNIT_OPERATOR, METADATA = "junit_operator.xml", "metadata.json"

#: the multi-stage test's steps and their typical durations in seconds
E2E_STEPS = (
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

#: the version tag of the Prow utility images in prowjob/podinfo/events
PROW_IMAGE_TAG = "v20210224-9f7a9a3d3f"


def build_dir(job: str, build_id: str) -> str:
    """The bucket path of one build's directory (no trailing ``/``)."""
    return f"{JOB_DIRS[job]}{build_id}"

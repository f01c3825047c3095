"""A build's ``prowjob.json``: the ProwJob resource as Prow's GCS reporter uploads it."""

from __future__ import annotations

import random

from prowtui.demo.formats import iso, tabbed_json
from prowtui.demo.ids import resource_version, uid
from prowtui.demo.layout import (
    CONTENT_BUCKET,
    PRESUBMIT_JOB,
    PRESUBMIT_PR,
    PROW_IMAGE_TAG,
    build_dir,
)
from prowtui.demo.plan import Build

_DESCRIPTIONS = {"SUCCESS": "Job succeeded.", "FAILURE": "Job failed.", "ABORTED": "Job aborted."}


def prowjob_rng(build: Build) -> random.Random:
    """The generator of a build's ProwJob; its first UID is the job's (and the pod's) name."""
    return random.Random(int(build.build_id) + 7)


def prowjob_json(build: Build) -> bytes:
    """prowjob.json: labels, spec (refs, pod spec, decoration) and status of the build."""
    rng = prowjob_rng(build)
    name = uid(rng)
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
    return tabbed_json(
        {
            "kind": "ProwJob",
            "apiVersion": "prow.k8s.io/v1",
            "metadata": {
                "name": name,
                "namespace": "ci",
                "uid": uid(rng),
                "resourceVersion": resource_version(rng),
                "generation": 7 if build.result else 2,
                "creationTimestamp": iso(build.start - 1),
                "labels": labels,
                "annotations": {"prow.k8s.io/context": "", "prow.k8s.io/job": build.job},
            },
            "spec": _spec(build, job_type, presubmit),
            "status": _status(build, name),
        }
    )


def _refs(build: Build, presubmit: bool) -> dict[str, object]:
    refs: dict[str, object] = {
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
    return refs


def _spec(build: Build, job_type: str, presubmit: bool) -> dict[str, object]:
    refs = _refs(build, presubmit)
    return {
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
                tool: f"gcr.io/k8s-prow/{tool}:{PROW_IMAGE_TAG}"
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


def _status(build: Build, name: str) -> dict[str, object]:
    status: dict[str, object] = {
        "startTime": iso(build.start - 1),
        "pendingTime": iso(build.start),
    }
    if build.result is None:
        status["state"] = "pending"
        status["description"] = "Job triggered."
    else:
        status["completionTime"] = iso(build.end + 20)
        status["state"] = build.result.lower()
        status["description"] = _DESCRIPTIONS[build.result]
    path = build_dir(build.job, build.build_id)
    status["url"] = f"https://prow.ci.openshift.org/view/gs/{CONTENT_BUCKET}/{path}"
    status["pod_name"] = name
    status["build_id"] = build.build_id
    status["prev_report_states"] = {
        "gcsk8sreporter": status["state"],
        "gcsreporter": status["state"],
    }
    return status

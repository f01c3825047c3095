"""A build's ``podinfo.json``: the test pod, most often its events, and often its node."""

from __future__ import annotations

import random

from prowtui.demo.events import EventStream
from prowtui.demo.formats import iso, tabbed_json
from prowtui.demo.ids import hex_digits, uid
from prowtui.demo.layout import PROW_IMAGE_TAG
from prowtui.demo.plan import Build
from prowtui.demo.prowjob import prowjob_rng

_SIDECAR_IMAGE = f"gcr.io/k8s-prow/sidecar:{PROW_IMAGE_TAG}"


def podinfo_json(build: Build) -> bytes:
    """podinfo.json of a finished build (pod named after its ProwJob)."""
    rng = random.Random(int(build.build_id) + 11)
    pod_name = uid(prowjob_rng(build))
    host = f"build0-gstfj-ci-prowjobs-worker-{rng.choice('bcd')}-{hex_digits(rng, 5)}"
    body: dict[str, object] = {"pod": _pod(build, rng, pod_name, host)}
    events = EventStream(rng, "ci")
    events.add(
        pod_name,
        build.start,
        "Scheduled",
        f"Successfully assigned ci/{pod_name} to {host}",
        component="default-scheduler",
    )
    field_path = "spec.containers{test}"
    events.add(
        pod_name,
        build.start + 3,
        "Pulled",
        'Container image "ci-operator:latest" already present on machine',
        field_path=field_path,
        host=host,
    )
    events.container_started(pod_name, build.start + 4, "test", field_path, host)
    if rng.random() < 0.8:
        body["events"] = events.items
    if rng.random() < 0.85:
        body["node"] = {
            "metadata": {
                "name": host,
                "uid": uid(rng),
                "labels": {"kubernetes.io/hostname": host, "node-role.kubernetes.io/worker": ""},
            },
            "status": {
                "nodeInfo": {
                    "kubeletVersion": "v1.20.0+bafe72f",
                    "osImage": "Red Hat Enterprise Linux CoreOS 47.83",
                }
            },
        }
    return tabbed_json(body)


def _pod(build: Build, rng: random.Random, pod_name: str, host: str) -> dict[str, object]:
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
        {"name": "sidecar", "image": _SIDECAR_IMAGE, "command": ["/sidecar"]},
    ]
    statuses = [
        {
            "name": name,
            "state": {
                "terminated": {
                    "exitCode": code,
                    "reason": "Completed" if code == 0 else "Error",
                    "startedAt": iso(build.start + 5),
                    "finishedAt": iso(build.end),
                }
            },
            "ready": False,
            "restartCount": 0,
            "image": image,
        }
        for name, code, image in (
            ("test", exit_code, "ci-operator:latest"),
            ("sidecar", 0, _SIDECAR_IMAGE),
        )
    ]
    return {
        "metadata": {
            "name": pod_name,
            "namespace": "ci",
            "uid": uid(rng),
            "creationTimestamp": iso(build.start - 1),
            "labels": {
                "created-by-prow": "true",
                "prow.k8s.io/build-id": build.build_id,
                "prow.k8s.io/job": build.job[:63],
            },
        },
        "spec": {"containers": containers, "nodeName": host, "restartPolicy": "Never"},
        "status": {
            "phase": "Succeeded" if build.result == "SUCCESS" else "Failed",
            "hostIP": f"10.0.{rng.randint(0, 63)}.{rng.randint(2, 254)}",
            "startTime": iso(build.start),
            "containerStatuses": statuses,
        },
    }

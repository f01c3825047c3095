"""Kubernetes events: the CI namespace's ``events.json`` stream and podinfo's pod events."""

from __future__ import annotations

import random

from prowtui.demo.formats import compact_json, iso
from prowtui.demo.ids import hex_digits, resource_version, uid
from prowtui.demo.layout import E2E_STEPS, PROW_IMAGE_TAG
from prowtui.demo.plan import Build

Event = dict[str, object]


class EventStream:
    """Events of one namespace, drawn in order from one generator."""

    def __init__(self, rng: random.Random, namespace: str) -> None:
        self.rng = rng
        self.namespace = namespace
        self.items: list[Event] = []

    def add(
        self,
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
    ) -> None:
        """Append one event about ``pod`` (or another ``kind`` of object named so)."""
        rng = self.rng
        involved: dict[str, object] = {
            "kind": kind,
            "namespace": self.namespace,
            "name": pod,
            "uid": uid(rng),
            "apiVersion": "v1" if kind == "Pod" else "policy/v1beta1",
            "resourceVersion": resource_version(rng),
        }
        if field_path:
            involved["fieldPath"] = field_path
        source: dict[str, str] = {"component": component}
        if host:
            source["host"] = host
        self.items.append(
            {
                "metadata": {
                    "name": f"{pod}.{hex_digits(rng, 16)}",
                    "namespace": self.namespace,
                    "uid": uid(rng),
                    "resourceVersion": resource_version(rng),
                    "creationTimestamp": iso(ts),
                },
                "involvedObject": involved,
                "reason": reason,
                "message": message,
                "source": source,
                "firstTimestamp": iso(ts),
                "lastTimestamp": iso(ts + (count - 1) * 30),
                "count": count,
                "type": event_type,
                "eventTime": None,
                "reportingComponent": "",
                "reportingInstance": "",
            }
        )

    def container_started(
        self, pod: str, ts: float, container: str, field_path: str, host: str
    ) -> None:
        """The kubelet's ``Created`` and ``Started`` events of one container."""
        for reason in ("Created", "Started"):
            self.add(
                pod, ts, reason, f"{reason} container {container}", field_path=field_path, host=host
            )


def ci_namespace_events(build: Build, pods: int, target: int | None) -> list[Event]:
    """A realistic CI-namespace event stream: jobs, scheduling, pulls, containers, back-offs.

    ``target`` pads the stream with image pull back-offs (or cuts it) to that many events.
    """
    rng = random.Random(int(build.build_id) + 3)
    ns = build.namespace
    stream = EventStream(rng, ns)
    t = build.start + 20
    for _ in range(4):
        stream.add(
            ns,
            t,
            "CiJobRequested",
            f"Running job {build.job} for build {build.build_id}",
            kind="Namespace",
            component="ci-operator",
        )
    names = [f"{build.test}-{s}" for s, _ in E2E_STEPS] + [
        "release-images-initial",
        "release-images-latest",
    ]
    while len(names) < pods:
        names.append(f"{build.test}-extra-{len(names)}")
    for pod in names[:pods]:
        t += 30 + rng.random() * 240
        _pod_lifecycle(stream, pod, t)
    if target is not None:
        while len(stream.items) < target:
            t += 31
            pod = rng.choice(names[:pods])
            stream.add(
                pod,
                t,
                "BackOff",
                f'Back-off pulling image "{_test_image(ns, pod)}"',
                field_path="spec.containers{test}",
                event_type="Warning",
                count=rng.randint(2, 9),
            )
        del stream.items[target:]
    return stream.items


def _test_image(ns: str, pod: str) -> str:
    return f"image-registry.openshift-image-registry.svc:5000/{ns}/stable:{pod[-12:]}"


def _pod_lifecycle(stream: EventStream, pod: str, t: float) -> None:
    """One step pod's events: scheduling, networking, utility and test containers, PDB noise."""
    rng, ns = stream.rng, stream.namespace
    node = f"build0-gstfj-w-{rng.choice('bcd')}-{hex_digits(rng, 5)}"
    host = f"{node}.c.openshift-ci-build-farm.internal"
    if rng.random() < 0.15:
        stream.add(
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
    stream.add(
        pod,
        t,
        "Scheduled",
        f"Successfully assigned {ns}/{pod} to {host}",
        component="default-scheduler",
    )
    stream.add(
        pod,
        t + 2,
        "AddedInterface",
        f"Add eth0 [10.{rng.randint(128, 131)}.{rng.randint(0, 255)}.{rng.randint(2, 254)}/23]",
        component="multus",
    )
    for container, image in (
        ("place-entrypoint", f"gcr.io/k8s-prow/entrypoint:{PROW_IMAGE_TAG}"),
        ("sidecar", f"gcr.io/k8s-prow/sidecar:{PROW_IMAGE_TAG}"),
    ):
        path = f"spec.{'initContainers' if container == 'place-entrypoint' else 'containers'}"
        fp = f"{path}{{{container}}}"
        stream.add(
            pod,
            t + 3,
            "Pulled",
            f'Container image "{image}" already present on machine',
            field_path=fp,
            host=host,
        )
        stream.container_started(pod, t + 4, container, fp, host)
    image = _test_image(ns, pod)
    fp = "spec.containers{test}"
    stream.add(pod, t + 5, "Pulling", f'Pulling image "{image}"', field_path=fp, host=host)
    if rng.random() < 0.12:
        stream.add(
            pod,
            t + 40,
            "BackOff",
            f'Back-off pulling image "{image}"',
            field_path=fp,
            host=host,
            event_type="Warning",
            count=rng.randint(2, 6),
        )
        stream.add(
            pod,
            t + 41,
            "Failed",
            "Error: ImagePullBackOff",
            field_path=fp,
            host=host,
            event_type="Warning",
        )
    stream.add(
        pod,
        t + 60,
        "Pulled",
        f'Successfully pulled image "{image}" in {rng.uniform(0.5, 50):.6f}s',
        field_path=fp,
        host=host,
    )
    stream.container_started(pod, t + 61, "test", fp, host)
    if rng.random() < 0.2:
        stream.add(
            pod,
            t + 62,
            "NoPods",
            "No matching pods found",
            kind="PodDisruptionBudget",
            component="controllermanager",
        )
    if rng.random() < 0.1:
        stream.add(
            pod,
            t + 62,
            "NoControllers",
            f'found no controller ref for pod "{pod}"',
            kind="PodDisruptionBudget",
            component="controllermanager",
            event_type="Warning",
        )


def event_list(items: list[Event], rng: random.Random) -> bytes:
    """An ``EventList`` document (``events.json``)."""
    return compact_json(
        {
            "kind": "EventList",
            "apiVersion": "v1",
            "metadata": {"resourceVersion": resource_version(rng)},
            "items": items,
        }
    )

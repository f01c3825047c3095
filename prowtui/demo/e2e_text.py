"""Lines an openshift-tests run prints (klog stamps, ANSI colours, upgrade chatter)."""

from __future__ import annotations

import random

from prowtui.demo.formats import klog

E2E_MESSAGES = (
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


def e2e_output(rng: random.Random, t: float, count: int, version: str = "4.6.0-0.ci") -> list[str]:
    """``count`` stamped e2e lines from ``t`` on, a few seconds apart."""
    out = []
    for _ in range(count):
        t += rng.random() * 4
        msg = rng.choice(E2E_MESSAGES).format(v=version, p=rng.randint(1, 99), ns="ci-op-x")
        out.append(f"{klog(t)}: {msg}")
    return out

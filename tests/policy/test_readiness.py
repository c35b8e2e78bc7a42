"""Deploy-readiness rules on hand-built graphs: each fires for its mistake, and only then."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from components import pins
from components.plan.monitor import Registration
from components.plan.policy import check
from components.policies import CONFIG_DIR, POLICIES
from components.policies.readiness import eks_version_problems
from components.policies.settings import read_pack_config
from tests.policy.test_rules import reg, violations

pytestmark = pytest.mark.policy

READINESS = {
    "k8s-custom-objects-after-crds",
    "k8s-autoscaling-metrics-served",
    "gpu-workloads-schedulable",
    "k8s-await-covers-startup",
}


def readiness(*resources: Registration) -> list[tuple[str, str, str]]:
    return [v for v in violations(*resources) if v[0] in READINESS]


def release(name: str, chart: str, values: dict[str, Any] | None = None, namespace: str = "monitoring") -> Registration:
    return reg(name, "kubernetes:helm.sh/v3:Release", {"chart": chart, "namespace": namespace, "values": values or {}})


def monitor(deps: list[str]) -> Registration:
    inputs = {"apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor", "metadata": {"name": "m"}}
    return reg("monitor", "kubernetes:monitoring.coreos.com/v1:ServiceMonitor", inputs, deps=deps)


def test_custom_object_after_its_crds_release() -> None:
    crds = release("crds", "prometheus-operator-crds")
    assert readiness(crds, monitor([crds.urn])) == []
    # Through an intermediate dependency counts too.
    middle = reg("ns", "kubernetes:core/v1:Namespace", {"apiVersion": "v1", "kind": "Namespace"}, deps=[crds.urn])
    assert readiness(crds, middle, monitor([middle.urn])) == []


def test_dependency_cycles_end_the_crd_search() -> None:
    first_urn, second_urn = (f"urn:pulumi:prod::p::kubernetes:core/v1:Namespace::{n}" for n in ("a", "b"))
    namespace = {"apiVersion": "v1", "kind": "Namespace"}
    first = reg("a", "kubernetes:core/v1:Namespace", namespace, deps=[second_urn])
    second = reg("b", "kubernetes:core/v1:Namespace", namespace, deps=[first_urn])
    assert [p for p, _, _ in readiness(first, second, monitor([first.urn]))] == ["k8s-custom-objects-after-crds"]


def test_custom_object_before_its_crds_is_flagged() -> None:
    crds = release("crds", "prometheus-operator-crds")
    [(policy, name, message)] = readiness(crds, monitor([]))
    assert (policy, name) == ("k8s-custom-objects-after-crds", "monitor")
    assert "installed in this stack but monitor does not depend on it" in message
    [(_, _, nowhere)] = readiness(monitor([]))
    assert "installed nowhere in this stack" in nowhere


def test_kube_prometheus_stack_without_its_crds_defines_nothing() -> None:
    stack = release("kps", "kube-prometheus-stack", {"crds": {"enabled": False}})
    assert [p for p, _, _ in readiness(stack, monitor([stack.urn]))] == ["k8s-custom-objects-after-crds"]
    with_crds = release("kps", "kube-prometheus-stack")
    assert readiness(with_crds, monitor([with_crds.urn])) == []


def hpa(metric: dict[str, Any]) -> Registration:
    inputs = {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "spec": {"metrics": [metric]}}
    return reg("hpa", "kubernetes:autoscaling/v2:HorizontalPodAutoscaler", inputs)


CPU = {"type": "Resource", "resource": {"name": "cpu"}}
PODS = {"type": "Pods", "pods": {"metric": {"name": "vllm_num_requests_waiting"}}}


def test_hpa_metrics_need_their_metrics_api() -> None:
    metrics_server = reg("ms", "aws:eks/addon:Addon", {"addonName": "metrics-server"})
    assert readiness(metrics_server, hpa(CPU)) == []
    [(policy, _, message)] = readiness(hpa(CPU))
    assert policy == "k8s-autoscaling-metrics-served" and "metrics.k8s.io (metrics-server)" in message
    # The prod mistake this rule was written for: a Pods metric and no custom-metrics API.
    [(_, _, pods)] = readiness(metrics_server, hpa(PODS))
    assert "custom.metrics.k8s.io" in pods
    assert readiness(release("adapter", "prometheus-adapter"), hpa(PODS)) == []


def scaled_object(address: str) -> Registration:
    trigger = {"type": "prometheus", "metadata": {"serverAddress": address, "query": "sum(x)", "threshold": "5"}}
    inputs = {"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject", "spec": {"triggers": [trigger]}}
    return reg("scaled", "kubernetes:keda.sh/v1alpha1:ScaledObject", inputs, deps=["urn:pulumi:prod::p::keda"])


def test_keda_triggers_need_the_prometheus_they_query() -> None:
    keda = Registration(
        "urn:pulumi:prod::p::keda",
        "kubernetes:helm.sh/v3:Release",
        "keda",
        True,
        None,
        None,
        [],
        {"chart": "keda", "namespace": "keda"},
    )
    prometheus = release("kps", "kube-prometheus-stack")
    good = scaled_object("http://kube-prometheus-stack-prometheus.monitoring.svc:9090")
    assert readiness(keda, prometheus, good) == []
    [(policy, _, message)] = readiness(keda, good)
    assert policy == "k8s-autoscaling-metrics-served" and "no namespace" in message
    [(_, _, elsewhere)] = readiness(keda, prometheus, scaled_object("http://prometheus.observability.svc:9090"))
    assert "installs kube-prometheus-stack in monitoring" in elsewhere


def node_group(name: str, ami: str, instance: str = "g6.xlarge", labels: dict[str, str] | None = None) -> Registration:
    return reg(
        name,
        "aws:eks/nodeGroup:NodeGroup",
        {
            "amiType": ami,
            "instanceTypes": [instance],
            "labels": {"mlops-platform/pool": name, "mlops-platform/nvidia-device-plugin": "true", **(labels or {})},
            "taints": [{"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"}],
        },
    )


def plugin(selector: dict[str, str] | None = None) -> Registration:
    pod = {
        "nodeSelector": selector or {"mlops-platform/nvidia-device-plugin": "true"},
        "containers": [{"name": "p", "image": "nvcr.io/nvidia/k8s-device-plugin:v1"}],
    }
    inputs = {"apiVersion": "apps/v1", "kind": "DaemonSet", "spec": {"template": {"spec": pod}}}
    return reg("plugin", "kubernetes:apps/v1:DaemonSet", inputs)


def gpu_deployment(
    gpus: float = 1.0, pool: str = "gpu", tolerate: bool = True, annotations: Any = None
) -> Registration:
    pod: dict[str, Any] = {
        "nodeSelector": {"mlops-platform/pool": pool},
        "tolerations": [{"key": "nvidia.com/gpu", "operator": "Equal", "value": "true", "effect": "NoSchedule"}]
        if tolerate
        else [],
        "containers": [
            {
                "name": "server",
                "image": "x@sha256:" + "a" * 64,
                "resources": {"limits": {"nvidia.com/gpu": gpus}},
                "startupProbe": {"periodSeconds": 10.0, "failureThreshold": 180.0},
            }
        ],
    }
    metadata = {"annotations": annotations if annotations is not None else {"pulumi.com/timeoutSeconds": "3000"}}
    inputs = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": metadata, "spec": {"template": {"spec": pod}}}
    return reg("server", "kubernetes:apps/v1:Deployment", inputs)


def test_gpu_workload_on_a_pool_with_a_plugin_passes() -> None:
    assert readiness(node_group("gpu", "AL2023_x86_64_NVIDIA"), plugin(), gpu_deployment()) == []
    # Bottlerocket's NVIDIA AMIs ship the plugin.
    assert readiness(node_group("gpu", "BOTTLEROCKET_x86_64_NVIDIA"), gpu_deployment()) == []


def test_al2023_gpu_pool_without_a_plugin_is_loud() -> None:
    found = readiness(node_group("gpu", "AL2023_x86_64_NVIDIA"), gpu_deployment())
    assert [(p, n) for p, n, _ in found] == [
        ("gpu-workloads-schedulable", "gpu"),
        ("gpu-workloads-schedulable", "server"),
    ]
    assert "has no device plugin" in found[0][2] and "would stay Pending" in found[1][2]
    # A plugin whose selector misses the pool's nodes does not count.
    assert len(readiness(node_group("gpu", "AL2023_x86_64_NVIDIA"), plugin({"other": "x"}))) == 1


@pytest.mark.parametrize(
    ("deployment", "reason"),
    [
        (gpu_deployment(pool="nope"), "labels {'mlops-platform/pool': 'nope'} not on its nodes"),
        (gpu_deployment(tolerate=False), "taint nvidia.com/gpu not tolerated"),
        (gpu_deployment(gpus=2.0), "its nodes have 1 nvidia.com/gpu, the pod asks for 2"),
    ],
)
def test_gpu_workload_no_node_group_can_run_is_flagged(deployment: Registration, reason: str) -> None:
    [(policy, name, message)] = readiness(node_group("gpu", "AL2023_x86_64_NVIDIA"), plugin(), deployment)
    assert (policy, name) == ("gpu-workloads-schedulable", "server")
    assert reason in message


def test_await_must_cover_the_startup_budget() -> None:
    ok = [node_group("gpu", "AL2023_x86_64_NVIDIA"), plugin()]
    # 1800 s startup probe + 360 s node from zero + 420 s image pull = 2580 s.
    assert readiness(*ok, gpu_deployment(annotations={"pulumi.com/timeoutSeconds": "2580"})) == []
    [(policy, _, message)] = readiness(*ok, gpu_deployment(annotations={}))
    assert policy == "k8s-await-covers-startup"
    assert "waits 600 s but it may need 2580 s" in message
    assert readiness(*ok, gpu_deployment(annotations={"pulumi.com/timeoutSeconds": "2579"}))
    assert readiness(*ok, gpu_deployment(annotations={"pulumi.com/skipAwait": "true"})) == []


@pytest.mark.parametrize(
    ("version", "support", "day", "fragment"),
    [
        ("1.35", "STANDARD", "2026-12-01", None),
        ("1.35", "STANDARD", "2027-01-01", "leaves standard support on 2027-03-27 (85 days)"),
        ("1.35", "EXTENDED", "2027-01-01", "bills extended support (6x)"),
        ("1.33", "EXTENDED", "2026-12-01", "left standard support on 2026-07-29"),
        ("1.32", "EXTENDED", "2027-06-01", "left EKS support on 2027-03-23"),
        ("1.20", "STANDARD", "2026-12-01", "not a version this platform knows"),
    ],
)
def test_eks_version_warnings(version: str, support: str, day: str, fragment: str | None) -> None:
    problems = eks_version_problems(version, support, datetime.date.fromisoformat(day), 90)
    assert problems == [] if fragment is None else fragment in problems[0]


def test_eks_version_rule_uses_the_plan_date(monkeypatch: pytest.MonkeyPatch) -> None:
    cluster = reg("eks", "aws:eks/cluster:Cluster", {"version": pins.DEFAULT_KUBERNETES_VERSION})
    assert [v for v in violations(cluster) if v[0] == "eks-version-supported"] == []
    monkeypatch.setenv(pins.TODAY_VARIABLE, "2027-03-01")
    [(_, _, message)] = [v for v in violations(cluster) if v[0] == "eks-version-supported"]
    assert "(26 days)" in message


def test_an_unset_eks_version_says_so_and_what_to_pin() -> None:
    cluster = reg("eks", "aws:eks/cluster:Cluster", {})
    [(level, message)] = [
        (v.enforcement_level, v.message)
        for v in check(POLICIES, [cluster], read_pack_config(CONFIG_DIR / "prod.json")).violations
        if v.policy == "eks-version-supported"
    ]
    assert (level, message) == (
        "advisory",
        "the Kubernetes version is not set, so EKS would create the cluster at its current default version; pin "
        "one of the versions in standard support for more than 90 days (1.35) in the cluster's version input",
    )

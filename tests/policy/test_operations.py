"""The rules of components/policies/operations.py on hand-built resources, through the analyzer."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.plan.monitor import Registration
from tests.policy.test_rules import reg, violations

pytestmark = pytest.mark.policy

OPERATIONS = {"eks-network-policies-enforced", "k8s-rollout-fits-pool", "sns-alarm-topics-subscribed"}


def found(*resources: Registration) -> list[tuple[str, str, str]]:
    return [v for v in violations(*resources) if v[0] in OPERATIONS]


CLUSTER = reg("eks", "aws:eks/cluster:Cluster", {})
POLICY = reg(
    "np",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy",
    {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "np"}},
)


def cni(configuration: dict[str, str] | None) -> Registration:
    inputs: dict[str, Any] = {"addonName": "vpc-cni"}
    if configuration is not None:
        inputs["configurationValues"] = json.dumps(configuration)
    return reg("vpc-cni", "aws:eks/addon:Addon", inputs)


def test_network_policies_need_an_enforcing_vpc_cni() -> None:
    assert found(CLUSTER, cni({"enableNetworkPolicy": "true"}), POLICY) == []
    [(_, name, message)] = found(CLUSTER, cni(None), POLICY)
    assert name == "np" and "lacks configurationValues" in message
    [(_, _, default)] = found(CLUSTER, POLICY)
    assert "no managed vpc-cni add-on" in default
    assert found(CLUSTER, cni({"enableNetworkPolicy": "false"}), POLICY)
    # An app stack without the cluster: its platform stack is checked on its own.
    assert found(POLICY) == []


def pool(max_size: float, instance: str = "g6e.12xlarge") -> Registration:
    return reg(
        "llm",
        "aws:eks/nodeGroup:NodeGroup",
        {
            "amiType": "BOTTLEROCKET_x86_64_NVIDIA",
            "instanceTypes": [instance],
            "scalingConfig": {"maxSize": max_size},
            "labels": {"pool": "llm"},
            "taints": [{"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"}],
        },
    )


def deployment(replicas: float, gpus: str = "4", strategy: dict[str, Any] | None = None) -> Registration:
    pod = {
        "nodeSelector": {"pool": "llm"},
        "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists"}],
        "containers": [{"name": "s", "resources": {"limits": {"nvidia.com/gpu": gpus}}}],
    }
    spec: dict[str, Any] = {"replicas": replicas, "template": {"spec": pod}}
    if strategy is not None:
        spec["strategy"] = strategy
    inputs = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "llm", "namespace": "s"},
        "spec": spec,
    }
    return reg("llm-deployment", "kubernetes:apps/v1:Deployment", inputs)


def argo_rollout(replicas: float | None, max_surge: Any = None) -> Registration:
    """An Argo Rollout of the same pod with a canary strategy (``maxSurge`` unset: Argo's 25%)."""
    workload = deployment(replicas or 0)
    canary: dict[str, Any] = {"steps": [{"setWeight": 1}]}
    if max_surge is not None:
        canary["maxSurge"], canary["maxUnavailable"] = max_surge, 0 if max_surge else 1
    spec = {**workload.inputs["spec"], "strategy": {"canary": canary}}
    if replicas is None:
        del spec["replicas"]
    inputs = {**workload.inputs, "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "spec": spec}
    return reg("llm-rollout", "kubernetes:argoproj.io/v1alpha1:Rollout", inputs)


def scaler(kind: str, maximum: float, target: str = "Deployment") -> Registration:
    key, api = (
        ("maxReplicas", "autoscaling/v2")
        if kind == "HorizontalPodAutoscaler"
        else ("maxReplicaCount", "keda.sh/v1alpha1")
    )
    spec = {"scaleTargetRef": {"kind": target, "name": "llm"}, key: maximum}
    inputs = {"apiVersion": api, "kind": kind, "metadata": {"name": "llm", "namespace": "s"}, "spec": spec}
    return reg(f"llm-{kind.lower()}", f"kubernetes:{api}:{kind}", inputs)


REPLACE = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}}


@pytest.mark.parametrize(
    ("resources", "fits"),
    [
        # The default strategy surges 25% (rounded up): a third 4-GPU pod on a 2-node pool.
        ((pool(2), deployment(2)), False),
        ((pool(3), deployment(2)), True),
        ((pool(2), deployment(2, strategy=REPLACE)), True),
        ((pool(2), deployment(2, strategy={"type": "Recreate"})), True),
        # The autoscaler's maximum counts, even at zero replicas (a model not yet published).
        ((pool(3), deployment(0, strategy=REPLACE), scaler("ScaledObject", 4)), False),
        ((pool(3), deployment(2, strategy=REPLACE), scaler("HorizontalPodAutoscaler", 3)), True),
        # Two 2-GPU pods share a 4-GPU node: 2 nodes hold 4, plus a surge pod is 5.
        (
            (pool(2), deployment(4, gpus="2", strategy={"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}})),
            False,
        ),
        ((pool(2), deployment(3, gpus="2")), True),
        # An Argo Rollout's canary pod runs next to the stable ones (surge): one more whole node.
        ((pool(3), argo_rollout(None, 1), scaler("ScaledObject", 3, "Rollout")), False),
        ((pool(4), argo_rollout(None, 1), scaler("ScaledObject", 3, "Rollout")), True),
        ((pool(3), argo_rollout(None, 0), scaler("ScaledObject", 3, "Rollout")), True),
        ((pool(2), argo_rollout(2)), False),
        ((pool(2), argo_rollout(0, 0), scaler("HorizontalPodAutoscaler", 3, "Rollout")), False),
    ],
)
def test_a_rollout_fits_the_pool_at_max_size(resources: tuple[Registration, ...], fits: bool) -> None:
    result = found(*resources)
    assert (result == []) is fits, result
    if not fits:
        assert "Roll out with maxSurge 0 and maxUnavailable >= 1" in result[0][2]


def topic_setup(subscribed: bool) -> list[Registration]:
    topic = reg("alerts", "aws:sns/topic:Topic", {})
    alarm = reg("cpu", "aws:cloudwatch/metricAlarm:MetricAlarm", {}, deps=[topic.urn])
    budget = reg("budget", "aws:budgets/budget:Budget", {}, deps=[topic.urn])
    quiet = reg("quiet", "aws:sns/topic:Topic", {})
    resources = [topic, alarm, budget, quiet]
    if subscribed:
        resources.append(reg("oncall", "aws:sns/topicSubscription:TopicSubscription", {}, deps=[topic.urn]))
    return resources


def test_a_topic_alarms_notify_has_a_subscriber() -> None:
    [(_, name, message)] = found(*topic_setup(False))
    assert name == "alerts" and "CloudWatch alarm cpu, budget budget notify no one" in message
    # A topic nothing publishes to needs no subscriber.
    assert found(*topic_setup(True)) == []

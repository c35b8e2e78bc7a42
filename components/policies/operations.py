"""Rules on what keeps a running platform honest: NetworkPolicies that are enforced, rollouts
that can finish, and alarms that reach someone. Stack validators over the resources' inputs
and dependency graph, like :mod:`components.policies.readiness`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from pulumi_policy import PolicyResource, ReportViolation, StackValidationArgs

from components import catalog
from components.policies.readiness import (
    NODE_GROUP,
    RELEASE,
    chart_name,
    device_requests,
    kind_and_group,
    node_group_fit,
    pod_spec_of,
)
from components.values import as_mapping, items

CLUSTER = "aws:eks/cluster:Cluster"
ADDON = "aws:eks/addon:Addon"
TOPIC = "aws:sns/topic:Topic"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
TOPIC_PUBLISHERS = {
    "aws:cloudwatch/metricAlarm:MetricAlarm": "CloudWatch alarm",
    "aws:budgets/budget:Budget": "budget",
}
"""AWS resources that notify through an SNS topic they name (and so depend on)."""


def _kind(resource: PolicyResource) -> tuple[str, str] | None:
    return kind_and_group(resource.resource_type, resource.props)


def enforces_network_policies(addon: Mapping[str, Any]) -> bool:
    """Whether a vpc-cni add-on's ``configurationValues`` turn NetworkPolicy enforcement on."""
    return str(as_mapping(addon.get("configurationValues")).get("enableNetworkPolicy", "")).lower() == "true"


def validate_network_policies_enforced(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """NetworkPolicies are declared only on an EKS cluster whose vpc-cni enforces them."""
    resources = args.resources
    if not any(r.resource_type == CLUSTER for r in resources):
        return  # an app stack: the platform stack that owns the cluster is checked on its own
    cni = [r for r in resources if r.resource_type == ADDON and r.props.get("addonName") == "vpc-cni"]
    if cni and all(enforces_network_policies(r.props) for r in cni):
        return
    why = (
        'the vpc-cni add-on lacks configurationValues {"enableNetworkPolicy": "true"}'
        if cni
        else "the cluster has no managed vpc-cni add-on (the default one enforces none)"
    )
    for resource in resources:
        if _kind(resource) == ("NetworkPolicy", "networking.k8s.io"):
            report_violation(
                f"NetworkPolicy {resource.name} is accepted and ignored: {why}; EKS enforces NetworkPolicies "
                "only with that setting (Cluster sets it)",
                resource.urn,
            )


def _number(value: Any, default: int) -> int:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return default


def _surge_pods(value: Any, replicas: int) -> int:
    """A rolling update's ``maxSurge`` in pods (a percentage of ``replicas`` rounds up; default 25%)."""
    value = "25%" if value is None else value
    if isinstance(value, str) and value.endswith("%"):
        return math.ceil(replicas * _number(value[:-1], 0) / 100)
    return _number(value, 0)


def rollout_extra_pods(spec: Mapping[str, Any], replicas: int) -> int:
    """How many pods above ``replicas`` a rollout of a Deployment runs at once (its surge); for an
    Argo Rollout's canary, its ``maxSurge`` (default 25%, as a Deployment's): the canary pods run
    next to every stable one, each on a node of its own when a pod fills a GPU node."""
    strategy = as_mapping(spec.get("strategy"))
    if "canary" in strategy:
        return _surge_pods(as_mapping(strategy.get("canary")).get("maxSurge"), replicas)
    if strategy.get("type") == "Recreate":
        return 0
    rolling = as_mapping(strategy.get("rollingUpdate"))
    return _surge_pods(rolling.get("maxSurge"), replicas)


WORKLOADS = {("Deployment", "apps"), ("Rollout", "argoproj.io")}
"""What an autoscaler may target and the capacity rule judges."""
_SCALERS = {("HorizontalPodAutoscaler", "autoscaling"): "maxReplicas", ("ScaledObject", "keda.sh"): "maxReplicaCount"}
"""Autoscalers and the field holding their maximum replicas."""


def autoscaler_maxima(resources: Sequence[PolicyResource]) -> dict[tuple[Any, Any], int]:
    """The most replicas an HPA or ScaledObject gives each Deployment, by (namespace, name): one
    pass over the stack, so the rule stays linear in its size."""
    maxima: dict[tuple[Any, Any], int] = {}
    for resource in resources:
        scaler = _SCALERS.get(_kind(resource) or ("", ""))
        if scaler is None:
            continue
        spec = as_mapping(resource.props.get("spec"))
        target = as_mapping(spec.get("scaleTargetRef"))
        if target.get("kind", "Deployment") not in {kind for kind, _ in WORKLOADS}:
            continue
        key = (as_mapping(resource.props.get("metadata")).get("namespace"), target.get("name"))
        maxima[key] = max(maxima.get(key, 0), _number(spec.get(scaler), 0))
    return maxima


def most_replicas(deployment: PolicyResource, maxima: Mapping[tuple[Any, Any], int]) -> int:
    """The most replicas a Deployment runs: its autoscaler's maximum (:func:`autoscaler_maxima`),
    else its replicas."""
    metadata = as_mapping(deployment.props.get("metadata"))
    replicas = _number(as_mapping(deployment.props.get("spec")).get("replicas"), 1)
    return max(replicas, maxima.get((metadata.get("namespace"), metadata.get("name")), replicas))


def pool_pod_capacity(pod: Mapping[str, Any], groups: Sequence[PolicyResource], device: str, count: int) -> int | None:
    """How many such pods the node groups that can run the pod hold at their maximum size (None
    when no node group can run it: ``gpu-workloads-schedulable`` says so)."""
    fitting = [g for g in groups if node_group_fit(pod, g.props, device, count) is None]
    if not fitting:
        return None
    capacity = 0
    for group in fitting:
        specs = [s for t in items(group.props.get("instanceTypes")) if (s := catalog.accelerated().get(str(t)))]
        per_node = min(s.accelerators for s in specs) // count
        capacity += _number(as_mapping(group.props.get("scalingConfig")).get("maxSize"), 0) * per_node
    return capacity


def validate_rollout_fits_pool(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """An accelerator Deployment at its maximum replicas can still roll out within its pools."""
    resources = args.resources
    groups = [r for r in resources if r.resource_type == NODE_GROUP]
    maxima = autoscaler_maxima(resources)
    for resource in resources:
        if _kind(resource) not in WORKLOADS:
            continue
        pod = pod_spec_of(resource) or {}
        for device, count in device_requests(pod).items():
            capacity = pool_pod_capacity(pod, groups, device, count)
            if capacity is None:
                continue
            most = most_replicas(resource, maxima)
            extra = rollout_extra_pods(as_mapping(resource.props.get("spec")), most)
            if most + extra > capacity:
                report_violation(
                    f"{resource.props.get('kind')} {resource.name}: at {most} replicas a rollout runs "
                    f"{most + extra} pods of {count} "
                    f"{device}, but its node groups hold {capacity} at their maximum size: every change would wait "
                    "for a node that never comes. Roll out with maxSurge 0 and maxUnavailable >= 1 (or Recreate), "
                    "lower the maximum replicas, or raise the pool's maxSize",
                    resource.urn,
                )


def validate_alarm_topics_subscribed(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """An SNS topic that alarms or budgets notify has at least one subscription."""
    resources = args.resources
    subscribed = {d.urn for r in resources if r.resource_type == SUBSCRIPTION for d in r.dependencies}
    for topic in resources:
        if topic.resource_type != TOPIC or topic.urn in subscribed:
            continue
        publishers = sorted(
            f"{TOPIC_PUBLISHERS[r.resource_type]} {r.name}"
            for r in resources
            if r.resource_type in TOPIC_PUBLISHERS and any(d.urn == topic.urn for d in r.dependencies)
        )
        if publishers:
            report_violation(
                f"SNS topic {topic.name} has no subscription: {', '.join(publishers)} notify no one; subscribe an "
                "e-mail address or an HTTPS endpoint (monitoring.alertEmails, monitoring.alertHttpsEndpoints)",
                topic.urn,
            )


MONITORING_CHART = "kube-prometheus-stack"
MONITORED_SERVERS = (("prometheus", "prometheusSpec"), ("alertmanager", "alertmanagerSpec"))
"""The chart's servers that alerting rides on: (values section, its operator spec)."""


def monitoring_single_points(values: Mapping[str, Any]) -> list[str]:
    """What makes a kube-prometheus-stack release a single point of failure: Prometheus or
    Alertmanager with one replica, replicas allowed on one node, no PodDisruptionBudget, or no
    memory limit (an OOM on a busy node takes the neighbours' memory first)."""
    problems: list[str] = []
    for section, spec_key in MONITORED_SERVERS:
        server = as_mapping(values.get(section))
        if server.get("enabled") is False:
            continue
        spec = as_mapping(server.get(spec_key))
        replicas = _number(spec.get("replicas"), 1)
        if replicas < 2:
            problems.append(f"{section}.{spec_key}.replicas is {replicas}: one eviction stops all alerting")
        required = as_mapping(as_mapping(spec.get("affinity")).get("podAntiAffinity")).get(
            "requiredDuringSchedulingIgnoredDuringExecution"
        )
        if spec.get("podAntiAffinity") != "hard" and not items(required):
            problems.append(f'{section}.{spec_key}.podAntiAffinity is not "hard": both replicas may land on one node')
        if as_mapping(server.get("podDisruptionBudget")).get("enabled") is not True:
            problems.append(f"{section}.podDisruptionBudget.enabled is not true: a node drain may evict every replica")
        if not as_mapping(as_mapping(spec.get("resources")).get("limits")).get("memory"):
            problems.append(f"{section}.{spec_key}.resources.limits.memory is unset")
    return problems


def validate_monitoring_highly_available(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """The monitoring stack is no single point of failure: two Prometheus and two Alertmanager
    replicas on different nodes, PodDisruptionBudgets, memory limits."""
    for release in args.resources:
        if release.resource_type != RELEASE or chart_name(release) != MONITORING_CHART:
            continue
        for problem in monitoring_single_points(as_mapping(release.props.get("values"))):
            report_violation(
                f"release {release.name}: {problem}; set MonitoringStack's high_availability (the platform stack "
                "does in prod)",
                release.urn,
            )

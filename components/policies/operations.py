"""Rules on what keeps a running platform honest: NetworkPolicies that are enforced and alarms
that reach someone. Stack validators over the resources' inputs
and dependency graph, like :mod:`components.policies.readiness`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import PolicyResource, ReportViolation, StackValidationArgs

from components.policies.readiness import kind_and_group
from components.policies.values import as_mapping

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

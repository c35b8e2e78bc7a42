"""GPU and cost rules: accelerator node groups and Karpenter NodePools are tainted, use allowed
instance types, run spot only where allowed, NodePools are bounded by limits, and the stack
stays under a GPU count and hourly cost cap (the plan's own cost model). Schedulability is
:mod:`components.policies.readiness`'s."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs, StackValidationArgs

from components import catalog, cost, node_pools, pins
from components.values import as_mapping, items

NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
MAX_GPUS = 64
"""Default cap on the accelerators all node groups may scale to."""
MAX_HOURLY_USD = 250.0
"""Default cap on the stack's hourly cost at maximum scale (USD)."""


def accelerated_types(props: Mapping[str, Any]) -> list[str]:
    """The node group's instance types that carry accelerators (per the catalog)."""
    known = catalog.accelerated()
    return [t for t in items(props.get("instanceTypes")) if isinstance(t, str) and t in known]


def node_view(resource_type: str, props: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """A managed node group's props, or a Karpenter NodePool read as one (instance types its
    requirements allow, taints in the EKS spelling, capacity type); None for anything else."""
    if resource_type == NODE_GROUP:
        return props
    if resource_type == node_pools.NODE_POOL:
        return node_pools.as_node_group(props, None)
    return None


def validate_gpu_nodes_tainted(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Accelerator node groups and NodePools carry their device's NoSchedule taint, so other pods stay off."""
    view = node_view(args.resource_type, args.props)
    types = accelerated_types(view) if view is not None else []
    if not types or view is None:
        return
    device = catalog.DEVICE_RESOURCE[catalog.accelerated()[types[0]].accelerator]
    taints = [as_mapping(t) for t in items(view.get("taints"))]
    if not any(t.get("key") == device and t.get("effect") == "NO_SCHEDULE" for t in taints):
        report_violation(f"no {device} NO_SCHEDULE taint: any pod may land on (and pay for) these nodes", None)


def validate_gpu_instance_types(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Accelerator node groups and NodePools use instance types from the allow-list (default: the catalog)."""
    view = node_view(args.resource_type, args.props)
    if view is None:
        return
    allowed = args.get_config().get("allowedInstanceTypes") or sorted(catalog.accelerated())
    for instance_type in accelerated_types(view):
        if instance_type not in allowed:
            report_violation(f"{instance_type} is not an allowed GPU instance type ({', '.join(allowed)})", None)


def validate_gpu_spot(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """GPU node groups and NodePools run on demand unless spot is allowed for the stack."""
    view = node_view(args.resource_type, args.props)
    if view is None or not accelerated_types(view):
        return
    if view.get("capacityType") == "SPOT" and not args.get_config().get("allowSpot", False):
        report_violation("a spot GPU pool: capacity can vanish mid-request; use ON_DEMAND here", None)


def max_accelerators(props: Mapping[str, Any]) -> int:
    """Accelerators the node group may scale to: max size times the largest node's count."""
    types = accelerated_types(props)
    if not types:
        return 0
    try:
        size = int(float(as_mapping(props.get("scalingConfig")).get("maxSize", 0)))
    except (TypeError, ValueError):
        return 0
    return size * max(catalog.accelerated()[t].accelerators for t in types)


def validate_gpu_caps(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """The stack's node groups may not scale past the GPU cap, nor the stack past the hourly cost
    cap at maximum scale (the plan's cost model, on-demand prices)."""
    config = args.get_config()
    max_gpus, max_hourly = int(config.get("maxGpus", MAX_GPUS)), float(config.get("maxHourlyUsd", MAX_HOURLY_USD))
    groups = [r for r in args.resources if r.resource_type == NODE_GROUP]
    pools = [node_pools.max_accelerators(r.props) for r in args.resources if r.resource_type == node_pools.NODE_POOL]
    # A NodePool without accelerator limits is karpenter-node-pools-limited's to report.
    gpus = sum(max_accelerators(g.props) for g in groups) + sum(n for n in pools if not math.isinf(n))
    if gpus > max_gpus:
        report_violation(
            f"node groups and NodePools may scale to {gpus:g} accelerators, over the cap of {max_gpus} (maxGpus)", None
        )
    priced = ((r.resource_type, r.name, r.props) for r in args.resources)
    hourly = float(cost.estimate(priced, pins.today())["hourlyMax"])
    if hourly > max_hourly:
        report_violation(
            f"at maximum scale the stack costs ${hourly:,.2f}/h, over the cap of ${max_hourly:,.2f}/h (maxHourlyUsd)",
            None,
        )


def validate_node_pools_limited(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Every Karpenter NodePool limits its CPU; one that launches accelerators also limits them."""
    if args.resource_type != node_pools.NODE_POOL:
        return
    bound = node_pools.limits(args.props)
    if "cpu" not in bound:
        report_violation("no limits.cpu: Karpenter may launch nodes until the account's quota stops it", None)
    types = node_pools.allowed_types(args.props)
    if types:
        device = catalog.DEVICE_RESOURCE[catalog.accelerated()[types[0]].accelerator]
        if device not in bound:
            report_violation(f"no limits on {device}: its accelerators (and their cost) have no ceiling", None)


def validate_node_class_hardened(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """EC2NodeClasses require IMDSv2 with a low hop limit, encrypt every volume, give no public
    IP and pin the AMI alias to a release (``@latest`` only where allowed)."""
    if args.resource_type != node_pools.NODE_CLASS:
        return
    spec = as_mapping(args.props.get("spec"))
    config = args.get_config()
    if "metadataOptions" in spec:  # Karpenter's default is IMDSv2 with hop limit 1
        metadata = as_mapping(spec.get("metadataOptions"))
        if metadata.get("httpEndpoint", "enabled") == "enabled" and metadata.get("httpTokens") != "required":
            report_violation(
                "IMDSv1 allowed (metadataOptions.httpTokens is not required): pods can read the node role", None
            )
        hops = metadata.get("httpPutResponseHopLimit", 1)
        limit = int(config.get("maxHopLimit", 2))
        if isinstance(hops, int | float) and hops > limit:
            report_violation(f"metadataOptions.httpPutResponseHopLimit {hops:g} > {limit}: containers reach IMDS", None)
    for mapping in map(as_mapping, items(spec.get("blockDeviceMappings"))):
        if as_mapping(mapping.get("ebs")).get("encrypted") is not True:
            report_violation(f"volume {mapping.get('deviceName', '?')} is not encrypted (ebs.encrypted: true)", None)
    if spec.get("associatePublicIPAddress") is True:
        report_violation("associatePublicIPAddress: nodes get public IPs", None)
    latest = [a for a in node_pools.ami_aliases(args.props) if a.lower().endswith("@latest")]
    if latest and not config.get("allowLatestAmi", False):
        family = latest[0].split("@")[0].lower()
        release = pins.KARPENTER_AMI_VERSIONS.get(family, "<release>")
        report_violation(
            f"AMI alias {latest[0]}: every new AMI release replaces the nodes (drift); pin one ({family}@{release})",
            None,
        )

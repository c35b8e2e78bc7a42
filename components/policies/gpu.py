"""GPU and cost rules: accelerator node groups are tainted, use allowed instance types, run
spot only where allowed, and the stack stays under a GPU count and hourly cost cap (the
plan's own cost model). Schedulability is :mod:`components.policies.readiness`'s."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs, StackValidationArgs

from components import catalog, cost, pins
from components.policies.values import as_mapping, items

NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
MAX_GPUS = 64
"""Default cap on the accelerators all node groups may scale to."""
MAX_HOURLY_USD = 250.0
"""Default cap on the stack's hourly cost at maximum scale (USD)."""


def accelerated_types(props: Mapping[str, Any]) -> list[str]:
    """The node group's instance types that carry accelerators (per the catalog)."""
    known = catalog.accelerated()
    return [t for t in items(props.get("instanceTypes")) if isinstance(t, str) and t in known]


def validate_gpu_nodes_tainted(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Accelerator node groups carry their device's NoSchedule taint, so other pods stay off."""
    types = accelerated_types(args.props) if args.resource_type == NODE_GROUP else []
    if not types:
        return
    device = catalog.DEVICE_RESOURCE[catalog.accelerated()[types[0]].accelerator]
    taints = [as_mapping(t) for t in items(args.props.get("taints"))]
    if not any(t.get("key") == device and t.get("effect") == "NO_SCHEDULE" for t in taints):
        report_violation(f"no {device} NO_SCHEDULE taint: any pod may land on (and pay for) these nodes", None)


def validate_gpu_instance_types(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Accelerator node groups use instance types from the allow-list (default: the catalog)."""
    if args.resource_type != NODE_GROUP:
        return
    allowed = args.get_config().get("allowedInstanceTypes") or sorted(catalog.accelerated())
    for instance_type in accelerated_types(args.props):
        if instance_type not in allowed:
            report_violation(f"{instance_type} is not an allowed GPU instance type ({', '.join(allowed)})", None)


def validate_gpu_spot(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """GPU node groups run on demand unless spot is allowed for the stack."""
    if args.resource_type != NODE_GROUP or not accelerated_types(args.props):
        return
    if args.props.get("capacityType") == "SPOT" and not args.get_config().get("allowSpot", False):
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
    gpus = sum(max_accelerators(g.props) for g in groups)
    if gpus > max_gpus:
        report_violation(f"node groups may scale to {gpus} accelerators, over the cap of {max_gpus} (maxGpus)", None)
    priced = ((r.resource_type, r.name, r.props) for r in args.resources)
    hourly = float(cost.estimate(priced, pins.today())["hourlyMax"])
    if hourly > max_hourly:
        report_violation(
            f"at maximum scale the stack costs ${hourly:,.2f}/h, over the cap of ${max_hourly:,.2f}/h (maxHourlyUsd)",
            None,
        )

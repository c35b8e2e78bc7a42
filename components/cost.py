"""An hourly cost estimate from the declared resources (us-east-1 on-demand list prices).

Only resources that bill by the hour whatever their traffic are priced: EKS node groups
(from the instance catalog, at their minimum and maximum size), Karpenter NodePools (from
zero to the most their limits allow of the dearest type they may launch), the EKS control plane (at the
standard or extended-support rate its Kubernetes version is billed at on the plan's date),
NAT gateways and RDS instances (instance hours and allocated gp3 storage, Multi-AZ twice).
Spot capacity is priced at the on-demand price unless the node group carries an expected
discount (tag ``mlops-platform/spot-discount``). Usage-priced services (S3, data transfer,
EBS) are left out.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from typing import Any

from components import catalog, node_pools, pins
from components.values import as_mapping

Priced = tuple[str, str, Mapping[str, Any]]
"""A resource as the estimate reads it: type token, name, inputs."""

EKS_CONTROL_PLANE_HOURLY = 0.10
"""EKS cluster under standard Kubernetes version support (aws.amazon.com/eks/pricing)."""
EKS_EXTENDED_SUPPORT_HOURLY = 0.60
"""EKS cluster whose version is in extended support: six times the standard rate."""
NAT_GATEWAY_HOURLY = 0.045
"""NAT gateway, per gateway-hour (data processing not included)."""
RDS_POSTGRES_HOURLY = {
    "db.t4g.micro": 0.016,
    "db.t4g.small": 0.032,
    "db.t4g.medium": 0.065,
    "db.t4g.large": 0.129,
    "db.m7g.large": 0.168,
    "db.m7g.xlarge": 0.336,
    "db.r7g.large": 0.239,
    "db.r7g.xlarge": 0.478,
}
"""RDS for PostgreSQL Single-AZ on-demand instance-hours, us-east-1 (aws.amazon.com/rds/postgresql/pricing,
as last read in 2025: the page is not reachable from our machines, so re-check before budgeting)."""
RDS_GP3_GB_MONTH = 0.115
"""RDS gp3 storage per GB-month, Single-AZ (Multi-AZ bills twice)."""
HOURS_PER_MONTH = 730


def database_cost(name: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """An RDS instance: its class's hours and allocated storage (up to the autoscaling ceiling)."""
    instance_class = str(inputs.get("instanceClass", ""))
    copies = 2 if inputs.get("multiAz") is True else 1
    allocated = float(inputs.get("allocatedStorage", 0))
    ceiling = float(inputs.get("maxAllocatedStorage") or allocated)
    hourly = RDS_POSTGRES_HOURLY.get(instance_class)
    if hourly is None:
        return cost_item(name, 0.0, 0.0, f"{instance_class}: no price in the table")
    low = copies * (hourly + allocated * RDS_GP3_GB_MONTH / HOURS_PER_MONTH)
    high = copies * (hourly + ceiling * RDS_GP3_GB_MONTH / HOURS_PER_MONTH)
    detail = f"{instance_class}{' Multi-AZ' if copies == 2 else ''}, {allocated:g}-{ceiling:g} GiB gp3"
    return cost_item(name, low, high, detail)


def cost_item(name: str, hourly_min: float, hourly_max: float, detail: str) -> dict[str, Any]:
    """One line of the estimate."""
    return {
        "name": name,
        "hourlyMin": round(hourly_min, 4),
        "hourlyMax": round(hourly_max, 4),
        "detail": detail,
    }


def control_plane_cost(name: str, inputs: Mapping[str, Any], today: datetime.date) -> dict[str, Any]:
    """The control plane at the rate its version bills on ``today``.

    Past standard support a cluster with ``upgradePolicy.supportType: EXTENDED`` (EKS's default)
    bills extended support; one with ``STANDARD`` is upgraded by EKS and stays at the standard rate.
    """
    version = str(inputs.get("version", ""))
    window = pins.KUBERNETES_VERSIONS.get(version)
    if window is None:
        return cost_item(name, EKS_CONTROL_PLANE_HOURLY, EKS_EXTENDED_SUPPORT_HOURLY, f"EKS {version}: unknown version")
    policy: Mapping[str, Any] = inputs.get("upgradePolicy") or {}
    support = str(policy.get("supportType", pins.UNSET_SUPPORT_TYPE))
    hourly, detail = EKS_CONTROL_PLANE_HOURLY, f", standard support until {window.standard_support_end}"
    if pins.support_status(version, today) != "standard":
        if support == "EXTENDED":
            hourly, detail = EKS_EXTENDED_SUPPORT_HOURLY, f" in extended support since {window.standard_support_end}"
        else:
            detail = ", past standard support: EKS upgrades it (supportType STANDARD)"
    return cost_item(name, hourly, hourly, f"EKS {version} control plane{detail}")


def estimate(resources: Iterable[Priced], today: datetime.date) -> dict[str, Any]:
    """The ``cost`` block of ``plan.json`` on ``today``'s prices and support windows."""
    items: list[dict[str, Any]] = []
    for type_, name, inputs in resources:
        if type_ == "aws:eks/cluster:Cluster":
            items.append(control_plane_cost(name, inputs, today))
        elif type_ == "aws:ec2/natGateway:NatGateway":
            items.append(cost_item(name, NAT_GATEWAY_HOURLY, NAT_GATEWAY_HOURLY, "NAT gateway"))
        elif type_ == "aws:eks/nodeGroup:NodeGroup":
            items.append(node_group_cost(name, inputs))
        elif type_ == node_pools.NODE_POOL:
            items.append(node_pool_cost(name, inputs))
        elif type_ == "aws:rds/instance:Instance":
            items.append(database_cost(name, inputs))
    return {
        "currency": "USD",
        "pricesTaken": catalog.prices_taken(),
        "hourlyMin": round(sum((float(i["hourlyMin"]) for i in items), 0.0), 4),
        "hourlyMax": round(sum((float(i["hourlyMax"]) for i in items), 0.0), 4),
        "items": items,
    }


def node_group_cost(name: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """A node group at its minimum size on its cheapest type, and at its maximum on the dearest."""
    types: list[str] = list(inputs.get("instanceTypes") or [])
    prices = [p for p in (catalog.hourly_price(t) for t in types) if p is not None]
    scaling: Mapping[str, Any] = inputs.get("scalingConfig") or {}
    tags: Mapping[str, Any] = inputs.get("tags") or {}
    low, high = int(scaling.get("minSize", 0)), int(scaling.get("maxSize", 0))
    spot = inputs.get("capacityType") == "SPOT"
    discount = float(tags.get(catalog.SPOT_DISCOUNT_TAG, 0)) if spot else 0.0
    if not prices:
        return cost_item(name, 0.0, 0.0, f"{', '.join(types) or 'no instance types'}: no price in the catalog")
    factor = 1.0 - discount
    capacity = "spot" if spot else "on-demand"
    if spot:
        capacity += f", {discount:.0%} expected discount" if discount else ", priced at on-demand (upper bound)"
    detail = f"{low}-{high} x {'/'.join(types)} ({capacity})"
    return cost_item(name, low * min(prices) * factor, high * max(prices) * factor, detail)


def node_pool_cost(name: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """A Karpenter NodePool: nothing at rest (it launches nodes for pending pods only), and at
    most what its limits allow of the type that costs most at that count. Spot is discounted
    only when the pool may not fall back to on-demand."""
    types = node_pools.allowed_types(inputs)
    if not types:
        return cost_item(name, 0.0, 0.0, "no accelerated catalog types in its requirements: not priced")
    capacities = node_pools.capacity_types(inputs)
    annotations = as_mapping(as_mapping(inputs.get("metadata")).get("annotations"))
    discount = float(annotations.get(catalog.SPOT_DISCOUNT_TAG, 0)) if capacities == ["spot"] else 0.0
    worst = {t: node_pools.max_nodes(inputs, t) * (catalog.hourly_price(t) or 0.0) for t in types}
    dearest = max(worst, key=lambda t: worst[t])
    nodes = node_pools.max_nodes(inputs, dearest)
    if nodes == float("inf"):
        return cost_item(name, 0.0, 0.0, f"{'/'.join(types)}: no limits, unbounded (not priced)")
    if capacities == ["spot"]:
        capacity = f"spot, {discount:.0%} expected discount" if discount else "spot, priced at on-demand"
    elif "spot" in capacities:
        capacity = "spot first, on-demand fallback: priced at on-demand"
    else:
        capacity = "on-demand"
    detail = f"Karpenter 0-{nodes:g} x {dearest} at most, of {'/'.join(types)} ({capacity})"
    return cost_item(name, 0.0, worst[dearest] * (1.0 - discount), detail)

"""An hourly cost estimate from the declared resources (us-east-1 on-demand list prices).

Only resources that bill by the hour whatever their traffic are priced: EKS node groups
(from the instance catalog, at their minimum and maximum size), the EKS control plane and
NAT gateways. Spot capacity is priced at the on-demand price unless the node group carries
an expected discount (tag ``mlops-platform/spot-discount``). Usage-priced services (S3,
data transfer, EBS) are left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from components import catalog
from components.plan.monitor import Registration

EKS_CONTROL_PLANE_HOURLY = 0.10
"""EKS cluster under standard Kubernetes version support."""
NAT_GATEWAY_HOURLY = 0.045
"""NAT gateway, per gateway-hour (data processing not included)."""


def cost_item(name: str, hourly_min: float, hourly_max: float, detail: str) -> dict[str, Any]:
    """One line of the estimate."""
    return {
        "name": name,
        "hourlyMin": round(hourly_min, 4),
        "hourlyMax": round(hourly_max, 4),
        "detail": detail,
    }


def estimate(resources: Sequence[Registration]) -> dict[str, Any]:
    """The ``cost`` block of ``plan.json``."""
    items: list[dict[str, Any]] = []
    for resource in resources:
        if resource.type == "aws:eks/cluster:Cluster":
            items.append(
                cost_item(
                    resource.name,
                    EKS_CONTROL_PLANE_HOURLY,
                    EKS_CONTROL_PLANE_HOURLY,
                    "EKS control plane",
                )
            )
        elif resource.type == "aws:ec2/natGateway:NatGateway":
            items.append(cost_item(resource.name, NAT_GATEWAY_HOURLY, NAT_GATEWAY_HOURLY, "NAT gateway"))
        elif resource.type == "aws:eks/nodeGroup:NodeGroup":
            items.append(node_group_cost(resource.name, resource.inputs))
    return {
        "currency": "USD",
        "pricesTaken": catalog.prices_taken(),
        "hourlyMin": round(sum((float(i["hourlyMin"]) for i in items), 0.0), 4),
        "hourlyMax": round(sum((float(i["hourlyMax"]) for i in items), 0.0), 4),
        "items": items,
    }


def node_group_cost(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """A node group at its minimum size on its cheapest type, and at its maximum on the dearest."""
    types: list[str] = list(inputs.get("instanceTypes") or [])
    prices = [p for p in (catalog.hourly_price(t) for t in types) if p is not None]
    scaling: dict[str, Any] = inputs.get("scalingConfig") or {}
    tags: dict[str, Any] = inputs.get("tags") or {}
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

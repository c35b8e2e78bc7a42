"""An hourly cost estimate from the declared resources (us-east-1 on-demand list prices).

Only resources that bill by the hour whatever their traffic are priced: the EKS control
plane and NAT gateways. Usage-priced services (S3, data transfer) are left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from components.plan.monitor import Registration

PRICES_TAKEN = "2026-11-01"
"""When the list prices below were read."""

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
    return {
        "currency": "USD",
        "pricesTaken": PRICES_TAKEN,
        "hourlyMin": round(sum((float(i["hourlyMin"]) for i in items), 0.0), 4),
        "hourlyMax": round(sum((float(i["hourlyMax"]) for i in items), 0.0), 4),
        "items": items,
    }

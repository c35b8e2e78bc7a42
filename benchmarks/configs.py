"""Stack files of any size for the benchmarks: the prod stack with N endpoints and P GPU pools."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
PLATFORM_KEY = "mlops-platform:platform"


def sized_stack(endpoints: int, pools: int, base: Path = ROOT / "Pulumi.prod.yaml") -> dict[str, Any]:
    """``base`` with its GPU pools replaced by ``pools`` g6.xlarge pools and its endpoints by
    ``endpoints`` Triton endpoints spread over them (each with its SLO alerts and autoscaler; a pool
    holds an endpoint at maxReplicas plus its rollout surge)."""
    data = copy.deepcopy(yaml.safe_load(base.read_text()))
    platform = data["config"][PLATFORM_KEY]
    platform["gpuPools"] = [
        {"name": f"pool-{i}", "instanceTypes": ["g6.xlarge"], "capacityType": "ON_DEMAND", "minSize": 0, "maxSize": 5}
        for i in range(pools)
    ]
    platform["endpoints"] = [
        {
            "name": f"endpoint-{i}",
            "runtime": "triton",
            "pool": f"pool-{i % pools}",
            "bucket": "models",
            "modelPrefix": f"models/endpoint-{i}/",
            "modelVersion": "v1",
            "registry": "serving",
            "replicas": 2,
            "maxReplicas": 4,
            "cpu": "3",
            "memory": "12Gi",
            "allowedNamespaces": ["payments"],
        }
        for i in range(endpoints)
    ]
    return data


def write_sized_stack(directory: Path, endpoints: int, pools: int) -> Path:
    """Write :func:`sized_stack` as ``Pulumi.prod.yaml``-shaped file in ``directory``."""
    path = directory / f"Pulumi.prod-e{endpoints}-p{pools}.yaml"
    path.write_text(yaml.safe_dump(sized_stack(endpoints, pools), sort_keys=False))
    return path

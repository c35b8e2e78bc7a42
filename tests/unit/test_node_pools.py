"""Karpenter NodePools as the rules, the cost model and the deploy estimate read them, and the
README's side-by-side comparison of the two provisioners (its figures follow from timings.py and
the cost model)."""

from __future__ import annotations

import math
from typing import Any

import pytest

from components import catalog, cost, node_pools, timings
from components.gpu_node_pool import node_pool_spec, node_taints
from components.plan import deploy
from components.plan.monitor import Registration
from tests.conftest import ROOT

pytestmark = pytest.mark.unit


def pool(types: list[str], capacity: str, max_size: int, discount: float | None = None) -> dict[str, Any]:
    spec = node_pool_spec(
        node_class="x",
        instance_types=types,
        capacity_type=capacity,
        max_size=max_size,
        labels={catalog.POOL_LABEL: "x"},
        taints=node_taints(types, []),
        consolidate_after="10m",
        expire_after="720h",
        termination_grace_period="2h",
    )
    annotations = {catalog.SPOT_DISCOUNT_TAG: str(discount)} if discount is not None else {}
    return {"spec": spec, "metadata": {"name": "x", "annotations": annotations}}


def requiring(*requirements: dict[str, Any], limits: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"spec": {"template": {"spec": {"requirements": list(requirements)}}, "limits": limits or {}}}


@pytest.mark.parametrize(
    ("value", "expected"),
    [("4", 4.0), (8, 8.0), ("500m", 0.5), ("64Gi", 64 * 2**30), ("1k", 1000.0), ("lots", None), ("3Xi", None)],
)
def test_quantities(value: Any, expected: float | None) -> None:
    assert node_pools.quantity(value) == expected


def test_requirements_narrow_the_catalog() -> None:
    family = {"key": "karpenter.k8s.aws/instance-family", "operator": "In", "values": ["g6e"]}
    assert node_pools.allowed_types(requiring(family)) == sorted(
        t for t in catalog.accelerated() if t.startswith("g6e.")
    )
    four = {"key": "karpenter.k8s.aws/instance-gpu-count", "operator": "Gt", "values": ["3"]}
    assert all(catalog.accelerated()[t].accelerators >= 4 for t in node_pools.allowed_types(requiring(family, four)))
    arm = {"key": "kubernetes.io/arch", "operator": "In", "values": ["arm64"]}
    assert node_pools.allowed_types(requiring(arm)) == []  # not narrowed to accelerators: a general pool
    not_big = {"key": "karpenter.k8s.aws/instance-size", "operator": "NotIn", "values": ["48xlarge"]}
    assert "g6e.48xlarge" not in node_pools.allowed_types(requiring(family, not_big))


def test_limits_bound_nodes_of_each_type() -> None:
    props = requiring(
        {"key": "node.kubernetes.io/instance-type", "operator": "In", "values": ["g6.xlarge", "g6.12xlarge"]},
        limits={"nvidia.com/gpu": "8", "cpu": "100"},
    )
    assert node_pools.max_nodes(props, "g6.xlarge") == 8  # 8 GPUs of 1; 100 CPUs of 4 allow 25
    assert node_pools.max_nodes(props, "g6.12xlarge") == 2  # 4 GPUs each
    assert node_pools.max_accelerators(props) == 8
    unbounded = requiring({"key": "node.kubernetes.io/instance-type", "operator": "In", "values": ["g6.xlarge"]})
    assert math.isinf(node_pools.max_nodes(unbounded, "g6.xlarge"))


def test_a_rendered_pool_reads_back_as_its_node_group() -> None:
    props = pool(["g5.xlarge", "g6.xlarge"], "SPOT", 2)
    node_class = {"spec": {"amiSelectorTerms": [{"alias": "al2023@latest"}]}}
    view = node_pools.as_node_group(props, node_class)
    assert view["instanceTypes"] == ["g5.xlarge", "g6.xlarge"]
    assert view["taints"] == [{"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"}]
    assert (view["amiType"], view["capacityType"]) == ("AL2023_x86_64_NVIDIA", "SPOT")
    assert view["scalingConfig"] == {"minSize": 0, "maxSize": 2}
    assert node_pools.node_class_name(props) == "x"


def test_a_pool_costs_nothing_idle_and_its_limits_at_most() -> None:
    spot = cost.node_pool_cost("p", pool(["g5.xlarge", "g6.xlarge"], "SPOT", 2, 0.6))
    assert (spot["hourlyMin"], spot["hourlyMax"]) == (0.0, pytest.approx(2 * 1.006))  # may fall back to on-demand
    spot_only = pool(["g5.xlarge"], "SPOT", 2, 0.6)
    spot_only["spec"]["template"]["spec"]["requirements"][1]["values"] = ["spot"]
    assert cost.node_pool_cost("p", spot_only)["hourlyMax"] == pytest.approx(2 * 1.006 * 0.4)
    unbounded = pool(["g6.xlarge"], "ON_DEMAND", 1)
    unbounded["spec"]["limits"] = {}
    assert cost.node_pool_cost("p", unbounded)["detail"].endswith("no limits, unbounded (not priced)")


def test_the_readme_compares_the_provisioners_with_the_models_figures() -> None:
    readme = (ROOT / "README.md").read_text()
    managed, karpenter = timings.NODE_FROM_ZERO["managed"], timings.NODE_FROM_ZERO["karpenter"]
    row = (
        f"| pending GPU pod to a ready node | about {managed.seconds / 60:g} min (4-8): autoscaler scan, Auto Scaling "
        f"group round trip, boot, driver | about {karpenter.seconds / 60:g} min (3-5): batched 1-10 s, EC2 Fleet "
        "directly, boot, driver |"
    )
    assert row in readme
    ready = [
        (timings.gpu_scheduling_allowance(False, p) + timings.MODEL_LOAD.seconds) / 60 for p in ("managed", "karpenter")
    ]
    assert f"| about {ready[0]:g} min | about {ready[1]:g} min |" in readme
    dev = cost.node_group_cost(
        "g",
        {
            "instanceTypes": ["g5.xlarge", "g6.xlarge"],
            "capacityType": "SPOT",
            "scalingConfig": {"minSize": 0, "maxSize": 2},
            "tags": {catalog.SPOT_DISCOUNT_TAG: "0.6"},
        },
    )
    on_karpenter = cost.node_pool_cost("p", pool(["g5.xlarge", "g6.xlarge"], "SPOT", 2, 0.6))
    assert f"| dev pool, USD/h | 0.00 - {dev['hourlyMax']:.2f} " in readme
    assert f"| 0.00 - {on_karpenter['hourlyMax']:.2f} (spot first" in readme
    large = cost.node_pool_cost("p", pool(["g6e.12xlarge"], "ON_DEMAND", 2))
    assert (
        f"| prod `large-models`, USD/h | 0.00 - {large['hourlyMax']:.2f} | 0.00 - {large['hourlyMax']:.2f} " in readme
    )


def test_the_deploy_estimate_waits_for_a_node_by_its_pools_provisioner() -> None:
    node_pool = Registration("urn:np", node_pools.NODE_POOL, "np", True, None, None, [], pool(["g6.xlarge"], "SPOT", 1))
    limits = {"nvidia.com/gpu": 1, "cpu": "1", "memory": "1Gi"}
    container = {"name": "s", "image": "i", "resources": {"limits": limits, "requests": limits}}
    selector = {catalog.POOL_LABEL: "x"}
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "s"},
        "spec": {"template": {"spec": {"nodeSelector": selector, "containers": [container]}}},
    }
    server = Registration("urn:d", "kubernetes:apps/v1:Deployment", "d", True, None, None, [], deployment)
    karpenter = deploy.karpenter_labels([node_pool, server])
    assert deploy.provisioner_of(deployment["spec"]["template"]["spec"], karpenter) == "karpenter"
    assert deploy.provisioner_of({"nodeSelector": {catalog.POOL_LABEL: "other"}}, karpenter) == "managed"
    on_karpenter, on_managed = deploy.duration_seconds(server, karpenter), deploy.duration_seconds(server)
    assert (
        on_managed - on_karpenter == timings.GPU_NODE_FROM_ZERO.seconds - timings.KARPENTER_GPU_NODE_FROM_ZERO.seconds
    )

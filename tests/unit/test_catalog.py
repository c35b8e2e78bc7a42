"""The instance catalog and the pool rules derived from it: table tests, no mocks."""

from __future__ import annotations

import pytest

from components import catalog
from components.catalog import NodeOs

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("types", "os", "ami"),
    [
        (["g4dn.xlarge"], NodeOs.AL2023, "AL2023_x86_64_NVIDIA"),
        (["g5.xlarge", "g6.xlarge"], NodeOs.AL2023, "AL2023_x86_64_NVIDIA"),
        (["g6e.12xlarge"], NodeOs.AL2023, "AL2023_x86_64_NVIDIA"),
        (["gr6.4xlarge"], NodeOs.AL2023, "AL2023_x86_64_NVIDIA"),
        (["p4d.24xlarge"], NodeOs.AL2023, "AL2023_x86_64_NVIDIA"),
        (["p5.48xlarge"], NodeOs.AL2023, "AL2023_x86_64_NVIDIA"),
        (["g5.xlarge"], NodeOs.BOTTLEROCKET, "BOTTLEROCKET_x86_64_NVIDIA"),
        (["g5g.xlarge"], NodeOs.AL2023, "AL2023_ARM_64_NVIDIA"),
        (["g5g.2xlarge"], NodeOs.BOTTLEROCKET, "BOTTLEROCKET_ARM_64_NVIDIA"),
        (["inf2.xlarge"], NodeOs.AL2023, "AL2023_x86_64_NEURON"),
        (["trn1.2xlarge"], NodeOs.AL2023, "AL2023_x86_64_NEURON"),
    ],
)
def test_ami_type_follows_the_instance_types(types: list[str], os: NodeOs, ami: str) -> None:
    assert catalog.pool_problems(types, os) == []
    assert catalog.ami_type(types, os) == ami


@pytest.mark.parametrize(
    ("types", "device_plugin", "taint"),
    [
        (["g5.xlarge"], True, "nvidia.com/gpu"),
        (["inf2.xlarge"], False, "aws.amazon.com/neuron"),
    ],
)
def test_taint_and_device_plugin(types: list[str], device_plugin: bool, taint: str) -> None:
    assert catalog.needs_nvidia_device_plugin(types, NodeOs.AL2023) is device_plugin
    assert catalog.needs_nvidia_device_plugin(["g5.xlarge"], NodeOs.BOTTLEROCKET) is False
    assert catalog.accelerator_taint(types) == catalog.Taint(taint, "true", "NO_SCHEDULE")
    assert catalog.accelerator_taint(types).kubernetes_effect == "NoSchedule"


@pytest.mark.parametrize(
    ("instance_type", "fragment"),
    [
        ("g5.xlarg", "'g5.xlarg' does not exist; sizes of g5: g5.12xlarge"),
        ("m5.large", "'m5.large' is not an accelerated instance type"),
        ("c7i.4xlarge", "not an accelerated instance type"),
        ("g3.4xlarge", "not in the GPU instance catalog"),
    ],
)
def test_instance_problems_name_the_type(instance_type: str, fragment: str) -> None:
    problem = catalog.instance_problems(instance_type)
    assert problem is not None and fragment in problem


@pytest.mark.parametrize(
    ("types", "os", "fragment"),
    [
        (["g5.xlarge", "g5g.xlarge"], NodeOs.AL2023, "mixes architectures arm64 and x86_64"),
        (["g5.xlarge", "inf2.xlarge"], NodeOs.AL2023, "mixes accelerators neuron and nvidia"),
        (["g5.xlarge", "g5.12xlarge"], NodeOs.AL2023, "mixes accelerator counts [1, 4]"),
        (["inf2.xlarge"], NodeOs.BOTTLEROCKET, "Neuron instances need os al2023"),
    ],
)
def test_pool_problems(types: list[str], os: NodeOs, fragment: str) -> None:
    assert any(fragment in p for p in catalog.pool_problems(types, os))


def test_labels_name_pool_accelerator_and_model() -> None:
    assert catalog.pool_labels("gpu", ["g5.xlarge", "g6.xlarge"], NodeOs.AL2023) == {
        "mlops-platform/pool": "gpu",
        "mlops-platform/accelerator": "nvidia",
        "mlops-platform/accelerator-model": "A10G-L4",
        "mlops-platform/nvidia-device-plugin": "true",
    }
    assert "mlops-platform/nvidia-device-plugin" not in catalog.pool_labels("gpu", ["g5.xlarge"], NodeOs.BOTTLEROCKET)


def test_catalog_entries_are_consistent() -> None:
    specs = catalog.accelerated()
    assert len(specs) >= 40
    for name, spec in specs.items():
        assert spec.instance_type == name
        assert spec.accelerators >= 1 and spec.vcpus >= 4 and spec.memory_gib >= 8
        assert spec.architecture in {"x86_64", "arm64"}
        assert 0.3 < spec.on_demand_hourly < 100
        # Within a family, price grows with size (same accelerator model).
        family = [s for s in specs.values() if s.instance_type.split(".")[0] == name.split(".")[0]]
        bigger = [s for s in family if s.vcpus > spec.vcpus and s.accelerators >= spec.accelerators]
        assert all(s.on_demand_hourly >= spec.on_demand_hourly for s in bigger), name
    assert catalog.prices_taken().startswith("2025-06-01 us-east-1")


@pytest.mark.parametrize(
    ("instance_type", "capacity", "usage"),
    [
        ("g5.xlarge", "SPOT", "G/Spot"),
        ("gr6.4xlarge", "ON_DEMAND", "G/OnDemand"),
        ("g5g.xlarge", "ON_DEMAND", "G/OnDemand"),
        ("p5.48xlarge", "ON_DEMAND", "P/OnDemand"),
        ("inf2.xlarge", "ON_DEMAND", "Inf/OnDemand"),
        ("trn1.2xlarge", "SPOT", "Trn/Spot"),
    ],
)
def test_usage_class(instance_type: str, capacity: str, usage: str) -> None:
    assert catalog.usage_class(instance_type, capacity) == usage


@pytest.mark.parametrize(
    ("cpu", "memory", "millis", "mib"),
    [
        ("2", "8Gi", 2000, 8192),
        ("500m", "512Mi", 500, 512),
        ("1", "1G", 1000, 10**9 / 2**20),
        ("x", "8 Gi", None, None),
    ],
)
def test_kubernetes_quantities(cpu: str, memory: str, millis: int | None, mib: float | None) -> None:
    assert (catalog.millicores(cpu), catalog.mebibytes(memory)) == (millis, mib)


def test_a_pod_must_fit_the_smallest_node_of_its_pool() -> None:
    assert catalog.node_fit_problems(["g5.xlarge", "g5.2xlarge"], "3500m", "13Gi") == []
    assert catalog.node_fit_problems(["g5.xlarge", "g5.2xlarge"], "4", "14Gi") == [
        ("cpu", "must leave 0.5 CPU for the node: at most 3.5 on g5.xlarge (got 4)"),
        ("memory", "must fit 85% of g5.xlarge's 16Gi (got 14Gi)"),
    ]
    assert catalog.node_fit_problems(["not-a-type"], "400", "1Ti") == []  # the type's own check names it

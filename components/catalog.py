"""The instance catalog (``components/data/instance_catalog.json``) and what follows from it:
which EKS AMI type a GPU pool needs, its taint and labels, and whether its instance types can
share one pool. Pure functions; tests check every entry against botocore's EC2 and EKS models.
"""

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any, cast


class Accelerator(StrEnum):
    """Accelerator family of an instance type."""

    NVIDIA = "nvidia"
    NEURON = "neuron"


class NodeOs(StrEnum):
    """Node operating system family of a pool."""

    AL2023 = "al2023"
    BOTTLEROCKET = "bottlerocket"


@dataclass(frozen=True)
class InstanceSpec:
    """One accelerated instance type."""

    instance_type: str
    vcpus: int
    memory_gib: int
    accelerators: int
    """GPUs (NVIDIA) or Neuron devices per instance."""
    accelerator_model: str
    accelerator_memory_gib: int
    architecture: str
    """``x86_64`` or ``arm64``."""
    accelerator: Accelerator
    on_demand_hourly: float
    """us-east-1 on-demand list price, USD per hour (see :func:`prices_taken`)."""


@dataclass(frozen=True)
class Taint:
    """A node taint in the EKS API spelling (effect ``NO_SCHEDULE``)."""

    key: str
    """Taint key, e.g. ``nvidia.com/gpu``."""
    value: str
    """Taint value (may be empty)."""
    effect: str
    """``NO_SCHEDULE``, ``NO_EXECUTE`` or ``PREFER_NO_SCHEDULE`` (the EKS API's spelling)."""

    @property
    def kubernetes_effect(self) -> str:
        """The effect as Kubernetes spells it (``NoSchedule``)."""
        return "".join(part.capitalize() for part in self.effect.split("_"))


DEVICE_RESOURCE = {Accelerator.NVIDIA: "nvidia.com/gpu", Accelerator.NEURON: "aws.amazon.com/neuron"}
"""Extended resource each accelerator's device plugin advertises (pods request it)."""

POOL_LABEL = "mlops-platform/pool"
ACCELERATOR_LABEL = "mlops-platform/accelerator"
MODEL_LABEL = "mlops-platform/accelerator-model"
SPOT_DISCOUNT_TAG = "mlops-platform/spot-discount"
"""Node group tag with the expected spot discount (0-0.9) that the cost estimate applies."""
DEVICE_PLUGIN_LABEL = "mlops-platform/nvidia-device-plugin"
"""Set to ``"true"`` on nodes whose AMI lacks the NVIDIA device plugin (it is installed there)."""


@cache
def _data() -> dict[str, Any]:
    text = resources.files("components").joinpath("data/instance_catalog.json").read_text()
    return cast(dict[str, Any], json.loads(text))


@cache
def accelerated() -> dict[str, InstanceSpec]:
    """Every accelerated instance type in the catalog."""
    return {
        name: InstanceSpec(
            instance_type=name,
            vcpus=row["vcpus"],
            memory_gib=row["memoryGib"],
            accelerators=row["accelerators"],
            accelerator_model=row["acceleratorModel"],
            accelerator_memory_gib=row["acceleratorMemoryGib"],
            architecture=row["architecture"],
            accelerator=Accelerator(row["accelerator"]),
            on_demand_hourly=row["onDemandHourly"],
        )
        for name, row in _data()["accelerated"].items()
    }


def system_hourly() -> dict[str, float]:
    """On-demand prices of the general-purpose types the system pool may use."""
    return {name: row["onDemandHourly"] for name, row in _data()["system"].items()}


def prices_taken() -> str:
    """When and where the catalog's prices were read, e.g. ``2025-06-01 us-east-1 on-demand``."""
    prices = _data()["prices"]
    return f"{prices['taken']} {prices['region']} {prices['term']}"


def hourly_price(instance_type: str) -> float | None:
    """On-demand price of any catalog instance type, accelerated or system."""
    spec = accelerated().get(instance_type)
    return spec.on_demand_hourly if spec is not None else system_hourly().get(instance_type)


def _family(instance_type: str) -> str:
    return instance_type.split(".", 1)[0]


def instance_problems(instance_type: str) -> str | None:
    """Why ``instance_type`` cannot be in a GPU pool, or None when it can."""
    if instance_type in accelerated():
        return None
    families = {_family(name) for name in accelerated()}
    if _family(instance_type) in families:
        sizes = sorted(n for n in accelerated() if _family(n) == _family(instance_type))
        return f"{instance_type!r} does not exist; sizes of {_family(instance_type)}: {', '.join(sizes)}"
    if re.match(r"^(p\d|g\d|inf\d|trn\d|dl\d)", instance_type):
        return f"{instance_type!r} is not in the GPU instance catalog (components/data/instance_catalog.json)"
    return (
        f"{instance_type!r} is not an accelerated instance type: GPU pools need NVIDIA GPU "
        f"(g4dn, g5, g5g, g6, g6e, gr6, p4d, p5) or Neuron (inf2, trn1) instances"
    )


def pool_problems(instance_types: list[str], os: NodeOs) -> list[str]:
    """Why these instance types cannot share one pool (a pool has one AMI and one node shape)."""
    specs = [accelerated()[t] for t in instance_types if t in accelerated()]
    if len(specs) != len(instance_types) or not specs:
        return []  # unknown types are reported one by one by instance_problems
    problems: list[str] = []
    architectures = sorted({s.architecture for s in specs})
    if len(architectures) > 1:
        problems.append(f"mixes architectures {' and '.join(architectures)}: one pool has one AMI")
    kinds = sorted({s.accelerator.value for s in specs})
    if len(kinds) > 1:
        problems.append(f"mixes accelerators {' and '.join(kinds)}: one pool has one AMI and device plugin")
    counts = sorted({s.accelerators for s in specs})
    if len(counts) > 1:
        problems.append(
            f"mixes accelerator counts {counts}: the autoscaler scales a pool from zero with one node shape"
        )
    if os is NodeOs.BOTTLEROCKET and specs[0].accelerator is Accelerator.NEURON:
        problems.append("Neuron instances need os al2023 (there is no Bottlerocket Neuron AMI type)")
    return problems


def ami_type(instance_types: list[str], os: NodeOs) -> str:
    """The EKS AMI type for a valid pool: NVIDIA x86/ARM (AL2023 or Bottlerocket) or Neuron."""
    spec = accelerated()[instance_types[0]]
    arch = "x86_64" if spec.architecture == "x86_64" else "ARM_64"
    if spec.accelerator is Accelerator.NEURON:
        return "AL2023_x86_64_NEURON"
    return f"{'BOTTLEROCKET' if os is NodeOs.BOTTLEROCKET else 'AL2023'}_{arch}_NVIDIA"


def needs_nvidia_device_plugin(instance_types: list[str], os: NodeOs) -> bool:
    """AL2023 NVIDIA AMIs ship the driver but not the device plugin; Bottlerocket ships both."""
    return accelerated()[instance_types[0]].accelerator is Accelerator.NVIDIA and os is NodeOs.AL2023


def accelerator_taint(instance_types: list[str]) -> Taint:
    """The taint that keeps non-accelerated pods off the pool's nodes."""
    return Taint(DEVICE_RESOURCE[accelerated()[instance_types[0]].accelerator], "true", "NO_SCHEDULE")


def pool_labels(pool: str, instance_types: list[str], os: NodeOs) -> dict[str, str]:
    """Node labels every pool gets: pool name, accelerator kind and model."""
    spec = accelerated()[instance_types[0]]
    models = sorted({accelerated()[t].accelerator_model for t in instance_types})
    labels = {
        POOL_LABEL: pool,
        ACCELERATOR_LABEL: spec.accelerator.value,
        MODEL_LABEL: "-".join(models),
    }
    if needs_nvidia_device_plugin(instance_types, os):
        labels[DEVICE_PLUGIN_LABEL] = "true"
    return labels


def usage_class(instance_type: str, capacity_type: str) -> str:
    """EC2 vCPU usage class (``AWS/Usage`` metric dimension), e.g. ``G/OnDemand``, ``P/Spot``."""
    family = _family(instance_type)
    letters = re.match(r"^[a-z]+", family)
    prefix = letters.group(0) if letters else family
    kind = {"g": "G", "gr": "G", "p": "P", "inf": "Inf", "trn": "Trn"}.get(prefix, "Standard")
    return f"{kind}/{'Spot' if capacity_type == 'SPOT' else 'OnDemand'}"


def accelerators_per_node(instance_types: list[str]) -> int:
    """Accelerators every node of a valid pool has (equal across its types)."""
    return accelerated()[instance_types[0]].accelerators


NODE_RESERVED_MILLICORES = 500
"""CPU a node keeps for the kubelet, the container runtime and the DaemonSets."""
NODE_ALLOCATABLE_MEMORY = 0.85
"""Share of a node's memory a pod may request (the rest: kubelet, system, eviction threshold)."""
_CPU = re.compile(r"([0-9]+)(m?)")
_MEMORY = re.compile(r"([0-9]+)(Ki|Mi|Gi|Ti|k|M|G|T)?")
_MEMORY_MIB = {
    **{None: 1 / 2**20, "Ki": 1 / 1024, "Mi": 1, "Gi": 1024, "Ti": 2**20},
    **{"k": 1000 / 2**20, "M": 10**6 / 2**20, "G": 10**9 / 2**20, "T": 10**12 / 2**20},
}


def millicores(cpu: object) -> int | None:
    """A CPU quantity (``2``, ``500m``) in millicores, or None when it is no such quantity."""
    match = _CPU.fullmatch(cpu) if isinstance(cpu, str) else None
    if match is None:
        return None
    return int(match.group(1)) * (1 if match.group(2) else 1000)


def mebibytes(memory: object) -> float | None:
    """A memory quantity (``8Gi``, ``512Mi``, ``1G``) in MiB, or None when it is no such quantity."""
    match = _MEMORY.fullmatch(memory) if isinstance(memory, str) else None
    if match is None:
        return None
    return int(match.group(1)) * _MEMORY_MIB[match.group(2)]


def node_fit_problems(instance_types: Sequence[str], cpu: str, memory: str) -> list[tuple[str, str]]:
    """``(field, problem)`` when a pod requesting ``cpu`` and ``memory`` does not fit the
    smallest node of the pool: it must leave :data:`NODE_RESERVED_MILLICORES` and request at
    most :data:`NODE_ALLOCATABLE_MEMORY` of the memory, or it stays Pending. Pools with a type
    outside the catalog are not judged (their own check names the type)."""
    specs = [accelerated()[t] for t in instance_types if t in accelerated()]
    if not specs or len(specs) != len(instance_types):
        return []
    problems: list[tuple[str, str]] = []
    smallest_cpu = min(specs, key=lambda s: s.vcpus)
    wanted_cpu = millicores(cpu)
    if wanted_cpu is None:
        problems.append(("cpu", f"must be a Kubernetes CPU quantity such as 2 or 500m (got {cpu!r})"))
    elif wanted_cpu > smallest_cpu.vcpus * 1000 - NODE_RESERVED_MILLICORES:
        problems.append(
            (
                "cpu",
                f"must leave 0.5 CPU for the node: at most {smallest_cpu.vcpus - 0.5:g} on "
                f"{smallest_cpu.instance_type} (got {cpu})",
            )
        )
    smallest_memory = min(specs, key=lambda s: s.memory_gib)
    wanted_memory = mebibytes(memory)
    if wanted_memory is None:
        problems.append(("memory", f"must be a Kubernetes memory quantity such as 8Gi or 512Mi (got {memory!r})"))
    elif wanted_memory > smallest_memory.memory_gib * 1024 * NODE_ALLOCATABLE_MEMORY:
        problems.append(
            (
                "memory",
                f"must fit 85% of {smallest_memory.instance_type}'s {smallest_memory.memory_gib}Gi (got {memory})",
            )
        )
    return problems

"""Reading Karpenter ``NodePool`` and ``EC2NodeClass`` inputs as the policies and the cost model
see them: which catalog instance types a pool's requirements allow, its capacity types,
limits, taints and labels, and the node-group-like view the GPU rules share with managed node
groups. Pure functions over plain (or proxied) mappings; no Pulumi import."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from components import catalog
from components.catalog import NodeOs
from components.values import as_mapping, items

NODE_POOL = "kubernetes:karpenter.sh/v1:NodePool"
NODE_CLASS = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"


def _category(spec: catalog.InstanceSpec) -> str:
    return re.sub(r"[0-9].*$", "", spec.instance_type)


def _gpus(spec: catalog.InstanceSpec) -> str:
    return str(spec.accelerators) if spec.accelerator is catalog.Accelerator.NVIDIA else "0"


def _neuron_devices(spec: catalog.InstanceSpec) -> str:
    return str(spec.accelerators) if spec.accelerator is catalog.Accelerator.NEURON else "0"


def _arch(spec: catalog.InstanceSpec) -> str:
    return "amd64" if spec.architecture == "x86_64" else "arm64"


SELECTING_KEYS: dict[str, Callable[[catalog.InstanceSpec], str]] = {
    "node.kubernetes.io/instance-type": lambda spec: spec.instance_type,
    "karpenter.k8s.aws/instance-family": lambda spec: spec.instance_type.split(".", 1)[0],
    "karpenter.k8s.aws/instance-size": lambda spec: spec.instance_type.split(".", 1)[1],
    "karpenter.k8s.aws/instance-category": _category,
    "karpenter.k8s.aws/instance-gpu-count": _gpus,
    "karpenter.k8s.aws/instance-accelerator-count": _neuron_devices,
    "kubernetes.io/arch": _arch,
}
"""Requirement keys that narrow a pool to catalog instance types, and each type's value for it."""
ACCELERATOR_KEYS = frozenset(SELECTING_KEYS) - {"kubernetes.io/arch"}
"""A pool whose requirements name none of these may launch any type: not a GPU pool of ours."""
_QUANTITY = re.compile(r"^([0-9.]+)([a-zA-Z]*)$")
_SUFFIX = {"": 1.0, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30}
_SUFFIX["Ti"] = 2**40


def quantity(value: Any) -> float | None:
    """A Kubernetes quantity (``4``, ``500m``, ``64Gi``) as a number, or None when unreadable."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    match = _QUANTITY.match(str(value))
    if match is None or match.group(2) not in _SUFFIX:
        return None
    try:
        return float(match.group(1)) * _SUFFIX[match.group(2)]
    except ValueError:
        return None


def template_spec(props: Mapping[str, Any]) -> Mapping[str, Any]:
    """``spec.template.spec`` of a NodePool."""
    return as_mapping(as_mapping(as_mapping(props.get("spec")).get("template")).get("spec"))


def requirements(props: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The NodePool's requirements."""
    return [as_mapping(r) for r in items(template_spec(props).get("requirements"))]


def _allows(requirement: Mapping[str, Any], value: str) -> bool:
    operator, values = requirement.get("operator"), [str(v) for v in items(requirement.get("values"))]
    if operator == "In":
        return value in values
    if operator == "NotIn":
        return value not in values
    if operator in ("Gt", "Lt") and values:
        try:
            number, bound = float(value), float(values[0])
        except ValueError:
            return False
        return number > bound if operator == "Gt" else number < bound
    return operator in ("Exists", None) or (operator == "DoesNotExist" and not value)


def allowed_types(props: Mapping[str, Any]) -> list[str]:
    """Catalog accelerated types the NodePool may launch; empty when its requirements do not
    narrow it to accelerated types (a general-purpose pool)."""
    reqs = [r for r in requirements(props) if r.get("key") in SELECTING_KEYS]
    if not any(r.get("key") in ACCELERATOR_KEYS for r in reqs):
        return []
    return sorted(
        name
        for name, spec in catalog.accelerated().items()
        if all(_allows(r, SELECTING_KEYS[str(r.get("key"))](spec)) for r in reqs)
    )


def capacity_types(props: Mapping[str, Any]) -> list[str]:
    """Karpenter capacity types allowed (Karpenter launches on-demand when none is required)."""
    for requirement in requirements(props):
        if requirement.get("key") == "karpenter.sh/capacity-type" and requirement.get("operator") == "In":
            return [str(v) for v in items(requirement.get("values"))]
    return ["on-demand"]


def limits(props: Mapping[str, Any]) -> dict[str, float]:
    """``spec.limits`` as numbers (memory in bytes); unreadable entries are left out."""
    raw = as_mapping(as_mapping(props.get("spec")).get("limits"))
    parsed = {str(key): quantity(value) for key, value in raw.items()}
    return {key: value for key, value in parsed.items() if value is not None}


def max_nodes(props: Mapping[str, Any], instance_type: str) -> float:
    """Nodes of ``instance_type`` the pool's limits allow (``inf`` when nothing bounds them)."""
    spec = catalog.accelerated()[instance_type]
    bound = limits(props)
    per_node = {
        "nodes": 1.0,
        "cpu": float(spec.vcpus),
        "memory": float(spec.memory_gib) * 2**30,
        catalog.DEVICE_RESOURCE[spec.accelerator]: float(spec.accelerators),
    }
    counts = [math.floor(bound[key] / size) for key, size in per_node.items() if key in bound and size > 0]
    return float(min(counts)) if counts else math.inf


def eks_effect(effect: Any) -> str:
    """A Kubernetes taint effect in the EKS API spelling (``NoSchedule`` -> ``NO_SCHEDULE``)."""
    return re.sub(r"(?<=[a-z])(?=[A-Z])", "_", str(effect)).upper()


def as_node_group(props: Mapping[str, Any], node_class: Mapping[str, Any] | None) -> dict[str, Any]:
    """A NodePool as the node-group props the GPU rules read: ``labels``, ``taints`` (EKS
    spelling), ``instanceTypes``, ``amiType`` (from its EC2NodeClass's alias), ``capacityType``
    and ``scalingConfig`` (0 to the nodes its limits allow of its smallest type)."""
    spec = template_spec(props)
    types = allowed_types(props)
    labels = as_mapping(
        as_mapping(as_mapping(as_mapping(props.get("spec")).get("template")).get("metadata")).get("labels")
    )
    taints = [
        {"key": t.get("key"), "value": t.get("value", ""), "effect": eks_effect(t.get("effect"))}
        for t in map(as_mapping, items(spec.get("taints")))
    ]
    family = ami_family(node_class or {})
    ami_type = ""
    if types and family in (NodeOs.AL2023.value, NodeOs.BOTTLEROCKET.value):
        ami_type = catalog.ami_type(types, NodeOs(family))
    nodes = max((max_nodes(props, t) for t in types), default=0.0)
    return {
        "labels": dict(labels),
        "taints": taints,
        "instanceTypes": types,
        "amiType": ami_type,
        "capacityType": "SPOT" if "spot" in capacity_types(props) else "ON_DEMAND",
        "scalingConfig": {"minSize": 0, "maxSize": nodes},
    }


def ami_aliases(node_class: Mapping[str, Any]) -> list[str]:
    """The ``alias`` of each of the EC2NodeClass's AMI selector terms."""
    spec = as_mapping(node_class.get("spec"))
    terms = [as_mapping(t) for t in items(spec.get("amiSelectorTerms"))]
    return [str(t["alias"]) for t in terms if isinstance(t.get("alias"), str)]


def ami_family(node_class: Mapping[str, Any]) -> str:
    """The EKS-optimized family the EC2NodeClass launches (``al2023``), or '' when not by alias."""
    aliases = ami_aliases(node_class)
    return aliases[0].partition("@")[0].lower() if aliases else ""


def node_class_name(props: Mapping[str, Any]) -> str:
    """The EC2NodeClass a NodePool's nodes use."""
    return str(as_mapping(template_spec(props).get("nodeClassRef")).get("name", ""))


def max_accelerators(props: Mapping[str, Any]) -> float:
    """Accelerators the NodePool may run at most (``inf`` when its limits do not bound it)."""
    types = allowed_types(props)
    return max((max_nodes(props, t) * catalog.accelerated()[t].accelerators for t in types), default=0.0)

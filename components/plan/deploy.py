"""The deploy estimate of ``plan.json``: what a from-scratch ``pulumi up`` creates in which
order, and how long its longest chain takes, from :mod:`components.timings`.

A resource waits for its dependencies and its provider (the Kubernetes provider waits for
the cluster). ``waves`` groups custom resources by dependency depth (wave 0 needs nothing);
``criticalPath`` is the chain with the largest sum of typical durations. Components take no
time of their own. An assumption table, not a promise.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from components import node_pools, timings
from components.plan.monitor import Registration
from components.policies.readiness import awaited, copies_model, device_requests, workload_pod
from components.values import as_mapping


def karpenter_labels(resources: Sequence[Registration]) -> list[Mapping[str, Any]]:
    """The node labels of each Karpenter NodePool in the plan."""
    return [
        as_mapping(as_mapping(as_mapping(r.inputs.get("spec")).get("template")).get("metadata")).get("labels") or {}
        for r in resources
        if r.type == node_pools.NODE_POOL
    ]


def provisioner_of(pod: Mapping[str, Any], karpenter: Sequence[Mapping[str, Any]]) -> str:
    """``karpenter`` when a NodePool's nodes carry every label the pod selects, else ``managed``."""
    selector = as_mapping(pod.get("nodeSelector"))
    fits = any(selector and all(labels.get(k) == v for k, v in selector.items()) for labels in karpenter)
    return "karpenter" if fits else "managed"


def duration_seconds(resource: Registration, karpenter: Sequence[Mapping[str, Any]] = ()) -> float:
    """Typical creation time of one resource (an awaited GPU workload waits for its node, by its
    pool's provisioner (``karpenter``: the NodePools' labels), image pull, model copy and model load;
    one at zero replicas does not wait; a Helm release takes its chart's typical install)."""
    if resource.type == "kubernetes:helm.sh/v3:Release":
        return timings.helm_release(str(resource.inputs.get("chart", ""))).seconds
    at_zero = as_mapping(resource.inputs.get("spec")).get("replicas") == 0
    if awaited(resource.type, resource.inputs) and not at_zero:
        pod = workload_pod(resource.type, resource.inputs) or {}
        if device_requests(pod):
            allowance = timings.gpu_scheduling_allowance(copies_model(pod), provisioner_of(pod, karpenter))
            return allowance + timings.MODEL_LOAD.seconds
        return timings.WORKLOAD_READY.seconds
    return timings.BY_TYPE.get(resource.type, timings.DEFAULT).seconds


def _waits_for(resource: Registration, custom: Mapping[str, Registration]) -> list[str]:
    upstream = [*resource.dependencies, *([resource.provider] if resource.provider else [])]
    return sorted({urn for urn in upstream if urn in custom and urn != resource.urn})


def estimate(resources: Sequence[Registration]) -> dict[str, Any]:
    """The ``deploy`` block: ``criticalPathMinutes``, ``waves`` and ``criticalPath``."""
    custom = {r.urn: r for r in resources if r.custom}
    karpenter = karpenter_labels(resources)
    depth: dict[str, int] = {}
    finish: dict[str, float] = {}
    via: dict[str, str | None] = {}

    def visit(urn: str, active: frozenset[str]) -> None:
        if urn in depth:
            return
        upstream = [u for u in _waits_for(custom[urn], custom) if u not in active]
        for other in upstream:
            visit(other, active | {urn})
        depth[urn] = 1 + max((depth[u] for u in upstream), default=-1)
        slowest = max(upstream, key=lambda u: (finish[u], u), default=None)
        via[urn] = slowest
        finish[urn] = (finish[slowest] if slowest else 0.0) + duration_seconds(custom[urn], karpenter)

    for urn in custom:
        visit(urn, frozenset())
    waves: list[list[str]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    for urn in custom:
        waves[depth[urn]].append(urn)
    path: list[str] = []
    cursor = max(finish, key=lambda u: (finish[u], u), default=None)
    while cursor is not None:
        path.append(cursor)
        cursor = via[cursor]
    return {
        "criticalPathMinutes": round(max(finish.values(), default=0.0) / 60, 1),
        "waves": [sorted(wave) for wave in waves],
        "criticalPath": list(reversed(path)),
    }

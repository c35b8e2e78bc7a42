"""The pod hardening every platform workload shares: a fixed non-root UID, a locked-down
container security context and, for replicated workloads, a spread over zones."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

USER_ID = 10001
"""Fixed non-root UID/GID the platform's containers run as (images set the same ``USER``)."""


def hardened(container: dict[str, Any]) -> dict[str, Any]:
    """A container with the hardened security context: non-root, read-only root filesystem, no
    privilege escalation, no capabilities, seccomp RuntimeDefault."""
    return {
        **container,
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": USER_ID,
            "runAsGroup": USER_ID,
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        },
    }


def pod_security_context() -> dict[str, Any]:
    """The pod-level context: the same UID, and its group owning mounted volumes."""
    return {
        "runAsNonRoot": True,
        "runAsUser": USER_ID,
        "runAsGroup": USER_ID,
        "fsGroup": USER_ID,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def zone_spread(selector: Mapping[str, str]) -> list[dict[str, Any]]:
    """Topology spread of the selected pods over zones (best effort: never blocks scheduling)."""
    return [
        {
            "maxSkew": 1,
            "topologyKey": "topology.kubernetes.io/zone",
            "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": {"matchLabels": dict(selector)},
        }
    ]

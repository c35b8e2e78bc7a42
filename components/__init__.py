"""mlops-platform components: secure-by-default Pulumi building blocks for ML platforms on AWS.

``from components import ArtifactBucket`` works, but lazily: each component's module (and
the provider SDK it needs) is imported on first use, so importing the package stays cheap.
Besides the components and their arguments, the package exports what a team's program needs to
wire them (:data:`HELPERS`): ``PlatformStack`` and the platform contract, ``placement``,
``Taint``, ``PoolPlacement`` and ``LoadBalancing``. ``components.plan`` holds the offline planner behind ``mlops plan``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from components.artifact_bucket import Access, ArtifactBucket, ArtifactBucketArgs
    from components.catalog import Taint
    from components.cluster import Cluster, ClusterArgs
    from components.container_registry import ContainerRegistry, ContainerRegistryArgs
    from components.gpu_node_pool import GpuNodePool, GpuNodePoolArgs, PoolTaint
    from components.karpenter import Karpenter, KarpenterArgs
    from components.load_balancer_controller import LoadBalancerController, LoadBalancerControllerArgs, LoadBalancing
    from components.model_registry import ModelRegistry, ModelRegistryArgs
    from components.model_serving_endpoint import (
        CanaryAnalysis,
        ModelServingEndpoint,
        ModelServingEndpointArgs,
        PoolPlacement,
        RegisteredModel,
        placement,
    )
    from components.monitoring_stack import MonitoringStack, MonitoringStackArgs
    from components.network import Network, NetworkArgs
    from components.nvidia_device_plugin import NvidiaDevicePlugin, NvidiaDevicePluginArgs
    from components.platform_stack import PlatformContract, PlatformStack, export_platform, platform_contract
    from components.state_backend import StateBackend, StateBackendArgs
    from components.team import Team, TeamArgs

HELPERS = {
    "Access": "artifact_bucket",
    "CanaryAnalysis": "model_serving_endpoint",
    "LoadBalancing": "load_balancer_controller",
    "PlatformContract": "platform_stack",
    "PlatformStack": "platform_stack",
    "PoolPlacement": "model_serving_endpoint",
    "PoolTaint": "gpu_node_pool",
    "RegisteredModel": "model_serving_endpoint",
    "Taint": "catalog",
    "export_platform": "platform_stack",
    "placement": "model_serving_endpoint",
    "platform_contract": "platform_stack",
}
"""What a team's program wires components with, by module: not components themselves."""

_MODULES = {
    "ArtifactBucket": "artifact_bucket",
    "ArtifactBucketArgs": "artifact_bucket",
    "Cluster": "cluster",
    "ClusterArgs": "cluster",
    "ContainerRegistry": "container_registry",
    "ContainerRegistryArgs": "container_registry",
    "GpuNodePool": "gpu_node_pool",
    "GpuNodePoolArgs": "gpu_node_pool",
    "Karpenter": "karpenter",
    "KarpenterArgs": "karpenter",
    "LoadBalancerController": "load_balancer_controller",
    "LoadBalancerControllerArgs": "load_balancer_controller",
    "ModelRegistry": "model_registry",
    "ModelRegistryArgs": "model_registry",
    "ModelServingEndpoint": "model_serving_endpoint",
    "ModelServingEndpointArgs": "model_serving_endpoint",
    "MonitoringStack": "monitoring_stack",
    "MonitoringStackArgs": "monitoring_stack",
    "Network": "network",
    "NetworkArgs": "network",
    "NvidiaDevicePlugin": "nvidia_device_plugin",
    "NvidiaDevicePluginArgs": "nvidia_device_plugin",
    "StateBackend": "state_backend",
    "StateBackendArgs": "state_backend",
    "Team": "team",
    "TeamArgs": "team",
    **HELPERS,
}

__all__ = [
    "Access",
    "ArtifactBucket",
    "ArtifactBucketArgs",
    "CanaryAnalysis",
    "Cluster",
    "ClusterArgs",
    "ContainerRegistry",
    "ContainerRegistryArgs",
    "GpuNodePool",
    "GpuNodePoolArgs",
    "Karpenter",
    "KarpenterArgs",
    "LoadBalancerController",
    "LoadBalancerControllerArgs",
    "LoadBalancing",
    "ModelRegistry",
    "ModelRegistryArgs",
    "ModelServingEndpoint",
    "ModelServingEndpointArgs",
    "MonitoringStack",
    "MonitoringStackArgs",
    "Network",
    "NetworkArgs",
    "NvidiaDevicePlugin",
    "NvidiaDevicePluginArgs",
    "PlatformContract",
    "PlatformStack",
    "PoolPlacement",
    "PoolTaint",
    "RegisteredModel",
    "StateBackend",
    "StateBackendArgs",
    "Taint",
    "Team",
    "TeamArgs",
    "export_platform",
    "placement",
    "platform_contract",
]


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module 'components' has no attribute {name!r}")
    return getattr(importlib.import_module(f"components.{module}"), name)


COMPONENTS = tuple(name for name in __all__ if not name.endswith("Args") and name not in HELPERS)
"""The exported ``pulumi.ComponentResource`` classes (each with its ``<Name>Args``)."""

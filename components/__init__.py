"""mlops-platform components: secure-by-default Pulumi building blocks for ML platforms on AWS.

``from components import ArtifactBucket`` works, but lazily: each component's module (and
the provider SDK it needs) is imported on first use, so importing the package stays cheap.
``components.plan`` holds the offline planner behind ``mlops plan``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from components.artifact_bucket import ArtifactBucket, ArtifactBucketArgs
    from components.cluster import Cluster, ClusterArgs
    from components.container_registry import ContainerRegistry, ContainerRegistryArgs
    from components.gpu_node_pool import GpuNodePool, GpuNodePoolArgs
    from components.karpenter import Karpenter, KarpenterArgs
    from components.model_registry import ModelRegistry, ModelRegistryArgs
    from components.model_serving_endpoint import ModelServingEndpoint, ModelServingEndpointArgs
    from components.monitoring_stack import MonitoringStack, MonitoringStackArgs
    from components.network import Network, NetworkArgs
    from components.nvidia_device_plugin import NvidiaDevicePlugin, NvidiaDevicePluginArgs
    from components.state_backend import StateBackend, StateBackendArgs

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
}

__all__ = [
    "ArtifactBucket",
    "ArtifactBucketArgs",
    "Cluster",
    "ClusterArgs",
    "ContainerRegistry",
    "ContainerRegistryArgs",
    "GpuNodePool",
    "GpuNodePoolArgs",
    "Karpenter",
    "KarpenterArgs",
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
    "StateBackend",
    "StateBackendArgs",
]


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module 'components' has no attribute {name!r}")
    return getattr(importlib.import_module(f"components.{module}"), name)

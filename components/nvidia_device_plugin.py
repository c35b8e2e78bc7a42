"""NvidiaDevicePlugin: advertises ``nvidia.com/gpu`` on nodes whose AMI lacks the plugin.

EKS AL2023 NVIDIA AMIs ship the driver and container toolkit but not the device plugin;
without it GPU pods stay Pending. Bottlerocket NVIDIA AMIs ship it, so their nodes do not
carry the selector label and get no pod. Children: ``<name>-daemonset`` and
``<name>-deny-ingress`` (a NetworkPolicy: the plugin serves no network port).
"""

from typing import Any, NotRequired, TypedDict, cast

import pulumi
import pulumi_kubernetes as k8s

from components import pins
from components.catalog import DEVICE_PLUGIN_LABEL
from components.naming import check, pinned_image_problems

LABELS = {"app.kubernetes.io/name": "nvidia-device-plugin"}
IMAGE = pins.image("nvidia-device-plugin")
"""Pinned plugin release (NVIDIA/k8s-device-plugin)."""


class NvidiaDevicePluginArgs(TypedDict):
    """Arguments of :class:`NvidiaDevicePlugin`."""

    image: NotRequired[str]
    """Plugin image, pinned (default :data:`IMAGE`)."""
    namespace: NotRequired[str]
    """Namespace (default ``kube-system``)."""


def daemonset_spec(image: str) -> dict[str, Any]:
    """The DaemonSet spec: GPU nodes that need the plugin only, tolerating their taint."""
    labels = LABELS
    return {
        "selector": {"matchLabels": labels},
        "updateStrategy": {"type": "RollingUpdate"},
        "template": {
            "metadata": {"labels": labels},
            "spec": {
                "priorityClassName": "system-node-critical",
                "nodeSelector": {DEVICE_PLUGIN_LABEL: "true"},
                "tolerations": [
                    {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"},
                    {"key": "CriticalAddonsOnly", "operator": "Exists"},
                ],
                "automountServiceAccountToken": False,
                "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
                "containers": [
                    {
                        "name": "nvidia-device-plugin",
                        "image": image,
                        "imagePullPolicy": "Always",
                        "env": [{"name": "FAIL_ON_INIT_ERROR", "value": "false"}],
                        "securityContext": {
                            "allowPrivilegeEscalation": False,
                            "readOnlyRootFilesystem": True,
                            "capabilities": {"drop": ["ALL"]},
                        },
                        "resources": {
                            "requests": {"cpu": "10m", "memory": "32Mi"},
                            "limits": {"cpu": "100m", "memory": "128Mi"},
                        },
                        "volumeMounts": [{"name": "device-plugin", "mountPath": "/var/lib/kubelet/device-plugins"}],
                    }
                ],
                "volumes": [
                    {"name": "device-plugin", "hostPath": {"path": "/var/lib/kubelet/device-plugins"}},
                ],
            },
        },
    }


NO_ARGS: NvidiaDevicePluginArgs = {}
"""Every argument at its default (never mutated). Not ``None``: schema inference needs the TypedDict."""


class NvidiaDevicePlugin(pulumi.ComponentResource):
    """The NVIDIA device plugin DaemonSet (pass the cluster's Kubernetes provider in opts)."""

    daemonset: k8s.apps.v1.DaemonSet
    """The DaemonSet."""

    def __init__(
        self,
        name: str,
        args: NvidiaDevicePluginArgs = NO_ARGS,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        args = args or NO_ARGS  # None still means "all defaults", as it did
        image = args.get("image", IMAGE)
        check(pinned_image_problems(image), "device plugin", image)
        super().__init__("mlops:index:NvidiaDevicePlugin", name, None, opts)
        namespace = args.get("namespace", "kube-system")
        self.daemonset = k8s.apps.v1.DaemonSet(
            f"{name}-daemonset",
            metadata={"name": "nvidia-device-plugin", "namespace": namespace},
            spec=cast(Any, daemonset_spec(image)),  # plain dict, checked by kubernetes-validate
            opts=pulumi.ResourceOptions(parent=self),
        )
        # The plugin talks to the kubelet over a host socket and serves no network port.
        k8s.networking.v1.NetworkPolicy(
            f"{name}-deny-ingress",
            metadata={"name": "nvidia-device-plugin", "namespace": namespace},
            spec=k8s.networking.v1.NetworkPolicySpecArgs(
                pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=LABELS), policy_types=["Ingress"]
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({})

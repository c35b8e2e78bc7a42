"""NvidiaDevicePlugin under mocks."""

from __future__ import annotations

import pytest

from components.nvidia_device_plugin import IMAGE, NvidiaDevicePlugin
from tests.conftest import RunProgram, named

pytestmark = pytest.mark.component


def test_daemonset_targets_gpu_nodes_that_need_it(run: RunProgram) -> None:
    r = named(run(lambda: NvidiaDevicePlugin("nvidia-device-plugin")))
    daemonset = r["nvidia-device-plugin-daemonset"].inputs
    assert daemonset["metadata"] == {"name": "nvidia-device-plugin", "namespace": "kube-system"}
    pod = daemonset["spec"]["template"]["spec"]
    assert pod["nodeSelector"] == {"mlops-platform/nvidia-device-plugin": "true"}
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in pod["tolerations"]
    [container] = pod["containers"]
    assert container["image"] == IMAGE and ":v0." in IMAGE
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert pod["priorityClassName"] == "system-node-critical"


@pytest.mark.parametrize("image", ["nvcr.io/nvidia/k8s-device-plugin:latest", "nvcr.io/nvidia/k8s-device-plugin"])
def test_unpinned_images_are_refused(run: RunProgram, image: str) -> None:
    def program() -> None:
        with pytest.raises(ValueError, match="must be pinned"):
            NvidiaDevicePlugin("nvidia-device-plugin", {"image": image})

    assert list(named(run(program))) == []

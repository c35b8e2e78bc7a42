"""Workload exemptions are keyed by what the workload runs, not by a name anyone can take: a
DaemonSet called ``nvidia-device-plugin`` in kube-system running another image is judged like any
other, through ``mlops plan``'s evaluator and the plugin over gRPC alike (issue 36, item 8)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from components import pins
from components.nvidia_device_plugin import NvidiaDevicePlugin
from components.policies import CONFIG_DIR, POLICIES
from components.policies.settings import PackConfigError, read_pack_config, resolve
from tests.conftest import RunProgram
from tests.policy.insecure_programs import _opts
from tests.policy.test_protocol import Plugin, agree_under, mandatory, plugin

pytestmark = pytest.mark.policy
__all__ = ["plugin"]  # the module-scoped plugin fixture, shared with test_protocol

DIGEST = "sha256:" + "c" * 64


def _device_plugin(image: str) -> Callable[[], None]:
    """The platform's device plugin DaemonSet (kube-system/nvidia-device-plugin) running ``image``."""
    return lambda: NvidiaDevicePlugin("nvidia-device-plugin", {"image": image}, _opts())


def both_paths(plugin: Plugin, run: RunProgram, program: Callable[[], None], pack_config_file: Path) -> set[str]:
    """Mandatory rules the plugin refuses the prod program for, asserted equal to ``mlops plan``'s."""
    return mandatory(agree_under(plugin, run(program, stack="prod"), pack_config_file))


def test_the_pinned_device_plugin_is_exempt(plugin: Plugin, run: RunProgram) -> None:
    program = _device_plugin(pins.image("nvidia-device-plugin"))
    assert both_paths(plugin, run, program, CONFIG_DIR / "prod.json") == set()


@pytest.mark.parametrize(
    "image",
    [
        "docker.io/attacker/miner:1.0",
        "nvcr.io/nvidia/k8s-device-plugin-fork:v1.0.0",
        "nvidia/k8s-device-plugin:v1.0.0",  # Docker Hub's, not NVIDIA's registry
    ],
)
def test_a_lookalike_named_like_the_device_plugin_is_judged(plugin: Plugin, run: RunProgram, image: str) -> None:
    """Its hostPath and root are refused, and in prod its tag (the exemption was for NVIDIA's image)."""
    found = both_paths(plugin, run, _device_plugin(image), CONFIG_DIR / "prod.json")
    assert {"k8s-no-host-access", "k8s-least-privilege", "k8s-pinned-images"} <= found


def test_an_exemption_with_a_digest_exempts_only_that_build(plugin: Plugin, run: RunProgram, tmp_path: Path) -> None:
    config: dict[str, Any] = read_pack_config(CONFIG_DIR / "prod.json")
    entry = {**config["k8s-pinned-images"]["exemptions"][0], "digest": DIGEST}
    config["k8s-pinned-images"] = {**config["k8s-pinned-images"], "exemptions": [entry]}
    path = tmp_path / "pinned.json"
    path.write_text(json.dumps(config))
    by_digest = f"nvcr.io/nvidia/k8s-device-plugin@{DIGEST}"
    assert "k8s-pinned-images" not in both_paths(plugin, run, _device_plugin(by_digest), path)
    other = f"nvcr.io/nvidia/k8s-device-plugin@sha256:{'d' * 64}"
    assert both_paths(plugin, run, _device_plugin(other), path) == set()  # a digest pins it anyway
    assert "k8s-pinned-images" in both_paths(plugin, run, _device_plugin(pins.image("nvidia-device-plugin")), path)


def test_an_exemption_without_an_image_is_refused(tmp_path: Path) -> None:
    """An exemption by name alone is what a hostile team's DaemonSet would ride on: the pack
    config is refused, naming the file and the policy."""
    config: dict[str, Any] = read_pack_config(CONFIG_DIR / "prod.json")
    entry = {k: v for k, v in config["k8s-pinned-images"]["exemptions"][0].items() if k != "image"}
    config["k8s-pinned-images"] = {**config["k8s-pinned-images"], "exemptions": [entry]}
    with pytest.raises(PackConfigError, match=r"pinned\.json.*k8s-pinned-images.*'image' is a required property"):
        resolve(POLICIES, config, str(tmp_path / "pinned.json"))

"""Karpenter in the stack plans: dev provisions its GPU pool with Karpenter, prod may choose
either provisioner in config, and both plan without a mandatory violation."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import pytest

from components import pins
from components.errors import ConfigError
from components.plan.cli import make_plan
from components.plan.policy import check
from components.plan.runner import Recording, StackConfig, run_program_dir
from components.policies import CONFIG_DIR, POLICIES
from components.policies.settings import read_pack_config
from infra.config import load_platform_config
from tests.conftest import PROJECT, ROOT, named, platform_raw

pytestmark = pytest.mark.stack


def karpenter_prod() -> dict[str, Any]:
    """The prod platform with Karpenter installed and its large-models pool on it."""
    platform = platform_raw("prod")
    platform["cluster"]["karpenter"] = True
    large = next(p for p in platform["gpuPools"] if p["name"] == "large-models")
    large["provisioner"] = "karpenter"
    return platform


def _plan(platform: dict[str, Any]) -> Recording:
    values = {"aws:region": "us-east-1", f"{PROJECT}:platform": json.dumps(platform)}
    config = StackConfig(source="Pulumi.prod.yaml", values=values, secret_keys=[])
    return run_program_dir(ROOT / "infra", stack="prod", config=config, project=PROJECT)


@cache
def karpenter_prod_recording() -> Recording:
    """The plan of prod with its large-models pool on Karpenter (computed once)."""
    return _plan(karpenter_prod())


def _mandatory(recording: Recording, stack: str) -> list[str]:
    pack = read_pack_config(CONFIG_DIR / f"{stack}.json")
    return [
        f"{v.policy}: {v.message}"
        for v in check(POLICIES, recording.resources, pack, recording.config).violations
        if v.enforcement_level == "mandatory"
    ]


def test_dev_runs_its_gpu_pool_on_karpenter(dev_plan: dict[str, Any]) -> None:
    resources = {r["name"]: r for r in dev_plan["resources"]}
    assert not [r for r in dev_plan["resources"] if r["type"] == "aws:eks/nodeGroup:NodeGroup" and "gpu" in r["name"]]
    pool = resources["gpu-spot-node-pool"]["inputs"]
    assert pool["spec"]["limits"]["nvidia.com/gpu"] == "2"
    node_class = resources["gpu-spot-node-class"]["inputs"]
    assert node_class["spec"]["amiSelectorTerms"] == [{"alias": "al2023@latest"}]  # dev drifts to every new AMI
    assert resources["eks-karpenter-node-access"]["inputs"]["type"] == "EC2_LINUX"
    assert dev_plan["violations"] == []
    cost = {item["name"]: item for item in dev_plan["cost"]["items"]}
    assert cost["gpu-spot-node-pool"]["hourlyMin"] == 0.0
    assert "on-demand fallback" in cost["gpu-spot-node-pool"]["detail"]


def test_prod_plans_with_a_karpenter_pool_and_no_violation() -> None:
    recording = karpenter_prod_recording()
    r = named(recording)
    assert "large-models-node-group" not in r and "gpu-node-group" in r  # one pool each way
    spec = r["large-models-node-class"].inputs["spec"]
    assert spec["amiSelectorTerms"] == [{"alias": f"al2023@{pins.KARPENTER_AMI_VERSIONS['al2023']}"}]
    assert spec["blockDeviceMappings"][0]["ebs"]["volumeSize"] == "500Gi"
    limits = r["large-models-node-pool"].inputs["spec"]["limits"]
    assert (limits["nvidia.com/gpu"], limits["nodes"]) == ("12", "3")  # prod's pool: 3 nodes of 4 GPUs
    assert _mandatory(recording, "prod") == []
    plan = make_plan(recording)
    cost = {item["name"]: item for item in plan["cost"]["items"]}
    assert cost["large-models-node-pool"]["hourlyMin"] == 0.0
    assert cost["large-models-node-pool"]["hourlyMax"] > 0.0


def test_prod_refuses_latest_amis_and_warm_karpenter_pools() -> None:
    platform = karpenter_prod()
    large = next(p for p in platform["gpuPools"] if p["name"] == "large-models")
    large.update({"amiVersion": "latest", "minSize": 1})
    platform["cluster"]["karpenter"] = False
    with pytest.raises(ConfigError) as error:
        load_platform_config(platform, "Pulumi.prod.yaml")
    message = str(error.value)
    for expected in (
        "platform.gpuPools[1].amiVersion: latest is not allowed in prod",
        "platform.gpuPools[1].minSize: must be 0 with provisioner karpenter",
        "platform.gpuPools[1].provisioner: karpenter needs cluster.karpenter: true",
    ):
        assert expected in message, message


def test_karpenter_settings_belong_to_karpenter_pools() -> None:
    platform = platform_raw("prod")
    platform["gpuPools"][0]["consolidateAfter"] = "5m"
    with pytest.raises(ConfigError, match=r"gpuPools\[0\]\.consolidateAfter: only applies to provisioner karpenter"):
        load_platform_config(platform, "Pulumi.prod.yaml")


def test_a_gpu_workload_on_a_karpenter_pool_without_the_gpu_it_asks_is_refused() -> None:
    platform = karpenter_prod()
    chat = next(e for e in platform["endpoints"] if e["name"] == "llm-chat")
    large = next(p for p in platform["gpuPools"] if p["name"] == "large-models")
    large["instanceTypes"] = ["g6e.xlarge"]  # one GPU per node; the endpoint asks for 4
    chat.update({"gpus": 1, "cpu": "3", "memory": "12Gi", "args": [], "published": True})
    recording = _plan(platform)
    assert _mandatory(recording, "prod") == []
    rollout = named(recording)["llm-chat-rollout"]  # prod serves through a canary
    # What the engine sends the pack (inputs to Analyze, outputs to AnalyzeStack), edited.
    for sent in (rollout.analyzed_inputs, rollout.analyzed_outputs):
        resources = sent["spec"]["template"]["spec"]["containers"][0]["resources"]
        resources["limits"]["nvidia.com/gpu"] = resources["requests"]["nvidia.com/gpu"] = 4
    found = _mandatory(recording, "prod")
    assert len(found) == 1 and found[0].startswith("gpu-workloads-schedulable"), found
    assert "large-models-node-pool: its nodes have 1 nvidia.com/gpu, the pod asks for 4" in found[0]

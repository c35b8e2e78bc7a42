"""Network, cluster, GPU pools and the cost estimate in the real dev and prod plans."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.stack


def by_name(plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in plan["resources"]}


def of_type(plan: dict[str, Any], type_: str) -> list[dict[str, Any]]:
    return [r for r in plan["resources"] if r["type"] == type_]


def test_dev_network_cluster_and_spot_pool(dev_plan: dict[str, Any]) -> None:
    r = by_name(dev_plan)
    assert len(of_type(dev_plan, "aws:ec2/natGateway:NatGateway")) == 1
    assert len(of_type(dev_plan, "aws:ec2/subnet:Subnet")) == 4
    assert of_type(dev_plan, "aws:ec2/flowLog:FlowLog") == []
    cluster = r["eks-cluster"]["inputs"]
    # Private like prod: dev deploys from in-VPC runners (tests/stack/test_api_reachability_plan.py).
    assert (cluster["vpcConfig"]["endpointPublicAccess"], "publicAccessCidrs" in cluster["vpcConfig"]) == (False, False)
    # Dev's GPU pool is a Karpenter NodePool: spot first, on-demand fallback, at most 2 nodes.
    spec = r["gpu-spot-node-pool"]["inputs"]["spec"]
    requirements = {q["key"]: q["values"] for q in spec["template"]["spec"]["requirements"]}
    assert requirements["karpenter.sh/capacity-type"] == ["spot", "on-demand"]
    assert requirements["node.kubernetes.io/instance-type"] == ["g5.xlarge", "g6.xlarge"]
    assert spec["limits"]["nodes"] == "2"
    assert not [g for g in of_type(dev_plan, "aws:eks/nodeGroup:NodeGroup") if g["name"] != "eks-system-nodes"]
    assert "gpu-spot-ca-resources-nvidia-com-gpu" not in r
    assert len(of_type(dev_plan, "kubernetes:apps/v1:DaemonSet")) == 1


def test_prod_is_multi_az_private_and_on_demand(prod_plan: dict[str, Any]) -> None:
    r = by_name(prod_plan)
    assert len(of_type(prod_plan, "aws:ec2/natGateway:NatGateway")) == 3
    assert len(of_type(prod_plan, "aws:ec2/flowLog:FlowLog")) == 1
    assert len(of_type(prod_plan, "aws:ec2/vpcEndpoint:VpcEndpoint")) == 4
    vpc_config = r["eks-cluster"]["inputs"]["vpcConfig"]
    assert (vpc_config["endpointPrivateAccess"], vpc_config["endpointPublicAccess"]) == (True, False)
    assert "publicAccessCidrs" not in vpc_config
    gpu, large = r["gpu-node-group"]["inputs"], r["large-models-node-group"]["inputs"]
    assert (gpu["capacityType"], gpu["scalingConfig"]["minSize"], gpu["scalingConfig"]["maxSize"]) == (
        "ON_DEMAND", 1, 8
    )  # fmt: skip
    assert large["scalingConfig"]["minSize"] == 0
    assert r["large-models-ca-resources-nvidia-com-gpu"]["inputs"]["tag"]["value"] == "4"
    assert r["large-models-launch-template"]["inputs"]["blockDeviceMappings"][0]["ebs"]["volumeSize"] == 500


def test_every_node_group_is_hardened(stack_plan: tuple[Any, dict[str, Any]]) -> None:
    _, plan = stack_plan
    templates = of_type(plan, "aws:ec2/launchTemplate:LaunchTemplate")
    assert templates
    for template in templates:
        inputs = template["inputs"]
        assert inputs["metadataOptions"]["httpTokens"] == "required"
        assert inputs["metadataOptions"]["httpPutResponseHopLimit"] == 1
        assert all(m["ebs"]["encrypted"] == "true" for m in inputs["blockDeviceMappings"])
        assert all(n["associatePublicIpAddress"] == "false" for n in inputs["networkInterfaces"])


def test_cost_estimate(dev_plan: dict[str, Any], prod_plan: dict[str, Any]) -> None:
    dev = {item["name"]: item for item in dev_plan["cost"]["items"]}
    assert dev["gpu-spot-node-pool"]["hourlyMin"] == 0  # scale-to-zero: nothing when idle
    # At most 2 x the dearer type (g5.xlarge, $1.006) at on-demand: Karpenter falls back to it without spot.
    assert dev["gpu-spot-node-pool"]["hourlyMax"] == pytest.approx(2 * 1.006, abs=1e-4)
    assert dev["eks-cluster"]["hourlyMin"] == 0.10
    assert [i["name"] for i in dev_plan["cost"]["items"] if i["detail"] == "NAT gateway"] == ["network-nat-0"]
    for plan in (dev_plan, prod_plan):
        cost = plan["cost"]
        assert cost["hourlyMin"] == pytest.approx(sum(i["hourlyMin"] for i in cost["items"]), abs=1e-3)
        assert cost["hourlyMax"] == pytest.approx(sum(i["hourlyMax"] for i in cost["items"]), abs=1e-3)
        assert cost["hourlyMin"] < cost["hourlyMax"]
    prod = {item["name"]: item for item in prod_plan["cost"]["items"]}
    assert prod["gpu-node-group"]["hourlyMin"] == pytest.approx(0.8048)
    assert prod["gpu-node-group"]["hourlyMax"] == pytest.approx(8 * 0.8048)
    assert prod["large-models-node-group"]["hourlyMin"] == 0
    assert len([i for i in prod_plan["cost"]["items"] if i["detail"] == "NAT gateway"]) == 3

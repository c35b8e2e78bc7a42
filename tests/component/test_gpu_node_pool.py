"""GpuNodePool under mocks: launch template, node group, autoscaler tags."""

from __future__ import annotations

import pytest

from components.gpu_node_pool import GpuNodePool, GpuNodePoolArgs, node_taints, node_template_tags, validate_pool
from tests.conftest import RunProgram, named, of_type

pytestmark = pytest.mark.component

BASE: GpuNodePoolArgs = {
    "cluster_name": "mlops-dev",
    "node_security_group_id": "sg-0123456789abcdef0",
    "subnet_ids": ["subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb"],
    "instance_types": ["g5.xlarge", "g6.xlarge"],
    "capacity_type": "SPOT",
    "max_size": 2,
    "tags": {"team": "ml", "cost-center": "cc", "environment": "dev"},
}


def test_launch_template_is_hardened(run: RunProgram) -> None:
    r = named(run(lambda: GpuNodePool("gpu", BASE)))
    template = r["gpu-launch-template"].inputs
    assert template["metadataOptions"] == {
        "httpEndpoint": "enabled",
        "httpPutResponseHopLimit": 1,
        "httpTokens": "required",
    }
    assert template["blockDeviceMappings"] == [
        {
            "deviceName": "/dev/xvda",
            "ebs": {
                "deleteOnTermination": "true",
                "encrypted": "true",
                "volumeSize": 100,
                "volumeType": "gp3",
            },
        }
    ]
    assert template["networkInterfaces"] == [
        {
            "associatePublicIpAddress": "false",
            "deleteOnTermination": "true",
            "securityGroups": ["sg-0123456789abcdef0"],
        }
    ]
    assert [(t["resourceType"], t["tags"]) for t in template["tagSpecifications"]] == [
        ("instance", BASE["tags"]),
        ("volume", BASE["tags"]),
    ]


def test_node_group_scales_from_zero_and_leaves_desired_size_to_the_autoscaler(run: RunProgram) -> None:
    recording = run(lambda: GpuNodePool("gpu", {**BASE, "spot_discount": 0.6}))
    r = named(recording)
    group = r["gpu-node-group"]
    inputs = group.inputs
    assert inputs["amiType"] == "AL2023_x86_64_NVIDIA"
    assert inputs["capacityType"] == "SPOT"
    assert inputs["instanceTypes"] == ["g5.xlarge", "g6.xlarge"]
    assert inputs["scalingConfig"] == {"desiredSize": 0, "maxSize": 2, "minSize": 0}
    assert group.ignore_changes == ["scalingConfig.desiredSize"]
    assert inputs["updateConfig"] == {"maxUnavailable": 1}
    assert inputs["taints"] == [{"effect": "NO_SCHEDULE", "key": "nvidia.com/gpu", "value": "true"}]
    assert inputs["labels"] == {
        "mlops-platform/accelerator": "nvidia",
        "mlops-platform/accelerator-model": "A10G-L4",
        "mlops-platform/nvidia-device-plugin": "true",
        "mlops-platform/pool": "gpu",
    }
    assert inputs["launchTemplate"]["id"].startswith("lt-")
    assert inputs["launchTemplate"]["version"] == "1"
    assert inputs["tags"] == {"mlops-platform/spot-discount": "0.6"}
    assert r["gpu-launch-template"].urn in group.dependencies

    tags = {t.inputs["tag"]["key"]: t.inputs for t in of_type(recording, "aws:autoscaling/tag:Tag")}
    template = "k8s.io/cluster-autoscaler/node-template"
    assert tags[f"{template}/resources/nvidia.com/gpu"]["tag"]["value"] == "1"
    assert tags[f"{template}/taint/nvidia.com/gpu"]["tag"]["value"] == "true:NoSchedule"
    assert tags[f"{template}/label/mlops-platform/pool"]["tag"]["value"] == "gpu"
    assert all(t["tag"]["propagateAtLaunch"] is False for t in tags.values())
    assert {t["autoscalingGroupName"] for t in tags.values()} == {next(iter(tags.values()))["autoscalingGroupName"]}
    assert next(iter(tags.values()))["autoscalingGroupName"].startswith("eks-")


def test_node_role_has_only_the_managed_policies_nodes_need(run: RunProgram) -> None:
    recording = run(lambda: GpuNodePool("gpu", BASE))
    attachments = of_type(recording, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    assert sorted(a.inputs["policyArn"].rsplit("/", 1)[-1] for a in attachments) == [
        "AmazonEC2ContainerRegistryPullOnly",
        "AmazonEKSWorkerNodePolicy",
        "AmazonEKS_CNI_Policy",
    ]
    [role] = of_type(recording, "aws:iam/role:Role")
    assert '"Service": "ec2.amazonaws.com"' in role.inputs["assumeRolePolicy"]


def test_bottlerocket_neuron_and_options(run: RunProgram) -> None:
    bottlerocket: GpuNodePoolArgs = {
        **BASE,
        "os": "bottlerocket",
        "instance_types": ["g5.xlarge"],
        "capacity_type": "ON_DEMAND",
        "min_size": 1,
        "imds_hop_limit": 2,
        "disk_size_gib": 300,
        "labels": {"team": "llm"},
        "taints": [{"key": "dedicated", "value": "llm"}],
    }
    neuron: GpuNodePoolArgs = {**BASE, "instance_types": ["inf2.xlarge"], "capacity_type": "ON_DEMAND"}
    r = named(run(lambda: (GpuNodePool("br", bottlerocket), GpuNodePool("neuron", neuron))))
    br = r["br-node-group"].inputs
    assert br["amiType"] == "BOTTLEROCKET_x86_64_NVIDIA"
    assert "mlops-platform/nvidia-device-plugin" not in br["labels"] and br["labels"]["team"] == "llm"
    assert br["taints"][1] == {"effect": "NO_SCHEDULE", "key": "dedicated", "value": "llm"}
    assert br["scalingConfig"] == {"desiredSize": 1, "maxSize": 2, "minSize": 1}
    template = r["br-launch-template"].inputs
    assert template["blockDeviceMappings"][0]["deviceName"] == "/dev/xvdb"
    assert template["blockDeviceMappings"][0]["ebs"]["volumeSize"] == 300
    assert template["metadataOptions"]["httpPutResponseHopLimit"] == 2
    neuron = r["neuron-node-group"].inputs
    assert neuron["amiType"] == "AL2023_x86_64_NEURON"
    assert neuron["taints"] == [{"effect": "NO_SCHEDULE", "key": "aws.amazon.com/neuron", "value": "true"}]
    assert "br-ca-resources-nvidia-com-gpu" in r and "neuron-ca-resources-aws-amazon-com-neuron" in r


def test_node_template_tags_describe_a_node() -> None:
    types = ["g6e.12xlarge"]
    taints = node_taints(types, [])
    tags = node_template_tags(types, {"mlops-platform/pool": "large"}, taints)
    template = "k8s.io/cluster-autoscaler/node-template"
    assert tags == {
        f"{template}/label/mlops-platform/pool": "large",
        f"{template}/resources/cpu": "48",
        f"{template}/resources/memory": "384Gi",
        f"{template}/resources/nvidia.com/gpu": "4",
        f"{template}/taint/nvidia.com/gpu": "true:NoSchedule",
    }


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"instance_types": ["g5.xlarg"]}, "'g5.xlarg' does not exist"),
        ({"instance_types": ["m5.large"]}, "not an accelerated instance type"),
        ({"instance_types": ["g5.xlarge", "g5g.xlarge"]}, "mixes architectures"),
        ({"min_size": 3}, "min_size must be 0..max_size"),
        ({"capacity_type": "RESERVED"}, "capacity_type must be ON_DEMAND or SPOT"),
        ({"spot_discount": 0.95}, "spot_discount must be 0-0.9"),
        ({"imds_hop_limit": 3}, "imds_hop_limit must be 1 or 2"),
        # True is not 1 and "4" is not 4, even where Python would compare them as numbers.
        ({"min_size": True}, r"min_size must be an integer \(got True\)"),
        ({"max_size": "4"}, r"max_size must be an integer \(got '4'\)"),
        ({"spot_discount": False}, "spot_discount must be a number"),
    ],
)
def test_bad_arguments_are_refused(run: RunProgram, change: dict[str, object], fragment: str) -> None:
    def program() -> None:
        with pytest.raises(ValueError, match=fragment):
            GpuNodePool("gpu", {**BASE, **change})  # type: ignore[typeddict-item]

    assert list(named(run(program))) == []


def test_a_label_key_too_long_for_its_auto_scaling_tag_is_refused() -> None:
    key = "a" * 40 + ".example.com/" + "x" * 30
    assert validate_pool({**BASE, "labels": {key: "v"}}) == [
        f"labels {key!r}: at most 82 characters: the Auto Scaling tag "
        "k8s.io/cluster-autoscaler/node-template/label/<key> that lets the pool scale from zero may have 128 (got 83)"
    ]
    assert validate_pool({**BASE, "labels": {key[1:]: "v"}}) == []

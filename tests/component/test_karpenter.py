"""Karpenter under mocks: the controller's IAM, node role and access entry, the interruption
queue and its rules, the two releases; the Cluster's opt-in hook; GpuNodePool's Karpenter path."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest

from components import pins
from components.cluster import Cluster, ClusterArgs
from components.gpu_node_pool import GpuNodePool, GpuNodePoolArgs, validate_pool
from components.karpenter import INTERRUPTION_EVENTS, Karpenter, KarpenterArgs
from tests.component.test_gpu_node_pool import BASE
from tests.conftest import RunProgram, named, of_type

pytestmark = pytest.mark.component

ARGS: KarpenterArgs = {
    "cluster_name": "mlops-dev",
    "cluster_endpoint": "https://ABC.gr7.us-east-1.eks.amazonaws.com",
    "region": "us-east-1",
    "oidc_provider_arn": "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC",
    "oidc_issuer_url": "https://oidc.eks.us-east-1.amazonaws.com/id/ABC",
}
CLUSTER: ClusterArgs = {
    "cluster_name": "mlops-dev",
    "subnet_ids": ["subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb"],
    "region": "us-east-1",
    "system_min_size": 1,
    "system_max_size": 2,
    "deploy_role_arn": "arn:aws:iam::123456789012:role/ci-deploy",
    "protect": False,
}


def test_nodes_join_through_an_ec2_linux_access_entry(run: RunProgram) -> None:
    r = named(run(lambda: Karpenter("karpenter", ARGS)))
    trust = json.loads(r["karpenter-node-role"].inputs["assumeRolePolicy"])
    assert trust["Statement"][0]["Principal"] == {"Service": "ec2.amazonaws.com"}
    policies = {
        x.inputs["policyArn"].rsplit("/", 1)[-1] for x in r.values() if x.name.startswith("karpenter-node-role-")
    }
    assert policies == {"AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryPullOnly"}
    entry = r["karpenter-node-access"].inputs
    assert entry["type"] == "EC2_LINUX"
    assert entry["clusterName"] == "mlops-dev"
    assert r["karpenter-node-role"].urn in r["karpenter-node-access"].dependencies


def test_interruption_queue_gets_every_upstream_event_over_tls(run: RunProgram) -> None:
    recording = run(lambda: Karpenter("karpenter", ARGS))
    r = named(recording)
    queue = r["karpenter-interruption-queue"].inputs
    assert (queue["messageRetentionSeconds"], queue["sqsManagedSseEnabled"]) == (300, True)
    policy = json.loads(r["karpenter-interruption-queue-policy"].inputs["policy"])
    allow, deny = policy["Statement"]
    assert allow["Principal"] == {"Service": ["events.amazonaws.com", "sqs.amazonaws.com"]}
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    patterns = {
        (p["source"][0], p["detail-type"][0])
        for p in (
            json.loads(x.inputs["eventPattern"]) for x in of_type(recording, "aws:cloudwatch/eventRule:EventRule")
        )
    }
    assert patterns == set(INTERRUPTION_EVENTS.values())
    targets = of_type(recording, "aws:cloudwatch/eventTarget:EventTarget")
    assert len(targets) == len(INTERRUPTION_EVENTS)
    queue_arn = allow["Resource"]
    assert queue_arn.startswith("arn:aws:sqs:us-east-1:123456789012:karpenter-interruption-queue-")
    assert {t.inputs["arn"] for t in targets} == {queue_arn}


def test_controller_uses_irsa_for_its_service_account_and_six_policies(run: RunProgram) -> None:
    recording = run(lambda: Karpenter("karpenter", ARGS))
    r = named(recording)
    trust = json.loads(r["karpenter-controller-role"].inputs["assumeRolePolicy"])
    condition = trust["Statement"][0]["Condition"]["StringEquals"]
    assert condition["oidc.eks.us-east-1.amazonaws.com/id/ABC:sub"] == "system:serviceaccount:kube-system:karpenter"
    policies = of_type(recording, "aws:iam/policy:Policy")
    assert len(policies) == 6
    attachments = [a for a in of_type(recording, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")
                   if a.name.startswith("karpenter-policy-")]  # fmt: skip
    assert len(attachments) == 6
    assert all(a.inputs["role"].startswith("karpenter-controller-role") for a in attachments)


def test_crds_come_from_their_own_chart_and_the_controller_stays_on_system_nodes(run: RunProgram) -> None:
    r = named(run(lambda: Karpenter("karpenter", {**ARGS, "replicas": 1})))
    crds, controller = r["karpenter-crds"], r["karpenter-controller"]
    for release, chart in ((crds, "karpenter-crd"), (controller, "karpenter")):
        pinned = pins.chart(chart)
        assert release.inputs["chart"] == f"oci://public.ecr.aws/karpenter/{chart}"
        assert release.inputs["version"] == pinned.version
        assert "repositoryOpts" not in release.inputs
    assert controller.inputs["skipCrds"] is True
    assert crds.urn in controller.dependencies
    values: dict[str, Any] = controller.inputs["values"]
    assert values["replicas"] == 1
    assert values["nodeSelector"] == {"kubernetes.io/os": "linux", "mlops-platform/pool": "system"}
    assert "tolerations" not in values  # the chart's own: CriticalAddonsOnly, never a GPU taint
    assert values["settings"]["clusterName"] == "mlops-dev"
    assert values["settings"]["interruptionQueue"].startswith("karpenter-interruption-queue-")
    annotations = values["serviceAccount"]["annotations"]
    assert annotations["eks.amazonaws.com/role-arn"].startswith(
        "arn:aws:iam::123456789012:role/karpenter-controller-role"
    )


def test_a_cluster_installs_karpenter_only_when_asked(run: RunProgram) -> None:
    def program(karpenter: bool) -> None:
        cluster = Cluster("eks", {**CLUSTER, "karpenter": karpenter})
        wiring = cluster.for_node_pools()
        assert ("karpenter" in wiring) is karpenter
        assert ("karpenter.sh" in cluster.crd_groups) is karpenter

    without = run(lambda: program(False))
    assert not [x for x in without.resources if x.type == "mlops:index:Karpenter"]
    r = named(run(lambda: program(True)))
    assert r["eks-karpenter"].type == "mlops:index:Karpenter"
    controller = r["eks-karpenter-controller"]
    assert r["eks-system-nodes"].urn in controller.dependencies
    assert r["eks-prometheus-crds"].urn in controller.dependencies  # its ServiceMonitor
    assert controller.inputs["values"]["serviceMonitor"] == {"enabled": True}
    assert controller.inputs["values"]["replicas"] == 1  # one system node: the replicas refuse to share one


POOL: GpuNodePoolArgs = {**BASE, "provisioner": "karpenter", "tags": {"team": "ml"}}
"""The managed pool of test_gpu_node_pool, provisioned by Karpenter."""


def _pool_with_karpenter(extra: dict[str, Any]) -> None:
    karpenter = Karpenter("karpenter", ARGS)
    GpuNodePool("gpu", {**POOL, "karpenter": karpenter.wiring(), **extra})  # type: ignore[typeddict-item]


def test_karpenter_pool_renders_a_hardened_node_class(run: RunProgram) -> None:
    r = named(run(lambda: _pool_with_karpenter({})))
    assert not [name for name in r if name.startswith("gpu-node-group") or name.startswith("gpu-launch")]
    node_class = r["gpu-node-class"].inputs
    assert (node_class["apiVersion"], node_class["kind"]) == ("karpenter.k8s.aws/v1", "EC2NodeClass")
    spec = node_class["spec"]
    assert spec["amiSelectorTerms"] == [{"alias": f"al2023@{pins.KARPENTER_AMI_VERSIONS['al2023']}"}]
    assert spec["role"].startswith("karpenter-node-role-")
    assert spec["metadataOptions"] == {
        "httpEndpoint": "enabled",
        "httpProtocolIPv6": "disabled",
        "httpPutResponseHopLimit": 1,
        "httpTokens": "required",
    }
    assert spec["blockDeviceMappings"] == [
        {
            "deviceName": "/dev/xvda",
            "rootVolume": True,
            "ebs": {"volumeSize": "100Gi", "volumeType": "gp3", "encrypted": True, "deleteOnTermination": True},
        }
    ]
    assert spec["subnetSelectorTerms"] == [{"id": s} for s in POOL["subnet_ids"]]
    assert spec["securityGroupSelectorTerms"] == [{"id": "sg-0123456789abcdef0"}]
    assert spec["associatePublicIPAddress"] is False
    assert spec["tags"] == {"team": "ml"}
    assert r["karpenter-controller"].urn in r["gpu-node-class"].dependencies


def test_karpenter_pool_renders_a_bounded_tainted_node_pool(run: RunProgram) -> None:
    r = named(run(lambda: _pool_with_karpenter({"spot_discount": 0.6})))
    pool = r["gpu-node-pool"]
    assert (pool.inputs["apiVersion"], pool.inputs["kind"]) == ("karpenter.sh/v1", "NodePool")
    assert pool.inputs["metadata"]["annotations"] == {"mlops-platform/spot-discount": "0.6"}
    spec = pool.inputs["spec"]
    template = spec["template"]
    assert template["metadata"]["labels"] == {
        "mlops-platform/accelerator": "nvidia",
        "mlops-platform/accelerator-model": "A10G-L4",
        "mlops-platform/nvidia-device-plugin": "true",
        "mlops-platform/pool": "gpu",
    }
    assert template["spec"]["taints"] == [{"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"}]
    requirements = {req["key"]: req["values"] for req in template["spec"]["requirements"]}
    assert requirements == {
        "node.kubernetes.io/instance-type": ["g5.xlarge", "g6.xlarge"],
        "karpenter.sh/capacity-type": ["spot", "on-demand"],
        "kubernetes.io/arch": ["amd64"],
        "kubernetes.io/os": ["linux"],
    }
    assert template["spec"]["nodeClassRef"] == {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": "gpu"}
    assert (template["spec"]["expireAfter"], template["spec"]["terminationGracePeriod"]) == ("720h", "2h")
    assert spec["limits"] == {"nodes": "2", "nvidia.com/gpu": "2", "cpu": "8", "memory": "32Gi"}
    assert spec["disruption"] == {
        "consolidationPolicy": "WhenEmptyOrUnderutilized",
        "consolidateAfter": "10m",
        "budgets": [{"nodes": "1"}],
    }
    assert {r["gpu-node-class"].urn, r["karpenter-crds"].urn, r["karpenter-controller"].urn} <= set(pool.dependencies)


def test_on_demand_bottlerocket_pool_names_its_ami_release(run: RunProgram) -> None:
    extra = {"capacity_type": "ON_DEMAND", "os": "bottlerocket", "ami_version": "v1.50.0", "disk_size_gib": 300}
    r = named(run(lambda: _pool_with_karpenter(extra)))
    spec = r["gpu-node-class"].inputs["spec"]
    assert spec["amiSelectorTerms"] == [{"alias": "bottlerocket@v1.50.0"}]
    assert spec["blockDeviceMappings"][0]["deviceName"] == "/dev/xvdb"
    assert spec["blockDeviceMappings"][0]["ebs"]["volumeSize"] == "300Gi"
    requirements = {
        q["key"]: q["values"] for q in r["gpu-node-pool"].inputs["spec"]["template"]["spec"]["requirements"]
    }
    assert requirements["karpenter.sh/capacity-type"] == ["on-demand"]
    assert (
        "mlops-platform/nvidia-device-plugin" not in r["gpu-node-pool"].inputs["spec"]["template"]["metadata"]["labels"]
    )


WIRING: Any = {"node_role_name": "nodes", "releases": []}


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        ({"min_size": 1, "karpenter": WIRING}, "min_size must be 0 with provisioner karpenter"),
        ({}, "provisioner karpenter needs the cluster's Karpenter"),
        ({"karpenter": WIRING, "ami_version": "2026-07-24"}, "ami_version must be latest or a release"),
        ({"karpenter": WIRING, "os": "bottlerocket"}, "ami_version is required for os bottlerocket"),
        ({"karpenter": WIRING, "consolidate_after": "ten minutes"}, "consolidate_after must be a duration"),
        ({"karpenter": WIRING, "provisioner": "fargate"}, "provisioner must be managed or karpenter"),
        ({"provisioner": "managed", "expire_after": "720h"}, "expire_after applies to provisioner karpenter only"),
    ],
)
def test_karpenter_pool_arguments_are_checked(extra: dict[str, Any], problem: str) -> None:
    problems = validate_pool({**POOL, **extra})  # type: ignore[typeddict-item]
    assert any(problem in p for p in problems), problems


def test_a_karpenter_pool_is_refused_before_anything_is_declared(run: RunProgram) -> None:
    with pytest.raises(ValueError, match=r"GpuNodePool gpu: .*needs the cluster's Karpenter"):
        run(lambda: GpuNodePool("gpu", POOL, pulumi.ResourceOptions()))

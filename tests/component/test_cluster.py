"""Cluster under mocks: control plane, IRSA, access entries, add-ons, system nodes, autoscaler."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components import pins
from components.cluster import Cluster, ClusterArgs, kubeconfig
from tests.conftest import RunProgram, named, of_type

pytestmark = pytest.mark.component

BASE: ClusterArgs = {
    "cluster_name": "mlops-prod",
    "subnet_ids": ["subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb"],
    "region": "us-east-1",
    "admin_role_arns": ["arn:aws:iam::123456789012:role/PlatformAdmin"],
    "tags": {"team": "ml"},
}


def test_control_plane_is_private_encrypted_and_audited(run: RunProgram) -> None:
    r = named(run(lambda: Cluster("eks", BASE)))
    cluster = r["eks-cluster"]
    inputs = cluster.inputs
    assert inputs["name"] == "mlops-prod" and inputs["version"] == pins.DEFAULT_KUBERNETES_VERSION
    # Past standard support EKS upgrades the control plane instead of billing extended support.
    assert inputs["upgradePolicy"] == {"supportType": "STANDARD"}
    assert inputs["vpcConfig"] == {
        "endpointPrivateAccess": True,
        "endpointPublicAccess": False,
        "subnetIds": BASE["subnet_ids"],
    }
    encryption = inputs["encryptionConfig"]
    assert encryption["resources"] == ["secrets"]
    assert encryption["provider"]["keyArn"].startswith("arn:aws:kms:us-east-1:123456789012:key/")
    assert inputs["enabledClusterLogTypes"] == ["api", "audit", "authenticator"]
    assert inputs["accessConfig"]["authenticationMode"] == "API"
    assert (cluster.protect, cluster.retain_on_delete) == (True, True)
    assert (r["eks-secrets-key"].protect, r["eks-secrets-key"].inputs["enableKeyRotation"]) == (True, True)
    logs = r["eks-control-plane-logs"]
    assert logs.inputs == {
        "name": "/aws/eks/mlops-prod/cluster",
        "retentionInDays": 90,
        "kmsKeyId": logs.inputs["kmsKeyId"],
    }
    logs_key = r["eks-logs-key"]
    assert logs_key.urn in logs.dependencies  # kmsKeyId is the logs key's ARN
    [logs_grant] = [
        s for s in json.loads(logs_key.inputs["policy"])["Statement"] if s["Sid"] == "CloudWatchLogsForThisAccount"
    ]
    assert logs_grant["Principal"] == {"Service": "logs.us-east-1.amazonaws.com"}
    assert logs_grant["Condition"] == {
        "ArnLike": {"kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:us-east-1:123456789012:log-group:*"}
    }
    assert (logs_key.protect, logs_key.inputs["enableKeyRotation"]) == (True, True)
    assert logs.urn in cluster.dependencies

    oidc = r["eks-oidc"].inputs
    assert oidc["clientIdLists"] == ["sts.amazonaws.com"]
    assert oidc["url"].startswith("https://oidc.eks.us-east-1.amazonaws.com/id/")


def test_access_entries_and_addons(run: RunProgram) -> None:
    recording = run(lambda: Cluster("eks", BASE))
    r = named(recording)
    assert r["eks-admin-platformadmin"].inputs["principalArn"] == BASE["admin_role_arns"][0]
    policy = r["eks-admin-platformadmin-policy"].inputs
    assert policy["policyArn"].endswith(":cluster-access-policy/AmazonEKSClusterAdminPolicy")
    assert policy["accessScope"] == {"type": "cluster"}
    addons = {a.inputs["addonName"]: a for a in of_type(recording, "aws:eks/addon:Addon")}
    assert set(addons) == {
        "vpc-cni",
        "kube-proxy",
        "eks-pod-identity-agent",
        "coredns",
        "metrics-server",
        "aws-ebs-csi-driver",
    }
    system = r["eks-system-nodes"]
    assert system.urn in addons["coredns"].dependencies
    assert system.urn in addons["metrics-server"].dependencies
    ebs = addons["aws-ebs-csi-driver"].inputs
    assert ebs["serviceAccountRoleArn"].startswith("arn:aws:iam::123456789012:role/eks-ebs-csi-role")
    trust = json.loads(r["eks-ebs-csi-role"].inputs["assumeRolePolicy"])["Statement"][0]["Condition"]
    assert "system:serviceaccount:kube-system:ebs-csi-controller-sa" in trust["StringEquals"].values()
    assert r["eks-ebs-csi-role-AmazonEBSCSIDriverPolicy"].inputs["policyArn"] == (
        "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"
    )
    assert addons["vpc-cni"].urn in system.dependencies


def test_system_nodes_run_what_gpu_pools_must_not(run: RunProgram) -> None:
    r = named(run(lambda: Cluster("eks", {**BASE, "system_min_size": 1, "system_max_size": 2})))
    system = r["eks-system-nodes"]
    assert system.inputs["amiType"] == "AL2023_x86_64_STANDARD"
    assert system.inputs["capacityType"] == "ON_DEMAND"
    assert system.inputs["labels"] == {"mlops-platform/pool": "system"}
    assert "taints" not in system.inputs
    assert system.inputs["scalingConfig"] == {"desiredSize": 1, "maxSize": 2, "minSize": 1}
    assert system.ignore_changes == ["scalingConfig.desiredSize"]
    assert r["eks-system-launch-template"].inputs["metadataOptions"]["httpTokens"] == "required"


def test_autoscaler_release_is_pinned_and_scoped(run: RunProgram) -> None:
    r = named(run(lambda: Cluster("eks", BASE)))
    release = r["eks-cluster-autoscaler"]
    inputs = release.inputs
    assert (inputs["chart"], inputs["version"]) == ("cluster-autoscaler", pins.chart("cluster-autoscaler").version)
    assert inputs["repositoryOpts"] == {"repo": "https://kubernetes.github.io/autoscaler"}
    assert inputs["namespace"] == "kube-system"
    values = inputs["values"]
    assert values["autoDiscovery"] == {"clusterName": "mlops-prod"}
    # The image's minor follows the cluster's (default 1.35).
    assert values["image"] == {"repository": pins.AUTOSCALER_IMAGE, "tag": pins.AUTOSCALER_TAGS["1.35"]}
    assert values["image"]["tag"].startswith("v1.35.")
    role_arn = values["rbac"]["serviceAccount"]["annotations"]["eks.amazonaws.com/role-arn"]
    assert role_arn.startswith("arn:aws:iam::123456789012:role/eks-autoscaler-role")
    assert release.provider == r["eks-k8s"].urn
    assert r["eks-system-nodes"].urn in release.dependencies

    trust = json.loads(r["eks-autoscaler-role"].inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Action"] == "sts:AssumeRoleWithWebIdentity"
    conditions: dict[str, Any] = trust["Condition"]["StringEquals"]
    assert "system:serviceaccount:kube-system:cluster-autoscaler" in conditions.values()
    policy = json.loads(r["eks-autoscaler-role-policy"].inputs["policy"])
    scale = next(s for s in policy["Statement"] if s["Sid"] == "ScaleOwnGroups")
    assert scale["Condition"] == {"StringEquals": {"aws:ResourceTag/k8s.io/cluster-autoscaler/mlops-prod": "owned"}}


def test_provider_gets_a_kubeconfig_without_credentials(run: RunProgram) -> None:
    recording = run(lambda: Cluster("eks", BASE))
    given = json.loads(named(recording)["eks-k8s"].inputs["kubeconfig"])  # plain: nothing in it to hide
    assert list(given["users"][0]["user"]) == ["exec"]
    config = json.loads(kubeconfig("c", "https://x.eks.amazonaws.com", "Q0E=", "eu-west-1"))
    assert config["clusters"][0]["cluster"] == {
        "server": "https://x.eks.amazonaws.com",
        "certificate-authority-data": "Q0E=",
    }
    assert config["users"][0]["user"]["exec"]["args"] == [
        "eks", "get-token", "--cluster-name", "c", "--region", "eu-west-1"
    ]  # fmt: skip


def test_crds_are_installed_before_anything_uses_them(run: RunProgram) -> None:
    recording = run(lambda: Cluster("eks", BASE))
    r = named(recording)
    crds, keda = r["eks-prometheus-crds"], r["eks-keda"]
    for release, name in ((crds, "prometheus-operator-crds"), (keda, "keda")):
        assert (release.inputs["chart"], release.inputs["version"]) == (name, pins.chart(name).version)
        assert release.inputs["repositoryOpts"] == {"repo": pins.chart(name).repository}
        assert release.provider == r["eks-k8s"].urn
        assert r["eks-system-nodes"].urn in release.dependencies
    # KEDA's ServiceMonitors need the Prometheus operator's CRDs.
    assert crds.urn in keda.dependencies
    assert keda.inputs["values"]["nodeSelector"] == {"mlops-platform/pool": "system"}
    assert keda.inputs["namespace"] == "keda" and keda.inputs["createNamespace"] is True


def test_public_endpoint_with_cidrs(run: RunProgram) -> None:
    args: ClusterArgs = {**BASE, "endpoint_public_access": True, "public_access_cidrs": ["203.0.113.0/24"]}
    inputs = named(run(lambda: Cluster("eks", args)))["eks-cluster"].inputs
    assert inputs["vpcConfig"]["endpointPublicAccess"] is True
    assert inputs["vpcConfig"]["publicAccessCidrs"] == ["203.0.113.0/24"]


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"endpoint_public_access": True}, "a public endpoint needs public_access_cidrs"),
        (
            {"endpoint_public_access": True, "public_access_cidrs": ["0.0.0.0/0"]},
            "must not contain 0.0.0.0/0",
        ),
        ({"public_access_cidrs": ["10.0.0.0/8"]}, "endpoint_public_access is False"),
        ({"api_access_cidrs": ["10.20.0.0/16", "10.20.0.0/16"]}, "api_access_cidrs: 10.20.0.0/16 is given twice"),
        ({"version": "1.20"}, "version must be one of"),
        ({"support_type": "FOREVER"}, "support_type must be STANDARD or EXTENDED"),
        ({"system_min_size": 0}, "system_min_size must be 1..system_max_size"),
        ({"admin_role_arns": []}, "give deploy_role_arn or admin_role_arns"),
        (
            {"view_role_arns": ["arn:aws:iam::123456789012:role/PlatformAdmin"]},
            "view_role_arns: .*already in admin_role_arns",
        ),
        (
            {"deploy_role_arn": "arn:aws:iam::123456789012:role/ci", "creator_admin": True},
            "deploy_role_arn: not with creator_admin",
        ),
    ],
)
def test_bad_arguments_are_refused(run: RunProgram, change: dict[str, object], fragment: str) -> None:
    def program() -> None:
        with pytest.raises(ValueError, match=fragment):
            Cluster("eks", {**BASE, **change})  # type: ignore[typeddict-item]

    assert list(named(run(program))) == []


def test_vpc_cni_enforces_network_policies(run: RunProgram) -> None:
    addons = {a.inputs["addonName"]: a for a in of_type(run(lambda: Cluster("eks", BASE)), "aws:eks/addon:Addon")}
    # EKS enforces NetworkPolicies only with this add-on setting; the other add-ons keep their defaults.
    assert json.loads(addons["vpc-cni"].inputs["configurationValues"]) == {"enableNetworkPolicy": "true"}
    assert all("configurationValues" not in a.inputs for name, a in addons.items() if name != "vpc-cni")


def test_access_is_access_entries_only(run: RunProgram) -> None:
    args: ClusterArgs = {
        **BASE,
        "view_role_arns": ["arn:aws:iam::123456789012:role/ReadOnly"],
        "deploy_role_arn": "arn:aws:iam::123456789012:role/ci-deploy",
    }
    r = named(run(lambda: Cluster("eks", args)))
    cluster = r["eks-cluster"]
    # The creator is no invisible admin; the flag is read at creation only (changing it replaces the
    # cluster), so an existing cluster created with it keeps it without a replacement.
    assert cluster.inputs["accessConfig"] == {
        "authenticationMode": "API",
        "bootstrapClusterCreatorAdminPermissions": False,
    }
    assert cluster.ignore_changes == ["accessConfig.bootstrapClusterCreatorAdminPermissions"]
    grants = {
        name: (r[name].inputs["principalArn"], r[f"{name}-policy"].inputs["policyArn"].rsplit("/", 1)[-1])
        for name in ("eks-admin-platformadmin", "eks-view-readonly", "eks-deploy-ci-deploy")
    }
    assert grants == {
        "eks-admin-platformadmin": (BASE["admin_role_arns"][0], "AmazonEKSClusterAdminPolicy"),
        "eks-view-readonly": ("arn:aws:iam::123456789012:role/ReadOnly", "AmazonEKSViewPolicy"),
        "eks-deploy-ci-deploy": ("arn:aws:iam::123456789012:role/ci-deploy", "AmazonEKSClusterAdminPolicy"),
    }
    # Nothing in the cluster is applied before the deploying role may reach it.
    provider = r["eks-k8s"]
    for name in grants:
        assert {r[name].urn, r[f"{name}-policy"].urn} <= set(provider.dependencies)


def test_creator_admin_is_a_choice(run: RunProgram) -> None:
    args: ClusterArgs = {**BASE, "admin_role_arns": [], "creator_admin": True}
    inputs = named(run(lambda: Cluster("eks", args)))["eks-cluster"].inputs
    assert inputs["accessConfig"]["bootstrapClusterCreatorAdminPermissions"] is True


@pytest.mark.parametrize(("region", "partition"), [("cn-north-1", "aws-cn"), ("us-gov-west-1", "aws-us-gov")])
def test_arns_follow_the_regions_partition(run: RunProgram, region: str, partition: str) -> None:
    """AWS-managed and EKS access policies live in the region's partition: ``arn:aws:`` is refused
    in China and GovCloud."""
    args: ClusterArgs = {**BASE, "region": region}
    r = named(run(lambda: Cluster("eks", args), config={"aws:region": region}))
    assert r["eks-admin-platformadmin-policy"].inputs["policyArn"] == (
        f"arn:{partition}:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
    )
    attached = [
        x.inputs["policyArn"] for x in r.values() if x.type == "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
    ]
    assert attached and all(arn.startswith(f"arn:{partition}:iam::aws:policy/") for arn in attached), attached

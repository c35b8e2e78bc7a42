"""Each rule of the policy pack on hand-built resources: it passes the good, flags the bad."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components import pins
from components.plan.monitor import Registration
from components.plan.policy import check
from components.policies import POLICIES
from components.policies.iam import SENSITIVE_SERVICES, wildcard_grants
from components.policies.rules import taggable_types

pytestmark = pytest.mark.policy

PROVIDER = "urn:pulumi:prod::p::pulumi:providers:aws::aws"
TAGS = '{"tags": {"team": "ml", "cost-center": "cc", "environment": "prod"}}'


def reg(
    name: str, type_: str, inputs: dict[str, Any], *, deps: list[str] | None = None, protect: bool = True
) -> Registration:
    return Registration(
        f"urn:pulumi:prod::p::{type_}::{name}", type_, name, True, None, PROVIDER, deps or [], inputs, protect=protect
    )


def violations(*resources: Registration) -> list[tuple[str, str, str]]:
    provider = Registration(PROVIDER, "pulumi:providers:aws", "aws", True, None, None, [], {"defaultTags": TAGS})
    found = check(POLICIES, [provider, *resources], {"all": "mandatory"}).violations
    return [(v.policy, (v.urn or "").rsplit("::", 1)[-1], v.message) for v in found]


GOOD_TEMPLATE = {
    "metadataOptions": {"httpTokens": "required", "httpPutResponseHopLimit": 1.0},
    "blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"encrypted": "true"}}],
    "networkInterfaces": [{"associatePublicIpAddress": "false"}],
}
GOOD_REPO = {
    "imageTagMutability": "IMMUTABLE",
    "imageScanningConfiguration": {"scanOnPush": True},
    "encryptionConfigurations": [{"encryptionType": "KMS"}],
}
GOOD_CLUSTER = {
    "version": pins.DEFAULT_KUBERNETES_VERSION,
    "encryptionConfig": {"resources": ["secrets"]},
    "enabledClusterLogTypes": ["api", "audit", "authenticator"],
    "vpcConfig": {"endpointPublicAccess": False},
}


def deployment(image: str) -> dict[str, Any]:
    """A Deployment every workload rule accepts, running ``image``."""
    container = {
        "name": "server",
        "image": image,
        "securityContext": {
            "runAsNonRoot": True,
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "resources": {"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"cpu": "1", "memory": "1Gi"}},
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "ep", "namespace": "serving"},
        "spec": {"template": {"spec": {"serviceAccountName": "server", "containers": [container]}}},
    }


def bucket_with(*skip: str) -> list[Registration]:
    bucket = reg("data", "aws:s3/bucket:Bucket", {})
    companions = {
        "versioning": ("aws:s3/bucketVersioning:BucketVersioning", {"versioningConfiguration": {"status": "Enabled"}}),
        "sse": (
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            {"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms"}}]},
        ),
        "pab": (
            "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
            {
                "blockPublicAcls": True,
                "blockPublicPolicy": True,
                "ignorePublicAcls": True,
                "restrictPublicBuckets": True,
            },
        ),
        "lifecycle": ("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
                      {"rules": [{"id": "noncurrent", "status": "Enabled"}]}),
        "ownership": ("aws:s3/bucketOwnershipControls:BucketOwnershipControls",
                      {"rule": {"objectOwnership": "BucketOwnerEnforced"}}),
        "tls": ("aws:s3/bucketPolicy:BucketPolicy", {"policy": json.dumps({"Statement": [
            {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
             "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]})}),
    }  # fmt: skip
    return [bucket] + [
        reg(f"data-{key}", type_, inputs, deps=[bucket.urn])
        for key, (type_, inputs) in companions.items()
        if key not in skip
    ]


REPOSITORY = "aws:ecr/repository:Repository"


def lifecycle_of(repository: str) -> list[Registration]:
    """The lifecycle policy of the repository ``reg(repository, ...)`` registers."""
    urn = f"urn:pulumi:prod::p::{REPOSITORY}::{repository}"
    return [reg(f"{repository}-lifecycle", "aws:ecr/lifecyclePolicy:LifecyclePolicy", {}, deps=[urn])]


def test_good_resources_pass() -> None:
    assert (
        violations(
            reg("lt", "aws:ec2/launchTemplate:LaunchTemplate", GOOD_TEMPLATE),
            reg("repo", "aws:ecr/repository:Repository", GOOD_REPO),
            *lifecycle_of("repo"),
            reg("eks", "aws:eks/cluster:Cluster", GOOD_CLUSTER),
            reg(
                "ep",
                "kubernetes:apps/v1:Deployment",
                deployment("123456789012.dkr.ecr.us-east-1.amazonaws.com/server@sha256:" + "a" * 64),
            ),
            reg("ep2", "kubernetes:apps/v1:Deployment", deployment("vllm/vllm-openai:v0.9.2")),
            *bucket_with(),
        )
        == []
    )


@pytest.mark.parametrize(
    ("resource", "policy", "fragment"),
    [
        (
            reg(
                "lt",
                "aws:ec2/launchTemplate:LaunchTemplate",
                {**GOOD_TEMPLATE, "metadataOptions": {"httpTokens": "optional"}},
            ),
            "ec2-launch-template-hardened",
            "IMDSv2 is not required",
        ),
        (
            reg(
                "lt",
                "aws:ec2/launchTemplate:LaunchTemplate",
                {**GOOD_TEMPLATE, "blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {}}]},
            ),
            "ec2-launch-template-hardened",
            "volume /dev/xvda is not encrypted",
        ),
        (
            reg(
                "lt",
                "aws:ec2/launchTemplate:LaunchTemplate",
                {**GOOD_TEMPLATE, "networkInterfaces": [{"associatePublicIpAddress": "true"}]},
            ),
            "ec2-launch-template-hardened",
            "public IP",
        ),
        (
            reg("repo", "aws:ecr/repository:Repository", {**GOOD_REPO, "imageTagMutability": "MUTABLE"}),
            "ecr-repository-hardened",
            "IMMUTABLE",
        ),
        (
            reg("repo", "aws:ecr/repository:Repository", {**GOOD_REPO, "imageScanningConfiguration": {}}),
            "ecr-repository-hardened",
            "scan on push",
        ),
        (
            reg("eks", "aws:eks/cluster:Cluster", {**GOOD_CLUSTER, "encryptionConfig": {}}),
            "eks-cluster-hardened",
            "secrets are not encrypted",
        ),
        (
            reg("eks", "aws:eks/cluster:Cluster", {**GOOD_CLUSTER, "enabledClusterLogTypes": ["api"]}),
            "eks-cluster-hardened",
            "audit, authenticator",
        ),
        (
            reg("eks", "aws:eks/cluster:Cluster", {**GOOD_CLUSTER, "vpcConfig": {"endpointPublicAccess": True}}),
            "eks-cluster-hardened",
            "public to the whole internet",
        ),
        (
            reg(
                "eks",
                "aws:eks/cluster:Cluster",
                {
                    **GOOD_CLUSTER,
                    "vpcConfig": {"endpointPublicAccess": True, "publicAccessCidrs": ["0.0.0.0/1", "128.0.0.0/1"]},
                },
            ),
            "eks-cluster-hardened",
            "public to too much of the internet (0.0.0.0/1, 128.0.0.0/1: 3,702,259,456 public IPv4 addresses in total",
        ),
        (
            reg(
                "sg",
                "aws:ec2/securityGroup:SecurityGroup",
                {
                    "ingress": [
                        {
                            "protocol": "tcp",
                            "fromPort": 22.0,
                            "toPort": 22.0,
                            "cidrBlocks": ["0.0.0.0/2", "64.0.0.0/2", "128.0.0.0/2", "192.0.0.0/2"],
                        }
                    ],
                    "tags": {"team": "ml", "cost-center": "cc", "environment": "prod"},
                },
            ),
            "ec2-no-world-ingress",
            "ingress open to the world (0.0.0.0/2, 64.0.0.0/2, 128.0.0.0/2, 192.0.0.0/2 tcp 22-22)",
        ),
        (
            reg("ep", "kubernetes:apps/v1:Deployment", deployment("vllm/vllm-openai:latest")),
            "k8s-pinned-images",
            "unpinned image",
        ),
        (reg("ep", "kubernetes:apps/v1:Deployment", deployment("nginx")), "k8s-pinned-images", "unpinned image"),
        *[
            (
                reg("ep", "kubernetes:apps/v1:Deployment", deployment(image)),
                "k8s-pinned-images",
                f"runs {image!r}, which is no valid image reference",
            )
            for image in ("@sha256:", "repo@sha256:zzzz", "Repo@sha256:" + "a" * 64, "repo@sha256:" + "A" * 64, "a b:1")
        ],
        (
            reg("key", "aws:kms/key:Key", {"enableKeyRotation": True}, protect=False),
            "stateful-resources-protected",
            "aws:kms/key:Key key is not protected",
        ),
    ],
)
def test_bad_resources_are_flagged(resource: Registration, policy: str, fragment: str) -> None:
    # A repository comes with the lifecycle policy ecr-lifecycle-policy asks for: one rule per case.
    found = violations(resource, *(lifecycle_of(resource.name) if resource.type == REPOSITORY else []))
    assert [(p, name) for p, name, _ in found] == [(policy, resource.name)]
    assert fragment in found[0][2]


@pytest.mark.parametrize(
    ("action", "admin"),
    [
        *[(action, True) for action in ("*", "*:*", "**", "IAM:*", "i?m:*", "s3:*")],
        *[(action, False) for action in ("*:Create*", "*:*Key*", "iam:Get*", "sqs:*", "s3:GetObject", ":*", "*:")],
    ],
)
def test_an_action_is_admin_when_it_matches_every_action_of_a_sensitive_service(action: str, admin: bool) -> None:
    """IAM matches actions case-insensitively with ``*`` and ``?``, the service prefix too."""
    document = {"Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}]}
    assert wildcard_grants(document, SENSITIVE_SERVICES) == ([f"{action} on *"] if admin else [])


def test_not_resource_allows_every_resource_but_a_few() -> None:
    everywhere_but = "arn:aws:s3:::nothing"
    document = {
        "Statement": [
            {"Effect": "Allow", "Action": ["*", "s3:GetObject"], "NotResource": everywhere_but},
            {"Effect": "Allow", "NotAction": "iam:*", "NotResource": [everywhere_but]},
            {"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "NotResource": everywhere_but},
            {"Effect": "Deny", "Action": "*", "NotResource": everywhere_but},
        ]
    }
    policy = reg("admin", "aws:iam/policy:Policy", {"policy": json.dumps(document)})
    assert [message for _, _, message in violations(policy)] == [
        f"the policy allows {grant} on every resource but its NotResource: grant the actions it needs on the "
        "resources it uses"
        for grant in ("*", "Allow with NotAction")
    ]


@pytest.mark.parametrize(
    ("skip", "fragment"),
    [
        ("versioning", "versioning is not enabled"),
        ("sse", "default encryption is not SSE-KMS"),
        ("pab", "no public access block with all four flags"),
    ],
)
def test_buckets_need_their_companions(skip: str, fragment: str) -> None:
    [(policy, name, message)] = violations(*bucket_with(skip))
    assert (policy, name) == ("s3-bucket-secure", "data")
    assert message == fragment


def test_only_taggable_resources_need_tags() -> None:
    types = taggable_types()
    assert {"aws:s3/bucket:Bucket", "aws:eks/nodeGroup:NodeGroup", "aws:sqs/queue:Queue"} <= types
    assert "aws:iam/rolePolicyAttachment:RolePolicyAttachment" not in types  # the AWS API takes no tags
    untagged = Registration(
        "urn:pulumi:prod::p::aws:iam/rolePolicyAttachment:RolePolicyAttachment::a",
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "a", True, None, None, [],
        {"role": "r", "policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"},
    )  # fmt: skip
    assert [p for p, _, _ in violations(untagged)] == []


@pytest.mark.parametrize(
    ("type_", "inputs"),
    [
        ("aws:iam/policy:Policy", {"policy": "[unknown]"}),
        ("aws:iam/role:Role", {"assumeRolePolicy": None}),
        ("aws:ec2/securityGroup:SecurityGroup", {"ingress": "[unknown]"}),
        ("kubernetes:apps/v1:Deployment", {"apiVersion": "apps/v1", "kind": "Deployment", "spec": "[unknown]"}),
        ("aws:eks/nodeGroup:NodeGroup", {"instanceTypes": "[unknown]", "scalingConfig": None}),
    ],
)
def test_unknown_values_are_never_violations(type_: str, inputs: dict[str, Any]) -> None:
    resource = Registration(f"urn:pulumi:prod::p::{type_}::x", type_, "x", True, None, PROVIDER, [], inputs)
    assert [p for p, _, _ in violations(resource)] == []


def patch(type_: str, kind: str, api_version: str, pod: dict[str, Any], **spec: Any) -> Registration:
    """A Kubernetes Patch as the SDK registers it (``kind`` and ``apiVersion`` of the object it patches)."""
    inputs = {"apiVersion": api_version, "kind": kind, "metadata": {"name": "coredns", "namespace": "kube-system"}}
    template = pod if kind == "Pod" else {"template": {"spec": pod}}
    if kind == "CronJob":
        template = {"jobTemplate": {"spec": template}}
    return reg(f"{kind.lower()}-patch", f"kubernetes:{type_}:{kind}Patch", inputs | {"spec": template | spec})


PATCH_KINDS = [
    ("apps/v1", "Deployment", "apps/v1"),
    ("apps/v1", "StatefulSet", "apps/v1"),
    ("apps/v1", "DaemonSet", "apps/v1"),
    ("batch/v1", "Job", "batch/v1"),
    ("batch/v1", "CronJob", "batch/v1"),
    ("core/v1", "Pod", "v1"),
]


@pytest.mark.parametrize(("type_", "kind", "api_version"), PATCH_KINDS)
def test_patches_are_judged_on_what_they_set(type_: str, kind: str, api_version: str) -> None:
    """A patch leaves unset fields to the live object: the absence of a field is no violation."""
    privileged = {"containers": [{"name": "coredns", "securityContext": {"privileged": True}}]}
    [(policy, _, message)] = violations(patch(type_, kind, api_version, privileged))
    assert (policy, message.split(":")[0]) == ("k8s-no-host-access", "container coredns is privileged")
    served = {
        "containers": [
            {"name": "coredns", "image": "registry.k8s.io/coredns/coredns:v1.12.0", "ports": [{"containerPort": 53}]}
        ]
    }
    assert violations(patch(type_, kind, api_version, served, replicas=3)) == []
    unsafe = {
        "hostNetwork": True,
        "containers": [
            {
                "name": "coredns",
                "image": "registry.k8s.io/coredns/coredns:latest",
                "securityContext": {
                    "runAsNonRoot": False,
                    "allowPrivilegeEscalation": True,
                    "readOnlyRootFilesystem": False,
                    "capabilities": {"add": ["SYS_ADMIN"]},
                },
                "resources": {"requests": {"nvidia.com/gpu": "1"}, "limits": {"nvidia.com/gpu": "2"}},
            }
        ],
    }
    found = {
        (p, m.split(" (")[0].split(":")[0])
        for p, _, m in violations(patch(type_, kind, api_version, unsafe))
        if p.startswith("k8s-") and p != "k8s-await-covers-startup"  # the GPU's scale-up is a real wait
    }
    assert found == {
        ("k8s-no-host-access", "hostNetwork"),
        ("k8s-pinned-images", "container coredns runs unpinned image 'registry.k8s.io/coredns/coredns"),
        ("k8s-least-privilege", "container coredns adds capabilities SYS_ADMIN"),
        ("k8s-least-privilege", "container coredns may run as root"),
        ("k8s-least-privilege", "container coredns allows privilege escalation"),
        ("k8s-least-privilege", "container coredns can write its root filesystem"),
        ("k8s-resources-set", "container coredns requests nvidia.com/gpu without an equal limit"),
    }

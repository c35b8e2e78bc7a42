"""What the storage components emit, checked by tools we did not write.

- parliament (duo-labs' IAM linter) on every IAM/resource policy document;
- botocore's service models for every enum value the components send to AWS.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import botocore.session
import pytest

from components.artifact_bucket import Access, prefix_policy, tls_only_policy
from components.cluster import autoscaler_policy
from components.container_registry import lifecycle_policy, pull_policy
from components.iam import irsa_trust_policy, service_trust_policy
from components.kms import account_key_policy
from components.monitoring_stack import publish_policy, topic_policy
from components.network import flow_log_role_policy

pytestmark = pytest.mark.validators

PARLIAMENT = Path(sys.executable).with_name("parliament")
VENDOR = Path(__file__).parents[1] / "vendor"
BUCKET = "arn:aws:s3:::models-bucket-1a2b3c4"
ISSUER = "oidc.eks.us-east-1.amazonaws.com/id/ABC"
KEY = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"

DOCUMENTS = {
    "read-only prefix": json.dumps(prefix_policy(BUCKET, KEY, "models/fraud-detector/", Access.READ_ONLY)),
    "read-write prefix": json.dumps(prefix_policy(BUCKET, KEY, "datasets/train/", Access.READ_WRITE)),
    "bucket TLS-only": tls_only_policy(BUCKET),
    "cluster-autoscaler IRSA": autoscaler_policy("mlops-prod", "us-east-1", "123456789012"),
    "VPC flow logs role": flow_log_role_policy("arn:aws:logs:us-east-1:123456789012:log-group:flow-logs"),
    "Alertmanager IRSA": publish_policy("arn:aws:sns:us-east-1:123456789012:alerts", KEY),
    "alert topic policy": topic_policy("arn:aws:sns:us-east-1:123456789012:alerts", "123456789012"),
}

# Resource-based policies whose resource is implicit: parliament lints every document as an
# identity policy, so it reports exactly these, and nothing else may appear.
RESOURCE_POLICIES = {
    # In a key policy, "Resource": "*" means "this key" (AWS KMS key policy docs).
    "KMS key policy": (account_key_policy("aws", "123456789012"), ["RESOURCE_STAR"]),
    # An ECR repository policy has no Resource element; the repository is the resource.
    "ECR pull policy": (pull_policy(["210987654321"]), ["MALFORMED"]),
    # Trust policies name who may assume a role, not a resource; parliament knows no EKS OIDC issuer.
    "EKS service trust": (service_trust_policy("eks.amazonaws.com"), ["MALFORMED"]),
    "IRSA trust": (
        irsa_trust_policy(f"arn:aws:iam::123456789012:oidc-provider/{ISSUER}", f"https://{ISSUER}", "serving", "llm"),
        ["UNKNOWN_FEDERATION_SOURCE", "MALFORMED"],
    ),
}


def parliament(document: str) -> list[dict[str, Any]]:
    result = subprocess.run(
        [str(PARLIAMENT), "--json"], input=document, capture_output=True, text=True, timeout=120, check=False
    )
    findings = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert result.returncode == (1 if findings else 0), result.stderr
    return findings


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_documents_pass_parliament(name: str) -> None:
    assert parliament(DOCUMENTS[name]) == []


@pytest.mark.parametrize("name", sorted(RESOURCE_POLICIES))
def test_resource_policies_only_show_the_implicit_resource(name: str) -> None:
    document, expected = RESOURCE_POLICIES[name]
    assert [f["issue"] for f in parliament(document)] == expected


def test_parliament_does_find_problems() -> None:
    bad = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObjectt", "Resource": "*"}],
    }
    assert [f["issue"] for f in parliament(json.dumps(bad))] == ["UNKNOWN_ACTION"]


def enum(service: str, shape: str) -> list[str]:
    return botocore.session.get_session().get_service_model(service).shape_for(shape).enum


def test_enum_values_exist_in_botocore_models() -> None:
    assert "IMMUTABLE" in enum("ecr", "ImageTagMutability")
    assert "KMS" in enum("ecr", "EncryptionType")
    assert "aws:kms" in enum("s3", "ServerSideEncryption")
    assert "BucketOwnerEnforced" in enum("s3", "ObjectOwnership")
    assert "GOVERNANCE" in enum("s3", "ObjectLockRetentionMode")
    assert "INTELLIGENT_TIERING" in enum("s3", "TransitionStorageClass")
    assert "Enabled" in enum("s3", "BucketVersioningStatus")
    assert "Enabled" in enum("s3", "ExpirationStatus")


def test_ecr_lifecycle_policy_values_are_the_documented_ones() -> None:
    # The policy is a string to PutLifecyclePolicy: its values are the user guide's (vendored), not
    # botocore's TagStatus / ImageActionType, enums of a DescribeImages filter and a preview response.
    documented = json.loads((VENDOR / "aws-docs" / "ecr_lifecycle_policy.json").read_text())
    rules = json.loads(lifecycle_policy(10, 3))["rules"]
    assert {r["selection"]["tagStatus"] for r in rules} <= set(documented["selection.tagStatus"])
    assert {r["selection"]["countType"] for r in rules} <= set(documented["selection.countType"])
    assert {r["action"]["type"] for r in rules} <= set(documented["action.type"])
    priorities = [r["rulePriority"] for r in rules]
    assert priorities == sorted(set(priorities))

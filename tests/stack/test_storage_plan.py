"""Buckets and registries in the real dev and prod plans."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.stack

STATEFUL = {
    "aws:s3/bucket:Bucket",
    "aws:kms/key:Key",
    "aws:ecr/repository:Repository",
    "aws:eks/cluster:Cluster",
    "aws:rds/instance:Instance",
}
COMPANIONS = {
    "versioning": "aws:s3/bucketVersioning:BucketVersioning",
    "encryption": "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "public-access-block": "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    "ownership": "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    "tls-policy": "aws:s3/bucketPolicy:BucketPolicy",
    "lifecycle": "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
}

# URNs of stateful resources must never change: a change would replace (delete) data.
PINNED_URNS = [
    "urn:pulumi:{stack}::mlops-platform::mlops:index:ArtifactBucket$aws:s3/bucket:Bucket::models-bucket",
    "urn:pulumi:{stack}::mlops-platform::mlops:index:ArtifactBucket$aws:kms/key:Key::models-key",
    "urn:pulumi:{stack}::mlops-platform::mlops:index:ArtifactBucket$aws:s3/bucket:Bucket::datasets-bucket",
    "urn:pulumi:{stack}::mlops-platform::mlops:index:ArtifactBucket$aws:kms/key:Key::datasets-key",
    "urn:pulumi:{stack}::mlops-platform::mlops:index:ContainerRegistry$aws:ecr/repository:Repository::registry-serving-repository",
    "urn:pulumi:{stack}::mlops-platform::mlops:index:ContainerRegistry$aws:ecr/repository:Repository::registry-training-repository",
    "urn:pulumi:{stack}::mlops-platform::mlops:index:ContainerRegistry$aws:kms/key:Key::registry-key",
    "urn:pulumi:{stack}::mlops-platform::mlops:index:Cluster$aws:eks/cluster:Cluster::eks-cluster",
    "urn:pulumi:{stack}::mlops-platform::mlops:index:Cluster$aws:kms/key:Key::eks-secrets-key",
    "urn:pulumi:{stack}::mlops-platform::mlops:index:MonitoringStack$aws:kms/key:Key::monitoring-alerts-key",
    "urn:pulumi:{stack}::mlops-platform::mlops:index:ModelRegistry$aws:rds/instance:Instance::mlflow-db",
    "urn:pulumi:{stack}::mlops-platform::mlops:index:ModelRegistry$aws:kms/key:Key::mlflow-db-key",
]


def resources(plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in plan["resources"]}


def test_stateful_urns_are_pinned(stack_plan: tuple[Any, dict[str, Any]]) -> None:
    _, plan = stack_plan
    urns = {r["urn"] for r in plan["resources"]}
    missing = [u for u in (p.format(stack=plan["stack"]) for p in PINNED_URNS) if u not in urns]
    assert missing == []


def test_every_bucket_has_its_companions(stack_plan: tuple[Any, dict[str, Any]]) -> None:
    _, plan = stack_plan
    by_name = resources(plan)
    buckets = [r for r in plan["resources"] if r["type"] == "mlops:index:ArtifactBucket"]
    assert {b["name"] for b in buckets} == {"models", "datasets"}
    for bucket in buckets:
        for suffix, type_ in COMPANIONS.items():
            child = by_name[f"{bucket['name']}-{suffix}"]
            assert (child["type"], child["parent"]) == (type_, bucket["urn"])
        bucket_resource = by_name[f"{bucket['name']}-bucket"]
        assert "forceDestroy" not in bucket_resource["inputs"]
        sse = by_name[f"{bucket['name']}-encryption"]["inputs"]["rules"][0]
        assert sse["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "aws:kms"
        assert sse["bucketKeyEnabled"] is True


def test_prod_protects_and_retains_all_stateful_resources(prod_plan: dict[str, Any]) -> None:
    stateful = [r for r in prod_plan["resources"] if r["type"] in STATEFUL]
    assert sorted(r["name"] for r in stateful) == [
        "datasets-bucket", "datasets-key", "eks-cluster", "eks-logs-key", "eks-secrets-key", "mlflow-db",
        "mlflow-db-key", "models-bucket", "models-key", "monitoring-alerts-key", "network-flow-logs-key",
        "registry-key", "registry-llm-serving-repository", "registry-mlflow-repository",
        "registry-model-copier-repository", "registry-serving-repository", "registry-training-repository",
    ]  # fmt: skip
    unprotected = [r["name"] for r in stateful if not (r["options"]["protect"] and r["options"]["retainOnDelete"])]
    assert unprotected == []


def test_dev_can_be_destroyed(dev_plan: dict[str, Any]) -> None:
    stateful = [r for r in dev_plan["resources"] if r["type"] in STATEFUL]
    assert stateful and not any(r["options"]["protect"] for r in stateful)


def test_prod_keeps_versions_longer_and_locks_released_models(
    dev_plan: dict[str, Any], prod_plan: dict[str, Any]
) -> None:
    def noncurrent_days(plan: dict[str, Any]) -> int:
        rules = resources(plan)["models-lifecycle"]["inputs"]["rules"]
        return next(
            r["noncurrentVersionExpiration"]["noncurrentDays"] for r in rules if "noncurrentVersionExpiration" in r
        )

    assert noncurrent_days(prod_plan) > noncurrent_days(dev_plan)
    assert resources(prod_plan)["models-object-lock"]["inputs"]["rule"]["defaultRetention"]["mode"] == "GOVERNANCE"
    assert "models-object-lock" not in resources(dev_plan)


def test_repositories_in_the_plan(stack_plan: tuple[Any, dict[str, Any]]) -> None:
    _, plan = stack_plan
    repos = [r for r in plan["resources"] if r["type"] == "aws:ecr/repository:Repository"]
    names = {"serving", "training"} | ({"llm-serving", "model-copier", "mlflow"} if plan["stack"] == "prod" else set())
    assert {r["inputs"]["name"] for r in repos} == names
    for repo in repos:
        assert repo["inputs"]["imageTagMutability"] == "IMMUTABLE"
        assert repo["inputs"]["imageScanningConfiguration"] == {"scanOnPush": True}
        assert repo["inputs"]["encryptionConfigurations"][0]["encryptionType"] == "KMS"
    lifecycles = [r for r in plan["resources"] if r["type"] == "aws:ecr/lifecyclePolicy:LifecyclePolicy"]
    assert {r["inputs"]["repository"] for r in lifecycles} == names
    assert set(plan["outputs"]["repositoryUrls"]) == names


def test_images_build_from_paths_that_hold_on_every_checkout(stack_plan: tuple[Any, dict[str, Any]]) -> None:
    """pulumi-docker diffs ``build.context`` and ``build.dockerfile`` as strings: a path of this
    checkout would be a change, and a rebuild, on every other machine. They are relative to the
    program's directory (where Pulumi runs it), and lead to the config's contexts."""
    _, plan = stack_plan
    checkout = str(ROOT)
    assert checkout not in json.dumps(plan)
    images = [r for r in plan["resources"] if r["type"] == "docker:index/image:Image"]
    assert len(images) == (4 if plan["stack"] == "prod" else 0)
    for image in images:
        build = image["inputs"]["build"]
        context = ROOT / "infra" / build["context"]
        assert not Path(build["context"]).is_absolute() and context.resolve().parent == ROOT / "images"
        assert (ROOT / "infra" / build["dockerfile"]).resolve() == context.resolve() / "Dockerfile"

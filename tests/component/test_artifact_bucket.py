"""ArtifactBucket under mocks: the inputs of every child resource."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest

from components.artifact_bucket import Access, ArtifactBucket, ArtifactBucketArgs
from tests.conftest import RunProgram, named

pytestmark = pytest.mark.component

KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"


def build(run: RunProgram, args: ArtifactBucketArgs | None = None, seen: dict[str, Any] | None = None):
    def program() -> None:
        bucket = ArtifactBucket("models", args)
        if seen is not None:
            bucket.policy_document("models/fraud/").apply(lambda d: seen.update(read=json.loads(d)))
            bucket.policy_document("models/fraud/", Access.READ_WRITE).apply(lambda d: seen.update(write=json.loads(d)))
            pulumi.Output.all(bucket.arn, bucket.kms_key_arn).apply(lambda a: seen.update(arns=a))

    return named(run(program))


def test_secure_defaults_for_every_child(run: RunProgram) -> None:
    r = build(run)
    assert r["models"].type == "mlops:index:ArtifactBucket"
    assert set(r) == {
        "models", "models-key", "models-bucket", "models-versioning", "models-encryption",
        "models-public-access-block", "models-ownership", "models-tls-policy", "models-lifecycle",
    }  # fmt: skip
    component = r["models"].urn
    assert all(res.parent == component for name, res in r.items() if name != "models")

    bucket = r["models-bucket"]
    assert bucket.type == "aws:s3/bucket:Bucket"
    assert "forceDestroy" not in bucket.inputs and "acl" not in bucket.inputs
    assert (bucket.protect, bucket.retain_on_delete) == (True, True)

    key = r["models-key"]
    assert key.inputs["enableKeyRotation"] is True
    assert key.inputs["deletionWindowInDays"] == 30
    assert (key.protect, key.retain_on_delete) == (True, True)
    key_policy = json.loads(key.inputs["policy"])
    assert [s["Principal"] for s in key_policy["Statement"]] == [{"AWS": "arn:aws:iam::123456789012:root"}]

    bucket_name = r["models-versioning"].inputs["bucket"]
    assert bucket_name.startswith("models-bucket-")
    assert r["models-versioning"].inputs["versioningConfiguration"] == {"status": "Enabled"}

    [rule] = r["models-encryption"].inputs["rules"]
    assert rule["bucketKeyEnabled"] is True
    assert rule["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "aws:kms"
    assert rule["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"].startswith(
        "arn:aws:kms:us-east-1:123456789012:key/"
    )

    pab = r["models-public-access-block"].inputs
    flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    assert [pab[k] for k in flags] == [True, True, True, True]
    assert r["models-ownership"].inputs["rule"] == {"objectOwnership": "BucketOwnerEnforced"}

    policy = r["models-tls-policy"]
    [statement] = json.loads(policy.inputs["policy"])["Statement"]
    assert statement["Effect"] == "Deny"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert statement["Resource"] == [f"arn:aws:s3:::{bucket_name}", f"arn:aws:s3:::{bucket_name}/*"]
    assert r["models-public-access-block"].urn in policy.dependencies

    lifecycle = r["models-lifecycle"]
    assert r["models-versioning"].urn in lifecycle.dependencies
    rules = {rule["id"]: rule for rule in lifecycle.inputs["rules"]}
    assert set(rules) == {"abort-incomplete-multipart-uploads", "expire-noncurrent-versions"}
    assert rules["abort-incomplete-multipart-uploads"]["abortIncompleteMultipartUpload"] == {"daysAfterInitiation": 7}
    assert rules["expire-noncurrent-versions"]["noncurrentVersionExpiration"] == {"noncurrentDays": 90}
    assert all(rule["status"] == "Enabled" and rule["filter"] == {"prefix": ""} for rule in rules.values())


def test_options_tiering_lock_logging_and_existing_key(run: RunProgram) -> None:
    r = build(
        run,
        {
            "bucket_name": "acme-ml-models",
            "kms_key_arn": KEY_ARN,
            "noncurrent_version_days": 365,
            "intelligent_tiering_days": 30,
            "object_lock_days": 14,
            "access_log_bucket": "acme-access-logs",
            "protect": False,
        },
    )
    assert "models-key" not in r
    assert r["models-bucket"].inputs == {"bucket": "acme-ml-models", "objectLockEnabled": True}
    assert (r["models-bucket"].protect, r["models-bucket"].retain_on_delete) == (False, False)
    sse = r["models-encryption"].inputs["rules"][0]["applyServerSideEncryptionByDefault"]
    assert sse["kmsMasterKeyId"] == KEY_ARN
    rules = {rule["id"]: rule for rule in r["models-lifecycle"].inputs["rules"]}
    assert rules["intelligent-tiering"]["transitions"] == [{"days": 30, "storageClass": "INTELLIGENT_TIERING"}]
    assert rules["expire-noncurrent-versions"]["noncurrentVersionExpiration"] == {"noncurrentDays": 365}
    assert r["models-object-lock"].inputs["rule"] == {"defaultRetention": {"days": 14, "mode": "GOVERNANCE"}}
    assert r["models-object-lock"].inputs["objectLockEnabled"] == "Enabled"
    assert r["models-logging"].inputs == {
        "bucket": "acme-ml-models", "targetBucket": "acme-access-logs", "targetPrefix": "models/"
    }  # fmt: skip


def test_prefix_documents_grant_only_the_prefix(run: RunProgram) -> None:
    seen: dict[str, Any] = {}
    build(run, seen=seen)
    bucket_arn, key_arn = seen["arns"]
    read = {s["Sid"]: s for s in seen["read"]["Statement"]}
    assert read["ListPrefix"]["Resource"] == bucket_arn
    assert read["ListPrefix"]["Condition"] == {"StringLike": {"s3:prefix": ["models/fraud/", "models/fraud/*"]}}
    assert read["ObjectsUnderPrefix"]["Resource"] == f"{bucket_arn}/models/fraud/*"
    assert read["ObjectsUnderPrefix"]["Action"] == ["s3:GetObject", "s3:GetObjectVersion"]
    assert read["BucketKey"] == {
        "Sid": "BucketKey",
        "Effect": "Allow",
        "Action": ["kms:Decrypt"],
        "Resource": key_arn,
    }
    write = {s["Sid"]: s for s in seen["write"]["Statement"]}
    assert "s3:PutObject" in write["ObjectsUnderPrefix"]["Action"]
    assert write["BucketKey"]["Action"] == ["kms:Decrypt", "kms:GenerateDataKey"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"bucket_name": "Bad_Name"}, "only lowercase letters"),
        ({"bucket_name": "a..b"}, "two adjacent dots"),
        ({"noncurrent_version_days": 0}, "noncurrent_version_days must be > 0"),
        ({"abort_multipart_days": -1}, "abort_multipart_days must be > 0"),
        ({"object_lock_days": 0}, "object_lock_days must be > 0"),
    ],
)
def test_bad_arguments_fail_before_any_resource(run: RunProgram, args: ArtifactBucketArgs, message: str) -> None:
    def program() -> None:
        with pytest.raises(ValueError, match=message):
            ArtifactBucket("models", args)

    assert list(named(run(program))) == []


@pytest.mark.parametrize("prefix", ["/models/x/", "models/x", "models/*/", "", "models//x/"])
def test_bad_prefixes_are_refused(run: RunProgram, prefix: str) -> None:
    def program() -> None:
        ArtifactBucket("models").policy_document(prefix)

    with pytest.raises(ValueError, match="must be a key prefix"):
        run(program)

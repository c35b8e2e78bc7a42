"""Every botocore enum a validator of ours compares against belongs to the *request* of the
operation that creates what we send it to: a value checked against a response's enum (as
LifecycleSupportName once was) may be one the API refuses."""

from __future__ import annotations

from functools import cache
from typing import Any

import botocore.session
import pytest

pytestmark = pytest.mark.validators

# shape -> the creating or configuring operation whose request our value reaches.
COMPARED: dict[tuple[str, str], str] = {
    ("ec2", "InstanceType"): "RunInstances",
    ("eks", "AMITypes"): "CreateNodegroup",
    ("eks", "CapacityTypes"): "CreateNodegroup",
    ("eks", "TaintEffect"): "CreateNodegroup",
    ("ecr", "ImageTagMutability"): "CreateRepository",
    ("ecr", "EncryptionType"): "CreateRepository",
    ("s3", "ServerSideEncryption"): "PutBucketEncryption",
    ("s3", "ObjectOwnership"): "PutBucketOwnershipControls",
    ("s3", "ObjectLockRetentionMode"): "PutObjectLockConfiguration",
    ("s3", "TransitionStorageClass"): "PutBucketLifecycleConfiguration",
    ("s3", "BucketVersioningStatus"): "PutBucketVersioning",
    ("s3", "ExpirationStatus"): "PutBucketLifecycleConfiguration",
}


@cache
def _request_shapes(service: str, operation: str) -> frozenset[str]:
    seen: set[str] = set()

    def walk(shape: Any) -> None:
        if shape is None or shape.name in seen:
            return
        seen.add(shape.name)
        for child in [
            *getattr(shape, "members", {}).values(),
            *(getattr(shape, a, None) for a in ("member", "key", "value")),
        ]:
            walk(child)

    model = botocore.session.get_session().get_service_model(service)
    walk(model.operation_model(operation).input_shape)
    return frozenset(seen)


@pytest.mark.parametrize(("service", "shape"), sorted(COMPARED), ids=[f"{s}.{n}" for s, n in sorted(COMPARED)])
def test_compared_enums_are_request_shapes(service: str, shape: str) -> None:
    assert shape in _request_shapes(service, COMPARED[(service, shape)])


@pytest.mark.parametrize(
    ("service", "shape", "operation"),
    [
        ("rds", "LifecycleSupportName", "CreateDBInstance"),
        ("ecr", "ImageActionType", "PutLifecyclePolicy"),
        ("ecr", "TagStatus", "PutLifecyclePolicy"),
    ],
)
def test_response_enums_we_no_longer_compare_with(service: str, shape: str, operation: str) -> None:
    # The lists earlier validators used: none reaches the request they were meant to check.
    assert shape not in _request_shapes(service, operation)

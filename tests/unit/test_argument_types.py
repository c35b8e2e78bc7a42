"""Component arguments are checked against their TypedDict's int/float/bool declarations."""

from __future__ import annotations

import pytest

from components.artifact_bucket import ArtifactBucketArgs
from components.cluster import ClusterArgs
from components.container_registry import Repository
from components.errors import argument_type_problems
from components.model_serving_endpoint import ModelServingEndpointArgs
from components.monitoring_stack import MonitoringStackArgs

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("args_type", "args", "problems"),
    [
        (ClusterArgs, {"system_min_size": True}, ["system_min_size must be an integer (got True)"]),
        (ClusterArgs, {"endpoint_public_access": 1}, ["endpoint_public_access must be True or False (got 1)"]),
        (ModelServingEndpointArgs, {"replicas": 2.0}, ["replicas must be an integer (got 2.0)"]),
        (
            MonitoringStackArgs,
            {"monthly_gpu_budget_usd": "100"},
            ["monthly_gpu_budget_usd must be a number (got '100')"],
        ),
        (ArtifactBucketArgs, {"object_lock_days": False}, ["object_lock_days must be an integer (got False)"]),
        (
            Repository,
            {"name": "x", "keep_tagged_images": "30"},
            ["keep_tagged_images must be an integer (got '30')"],
        ),
        # Right types, and fields the TypedDict does not declare as scalars, pass.
        (MonitoringStackArgs, {"monthly_gpu_budget_usd": 100, "retention_days": 15, "persistent_storage": True}, []),
        (ModelServingEndpointArgs, {"name": "e", "max_replicas": None}, []),
    ],
)
def test_scalar_arguments_have_their_declared_type(
    args_type: type, args: dict[str, object], problems: list[str]
) -> None:
    assert argument_type_problems(args, args_type) == problems

"""A component names every problem of its arguments at once: a wrong-typed argument does not
hide the others (issue 21: the library checks as the config does)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from components.artifact_bucket import validate_bucket
from components.cluster import validate_cluster
from components.container_registry import repository_problems
from components.gpu_node_pool import validate_pool
from components.karpenter import validate_karpenter
from components.model_registry import validate_registry
from components.monitoring_stack import validate_monitoring
from components.state_backend import validate_state_backend

pytestmark = pytest.mark.unit

CASES: list[tuple[Callable[[Any], list[str]], dict[str, Any], list[str]]] = [
    (
        validate_cluster,
        {"cluster_name": "c", "subnet_ids": [], "region": "us-east-1", "system_min_size": "1", "version": "1.0"},
        ["system_min_size must be", "version must be one of"],
    ),
    (
        validate_pool,
        {"cluster_name": "c", "node_security_group_id": "sg", "subnet_ids": [], "instance_types": ["g6.xlarge"],
         "max_size": "2", "capacity_type": "CHEAP"},
        ["max_size must be", "capacity_type must be ON_DEMAND or SPOT"],
    ),
    (
        validate_karpenter,
        {"cluster_name": "c", "cluster_endpoint": "e", "oidc_provider_arn": "a", "oidc_issuer_url": "u",
         "region": "us-east-1", "service_monitor": "yes", "replicas": 20},
        ["service_monitor must be", "replicas must be 1..10"],
    ),
    (
        validate_state_backend,
        {"region": "us-east-1", "stacks": ["Prod"], "protect": "yes"},
        ["protect must be", "stack name 'Prod' must be lowercase"],
    ),
]  # fmt: skip


@pytest.mark.parametrize(("validate", "args", "expected"), CASES, ids=lambda c: getattr(c, "__name__", None))
def test_a_wrong_type_does_not_hide_the_other_problems(
    validate: Callable[[Any], list[str]], args: dict[str, Any], expected: list[str]
) -> None:
    problems = validate(args)
    for start in expected:
        assert any(p.startswith(start) for p in problems), (start, problems)


def test_registry_and_monitoring_name_wrong_types_with_the_rest() -> None:
    registry = validate_registry(
        {"replicas": "2", "image": "mlflow:latest", "artifact_prefix": "mlflow/"}  # pyright: ignore[reportArgumentType]
    )
    assert any(p.startswith("replicas must be") for p in registry), registry
    assert len(registry) > 1, registry
    monitoring = validate_monitoring({"retention_days": "7"})  # pyright: ignore[reportArgumentType]
    assert any(p.startswith("retention_days must be") for p in monitoring) and any(
        "crds is required" in p for p in monitoring
    )


def test_bucket_and_registry_name_every_problem() -> None:
    bucket = validate_bucket(
        {"bucket_name": "Bad_Name", "noncurrent_version_days": 0, "protect": "yes"}  # pyright: ignore[reportArgumentType]
    )
    assert [p.split(" ")[0] for p in bucket] == ["protect", "bucket_name", "noncurrent_version_days"], bucket
    repos = repository_problems(
        [
            {"name": "Bad Name", "keep_tagged_images": 0},
            {"name": "ok", "pull_account_ids": ["*"], "untagged_expiry_days": "7"},  # pyright: ignore[reportArgumentType]
            {"name": "ok"},
        ]
    )
    assert len(repos) == 5, repos  # bad name, lifecycle, wrong type, wildcard pull, duplicate

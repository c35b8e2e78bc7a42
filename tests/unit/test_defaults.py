"""One source for each default: the stack config's sections take their defaults and allowed values
from the components they configure (issue 28, item 1), so changing a default is one edit."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any, get_args

import pytest
from pydantic import BaseModel

from components import cluster, gpu_node_pool, model_registry, network, pins
from infra.config import (
    ClusterConfig,
    GpuPoolConfig,
    ModelRegistryConfig,
    NetworkConfig,
    load_platform_config,
)
from tests.conftest import platform_raw

pytestmark = pytest.mark.unit

SECTIONS: list[tuple[type[BaseModel], Mapping[str, object]]] = [
    (ClusterConfig, cluster.DEFAULTS),
    (GpuPoolConfig, gpu_node_pool.DEFAULTS),
    (ModelRegistryConfig, model_registry.DEFAULTS),
    (NetworkConfig, network.DEFAULTS),
]


def _plain(value: Any) -> Any:
    """A default as the component compares it: enum members by value, sequences as lists."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]  # pyright: ignore[reportUnknownVariableType]
    return value


@pytest.mark.parametrize(("model", "defaults"), SECTIONS, ids=lambda s: getattr(s, "__name__", ""))
def test_the_config_defaults_are_the_components(model: type[BaseModel], defaults: Mapping[str, object]) -> None:
    shared = [name for name in model.model_fields if name in defaults]
    assert len(shared) >= 3, shared
    differ = {
        name: (given, defaults[name])
        for name in shared
        if (given := model.model_fields[name].get_default(call_default_factory=True)) is not None
        and _plain(given) != _plain(defaults[name])
    }
    assert differ == {}


def test_the_environment_dependent_registry_defaults_start_from_the_components() -> None:
    # Unset in the stack file, dev takes the component's default; prod its own stricter one.
    raw = platform_raw("dev")
    raw["modelRegistry"] = {"bucket": raw["buckets"][0]["name"]}
    section = load_platform_config(raw, "Pulumi.dev.yaml").model_registry
    assert section is not None
    assert section.backups(prod=False) == model_registry.DEFAULTS["backup_retention_days"]
    assert section.server_replicas(prod=False) == model_registry.DEFAULTS["replicas"]
    assert section.backups(prod=True) > model_registry.DEFAULTS["backup_retention_days"]
    assert section.server_replicas(prod=True) >= 2


def test_the_config_allows_the_values_the_components_allow() -> None:
    assert get_args(GpuPoolConfig.model_fields["capacity_type"].annotation) == gpu_node_pool.CAPACITY_TYPES
    assert get_args(NetworkConfig.model_fields["nat_gateways"].annotation) == network.NAT_LAYOUTS
    fields = ClusterConfig.model_fields
    assert get_args(fields["support_type"].annotation) == pins.SUPPORT_TYPES
    assert get_args(GpuPoolConfig.model_fields["provisioner"].annotation) == gpu_node_pool.PROVISIONERS
    assert get_args(ModelRegistryConfig.model_fields["load_balancer"].annotation) == model_registry.LOAD_BALANCERS
    assert GpuPoolConfig.model_fields["spot_discount"].metadata[-1].le == gpu_node_pool.MAX_SPOT_DISCOUNT


def test_a_component_refuses_what_the_config_refuses() -> None:
    # The component checks the retention itself: a team's own program gets the config's answer.
    args: cluster.ClusterArgs = {"cluster_name": "c", "subnet_ids": [], "region": "us-east-1", "creator_admin": True}
    assert cluster.validate_cluster({**args, "log_retention_days": 90}) == []
    assert cluster.validate_cluster({**args, "log_retention_days": 45}) == [
        "log_retention_days must be one of 7, 14, 30, 60, 90, 180, 365, 731, 1827, 3653 (got 45)"
    ]

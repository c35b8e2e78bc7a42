"""The catalog and the AMI types we choose, checked against botocore's EC2 and EKS models."""

from __future__ import annotations

import botocore.session
import pytest

from components import catalog, naming
from components.catalog import NodeOs

pytestmark = pytest.mark.validators


def enum(service: str, shape: str) -> set[str]:
    return set(botocore.session.get_session().get_service_model(service).shape_for(shape).enum)


def test_every_catalog_instance_type_exists_in_ec2() -> None:
    ec2_types = enum("ec2", "InstanceType")
    assert len(ec2_types) > 1000
    assert sorted(set(catalog.accelerated()) - ec2_types) == []
    assert sorted(set(catalog.system_hourly()) - ec2_types) == []


def test_every_ami_type_we_choose_exists_in_eks() -> None:
    ami_types = enum("eks", "AMITypes")
    chosen = {
        catalog.ami_type([name], os)
        for name in catalog.accelerated()
        for os in NodeOs
        if not catalog.pool_problems([name], os)
    }
    assert chosen == {
        "AL2023_x86_64_NVIDIA",
        "AL2023_ARM_64_NVIDIA",
        "AL2023_x86_64_NEURON",
        "BOTTLEROCKET_x86_64_NVIDIA",
        "BOTTLEROCKET_ARM_64_NVIDIA",
    }
    assert chosen | {"AL2023_x86_64_STANDARD"} <= ami_types


def test_capacity_types_and_taint_effects_exist_in_eks() -> None:
    assert {"ON_DEMAND", "SPOT"} <= enum("eks", "CapacityTypes")
    assert {"NO_SCHEDULE", "NO_EXECUTE", "PREFER_NO_SCHEDULE"} <= enum("eks", "TaintEffect")


def test_the_region_list_is_botocores() -> None:
    data = botocore.session.get_session().get_data("endpoints")
    assert naming.aws_regions() == {p["partition"]: sorted(p["regions"]) for p in data["partitions"]}

"""Availability zones by ID (pure): the default choice and what an explicit list may hold."""

from __future__ import annotations

import pytest

from components.plan.mocks import zone_id_prefix
from components.zones import choose_zone_ids, zone_id_problems

pytestmark = pytest.mark.unit

US_EAST_1 = [f"use1-az{i}" for i in range(1, 7)]


@pytest.mark.parametrize(
    ("available", "count", "requested", "chosen"),
    [
        (US_EAST_1, 2, None, ["use1-az1", "use1-az2"]),
        (US_EAST_1, 3, None, ["use1-az1", "use1-az2", "use1-az4"]),
        (US_EAST_1, 5, None, ["use1-az1", "use1-az2", "use1-az4", "use1-az5", "use1-az6"]),
        (["usw1-az1", "usw1-az2", "usw1-az3"], 2, None, ["usw1-az1", "usw1-az3"]),
        (["cac1-az1", "cac1-az2", "cac1-az3", "cac1-az4"], 3, None, ["cac1-az1", "cac1-az2", "cac1-az4"]),
        (US_EAST_1, 2, ["use1-az6", "use1-az5"], ["use1-az6", "use1-az5"]),
    ],
)
def test_choose_zone_ids(available: list[str], count: int, requested: list[str] | None, chosen: list[str]) -> None:
    assert choose_zone_ids(available, count, requested) == chosen


def test_too_few_zones_eks_accepts() -> None:
    with pytest.raises(ValueError, match=r"az_count=3 but the region offers only 2 zones EKS accepts"):
        choose_zone_ids(["usw1-az1", "usw1-az2", "usw1-az3"], 3)


@pytest.mark.parametrize(
    ("zones", "count", "fragment"),
    [
        (["use1-az1", "use1-az3"], 2, "'use1-az3': EKS refuses control-plane subnets"),
        (["usw1-az2", "usw1-az1"], 2, "'usw1-az2': EKS refuses"),
        (["us-east-1a", "us-east-1b"], 2, "'us-east-1a' is not an availability zone ID"),
        (["use1-az1", "use1-az1"], 2, "must be distinct"),
        (["use1-az1", "use1-az2"], 3, "needs one zone ID per AZ: exactly 3 (got 2)"),
    ],
)
def test_zone_id_problems(zones: list[str], count: int, fragment: str) -> None:
    assert any(fragment in p for p in zone_id_problems(zones, count)), zone_id_problems(zones, count)


def test_valid_zone_ids_have_no_problem() -> None:
    assert zone_id_problems(["use1-az1", "use1-az2", "use1-az4"], 3) == []


@pytest.mark.parametrize(
    ("region", "prefix"),
    [
        ("us-east-1", "use1"),
        ("eu-west-1", "euw1"),
        ("ap-southeast-2", "apse2"),
        ("ap-northeast-1", "apne1"),
        ("ca-central-1", "cac1"),
        ("us-gov-west-1", "usgw1"),
        ("cn-northwest-1", "cnnw1"),
    ],
)
def test_the_plans_zone_ids_look_like_the_regions(region: str, prefix: str) -> None:
    assert zone_id_prefix(region) == prefix

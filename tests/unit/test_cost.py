"""The control plane's price follows its version's support window and its supportType."""

from __future__ import annotations

import datetime

import pytest

from components.cost import EKS_CONTROL_PLANE_HOURLY, EKS_EXTENDED_SUPPORT_HOURLY, control_plane_cost

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("version", "support", "day", "hourly", "detail"),
    [
        ("1.35", "STANDARD", "2026-12-01", EKS_CONTROL_PLANE_HOURLY, "standard support until 2027-03-27"),
        ("1.35", "EXTENDED", "2027-03-28", EKS_EXTENDED_SUPPORT_HOURLY, "in extended support since 2027-03-27"),
        ("1.35", "STANDARD", "2027-03-28", EKS_CONTROL_PLANE_HOURLY, "EKS upgrades it"),
        # EKS bills extended support when the cluster says nothing.
        ("1.33", None, "2026-12-01", EKS_EXTENDED_SUPPORT_HOURLY, "in extended support since 2026-07-29"),
    ],
)
def test_control_plane_price(version: str, support: str | None, day: str, hourly: float, detail: str) -> None:
    inputs = {"version": version, **({"upgradePolicy": {"supportType": support}} if support else {})}
    item = control_plane_cost("eks", inputs, datetime.date.fromisoformat(day))
    assert (item["hourlyMin"], item["hourlyMax"]) == (hourly, hourly)
    assert detail in item["detail"]
    assert pytest.approx(6 * EKS_CONTROL_PLANE_HOURLY) == EKS_EXTENDED_SUPPORT_HOURLY


def test_an_unknown_version_is_priced_as_a_range() -> None:
    item = control_plane_cost("eks", {"version": "1.20"}, datetime.date(2026, 12, 1))
    assert (item["hourlyMin"], item["hourlyMax"]) == (EKS_CONTROL_PLANE_HOURLY, EKS_EXTENDED_SUPPORT_HOURLY)

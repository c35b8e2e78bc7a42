"""Dashboard building blocks of the monitoring stack."""

from __future__ import annotations

import pytest

from components.alerting import EndpointAlerts, any_canaried, ref_id, rule_groups
from infra.config import load_platform_config
from infra.stack import canaries, endpoint_alerts
from tests.conftest import platform_raw

pytestmark = pytest.mark.unit


def test_dashboard_query_ids_stay_letters_past_z() -> None:
    # A panel has one query per endpoint; a stack with 200 endpoints used to get "Ó".
    assert [ref_id(i) for i in (0, 1, 25, 26, 27, 51, 52, 701, 702)] == [
        "A", "B", "Z", "AA", "AB", "AZ", "BA", "ZZ", "AAA",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("stack", "canary", "expected"),
    [("dev", None, False), ("dev", True, True), ("prod", None, True), ("prod", False, False)],
)
def test_the_stack_and_its_monitoring_agree_on_whether_anything_is_canaried(
    stack: str, canary: bool | None, expected: bool
) -> None:
    # One rule decides: the cluster installs Argo Rollouts (infra.stack.canaries) exactly when the
    # monitoring stack admits its controller and adds the delivery alerts (alerting.any_canaried).
    raw = platform_raw(stack)
    for endpoint in raw["endpoints"]:
        if canary is not None:
            endpoint["canary"] = canary
        if canary and "modelPrefix" in endpoint:  # a canary reads a pinned version directory
            endpoint.setdefault("modelVersion", "v1")
    config = load_platform_config(raw, f"Pulumi.{stack}.yaml")
    alerts = endpoint_alerts(config)
    assert canaries(config) is any_canaried(alerts) is expected
    assert ("delivery" in {g["name"] for g in rule_groups(alerts, [], burn_rate=False)}) is expected


def test_an_endpoint_without_a_canary_flag_is_not_canaried() -> None:
    entry: EndpointAlerts = {"name": "a", "namespace": "serving", "runtime": "triton"}
    assert any_canaried([]) is False
    assert any_canaried([entry]) is False
    assert any_canaried([entry, {**entry, "canary": True}]) is True

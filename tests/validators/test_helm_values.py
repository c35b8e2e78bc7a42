"""Every Helm value the code sets exists in the pinned chart's own ``values.yaml`` (or its
subchart's), from copies vendored under tests/vendor/charts with their source: a misspelt or
renamed key is silently ignored by Helm, so it is caught here."""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest

from components import pins
from components.plan.chart_values import ChartValues, read, unknown_keys
from tests.conftest import ROOT, stack_recording
from tests.stack.test_load_balancer_plan import balanced_recording

pytestmark = pytest.mark.validators

CHARTS = ROOT / "tests" / "vendor" / "charts"


@cache
def chart_values(chart: str) -> dict[str, Any]:
    """The chart's values.yaml, with each vendored subchart's values merged under its name."""
    return _chart(chart).values


@cache
def _chart(chart: str) -> ChartValues:
    return read(chart, CHARTS / chart)


def releases() -> list[tuple[str, str, str, dict[str, Any]]]:
    """Every release of the dev and prod plans, and of the fixture stacks with load balancers (whose
    AWS Load Balancer Controller dev and prod do not run)."""
    found = []
    recordings = {stack: stack_recording(stack) for stack in ("dev", "prod")}
    recordings |= {f"{stack}+nlb": balanced_recording(stack) for stack in ("dev", "prod")}
    for stack, recording in recordings.items():
        for resource in recording.resources:
            if resource.type == "kubernetes:helm.sh/v3:Release":
                chart = str(resource.inputs["chart"]).rsplit("/", 1)[-1]  # oci://registry/path/<chart>
                found.append((stack, resource.name, chart, resource.inputs.get("values") or {}))
    return found


def test_every_release_is_a_pinned_chart_with_vendored_values() -> None:
    charts = {(chart, version) for _, _, chart, _ in releases() for version in [pins.chart(chart).version]}
    assert {chart for chart, _ in charts} == set(pins.CHARTS)
    for chart, version in charts:
        header = (CHARTS / chart / "values.yaml").read_text().splitlines()[0]
        assert header.startswith("# Vendored from github.com/") and version in header, chart


@pytest.mark.parametrize("stack", ["dev", "prod", "dev+nlb", "prod+nlb"])
def test_every_values_key_exists_in_its_chart(stack: str) -> None:
    problems = {name: unknown_keys(_chart(chart), values) for s, name, chart, values in releases() if s == stack}
    assert problems == {name: [] for name in problems}


def test_a_misspelt_key_is_caught() -> None:
    values = _chart("kube-prometheus-stack")
    assert unknown_keys(values, {"grafana": {"adminn": {}}}) == ["grafana.adminn"]
    assert unknown_keys(values, {"prometheus": {"prometheusSpec": {"retention": "1d"}}}) == []
    assert unknown_keys(_chart("dcgm-exporter"), {"serviceMonitor": {"enabld": True}}) == ["serviceMonitor.enabld"]

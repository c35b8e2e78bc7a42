"""Every Helm value the code sets exists in the pinned chart's own ``values.yaml`` (or its
subchart's), from copies vendored under tests/vendor/charts with their source: a misspelt or
renamed key is silently ignored by Helm, so it is caught here."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any, cast

import pytest
import yaml

from components import pins
from tests.conftest import ROOT, stack_recording

pytestmark = pytest.mark.validators

CHARTS = ROOT / "tests" / "vendor" / "charts"
FREE_FORM = {
    ("kube-prometheus-stack", "alertmanager.config"): "the Alertmanager configuration file, passed through whole",
    ("cluster-autoscaler", "extraArgs"): "command-line flags, passed through (each of ours is defined in "
    "cluster-autoscaler/config/flags/flags.go at tag cluster-autoscaler-1.35.2)",
    ("karpenter", "nodeSelector"): "a node selector: any labels (the chart's default holds one, kubernetes.io/os)",
}
"""Values that are documents of their own, not chart settings (with the reason)."""


COMMENTED_KEY = re.compile(r"^\s*#\s*([A-Za-z][\w.-]*):", re.MULTILINE)


def merged(base: Any, over: Any) -> Any:
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(cast(dict[str, Any], base))
        for key, value in cast(dict[str, Any], over).items():
            out[key] = merged(out.get(key), value)
        return out
    return over if over is not None else base


def _files(chart: str) -> list[Path]:
    directory = CHARTS / chart
    return [directory / "values.yaml", *sorted(directory.glob("charts/*/values.yaml"))]


@cache
def chart_values(chart: str) -> dict[str, Any]:
    """The chart's values.yaml, with each vendored subchart's values merged under its name."""
    main, *subcharts = _files(chart)
    values = cast(dict[str, Any], yaml.safe_load(main.read_text()) or {})
    for sub in subcharts:
        own = yaml.safe_load(sub.read_text()) or {}
        values[sub.parent.name] = merged(own, values.get(sub.parent.name))
    return values


@cache
def documented_keys(chart: str) -> frozenset[str]:
    """Keys the chart documents as commented-out examples (``# storageClassName: default``)."""
    return frozenset(k for path in _files(chart) for k in COMMENTED_KEY.findall(path.read_text()))


def unknown_keys(chart: str, ours: Any, theirs: Any, path: str = "") -> list[str]:
    """Key paths in ``ours`` that the chart's values do not define. Below an empty map, a list
    or a null default the chart takes anything (it documents those as free-form)."""
    if not isinstance(ours, dict) or not isinstance(theirs, dict) or not theirs:
        return []
    if (chart, path) in FREE_FORM:
        return []
    missing: list[str] = []
    for key, value in cast(dict[str, Any], ours).items():
        here = f"{path}.{key}" if path else key
        if key not in theirs:
            if isinstance(value, dict) or key not in documented_keys(chart):
                missing.append(here)
        else:
            missing += unknown_keys(chart, value, theirs[key], here)
    return missing


def releases() -> list[tuple[str, str, str, dict[str, Any]]]:
    found = []
    for stack in ("dev", "prod"):
        for resource in stack_recording(stack).resources:
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


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_values_key_exists_in_its_chart(stack: str) -> None:
    problems = {
        name: unknown_keys(chart, values, chart_values(chart)) for s, name, chart, values in releases() if s == stack
    }
    assert problems == {name: [] for name in problems}


def test_a_misspelt_key_is_caught() -> None:
    values = chart_values("kube-prometheus-stack")
    assert unknown_keys("kube-prometheus-stack", {"grafana": {"adminn": {}}}, values) == ["grafana.adminn"]
    assert unknown_keys("kube-prometheus-stack", {"prometheus": {"prometheusSpec": {"retention": "1d"}}}, values) == []
    assert unknown_keys("dcgm-exporter", {"serviceMonitor": {"enabld": True}}, chart_values("dcgm-exporter")) == [
        "serviceMonitor.enabld"
    ]

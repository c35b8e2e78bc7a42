"""No alert kube-prometheus-stack installs can fire forever on EKS.

Read against the pinned chart's own rule templates (vendored under
tests/vendor/charts/kube-prometheus-stack/templates with their source): each template renders
only when its guard (``{{- if and ... .Values.kubeScheduler.enabled .Values.defaultRules.rules.kubeSchedulerAlerting
...}}``) holds for the chart's defaults merged with the release's values; every target-down
rule of a rendered template (``absent(up{job=...})``, ``up{job=...} == 0``) must watch a target
EKS lets Prometheus scrape.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from components.monitoring_stack import EKS_UNSCRAPEABLE
from components.plan.chart_values import merged
from tests.conftest import stack_recording
from tests.validators.test_helm_values import CHARTS, chart_values

pytestmark = pytest.mark.validators

TEMPLATES = CHARTS / "kube-prometheus-stack" / "templates" / "prometheus" / "rules-1.14"
GUARD = re.compile(r"^\{\{- if and (.*) \}\}$", re.MULTILINE)
VALUE = re.compile(r"(?<!not \()\.Values\.([\w.]+)")
DISABLED = re.compile(r"\(not \(\.Values\.defaultRules\.disabled\.(\w+) \| default false\)\)")
TARGET_DOWN = re.compile(r"(?<![\w:])up\{job=~?\"([^\"]+)\"")
JOBS = {
    "{{ $kubeControllerManagerJob }}": "kubeControllerManager",
    "{{ $kubeSchedulerJob }}": "kubeScheduler",
    "{{ $kubeProxyJob }}": "kubeProxy",
    ".*etcd.*": "kubeEtcd",
    "{{ $kubeApiserverJob }}": "kubeApiServer",
    "{{ $kubeletJob }}": "kubelet",
    "{{ $alertmanagerJob }}": "alertmanager",
}
"""The job of each target-down expression in the templates, as the chart's component it scrapes."""


def lookup(values: dict[str, Any], path: str) -> Any:
    node: Any = values
    for part in path.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def rendered(template: Path, values: dict[str, Any]) -> bool:
    """Whether the template's top guard holds (the Kubernetes version checks do: 1.35 is >= 1.14)."""
    match = GUARD.search(template.read_text())
    assert match, template.name
    guard = match.group(1)
    disabled = lookup(values, "defaultRules.disabled") or {}
    if any(disabled.get(name, False) for name in DISABLED.findall(guard)):
        return False
    return all(bool(lookup(values, path)) for path in VALUE.findall(guard))


def firing_forever(values: dict[str, Any]) -> dict[str, str]:
    """Template -> component, for every rendered rule watching a target EKS does not expose."""
    found: dict[str, str] = {}
    for template in sorted(TEMPLATES.glob("*.yaml")):
        if not rendered(template, values):
            continue
        for job in TARGET_DOWN.findall(template.read_text()):
            assert job in JOBS, f"{template.name}: unknown job {job}: map it in JOBS"
            if JOBS[job] in EKS_UNSCRAPEABLE:
                found[template.name] = JOBS[job]
    return found


def release_values(stack: str) -> dict[str, Any]:
    [release] = [
        r
        for r in stack_recording(stack).resources
        if r.type == "kubernetes:helm.sh/v3:Release" and r.inputs["chart"] == "kube-prometheus-stack"
    ]
    return merged(chart_values("kube-prometheus-stack"), release.inputs["values"])


def test_the_templates_are_vendored_and_read() -> None:
    assert len(list(TEMPLATES.glob("*.yaml"))) == 41
    # The chart's defaults alone enable the control-plane rules that fire forever on EKS.
    assert firing_forever(chart_values("kube-prometheus-stack")) == {
        "etcd.yaml": "kubeEtcd",
        "kubernetes-system-controller-manager.yaml": "kubeControllerManager",
        "kubernetes-system-kube-proxy.yaml": "kubeProxy",
        "kubernetes-system-scheduler.yaml": "kubeScheduler",
    }


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_no_rule_the_release_enables_fires_forever_on_eks(stack: str) -> None:
    values = release_values(stack)
    assert firing_forever(values) == {}
    for component in EKS_UNSCRAPEABLE:
        assert values[component]["enabled"] is False, component
    # What EKS does expose stays watched.
    assert rendered(TEMPLATES / "kubernetes-system-apiserver.yaml", values)
    assert rendered(TEMPLATES / "kubernetes-system-kubelet.yaml", values)

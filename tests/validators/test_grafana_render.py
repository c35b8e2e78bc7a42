"""Grafana as the pinned chart renders it (a real Helm, the vendored grafana 12.11.1 chart) from the
values each plan gives the kube-prometheus-stack release: what its service account may read."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT, named, stack_recording

pytestmark = pytest.mark.validators

HELM = ROOT / ".tools" / "helm" / "helm"
"""Built by ``make helm`` (``make test`` does it): Helm v4.3.1 from its PyPI wheel."""
CHARTS = ROOT / "tests" / "vendor" / "charts" / "kube-prometheus-stack"
GRAFANA = CHARTS / "charts" / "grafana"


def render(values: dict[str, Any], namespace: str, work: Path) -> list[dict[str, Any]]:
    """``helm template`` of the grafana subchart: its parent's defaults for it, then ours, merged
    by Helm itself (as when the parent chart renders it)."""
    assert HELM.exists(), "run `make helm` (make test builds it)"
    parent = yaml.safe_load((CHARTS / "values.yaml").read_text())["grafana"]
    (work / "parent.json").write_text(json.dumps(parent))
    (work / "ours.json").write_text(json.dumps(values))
    command = [str(HELM), "template", "kube-prometheus-stack", str(GRAFANA), "-n", namespace]
    command += ["-f", str(work / "parent.json"), "-f", str(work / "ours.json"), "--kube-version", "1.34"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    return [o for o in yaml.safe_load_all(result.stdout) if o]


def planned(stack: str) -> tuple[dict[str, Any], str]:
    release = named(stack_recording(stack))["monitoring-kube-prometheus-stack"].inputs
    return release["values"]["grafana"], release["namespace"]


def secret_readers(objects: list[dict[str, Any]]) -> list[tuple[str, str | None]]:
    """(kind, namespace) of every role in the render that may read Secrets."""
    return [
        (o["kind"], o["metadata"].get("namespace"))
        for o in objects
        if o["kind"] in {"Role", "ClusterRole"}
        and any("secrets" in rule.get("resources", []) for rule in o.get("rules") or [])
    ]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_grafana_reads_secrets_only_in_its_own_namespace(stack: str, tmp_path: Path) -> None:
    values, namespace = planned(stack)
    objects = render(values, namespace, tmp_path)
    assert {o["kind"] for o in objects} & {"ClusterRole", "ClusterRoleBinding"} == set()
    assert secret_readers(objects) == [("Role", namespace)]
    [deployment] = [o for o in objects if o["kind"] == "Deployment"]
    sidecar = next(c for c in deployment["spec"]["template"]["spec"]["containers"] if c["name"].endswith("dashboard"))
    assert {"name": "NAMESPACE", "value": namespace} in sidecar["env"]


def test_the_render_sees_a_cluster_wide_sidecar(tmp_path: Path) -> None:
    # The chart's own default (kube-prometheus-stack's searchNamespace ALL, no namespaced RBAC):
    # the render shows the ClusterRole on every Secret that the test above finds absent.
    values, namespace = planned("prod")
    cluster_wide = {**values, "rbac": {}, "sidecar": {"dashboards": {"searchNamespace": "ALL"}}}
    assert secret_readers(render(cluster_wide, namespace, tmp_path)) == [("ClusterRole", None)]

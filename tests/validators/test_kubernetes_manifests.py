"""Every Kubernetes object the dev and prod plans declare, validated by kubernetes-validate
(upstream OpenAPI schemas, strict: unknown fields are errors) for Kubernetes 1.30 and 1.33."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from components.plan.document import dumps_manifest, manifests
from tests.conftest import stack_recording

pytestmark = pytest.mark.validators

VALIDATE = Path(sys.executable).with_name("kubernetes-validate")
VERSIONS = ["1.30", "1.33"]
# Custom resources have no schema in kubernetes-validate: test_custom_resources.py validates
# them against the vendored CRDs of the pinned operators (and promtool checks the rule groups).
CUSTOM_KINDS = {
    ("monitoring.coreos.com/v1", "ServiceMonitor"),
    ("monitoring.coreos.com/v1", "PrometheusRule"),
    ("keda.sh/v1alpha1", "ScaledObject"),
    ("karpenter.sh/v1", "NodePool"),
    ("karpenter.k8s.aws/v1", "EC2NodeClass"),
    ("argoproj.io/v1alpha1", "Rollout"),
    ("argoproj.io/v1alpha1", "AnalysisTemplate"),
}
BUILTIN_GROUPS = (
    "v1",
    "apps/v1",
    "autoscaling/v2",
    "policy/v1",
    "networking.k8s.io/v1",
    "rbac.authorization.k8s.io/v1",
    "storage.k8s.io/v1",
)


def as_deployment(rollout: dict[str, Any]) -> dict[str, Any]:
    """An Argo Rollout's pod template and selector in a Deployment: the Rollout CRD's schema is
    Argo's copy of PodTemplateSpec, so the upstream Kubernetes schema checks the pods it starts too."""
    spec = rollout["spec"]
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": rollout["metadata"],
        "spec": {"selector": spec["selector"], "template": spec["template"]},
    }


def write_manifests(stack: str, directory: Path) -> dict[Path, dict[str, Any]]:
    files: dict[Path, dict[str, Any]] = {}
    for name, obj in manifests(stack_recording(stack).resources).items():
        path = directory / name
        path.write_text(dumps_manifest(obj))
        files[path] = obj
        if obj["kind"] == "Rollout":
            pods = directory / f"pods-of-{name}"
            pods.write_text(dumps_manifest(as_deployment(obj)))
            files[pods] = as_deployment(obj)
    return files


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_builtin_objects_pass_strict_schema_validation(stack: str, version: str, tmp_path: Path) -> None:
    files = write_manifests(stack, tmp_path)
    builtin = sorted(str(p) for p, obj in files.items() if obj["apiVersion"] in BUILTIN_GROUPS)
    assert builtin, "the plan declares no Kubernetes objects"
    custom = {(obj["apiVersion"], obj["kind"]) for obj in files.values() if obj["apiVersion"] not in BUILTIN_GROUPS}
    assert custom <= CUSTOM_KINDS, f"unvalidated kinds: {custom - CUSTOM_KINDS}"
    result = subprocess.run(
        [str(VALIDATE), "--strict", "-k", version, *builtin],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    passed = [line for line in result.stdout.splitlines() if line.startswith("INFO") and " passed " in line]
    assert len(passed) == len(builtin), result.stdout


def test_the_validator_rejects_unknown_fields(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        dumps_manifest({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x"}, "spec": {"oops": 1}})
    )
    result = subprocess.run(
        [str(VALIDATE), "--strict", "-k", "1.33", str(bad)], capture_output=True, text=True, check=False
    )
    assert result.returncode != 0 and "oops" in result.stdout + result.stderr

"""Deploy readiness of whole programs: the dev and prod stacks, and a team's own composition
(tests/programs/gpu-team) with and without the mistakes a first `pulumi up` trips over."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.stack.test_plan_command import mlops

pytestmark = pytest.mark.stack

PROGRAM = ROOT / "tests" / "programs" / "gpu-team"
READINESS = {
    "k8s-custom-objects-after-crds",
    "k8s-autoscaling-metrics-served",
    "gpu-workloads-schedulable",
    "k8s-await-covers-startup",
}


def plan(
    stack: str, out: Path, program: Path | None = None, *extra: str
) -> tuple[subprocess.CompletedProcess[str], dict]:
    extra = (*extra, "--program", str(program)) if program else extra
    result = mlops("plan", "--stack", stack, *extra, "--out", str(out))
    return result, json.loads((out / "plan.json").read_text())


def test_a_composition_with_the_mistakes_is_refused_by_the_rule_naming_each(tmp_path: Path) -> None:
    # A stack with no pack config of its own names one (here dev's).
    result, broken = plan("broken", tmp_path, PROGRAM, "--policy-config", "policies/config/dev.json")
    assert result.returncode == 1, result.stderr
    found = sorted((v["policy"], v["urn"].rsplit("::", 1)[-1]) for v in broken["violations"])
    assert found == [
        ("gpu-workloads-schedulable", "batch-scorer"),
        ("gpu-workloads-schedulable", "detector-deployment"),
        ("gpu-workloads-schedulable", "gpu-node-group"),
        ("k8s-autoscaling-metrics-served", "detector-hpa"),
        ("k8s-await-covers-startup", "batch-scorer"),
        ("k8s-custom-objects-after-crds", "detector-service-monitor"),
    ]


def test_the_same_composition_done_right_plans_clean(tmp_path: Path) -> None:
    result, good = plan("dev", tmp_path, PROGRAM)
    assert result.returncode == 0, result.stderr
    assert good["violations"] == []


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_platform_stacks_are_deploy_ready(stack: str, tmp_path: Path) -> None:
    result, platform = plan(stack, tmp_path)
    assert result.returncode == 0, result.stderr
    assert [v for v in platform["violations"] if v["policy"] in READINESS] == []
    resources = platform["resources"]
    kinds = {r["type"] for r in resources}
    # Every GPU request has a plugin, every autoscaler its metrics API (checked by the rules above).
    assert "kubernetes:apps/v1:DaemonSet" in kinds
    assert any(r["type"] == "aws:eks/addon:Addon" and r["inputs"]["addonName"] == "metrics-server" for r in resources)
    deployments = [r for r in resources if r["type"] == "kubernetes:apps/v1:Deployment"]
    assert deployments and all(
        int(r["inputs"]["metadata"]["annotations"]["pulumi.com/timeoutSeconds"]) > 600 for r in deployments
    )


def test_prod_llm_scales_on_vllm_queue_through_keda(tmp_path: Path) -> None:
    _, prod = plan("prod", tmp_path)
    scaled = [r for r in prod["resources"] if r["type"] == "kubernetes:keda.sh/v1alpha1:ScaledObject"]
    assert [r["name"] for r in scaled] == ["llm-chat-scaled-object"]
    [trigger] = scaled[0]["inputs"]["spec"]["triggers"]
    assert trigger["metadata"]["query"] == 'sum(vllm:num_requests_waiting{namespace="serving",service="llm-chat"})'
    assert not any(r["name"] == "llm-chat-hpa" for r in prod["resources"])

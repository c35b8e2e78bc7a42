"""The examples/ programs plan clean in the source tree (.ci/consumers plans them from the wheel)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.stack.test_plan_command import mlops

pytestmark = pytest.mark.stack


def reads_a_platform(example: str) -> bool:
    return "PlatformStack" in (ROOT / "examples" / example / "__main__.py").read_text()


@pytest.mark.parametrize("example", sorted(p.name for p in (ROOT / "examples").iterdir() if p.is_dir()))
def test_each_example_plans_with_no_violation(example: str, tmp_path: Path) -> None:
    extra: list[str] = []
    if reads_a_platform(example):  # against the whole-platform example's plan, as .ci/consumers does
        platform = tmp_path / "platform"
        assert (
            mlops("plan", "--stack", "dev", "--program", "examples/gpu-platform", "--out", str(platform)).returncode
            == 0
        )
        extra = ["--stack-outputs", str(platform / "plan.json")]
    out = tmp_path / "out"
    result = mlops("plan", "--stack", "dev", "--program", f"examples/{example}", "--out", str(out), *extra)
    assert result.returncode == 0, result.stderr
    assert json.loads((out / "plan.json").read_text())["violations"] == []


def test_the_whole_platform_example_composes_every_building_block(tmp_path: Path) -> None:
    assert mlops("plan", "--stack", "dev", "--program", "examples/gpu-platform", "--out", str(tmp_path)).returncode == 0
    types = {r["type"] for r in json.loads((tmp_path / "plan.json").read_text())["resources"]}
    components = {t.removeprefix("mlops:index:") for t in types if t.startswith("mlops:index:")}
    assert components >= {"Network", "Cluster", "GpuNodePool", "ArtifactBucket", "ModelServingEndpoint",
                          "MonitoringStack", "NvidiaDevicePlugin", "Karpenter"}  # fmt: skip
    assert "kubernetes:karpenter.sh/v1:NodePool" in types  # its GPU pool runs on Karpenter


def test_the_app_team_plans_against_a_platform_plan_named_by_stack(tmp_path: Path) -> None:
    platform = tmp_path / "platform"
    assert mlops("plan", "--stack", "dev", "--program", "examples/gpu-platform", "--out", str(platform)).returncode == 0
    app = ("plan", "--stack", "dev", "--program", "examples/app-team", "--out", str(tmp_path / "app"))

    named_ok = mlops(*app, "--stack-outputs", f"acme/gpu-platform/dev={platform}")
    assert named_ok.returncode == 0, named_ok.stderr
    # Its pods' GPU nodes are the platform's: the cost line says where they are priced.
    assert (
        "not included: the nodes this stack's pods run on, priced in the plan of platform stack "
        "acme/gpu-platform/dev" in named_ok.stdout
    )
    plan = json.loads((tmp_path / "app" / "plan.json").read_text())
    [reference] = [r for r in plan["resources"] if r["type"] == "pulumi:pulumi:StackReference"]
    assert reference["inputs"]["outputs"]["platform"]["clusterName"] == "vision-dev"

    for given, message in [
        ([], "reads stack 'acme/gpu-platform/dev' (a StackReference), whose outputs this plan was not given"),
        (["--stack-outputs", f"acme/other/dev={platform}"], "(given: acme/other/dev)"),
        (["--stack-outputs", str(platform), "--stack-outputs", str(platform)], "a PLAN without STACK= given twice"),
        (["--stack-outputs", str(tmp_path)], "plan.json: cannot read"),
    ]:
        result = mlops(*app, *given)
        assert result.returncode == 2 and message in result.stderr, (given, result.stderr)
        assert "Traceback" not in result.stderr and "never awaited" not in result.stderr

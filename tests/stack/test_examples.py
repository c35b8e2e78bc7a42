"""The examples/ programs plan clean in the source tree (.ci/consumers plans them from the wheel)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.stack.test_plan_command import mlops

pytestmark = pytest.mark.stack


@pytest.mark.parametrize("example", sorted(p.name for p in (ROOT / "examples").iterdir() if p.is_dir()))
def test_each_example_plans_with_no_violation(example: str, tmp_path: Path) -> None:
    result = mlops("plan", "--stack", "dev", "--program", f"examples/{example}", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert json.loads((tmp_path / "plan.json").read_text())["violations"] == []


def test_the_whole_platform_example_composes_every_building_block(tmp_path: Path) -> None:
    assert mlops("plan", "--stack", "dev", "--program", "examples/gpu-platform", "--out", str(tmp_path)).returncode == 0
    types = {r["type"] for r in json.loads((tmp_path / "plan.json").read_text())["resources"]}
    components = {t.removeprefix("mlops:index:") for t in types if t.startswith("mlops:index:")}
    assert components >= {"Network", "Cluster", "GpuNodePool", "ArtifactBucket", "ModelServingEndpoint",
                          "MonitoringStack", "NvidiaDevicePlugin"}  # fmt: skip

"""Two teams' app stacks (examples/app-team, examples/search-team) on one platform
(examples/gpu-platform): each deploys into the namespace the platform made for it, with access
scoped to it, and declares nothing cluster-wide."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.stack.test_plan_command import mlops

pytestmark = pytest.mark.stack

TEAMS = {"app-team": "fraud", "search-team": "search"}
CLUSTER_SCOPED = ("Namespace", "ClusterRole", "ClusterRoleBinding", "AccessPolicyAssociation", "AccessEntry")


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("platform")
    result = mlops("plan", "--stack", "dev", "--program", "examples/gpu-platform", "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out / "plan.json"


def plan_app(example: str, platform: Path, out: Path, *extra: str) -> tuple[int, str, dict[str, Any] | None]:
    result = mlops(
        "plan", "--stack", "dev", "--program", f"examples/{example}", "--out", str(out),
        "--stack-outputs", str(platform), *extra,
    )  # fmt: skip
    plan = json.loads((out / "plan.json").read_text()) if (out / "plan.json").exists() else None
    return result.returncode, result.stderr, plan


def test_the_platform_creates_both_teams(platform: Path) -> None:
    plan = json.loads(platform.read_text())
    teams = plan["outputs"]["platform"]["teams"]
    assert {name: team["namespaces"] for name, team in teams.items()} == {"fraud": ["fraud"], "search": ["search"]}
    scopes = [
        r["inputs"]["accessScope"]
        for r in plan["resources"]
        if r["type"] == "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"
        and "-deploy" in r["inputs"]["principalArn"]
        and "vision" not in r["inputs"]["principalArn"]
    ]
    assert sorted(s["namespaces"][0] for s in scopes) == ["fraud", "search"]
    assert all(s["type"] == "namespace" for s in scopes)


@pytest.mark.parametrize("example", sorted(TEAMS))
def test_each_team_stack_plans_clean_in_its_own_namespace(example: str, platform: Path, tmp_path: Path) -> None:
    code, stderr, plan = plan_app(example, platform, tmp_path)
    assert code == 0, stderr
    assert plan is not None and plan["violations"] == []
    team = TEAMS[example]
    namespaced = [r for r in plan["resources"] if r["type"].startswith("kubernetes:") and r["custom"]
                  and r["type"] != "pulumi:providers:kubernetes"]  # fmt: skip
    assert namespaced and {r["inputs"]["metadata"]["namespace"] for r in namespaced} == {team}
    assert not [r["type"] for r in plan["resources"] if r["type"].rsplit(":", 1)[-1] in CLUSTER_SCOPED]
    assert plan["outputs"]["namespaces"] == [team]


def test_a_team_the_platform_does_not_have_fails_naming_its_teams(platform: Path, tmp_path: Path) -> None:
    stack_file = tmp_path / "Pulumi.dev.yaml"
    text = (ROOT / "examples" / "search-team" / "Pulumi.dev.yaml").read_text()
    stack_file.write_text(text.replace("search-team:team: search", "search-team:team: payments"))
    code, stderr, _ = plan_app("search-team", platform, tmp_path / "out", "--config", str(stack_file))
    assert code == 2, stderr
    assert "has no team 'payments' (it has: fraud, search)" in stderr
    assert "Traceback" not in stderr

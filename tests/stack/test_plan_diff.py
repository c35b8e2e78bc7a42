"""``mlops plan --compare`` and ``mlops diff`` on the real prod stack: the offline answer to
"what does this config change destroy?"."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.stack.test_plan_command import mlops

pytestmark = pytest.mark.stack


@pytest.fixture(scope="module")
def main_plan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("main") / "prod"
    assert mlops("plan", "--stack", "prod", "--out", str(out)).returncode == 0
    return out / "plan.json"


def test_an_unchanged_stack_compares_clean(main_plan: Path, tmp_path: Path) -> None:
    result = mlops("plan", "--stack", "prod", "--out", str(tmp_path / "out"), "--compare", str(main_plan))
    assert result.returncode == 0, result.stderr
    assert "0 to add, 0 to remove, 0 to change" in result.stdout
    assert "Destroys no stateful or protected resource." in result.stdout
    assert json.loads((tmp_path / "out" / "diff.json").read_text()) == {
        "added": [],
        "removed": [],
        "changed": [],
        "destroyed": [],
        "refused": [],
    }


def test_renaming_the_models_bucket_is_refused_as_destruction(main_plan: Path, tmp_path: Path) -> None:
    stack_file = tmp_path / "Pulumi.prod.yaml"
    text = (ROOT / "Pulumi.prod.yaml").read_text()
    stack_file.write_text(
        text.replace("- name: models\n", "- name: model-store\n")
        .replace("bucket: models\n", "bucket: model-store\n")
        .replace("{bucket: models,", "{bucket: model-store,")
    )
    out = tmp_path / "out"
    result = mlops(
        "plan", "--stack", "prod", "--config", str(stack_file), "--out", str(out), "--compare", str(main_plan)
    )
    assert result.returncode == 3, result.stderr
    assert "DESTROYS 2 stateful or protected resource(s):" in result.stdout
    destroyed = json.loads((out / "diff.json").read_text())["destroyed"]
    assert [d["what"] for d in destroyed] == ["KMS key models-key (protected)", "bucket models-bucket (protected)"]
    # The same answer from the two plan files alone.
    offline = mlops("diff", str(main_plan), str(out), "--format", "json")
    assert offline.returncode == 3
    assert json.loads(offline.stdout)["destroyed"] == destroyed


def test_a_file_that_is_not_a_plan_is_an_error(tmp_path: Path) -> None:
    not_a_plan = tmp_path / "plan.json"
    not_a_plan.write_text('{"stack": "prod"}')
    result = mlops("diff", str(not_a_plan), str(not_a_plan))
    assert result.returncode == 2
    assert result.stderr.strip() == f"mlops diff: {not_a_plan}: not a plan.json (no resources list)"


def test_a_promotion_is_a_reviewable_version_change(tmp_path: Path) -> None:
    """What `mlops promote` writes (one line) is what the PR's plan diff reports, and nothing
    stateful moves: only the endpoint's Rollout (prod serves through a canary) changes."""
    text = (ROOT / "Pulumi.prod.yaml").read_text()
    pin = "          version: 1\n"
    assert text.count(pin) == 1
    plans: list[Path] = []
    for version in (7, 8):
        stack_file = tmp_path / f"v{version}.yaml"
        stack_file.write_text(text.replace(pin, f"          version: {version}\n"))
        out = tmp_path / f"v{version}"
        compare = ("--compare", str(plans[0])) if plans else ()
        result = mlops("plan", "--stack", "prod", "--config", str(stack_file), "--out", str(out), *compare)
        assert result.returncode == 0, result.stderr
        plans.append(out / "plan.json")
    assert "0 to add, 0 to remove, 1 to change (0 by replacing)\n  model fraud-detector: v7 -> v8\n" in result.stdout
    changed = json.loads((tmp_path / "v8" / "diff.json").read_text())["changed"]
    assert [c["urn"].rsplit("::", 1)[1] for c in changed] == ["fraud-detector-rollout"]
    assert {f["new"] for f in changed[0]["fields"]} == {"models:/fraud-detector/8"}

"""Every input the provider can only apply by replacing a resource reads as a replacement in the
diff of the real dev and prod plans: ``+-`` with the input that forces it, and exit 3 when the
resource holds data (a stateful or protected one)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, cast

import pytest

from components.plan import diff
from components.plan.replacements import REPLACE_ON_CHANGE
from components.policies.rules import STATEFUL
from tests.stack.test_plan_command import mlops

pytestmark = pytest.mark.stack


def changed_at(inputs: dict[str, Any], path: str) -> dict[str, Any]:
    """A copy of ``inputs`` whose value at the dotted ``path`` is a different one (an object in
    the way stands for the one-element block a plan records; a list is changed in its first item)."""
    result = copy.deepcopy(inputs)
    *parents, leaf = path.split(".")
    node: dict[str, Any] = result
    for key in parents:
        child = node.get(key)
        if isinstance(child, list) and child and isinstance(child[0], dict):
            child = cast(list[dict[str, Any]], child)[0]
        if not isinstance(child, dict):
            child = node[key] = {}
        node = cast(dict[str, Any], child)
    old = node.get(leaf)
    node[leaf] = (not old) if isinstance(old, bool) else f"{old}-changed"
    return result


def forcing_changes(plan: dict[str, Any], types: set[str]) -> list[tuple[dict[str, Any], str]]:
    """Each resource of ``types`` in ``plan`` with each input that replaces it."""
    return [
        (resource, path)
        for resource in plan["resources"]
        if resource["type"] in types
        for path in REPLACE_ON_CHANGE[resource["type"]]
    ]


def with_change(plan: dict[str, Any], urn: str, path: str) -> dict[str, Any]:
    new = copy.deepcopy(plan)
    for resource in new["resources"]:
        if resource["urn"] == urn:
            resource["inputs"] = changed_at(resource["inputs"], path)
    return new


def test_every_stateful_type_the_stacks_create_has_replacement_facts(
    stack_plan: tuple[object, dict[str, Any]],
) -> None:
    _, plan = stack_plan
    created = {r["type"] for r in plan["resources"]}
    stateful = created & set(STATEFUL)
    aws = {t for t in created if t.startswith("aws:")}
    print(
        f"replacement facts: {len(stateful & set(REPLACE_ON_CHANGE))}/{len(stateful)} stateful types, "
        f"{len(aws & set(REPLACE_ON_CHANGE))}/{len(aws)} AWS types created"
    )
    assert sorted(stateful - set(REPLACE_ON_CHANGE)) == []


def test_each_forcing_input_of_a_stateful_resource_is_a_destruction(stack_plan: tuple[object, dict[str, Any]]) -> None:
    _, plan = stack_plan
    cases = forcing_changes(plan, set(STATEFUL))
    assert {r["type"] for r, _ in cases} >= {"aws:rds/instance:Instance", "aws:kms/key:Key", "aws:s3/bucket:Bucket"}
    for resource, path in cases:
        changes = diff.compare(plan, with_change(plan, resource["urn"], path))
        [change] = changes.changed
        assert change.replaced_by, (resource["name"], path)
        assert [d.urn for d in changes.destroyed] == [resource["urn"]], (resource["name"], path)
    print(f"{len(cases)} forcing inputs of stateful resources, each a destruction")


def test_a_node_group_replacement_is_shown_but_destroys_no_data(stack_plan: tuple[object, dict[str, Any]]) -> None:
    _, plan = stack_plan
    cases = forcing_changes(plan, {"aws:eks/nodeGroup:NodeGroup"})
    assert cases
    for resource, path in cases:
        changes = diff.compare(plan, with_change(plan, resource["urn"], path))
        assert changes.destroyed == []
        text = diff.render_text(changes, "base")
        assert f"  +- {resource['type']} {resource['name']} (replace)\n" in text, path
        assert "(forces replacement)" in text
        assert changes.as_json()["changed"][0]["action"] == "replace"


def test_an_update_in_place_stays_an_update(dev_plan: dict[str, Any]) -> None:
    [db] = [r for r in dev_plan["resources"] if r["type"] == "aws:rds/instance:Instance"]
    changes = diff.compare(dev_plan, with_change(dev_plan, db["urn"], "instanceClass"))
    assert changes.destroyed == [] and changes.changed[0].replaced_by == []
    assert "  ~ aws:rds/instance:Instance mlflow-db\n" in diff.render_text(changes, "base")


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_mlops_diff_exits_3_when_the_database_username_changes(stack: str, tmp_path: Path) -> None:
    old = tmp_path / "old"
    assert mlops("plan", "--stack", stack, "--out", str(old)).returncode == 0
    plan = json.loads((old / "plan.json").read_text())
    [db] = [r for r in plan["resources"] if r["type"] == "aws:rds/instance:Instance"]
    new = tmp_path / "new.json"
    new.write_text(json.dumps(with_change(plan, db["urn"], "username")))
    result = mlops("diff", str(old / "plan.json"), str(new))
    assert result.returncode == 3, result.stdout + result.stderr
    assert "  +- aws:rds/instance:Instance mlflow-db (replace)\n" in result.stdout
    assert "(forces replacement)" in result.stdout
    assert "snapshotIdentifier" in result.stdout and "ignore_changes=['username']" in result.stdout
    print(result.stdout)

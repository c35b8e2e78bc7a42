"""Every input a provider can only apply by replacing a resource reads as a replacement in the
diff of the real dev and prod plans: ``+-`` with the input that forces it, and exit 3 when the
resource holds data or is protected. The replacement facts cover every type the stacks, the
examples and the test programs create."""

from __future__ import annotations

import copy
import json
from collections import Counter
from pathlib import Path
from typing import Any, cast

import pytest

from components.plan import diff
from components.plan.cli import main
from components.plan.runner import StackConfig, run_program
from components.policies.rules import loses_data_on_replace
from tests.conftest import ROOT
from tests.policy.insecure_programs import PROGRAMS, SECURE
from tests.stack.test_plan_command import mlops

pytestmark = pytest.mark.stack

PROGRAMS_PLANNED = {
    "examples/gpu-platform": (),
    "examples/tiny-program": (),
    "examples/app-team": ("--stack-outputs", "gpu-platform/plan.json"),
    "examples/search-team": ("--stack-outputs", "gpu-platform/plan.json"),
    "tests/programs/gpu-team": (),
    "tests/programs/team-folders": (),
}
"""Every program directory besides infra/ with a dev stack file, and what its plan needs (the app
team's StackReference is answered with the whole-platform example's plan, as .ci/consumers does)."""


def changed_at(inputs: dict[str, Any], path: str) -> dict[str, Any]:
    """A copy of ``inputs`` whose value at ``path`` (a replacement table's path) is a different one,
    written where a plan holds it: an object in the way stands for a block the bridge flattens
    (one item at most), and under ``[*]`` the value goes into the list's first item, as a plan
    records a list block (``ebsBlockDevices[0].volumeSize``). A list met where the path names no
    ``[*]`` fails: the table would never match what the plan records."""
    result = copy.deepcopy(inputs)
    *parents, leaf = path.split(".")
    node: dict[str, Any] = result
    for segment in parents:
        key, listed = segment.removesuffix("[*]"), segment.endswith("[*]")
        child = node.get(key)
        if listed:
            items = node[key] = cast(list[Any], child) if isinstance(child, list) and child else [{}]
            if not isinstance(items[0], dict):
                items[0] = {}
            child = items[0]
        else:
            assert not isinstance(child, list), f"{path}: the plan holds a list at {key!r}, the path has no [*]"
            if not isinstance(child, dict):
                child = node[key] = {}
        node = cast(dict[str, Any], child)
    old = node.get(leaf)
    node[leaf] = (not old) if isinstance(old, bool) else f"{old}-changed"
    return result


def with_change(plan: dict[str, Any], urn: str, path: str) -> dict[str, Any]:
    new = copy.deepcopy(plan)
    for resource in new["resources"]:
        if resource["urn"] == urn:
            resource["inputs"] = changed_at(resource["inputs"], path)
    return new


def holds_data(resource: dict[str, Any]) -> bool:
    return loses_data_on_replace(resource["type"], resource["inputs"]) is not None


def provider_resources(plan: dict[str, Any]) -> list[dict[str, Any]]:
    """The resources a provider diffs: custom resources, not the engine's own (providers, the
    stack, StackReferences, whose configuration or outputs the engine compares itself)."""
    return [r for r in plan["resources"] if r["custom"] and not r["type"].startswith("pulumi:")]


@pytest.fixture(scope="module")
def other_plans(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """The plans of the examples and test programs (each planned once, as the CLI does)."""
    out = tmp_path_factory.mktemp("plans")
    plans: dict[str, dict[str, Any]] = {}
    for program, extra in PROGRAMS_PLANNED.items():
        target = out / Path(program).name
        arguments = [str(out / arg) if arg.endswith("plan.json") else arg for arg in extra]
        result = mlops("plan", "--stack", "dev", "--program", program, "--out", str(target), *arguments)
        assert result.returncode == 0, result.stderr
        plans[program] = json.loads((target / "plan.json").read_text())
    return plans


def insecure_program_types() -> set[str]:
    """What tests/programs/insecure declares: every program of tests/policy/insecure_programs.py."""
    types: set[str] = set()
    for program in [*(p for p, _ in PROGRAMS.values()), *SECURE.values()]:
        recording = run_program(program, project="insecure", stack="prod", config=StackConfig("test"))
        types |= {r.type for r in recording.resources if r.custom and not r.type.startswith("pulumi:")}
    return types


def test_every_type_the_stacks_examples_and_test_programs_create_has_replacement_facts(
    dev_plan: dict[str, Any], prod_plan: dict[str, Any], other_plans: dict[str, dict[str, Any]]
) -> None:
    created = {r["type"] for p in [dev_plan, prod_plan, *other_plans.values()] for r in provider_resources(p)}
    created |= insecure_program_types()
    known = {t for t in created if diff.forcing_inputs(t) is not None}
    by_provider = Counter(t.split(":")[0] for t in created)
    covered = Counter(t.split(":")[0] for t in known)
    generic = sorted(t for t in known if t not in diff.REPLACE_ON_CHANGE)
    print(
        f"replacement facts: {len(known)}/{len(created)} resource types created "
        + ", ".join(f"{p} {covered[p]}/{n}" for p, n in sorted(by_provider.items()))
        + f"; {len(generic)} Kubernetes kinds by the every-kind rule (name, namespace): {', '.join(generic)}"
    )
    assert sorted(created - known) == []
    assert len(created) >= 70 and {"aws", "kubernetes", "docker", "random"} <= set(by_provider)


def test_each_forcing_input_of_a_data_holding_resource_exits_3(
    stack_plan: tuple[object, dict[str, Any]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, plan = stack_plan
    old = tmp_path / "old.json"
    old.write_text(json.dumps(plan))
    cases = [
        (r, path) for r in provider_resources(plan) if holds_data(r) for path in diff.forcing_inputs(r["type"]) or ()
    ]
    # What the resource's own ignoreChanges names (the cluster's creator flag) the engine never sees change.
    ignored = [(r, p) for r, p in cases if diff.forces_replacement(p, tuple(r["options"]["ignoreChanges"]))]
    assert [(r["name"], p) for r, p in ignored] == [
        ("eks-cluster", "accessConfig.bootstrapClusterCreatorAdminPermissions")
    ]
    for resource, path in ignored:
        assert diff.compare(plan, with_change(plan, resource["urn"], path)).changed == []
    cases = [case for case in cases if case not in ignored]
    types = Counter(r["type"] for r, _ in cases)
    assert {"aws:rds/instance:Instance", "aws:kms/key:Key", "aws:s3/bucket:Bucket", "aws:ecr/repository:Repository",
            "aws:eks/cluster:Cluster", "aws:cloudwatch/logGroup:LogGroup"} <= set(types)  # fmt: skip
    new = tmp_path / "new.json"
    for resource, path in cases:
        new.write_text(json.dumps(with_change(plan, resource["urn"], path)))
        code = main(["diff", str(old), str(new)])
        out = capsys.readouterr().out
        assert code == 3, (resource["name"], path, out)
        assert f"  +- {resource['type']} {resource['name']} (replace)\n" in out
        assert " (forces replacement)\n" in out and "DESTROYS 1 stateful or protected resource(s):" in out
        assert "ignore_changes=[" in out, (resource["name"], path)
    print(f"{len(cases)} forcing inputs of {len(types)} data-holding types, each exit 3: {dict(sorted(types.items()))}")


def test_each_disruptive_replacement_of_other_types_is_shown(stack_plan: tuple[object, dict[str, Any]]) -> None:
    _, plan = stack_plan
    first_of_type: dict[str, dict[str, Any]] = {}
    for resource in provider_resources(plan):
        if not holds_data(resource) and diff.forcing_inputs(resource["type"]):
            first_of_type.setdefault(resource["type"], resource)
    assert {"aws:eks/nodeGroup:NodeGroup", "aws:ec2/launchTemplate:LaunchTemplate", "aws:iam/role:Role",
            "kubernetes:apps/v1:Deployment", "kubernetes:core/v1:Service"} <= set(first_of_type)  # fmt: skip
    shown = 0
    for type_, resource in sorted(first_of_type.items()):
        for path in diff.forcing_inputs(type_) or ():
            changes = diff.compare(plan, with_change(plan, resource["urn"], path))
            [change] = changes.changed
            assert change.replaced_by, (type_, path)
            text = diff.render_text(changes, "base")
            assert f"  +- {type_} {resource['name']} (replace)\n" in text, (type_, path)
            assert "(forces replacement)" in text and changes.as_json()["changed"][0]["action"] == "replace"
            # Disruptive, not a loss of data: a destruction only when the resource is protected.
            assert bool(changes.destroyed) is bool(resource["options"]["protect"]), (type_, path)
            shown += 1
    print(f"{shown} forcing inputs of {len(first_of_type)} other types shown as +-")


def test_an_update_in_place_stays_an_update(dev_plan: dict[str, Any]) -> None:
    [db] = [r for r in dev_plan["resources"] if r["type"] == "aws:rds/instance:Instance"]
    changes = diff.compare(dev_plan, with_change(dev_plan, db["urn"], "instanceClass"))
    assert changes.destroyed == [] and changes.changed[0].replaced_by == []
    assert "  ~ aws:rds/instance:Instance mlflow-db\n" in diff.render_text(changes, "base")


def test_a_node_group_replacement_exits_0_in_dev(dev_plan: dict[str, Any], tmp_path: Path) -> None:
    [group, *_] = [r for r in dev_plan["resources"] if r["type"] == "aws:eks/nodeGroup:NodeGroup"]
    assert not group["options"]["protect"]
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(json.dumps(dev_plan))
    new.write_text(json.dumps(with_change(dev_plan, group["urn"], "instanceTypes")))
    result = mlops("diff", str(old), str(new))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "(1 by replacing)" in result.stdout and f"  +- aws:eks/nodeGroup:NodeGroup {group['name']} (replace)\n" in (
        result.stdout
    )
    assert "Destroys no stateful or protected resource." in result.stdout


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
    document = json.loads(mlops("diff", str(old / "plan.json"), str(new), "--format", "json").stdout)
    [destroyed] = document["destroyed"]
    assert destroyed["wayOut"].startswith("keep the old value") and "snapshotIdentifier" in destroyed["wayOut"]
    print(result.stdout)


def test_following_the_advice_ignore_changes_on_the_database_exits_0(dev_plan: dict[str, Any], tmp_path: Path) -> None:
    [db] = [r for r in dev_plan["resources"] if r["type"] == "aws:rds/instance:Instance"]
    changed = with_change(dev_plan, db["urn"], "username")
    [new_db] = [r for r in changed["resources"] if r["urn"] == db["urn"]]
    new_db["options"]["ignoreChanges"] = ["username"]
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(json.dumps(dev_plan))
    new.write_text(json.dumps(changed))
    result = mlops("diff", str(old), str(new))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "  ~ aws:rds/instance:Instance mlflow-db\n" in result.stdout and "username:" not in result.stdout
    assert '      options.ignoreChanges: [] -> ["username"]\n' in result.stdout
    assert "Destroys no stateful or protected resource." in result.stdout
    print(result.stdout)


def test_the_coverage_test_plans_every_program_directory() -> None:
    """A new example or test program is planned here too (tests/programs/insecure by its programs)."""
    directories = {
        str(p.parent.relative_to(ROOT))
        for p in [*ROOT.glob("examples/*/Pulumi.yaml"), *ROOT.glob("tests/programs/*/Pulumi.yaml")]
    }
    assert directories == set(PROGRAMS_PLANNED) | {"tests/programs/insecure"}

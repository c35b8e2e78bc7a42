"""Each classic mistake, written as another team would, is refused by exactly the rule that
names it, under the prod pack config; the same resources done right pass the whole pack."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from components.plan.policy import check
from components.policies import CONFIG_DIR, POLICIES
from components.policies.pack import RULES, table
from components.policies.settings import read_pack_config
from tests.conftest import ROOT, RunProgram
from tests.policy.insecure_programs import PROGRAMS, SECURE
from tests.stack.test_plan_command import mlops
from tools import readme_rules as readme
from tools.sections import marked_section

pytestmark = pytest.mark.policy

PROD = read_pack_config(CONFIG_DIR / "prod.json")


def mandatory(run: RunProgram, program: Any, pack_config: dict[str, Any] = PROD) -> list[tuple[str, str]]:
    recording = run(program, stack="prod")
    return sorted(
        {(v.policy, v.message) for v in check(POLICIES, recording.resources, pack_config).violations
         if v.enforcement_level == "mandatory"}
    )  # fmt: skip


@pytest.mark.parametrize("mistake", sorted(PROGRAMS))
def test_each_mistake_is_refused_by_the_rule_that_names_it(run: RunProgram, mistake: str) -> None:
    program, rule = PROGRAMS[mistake]
    found = mandatory(run, program)
    assert found, f"{mistake} passed the pack"
    assert {policy for policy, _ in found} == {rule}, found


@pytest.mark.parametrize("name", sorted(SECURE))
def test_the_same_resources_done_right_pass(run: RunProgram, name: str) -> None:
    assert mandatory(run, SECURE[name]) == []


def test_the_gpu_allow_list_is_configurable(run: RunProgram) -> None:
    program, _ = PROGRAMS["gpu-pool-spot"]
    narrowed = {**PROD, "gpu-instance-types-allowed": {"allowedInstanceTypes": ["g5.xlarge"]}}
    assert {p for p, _ in mandatory(run, SECURE["tainted-gpu-pool"], narrowed)} == {"gpu-instance-types-allowed"}
    allowing_spot = {**PROD, "gpu-spot-allowed": {"allowSpot": True}}
    assert mandatory(run, program, allowing_spot) == []


def test_every_category_has_rules_and_every_new_rule_a_failing_program() -> None:
    refused_by = {rule for _, rule in PROGRAMS.values()}
    untested = {p.name for p in POLICIES} - refused_by - {
        # Covered by their own fixtures: tests/policy/test_rules.py and test_readiness.py.
        "eks-cluster-hardened", "ec2-launch-template-hardened", "s3-bucket-secure", "ecr-repository-hardened",
        "stateful-resources-protected", "k8s-custom-objects-after-crds", "k8s-autoscaling-metrics-served",
        "k8s-await-covers-startup", "eks-version-supported", "gpu-instance-types-allowed",
        # Warnings in both stacks: their mistakes and fixes in tests/policy/test_hygiene_rules.py.
        "k8s-default-service-account-unused", "k8s-approved-registries", "s3-bucket-lifecycle",
        "rds-enhanced-monitoring",
    }  # fmt: skip
    assert untested == set()


def test_mlops_plan_refuses_an_insecure_program_naming_the_rule(tmp_path: Path) -> None:
    results = {}
    for name, setting in (("sg-ssh-from-world", "mistake"), ("sg-from-vpc", "secure")):
        stack_file = tmp_path / f"{name}.yaml"
        stack_file.write_text(f"config:\n  aws:region: us-east-1\n  insecure:{setting}: {name}\n")
        out = tmp_path / name
        result = mlops("plan", "--stack", "prod", "--program", "tests/programs/insecure", "--config", str(stack_file),
                       "--out", str(out), "--format", "json")  # fmt: skip
        violations = json.loads((out / "plan.json").read_text())["violations"]
        results[name] = (result.returncode, sorted({v["policy"] for v in violations}))
    assert results == {"sg-ssh-from-world": (1, ["ec2-no-world-ingress"]), "sg-from-vpc": (0, [])}


def test_mlops_plan_writes_no_secret_a_violation_quotes(tmp_path: Path) -> None:
    """The pack judges the decrypted image and quotes it; plan.json (the other files too) and
    the text output read ``[secret]`` in its place, as the inputs do, and still report it."""
    stack_file = tmp_path / "Pulumi.prod.yaml"
    stack_file.write_text("config:\n  aws:region: us-east-1\n  insecure:mistake: secret-image-not-digest\n")
    printed = {}
    for fmt in ("json", "text"):
        result = mlops("plan", "--stack", "prod", "--program", "tests/programs/insecure", "--config", str(stack_file),
                       "--out", str(tmp_path / fmt), "--format", fmt)  # fmt: skip
        assert result.returncode == 1, result.stderr
        printed[fmt] = result.stdout
    written = [p.read_text() for p in (tmp_path / "json").rglob("*") if p.is_file()]
    for text in (*written, printed["json"], printed["text"]):
        assert "private-app" not in text  # the name in insecure_programs.SECRET_IMAGE
    plan_json = (tmp_path / "json" / "plan.json").read_text()
    assert [(v["policy"], v["message"]) for v in json.loads(plan_json)["violations"]] == [
        ("k8s-pinned-images", "container app runs '[secret]' by tag; pin it by digest (image@sha256:...)")
    ]
    assert "k8s-pinned-images: app: container app runs '[secret]' by tag" in printed["text"]


def test_the_readme_table_is_generated_from_the_pack() -> None:
    assert marked_section((ROOT / "README.md").read_text(), readme.SECTION) == table()
    assert len(RULES) == len(POLICIES) == len({r.name for r in RULES})
    categories = {r.category for r in RULES}
    assert {"IAM", "Network", "Encryption", "Kubernetes workloads", "GPU and cost", "Tags"} <= categories

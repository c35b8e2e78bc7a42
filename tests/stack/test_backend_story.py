"""One backend story, end to end (issue 35, item 5): the bootstrap's outputs go where the workflows
and the CLI read them, and CI's roles may read exactly their stack's state and secrets key.

The bootstrap program is planned offline (``mlops plan --program bootstrap``, its real outputs);
``bootstrap/publish.py`` then runs against a copy of the stack files with a ``gh`` on PATH that
records what it was asked to do.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT
from tests.stack.test_plan_command import mlops
from tests.unit.test_workflows import all_workflows

pytestmark = pytest.mark.stack

PUBLISH = ROOT / "bootstrap" / "publish.py"
FAKE_GH = """#!/bin/sh
printf '%s\\n' "$*" >> "$GH_LOG"
"""


@pytest.fixture(scope="module")
def bootstrap_plan(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("bootstrap")
    result = mlops("plan", "--stack", "prod", "--program", "bootstrap", "--out", str(out))
    assert result.returncode == 0, result.stderr
    return json.loads((out / "plan.json").read_text())


def run_publish(
    tmp_path: Path, outputs: dict[str, Any], *args: str
) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    (tmp_path / "outputs.json").write_text(json.dumps(outputs))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / "gh").write_text(FAKE_GH)
    (bin_dir / "gh").chmod(0o755)
    log = tmp_path / "gh.log"
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "GH_LOG": str(log)}
    result = subprocess.run(
        [sys.executable, str(PUBLISH), "--outputs", str(tmp_path / "outputs.json"), "--root", str(tmp_path), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    return result, log.read_text().splitlines() if log.exists() else []


def copy_stack_files(tmp_path: Path) -> None:
    for stack in ("dev", "prod"):
        shutil.copy(ROOT / f"Pulumi.{stack}.yaml", tmp_path / f"Pulumi.{stack}.yaml")


def login_variables() -> set[str]:
    """The variable every workflow's `pulumi login` step reads its backend from."""
    found: set[str] = set()
    for data in all_workflows().values():
        for job in data["jobs"].values():
            for step in job["steps"]:
                if "pulumi login" in str(step.get("run", "")):
                    found |= {
                        value.removeprefix("${{ vars.").removesuffix(" }}")
                        for value in step["env"].values()
                        if "vars." in value
                    }
    return found


def test_the_bootstrap_writes_the_backend_where_every_workflow_reads_it(
    bootstrap_plan: dict[str, Any], tmp_path: Path
) -> None:
    outputs = bootstrap_plan["outputs"]
    copy_stack_files(tmp_path)
    # A stack file without the line gets it; one with another provider (and no encrypted key yet) is corrected.
    dev = tmp_path / "Pulumi.dev.yaml"
    dev.write_text(
        "\n".join(line for line in dev.read_text().splitlines() if not line.startswith("secretsprovider:")) + "\n"
    )
    prod = tmp_path / "Pulumi.prod.yaml"
    prod.write_text(prod.read_text().replace("alias/mlops-pulumi-secrets-prod", "alias/someone-elses-key"))
    result, gh = run_publish(tmp_path, outputs)
    assert result.returncode == 0, result.stderr
    assert login_variables() == {"PULUMI_BACKEND_URL"}
    assert gh == [f"variable set PULUMI_BACKEND_URL --body {outputs['backendUrl']}"]
    assert outputs["backendUrl"].startswith("s3://pulumi-state-bucket-")
    for stack in ("dev", "prod"):
        written = yaml.safe_load((tmp_path / f"Pulumi.{stack}.yaml").read_text())
        assert written["secretsprovider"] == outputs["secretsProviders"][stack]
        # The committed stack files already say what the bootstrap writes, and the rest stays as it was.
        committed = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())
        assert written == committed
    for stack, provider in outputs["secretsProviders"].items():
        assert f"next: pulumi stack init {stack} --secrets-provider '{provider}'" in result.stdout
    again, _ = run_publish(tmp_path, outputs)
    assert again.returncode == 0 and again.stdout.count("(unchanged)") == 2


def test_pulumi_cloud_leaves_the_variable_unset(bootstrap_plan: dict[str, Any], tmp_path: Path) -> None:
    copy_stack_files(tmp_path)
    result, gh = run_publish(tmp_path, bootstrap_plan["outputs"], "--pulumi-cloud")
    assert result.returncode == 0, result.stderr
    assert gh == ["variable delete PULUMI_BACKEND_URL"]


@pytest.mark.parametrize(
    ("outputs", "fragment"),
    [
        ({"backendUrl": "s3://b"}, "no secretsProviders (run `pulumi up` in bootstrap/ first)"),
        (
            {"backendUrl": "file:///tmp", "secretsProviders": {"dev": "awskms://alias/x?region=us-east-1"}},
            "backendUrl must be s3://",
        ),
        (
            {"backendUrl": "s3://b", "secretsProviders": {"qa": "awskms://alias/x?region=us-east-1"}},
            "Pulumi.qa.yaml: no such stack file",
        ),
    ],
)
def test_bad_outputs_change_nothing(tmp_path: Path, outputs: dict[str, Any], fragment: str) -> None:
    copy_stack_files(tmp_path)
    before = {p.name: p.read_text() for p in tmp_path.glob("Pulumi.*.yaml")}
    result, gh = run_publish(tmp_path, outputs)
    assert result.returncode == 2 and gh == []
    assert result.stderr.count("\n") == 1 and fragment in result.stderr and "Traceback" not in result.stderr
    assert {p.name: p.read_text() for p in tmp_path.glob("Pulumi.*.yaml")} == before


def test_an_encrypted_key_of_another_provider_is_not_overwritten(
    bootstrap_plan: dict[str, Any], tmp_path: Path
) -> None:
    copy_stack_files(tmp_path)
    prod = tmp_path / "Pulumi.prod.yaml"
    text = prod.read_text().replace("alias/mlops-pulumi-secrets-prod", "alias/old-key")
    prod.write_text(text.replace("config:\n", "encryptedkey: AQICAHh...\nconfig:\n", 1))
    result, gh = run_publish(tmp_path, bootstrap_plan["outputs"])
    assert result.returncode == 2 and gh == []
    assert "pulumi stack change-secrets-provider" in result.stderr and "Pulumi.prod.yaml" in result.stderr


def policies(plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        r["name"]: json.loads(r["inputs"]["policy"]) for r in plan["resources"] if r["type"] == "aws:iam/policy:Policy"
    }


def statements(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in document["Statement"]}


def test_ci_roles_read_exactly_their_stacks_key_and_state(bootstrap_plan: dict[str, Any]) -> None:
    resources = bootstrap_plan["resources"]
    # The key each stack's secretsprovider names: the target of its alias.
    key_ids = {
        r["inputs"]["name"].rsplit("-", 1)[-1]: r["inputs"]["targetKeyId"]
        for r in resources
        if r["type"] == "aws:kms/alias:Alias"
    }
    found = policies(bootstrap_plan)
    attached = {
        r["inputs"]["role"]: r["inputs"]["policyArn"]
        for r in resources
        if r["type"] == "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
    }
    arns = bootstrap_plan["outputs"]["ciPolicies"]
    for stack in ("dev", "prod"):
        for purpose in ("preview", "deploy"):
            document = statements(found[f"pulumi-{stack}-{purpose}-policy"])
            secrets = document["StackSecrets"]
            assert (secrets["Action"], secrets["Resource"].rsplit("/", 1)[-1]) == ("kms:Decrypt", key_ids[stack])
            kms_resources = {s["Resource"] for s in document.values() if "kms:Decrypt" in json.dumps(s["Action"])}
            assert len(kms_resources) == 2, "its stack key and the state bucket's key, no other"
            assert all(f"/mlops-platform/{stack}" in arn for arn in document["StackState"]["Resource"])
            assert attached[f"mlops-{stack}-{purpose}"] == arns[stack][purpose]
        preview = statements(found[f"pulumi-{stack}-preview-policy"])
        assert preview["StackState"]["Action"] == ["s3:GetObject"], "a preview takes no lock and writes nothing"
        assert preview["StateBucketKey"]["Action"] == ["kms:Decrypt"]
    assert key_ids["dev"] != key_ids["prod"]

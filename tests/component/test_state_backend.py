"""StateBackend: a protected, encrypted state bucket and one rotating secrets key per stack."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from components.state_backend import StateBackend, secrets_provider, state_policy
from tests.conftest import RunProgram, named, of_type
from tests.stack.test_plan_command import mlops

pytestmark = pytest.mark.component


def test_state_bucket_and_a_secrets_key_per_stack(run: RunProgram) -> None:
    recording = run(lambda: StateBackend("pulumi", {"stacks": ["dev", "prod"], "region": "eu-west-1"}))
    r = named(recording)
    assert r["pulumi-state-bucket"].protect and r["pulumi-state-bucket"].retain_on_delete
    for stack in ("dev", "prod"):
        key = r[f"pulumi-{stack}-secrets-key"]
        assert (key.protect, key.inputs["enableKeyRotation"]) == (True, True)
        alias = r[f"pulumi-{stack}-secrets-alias"]
        assert alias.inputs["name"] == f"alias/mlops-pulumi-secrets-{stack}"
        assert key.urn in alias.dependencies
    assert len(of_type(recording, "aws:kms/alias:Alias")) == 2
    assert secrets_provider("prod", "eu-west-1") == "awskms://alias/mlops-pulumi-secrets-prod?region=eu-west-1"


@pytest.mark.parametrize(
    ("stacks", "fragment"),
    [
        (["dev", "dev"], "each stack once"),
        ([], "at least one"),
        (["Prod"], "lowercase letters"),
    ],
)
def test_bad_stacks_are_refused(run: RunProgram, stacks: list[str], fragment: str) -> None:
    def program() -> None:
        with pytest.raises(ValueError, match=fragment):
            StateBackend("pulumi", {"stacks": stacks, "region": "us-east-1"})

    assert named(run(program)) == {}


def test_the_bootstrap_program_plans_clean_under_the_prod_pack(tmp_path: Path) -> None:
    out = tmp_path / "boot"
    result = mlops("plan", "--stack", "prod", "--program", "bootstrap", "--out", str(out))
    assert result.returncode == 0, result.stderr
    plan = json.loads((out / "plan.json").read_text())
    assert plan["violations"] == []
    assert plan["outputs"]["backendUrl"].startswith("s3://pulumi-state-bucket-")
    assert set(plan["outputs"]["secretsProviders"]) == {"dev", "prod"}


def test_the_deploy_policy_names_the_paths_the_diy_backend_writes() -> None:
    """The object keys pulumi/pulumi v3.259.0 (commit 0ac56e8) uses for a project-scoped stack:
    ``pkg/backend/diy/store.go:122-135`` (``.pulumi/stacks/<project>/<stack>`` + ``.json``, ``.json.gz``
    or ``.json.zst``; ``.pulumi/history/<project>/<stack>/``; ``.pulumi/backups/<project>/<stack>/``) and
    ``pkg/backend/diy/lock.go:170-178`` with ``backend.go:190-195`` (``.pulumi/locks/`` + the stack's
    ``FullyQualifiedName()``, ``organization/<project>/<stack>``, + ``/<lock id>.json``)."""
    bucket = "arn:aws:s3:::state"
    written = {
        f"{bucket}/.pulumi/stacks/mlops-platform/prod.json.gz",
        f"{bucket}/.pulumi/history/mlops-platform/prod/prod-1733600000000000000.checkpoint.json",
        f"{bucket}/.pulumi/backups/mlops-platform/prod/prod.1733600000000000000.json",
        f"{bucket}/.pulumi/locks/organization/mlops-platform/prod/0b3c4d5e-6f70-4182-9394-a5b6c7d8e9f0.json",
    }
    policy = state_policy(
        bucket_arn=bucket, bucket_key_arn="k", secrets_key_arn="s", project="mlops-platform", stack="prod", write=True
    )
    (statement,) = [s for s in policy["Statement"] if s["Sid"] == "StackState"]
    granted = [pattern.replace("*", "") for pattern in statement["Resource"]]
    for key in sorted(written):
        assert any(key.startswith(prefix) for prefix in granted), key
    reader = state_policy(
        bucket_arn=bucket, bucket_key_arn="k", secrets_key_arn="s", project="mlops-platform", stack="prod", write=False
    )
    (read,) = [s for s in reader["Statement"] if s["Sid"] == "StackState"]
    assert read["Resource"] == [f"{bucket}/.pulumi/stacks/mlops-platform/prod.json*"]

"""The policy pack on real plans: the stacks are clean, a known-bad program is not."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.stack

MLOPS = Path(sys.executable).with_name("mlops")
UNPROTECTED = """\
import pulumi
import pulumi_aws as aws
from components import ArtifactBucket

provider = aws.Provider("aws", region="us-east-1", default_tags=aws.ProviderDefaultTagsArgs(
    tags={"team": "t", "cost-center": "c", "environment": "prod"}))
ArtifactBucket("scratch", {"protect": False}, pulumi.ResourceOptions(providers={"aws": provider}))
"""


def test_both_stacks_have_no_violation(stack_plan: tuple[Any, dict[str, Any]]) -> None:
    _, plan = stack_plan
    assert plan["violations"] == []


def test_an_unprotected_bucket_fails_prod_and_passes_dev(tmp_path: Path) -> None:
    program = tmp_path / "team"
    program.mkdir()
    (program / "Pulumi.yaml").write_text("name: team\nruntime: python\n")
    (program / "__main__.py").write_text(UNPROTECTED)

    def plan(stack: str) -> tuple[int, dict[str, Any]]:
        result = subprocess.run(
            [str(MLOPS), "plan", "--stack", stack, "--program", str(program), "--format", "json",
             "--out", str(tmp_path / stack)],
            cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        return result.returncode, json.loads(result.stdout)

    code, prod = plan("prod")
    assert code == 1
    assert sorted((v["policy"], v["enforcementLevel"], v["urn"].rsplit("::", 1)[-1]) for v in prod["violations"]) == [
        ("stateful-resources-protected", "mandatory", "scratch-bucket"),
        ("stateful-resources-protected", "mandatory", "scratch-key"),
    ]
    code, dev = plan("dev")
    assert (code, dev["violations"]) == (0, [])

"""An endpoint's region follows the platform: the contract's region through
``PlatformStack.for_workloads()``, else its AWS provider's; with neither, the plan fails naming
the endpoint and the line that declared it (no silent us-east-1)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from components.model_serving_endpoint import validate_endpoint
from tests.conftest import ROOT
from tests.stack.test_plan_command import MLOPS, mlops
from tests.unit.test_runtimes import endpoint

pytestmark = pytest.mark.stack


def region_env(plan: dict[str, Any], deployment: str) -> dict[str, set[str]]:
    """AWS_DEFAULT_REGION of each container (init containers too) of a Deployment in a plan."""
    [found] = [r for r in plan["resources"] if r["name"] == deployment]
    spec = found["inputs"]["spec"]["template"]["spec"]
    containers = [*spec.get("initContainers", []), *spec["containers"]]
    return {c["name"]: {e["value"] for e in c.get("env", []) if e["name"] == "AWS_DEFAULT_REGION"} for c in containers}


@pytest.fixture(scope="module")
def eu_platform(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("eu-platform")
    stack = root / "Pulumi.dev.yaml"
    text = (ROOT / "examples/gpu-platform/Pulumi.dev.yaml").read_text()
    stack.write_text(text.replace("aws:region: us-east-1", "aws:region: eu-west-1"))
    out = root / "out"
    result = mlops(
        "plan", "--stack", "dev", "--program", "examples/gpu-platform", "--config", str(stack), "--out", str(out)
    )
    assert result.returncode == 0, result.stderr
    return root / "out" / "plan.json"


def test_a_team_endpoint_gets_the_platforms_region(eu_platform: Path, tmp_path: Path) -> None:
    """The team's own stack says us-east-1 (its bucket's provider); its pods run on the platform's
    eu-west-1 cluster and call S3 and STS there."""
    assert json.loads(eu_platform.read_text())["outputs"]["platform"]["region"] == "eu-west-1"
    out = tmp_path / "out"
    result = mlops(
        "plan",
        "--stack",
        "dev",
        "--program",
        "examples/app-team",
        "--stack-outputs",
        str(eu_platform),
        "--out",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    plan = json.loads((out / "plan.json").read_text())
    assert region_env(plan, "fraud-scorer-deployment") == {"copy-model": {"eu-west-1"}, "server": {"eu-west-1"}}


def gpu_team(tmp_path: Path, provider: str) -> Path:
    team = tmp_path / "team"
    shutil.copytree(ROOT / "tests/programs/gpu-team", team)
    main = team / "__main__.py"
    text = main.read_text()
    old = 'aws_provider = aws.Provider("aws", region="us-east-1", default_tags=aws.ProviderDefaultTagsArgs(tags=tags))'
    assert old in text
    main.write_text(text.replace(old, provider))
    return team


def test_without_a_platform_the_endpoint_takes_its_providers_region(tmp_path: Path) -> None:
    provider = (
        'aws_provider = aws.Provider("aws", region="eu-central-1", default_tags=aws.ProviderDefaultTagsArgs(tags=tags))'
    )
    team = gpu_team(tmp_path, provider)
    result = mlops("plan", "--stack", "dev", "--program", str(team), "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    plan = json.loads((tmp_path / "out" / "plan.json").read_text())
    assert region_env(plan, "detector-deployment") == {"copy-model": {"eu-central-1"}, "server": {"eu-central-1"}}


def test_no_region_anywhere_is_an_error_naming_the_endpoint(tmp_path: Path) -> None:
    team = gpu_team(tmp_path, 'aws_provider = aws.Provider("aws", default_tags=aws.ProviderDefaultTagsArgs(tags=tags))')
    stack = team / "Pulumi.dev.yaml"
    stack.write_text(stack.read_text().replace("  aws:region: us-east-1\n", ""))
    env = {k: v for k, v in os.environ.items() if k not in ("AWS_REGION", "AWS_DEFAULT_REGION")}
    result = subprocess.run(
        [str(MLOPS), "plan", "--stack", "dev", "--program", str(team), "--out", str(tmp_path / "out")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    main = team / "__main__.py"
    [line] = [i for i, text in enumerate(main.read_text().splitlines(), 1) if text.startswith("ModelServingEndpoint(")]
    assert (result.returncode, result.stderr) == (
        2,
        f"mlops plan: {main}:{line}: ModelServingEndpoint 'detector': region is unknown: spread "
        "PlatformStack.for_workloads() (the platform's), pass region, or give the AWS provider in opts a region "
        "(aws:region for the default provider)\n",
    )


def test_a_region_given_as_text_is_checked_at_once() -> None:
    [problem] = validate_endpoint(endpoint("vllm", region="eu-wst-1"))
    assert problem.startswith("region 'eu-wst-1' must be an AWS region botocore knows")

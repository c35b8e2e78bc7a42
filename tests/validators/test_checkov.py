"""checkov (--framework kubernetes) on every manifest of the dev and prod plans.

Zero failed checks, apart from the skips in ``checkov_skips.json``: each names the resource
and the check, with a one-line justification. A skip no plan needs any more fails too.
checkov runs from its own environment (``.venv-checkov``, made by ``make test``) because it
pins old boto3/botocore.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.plan.document import dumps_manifest, manifests
from tests.conftest import ROOT, stack_recording

pytestmark = pytest.mark.validators

CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"
SKIPS: dict[str, dict[str, str]] = json.loads((Path(__file__).parent / "checkov_skips.json").read_text())


def checkov(directory: Path, framework: str = "kubernetes") -> dict[str, Any]:
    assert CHECKOV.exists(), "checkov is missing: run `make test` (it creates .venv-checkov)"
    result = subprocess.run(
        [
            str(CHECKOV),
            "-d",
            str(directory),
            "--framework",
            framework,
            "--quiet",
            "--skip-download",
            "-o",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE"},
    )
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)


def failed_checks(stack: str, directory: Path) -> set[tuple[str, str]]:
    for name, obj in manifests(stack_recording(stack).resources).items():
        (directory / name).write_text(dumps_manifest(obj))
    report = checkov(directory)
    assert report["summary"]["parsing_errors"] == 0
    assert report["summary"]["passed"] > 100
    return {(c["resource"], c["check_id"]) for c in report["results"]["failed_checks"]}


def test_plans_pass_checkov_apart_from_justified_skips(tmp_path: Path) -> None:
    failed: set[tuple[str, str]] = set()
    for stack in ("dev", "prod"):
        (tmp_path / stack).mkdir()
        failed |= failed_checks(stack, tmp_path / stack)
    skipped = {(resource, check) for resource, checks in SKIPS.items() for check in checks}
    assert sorted(failed - skipped) == []
    assert sorted(skipped - failed) == [], "stale skips: remove them from checkov_skips.json"
    assert all(len(why) > 20 for checks in SKIPS.values() for why in checks.values())


def test_checkov_does_fail_a_bad_manifest(tmp_path: Path) -> None:
    bad = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "bad", "namespace": "default"},
        "spec": {
            "selector": {"matchLabels": {"app": "bad"}},
            "template": {
                "metadata": {"labels": {"app": "bad"}},
                "spec": {"containers": [{"name": "c", "image": "nginx", "securityContext": {"privileged": True}}]},
            },
        },
    }
    (tmp_path / "bad.yaml").write_text(dumps_manifest(bad))
    failed = {c["check_id"] for c in checkov(tmp_path)["results"]["failed_checks"]}
    assert {"CKV_K8S_16", "CKV_K8S_14"} <= failed  # privileged container, image without tag


def test_github_workflows_pass_checkov_and_preview_every_stack() -> None:
    workflows = ROOT / ".github" / "workflows"
    report = checkov(workflows, "github_actions")
    assert report["summary"]["failed"] == 0 and report["summary"]["passed"] > 10, report["summary"]
    stacks = sorted(p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in ROOT.glob("Pulumi.*.yaml"))
    preview = yaml.safe_load((workflows / "preview.yml").read_text())["jobs"]
    drift = yaml.safe_load((workflows / "drift.yml").read_text())["jobs"]["drift"]
    assert preview["offline"]["strategy"]["matrix"]["stack"] == stacks
    for job in (preview["cloud"], drift):
        assert sorted(entry["stack"] for entry in job["strategy"]["matrix"]["include"]) == stacks
        script = "\n".join(str(s.get("run", "")) for s in job["steps"])
        assert '--policy-pack policies --policy-pack-config "policies/config/$STACK.json"' in script
    assert all((ROOT / "policies" / "config" / f"{stack}.json").is_file() for stack in stacks)


def test_prod_deploys_only_through_its_environment_after_a_preview() -> None:
    deploy = yaml.safe_load((ROOT / ".github" / "workflows" / "deploy.yml").read_text())
    dev, prod = deploy["jobs"]["dev"], deploy["jobs"]["prod"]
    assert dev["needs"] == "gate" and dev["environment"] == "dev"
    assert prod["environment"] == "prod" and prod["needs"] == "prod-preview"
    assert deploy["jobs"]["prod-preview"]["needs"] == "gate"
    assert deploy["permissions"] == {} and prod["concurrency"]["cancel-in-progress"] is False

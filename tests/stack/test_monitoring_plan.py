"""Monitoring in the real dev and prod plans, and its secrets."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml

from components.plan.document import dumps_manifest, manifests
from components.plan.mocks import RecordingMocks
from tests.conftest import ROOT, stack_recording

pytestmark = pytest.mark.stack

MLOPS = Path(sys.executable).with_name("mlops")


def generated_password() -> str:
    args = pulumi.runtime.MockResourceArgs(
        "random:index/randomPassword:RandomPassword", "monitoring-grafana-password", {"length": 32.0}
    )
    return RecordingMocks().new_resource(args)[1]["result"]


def test_monitoring_in_both_plans(stack_plan: tuple[Any, dict[str, Any]]) -> None:
    _, plan = stack_plan
    names = {r["name"]: r for r in plan["resources"]}
    for child in ("kube-prometheus-stack", "dcgm-exporter", "alerts-topic", "rules-gpu-health", "rules-platform"):
        assert f"monitoring-{child}" in names, child
    endpoints = {
        r["inputs"]["metadata"]["name"]
        for r in plan["resources"]
        if r["type"].endswith(":Deployment") and "ModelServingEndpoint" in (r["parent"] or "")
    }
    rule_groups = {n.removeprefix("monitoring-rules-") for n in names if n.startswith("monitoring-rules-")}
    assert {f"endpoint-{e}" for e in endpoints} <= rule_groups
    assert "grafanaAdminPassword" not in plan["outputs"]  # it stays in its Secret (tests/stack/test_tenancy_plan.py)


def test_prod_has_burn_rate_alerts_persistent_storage_and_a_budget(prod_plan: dict[str, Any]) -> None:
    names = {r["name"]: r for r in prod_plan["resources"]}
    rules = names["monitoring-rules-endpoint-fraud-detector"]["inputs"]["spec"]["groups"][0]["rules"]
    assert [r["labels"]["severity"] for r in rules if r["alert"] == "EndpointErrorBudgetBurn"] == [
        "critical",
        "warning",
    ]
    assert "monitoring-storage-class" in names and "monitoring-gpu-budget" in names
    alarms = [
        r["inputs"]
        for r in prod_plan["resources"]
        if r["type"] == "aws:cloudwatch/metricAlarm:MetricAlarm" and r["inputs"]["namespace"] == "AWS/Usage"
    ]
    # gpu: 8 x g6.xlarge (4 vCPU) + large-models: 3 x g6e.12xlarge (48 vCPU), both G/OnDemand.
    assert [(a["dimensions"]["Class"], a["threshold"]) for a in alarms] == [("G/OnDemand", 176)]


def test_no_plaintext_secret_in_plans_or_manifests(tmp_path: Path) -> None:
    password = generated_password()
    for stack in ("dev", "prod"):
        recording = stack_recording(stack)
        text = json.dumps([r.inputs for r in recording.resources]) + json.dumps(recording.outputs)
        text += "".join(dumps_manifest(obj) for obj in manifests(recording.resources).values())
        assert password not in text
        assert "hooks.slack.com" not in text


def test_a_webhook_needs_its_secret(tmp_path: Path) -> None:
    raw = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())
    raw["config"]["mlops-platform:platform"]["monitoring"]["slackChannel"] = "#ml-alerts"
    bad = tmp_path / "Pulumi.dev.yaml"
    bad.write_text(yaml.safe_dump(raw))
    result = subprocess.run(
        [str(MLOPS), "plan", "--stack", "dev", "--config", str(bad), "--out", str(tmp_path / "a")],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert f"{bad}: mlops-platform:slackWebhookUrl: required by platform.monitoring" in result.stderr

    raw["config"]["mlops-platform:slackWebhookUrl"] = {"secure": "v1:ciphertext-the-cli-would-decrypt"}
    bad.write_text(yaml.safe_dump(raw))
    result = subprocess.run(
        [str(MLOPS), "plan", "--stack", "dev", "--config", str(bad), "--out", str(tmp_path / "b"), "--format", "json"],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    receivers = next(r for r in plan["resources"] if r["name"] == "monitoring-alertmanager-receivers")
    assert receivers["inputs"]["stringData"] == "[secret]"

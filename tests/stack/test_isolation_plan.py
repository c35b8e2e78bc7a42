"""Default deny in the platform's own namespaces (serving, mlflow, monitoring) in the real plans:
team namespaces reach neither Prometheus nor Alertmanager, and only the flows each needs are open."""

from __future__ import annotations

from typing import Any

import pytest

from components.plan.runner import Recording

pytestmark = pytest.mark.stack


def policies(plan: dict[str, Any], namespace: str) -> dict[str, dict[str, Any]]:
    return {
        r["inputs"]["metadata"]["name"]: r["inputs"]["spec"]
        for r in plan["resources"]
        if r["type"] == "kubernetes:networking.k8s.io/v1:NetworkPolicy"
        and r["inputs"]["metadata"]["namespace"] == namespace
    }


@pytest.mark.parametrize("namespace", ["serving", "mlflow", "monitoring"])
def test_platform_namespaces_deny_by_default(stack_plan: tuple[Recording, dict[str, Any]], namespace: str) -> None:
    _, plan = stack_plan
    assert policies(plan, namespace)["deny-all"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}


def test_monitoring_admits_only_its_own_pods_keda_and_the_webhook(stack_plan: tuple[Recording, dict[str, Any]]) -> None:
    _, plan = stack_plan
    found = policies(plan, "monitoring")
    peers = [peer for spec in found.values() for rule in spec.get("ingress", []) for peer in rule["from"]]
    namespaces = [p["namespaceSelector"] for p in peers if "namespaceSelector" in p]
    # No team namespace (fraud, recsys) and no namespaceSelector {} admits anyone to Prometheus or Alertmanager.
    assert namespaces == [{"matchLabels": {"kubernetes.io/metadata.name": "keda"}}]
    assert found["allow-keda"]["podSelector"] == {"matchLabels": {"app.kubernetes.io/name": "prometheus"}}
    assert found["allow-keda"]["ingress"][0]["ports"] == [{"port": 9090, "protocol": "TCP"}]
    [webhook] = found["allow-webhook"]["ingress"]
    assert found["allow-webhook"]["podSelector"] == {"matchLabels": {"app": "kube-prometheus-stack-operator"}}
    assert webhook["ports"] == [{"port": 10250, "protocol": "TCP"}]


def test_serving_pods_are_not_each_others_callers(stack_plan: tuple[Recording, dict[str, Any]]) -> None:
    _, plan = stack_plan
    found = policies(plan, "serving")
    assert "allow-own" not in found
    assert {"deny-all", "allow-dns", "allow-aws", "allow-registry"} <= set(found)

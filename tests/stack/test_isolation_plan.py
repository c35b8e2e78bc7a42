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


def canaried(plan: dict[str, Any]) -> bool:
    return any(r["type"] == "kubernetes:argoproj.io/v1alpha1:Rollout" for r in plan["resources"])


def test_monitoring_admits_only_its_own_pods_keda_argo_rollouts_and_the_webhook(
    stack_plan: tuple[Recording, dict[str, Any]],
) -> None:
    _, plan = stack_plan
    found = policies(plan, "monitoring")
    peers = [peer for spec in found.values() for rule in spec.get("ingress", []) for peer in rule["from"]]
    namespaces = [
        p["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"] for p in peers if "namespaceSelector" in p
    ]
    # No team namespace (fraud, recsys) and no namespaceSelector {} admits anyone to Prometheus or
    # Alertmanager; the Argo Rollouts controller only where a canary's analyses need it (prod).
    assert sorted(namespaces) == sorted(["keda", *(["argo-rollouts"] if canaried(plan) else [])])
    assert canaried(plan) == (plan["stack"] == "prod")
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


def admitted(plan: dict[str, Any], namespace: str, pod: dict[str, str], source_namespace: str, port: int) -> bool:
    """Whether a pod of ``source_namespace`` reaches ``pod`` in ``namespace`` on ``port``: some
    ingress NetworkPolicy selecting the pod (matchLabels) has a rule whose peers include the source
    namespace by name and whose ports include ``port`` (the only shapes the platform writes)."""
    for spec in policies(plan, namespace).values():
        selected = spec["podSelector"].get("matchLabels", {}).items() <= pod.items()
        for rule in spec.get("ingress", []) if selected else []:
            names = [
                p["namespaceSelector"].get("matchLabels", {}).get("kubernetes.io/metadata.name")
                for p in rule.get("from", [])
                if "namespaceSelector" in p and "podSelector" not in p
            ]
            ports = [p["port"] for p in rule.get("ports", [])]
            if source_namespace in names and (not ports or port in ports):
                return True
    return False


def test_the_rollouts_controller_reaches_the_prometheus_its_analyses_query(prod_plan: dict[str, Any]) -> None:
    """The controller (in argo-rollouts) runs each AnalysisTemplate's queries against the address in
    its args; monitoring denies by default, so without its own rule every measurement errors and
    every canary aborts after consecutiveErrorLimit."""
    templates = [r for r in prod_plan["resources"] if r["type"] == "kubernetes:argoproj.io/v1alpha1:AnalysisTemplate"]
    assert templates
    prometheus = {"app.kubernetes.io/name": "prometheus"}
    for template in templates:
        [address] = [a["value"] for a in template["inputs"]["spec"]["args"] if a["name"] == "prometheus"]
        host, port = address.removeprefix("http://").split(":")
        assert host.split(".")[1] == "monitoring"
        assert admitted(prod_plan, "monitoring", prometheus, "argo-rollouts", int(port))
    assert not admitted(prod_plan, "monitoring", prometheus, "fraud", 9090)

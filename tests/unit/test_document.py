"""Turning a recording into plan files: pure functions."""

from __future__ import annotations

from typing import Any

import pytest

from components.plan.document import integers, manifests, mermaid
from components.plan.monitor import Registration, plain, provider_urn

pytestmark = pytest.mark.unit


def reg(
    urn: str,
    type_: str,
    inputs: dict[str, Any],
    *,
    custom: bool = True,
    parent: str | None = None,
    deps: list[str] | None = None,
) -> Registration:
    return Registration(urn, type_, urn.rsplit("::", 1)[-1], custom, parent, None, deps or [], inputs)


def test_integers_restores_whole_numbers_only() -> None:
    assert integers({"replicas": 2.0, "cpu": 0.5, "ports": [8000.0], "name": "x", "on": True}) == {
        "replicas": 2,
        "cpu": 0.5,
        "ports": [8000],
        "name": "x",
        "on": True,
    }
    assert isinstance(integers(2.0), int)


def test_manifests_are_named_by_kind_namespace_and_name() -> None:
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "llm", "namespace": "serving"},
        "spec": {"replicas": 1.0},
    }
    resources = [
        reg("u::a", "kubernetes:apps/v1:Deployment", deployment),
        reg("u::b", "kubernetes:apps/v1:Deployment", deployment),
        reg("u::c", "kubernetes:helm.sh/v3:Release", {"chart": "x"}),
        reg("u::d", "pulumi:providers:kubernetes", {"kubeconfig": "[secret]"}),
    ]
    files = manifests(resources)
    assert sorted(files) == ["deployment-serving-llm-2.yaml", "deployment-serving-llm.yaml"]
    assert files["deployment-serving-llm.yaml"]["spec"]["replicas"] == 1


def test_mermaid_draws_parents_and_dependencies() -> None:
    resources = [
        reg("u::stack", "pulumi:pulumi:Stack", {}, custom=False),
        reg("u::key", "aws:kms/key:Key", {}, parent="u::stack"),
        reg("u::bucket", "aws:s3/bucket:Bucket", {}, parent="u::stack", deps=["u::key"]),
    ]
    graph = mermaid(resources).splitlines()
    assert graph[0] == "graph TD"
    assert '  r0(["stack<br/><small>pulumi:pulumi:Stack</small>"])' in graph
    assert "  r0 --> r2" in graph
    assert "  r1 -.-> r2" in graph


def test_wire_values_become_plain_json() -> None:
    secret = {
        "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
        "value": "hunter2",
    }
    ref = {
        "4dabf18193072939515e22adb298388d": "5cf8f73096256a8f31e491e813e4eb8e",
        "urn": "urn:x",
        "id": "i",
    }
    assert plain({"password": secret, "role": ref, "list": [secret]}) == {
        "password": "[secret]",
        "role": "urn:x",
        "list": ["[secret]"],
    }
    assert provider_urn("urn:pulumi:dev::p::pulumi:providers:aws::aws::abc-123") == (
        "urn:pulumi:dev::p::pulumi:providers:aws::aws"
    )
    assert provider_urn("") is None


def test_wholly_secret_fields_are_left_out_with_an_annotation() -> None:
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "s", "namespace": "m"},
        "stringData": "[secret]",
    }
    [obj] = manifests([reg("u::s", "kubernetes:core/v1:Secret", secret)]).values()
    assert "stringData" not in obj
    assert obj["metadata"]["annotations"] == {"mlops-platform/plan-masked-fields": "stringData"}

"""Every Helm release of the real plans waits for what its values name, within its chart's timeout.

An atomic install whose values name a Secret, a ConfigMap or a StorageClass that does not exist
yet starts pods that cannot start (or volume claims nothing binds) and is rolled back when its
timeout expires: each named object, and the driver provisioning a StorageClass's volumes, must be
a dependency of the release.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

import pytest

from components import timings
from components.plan.runner import Recording

pytestmark = pytest.mark.stack

RELEASE = "kubernetes:helm.sh/v3:Release"
PROVISIONER_ADDONS = {"ebs.csi.aws.com": "aws-ebs-csi-driver"}
"""StorageClass provisioner -> the EKS add-on that serves it."""


def named_objects(values: Any) -> Iterator[tuple[str, str]]:
    """``(kind, name)`` of every object a chart's values refer to by name."""
    if isinstance(values, dict):
        for key, value in cast(dict[str, Any], values).items():
            if key == "existingSecret" and isinstance(value, str):
                yield "Secret", value
            elif key == "secrets" and isinstance(value, list):
                yield from (("Secret", str(v)) for v in cast(list[Any], value))
            elif key == "storageClassName" and isinstance(value, str):
                yield "StorageClass", value
            elif key == "configMap" and isinstance(value, dict) and "name" in value:
                yield "ConfigMap", str(cast(dict[str, Any], value)["name"])
            else:
                yield from named_objects(value)
    elif isinstance(values, list):
        for value in cast(list[Any], values):
            yield from named_objects(value)


def objects(plan: dict[str, Any]) -> dict[tuple[str, str | None, str], dict[str, Any]]:
    """Kubernetes objects by ``(kind, namespace, name)`` (namespace None when cluster-scoped)."""
    found: dict[tuple[str, str | None, str], dict[str, Any]] = {}
    for resource in plan["resources"]:
        inputs = resource["inputs"]
        if resource["type"].startswith("kubernetes:") and "kind" in inputs:
            metadata = cast(dict[str, Any], inputs.get("metadata") or {})
            found[(inputs["kind"], metadata.get("namespace"), str(metadata.get("name")))] = resource
    return found


def test_every_release_waits_for_what_its_values_name(stack_plan: tuple[Recording, dict[str, Any]]) -> None:
    recording, plan = stack_plan
    stack = recording.stack
    by_kind = objects(plan)
    addons = {r["inputs"]["addonName"]: r["urn"] for r in plan["resources"] if r["type"] == "aws:eks/addon:Addon"}
    checked: set[tuple[str, str]] = set()
    for release in (r for r in plan["resources"] if r["type"] == RELEASE):
        chart, namespace = release["inputs"]["chart"], release["inputs"]["namespace"]
        # Each release is rolled back after its chart's timeout, not the provider's 300 s.
        assert release["inputs"]["timeout"] == timings.helm_release(chart).timeout, chart
        for kind, name in named_objects(release["inputs"].get("values") or {}):
            scope = None if kind == "StorageClass" else namespace
            target = by_kind.get((kind, scope, name))
            assert target is not None, f"{stack}: {chart} names {kind} {name}, which the stack does not declare"
            assert target["urn"] in release["dependencies"], f"{stack}: {chart} does not wait for {kind} {name}"
            if kind == "StorageClass":
                addon = PROVISIONER_ADDONS[target["inputs"]["provisioner"]]
                assert addons[addon] in release["dependencies"], f"{stack}: {chart} does not wait for {addon}"
            checked.add((kind, name))
    expected = {("Secret", "grafana-admin"), ("ConfigMap", "dcgm-exporter-counters")}
    if stack == "prod":  # persistent storage
        expected.add(("StorageClass", "gp3-encrypted"))
    assert expected <= checked

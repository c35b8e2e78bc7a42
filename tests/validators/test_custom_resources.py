"""Every custom object in the dev and prod plans, validated against the CRD schema of the
operator version the pinned charts install (vendored under tests/vendor/crds with their
source), strictly: a field the CRD does not define is an error, as kubernetes-validate
--strict treats built-in kinds."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any, cast

import jsonschema
import pytest

from components.plan.document import manifests
from tests.conftest import ROOT, stack_recording
from tests.stack.test_karpenter_plan import karpenter_prod_recording

pytestmark = pytest.mark.validators

CRDS = ROOT / "tests" / "vendor" / "crds"


def strict(schema: Any) -> Any:
    """An OpenAPI v3 CRD schema as JSON Schema that refuses unknown fields (what the API
    server's pruning would silently drop)."""
    if isinstance(schema, list):
        return [strict(s) for s in cast(list[Any], schema)]
    if not isinstance(schema, dict):
        return schema
    node = {k: strict(v) for k, v in cast(dict[str, Any], schema).items() if not k.startswith("x-kubernetes")}
    if (
        "properties" in node
        and "additionalProperties" not in node
        and not schema.get("x-kubernetes-preserve-unknown-fields")
    ):
        node["additionalProperties"] = False
    if schema.get("x-kubernetes-int-or-string"):
        node.pop("type", None)
        node["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    return node


@cache
def schemas() -> dict[tuple[str, str], dict[str, Any]]:
    """(apiVersion, kind) -> strict schema, from every vendored CRD."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for path in sorted(CRDS.glob("*.json")):
        crd = json.loads(path.read_text())
        for version, schema in crd["versions"].items():
            found[(f"{crd['group']}/{version}", crd["kind"])] = strict(schema)
    return found


def errors(obj: dict[str, Any]) -> list[str]:
    schema = schemas()[(obj["apiVersion"], obj["kind"])]
    validator = jsonschema.Draft7Validator(schema)
    return [f"{'.'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in validator.iter_errors(obj)]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_custom_objects_match_their_crd_schemas(stack: str) -> None:
    custom = {
        name: obj
        for name, obj in manifests(stack_recording(stack).resources).items()
        if obj["apiVersion"].partition("/")[0]
        in {"monitoring.coreos.com", "keda.sh", "karpenter.sh", "karpenter.k8s.aws", "argoproj.io"}
    }
    kinds = {(o["apiVersion"], o["kind"]) for o in custom.values()}
    expected = {("monitoring.coreos.com/v1", "ServiceMonitor"), ("monitoring.coreos.com/v1", "PrometheusRule")}
    if stack == "prod":
        # Prod serves its endpoints through Argo Rollouts canaries (endpoints[].canary defaults to true there).
        expected |= {
            ("keda.sh/v1alpha1", "ScaledObject"),
            ("argoproj.io/v1alpha1", "Rollout"),
            ("argoproj.io/v1alpha1", "AnalysisTemplate"),
        }
    else:
        expected |= {("karpenter.sh/v1", "NodePool"), ("karpenter.k8s.aws/v1", "EC2NodeClass")}
    assert kinds == expected
    assert {name: errors(obj) for name, obj in custom.items()} == {name: [] for name in custom}


def test_the_schemas_refuse_unknown_and_mistyped_fields() -> None:
    monitor = {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": {"name": "x"},
        "spec": {"selector": {}, "endpoints": [{"port": "http", "intervall": "30s"}]},
    }
    assert any("intervall" in e for e in errors(monitor))
    scaled = {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "ScaledObject",
        "metadata": {"name": "x"},
        "spec": {"scaleTargetRef": {"name": "x"}, "minReplicaCount": "two", "triggers": []},
    }
    assert any(e.startswith("spec.minReplicaCount") for e in errors(scaled))
    assert any("scaleTargetRef" in e for e in errors({**scaled, "spec": {"triggers": []}}))
    node_class = {
        "apiVersion": "karpenter.k8s.aws/v1",
        "kind": "EC2NodeClass",
        "metadata": {"name": "x"},
        "spec": {
            "amiSelectorTerms": [{"alias": "al2023@latest"}],
            "subnetSelectorTerms": [{"id": "subnet-1"}],
            "securityGroupSelectorTerms": [{"id": "sg-1"}],
            "metadataOptions": {"httpTokens": "sometimes"},
        },
    }
    assert any(e.startswith("spec.metadataOptions.httpTokens") for e in errors(node_class))
    pool = {
        "apiVersion": "karpenter.sh/v1",
        "kind": "NodePool",
        "metadata": {"name": "x"},
        "spec": {
            "template": {"spec": {"nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": "x"},
                                  "requirements": [], "expireAfter": "30 days"}},
            "disruption": {"budgets": [{"nodes": "one"}]},
            "limit": {"cpu": "8"},
        },
    }  # fmt: skip
    rollout = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "metadata": {"name": "x"},
        "spec": {
            "selector": {"matchLabels": {"a": "b"}},
            "progressDeadlineAbort": "yes",
            "strategy": {"canary": {"steps": [{"setWieght": 1}], "analysis": {"templates": [{"name": "x"}]}}},
        },
    }
    assert {e.split(":")[0] for e in errors(rollout)} >= {
        "spec.progressDeadlineAbort",
        "spec.strategy.canary.steps.0",
        "spec.strategy.canary.analysis.templates.0",
    }
    analysis = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AnalysisTemplate",
        "metadata": {"name": "x"},
        "spec": {"metrics": [{"name": "m", "interval": 60, "provider": {"prometheus": {"querry": "up"}}}]},
    }
    assert {e.split(":")[0] for e in errors(analysis)} >= {
        "spec.metrics.0.interval",
        "spec.metrics.0.provider.prometheus",
    }
    assert {e.split(":")[0] for e in errors(pool)} >= {
        "spec.template.spec.expireAfter",
        "spec.disruption.budgets.0.nodes",
        "spec",
    }


def test_vendored_crds_say_where_they_come_from() -> None:
    for path in CRDS.glob("*.json"):
        source = json.loads(path.read_text())["source"]
        assert source.startswith("github.com/") and " tag " in source, path.name
    assert len(list(Path(CRDS).glob("*.json"))) == 8


def test_prod_with_a_karpenter_pool_validates_too() -> None:
    """Prod chooses its provisioner in config; its Karpenter objects (pinned AMI) validate as dev's."""
    custom = {
        name: obj
        for name, obj in manifests(karpenter_prod_recording().resources).items()
        if obj["apiVersion"].partition("/")[0] in {"karpenter.sh", "karpenter.k8s.aws"}
    }
    assert {o["kind"] for o in custom.values()} == {"NodePool", "EC2NodeClass"}
    assert {name: errors(obj) for name, obj in custom.items()} == {name: [] for name in custom}

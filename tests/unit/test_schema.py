"""Pulumi's own schema inference accepts every exported component (what ``pulumi package add``
runs for other languages), and the schema says what the components need and give."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi.provider.experimental.analyzer import Analyzer

import components
from components.provider import PROVIDER_NAME, exported
from tests.conftest import ROOT

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return dict(Analyzer(PROVIDER_NAME).analyze(exported()))


def test_every_component_is_in_the_schema(schema: dict[str, Any]) -> None:
    assert sorted(schema["component_definitions"]) == sorted(components.COMPONENTS)
    assert {d.name for d in schema["dependencies"]} == {"aws", "kubernetes"}


@pytest.mark.parametrize(
    ("component", "required", "outputs"),
    [
        ("Cluster", {"clusterName", "subnetIds", "region"}, {"clusterName", "kubeconfig", "oidcProviderArn", "crds"}),
        ("ArtifactBucket", set(), {"bucketName", "arn", "kmsKeyArn"}),
        ("ModelServingEndpoint", {"runtime", "crds", "pool"}, {"roleArn"}),
        (
            "ModelRegistry",
            {"crds", "vpcId", "subnetIds", "nodeSecurityGroupId", "bucketName", "artifactPrefix", "artifactPolicy"},
            {"roleArn", "dbEndpoint", "dbSecretArn", "adminPassword"},
        ),
        ("StateBackend", {"stacks", "region"}, {"backendUrl", "secretsProviders"}),
    ],
)
def test_required_inputs_and_outputs(
    schema: dict[str, Any], component: str, required: set[str], outputs: set[str]
) -> None:
    definition = schema["component_definitions"][component]
    assert {name for name, p in definition.inputs.items() if not p.optional} >= required
    assert set(definition.outputs) >= outputs
    # Every input and output carries its docstring as the schema description.
    assert all(p.description for p in [*definition.inputs.values(), *definition.outputs.values()])


def test_the_plugin_manifest_points_at_the_host() -> None:
    manifest = (ROOT / "PulumiPlugin.yaml").read_text()
    assert "runtime: python" in manifest and "main: plugin/" in manifest
    assert "components.provider import main" in (ROOT / "plugin" / "__main__.py").read_text()

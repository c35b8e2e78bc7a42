"""What the Pulumi engine sends a policy pack, built from a recording.

The CLI runs a pack as a plugin and speaks the Analyzer gRPC protocol to it: ``Configure`` with
the resolved pack config, ``Analyze`` once per resource with its inputs, ``AnalyzeStack`` once
with every managed resource's outputs (pulumi/pulumi v3.259.0,
``pkg/resource/plugin/analyzer_plugin.go`` and ``pkg/resource/deploy/step_generator.go``):

- properties are marshalled keeping unknowns and secrets, with resource references replaced by
  their IDs (:func:`components.plan.monitor.engine_form`);
- components are analyzed like custom resources (their inputs, then their registered outputs);
  reads (``get``, StackReferences) are analyzed neither way;
- a resource on a default provider is sent that provider, configured from the stack's
  ``<package>:<key>`` config.

``mlops plan`` evaluates the pack on what :class:`Engine` knows through ``pulumi_policy``'s own
deserialization (:mod:`components.plan.policy`); the protocol test sends :class:`Requests`, the
wire messages, to the pack running as a plugin process.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from google.protobuf import struct_pb2
from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy import EnforcementLevel

from components.plan.monitor import Registration
from components.policies.settings import ResolvedConfig

_LEVELS = {
    EnforcementLevel.ADVISORY: analyzer_pb2.ADVISORY,
    EnforcementLevel.MANDATORY: analyzer_pb2.MANDATORY,
    EnforcementLevel.REMEDIATE: analyzer_pb2.REMEDIATE,
    EnforcementLevel.DISABLED: analyzer_pb2.DISABLED,
}


def struct(properties: Mapping[str, Any]) -> struct_pb2.Struct:
    """A property map as a protobuf ``Struct`` (numbers become doubles, as on the wire)."""
    message = struct_pb2.Struct()
    message.update(properties)
    return message


@dataclass(frozen=True)
class Provider:
    """A resource's provider as the engine sends it: its inputs as properties."""

    type: str
    urn: str
    name: str
    properties: Mapping[str, Any]


class Engine:
    """What the engine knows of each resource of a recording: which it analyzes, each one's
    provider (explicit, or the package's default one configured from the stack), its managed
    dependencies. :class:`Requests` turns it into the wire messages; ``mlops plan`` reads the
    same facts directly (:mod:`components.plan.policy`)."""

    def __init__(self, resources: Sequence[Registration], config: Mapping[str, str]) -> None:
        self._by_urn = {r.urn: r for r in resources}
        self._config = config
        self._providers: dict[str, Provider] = {}
        self.managed = [r for r in resources if not r.read]
        """Resources the engine analyzes: everything registered, not read."""
        self._managed_urns = {r.urn for r in self.managed}

    def provider(self, resource: Registration) -> Provider | None:
        """The resource's provider: its explicit one, else the package's default provider
        (custom resources only: a local component has none)."""
        if not resource.custom or resource.type.startswith("pulumi:"):
            return None
        key = resource.provider or resource.type.split(":", 1)[0]
        if key not in self._providers:
            explicit = self._by_urn.get(resource.provider or "")
            if explicit is not None:
                self._providers[key] = Provider(explicit.type, explicit.urn, explicit.name, explicit.analyzed_inputs)
            else:
                self._providers[key] = self._default_provider(key, resource.urn)
        return self._providers[key]

    def _default_provider(self, package: str, urn: str) -> Provider:
        stack, project = urn.removeprefix("urn:pulumi:").split("::")[:2]
        prefix = f"{package}:"
        properties = {k.removeprefix(prefix): v for k, v in self._config.items() if k.startswith(prefix)}
        return Provider(
            f"pulumi:providers:{package}",
            f"urn:pulumi:{stack}::{project}::pulumi:providers:{package}::default",
            "default",
            properties,
        )

    def parent(self, resource: Registration) -> str | None:
        """The parent ``AnalyzeStack`` links (a managed resource)."""
        return resource.parent if resource.parent in self._managed_urns else None

    def dependencies(self, resource: Registration) -> list[str]:
        """The dependencies ``AnalyzeStack`` links (managed resources)."""
        return [d for d in resource.dependencies if d in self._managed_urns]


class Requests:
    """Every message the engine would send for one recording, built once (the protocol test
    sends them to the pack as a plugin)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._providers: dict[str, analyzer_pb2.AnalyzerProviderResource] = {}
        self.analyze = [self._analyze_request(r) for r in engine.managed]
        """One ``AnalyzeRequest`` per managed resource, in the recording's order."""
        self.analyze_stack = analyzer_pb2.AnalyzeStackRequest(
            resources=[self._analyzer_resource(r) for r in engine.managed]
        )
        """The one ``AnalyzeStackRequest``."""

    def _options(self, resource: Registration) -> analyzer_pb2.AnalyzerResourceOptions:
        return analyzer_pb2.AnalyzerResourceOptions(
            protect=resource.protect,
            ignoreChanges=resource.ignore_changes,
            deleteBeforeReplace=resource.delete_before_replace,
            deleteBeforeReplaceDefined=resource.delete_before_replace,
            aliases=resource.aliases,
            parent=resource.parent or "",
        )

    def _provider(self, resource: Registration) -> analyzer_pb2.AnalyzerProviderResource | None:
        provider = self._engine.provider(resource)
        if provider is None:
            return None
        if provider.urn not in self._providers:
            self._providers[provider.urn] = analyzer_pb2.AnalyzerProviderResource(
                type=provider.type, properties=struct(provider.properties), urn=provider.urn, name=provider.name
            )
        return self._providers[provider.urn]

    def _common(self, resource: Registration) -> dict[str, Any]:
        """The fields both messages share: type, URN, name, options and provider."""
        return {
            "type": resource.type,
            "urn": resource.urn,
            "name": resource.name,
            "options": self._options(resource),
            "provider": self._provider(resource),
        }

    def _analyze_request(self, resource: Registration) -> analyzer_pb2.AnalyzeRequest:
        return analyzer_pb2.AnalyzeRequest(properties=struct(resource.analyzed_inputs), **self._common(resource))

    def _analyzer_resource(self, resource: Registration) -> analyzer_pb2.AnalyzerResource:
        return analyzer_pb2.AnalyzerResource(
            properties=struct(resource.analyzed_outputs),
            parent=resource.parent or "",
            dependencies=self._engine.dependencies(resource),
            **self._common(resource),
        )


def configure_request(resolved: ResolvedConfig) -> analyzer_pb2.ConfigureAnalyzerRequest:
    """``Configure`` as the CLI sends it: every policy with its level and settings."""
    request = analyzer_pb2.ConfigureAnalyzerRequest()
    for name, (level, properties) in resolved.items():
        request.policyConfig[name].CopyFrom(
            analyzer_pb2.PolicyConfig(enforcementLevel=_LEVELS[level], properties=struct(properties))
        )
    return request

"""Evaluate a CrossGuard policy pack in-process against a recorded program.

The Pulumi CLI runs the pack as a plugin and feeds it each resource; offline we build the
same ``ResourceValidationArgs`` / ``StackValidationArgs`` from the recording and call the
policies' own ``validate`` methods, applying the pack config file the CLI would be given.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from components.plan.monitor import Registration
from components.policies.settings import enforcement_level, policy_config


@dataclass(frozen=True, order=True)
class Violation:
    """One policy violation, as ``plan.json`` reports it."""

    policy: str
    enforcement_level: str
    urn: str | None
    message: str

    def as_json(self) -> dict[str, Any]:
        """The ``plan.json`` shape."""
        return {
            "policy": self.policy,
            "enforcementLevel": self.enforcement_level,
            "urn": self.urn,
            "message": self.message,
        }


def evaluate(
    policies: Sequence[Policy], resources: Sequence[Registration], pack_config: Mapping[str, Any]
) -> list[Violation]:
    """Every violation the policies report on ``resources``, sorted."""
    view = _PackView(resources)
    violations: list[Violation] = []
    for policy in policies:
        level = enforcement_level(policy, pack_config)
        if level is EnforcementLevel.DISABLED:
            continue
        settings = policy_config(policy, pack_config)
        found: list[tuple[str | None, str]] = []
        if isinstance(policy, ResourceValidationPolicy):
            for resource in view.custom:
                _validate(policy, view.resource_args(resource, settings), found, resource.urn)
        elif isinstance(policy, StackValidationPolicy):
            _validate(policy, StackValidationArgs(resources=view.stack_resources(), config=settings), found, None)
        violations += [Violation(policy.name, level.value, urn, message) for urn, message in found]
    return sorted(set(violations))


class _PackView:
    """The recording as policies see it, each resource's view built once for the whole pack."""

    def __init__(self, resources: Sequence[Registration]) -> None:
        self.by_urn = {r.urn: r for r in resources}
        self.custom = [r for r in resources if r.custom]
        self.options = {r.urn: _options(r) for r in resources}
        self._stack: list[PolicyResource] | None = None

    def provider(self, resource: Registration) -> PolicyProviderResource | None:
        provider = self.by_urn.get(resource.provider or "")
        if provider is None:
            return None
        return PolicyProviderResource(provider.type, provider.inputs, provider.urn, provider.name)

    def _common(
        self, resource: Registration
    ) -> tuple[str, dict[str, Any], str, str, PolicyResourceOptions, PolicyProviderResource | None]:
        """What both views share: type, inputs, URN, name, options and provider."""
        return (
            resource.type,
            resource.inputs,
            resource.urn,
            resource.name,
            self.options[resource.urn],
            self.provider(resource),
        )

    def resource_args(self, resource: Registration, settings: Mapping[str, Any]) -> ResourceValidationArgs:
        return ResourceValidationArgs(*self._common(resource), config=settings)

    def stack_resources(self) -> list[PolicyResource]:
        """Stack-policy views of the custom resources, with parent and dependencies one level deep."""
        if self._stack is None:
            self._stack = [self._policy_resource(r) for r in self.custom]
        return self._stack

    def _shallow(self, urn: str) -> PolicyResource | None:
        other = self.by_urn.get(urn)
        if other is None:
            return None
        options = self.options[urn]
        return PolicyResource(other.type, other.inputs, other.urn, other.name, options, None, None, [], {})

    def _policy_resource(self, resource: Registration) -> PolicyResource:
        dependencies = [d for d in (self._shallow(urn) for urn in resource.dependencies) if d is not None]
        return PolicyResource(
            *self._common(resource),
            parent=self._shallow(resource.parent or ""),
            dependencies=dependencies,
            property_dependencies={},
        )


def _validate(policy: Policy, args: object, found: list[tuple[str | None, str]], default_urn: str | None) -> None:
    """Call the policy's own validate(); async validators run on a loop of their own."""

    def report(message: str, urn: str | None = None) -> None:
        found.append((urn or default_urn, message))

    validate = cast(
        Callable[[object, ReportViolation], Awaitable[Any] | None],
        policy.validate,  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType]
    )
    result = validate(args, report)
    if result is not None:
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(_wait(result))
        finally:
            loop.close()


async def _wait(result: Awaitable[Any]) -> None:
    await result


def _options(resource: Registration) -> PolicyResourceOptions:
    return PolicyResourceOptions(
        protect=resource.protect,
        ignore_changes=list(resource.ignore_changes),
        delete_before_replace=resource.delete_before_replace,
        aliases=[],
        custom_timeouts=PolicyCustomTimeouts(0, 0, 0),
        additional_secret_outputs=[],
        parent=resource.parent,
    )

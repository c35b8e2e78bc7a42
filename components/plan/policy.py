"""Evaluate the CrossGuard policy pack on a recording, on the objects the CLI's plugin builds.

The engine's messages (:mod:`components.plan.engine`) are turned into policy arguments by
``pulumi_policy``'s own functions, exactly as its gRPC servicer does (``deserialize_properties``
on the message's ``Struct``, ``unknown_checking_proxy`` around it), but once per resource for the
whole pack instead of once per policy. A policy that reads an unknown value is reported as not
run (the CLI's advisory "can't run policy ... during preview"), never as a violation; any other
exception is a pack error, as it fails a real preview.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from inspect import isawaitable
from typing import Any, cast

from google.protobuf import json_format
from pulumi.runtime.proto import analyzer_pb2
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
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.policy import _NotApplicableError  # pyright: ignore[reportPrivateUsage]
from pulumi_policy.proxy import UnknownValueError, unknown_checking_proxy

from components.plan.engine import Requests
from components.plan.monitor import Registration
from components.policies.settings import ResolvedConfig, resolve


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


@dataclass(frozen=True, order=True)
class NotRun:
    """A policy that could not judge a resource (or the stack) because a value it read is unknown."""

    policy: str
    urn: str | None
    reason: str

    def as_json(self) -> dict[str, Any]:
        """The ``plan.json`` shape (``notRun``)."""
        return {"policy": self.policy, "urn": self.urn, "reason": self.reason}


@dataclass(frozen=True)
class Evaluation:
    """What the pack reported."""

    violations: list[Violation]
    not_run: list[NotRun]


class PolicyError(Exception):
    """A policy raised: under the CLI the analyzer call fails and so does the preview."""


def properties(message: Any) -> Any:
    """A message's ``Struct`` as a policy sees it: ``pulumi_policy``'s deserialization and proxies."""
    return unknown_checking_proxy(deserialize_properties(json_format.MessageToDict(message)))


def options(message: analyzer_pb2.AnalyzerResourceOptions) -> PolicyResourceOptions:
    """Resource options as ``pulumi_policy``'s servicer reads them (``_get_resource_options``)."""
    timeouts = (
        PolicyCustomTimeouts(
            message.customTimeouts.create, message.customTimeouts.update, message.customTimeouts.delete
        )
        if message.HasField("customTimeouts")
        else PolicyCustomTimeouts(0, 0, 0)
    )
    return PolicyResourceOptions(
        message.protect,
        list(message.ignoreChanges),
        message.deleteBeforeReplace if message.deleteBeforeReplaceDefined else None,
        list(message.aliases),
        timeouts,
        list(message.additionalSecretOutputs),
        message.parent or None,
    )


def provider(message: Any, seen: dict[str, PolicyProviderResource] | None = None) -> PolicyProviderResource | None:
    """The provider as the servicer reads it (``_get_provider_resource``); built once per provider
    URN when given ``seen`` (every resource of a provider gets the same properties)."""
    if not message.HasField("provider"):
        return None
    p = message.provider
    seen = {} if seen is None else seen
    if p.urn not in seen:
        seen[p.urn] = PolicyProviderResource(p.type, properties(p.properties), p.urn, p.name)
    return seen[p.urn]


def stack_resources(
    request: analyzer_pb2.AnalyzeStackRequest, providers: dict[str, PolicyProviderResource] | None = None
) -> list[PolicyResource]:
    """``AnalyzeStack``'s resources linked to their parents and dependencies, as the servicer links them."""
    by_urn: dict[str, PolicyResource] = {}
    links: list[tuple[PolicyResource, analyzer_pb2.AnalyzerResource]] = []
    for r in request.resources:
        resource = PolicyResource(
            r.type, properties(r.properties), r.urn, r.name, options(r.options), provider(r, providers), None, [], {}
        )
        by_urn[r.urn] = resource
        links.append((resource, r))
    for resource, r in links:
        resource.parent = by_urn.get(r.parent) if r.parent else None
        resource.dependencies.extend(by_urn[d] for d in r.dependencies if d in by_urn)
        for key, deps in r.propertyDependencies.items():
            resource.property_dependencies[key] = [by_urn[d] for d in deps.urns if d in by_urn]
    return [resource for resource, _ in links]


def check(
    policies: Sequence[Policy],
    resources: Sequence[Registration],
    pack_config: Mapping[str, Any],
    stack_config: Mapping[str, str] | None = None,
    source: str = "pack config",
) -> Evaluation:
    """The pack on recorded ``resources`` under a pack config file's contents (``source`` names
    it in errors) and the stack's config (for default providers)."""
    requests = Requests(resources, stack_config or {})
    return evaluate(policies, requests, resolve(policies, pack_config, source))


def evaluate(policies: Sequence[Policy], requests: Requests, resolved: ResolvedConfig) -> Evaluation:
    """Every violation and not-run report of the pack on ``requests``, sorted."""
    providers: dict[str, PolicyProviderResource] = {}
    resource_args = [
        (r.urn, r.type, properties(r.properties), r.name, options(r.options), provider(r, providers))
        for r in requests.analyze
    ]
    stack: list[PolicyResource] | None = None
    violations: list[Violation] = []
    not_run: list[NotRun] = []
    for policy in policies:
        level, settings = resolved[policy.name]
        if level is EnforcementLevel.DISABLED:
            continue
        if level is EnforcementLevel.REMEDIATE:
            level = EnforcementLevel.MANDATORY  # as the servicer reports a violation left after remediation
        config = dict(settings) or None
        if isinstance(policy, ResourceValidationPolicy):
            for urn, type_, props, name, opts, prov in resource_args:
                args = ResourceValidationArgs(type_, props, urn, name, opts, prov, config)
                _run(policy, args, urn, level, violations, not_run)
        elif isinstance(policy, StackValidationPolicy):
            stack = stack if stack is not None else stack_resources(requests.analyze_stack, providers)
            _run(policy, StackValidationArgs(stack, config), None, level, violations, not_run)
    return Evaluation(sorted(set(violations)), sorted(set(not_run)))


def _run(
    policy: Policy,
    args: ResourceValidationArgs | StackValidationArgs,
    urn: str | None,
    level: EnforcementLevel,
    violations: list[Violation],
    not_run: list[NotRun],
) -> None:
    """Call the policy's own validate() as the servicer does; async validators on a loop of their own."""

    def report(message: str, at: str | None = None) -> None:
        violations.append(Violation(policy.name, level.value, at or urn, message))

    validate = cast(
        Callable[[object, ReportViolation], Awaitable[Any] | None],
        policy.validate,  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType]
    )
    try:
        result = validate(args, report)
        if result is not None and isawaitable(result):
            loop = asyncio.new_event_loop()
            try:
                loop.run_until_complete(_wait(result))
            finally:
                loop.close()
    except UnknownValueError as exc:
        not_run.append(NotRun(policy.name, urn, exc.message))
    except _NotApplicableError:
        pass
    except Exception as exc:
        where = f" on {urn}" if urn else ""
        raise PolicyError(f"policy {policy.name} failed{where}: {type(exc).__name__}: {exc}") from exc


async def _wait(result: Awaitable[Any]) -> None:
    await result

"""Evaluate the CrossGuard policy pack on a recording, on the objects the CLI's plugin builds.

What the engine sends the pack (:mod:`components.plan.engine`: each resource's inputs and
outputs in engine form, options, provider) is turned into policy arguments by ``pulumi_policy``'s
own functions, as its gRPC servicer does (``deserialize_properties`` on the properties,
``unknown_checking_proxy`` around them), but once per resource for the whole pack instead of once
per policy, and without the protobuf round trip, an identity on these values that cost a third
of the pack's time; ``tests/policy/test_protocol.py`` sends the real messages to the pack running
as a plugin and finds the same diagnostics. A policy that reads an unknown value is reported as not
run (the CLI's advisory "can't run policy ... during preview"), never as a violation; any other
exception is a pack error, as it fails a real preview.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from inspect import isawaitable
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
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.policy import _NotApplicableError  # pyright: ignore[reportPrivateUsage]
from pulumi_policy.proxy import UnknownValueError, unknown_checking_proxy

from components.plan.engine import Engine
from components.plan.monitor import Registration
from components.plan.runner import rare_gc
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


def properties(wire: Mapping[str, Any]) -> Any:
    """Engine-form properties (secrets as signature objects, unknowns as sentinels, numbers as
    floats) as a policy sees them: ``pulumi_policy``'s ``deserialize_properties`` and its
    unknown-checking proxies. The servicer first turns the message's ``Struct`` back into exactly
    this mapping (``MessageToDict``); ``tests/policy/test_protocol.py`` shows the plugin agrees."""
    return unknown_checking_proxy(deserialize_properties(dict(wire)))


def options(resource: Registration) -> PolicyResourceOptions:
    """Resource options as ``pulumi_policy``'s servicer reads them (``_get_resource_options``):
    ``delete_before_replace`` None unless set, no custom timeouts."""
    return PolicyResourceOptions(
        resource.protect,
        list(resource.ignore_changes),
        True if resource.delete_before_replace else None,
        list(resource.aliases),
        PolicyCustomTimeouts(0, 0, 0),
        [],
        resource.parent or None,
    )


class _Views:
    """Each resource's policy view, built once for the whole pack."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._providers: dict[str, PolicyProviderResource] = {}
        self.options = {r.urn: options(r) for r in engine.managed}
        self._stack: list[PolicyResource] | None = None

    def provider(self, resource: Registration) -> PolicyProviderResource | None:
        """The provider as the servicer reads it (``_get_provider_resource``), once per provider."""
        provider = self.engine.provider(resource)
        if provider is None:
            return None
        if provider.urn not in self._providers:
            self._providers[provider.urn] = PolicyProviderResource(
                provider.type, properties(provider.properties), provider.urn, provider.name
            )
        return self._providers[provider.urn]

    def stack(self) -> list[PolicyResource]:
        """``AnalyzeStack``'s resources (their outputs) linked to their parents and dependencies,
        as the servicer links them."""
        if self._stack is None:
            by_urn: dict[str, PolicyResource] = {}
            for r in self.engine.managed:
                by_urn[r.urn] = PolicyResource(
                    r.type, properties(r.analyzed_outputs), r.urn, r.name, self.options[r.urn], self.provider(r),
                    None, [], {},
                )  # fmt: skip
            for r in self.engine.managed:
                resource = by_urn[r.urn]
                parent = self.engine.parent(r)
                resource.parent = by_urn[parent] if parent else None
                resource.dependencies.extend(by_urn[d] for d in self.engine.dependencies(r))
            self._stack = list(by_urn.values())
        return self._stack


def check(
    policies: Sequence[Policy],
    resources: Sequence[Registration],
    pack_config: Mapping[str, Any],
    stack_config: Mapping[str, str] | None = None,
    source: str = "pack config",
) -> Evaluation:
    """The pack on recorded ``resources`` under a pack config file's contents (``source`` names
    it in errors) and the stack's config (for default providers)."""
    resolved = resolve(policies, pack_config, source)
    with rare_gc():  # the proxies are many small objects: 40% of the pack's time went to rescans
        return evaluate(policies, Engine(resources, stack_config or {}), resolved)


def evaluate(policies: Sequence[Policy], engine: Engine, resolved: ResolvedConfig) -> Evaluation:
    """Every violation and not-run report of the pack on what ``engine`` sends it, sorted."""
    views = _Views(engine)
    resource_args = [
        (r.urn, r.type, properties(r.analyzed_inputs), r.name, views.options[r.urn], views.provider(r))
        for r in engine.managed
    ]
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
            _run(policy, StackValidationArgs(views.stack(), config), None, level, violations, not_run)
    return Evaluation(sorted(set(violations)), sorted(set(not_run)))


_Validate = Callable[[object, ReportViolation], Awaitable[Any] | None]
"""A policy's ``validate`` (untyped in ``pulumi_policy``)."""


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

    validate = cast(_Validate, policy.validate)  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType]
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

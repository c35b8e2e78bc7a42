"""Policy rules: plain validators wrapped as CrossGuard policies.

Each validator is a plain function of ``(args, report_violation)`` so tests can call it with
hand-built ``ResourceValidationArgs``; enforcement levels per stack come from
``policies/config/<stack>.json``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, cast

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

DEFAULT_REQUIRED_TAGS = ["team", "cost-center", "environment"]


def _as_mapping(value: Any) -> Mapping[str, Any]:
    """Provider inputs may arrive JSON-encoded (the engine's provider config format)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    return cast(Mapping[str, Any], value) if isinstance(value, Mapping) else {}


def effective_tags(args: ResourceValidationArgs) -> dict[str, str]:
    """Tags an AWS resource gets: its provider's ``defaultTags`` overlaid with its own ``tags``."""
    tags: dict[str, str] = {}
    if args.provider is not None:
        default_tags = _as_mapping(args.provider.props.get("defaultTags"))
        tags.update(_as_mapping(default_tags.get("tags")))
    tags.update(_as_mapping(args.props.get("tags")))
    return tags


def validate_required_tags(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Every AWS resource carries the required tags, from provider default tags or its own."""
    if not args.resource_type.startswith("aws:"):
        return
    required: list[str] = list(args.get_config().get("requiredTags", DEFAULT_REQUIRED_TAGS))
    tags = effective_tags(args)
    missing = [key for key in required if not str(tags.get(key, "")).strip()]
    if missing:
        where = "its provider has no defaultTags" if args.provider is None else "neither provider nor resource"
        report_violation(
            f"missing required tags {', '.join(missing)} ({where}); pass an aws.Provider with "
            "default_tags to the component's opts.providers",
            None,
        )


required_tags = ResourceValidationPolicy(
    name="aws-required-tags",
    description="AWS resources carry the team, cost-center and environment tags.",
    validate=validate_required_tags,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PolicyConfigSchema(
        properties={
            "requiredTags": {
                "type": "array",
                "items": {"type": "string"},
                "default": DEFAULT_REQUIRED_TAGS,
            }
        }
    ),
)

POLICIES: list[Policy] = [required_tags]
"""Every policy of the pack, in the order the CLI reports them."""

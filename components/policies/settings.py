"""The pack's per-stack settings, resolved as the Pulumi CLI resolves ``--policy-pack-config``.

A config file maps a policy name (or ``all``) to a level (``"mandatory"``) or to an object with
an ``enforcementLevel`` and the policy's settings. The CLI sends each policy its level and its
settings, with the defaults of the policy's config schema filled in, in one ``Configure`` call;
:func:`resolve` computes exactly that, so ``mlops plan`` and the plugin see the same values.
"""

from __future__ import annotations

import importlib.resources
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, cast

import jsonschema
from jsonschema.exceptions import ValidationError
from pulumi_policy import EnforcementLevel, Policy

# The CLI runs the plugin from a directory and reads its config from files: a real path, which
# importlib.resources gives for a package installed as files (a wheel, or this checkout).
PLUGIN_DIR = Path(str(importlib.resources.files("components.policies") / "plugin"))
"""The pack as the CLI runs it from an installed wheel (``pulumi preview --policy-pack``)."""
CONFIG_DIR = PLUGIN_DIR / "config"
"""Per-stack pack configs, package data beside the plugin (``policies/config`` in a checkout links here)."""


ResolvedConfig = dict[str, tuple[EnforcementLevel, dict[str, Any]]]
"""Policy name -> (level, settings): what the CLI's ``Configure`` call gives the pack."""

PACK_DEFAULT_LEVEL = EnforcementLevel.ADVISORY
"""The level of a policy that names none (``PolicyPack(enforcement_level=...)``)."""
_ENVIRONMENTS = "environments"
"""A top-level list of Pulumi ESC environments, which the CLI removes before reading policies."""


class PackConfigError(ValueError):
    """A pack config file the CLI would refuse; the message names the file and the policy."""


def read_pack_config(path: Path | None) -> dict[str, Any]:
    """A policy pack config file (``policies/config/<stack>.json``); empty when absent."""
    if path is None or not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise PackConfigError(f"{path}: not a JSON pack config ({exc})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise PackConfigError(f"{path}: must be a JSON object of policy name to level or settings")
    return cast(dict[str, Any], data)


def _level(value: Any, where: str) -> EnforcementLevel:
    try:
        return EnforcementLevel(value)
    except ValueError:
        allowed = ", ".join(level.value for level in EnforcementLevel)
        raise PackConfigError(f"{where}: enforcementLevel {value!r} is not one of {allowed}") from None


def _entries(pack_config: object, source: str) -> dict[str, tuple[EnforcementLevel | None, dict[str, Any]]]:
    """The file's entries as (level, settings), as the CLI's ``parsePolicyPackConfig`` reads them."""
    if not isinstance(pack_config, Mapping):
        raise PackConfigError(f"{source}: must be a JSON object of policy name to level or settings")
    entries: dict[str, tuple[EnforcementLevel | None, dict[str, Any]]] = {}
    for name, value in cast(Mapping[str, Any], pack_config).items():
        if name == _ENVIRONMENTS:
            continue
        where = f"{source}: {name}"
        if isinstance(value, str):
            entries[name] = (_level(value, where), {})
        elif isinstance(value, dict):
            settings = dict(cast(dict[str, Any], value))
            raw = settings.pop("enforcementLevel", None)
            level = None if raw is None else _level(raw, where)
            if level is not None or settings:
                entries[name] = (level, settings)
        else:
            raise PackConfigError(f"{where}: {value!r} is not a valid value; must be a string or object")
    return entries


def defaults(policy: Policy) -> dict[str, Any]:
    """The ``default`` of each property of the policy's config schema."""
    if policy.config_schema is None:
        return {}
    return {k: s["default"] for k, s in policy.config_schema.properties.items() if "default" in s}


def resolve(policies: Sequence[Policy], pack_config: Mapping[str, Any], source: str = "pack config") -> ResolvedConfig:
    """Every policy's level and settings, as the CLI computes them for ``Configure``
    (``ReconcilePolicyPackConfig``): the policy's own level and schema defaults, then the file's
    ``all`` level, then the file's entry for the policy (its level, its settings key by key);
    each policy's settings are then validated against its schema. ``source`` names the file."""
    entries = _entries(pack_config, source)
    names = {p.name for p in policies}
    if unknown := sorted(set(entries) - names - {"all"}):
        raise PackConfigError(f"{source}: no policy named {', '.join(unknown)} in this pack")
    everything = entries.get("all", (None, {}))[0]
    resolved: ResolvedConfig = {}
    for policy in policies:
        level = everything or policy.enforcement_level or PACK_DEFAULT_LEVEL
        settings = defaults(policy)
        own_level, own_settings = entries.get(policy.name, (None, {}))
        settings.update(own_settings)
        resolved[policy.name] = (own_level or level, settings)
        _validate(policy, settings, source)
    return resolved


def _validate(policy: Policy, settings: Mapping[str, Any], source: str) -> None:
    schema: dict[str, Any] = {"type": "object", "properties": {}}
    if policy.config_schema is not None:
        schema["properties"] = dict(policy.config_schema.properties)
        schema["required"] = list(policy.config_schema.required or [])
    validator = jsonschema.Draft7Validator(schema)
    errors = cast(list[ValidationError], list(validator.iter_errors(dict(settings))))  # pyright: ignore[reportUnknownMemberType]
    if errors:
        first = min(errors, key=lambda e: (list(map(str, e.absolute_path)), e.message))
        path = "".join(f".{p}" for p in first.absolute_path)
        raise PackConfigError(f"{source}: {policy.name}{path}: {first.message}")


def enforcement_level(policy: Policy, pack_config: Mapping[str, Any]) -> EnforcementLevel:
    """The level in force for ``policy`` under ``pack_config`` (see :func:`resolve`)."""
    return resolve([policy], {k: v for k, v in pack_config.items() if k in (policy.name, "all")})[policy.name][0]


def policy_config(policy: Policy, pack_config: Mapping[str, Any]) -> dict[str, Any]:
    """The settings ``policy`` gets under ``pack_config`` (see :func:`resolve`)."""
    return resolve([policy], {k: v for k, v in pack_config.items() if k in (policy.name, "all")})[policy.name][1]

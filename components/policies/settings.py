"""The pack's per-stack settings, resolved as the Pulumi CLI resolves ``--policy-pack-config``.

A config file maps a policy name (or ``all``) to a level (``"mandatory"``) or to an object with
an ``enforcementLevel`` and the policy's settings. The CLI sends each policy its level and its
settings, with the defaults of the policy's config schema filled in, in one ``Configure`` call;
:func:`resolve` computes exactly that, so ``mlops plan`` and the plugin see the same values.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

from pulumi_policy import EnforcementLevel, Policy

_PACKAGE_DIR = Path(__file__).resolve().parent
PLUGIN_DIR = _PACKAGE_DIR / "plugin"
"""The pack as the CLI runs it from an installed wheel (``pulumi preview --policy-pack``)."""
CONFIG_DIR = next(
    (d for d in (PLUGIN_DIR / "config", _PACKAGE_DIR.parents[1] / "policies" / "config") if d.is_dir()),
    PLUGIN_DIR / "config",
)
"""Per-stack pack configs: ``policies/config`` in a checkout, shipped in the wheel beside the plugin."""


def read_pack_config(path: Path | None) -> dict[str, Any]:
    """A policy pack config file (``policies/config/<stack>.json``); empty when absent."""
    if path is None or not path.is_file():
        return {}
    data = json.loads(path.read_text())
    if not isinstance(data, dict):
        raise ValueError(f"{path}: must be a JSON object of policy name to level or settings")
    return cast(dict[str, Any], data)


def enforcement_level(policy: Policy, pack_config: Mapping[str, Any]) -> EnforcementLevel:
    """The level in force: the policy's own entry, else ``all``, else the policy's default."""
    for key in (policy.name, "all"):
        entry: Any = pack_config.get(key)
        if isinstance(entry, dict):
            entry = cast(dict[str, Any], entry).get("enforcementLevel")
        level: Any = entry
        if isinstance(level, str):
            return EnforcementLevel(level)
    return policy.enforcement_level or EnforcementLevel.ADVISORY


def policy_config(policy: Policy, pack_config: Mapping[str, Any]) -> dict[str, Any]:
    """The policy's settings: schema defaults overlaid with the pack config entry."""
    settings: dict[str, Any] = {}
    if policy.config_schema is not None:
        for key, schema in policy.config_schema.properties.items():
            if "default" in schema:
                settings[key] = schema["default"]
    entry: Any = pack_config.get(policy.name)
    if isinstance(entry, dict):
        items = cast(dict[str, Any], entry).items()
        settings.update({k: v for k, v in items if k != "enforcementLevel"})
    return settings

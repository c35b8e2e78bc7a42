"""Reading resource inputs as policies receive them: maybe JSON-encoded, numbers as floats.

Under the Pulumi CLI every object arrives wrapped in ``pulumi_policy``'s unknown-checking
proxies: a ``Mapping`` that is not a ``dict`` and a ``Sequence`` that is not a ``list``. Test
for the abstract types, never for ``dict`` or ``list``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, cast


def as_mapping(value: Any) -> Mapping[str, Any]:
    """A mapping input; provider inputs may arrive JSON-encoded (the engine's provider config format)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    return cast(Mapping[str, Any], value) if isinstance(value, Mapping) else {}


def items(value: Any) -> list[Any]:
    """A list input (a ``list`` or the analyzer's list proxy), or an empty list for anything else (absent)."""
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return list(cast(Sequence[Any], value))
    return []

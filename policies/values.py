"""Reading resource inputs as policies receive them: maybe JSON-encoded, numbers as floats."""

from __future__ import annotations

import json
from collections.abc import Mapping
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
    """A list input, or an empty list for anything else (unknown during preview, absent)."""
    return cast(list[Any], value) if isinstance(value, list) else []

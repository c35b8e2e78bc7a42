"""Tenancy in the real dev and prod plans: what the platform hands app teams, and what its shared
services may read."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from components.plan.monitor import SECRET_PLACEHOLDER
from components.plan.runner import Recording

pytestmark = pytest.mark.stack


def leaves(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every scalar of an output with its key path."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from leaves(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from leaves(item, f"{path}[{index}]")
    else:
        yield path, value


def test_the_platform_exports_nothing_a_team_must_decrypt(stack_plan: tuple[Recording, dict[str, Any]]) -> None:
    # Reading a secret output through a StackReference needs the key of the platform's whole state.
    _, plan = stack_plan
    secrets = [path for path, value in leaves(plan["outputs"]) if value == SECRET_PLACEHOLDER]
    assert secrets == []
    assert not any("password" in path.lower() for path, _ in leaves(plan["outputs"]))
    kubeconfig = json.loads(plan["outputs"]["kubeconfig"])
    [user] = kubeconfig["users"]
    # No token, certificate key or password: each caller's own AWS identity gets a token.
    assert list(user["user"]) == ["exec"]
    assert user["user"]["exec"]["command"] == "aws" and user["user"]["exec"]["args"][:2] == ["eks", "get-token"]

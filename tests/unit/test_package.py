"""The package's public surface: components importable from the top, lazily."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pulumi
import pytest

import components

pytestmark = pytest.mark.unit


def test_every_component_is_exported() -> None:
    for name in components.__all__:
        value = getattr(components, name)
        assert value.__name__ == name
    # Every ComponentResource a components module defines is exported, with its Args.
    defined = set()
    for path in sorted(Path(components.__file__).parent.glob("*.py")):
        module = importlib.import_module(f"components.{path.stem}")
        defined |= {
            name
            for name, value in vars(module).items()
            if isinstance(value, type) and issubclass(value, pulumi.ComponentResource)
            and value.__module__ == module.__name__ and not name.startswith("_")
        }  # fmt: skip
    exported = [n for n in components.__all__ if not n.endswith("Args") and n not in components.HELPERS]
    assert list(components.COMPONENTS) == exported
    assert set(exported) == defined
    assert all(f"{name}Args" in components.__all__ for name in exported)
    # Besides them, only the helpers a team's program wires them with, each where HELPERS says.
    assert set(components.__all__) == set(exported) | {f"{n}Args" for n in exported} | set(components.HELPERS)
    for name, module in components.HELPERS.items():
        assert getattr(components, name) is getattr(importlib.import_module(f"components.{module}"), name)
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        _ = components.Nope  # type: ignore[attr-defined]


def test_a_team_program_imports_everything_from_the_package() -> None:
    from components import (  # noqa: F401, PLC0415
        ArtifactBucket,
        PlatformStack,
        PoolPlacement,
        Taint,
        export_platform,
        placement,
        platform_contract,
    )


def test_importing_the_package_loads_no_provider_sdk() -> None:
    code = "import sys, components; print('pulumi_aws' in sys.modules, 'pulumi_kubernetes' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "False"]

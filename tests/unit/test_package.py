"""The package's public surface: components importable from the top, lazily."""

from __future__ import annotations

import subprocess
import sys

import pytest

import components

pytestmark = pytest.mark.unit


def test_every_component_is_exported() -> None:
    for name in components.__all__:
        value = getattr(components, name)
        assert value.__name__ == name
    component_classes = [n for n in components.__all__ if not n.endswith("Args")]
    assert len(component_classes) == 8
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        _ = components.Nope  # type: ignore[attr-defined]


def test_importing_the_package_loads_no_provider_sdk() -> None:
    code = "import sys, components; print('pulumi_aws' in sys.modules, 'pulumi_kubernetes' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "False"]

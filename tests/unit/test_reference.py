"""docs/components.md is generated from the code and documents every argument and output."""

from __future__ import annotations

import ast
import inspect

import pytest

import components
from components.platform_stack import PlatformStack
from tools.reference import DOCS, fields, render

pytestmark = pytest.mark.unit

DOCUMENTED_BY_FIELDS = [
    n for n in components.__all__ if not (inspect.isfunction(getattr(components, n)) or n == "Access")
]
"""Everything exported but the functions and the enum: components, their arguments, the helper
classes and TypedDicts, each with documented fields."""
CLASSES = [*components.COMPONENTS, "PlatformStack", "Taint"]


def test_the_reference_is_in_sync_with_the_code() -> None:
    assert DOCS.read_text() == render(), "run: .venv/bin/python -m tools.reference"


@pytest.mark.parametrize("name", DOCUMENTED_BY_FIELDS)
def test_every_argument_and_output_has_a_description(name: str) -> None:
    documented = fields(getattr(components, name))
    assert documented, f"{name} declares no documented fields"
    assert [f.name for f in documented if not f.doc] == []


@pytest.mark.parametrize("name", CLASSES)
def test_every_public_attribute_and_method_is_in_the_reference_with_its_type(name: str) -> None:
    cls = getattr(components, name)
    annotated = {f.name for f in fields(cls)}
    assigned = {
        target.attr
        for node in ast.walk(ast.parse(inspect.getsource(cls)))
        if isinstance(node, ast.Assign | ast.AnnAssign)
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == "self"
    }
    assert {a for a in assigned if not a.startswith("_")} <= annotated, "annotate it in the class body, with a doc"
    reference = render()
    for member, value in vars(cls).items():
        if member.startswith("_") or not (callable(value) or isinstance(value, property)):
            continue
        target = value.fget if isinstance(value, property) else value
        assert inspect.getdoc(target), f"{name}.{member} has no docstring"
        assert "return" in inspect.get_annotations(target), f"{name}.{member} has no return annotation"
        assert f"| `{member}" in reference, f"{name}.{member} is not in docs/components.md"


@pytest.mark.parametrize("name", [n for n in components.HELPERS if inspect.isfunction(getattr(components, n))])
def test_every_exported_function_is_in_the_reference_with_its_signature(name: str) -> None:
    function = getattr(components, name)
    assert inspect.getdoc(function)
    assert f"function `{name}(" in render()


def test_the_platform_stack_constructor_and_stack_name_are_documented() -> None:
    reference = render()
    assert "PlatformStack(stack_name: str, name: str='platform'" in reference
    assert "organization/project/stack" in reference
    assert PlatformStack.__init__.__doc__

"""docs/components.md is generated from the code and documents every argument and output."""

from __future__ import annotations

import pytest

import components
from components.reference import DOCS, fields, render

pytestmark = pytest.mark.unit


def test_the_reference_is_in_sync_with_the_code() -> None:
    assert DOCS.read_text() == render(), "run: .venv/bin/python -m components.reference"


@pytest.mark.parametrize("name", [n for n in components.__all__])
def test_every_argument_and_output_has_a_description(name: str) -> None:
    documented = fields(getattr(components, name))
    assert documented, f"{name} declares no documented fields"
    assert [f.name for f in documented if not f.doc] == []

"""The stack program and the planner share components/project.py; infra/ never imports the planner."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from components.project import project_file, project_root
from tests.conftest import ROOT

pytestmark = pytest.mark.unit


def test_the_stack_program_imports_nothing_from_the_planner() -> None:
    """``pulumi up`` runs infra/ without the planner; what both need lives in components.project."""
    for path in (ROOT / "infra").rglob("*.py"):
        imports = [
            node.module if isinstance(node, ast.ImportFrom) else alias.name
            for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.Import | ast.ImportFrom)
            for alias in node.names
        ]
        assert [m for m in imports if m and m.startswith("components.plan")] == [], path


def test_the_project_root_is_the_nearest_pulumi_yaml_at_or_above(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: outer\n")
    program = tmp_path / "infra" / "deep"
    program.mkdir(parents=True)
    assert (project_file(program), project_root(program)) == (tmp_path / "Pulumi.yaml", tmp_path)
    (program / "Pulumi.yaml").write_text("name: inner\n")
    assert project_root(program) == program


def test_no_project_file_is_one_sentence_naming_where_it_looked(tmp_path: Path) -> None:
    assert project_file(tmp_path) is None  # pytest's temp directories sit outside any project
    with pytest.raises(FileNotFoundError, match=r"no Pulumi.yaml in this directory or above it$"):
        project_root(tmp_path)

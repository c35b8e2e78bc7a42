"""Reading Pulumi project and stack files into the runtime's config shape."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from components.plan.runner import PlanError, find_project, read_stack_file

pytestmark = pytest.mark.unit


def test_keys_get_the_project_namespace_and_secrets_are_masked(tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text(
        "config:\n"
        "  aws:region: eu-west-1\n"
        "  flag: true\n"
        "  count: 3\n"
        "  password:\n    secure: v1:abcdef\n"
        "  platform:\n    enabled: true\n    webhook:\n      secure: v1:xyz\n"
    )
    config = read_stack_file(path, "proj")
    assert config.values["aws:region"] == "eu-west-1"
    assert config.values["proj:flag"] == "true"
    assert config.values["proj:count"] == "3"
    assert config.values["proj:password"] == "[secret]"
    assert json.loads(config.values["proj:platform"]) == {"enabled": True, "webhook": "[secret]"}
    assert sorted(config.secret_keys) == ["proj:password", "proj:platform"]
    assert config.region == "eu-west-1"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("config: [1, 2]\n", "config: must be a mapping"),
        ("a: [\n", "not valid YAML"),
        ("- 1\n", "must be a YAML mapping"),
    ],
)
def test_malformed_stack_file(tmp_path: Path, text: str, fragment: str) -> None:
    path = tmp_path / "Pulumi.bad.yaml"
    path.write_text(text)
    with pytest.raises(PlanError, match=fragment):
        read_stack_file(path, "proj")


def test_project_is_found_above_the_program(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: outer\nruntime: python\n")
    program = tmp_path / "infra"
    program.mkdir()
    assert find_project(program) == ("outer", tmp_path)


def test_missing_project_file(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match=r"no Pulumi\.yaml"):
        find_project(tmp_path)

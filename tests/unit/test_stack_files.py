"""Reading Pulumi project and stack files into the runtime's config shape."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from components.plan.inputs import MAX_YAML_BYTES
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
    ("text", "message"),
    [
        ("config: [1, 2]\n", "config: must be a mapping of keys to values"),
        ("a: [\n", ":2: not valid YAML: did not find expected node content"),
        ("- 1\n", "must be a YAML mapping"),
        ("config:\n  a: 2024-01-01\n", ":2: config.a: a date or timestamp is not allowed; values are strings,"),
        ("config:\n  a: !!set {x, y}\n", ":2: config.a: a set (!!set) is not allowed"),
        ("config:\n  a: !!binary aGVsbG8=\n", ":2: config.a: binary data (!!binary) is not allowed"),
        ("config:\n  a: !!omap [b: 1]\n", ":2: config.a: an ordered map (!!omap) is not allowed"),
        ("config:\n  a:\n    b: [1, !custom x]\n", ":3: config.a.b[1]: a value tagged !custom is not allowed"),
        ("config:\n  'odd key': {b: .nan}\n", ':2: config["odd key"].b: .nan is not allowed; numbers must be finite'),
        ("config:\n  a: 1.0e+999\n", ":2: config.a: 1.0e+999 is not allowed; numbers must be finite"),
        ("config:\n  a: " + "9" * 5000 + "\n", ":2: config.a: integer of more than 30 digits; refused"),
        (
            "config:\n  aws:region: us-east-1\n  x: 1\n  aws:region: mars-north-9\n",
            ':4: config: duplicate key "aws:region", first at line 2; the last one would silently win',
        ),
        ("config:\n  a: &a [x, x]\n  b: [*a, *a]\n", ":3: aliases (*a) are not allowed; write the value out"),
        ("config:\n  a: {<<: {x: 1}}\n", ":2: config.a: merge keys (<<) are not allowed"),
        ("config:\n  true: 1\n", ":2: config: keys must be strings, not a boolean (quote the key)"),
        ("config:\n  ? [a]\n  : 1\n", ":2: config: keys must be strings, not a list, mapping"),
        ("config:\n  a: " + "[" * 100 + "]" * 100 + "\n", ":2: nested more than 64 levels deep; refused"),
        ("config:\n  a: \x00\n", ": not valid YAML: control characters are not allowed at byte 13"),
    ],
)
def test_malformed_stack_file(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "Pulumi.bad.yaml"
    path.write_text(text)
    with pytest.raises(PlanError) as raised:
        read_stack_file(path, "proj")
    assert str(raised.value).startswith(str(path)), raised.value
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


def test_stack_file_encodings(tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.enc.yaml"
    path.write_bytes("config:\n  a: grüß\n".encode("utf-16"))
    assert read_stack_file(path, "proj").values == {"proj:a": "grüß"}
    path.write_bytes(b"config:\n  a: \xff\xfe\xfd\n")
    with pytest.raises(PlanError, match=r"not valid YAML: invalid leading UTF-8 octet at byte 13$"):
        read_stack_file(path, "proj")


def test_stack_file_size_is_bounded(tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.big.yaml"
    path.write_text("config:\n  a: '" + "x" * MAX_YAML_BYTES + "'\n")
    with pytest.raises(PlanError, match=r"Pulumi\.big\.yaml: larger than 256 KiB; refused$"):
        read_stack_file(path, "proj")
    # A device without end or a pipe without writer is never opened.
    fifo = tmp_path / "Pulumi.fifo.yaml"
    os.mkfifo(fifo)
    for special in (Path("/dev/zero"), fifo, tmp_path):
        with pytest.raises(PlanError, match=r": not a regular file; a device, pipe or directory is never read$"):
            read_stack_file(special, "proj")


def test_json_values_and_quoted_yaml_types_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.ok.yaml"
    path.write_text("config:\n  a: [1, 2.5, null, true, '2024-01-01', !!str 2024-01-02]\n  b: &anchor {c: 1}\n")
    assert read_stack_file(path, "proj").values == {
        "proj:a": '[1, 2.5, null, true, "2024-01-01", "2024-01-02"]',
        "proj:b": '{"c": 1}',
    }


def test_project_is_found_above_the_program(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: outer\nruntime: python\n")
    program = tmp_path / "infra"
    program.mkdir()
    assert find_project(program) == ("outer", tmp_path)


def test_missing_project_file(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match=r"no Pulumi\.yaml"):
        find_project(tmp_path)

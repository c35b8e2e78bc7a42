"""The manifests' YAML writer (``components/plan/manifest_yaml.py``), judged by PyYAML's loader:
every string comes back as itself, whatever it holds, and every manifest of both stacks too."""

from __future__ import annotations

import math
import os
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from components.plan import document
from components.plan.manifest_yaml import dumps
from tests.conftest import stack_recording

TRICKY = [
    "", " ", "true", "True", "yes", "no", "on", "off", "y", "n", "null", "Null", "~", "=", "<<",
    "1", "-1", "1.5", "1e3", "1.0e+3", ".inf", "-.inf", ".nan", "010", "0o17", "0x1F", "1_000", "1:20",
    "2026-12-04", "2026-12-04T10:00:00Z", "-", "--", "---", "...", "- a", "-c", "--port=8080", "?", "?x",
    ":", ":x", "a:", "a: b", "a:b", "http://x:80/y", "a #b", "a#b", "#x", "&anchor", "*alias", "!tag",
    "|", ">", "%TAG", "@x", "`x", "'q'", '"q"', "a'b", 'a"b', " lead", "trail ", "a  b", "a\nb", "a\r\nb",
    "tab\there", "\x00", "\x1f", "\x7f", "\x85", "\u2028", "\u2029", "\ufeff", "é", "日本", "😀", "\ud800",
    "[a]", "{a: 1}", "a, b", "sum(rate(x{job=\"a\"}[5m])) > 0.5", "nvidia.com/gpu", "500m", "1Gi",
]  # fmt: skip


def loads(text: str) -> Any:
    return yaml.safe_load(text)


@pytest.mark.parametrize("text", TRICKY)
def test_every_tricky_string_reads_back_as_itself_as_value_key_and_item(text: str) -> None:
    obj = {"value": text, "list": [text, {"nested": text}], "key": {text: 1}}
    written = dumps(obj)
    assert written.isascii()  # as PyYAML writes: non-ASCII escaped, whatever the locale
    assert loads(written) == obj


def test_layout_is_pyyamls_block_style() -> None:
    obj = {"b": [{"w": 1, "x": [True, None]}, [], {}], "a": {"c": 1.5, "d": []}, "e": [["f"]]}
    assert dumps(obj) == yaml.safe_dump(obj, sort_keys=True, default_flow_style=False)
    assert dumps({}) == "{}\n"


def test_floats_keep_their_type() -> None:
    obj = {"f": [0.5, 1e20, 1e-7, -2.5e300, math.inf, -math.inf]}
    assert loads(dumps(obj)) == obj
    assert math.isnan(loads(dumps({"f": math.nan}))["f"])


def test_what_it_does_not_know_goes_to_pyyaml() -> None:
    long_key = "k" * 200
    assert loads(dumps({long_key: 1})) == {long_key: 1}
    assert loads(dumps({"when": (1, 2)})) == {"when": [1, 2]}


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=30), children, max_size=4),
    max_leaves=30,
)


@settings(max_examples=500, deadline=None, derandomize=os.environ.get("CI") == "true", database=None)
@given(st.dictionaries(st.text(max_size=30), JSON, max_size=6))
def test_any_json_document_reads_back_as_itself(obj: dict[str, Any]) -> None:
    assert loads(dumps(obj)) == obj


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_manifest_of_both_stacks_reads_back_as_the_object(stack: str) -> None:
    manifests = document.manifests(stack_recording(stack).resources)
    assert len(manifests) > 20
    for name, obj in manifests.items():
        assert loads(dumps(obj)) == obj, name


@pytest.mark.parametrize("text", ["08", "0o17", "1e3", "+1e3", ".5e3", "1_000", "0b101", "y", "Y", "n", "N"])
def test_strings_other_readers_take_for_numbers_or_booleans_are_quoted(text: str) -> None:
    """PyYAML reads these plain as strings; YAML 1.2 and go-yaml (kubectl) as numbers or booleans."""
    assert dumps({"v": text}) == f"v: '{text}'\n"


def test_a_key_long_once_escaped_goes_to_pyyaml() -> None:
    obj = {"data": {"\U0001f600" * 110: "x"}}
    assert loads(dumps(obj)) == obj

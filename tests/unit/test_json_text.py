"""``plan.json``'s writer (``components/plan/json_text.py``) against ``json.dumps`` itself, byte for byte."""

from __future__ import annotations

import json
import math
import os
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components.plan.json_text import dumps


def reference(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True)


def test_both_stacks_plans_are_written_as_json_dumps_writes_them(stack_plan: tuple[Any, dict[str, Any]]) -> None:
    _, plan = stack_plan
    assert dumps(plan) == reference(plan)


@pytest.mark.parametrize(
    "value",
    [
        {},
        [],
        'é\u2028\ud800"\\\n',
        {"b": [1, 2.5, -0.0, 1e300, True, False, None, [], {}], "a": {"z": "x"}},
        [[[]]],
        {"nan": math.nan, "inf": [math.inf, -math.inf]},  # json.dumps' own NaN and Infinity
        {"1": "a string key that looks like a number"},
        {"tuple": (1, 2)},
        {2: "int keys only"},
    ],
)
def test_edge_values_and_what_it_leaves_to_json_dumps(value: Any) -> None:
    assert dumps(value) == reference(value)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=20), children, max_size=4),
    max_leaves=40,
)


@settings(max_examples=500, deadline=None, derandomize=os.environ.get("CI") == "true", database=None)
@given(JSON)
def test_any_json_value_is_written_as_json_dumps_writes_it(value: Any) -> None:
    assert dumps(value) == reference(value)

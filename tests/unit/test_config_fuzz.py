"""Structure-aware fuzzing of the stack files (hypothesis): 2,000+ mutants of the dev and prod
platform objects per run. Every mutant is either rejected with problems that name the file and
a key path that exists in it, or accepted; a sample of the accepted ones is planned in full
under mocks and must give exit status 0 or 1. Nothing may raise anything else (a traceback).

CI (CI=true) runs a fixed sequence of examples; elsewhere each run explores new ones.
"""

from __future__ import annotations

import copy
import json
import os
import re
from typing import Any, cast

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from components.errors import ConfigError
from components.plan.cli import make_plan
from components.plan.runner import StackConfig, run_program_dir
from infra.config import CONFIG_KEY, load_platform_config, secret_problems
from tests.conftest import ROOT

pytestmark = pytest.mark.unit

EXAMPLES = 2000
PLANNED = 20
"""Accepted mutants planned in full per run (a plan takes about a second)."""
PROJECT = "mlops-platform"
BASES = {
    stack: yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"][f"{PROJECT}:{CONFIG_KEY}"]
    for stack in ("dev", "prod")
}
seen = {"examples": 0, "rejected": 0, "accepted": 0, "planned": 0}

Path = tuple[str | int, ...]

SCALARS = st.one_of(
    st.booleans(),
    st.none(),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.sampled_from([0, 1, -1, 2, 65536, 10**12]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["", "latest", "0.0.0.0/0", "*", "ON_DEMAND", "true", "1", "1.35", "x" * 300, "ü🙂", "a b"]),
    st.text(max_size=12),
)
VALUES = st.one_of(
    SCALARS,
    st.lists(SCALARS, max_size=3),
    st.dictionaries(st.text(max_size=8), SCALARS, max_size=3),
)


def paths(node: Any, prefix: Path = ()) -> list[Path]:
    """Every key path in the document, containers included (the root is ``()``)."""
    found: list[Path] = [prefix]
    if isinstance(node, dict):
        for key, value in cast(dict[str, Any], node).items():
            found += paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(cast(list[Any], node)):
            found += paths(value, (*prefix, index))
    return found


def at(node: Any, path: Path) -> Any:
    for part in path:
        node = node[part]
    return node


def mutate(raw: dict[str, Any], data: st.DataObject) -> None:
    """One structural edit at a random place: replace, delete, add an unknown key, duplicate a
    list item, or move a value found elsewhere in the document there."""
    path = data.draw(st.sampled_from(paths(raw)), label="path")
    parent, key = (at(raw, path[:-1]), path[-1]) if path else (None, None)
    operation = data.draw(st.sampled_from(["replace", "delete", "add-key", "duplicate", "transplant"]), label="op")
    target = at(raw, path)
    if operation == "add-key" and isinstance(target, dict):
        cast(dict[str, Any], target)[data.draw(st.text(min_size=1, max_size=10), label="key")] = data.draw(VALUES)
    elif operation == "duplicate" and isinstance(target, list) and target:
        items = cast(list[Any], target)
        items.append(copy.deepcopy(items[data.draw(st.integers(0, len(items) - 1))]))
    elif parent is None:
        return
    elif operation == "delete":
        del parent[key]
    elif operation == "transplant":
        donor = data.draw(st.sampled_from(paths(raw)), label="donor")
        parent[key] = copy.deepcopy(at(raw, donor))
    else:
        parent[key] = data.draw(VALUES, label="value")


def through_pulumi_config(raw: dict[str, Any]) -> Any:
    """The object as ``pulumi.Config().get_object`` hands it over: a JSON round trip."""
    return json.loads(json.dumps(raw))


STEP = re.compile(r'\.([A-Za-z0-9_-]+)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]')


def resolves(document: Any, problem_path: str) -> bool:
    """Whether a problem's key path (``platform.gpuPools[1].maxSize``, ``platform["odd key"]``)
    is well-formed and leads into the document: every step but the last must exist (the last
    may be a missing or unknown key)."""
    rest = problem_path.removeprefix(CONFIG_KEY)
    steps: list[str | int] = []
    while rest:
        match = STEP.match(rest)
        if match is None:
            return False
        name, index, quoted = match.groups()
        steps.append(name if name is not None else int(index) if index is not None else json.loads(quoted))
        rest = rest[match.end() :]
    node = document
    for step in steps[:-1]:
        if isinstance(node, dict) and step in node:
            node = cast(dict[str | int, Any], node)[step]
        elif isinstance(node, list) and isinstance(step, int) and 0 <= step < len(cast(list[Any], node)):
            node = cast(list[Any], node)[step]
        else:
            return False
    return True


def plan_exit_status(stack: str, raw: Any) -> int:
    """Plan the mutant in full as ``mlops plan`` does; 0 or 1 (mandatory violations)."""
    config = StackConfig(
        source=f"Pulumi.{stack}.yaml",
        values={"aws:region": "us-east-1", f"{PROJECT}:{CONFIG_KEY}": json.dumps(raw)},
    )
    recording = run_program_dir(ROOT / "infra", stack=stack, config=config, project=PROJECT)
    plan = make_plan(recording)
    return 1 if any(v["enforcementLevel"] == "mandatory" for v in plan["violations"]) else 0


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=os.environ.get("CI") == "true",
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)
@given(st.data())
def test_mutated_stack_files_are_rejected_precisely_or_planned(data: st.DataObject) -> None:
    stack = data.draw(st.sampled_from(sorted(BASES)), label="stack")
    raw = copy.deepcopy(BASES[stack])
    for _ in range(data.draw(st.integers(1, 3), label="edits")):
        mutate(raw, data)
    document = through_pulumi_config(raw)
    source = f"Pulumi.{stack}.yaml"
    seen["examples"] += 1
    try:
        config = load_platform_config(document, source, root=ROOT)
        problems = secret_problems(config, set(), PROJECT)
        if problems:
            raise ConfigError(source, problems)
    except ConfigError as error:
        seen["rejected"] += 1
        assert error.problems
        for line, problem in zip(error.render().split("\n")[1:], error.problems, strict=True):
            assert line.startswith(f"{source}: {problem.path}: "), line
            assert problem.message.strip(), line
            assert problem.path.startswith((CONFIG_KEY, f"{PROJECT}:")), line
            assert problem.path.startswith(f"{PROJECT}:") or resolves(document, problem.path), line
        return
    seen["accepted"] += 1
    if seen["planned"] < PLANNED and document != BASES[stack]:  # the stack files themselves are planned elsewhere
        seen["planned"] += 1
        assert plan_exit_status(stack, document) in (0, 1)


def test_the_fuzzing_ran_its_cases() -> None:
    # Runs after the property above (file order): it must have tried EXAMPLES mutants, seen
    # both outcomes, and planned accepted ones.
    assert seen["examples"] >= EXAMPLES, seen
    assert seen["rejected"] > 0 and seen["accepted"] > 0, seen
    assert seen["planned"] == PLANNED, seen

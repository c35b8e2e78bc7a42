"""Text-level fuzzing of what ``mlops plan`` and ``mlops diff`` read (hypothesis), through the
real command in process (``cli.main``): stack-file bytes (YAML tags, anchors and aliases, deep
nesting, duplicate keys, odd encodings, huge scalars, random bytes) and plan.json documents
(wrong types, missing fields, deep nesting, broken JSON).

Every case must end with status 0, 1, 2 or 3, never a traceback; status 2 prints one line (or,
for an invalid configuration, a head line and one line per problem, each naming the file); no
case may take more than :data:`CASE_SECONDS` (a full plan: :data:`PLAN_SECONDS`) or grow the
process by more than :data:`GROWTH_MIB`. Stack files whose config is valid are planned in full
up to :data:`PLANNED` times per run (a plan takes about a second); later valid ones are counted,
not planned. CI (CI=true) runs a fixed sequence of examples; elsewhere each run explores anew.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import os
import resource
import time
from pathlib import Path
from typing import Any, cast

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from components.plan import cli
from components.plan.runner import mocked_runtime, read_stack_file
from infra.stack import read_config
from tests.conftest import ROOT

pytestmark = pytest.mark.stack

STACK_CASES = 1000
PLAN_CASES = 1000
PLANNED = 5
CASE_SECONDS = 5.0
PLAN_SECONDS = 60.0
GROWTH_MIB = 512
PROJECT = "mlops-platform"
STACK_TEXTS = {stack: (ROOT / f"Pulumi.{stack}.yaml").read_bytes() for stack in ("dev", "prod")}
seen = {"stack": 0, "plan": 0, "planned": 0, "valid-not-planned": 0} | {f"exit {n}": 0 for n in (0, 1, 2, 3)}
_START_RSS_MIB = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

HOSTILE_VALUES = [
    "!!set {a, b}",
    "!!binary aGVsbG8=",
    "2024-01-01",
    "2024-01-01T10:00:00Z",
    "!!omap [a: 1]",
    "!!python/object/apply:os.system [id]",
    "!custom value",
    "&anchor [1, 2]",
    "*anchor",
    "{<<: {x: 1}}",
    ".nan",
    "-.inf",
    "1.0e+999",
    "9" * 50,
    "0x" + "f" * 40,
    "1:20:30",
    "yes",
    "~",
    "[1, [2, [3]]]",
    "{a: {b: {c: null}}}",
    "'\u202e\u0000'",
    '"\\x00\\ud800"',
    "'0.0.0.0/1'",
    "'repo@sha256:zzzz'",
    '\'status=~"5.."} or vector(1) or up{a="b"\'',
    "'../../../etc'",
    "mars-north-9",
    "'https://hooks.slack.com/services/T/B/x'",
]
BYTES_INSERTED = [
    b"\x00",
    b"\xff\xfe",
    b"\xef\xbb\xbf",
    b"\t",
    b"\r",
    b"\x85",
    b": ",
    b"- ",
    b"&a ",
    b"*a ",
    b"? ",
    b"%YAML 1.1\n",
]


def _lines(text: bytes) -> list[bytes]:
    return text.split(b"\n")


@st.composite
def stack_files(draw: st.DrawFn) -> tuple[str, bytes]:
    """A stack name and the bytes of a stack file: a real one, edited 1 to 3 times at the text level."""
    stack = draw(st.sampled_from(sorted(STACK_TEXTS)), label="stack")
    text = STACK_TEXTS[stack]
    for _ in range(draw(st.integers(1, 3), label="edits")):
        lines = _lines(text)
        at = draw(st.integers(0, len(lines)), label="line")
        indent = b" " * draw(st.sampled_from([0, 2, 4, 6, 8, 3]), label="indent")
        key = draw(
            st.sampled_from([b"aws:region", b"mlops-platform:platform", b"environment", b"name", b"image", b"x"])
            | st.text(max_size=6).map(lambda t: t.encode("utf-8", "surrogatepass")),
            label="key",
        )
        operation = draw(
            st.sampled_from(
                ["insert", "replace-value", "duplicate-line", "deep", "huge", "bytes", "truncate", "encode", "random"]
            ),
            label="op",
        )
        if operation == "insert":
            value = draw(st.sampled_from(HOSTILE_VALUES), label="value").encode("utf-8", "surrogatepass")
            lines.insert(at, indent + key + b": " + value)
        elif operation == "replace-value" and at < len(lines) and b": " in lines[at]:
            value = draw(st.sampled_from(HOSTILE_VALUES), label="value").encode("utf-8", "surrogatepass")
            lines[at] = lines[at].split(b": ", 1)[0] + b": " + value
        elif operation == "duplicate-line" and lines:
            lines.insert(at, lines[draw(st.integers(0, len(lines) - 1), label="copied")])
        elif operation == "deep":
            depth = draw(st.sampled_from([10, 63, 65, 200, 1000, 5000]), label="depth")
            opener, closer = draw(st.sampled_from([(b"[", b"]"), (b"{a: ", b"}")]), label="brackets")
            lines.insert(at, indent + key + b": " + opener * depth + b"1" + closer * depth)
        elif operation == "huge":
            size = draw(st.sampled_from([1000, 100_000, 300_000]), label="size")
            lines.insert(at, indent + key + b": '" + b"x" * size + b"'")
        elif operation == "bytes":
            offset = draw(st.integers(0, len(text)), label="offset")
            text = text[:offset] + draw(st.sampled_from(BYTES_INSERTED) | st.binary(max_size=8)) + text[offset:]
            continue
        elif operation == "truncate":
            text = text[: draw(st.integers(0, len(text)), label="offset")]
            continue
        elif operation == "encode":
            encoding = draw(st.sampled_from(["utf-16", "utf-16-le", "utf-32", "latin-1", "cp1252"]), label="encoding")
            text = text.decode("utf-8", "replace").encode(encoding, "replace")
            continue
        elif operation == "random":
            text = draw(st.binary(max_size=200), label="bytes")
            continue
        text = b"\n".join(lines)
    return stack, text


def plan_document() -> dict[str, Any]:
    """A small plan.json: a protected bucket and key, a role with a JSON policy, an alias, a parent."""
    stack = "urn:pulumi:dev::mlops-platform::"
    component = f"{stack}mlops:index:ArtifactBucket::models"
    return {
        "schemaVersion": 1,
        "project": PROJECT,
        "stack": "dev",
        "resources": [
            {"urn": component, "type": "mlops:index:ArtifactBucket", "name": "models", "parent": None, "inputs": {}},
            {
                "urn": f"{stack}mlops:index:ArtifactBucket$aws:s3/bucket:Bucket::models-bucket",
                "type": "aws:s3/bucket:Bucket",
                "name": "models-bucket",
                "parent": component,
                "inputs": {"bucket": "models-1", "tags": {"team": "ml"}},
                "options": {"protect": True, "aliases": [f"{stack}aws:s3/bucket:Bucket::old-bucket"]},
            },
            {
                "urn": f"{stack}aws:kms/key:Key::models-key",
                "type": "aws:kms/key:Key",
                "name": "models-key",
                "inputs": {"keyUsage": "ENCRYPT_DECRYPT", "policy": '{"Statement": [{"Effect": "Allow"}]}'},
                "options": {"protect": False, "ignoreChanges": ["tags"], "retainOnDelete": True},
            },
        ],
        "outputs": {"bucket": "models-1"},
    }


DEEP = "<deeply nested>"
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=20)
    | st.sampled_from(["urn:pulumi:x", "urn:pulumi:a::b::c::d", "[secret]", '{"a": [1]}', "[" * 100 + "]" * 100]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)


def _paths(node: Any, prefix: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    found = [prefix]
    if isinstance(node, dict):
        for key, value in cast(dict[str, Any], node).items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(cast(list[Any], node)):
            found += _paths(value, (*prefix, index))
    return found


@st.composite
def plan_files(draw: st.DrawFn) -> bytes:
    """The bytes of a plan.json: the small plan, edited as a document or as text."""
    document: Any = plan_document()
    deep = 0
    for _ in range(draw(st.integers(0, 3), label="edits")):
        path = draw(st.sampled_from(_paths(document)), label="path")
        if not path:
            document = draw(JSON_VALUES, label="document")
            continue
        parent: Any = document
        for part in path[:-1]:
            parent = parent[part]
        operation = draw(st.sampled_from(["replace", "delete", "duplicate", "deep"]), label="op")
        if operation == "delete":
            del parent[path[-1]]
        elif operation == "duplicate" and isinstance(parent, list):
            items = cast(list[Any], parent)
            items.append(copy.deepcopy(items[cast(int, path[-1])]))
        elif operation == "deep":
            deep = draw(st.sampled_from([10, 64, 65, 1000, 100_000]), label="depth")
            parent[path[-1]] = DEEP
        else:
            parent[path[-1]] = draw(JSON_VALUES, label="value")
    # Nesting is spliced in as text: deeper than json.dumps (or Python's parser) recurses.
    text = json.dumps(document).encode().replace(json.dumps(DEEP).encode(), b"[" * deep + b"]" * deep)
    operation = draw(st.sampled_from(["none", "none", "truncate", "bytes", "duplicate-key", "nan"]), label="text-op")
    if operation == "truncate":
        text = text[: draw(st.integers(0, len(text)), label="offset")]
    elif operation == "bytes":
        offset = draw(st.integers(0, len(text)), label="offset")
        text = text[:offset] + draw(st.binary(min_size=1, max_size=8), label="bytes") + text[offset:]
    elif operation == "duplicate-key":
        text = text.replace(b'{"schemaVersion": 1,', b'{"resources": [], "schemaVersion": 1,', 1)
    elif operation == "nan":
        text = text.replace(b'"models-1"', b"NaN", 1)
    return text


def run_cli(argv: list[str], limit: float) -> tuple[int, str]:
    """Status and stderr of ``mlops ARGV`` in process, checked against the contract."""
    err, out = io.StringIO(), io.StringIO()
    started = time.perf_counter()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        try:
            status = cli.main(argv)
        except SystemExit as exited:  # argparse only
            status = int(exited.code or 0)
    elapsed = time.perf_counter() - started
    stderr = err.getvalue()
    assert status in (0, 1, 2, 3), (status, stderr)
    assert "Traceback" not in stderr and "Traceback" not in out.getvalue(), stderr
    assert elapsed < limit, (elapsed, argv)
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - _START_RSS_MIB
    assert grown < GROWTH_MIB, f"the process grew by {grown:.0f} MiB"
    seen[f"exit {status}"] += 1
    return status, stderr


def assert_one_message(stderr: str, source: str) -> None:
    lines = stderr.rstrip("\n").split("\n")
    if lines[0].startswith("invalid configuration ("):
        assert len(lines) >= 2 and all(line.startswith(f"{source}: ") for line in lines[1:]), lines
    else:
        assert len(lines) == 1 and lines[0].startswith("mlops "), lines


def config_is_valid(stack: str, path: Path) -> bool:
    """Whether the stack program would accept the file: it would then plan it in full."""
    try:
        config = read_stack_file(path, PROJECT)
        with mocked_runtime(PROJECT, stack, config):
            read_config()
    except Exception:  # refused (PlanError, ConfigError) or a failure: cli.main must report it
        return False
    return True


FUZZ = dict(
    deadline=None,
    derandomize=os.environ.get("CI") == "true",
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    database=None,
)


@settings(max_examples=STACK_CASES, **FUZZ)
@given(stack_files())
def test_hostile_stack_files_keep_the_exit_status_contract(
    tmp_path_factory: pytest.TempPathFactory, case: tuple[str, bytes]
) -> None:
    stack, text = case
    work = tmp_path_factory.mktemp("stack")
    path = work / f"Pulumi.{stack}.yaml"
    path.write_bytes(text)
    seen["stack"] += 1
    planned = False
    if config_is_valid(stack, path):
        if seen["planned"] >= PLANNED:
            seen["valid-not-planned"] += 1
            return
        seen["planned"] += 1
        planned = True
    argv = ["plan", "--stack", stack, "--config", str(path), "--out", str(work / "out")]
    status, stderr = run_cli(argv, PLAN_SECONDS if planned else CASE_SECONDS)
    if status == 2:
        assert_one_message(stderr, str(path))
    else:
        assert planned and status in (0, 1), (status, stderr)


@settings(max_examples=PLAN_CASES, **FUZZ)
@given(plan_files(), st.booleans())
def test_hostile_plan_files_keep_the_exit_status_contract(
    tmp_path_factory: pytest.TempPathFactory, text: bytes, mutated_is_new: bool
) -> None:
    work = tmp_path_factory.mktemp("plans")
    good, bad = work / "good.json", work / "bad.json"
    good.write_text(json.dumps(plan_document()))
    bad.write_bytes(text)
    seen["plan"] += 1
    old, new = (good, bad) if mutated_is_new else (bad, good)
    status, stderr = run_cli(["diff", str(old), str(new)], CASE_SECONDS)
    if status == 2:
        assert_one_message(stderr, str(bad))
        assert stderr.startswith(f"mlops diff: {bad}"), stderr


def test_the_fuzzing_ran_its_cases() -> None:
    # Runs after the properties above (file order): every case ran, both kinds of outcome seen.
    assert seen["stack"] >= STACK_CASES and seen["plan"] >= PLAN_CASES, seen
    assert seen["planned"] == PLANNED, seen
    assert seen["exit 2"] > 0 and seen["exit 0"] + seen["exit 3"] > 0, seen

"""The plan's output directory is replaced whole: never half-written, interrupt-safe, and plans
of different stacks can run at the same time."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from components.plan import cli, document
from components.plan.monitor import Registration
from components.plan.runner import PlanError, Recording
from tests.conftest import ROOT
from tests.stack.test_plan_command import MLOPS

pytestmark = pytest.mark.stack


def config_map(name: str) -> Registration:
    type_ = "kubernetes:core/v1:ConfigMap"
    inputs = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "ns"}}
    return Registration(f"urn:pulumi:dev::p::{type_}::{name}", type_, name, True, None, None, [], inputs)


RECORDING = Recording("p", "dev", [config_map("a"), config_map("b"), config_map("c")], {})


def previous_output(out: Path) -> None:
    (out / "manifests").mkdir(parents=True)
    (out / "plan.json").write_text('{"old": true}\n')
    (out / "manifests" / "stale.yaml").write_text("kind: Stale\n")


def test_a_plan_replaces_the_previous_output_whole(tmp_path: Path) -> None:
    out = tmp_path / "plan" / "dev"
    previous_output(out)
    cli.write_plan({"stack": "dev"}, RECORDING, out)
    assert json.loads((out / "plan.json").read_text()) == {"stack": "dev"}
    assert sorted(p.name for p in (out / "manifests").iterdir()) == [
        "configmap-ns-a.yaml",
        "configmap-ns-b.yaml",
        "configmap-ns-c.yaml",
    ]
    assert sorted(p.name for p in out.parent.iterdir()) == ["dev"]  # no staging or retired copy left


def test_an_interrupted_plan_leaves_the_previous_output_intact(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "dev"
    previous_output(out)
    written: list[str] = []

    def interrupted(obj: dict[str, Any]) -> str:
        written.append(obj["metadata"]["name"])
        if len(written) == 2:
            raise KeyboardInterrupt
        return "kind: ConfigMap\n"

    monkeypatch.setattr(document, "dumps_manifest", interrupted)
    with pytest.raises(KeyboardInterrupt):
        cli.write_plan({"stack": "dev"}, RECORDING, out)
    assert written == ["a", "b"]
    assert (out / "plan.json").read_text() == '{"old": true}\n'
    assert [p.name for p in (out / "manifests").iterdir()] == ["stale.yaml"]
    assert [p.name for p in tmp_path.iterdir()] == ["dev"]


def test_a_directory_that_is_not_a_plan_output_is_never_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(PlanError, match="is not a plan output directory"):
        cli.write_plan({}, RECORDING, tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]
    monkeypatch.chdir(tmp_path)
    (tmp_path / "plan.json").write_text("{}")
    with pytest.raises(PlanError, match="is the working directory or above it"):
        cli.write_plan({}, RECORDING, Path("."))


def test_plans_of_two_stacks_run_at_the_same_time(tmp_path: Path) -> None:
    runs = {
        stack: subprocess.Popen(
            [str(MLOPS), "plan", "--stack", stack, "--out", str(tmp_path / stack)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for stack in ("dev", "prod")
    }
    for stack, process in runs.items():
        _, stderr = process.communicate(timeout=300)
        assert process.returncode == 0, stderr
        assert json.loads((tmp_path / stack / "plan.json").read_text())["stack"] == stack
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dev", "prod"]

"""Shared fixtures: the offline harness of ``mlops plan`` (components.plan.runner), no copy.

Every run gets a fresh event loop, recording mocks, a graph monitor and the given config,
and resets Pulumi's global settings afterwards (see ``runner.mocked_runtime``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import pulumi
import pytest

from components import pins
from components.helm import pinned_release
from components.plan.cli import make_plan
from components.plan.monitor import Registration
from components.plan.runner import (
    Recording,
    StackConfig,
    read_stack_file,
    run_program,
    run_program_dir,
)

ROOT = Path(__file__).resolve().parents[1]
PROJECT = "mlops-platform"

RunProgram = Callable[..., Recording]
CRD_CHARTS = ("prometheus-operator-crds", "keda")
PLAN_DATE = "2026-12-01"
"""The date every test judges EKS support windows on (``MLOPS_TODAY``), so a test's result
does not change with the calendar; tests of the windows themselves pass their own dates."""


@pytest.fixture(autouse=True)
def _fixed_plan_date(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(pins.TODAY_VARIABLE, PLAN_DATE)


def stack_file(stack: str) -> Path:
    """The real stack file of ``stack``."""
    return ROOT / f"Pulumi.{stack}.yaml"


def platform_raw(stack: str) -> dict[str, Any]:
    """The raw ``platform`` object of a real stack file, as the program receives it."""
    values = read_stack_file(stack_file(stack), PROJECT).values
    return json.loads(values[f"{PROJECT}:platform"])


@pytest.fixture
def run() -> RunProgram:
    """Run a callable that declares resources under mocks; returns the Recording.

    ``run(fn, stack="dev", config={"mlops-platform:key": "value"}, secret_keys=[...],
    stack_outputs={"org/platform/prod": {...}}, preview=True)`` (``stack_outputs`` answer
    StackReferences; ``preview`` records a first preview: computed values unknown).
    """

    def _run(
        program: Callable[[], object],
        *,
        stack: str = "dev",
        config: Mapping[str, str] | None = None,
        secret_keys: list[str] | None = None,
        stack_outputs: Mapping[str, Mapping[str, Any]] | None = None,
        preview: bool = False,
    ) -> Recording:
        stack_config = StackConfig(
            source="test",
            values=dict(config or {"aws:region": "us-east-1"}),
            secret_keys=secret_keys or [],
        )
        return run_program(
            program, project=PROJECT, stack=stack, config=stack_config, stack_outputs=stack_outputs, preview=preview
        )

    return _run


@cache
def stack_recording(stack: str) -> Recording:
    """The recording of a real stack's plan (computed once per session)."""
    config = read_stack_file(stack_file(stack), PROJECT)
    return run_program_dir(ROOT / "infra", stack=stack, config=config, project=PROJECT)


@cache
def _stack_plan(stack: str) -> tuple[Recording, str]:
    recording = stack_recording(stack)
    return recording, json.dumps(make_plan(recording))


@pytest.fixture(params=["dev", "prod"])
def stack_plan(request: pytest.FixtureRequest) -> tuple[Recording, dict[str, Any]]:
    """The recording and ``plan.json`` of each real stack (computed once per session)."""
    recording, plan = _stack_plan(request.param)
    return recording, json.loads(plan)


@pytest.fixture
def prod_plan() -> dict[str, Any]:
    """``plan.json`` of the real prod stack."""
    return json.loads(_stack_plan("prod")[1])


@pytest.fixture
def dev_plan() -> dict[str, Any]:
    """``plan.json`` of the real dev stack."""
    return json.loads(_stack_plan("dev")[1])


def named(recording: Recording) -> dict[str, Registration]:
    """The recording's resources by logical name (the root stack left out)."""
    return {r.name: r for r in recording.resources if r.type != "pulumi:pulumi:Stack"}


def of_type(recording: Recording, type_: str) -> list[Registration]:
    """The recording's resources of one type."""
    return [r for r in recording.resources if r.type == type_]


def crd_releases() -> list[pulumi.Resource]:
    """What a Cluster's ``crds`` are, for components tested without a cluster: the pinned
    prometheus-operator-crds and KEDA releases (declare inside ``run``)."""
    opts = pulumi.ResourceOptions()
    return [pinned_release(name, name, namespace="kube-system", values={}, opts=opts) for name in CRD_CHARTS]

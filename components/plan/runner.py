"""Run a Pulumi Python program offline under mocks and record what it declares.

This is the one harness behind ``mlops plan`` and the tests: a fresh event loop, the
recording mocks and graph monitor, the stack's config injected, and everything reset after.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import runpy
import sys
from collections.abc import Callable, Generator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import pulumi
from pulumi.runtime import resource as pulumi_resource
from pulumi.runtime import settings as pulumi_settings
from pulumi.runtime.proto import source_pb2
from pulumi.runtime.stack import run_pulumi_func

from components.plan.inputs import InputError, read_yaml_mapping
from components.plan.mocks import RecordingMocks
from components.plan.monitor import UNKNOWN_PLACEHOLDER, GraphMonitor, Registration
from components.project import PROJECT_FILE, SECRET_PLACEHOLDER, project_file

DEFAULT_REGION = "us-east-1"
StackOutputs = Mapping[str, Mapping[str, Any]]
"""Outputs of the stacks a program reads through StackReferences, by stack name (``*``: any)."""


class PlanError(Exception):
    """The program or its files cannot be planned (exit status 2); the message says why."""


@dataclass(frozen=True)
class StackConfig:
    """A stack's configuration as the Pulumi runtime receives it."""

    source: str
    """Where it came from (a stack file path), for error messages."""
    values: dict[str, str] = field(default_factory=dict[str, str])
    """Namespaced keys (``project:key``) to strings; objects are JSON, secrets masked."""
    secret_keys: list[str] = field(default_factory=list[str])
    """Keys whose values were ``secure:`` (replaced by a placeholder offline)."""

    @property
    def region(self) -> str:
        """``aws:region``, or us-east-1 when unset."""
        return self.values.get("aws:region", DEFAULT_REGION)


@dataclass(frozen=True)
class Recording:
    """Everything a program declared, in a deterministic order."""

    project: str
    stack: str
    resources: list[Registration]
    outputs: dict[str, Any]
    config: Mapping[str, str] = field(default_factory=dict[str, str])
    """The stack's config (``pkg:key`` -> string): what the engine gives default providers."""
    preview: bool = False
    """Recorded as a first ``pulumi preview`` sees the program (computed values unknown)."""


def find_project(program_dir: Path) -> tuple[str, Path]:
    """The project name and root: the nearest ``Pulumi.yaml`` at or above ``program_dir``."""
    found = project_file(program_dir)
    if found is None:
        raise PlanError(f"{program_dir}: no {PROJECT_FILE} in this directory or above it")
    name = _read_yaml(found).get("name")
    if not isinstance(name, str) or not name:
        raise PlanError(f"{found}: name: required, the project name")
    return name, found.parent


def read_stack_file(path: Path, project: str) -> StackConfig:
    """Read ``config:`` of a stack file into the runtime's shape.

    Keys without a namespace get the project's (as the Pulumi CLI does); ``secure:``
    values cannot be decrypted offline and become ``[secret]``.
    """
    data = _read_yaml(path)
    config: Any = data.get("config") or {}
    if not isinstance(config, dict):
        raise PlanError(f"{path}: config: must be a mapping of keys to values")
    config = cast(dict[str, Any], config)
    values: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, value in config.items():
        full_key = str(key) if ":" in str(key) else f"{project}:{key}"
        masked, had_secret = _mask_secrets(value)
        values[full_key] = masked if isinstance(masked, str) else json.dumps(masked)  # bools: true
        if had_secret:
            secret_keys.append(full_key)
    return StackConfig(source=str(path), values=values, secret_keys=secret_keys)


def _mask_secrets(value: Any) -> tuple[Any, bool]:
    if isinstance(value, dict):
        mapping = cast(dict[str, Any], value)
        if set(mapping) == {"secure"}:
            return SECRET_PLACEHOLDER, True
        pairs = {k: _mask_secrets(v) for k, v in mapping.items()}
        return {k: v for k, (v, _) in pairs.items()}, any(s for _, s in pairs.values())
    if isinstance(value, list):
        items = [_mask_secrets(v) for v in cast(list[Any], value)]
        return [v for v, _ in items], any(s for _, s in items)
    return value, False


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        return read_yaml_mapping(path)
    except InputError as exc:
        raise PlanError(str(exc)) from None


@contextmanager
def mocked_runtime(
    project: str, stack: str, config: StackConfig, stack_outputs: StackOutputs | None = None, preview: bool = False
) -> Generator[tuple[asyncio.AbstractEventLoop, GraphMonitor]]:
    """A fresh event loop and Pulumi runtime under recording mocks (``stack_outputs`` answer
    StackReferences; ``preview``: a first preview, computed values unknown); reset on exit."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    monitor = GraphMonitor(RecordingMocks(region=config.region, stack_outputs=stack_outputs, preview=preview))
    try:
        with _lean_sdk():
            pulumi_settings.reset_options(project=project, stack=stack)
            pulumi.runtime.set_all_config(dict(config.values), list(config.secret_keys))
            pulumi.runtime.set_mocks(monitor.mocks, project=project, stack=stack, preview=preview, monitor=monitor)
            yield loop, monitor
    finally:
        _drain(loop)
        pulumi.runtime.set_all_config({}, [])
        pulumi_settings.reset_options()
        loop.close()
        asyncio.set_event_loop(None)


# Measured on a 2,333-resource plan (README, Performance): the cyclic GC rescanning a heap that
# only grows took 45% of the program's run, and the per-registration stack trace (a source
# position for the engine, which an offline plan never shows) another 13%.
_GC_THRESHOLD = (50_000, 20, 100)


@contextmanager
def rare_gc() -> Generator[None]:
    """Collect garbage rarely: the plan's objects only accumulate (a recording, the policy views),
    and the default thresholds rescan them again and again."""
    threshold = gc.get_threshold()
    gc.set_threshold(*_GC_THRESHOLD)
    try:
        yield
    finally:
        gc.set_threshold(*threshold)


@contextmanager
def _lean_sdk() -> Generator[None]:
    """Collect garbage rarely and skip the SDK's source positions while a program runs."""
    stack_trace = getattr(pulumi_resource, "_get_stack_trace", None)
    if stack_trace is not None:
        pulumi_resource._get_stack_trace = source_pb2.StackTrace  # pyright: ignore[reportPrivateUsage]
    try:
        with rare_gc():
            yield
    finally:
        if stack_trace is not None:
            pulumi_resource._get_stack_trace = stack_trace  # pyright: ignore[reportPrivateUsage]


def _drain(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel what a failed program left pending; its error is reported once, by the caller."""
    loop.set_exception_handler(lambda _loop, _context: None)
    pending = asyncio.all_tasks(loop)
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    loop.run_until_complete(loop.shutdown_default_executor())


def run_program(
    program: Callable[[], object],
    *,
    project: str,
    stack: str,
    config: StackConfig,
    stack_outputs: StackOutputs | None = None,
    preview: bool = False,
) -> Recording:
    """Run ``program`` (it declares resources) under mocks and return what it declared;
    ``stack_outputs`` (stack name, or ``*`` for any, -> outputs) answer its StackReferences;
    ``preview`` runs it as the first ``pulumi preview`` of an empty stack (see RecordingMocks)."""

    def main() -> None:
        program()

    with mocked_runtime(project, stack, config, stack_outputs, preview) as (loop, monitor):
        loop.run_until_complete(run_pulumi_func(main))
        root = pulumi_settings.get_root_resource()
        exported: dict[str, Any] = getattr(root, "outputs", {})
        outputs = loop.run_until_complete(_resolve_outputs(exported))
        resources = sorted(monitor.registrations.values(), key=lambda r: r.urn)
    return Recording(
        project=project, stack=stack, resources=resources, outputs=outputs, config=config.values, preview=preview
    )


def run_program_dir(
    program_dir: Path,
    *,
    stack: str,
    config: StackConfig,
    project: str,
    stack_outputs: StackOutputs | None = None,
    preview: bool = False,
) -> Recording:
    """Run the ``__main__.py`` of a Pulumi Python program directory as the Pulumi CLI does:
    from that directory, with it first on ``sys.path``."""
    directory = program_dir.resolve()
    main = directory / "__main__.py"
    if not main.is_file():
        raise PlanError(f"{program_dir}: no __main__.py (a Pulumi Python program directory needs one)")
    previous = Path.cwd()
    sys.path.insert(0, str(directory))
    os.chdir(directory)
    try:
        return run_program(
            lambda: runpy.run_path(str(main), run_name="__main__"),
            project=project,
            stack=stack,
            config=config,
            stack_outputs=stack_outputs,
            preview=preview,
        )
    finally:
        os.chdir(previous)
        sys.path.remove(str(directory))


async def _resolve_outputs(exported: Mapping[str, Any]) -> dict[str, Any]:
    resolved: dict[str, Any] = {}
    for name in sorted(exported):
        output = pulumi.Output.from_input(exported[name])
        is_secret = await output.is_secret()
        known = await output.is_known()
        value = await output.future()
        resolved[name] = SECRET_PLACEHOLDER if is_secret else value if known else UNKNOWN_PLACEHOLDER
    return resolved

"""The pack as the Pulumi CLI runs it: its own process, started as the Python language host
starts a policy pack, spoken to over the Analyzer gRPC protocol.

Every program is recorded once; the engine's messages for it (``components.plan.engine``) go
to the plugin (Configure with the stack's resolved pack config, Analyze per resource,
AnalyzeStack) and the diagnostics it answers must be exactly what ``mlops plan`` reports, rule by
rule: violations (level, URN, message) and the policies that could not run on an unknown.
The plugin is the ground truth for a real ``pulumi preview``, so the pack's own verdicts are
asserted through it too: dev and prod pass, each insecure program is refused by its rule.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import empty_pb2, json_format
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc
from pulumi_policy import EnforcementLevel

from components.plan.engine import Engine, Requests, configure_request
from components.plan.policy import check
from components.plan.runner import Recording, find_project, read_stack_file, run_program_dir
from components.policies import CONFIG_DIR, POLICIES
from components.policies.pack import PACK_NAME
from components.policies.settings import PACK_DEFAULT_LEVEL, read_pack_config, resolve
from tests.conftest import PROJECT, ROOT, RunProgram, stack_file, stack_recording
from tests.policy.insecure_programs import PROGRAMS, SECURE

pytestmark = pytest.mark.policy

PACK_DIR = ROOT / "policies"
CANT_RUN = "can't run policy '"
_LEVELS = {analyzer_pb2.ADVISORY: "advisory", analyzer_pb2.MANDATORY: "mandatory"}
_PROTO_LEVELS = {EnforcementLevel.ADVISORY: analyzer_pb2.ADVISORY, EnforcementLevel.MANDATORY: analyzer_pb2.MANDATORY}
Finding = tuple[str, str, str | None, str]
"""(kind: violation | not-run, policy or policy@level, URN or None, message or reason)."""


@dataclass
class Plugin:
    """The pack's process and a client of its Analyzer service."""

    process: subprocess.Popen[bytes]
    stub: analyzer_pb2_grpc.AnalyzerStub
    descriptions: dict[str, str]

    def configure(self, pack_config_file: Path) -> None:
        resolved = resolve(POLICIES, read_pack_config(pack_config_file), str(pack_config_file))
        self.stub.Configure(configure_request(resolved))

    def analyze(self, requests: Requests) -> set[Finding]:
        found: set[Finding] = set()
        for request in requests.analyze:
            found |= self._findings(self.stub.Analyze(request).diagnostics, request.urn)
        return found | self._findings(self.stub.AnalyzeStack(requests.analyze_stack).diagnostics, None)

    def _findings(self, diagnostics: Any, urn: str | None) -> set[Finding]:
        found: set[Finding] = set()
        for d in diagnostics:
            if d.message.startswith(CANT_RUN):
                reason = d.message.split(" during preview: ", 1)[1]
                found.add(("not-run", d.policyName, urn, reason))
                continue
            description = self.descriptions[d.policyName]
            assert d.message.startswith(description), d.message  # the servicer prefixes the description
            message = d.message.removeprefix(description).removeprefix("\n")
            # The engine files a diagnostic without a URN under the resource analyzed (Analyze) or
            # the stack (AnalyzeStack), as mlops plan does.
            found.add(("violation", f"{d.policyName}@{_LEVELS[d.enforcementLevel]}", d.urn or urn, message))
        return found


def start_pack(pack_dir: Path, python: str = sys.executable) -> Iterator[Plugin]:
    """Start ``pack_dir`` as pulumi-language-python's RunPlugin does (``python -u -m pulumi.policy
    ENGINE PACK_DIR`` in the pack directory; the virtualenv of its PulumiPolicy.yaml is ours), read
    the port it prints, and stop it afterwards."""
    env = {**os.environ, "PULUMI_PROJECT": PROJECT, "PULUMI_STACK": "dev", "PULUMI_DRY_RUN": "true"}
    process = subprocess.Popen(
        [python, "-u", "-m", "pulumi.policy", "127.0.0.1:1", str(pack_dir)],
        cwd=pack_dir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().decode().strip()
        if not line.isdigit():
            process.kill()
            raise AssertionError(f"the pack printed no port: {line!r} {process.communicate()[1].decode()[-2000:]}")
        channel = grpc.insecure_channel(f"127.0.0.1:{line}", options=[("grpc.max_receive_message_length", 1 << 28)])
        stub = analyzer_pb2_grpc.AnalyzerStub(channel)
        info = stub.GetAnalyzerInfo(empty_pb2.Empty())
        yield Plugin(process, stub, {p.name: p.description for p in info.policies})
        channel.close()
    finally:
        process.kill()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def plugin() -> Iterator[Plugin]:
    yield from start_pack(PACK_DIR)


def in_process(recording: Recording, pack_config_file: Path) -> set[Finding]:
    """What ``mlops plan`` reports for the same recording and config."""
    evaluation = check(POLICIES, recording.resources, read_pack_config(pack_config_file), recording.config)
    found: set[Finding] = {
        ("violation", f"{v.policy}@{v.enforcement_level}", v.urn, v.message) for v in evaluation.violations
    }
    return found | {("not-run", n.policy, n.urn, n.reason) for n in evaluation.not_run}


def agree(plugin: Plugin, recording: Recording, stack: str) -> set[Finding]:
    """The plugin's findings under the stack's pack config, asserted equal to ``mlops plan``'s."""
    return agree_under(plugin, recording, CONFIG_DIR / f"{stack}.json")


def agree_under(plugin: Plugin, recording: Recording, pack_config_file: Path) -> set[Finding]:
    """The plugin's findings under a pack config file, asserted equal to ``mlops plan``'s."""
    plugin.configure(pack_config_file)
    found = plugin.analyze(Requests(Engine(recording.resources, recording.config)))
    assert found == in_process(recording, pack_config_file)
    return found


def mandatory(found: set[Finding]) -> set[str]:
    return {
        policy.split("@")[0] for kind, policy, _, _ in found if kind == "violation" and policy.endswith("@mandatory")
    }


def test_the_plugin_describes_the_pack_this_package_evaluates(plugin: Plugin) -> None:
    """The CLI resolves the pack config from GetAnalyzerInfo: the levels and schemas it serves are
    the ones ``mlops plan`` resolves from."""
    info = plugin.stub.GetAnalyzerInfo(empty_pb2.Empty())
    assert (info.name, info.supportsConfig) == (PACK_NAME, True)
    served = {p.name: (p.enforcementLevel, json_format.MessageToDict(p.configSchema.properties)) for p in info.policies}
    ours = {
        p.name: (
            _PROTO_LEVELS[p.enforcement_level or PACK_DEFAULT_LEVEL],
            json.loads(json.dumps(dict(p.config_schema.properties))) if p.config_schema else {},
        )
        for p in POLICIES
    }
    assert served == ours


@pytest.mark.parametrize("stack", ["dev", "prod"])
@pytest.mark.parametrize("preview", [False, True], ids=["update", "first-preview"])
def test_dev_and_prod_pass_the_pack_as_the_cli_runs_it(plugin: Plugin, stack: str, preview: bool) -> None:
    recording = (
        stack_recording(stack)
        if not preview
        else run_program_dir(
            ROOT / "infra",
            stack=stack,
            config=read_stack_file(stack_file(stack), PROJECT),
            project=PROJECT,
            preview=True,
        )
    )
    found = agree(plugin, recording, stack)
    assert mandatory(found) == set()
    not_run = {policy for kind, policy, _, _ in found if kind == "not-run"}
    assert bool(not_run) is preview  # unknowns exist only in a first preview, and are never violations


@pytest.mark.parametrize("mistake", sorted(PROGRAMS))
def test_each_insecure_program_is_refused_by_its_rule_through_the_plugin(
    plugin: Plugin, run: RunProgram, mistake: str
) -> None:
    program, rule = PROGRAMS[mistake]
    found = agree(plugin, run(program, stack="prod"), "prod")
    assert mandatory(found) == {rule}


@pytest.mark.parametrize("name", sorted(SECURE))
def test_each_secure_counterpart_passes_through_the_plugin(plugin: Plugin, run: RunProgram, name: str) -> None:
    assert mandatory(agree(plugin, run(SECURE[name], stack="prod"), "prod")) == set()


def test_a_computed_name_does_not_stop_the_workload_rules_in_a_first_preview(plugin: Plugin, run: RunProgram) -> None:
    """The name is read only to match an exemption of the workload's kind and namespace: without
    one, the known containers are judged; with one, the rules say they cannot run."""
    program, rule = PROGRAMS["latest-init-image-computed-name"]
    recording = run(program, stack="prod", preview=True)
    found = agree(plugin, recording, "prod")
    assert mandatory(found) == {rule}
    unpinned = [message for kind, _, _, message in found if kind == "violation" and "busybox:latest" in message]
    assert unpinned == ["container init runs unpinned image 'busybox:latest'"]
    assert {policy for kind, policy, _, _ in found if kind == "not-run"} == set()
    exemption = {"kind": "Deployment", "namespace": "serving", "name": "other", "image": "*", "reason": "r"}
    exempting = {**read_pack_config(CONFIG_DIR / "prod.json"), rule: {"exemptions": [exemption]}}
    [not_run] = check(POLICIES, recording.resources, exempting, recording.config).not_run
    assert (not_run.policy, not_run.reason) == (rule, "string value at .metadata.name can't be known during preview")


PROGRAM_DIRS: dict[str, tuple[Path, Callable[[], dict[str, Any]] | None]] = {
    "tiny-program": (ROOT / "examples/tiny-program", None),
    "gpu-platform": (ROOT / "examples/gpu-platform", None),
    "gpu-team": (ROOT / "tests/programs/gpu-team", None),
    "app-team": (ROOT / "examples/app-team", lambda: {"*": stack_recording("prod").outputs}),
}
"""Program directories (each with a Pulumi.dev.yaml) and the platform outputs they read, if any."""


@pytest.mark.parametrize("name", sorted(PROGRAM_DIRS))
@pytest.mark.parametrize("preview", [False, True], ids=["update", "first-preview"])
def test_programs_and_examples_agree_and_pass(plugin: Plugin, name: str, preview: bool) -> None:
    directory, outputs = PROGRAM_DIRS[name]
    project, _ = find_project(directory)
    recording = run_program_dir(
        directory,
        stack="dev",
        config=read_stack_file(directory / "Pulumi.dev.yaml", project),
        project=project,
        stack_outputs=outputs() if outputs else None,
        preview=preview,
    )
    assert mandatory(agree(plugin, recording, "dev")) == set()

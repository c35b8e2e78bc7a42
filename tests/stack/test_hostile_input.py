"""The exit-status contract of ``mlops plan`` / ``mlops diff`` under hostile input (in process):
2 with one line on stderr naming the file for anything invalid, never a traceback; 130 on Ctrl-C."""

from __future__ import annotations

import json
import os
import shutil
import stat
from pathlib import Path
from typing import Any

import pytest

from components.plan import cli
from tests.conftest import ROOT

pytestmark = pytest.mark.stack

BUCKET = "urn:pulumi:dev::proj::aws:s3/bucket:Bucket::models"


def plan_doc(**resource: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "urn": BUCKET,
        "type": "aws:s3/bucket:Bucket",
        "name": "models",
        "parent": None,
        "inputs": {"bucket": "models-1"},
        "options": {"protect": True, "aliases": [], "ignoreChanges": []},
    }
    return {"schemaVersion": 1, "resources": [base | resource], "outputs": {}}


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str]]:
    status = cli.main(list(argv))
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return status, err.splitlines()


def plan_stack_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, stack: str, text: str
) -> tuple[Path, int, list[str]]:
    """Plan ``stack`` with ``text`` as its stack file: the file, the exit status and the lines
    printed. A refused configuration (exit 2) never leaves a plan behind."""
    config = tmp_path / f"Pulumi.{stack}.yaml"
    config.write_text(text)
    status, lines = run_cli(capsys, "plan", "--stack", stack, "--config", str(config), "--out", str(tmp_path / "o"))
    assert status != 2 or not (tmp_path / "o").exists()
    return config, status, lines


def write(path: Path, document: Any) -> Path:
    path.write_text(json.dumps(document))
    return path


@pytest.mark.parametrize(
    ("resource", "message"),
    [
        ({"urn": 1}, "resources[0].urn: must be a URN (got 1)"),
        ({"urn": "models"}, 'resources[0].urn: must be urn:pulumi:<stack>::<project>::<type>::<name> (got "models")'),
        ({"type": None}, "resources[0].type: must be a string (got null)"),
        ({"name": ["x"]}, 'resources[0].name: must be a string (got ["x"])'),
        ({"parent": 5}, "resources[0].parent: must be a URN or null (got 5)"),
        ({"inputs": []}, "resources[0].inputs: must be an object"),
        ({"options": "protect"}, "resources[0].options: must be an object"),
        ({"options": {"protect": "yes"}}, 'resources[0].options.protect: must be true or false (got "yes")'),
        ({"options": {"aliases": "x"}}, 'resources[0].options.aliases: must be a list of strings (got "x")'),
        ({"options": {"aliases": ["a::b"]}}, 'resources[0].options.aliases: "a::b" is not a URN'),
        ({"options": {"ignoreChanges": [1]}}, "resources[0].options.ignoreChanges: must be a list of strings"),
    ],
)
def test_diff_refuses_a_plan_with_wrong_fields(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], resource: dict[str, Any], message: str
) -> None:
    good = write(tmp_path / "old.json", plan_doc())
    bad = write(tmp_path / "new.json", plan_doc(**resource))
    status, lines = run_cli(capsys, "diff", str(good), str(bad))
    assert status == 2
    assert len(lines) == 1 and lines[0].startswith(f"mlops diff: {bad}: {message}"), lines


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[1]", "not a plan.json (no resources list)"),
        ('{"resources": {}}', "not a plan.json (no resources list)"),
        ('{"resources": [], "outputs": 3}', "outputs: must be an object"),
        ('{"resources": [1]}', "resources[0]: must be an object"),
        ('{"resources": []', ":1: not JSON: Expecting ',' delimiter (column 17)"),
        ('{"resources": [], "resources": []}', 'not JSON: duplicate key "resources"'),
        ('{"resources": [NaN]}', "not JSON: NaN is not a JSON number"),
        ('{"resources": ' + "[" * 5000 + "]" * 5000 + "}", "nested more than 64 levels deep; refused"),
    ],
)
def test_diff_refuses_what_is_no_plan(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    good = write(tmp_path / "old.json", plan_doc())
    bad = tmp_path / "new.json"
    bad.write_text(text)
    status, lines = run_cli(capsys, "diff", str(good), str(bad))
    assert status == 2
    assert lines == [f"mlops diff: {bad}{'' if message.startswith(':') else ': '}{message}"]


def test_diff_refuses_a_urn_twice_and_an_endless_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = write(tmp_path / "old.json", plan_doc())
    twice = plan_doc()
    twice["resources"] *= 2
    bad = write(tmp_path / "new.json", twice)
    assert run_cli(capsys, "diff", str(good), str(bad)) == (
        2,
        [f"mlops diff: {bad}: resources[1].urn: {BUCKET} appears twice"],
    )
    assert run_cli(capsys, "diff", str(good), "/dev/zero") == (
        2,
        ["mlops diff: /dev/zero: not a regular file; a device, pipe or directory is never read"],
    )


def test_diff_compares_deep_json_documents_as_strings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = write(tmp_path / "old.json", plan_doc(inputs={"policy": "[" * 5000 + "]" * 5000}))
    new = write(tmp_path / "new.json", plan_doc(inputs={"policy": "[" * 4000 + "]" * 4000}))
    status = cli.main(["diff", str(old), str(new)])
    out, err = capsys.readouterr()
    assert (status, err) == (0, "")
    assert "~ aws:s3/bucket:Bucket models\n      policy: " in out


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (RecursionError("maximum recursion depth exceeded"), "nested too deeply to process"),
        (MemoryError(), "out of memory"),
        (KeyError("urn"), "internal error: KeyError: 'urn'"),
    ],
)
def test_any_failure_is_one_line_and_status_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, error: Exception, message: str
) -> None:
    def fail(*_args: object) -> None:
        raise error

    monkeypatch.setattr(cli.diff, "compare", fail)
    old = write(tmp_path / "old.json", plan_doc())
    assert run_cli(capsys, "diff", str(old), str(old)) == (2, [f"mlops diff: {old}, {old}: {message}"])


def test_usage_errors_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["plan", "--stack", "dev", "--bogus"])
    assert exited.value.code == 2
    assert capsys.readouterr().err == "mlops: unrecognized arguments: --bogus (see mlops --help)\n"


@pytest.mark.parametrize(
    ("stack", "message"),
    [
        ("../../x", "--stack '../../x': a stack name is 1 to 100 letters, digits, '-', '_' or '.'"),
        ("org/proj/dev", "--stack 'org/proj/dev': a stack name is 1 to 100 letters"),
        ("x" * 101, "a stack name is 1 to 100 letters"),
        ("dev\n", "a stack name is 1 to 100 letters"),
        ("..", "--stack '..': names a directory; choose another stack name"),
        ("staging", "no policy config for stack 'staging' (there are: dev, prod); name one with --policy-config FILE"),
    ],
)
def test_stack_names_follow_pulumi_and_need_a_policy_config(
    capsys: pytest.CaptureFixture[str], stack: str, message: str
) -> None:
    status, lines = run_cli(capsys, "plan", "--stack", stack)
    assert status == 2
    assert len(lines) == 1 and lines[0].startswith("mlops plan: ") and message in lines[0], lines


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"all": "off"}', "all: enforcementLevel 'off' is not one of advisory, mandatory, remediate, disabled"),
        ('{"x": {"enforcementLevel": 1}}', "x: enforcementLevel 1 is not one of"),
        ('{"k8s-pinned-images": {"requireDigest": "yes"}}', "k8s-pinned-images.requireDigest: 'yes' is not of type"),
        ("[]", "must be a JSON object of policy name to level or settings"),
        ("{", ":1: not JSON"),
    ],
)
def test_a_policy_config_file_is_checked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    given = tmp_path / "pack.json"
    given.write_text(content)
    status, lines = run_cli(capsys, "plan", "--stack", "staging", "--policy-config", str(given))
    assert status == 2
    assert len(lines) == 1 and lines[0].startswith(f"mlops plan: {given}") and message in lines[0], lines


def test_another_stack_is_planned_with_the_policy_config_it_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "Pulumi.staging.yaml"
    shutil.copy(ROOT / "Pulumi.dev.yaml", config)
    argv = ["plan", "--stack", "staging", "--config", str(config), "--out", str(tmp_path / "out"), "--format", "json"]
    assert cli.main([*argv, "--policy-config", str(ROOT / "policies/config/dev.json")]) == 0
    assert json.loads(capsys.readouterr().out)["stack"] == "staging"
    # dev's stack under prod's settings: the file named is the one in force.
    assert cli.main([*argv, "--policy-config", str(ROOT / "policies/config/prod.json")]) == 1
    levels = {v["enforcementLevel"] for v in json.loads(capsys.readouterr().out)["violations"]}
    assert levels == {"mandatory"}


def test_ctrl_c_exits_130_and_keeps_the_previous_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "plan.json").write_text("{}")

    def interrupted(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "run_program_dir", interrupted)
    status, lines = run_cli(capsys, "plan", "--stack", "dev", "--out", str(out))
    assert (status, lines) == (130, ["mlops plan: interrupted; the previous output is left as it was"])
    assert (out / "plan.json").read_text() == "{}"


def test_hostile_stack_files_exit_2_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for name, text in {
        "date": "config:\n  mlops-platform:platform:\n    since: 2024-01-01\n",
        "bomb": "config:\n  a: &a [x, x, x, x]\n  b: &b [*a, *a, *a, *a]\n  c: [*b, *b, *b, *b]\n",
        "deep": "config:\n  a: " + "[" * 1000 + "]" * 1000 + "\n",
    }.items():
        config = tmp_path / f"Pulumi.{name}.yaml"
        config.write_text(text)
        status, lines = run_cli(capsys, "plan", "--stack", "dev", "--config", str(config), "--out", str(tmp_path / "o"))
        assert status == 2 and len(lines) == 1 and lines[0].startswith(f"mlops plan: {config}:"), lines
    status, lines = run_cli(capsys, "plan", "--stack", "dev", "--config", "/dev/zero")
    assert (status, lines) == (
        2,
        ["mlops plan: /dev/zero: not a regular file; a device, pipe or directory is never read"],
    )


def test_a_plaintext_credential_in_the_stack_file_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, status, lines = plan_stack_file(
        capsys,
        tmp_path,
        "prod",
        (ROOT / "Pulumi.prod.yaml").read_text()
        + "  mlops-platform:slackWebhookUrl: https://hooks.slack.com/services/T0/B0/x\n"
        + "  mlops-platform:pagerdutyRoutingKey:\n    secure: v1:abc\n",
    )
    assert (status, lines) == (
        2,
        [
            "invalid configuration (1 problem):",
            f"{config}: mlops-platform:slackWebhookUrl: holds a credential, so it must be a secret: "
            "`pulumi config set --secret mlops-platform:slackWebhookUrl <value>` (secure: in the stack file), "
            "never plaintext",
        ],
    )


def test_a_made_up_aws_region_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = (ROOT / "Pulumi.dev.yaml").read_text().replace("aws:region: us-east-1", "aws:region: mars-north-9")
    assert "mars-north-9" in text
    config, status, lines = plan_stack_file(capsys, tmp_path, "dev", text)
    assert (status, lines) == (
        2,
        [
            "invalid configuration (1 problem):",
            f"{config}: aws:region: must be an AWS region botocore knows, e.g. us-east-1, eu-west-1, cn-north-1, "
            "us-gov-west-1 (got 'mars-north-9')",
        ],
    )


def test_out_is_never_a_device_pipe_or_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fifo, link = tmp_path / "fifo", tmp_path / "dangling"
    os.mkfifo(fifo)
    link.symlink_to(tmp_path / "nowhere")
    for out in (fifo, link):
        status, lines = run_cli(capsys, "plan", "--stack", "dev", "--out", str(out))
        assert (status, lines) == (
            2,
            [f"mlops plan: {out}: exists and is not a plan output directory (no plan.json); choose another --out"],
        )
    assert stat.S_ISFIFO(fifo.lstat().st_mode) and link.is_symlink()  # both left as they were


def test_a_program_that_exits_is_a_program_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    program = tmp_path / "program"
    program.mkdir()
    (program / "Pulumi.yaml").write_text("name: team\nruntime: python\n")
    (program / "__main__.py").write_text("import sys\n\nsys.exit(7)\n")
    policy = tmp_path / "defaults.json"
    policy.write_text("{}")
    argv = ["plan", "--stack", "dev", "--program", str(program), "--policy-config", str(policy)]
    status, lines = run_cli(capsys, *argv, "--out", str(tmp_path / "out"))
    assert (status, lines) == (2, [f"mlops plan: {program}: the program exited (status 7) before it was planned"])


def test_a_flood_of_problems_is_cut_at_fifty_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pools = "".join(f"      - {{name: p{i}, instanceTypes: [g5.xlarge], minSize: 3, maxSize: 1}}\n" for i in range(80))
    text = (ROOT / "Pulumi.dev.yaml").read_text()
    config, status, lines = plan_stack_file(
        capsys, tmp_path, "dev", text.replace("    gpuPools:\n", "    gpuPools:\n" + pools, 1)
    )
    assert status == 2 and len(lines) == 52, lines
    count = int(lines[0].removeprefix("invalid configuration (").split(" ")[0])
    assert count >= 80 and lines[-1] == f"{config}: ... and {count - 50} more problems"
    assert all(line.startswith(f"{config}: ") for line in lines[1:])


def test_a_tag_aws_would_refuse_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = (ROOT / "Pulumi.dev.yaml").read_text().replace("team: ml-platform", 'team: "ml\\u0007platform"')
    config, status, lines = plan_stack_file(capsys, tmp_path, "dev", text)
    assert (status, lines) == (
        2,
        [
            "invalid configuration (1 problem):",
            f"{config}: platform.tags.team: the value may hold only Unicode letters, digits, spaces and "
            "_ . : / = + - @ (IAM's tag pattern; found '\\x07')",
        ],
    )
    assert not (tmp_path / "o").exists()


def test_a_canary_that_leaves_no_stable_pod_is_refused_before_any_resource(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """dev's one-replica endpoint with a canary replacing its only pod: one line naming the file
    and the key path, exit 2, and no plan written (the config is refused before the program runs)."""
    text = (
        (ROOT / "Pulumi.dev.yaml")
        .read_text()
        .replace(
            "        replicas: 1\n",
            "        replicas: 1\n        canary: true\n        rollout: replace\n        modelVersion: v1\n",
            1,
        )
    )
    config, status, lines = plan_stack_file(capsys, tmp_path, "dev", text)
    assert (status, lines) == (
        2,
        [
            "invalid configuration (1 problem):",
            f"{config}: platform.endpoints[0].replicas: canary with rollout replace needs replicas >= 2: the canary "
            "pod takes a stable pod's place, and 1 replica would leave no stable pod serving (use surge); "
            "or set canary: false",
        ],
    )
    assert not (tmp_path / "o").exists()

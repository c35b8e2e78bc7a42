"""The workflows read as data, as GitHub runs them: who runs where, with what, in which order.

Each test names the defect it keeps out (issue 35): pull-request code on a deploy runner, a fork
PR that cannot preview, a prod approval without the change in front of the reviewer, a
destruction that deploys anyway, credentials that expire before the job's timeout, a backend the
workflows do not log in to, drift that nobody hears of or that races a deploy.
"""

from __future__ import annotations

import importlib.util
import json
import re
import socket
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
import yaml

from components.monitoring_stack import publish_policy
from components.state_backend import secrets_provider
from tests.conftest import ROOT

pytestmark = pytest.mark.unit

WORKFLOWS = ROOT / ".github" / "workflows"
PREFLIGHT = ROOT / ".github" / "scripts" / "preflight.py"
DEPLOY_RUNNER_VARIABLES = {"DEV_RUNNER", "PROD_RUNNER"}
PR_TRIGGERS = {"pull_request", "pull_request_target", "workflow_run"}
STACKS = ("dev", "prod")


def workflow(name: str) -> dict[str, Any]:
    data = yaml.safe_load((WORKFLOWS / name).read_text())
    # PyYAML reads the key `on:` as the boolean True (YAML 1.1); GitHub reads it as "on".
    data["on"] = data.pop(True)
    return cast(dict[str, Any], data)


def all_workflows() -> dict[str, dict[str, Any]]:
    return {p.name: workflow(p.name) for p in sorted(WORKFLOWS.glob("*.yml"))}


def triggers(data: dict[str, Any]) -> set[str]:
    on = data["on"]
    return {on} if isinstance(on, str) else set(on)


def runner_choices(job: dict[str, Any]) -> Iterator[tuple[set[str], Any]]:
    """(repository variables, default labels) of each way the job's runs-on can resolve."""
    runs_on = job["runs-on"]
    entries: list[dict[str, Any]] = job.get("strategy", {}).get("matrix", {}).get("include", [{}])
    for entry in entries:
        text = str(runs_on)
        if "matrix.runner" in text:
            text = str(entry["runner"])
        variables = set(re.findall(r"vars\.(\w+)", text))
        default = re.search(r"'([^']+)'", text)
        yield variables, json.loads(default.group(1)) if default else text


def steps_using(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in job["steps"] if str(s.get("uses", "")).startswith(action + "@")]


def scripts(job: dict[str, Any]) -> str:
    return "\n".join(str(s.get("run", "")) for s in job["steps"])


def needs(job: dict[str, Any]) -> list[str]:
    wanted = job.get("needs", [])
    return [wanted] if isinstance(wanted, str) else list(wanted)


def ancestors(jobs: dict[str, Any], name: str) -> set[str]:
    found: set[str] = set()
    for parent in needs(jobs[name]):
        found |= {parent} | ancestors(jobs, parent)
    return found


def test_pull_request_code_never_runs_on_a_deploy_runner() -> None:
    deploy_defaults: list[Any] = []
    for job in workflow("deploy.yml")["jobs"].values():
        for variables, default in runner_choices(job):
            if variables & DEPLOY_RUNNER_VARIABLES:
                deploy_defaults.append(default)
    assert deploy_defaults, "deploy.yml names its runners by DEV_RUNNER / PROD_RUNNER"
    for name, data in all_workflows().items():
        if not triggers(data) & PR_TRIGGERS:
            continue
        for job_name, job in data["jobs"].items():
            for variables, default in runner_choices(job):
                assert not variables & DEPLOY_RUNNER_VARIABLES, f"{name} {job_name} runs on {variables}"
                assert default not in deploy_defaults, f"{name} {job_name} defaults to a deploy runner: {default}"


def test_fork_pull_requests_get_an_offline_plan_and_only_trusted_ones_reach_the_cloud() -> None:
    jobs = workflow("preview.yml")["jobs"]
    offline = [j for j in jobs.values() if "mlops plan" in scripts(j)]
    cloud = [j for j in jobs.values() if "pulumi preview" in scripts(j)]
    assert offline and cloud
    for job in offline:
        # No condition, no OIDC token, no secret: it works the same for a fork.
        assert "if" not in job and "id-token" not in job.get("permissions", {})
        assert "secrets." not in yaml.safe_dump(job) and not steps_using(job, "aws-actions/configure-aws-credentials")
        assert steps_using(job, "actions/upload-artifact"), "the plan is handed to preview-comment.yml"
    for job in cloud:
        assert job["if"] == "github.event.pull_request.head.repo.full_name == github.repository"
    comment = workflow("preview-comment.yml")
    assert comment["on"]["workflow_run"]["workflows"] == [workflow("preview.yml")["name"]]
    (commenter,) = comment["jobs"].values()
    assert not steps_using(commenter, "actions/checkout"), "the commenter must not run the PR's code"
    assert "gh pr comment" in scripts(commenter) and "headRefOid" in scripts(commenter)


def test_a_failed_cloud_preview_is_still_commented() -> None:
    (cloud,) = [j for j in workflow("preview.yml")["jobs"].values() if "pulumi preview" in scripts(j)]
    for step in steps_using(cloud, "pulumi/actions"):
        assert "command" not in step["with"], "the action comments only when the command succeeds"
    commenting = [s for s in cloud["steps"] if "gh pr comment" in str(s.get("run", ""))]
    assert commenting and str(commenting[0]["if"]).startswith("always()")
    assert "--refresh" in scripts(cloud)


def test_required_checks_report_on_every_pull_request() -> None:
    for name in ("preview.yml", "plan-diff.yml", "ci.yml"):
        on = workflow(name)["on"]["pull_request"] or {}
        assert "paths-ignore" not in on and "paths" not in on, name


def required_checks() -> list[str]:
    """The checks the README's branch rule on `main` requires."""
    readme = (ROOT / "README.md").read_text()
    rule = readme.split("**Repository settings**", 1)[1].split("Tag ruleset", 1)[0]
    # The list ends where its explanation (in parentheses) begins.
    return re.findall(r"`([^`]+)`", rule.split("required checks", 1)[1].split("(", 1)[0])


def test_the_required_preview_checks_report_on_fork_pull_requests() -> None:
    jobs = workflow("preview.yml")["jobs"]
    names = {str(job.get("name", key)): key for key, job in jobs.items()}
    checked = [c for c in required_checks() if "preview" in c]
    assert checked, "the README requires the cloud preview's check"
    for check in checked:
        # A job-level `if:` on a matrix job: when it is false, GitHub reports one check named with
        # the unexpanded `${{ matrix.stack }}` (actions/runner#952), so its expanded names never report.
        for job in jobs.values():
            if "if" in job and "strategy" in job:
                entries = job["strategy"]["matrix"].get("include") or [
                    {"stack": v} for v in job["strategy"]["matrix"].get("stack", [])
                ]
                expanded = {str(job["name"]).replace("${{ matrix.stack }}", e["stack"]) for e in entries}
                assert check not in expanded, f"{check} is never reported when {job['name']} is skipped"
        if check.startswith("offline plan"):
            continue
        assert check in names, f"no job reports {check!r}"
        aggregate = jobs[names[check]]
        assert aggregate["if"] == "always()" and needs(aggregate) == ["cloud"], check
        (step,) = aggregate["steps"]
        for result, code in (("success", 0), ("skipped", 0), ("failure", 1), ("cancelled", 1)):
            ran = subprocess.run(
                ["bash", "-euo", "pipefail", "-c", step["run"]],
                env={"RESULT": result, "PATH": "/usr/bin:/bin"},
                capture_output=True,
                text=True,
                check=False,
            )
            assert step["env"]["RESULT"] == "${{ needs.cloud.result }}"
            assert ran.returncode == code, (result, ran.stdout)


def test_the_approved_plan_outlives_the_longest_approval() -> None:
    # A deployment's required reviewers can take up to 30 days (GitHub docs, "Managing environments
    # for deployment": "jobs ... will automatically fail after 30 days" waiting); the plan must still be there.
    jobs = workflow("deploy.yml")["jobs"]
    (upload,) = steps_using(jobs["prod-preview"], "actions/upload-artifact")
    assert 30 <= int(upload["with"]["retention-days"]) <= 90


def test_prod_reviewers_approve_the_previewed_plan_and_only_it_is_applied() -> None:
    jobs = workflow("deploy.yml")["jobs"]
    (gated,) = [name for name, job in jobs.items() if job.get("environment") == "prod"]
    gated_job = jobs[gated]
    previews = [name for name in ancestors(jobs, gated) if "--save-plan" in scripts(jobs[name])]
    assert previews, "a job before the approval saves the update plan"
    (preview,) = previews
    assert "environment" not in jobs[preview] or jobs[preview]["environment"] != "prod"
    assert "GITHUB_STEP_SUMMARY" in scripts(jobs[preview]) and "gh pr comment" in scripts(jobs[preview])
    saved = re.search(r"--save-plan (\S+)", scripts(jobs[preview]))
    applied = re.search(r"pulumi up .*--plan (\S+)", scripts(gated_job).replace("\\\n", " "))
    assert saved and applied and saved.group(1) == applied.group(1)
    uploaded = steps_using(jobs[preview], "actions/upload-artifact")[0]["with"]["name"]
    assert steps_using(gated_job, "actions/download-artifact")[0]["with"]["name"] == uploaded
    assert "pulumi preview" not in scripts(gated_job), "no second, unreviewed preview"


def test_only_main_and_signed_tags_on_main_deploy() -> None:
    data = workflow("deploy.yml")
    jobs = data["jobs"]
    gate = jobs["gate"]
    for name in jobs:
        if name != "gate":
            assert "gate" in ancestors(jobs, name), name
    script = scripts(gate)
    assert "workflow_dispatch:refs/heads/main" in script and "push:refs/heads/main" in script
    assert ".verification.verified" in script and "merge-base --is-ancestor" in script
    assert re.search(r"\*\) .*exit 1", script), "any other ref stops"


def test_a_destruction_blocks_the_deploy_unless_allowed_for_that_change() -> None:
    jobs = workflow("deploy.yml")["jobs"]
    gate = scripts(jobs["gate"])
    assert "components.plan.cli plan --stack" in gate and "mlops diff" in gate and "exit 3" in gate
    # Each destroying change is checked against its own first parent, and needs its own PR's label.
    assert 'git rev-list --first-parent --reverse "$base..$GITHUB_SHA"' in gate
    assert 'destroys "$(git rev-parse "$commit^1")" "$commit"' in gate and "allow-destruction" in gate
    # Every commit is planned in its own environment (tests/stack/test_deploy_gate.py runs it).
    assert "uv sync --locked" in gate and "../.venv" not in gate
    assert "nothing to compare" not in yaml.safe_dump(workflow("plan-diff.yml"))
    for name, job in jobs.items():
        if "pulumi up" in scripts(job):
            assert "gate" in ancestors(jobs, name), f"{name} deploys without the destruction check"
    diff = workflow("plan-diff.yml")
    assert {"labeled", "unlabeled"} <= set(diff["on"]["pull_request"]["types"])
    assert "allow-destruction" in yaml.safe_dump(diff)


def test_the_pr_destruction_check_fails_closed_when_the_base_cannot_be_planned(tmp_path: Path) -> None:
    (job,) = workflow("plan-diff.yml")["jobs"].values()
    (base,) = [s for s in job["steps"] if "components.plan.cli plan" in str(s.get("run", ""))]
    assert str(base["run"]).startswith("cd base") and "uv sync --locked" in base["run"]
    assert "../.venv" not in base["run"], "the base's own environment, not this branch's"
    (compare,) = [s for s in job["steps"] if "--compare" in str(s.get("run", ""))]
    for allowed, code in (("false", 3), ("true", 0)):
        # No build/base/<stack>/plan.json: the base step found its plan failed.
        ran = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", compare["run"]],
            cwd=tmp_path,
            env={"STACK": "dev", "ALLOWED": allowed, "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            check=False,
        )
        assert ran.returncode == code, (allowed, ran.stdout, ran.stderr)


def test_credentials_outlive_every_job_that_uses_them() -> None:
    checked = 0
    for name, data in all_workflows().items():
        for job_name, job in data["jobs"].items():
            for step in steps_using(job, "aws-actions/configure-aws-credentials"):
                seconds = int(step["with"]["role-duration-seconds"])
                assert seconds >= job["timeout-minutes"] * 60 + 300, f"{name} {job_name}"
                preflight = re.search(r"--timeout-minutes (\d+) --credentials-seconds (\d+)", scripts(job))
                assert preflight, f"{name} {job_name} checks its runner before it starts"
                assert (int(preflight.group(1)), int(preflight.group(2))) == (job["timeout-minutes"], seconds)
                checked += 1
    assert checked >= 5


def test_every_pulumi_command_uses_the_one_backend_and_the_stack_files_secrets_provider() -> None:
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    sdk = next(p["version"] for p in lock["package"] if p["name"] == "pulumi")
    logins = 0
    for name, data in all_workflows().items():
        for job_name, job in data["jobs"].items():
            for step in steps_using(job, "pulumi/actions"):
                assert step["with"] == {"pulumi-version": sdk}, f"{name} {job_name}: install only, the SDK's CLI"
            if "pulumi " in scripts(job) and "pulumi/actions" in yaml.safe_dump(job):
                login = [s for s in job["steps"] if "pulumi login" in str(s.get("run", ""))]
                assert login, f"{name} {job_name} logs in"
                assert login[0]["env"]["PULUMI_BACKEND_URL"] == "${{ vars.PULUMI_BACKEND_URL }}"
                assert '${PULUMI_BACKEND_URL:+"$PULUMI_BACKEND_URL"}' in login[0]["run"]
                assert "--secrets-provider" not in scripts(job), "the stack file names it"
                logins += 1
    assert logins >= 5
    for stack in STACKS:
        data = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())
        assert data["secretsprovider"] == secrets_provider(stack, data["config"]["aws:region"])


def test_drift_shares_each_stacks_group_with_its_deploy_and_tells_the_team() -> None:
    deploy_groups = {
        job["concurrency"]["group"] for job in workflow("deploy.yml")["jobs"].values() if "pulumi up" in scripts(job)
    }
    drift = workflow("drift.yml")["jobs"]
    check = drift["drift"]
    for entry in check["strategy"]["matrix"]["include"]:
        group = check["concurrency"]["group"].replace("${{ matrix.stack }}", entry["stack"])
        assert group in deploy_groups, entry["stack"]
    assert "aws sns publish" in scripts(check) and "alertTopicArn" in scripts(check)
    reports = [j for j in drift.values() if "gh issue" in scripts(j)]
    assert reports and reports[0]["permissions"] == {"issues": "write"}
    assert "failure" in reports[0]["if"] and "gh issue comment" in scripts(reports[0])


def test_docs_say_what_the_workflows_do() -> None:
    readme = (ROOT / "README.md").read_text()
    delivery = readme.split("### Delivery", 1)[1].split("\n## ", 1)[0]
    for name in sorted(p.name for p in WORKFLOWS.glob("*.yml")):
        assert f"`{name}`" in delivery, name
    for word in ("allow-destruction", "PULUMI_BACKEND_URL", "PROD_PREVIEW_RUNNER", "role-duration-seconds"):
        assert word in delivery, word
    assert "advisory (policies/config/dev.json)" not in (ROOT / "Pulumi.dev.yaml").read_text()


def test_docs_say_where_a_merge_deploys_and_what_each_environment_and_role_needs() -> None:
    readme = (ROOT / "README.md").read_text()
    jobs = workflow("deploy.yml")["jobs"]
    # A push to main deploys dev only; prod comes from a signed tag or a manual run.
    (push_main,) = [line for line in scripts(jobs["gate"]).splitlines() if "push:refs/heads/main)" in line]
    assert "stack=dev" in push_main and "prod" not in push_main
    promote = (WORKFLOWS / "promote.yml").read_text()
    for text in (readme, promote):
        assert "dev, then prod" not in text
    assert "signed" in promote and "manual" in promote
    # The gate assumes no role: the README must not give it one.
    assert not steps_using(jobs["gate"], "aws-actions/configure-aws-credentials")
    roles = readme.split("**Roles and backend.**", 1)[1].split("\n\n", 1)[0]
    assert "prod gate" not in roles and "the gate assumes no role" in roles
    # Drift publishes to a topic encrypted with its own key: its role needs that key too.
    assert "aws sns publish" in scripts(workflow("drift.yml")["jobs"]["drift"])
    alertmanager = json.loads(publish_policy("arn:topic", "arn:key"))
    (key,) = [st for st in alertmanager["Statement"] if st["Resource"] == "arn:key"]
    for action in key["Action"]:
        assert action in roles, action
    settings = readme.split("**Repository settings**", 1)[1].split("\n\n", 1)[0]
    environments = {
        str(job["environment"])
        for data in all_workflows().values()
        for job in data["jobs"].values()
        if "environment" in job
    }
    for environment in sorted(environments - {"prod"}):
        if environment.startswith("preview-"):
            continue
        # dev's and promote's jobs run only from main (push, schedule, dispatch): so must their secrets.
        assert f"`{environment}`" in settings.split("deployment branches `main` only", 1)[0], environment
    assert "PULUMI_ACCESS_TOKEN" in settings and "Read permission" in settings
    assert ".github/workflows/deploy.yml@refs/heads/main" in settings and "runner group" in settings


def run_preflight(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(PREFLIGHT), *args], capture_output=True, text=True, timeout=60, check=False
    )


def test_preflight_fails_on_a_missing_tool_and_short_credentials() -> None:
    assert run_preflight("--tools", "git").returncode == 0
    missing = run_preflight("--tools", "git,no-such-tool-35")
    assert missing.returncode == 1 and "`no-such-tool-35` is not on PATH" in missing.stdout
    short = run_preflight("--timeout-minutes", "120", "--credentials-seconds", "3600")
    assert short.returncode == 1 and "at least 7500" in short.stdout
    assert run_preflight("--timeout-minutes", "120", "--credentials-seconds", "7500").returncode == 0


def test_preflight_reaches_a_listening_endpoint_and_reports_a_closed_one() -> None:
    spec = importlib.util.spec_from_file_location("preflight", PREFLIGHT)
    assert spec is not None and spec.loader is not None
    preflight = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(preflight)
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        assert preflight.endpoint_problem(f"https://127.0.0.1:{port}", port=port) is None
    problem = preflight.endpoint_problem(f"https://127.0.0.1:{port}", port=port, timeout=2)
    assert problem is not None and "unreachable from this runner" in problem


def test_a_failed_promotion_fails_the_scheduled_run(tmp_path: Path) -> None:
    """The Pin step run as GitHub runs a step without ``shell:`` (``bash -e {0}``), with an ``uv``
    whose ``mlops promote`` exits 2 (a 403, a deleted version): the step fails, so the run is red
    and the scheduled workflow's failure notifies, instead of tee's 0 hiding it."""
    [pin] = [s for s in workflow("promote.yml")["jobs"]["promote"]["steps"] if s.get("id") == "pin"]
    assert "shell" not in pin
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake_uv = bin_dir / "uv"
    fake_uv.write_text(
        "#!/bin/sh\necho 'Pulumi.prod.yaml: fraud-detector@champion: the registry answered 403' >&2\nexit 2\n"
    )
    fake_uv.chmod(0o755)
    script = tmp_path / "pin.sh"
    script.write_text(pin["run"])
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "GITHUB_OUTPUT": str(tmp_path / "output")}
    result = subprocess.run(
        ["bash", "-e", str(script)], check=False, cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "403" in result.stderr

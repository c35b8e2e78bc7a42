"""deploy.yml's destruction check, run as the runner runs it: bash, a real clone, real plans.

A push that renames dev's `datasets` bucket (no alias: bucket and key deleted) stops with exit 3;
the same push is deployed when a PR merged in the range carries the label `allow-destruction`.
`gh` is the only stand-in: it answers the last deployed commit (`gh run list`) and the labels of
a commit's PRs, as GitHub's API would.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT

pytestmark = pytest.mark.stack


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.email=ci@example.com", "-c", "user.name=ci", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def gate_step() -> str:
    gate = yaml.safe_load((ROOT / ".github" / "workflows" / "deploy.yml").read_text())["jobs"]["gate"]
    (step,) = [s for s in gate["steps"] if "exit 3" in str(s.get("run", ""))]
    return str(step["run"])


def test_a_push_that_destroys_is_not_deployed_unless_its_pr_allows_it(tmp_path: Path) -> None:
    clone = tmp_path / "repo"
    # The working tree as it is (tests run before a commit too), committed as the base of the push.
    shutil.copytree(ROOT, clone, ignore=shutil.ignore_patterns(".git", ".venv*", "build", "__pycache__"))
    (clone / ".venv").symlink_to(ROOT / ".venv")
    git(clone, "init", "-q", "-b", "main")
    git(clone, "add", "-A")
    git(clone, "commit", "-q", "-m", "base")
    before = git(clone, "rev-parse", "HEAD")
    stack_file = clone / "Pulumi.dev.yaml"
    stack_file.write_text(stack_file.read_text().replace("- name: datasets\n", "- name: datasets2\n"))
    git(clone, "commit", "-q", "-am", "rename the datasets bucket")
    # A later push whose own range destroys nothing: the gate must still see the rename above,
    # because the last successful deploy is the base.
    (clone / "NOTES.md").write_text("docs only\n")
    git(clone, "add", "NOTES.md")
    git(clone, "commit", "-q", "-m", "docs")
    push_before = git(clone, "rev-parse", "HEAD^")
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "gh").write_text('#!/bin/sh\nif [ "$1" = run ]; then echo "$FAKE_DEPLOYED"; else echo "$FAKE_LABELS"; fi\n')
    (fake / "gh").chmod(0o755)
    script = tmp_path / "gate.sh"
    script.write_text(gate_step())

    def gate(labels: str) -> subprocess.CompletedProcess[str]:
        subprocess.run(["git", "worktree", "remove", "--force", "base"], cwd=clone, capture_output=True, check=False)
        shutil.rmtree(clone / "build", ignore_errors=True)
        env = {
            **os.environ,
            "PATH": f"{fake}:{os.environ['PATH']}",
            "STACK": "dev",
            "BEFORE": push_before,
            "FAKE_DEPLOYED": before,
            "GITHUB_SHA": git(clone, "rev-parse", "HEAD"),
            "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
            "GITHUB_REPOSITORY": "example/mlops-platform",
            "FAKE_LABELS": labels,
        }
        return subprocess.run(
            ["bash", "-euo", "pipefail", str(script)], cwd=clone, env=env, capture_output=True, text=True, check=False
        )

    blocked = gate("")
    assert blocked.returncode == 3, blocked.stdout + blocked.stderr
    assert "bucket datasets-bucket: removed" in blocked.stdout and "not deployed" in blocked.stdout
    allowed = gate("needs-review,allow-destruction")
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    assert "allowed by the PR label allow-destruction" in allowed.stdout
    assert "DESTROYS 2 stateful" in (tmp_path / "summary.md").read_text()

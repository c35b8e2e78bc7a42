"""deploy.yml's destruction check, run as the runner runs it: bash, a real clone, real plans.

A push that renames dev's `datasets` bucket (no alias: bucket and key deleted) stops with exit 3;
it is deployed only when the PR of the commit that renames carries the label `allow-destruction`
(a label on another PR of the range allows nothing). A base commit whose plan fails stops the
deploy too (fail closed), unless every change in the range is labelled. Each commit is planned in
its own worktree and environment (`uv sync --locked` there). `gh` is the only stand-in: it answers
the last deployed commit (`gh run list`) and the labels of a commit's PRs, as GitHub's API would.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
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


def fake_gh(tmp_path: Path) -> tuple[Path, Path]:
    """A `gh` on PATH: `gh run list` answers $FAKE_DEPLOYED, `gh api repos/R/commits/<sha>/pulls`
    the labels in $FAKE_LABELS/<sha>. Returns its directory and the labels' directory."""
    fake = tmp_path / "bin"
    fake.mkdir()
    labels_dir = tmp_path / "labels"
    labels_dir.mkdir()
    (fake / "gh").write_text(
        '#!/bin/sh\nif [ "$1" = run ]; then echo "$FAKE_DEPLOYED"; exit 0; fi\n'
        'sha=$(echo "$2" | cut -d/ -f5)\ncat "$FAKE_LABELS/$sha" 2>/dev/null || true\n'
    )
    (fake / "gh").chmod(0o755)
    return fake, labels_dir


def test_a_push_that_destroys_is_not_deployed_unless_the_destroying_pr_allows_it(tmp_path: Path) -> None:
    clone = tmp_path / "repo"
    # The working tree as it is (tests run before a commit too), committed as the base of the push.
    shutil.copytree(ROOT, clone, ignore=shutil.ignore_patterns(".git", ".venv*", "build", "__pycache__"))
    git(clone, "init", "-q", "-b", "main")
    git(clone, "add", "-A")
    git(clone, "commit", "-q", "-m", "base")
    before = git(clone, "rev-parse", "HEAD")
    stack_file = clone / "Pulumi.dev.yaml"
    stack_file.write_text(stack_file.read_text().replace("- name: datasets\n", "- name: datasets2\n"))
    git(clone, "commit", "-q", "-am", "rename the datasets bucket")
    renamed = git(clone, "rev-parse", "HEAD")
    # A deployed commit off main whose own plan fails: its stack file does not parse.
    git(clone, "checkout", "-q", "-b", "broken")
    stack_file.write_text("config: [\n")
    git(clone, "commit", "-q", "-am", "a stack file that does not parse")
    broken = git(clone, "rev-parse", "HEAD")
    git(clone, "checkout", "-q", "main")
    # A later push whose own range destroys nothing: the gate must still see the rename above,
    # because the last successful deploy is the base.
    (clone / "NOTES.md").write_text("docs only\n")
    git(clone, "add", "NOTES.md")
    git(clone, "commit", "-q", "-m", "docs")
    docs = git(clone, "rev-parse", "HEAD")
    push_before = renamed
    # The gate job's `make setup` of the deployed commit (only its `mlops diff` runs from it), made
    # after the commits so that no commit carries it; every planned commit gets an environment of its own.
    (clone / ".venv").symlink_to(Path(sys.prefix))
    fake, labels_dir = fake_gh(tmp_path)
    script = tmp_path / "gate.sh"
    script.write_text(gate_step())
    trees = tmp_path / "trees"
    trees.mkdir()
    env_out = {k: v for k, v in os.environ.items() if k != "UV_COMPILE_BYTECODE"}

    def gate(deployed: str, labelled: dict[str, str]) -> subprocess.CompletedProcess[str]:
        subprocess.run(["git", "worktree", "prune"], cwd=clone, capture_output=True, check=False)
        for old in labels_dir.iterdir():
            old.unlink()
        for commit, labels in labelled.items():
            (labels_dir / commit).write_text(labels + "\n")
        env = {
            **env_out,
            "PATH": f"{fake}:{os.environ['PATH']}",
            "TMPDIR": str(trees),
            "STACK": "dev",
            "BEFORE": push_before,
            "FAKE_DEPLOYED": deployed,
            "FAKE_LABELS": str(labels_dir),
            "GITHUB_SHA": docs,
            "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
            "GITHUB_REPOSITORY": "example/mlops-platform",
        }
        return subprocess.run(
            ["bash", "-euo", "pipefail", str(script)], cwd=clone, env=env, capture_output=True, text=True, check=False
        )

    blocked = gate(before, {})
    assert blocked.returncode == 3, blocked.stdout + blocked.stderr
    assert "bucket datasets-bucket: removed" in blocked.stdout and "not deployed" in blocked.stdout
    # The base was planned in its own checkout, with its own environment.
    (own,) = trees.glob(f"*/{before}/.venv")
    assert own.is_dir() and not own.is_symlink() and (own / "bin" / "python").exists()
    # A label on the PR of the docs commit does not allow the rename made by another PR.
    elsewhere = gate(before, {docs: "needs-review,allow-destruction"})
    assert elsewhere.returncode == 3, elsewhere.stdout + elsewhere.stderr
    assert f"in {renamed} without the label" in blocked.stdout, blocked.stdout
    allowed = gate(before, {renamed: "needs-review,allow-destruction"})
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    assert f"{renamed} destroys; allowed by its PR's label allow-destruction" in allowed.stdout
    assert "DESTROYS 2 stateful" in (tmp_path / "summary.md").read_text()
    # The deployed commit's plan fails: what the push destroys is unknown, so it stops (fail closed).
    unknown = gate(broken, {})
    assert unknown.returncode == 3, unknown.stdout + unknown.stderr
    assert "treated as exit 3" in unknown.stdout and "not deployed" in unknown.stdout
    assert gate(broken, {docs: "allow-destruction"}).returncode == 0


def test_a_deploy_that_would_publish_a_canary_with_a_new_template_is_refused(tmp_path: Path) -> None:
    """Two reviewed commits, one pinning a new model directory and one publishing, are each safe;
    deployed together they publish a Rollout with a new template, which scales the old template's
    stable ReplicaSet up beside the canary (README, "Canary delivery"). The gate diffs what the
    deploy applies, since the last deployed commit: exit 2, whatever the labels; deployed one at a
    time, each passes."""
    clone = tmp_path / "repo"
    shutil.copytree(ROOT, clone, ignore=shutil.ignore_patterns(".git", ".venv*", "build", "__pycache__"))
    stack_file = clone / "Pulumi.dev.yaml"
    text = stack_file.read_text()
    canaried = "        replicas: 1\n        canary: true\n        modelVersion: v1\n"
    assert text.count("        replicas: 1\n") == 1
    stack_file.write_text(text.replace("        replicas: 1\n", canaried))
    git(clone, "init", "-q", "-b", "main")
    git(clone, "add", "-A")
    git(clone, "commit", "-q", "-m", "base: a canaried endpoint, unpublished")
    base = git(clone, "rev-parse", "HEAD")
    stack_file.write_text(stack_file.read_text().replace("modelVersion: v1\n", "modelVersion: v2\n"))
    git(clone, "commit", "-q", "-am", "pin v2")
    pinned = git(clone, "rev-parse", "HEAD")
    stack_file.write_text(stack_file.read_text().replace("        published: false\n", "        published: true\n", 1))
    git(clone, "commit", "-q", "-am", "publish")
    published = git(clone, "rev-parse", "HEAD")
    (clone / ".venv").symlink_to(Path(sys.prefix))
    fake, labels_dir = fake_gh(tmp_path)
    script = tmp_path / "gate.sh"
    script.write_text(gate_step())
    trees = tmp_path / "trees"
    trees.mkdir()
    env_out = {k: v for k, v in os.environ.items() if k != "UV_COMPILE_BYTECODE"}

    def gate(deployed: str, labelled: dict[str, str]) -> subprocess.CompletedProcess[str]:
        subprocess.run(["git", "worktree", "prune"], cwd=clone, capture_output=True, check=False)
        for commit, labels in labelled.items():
            (labels_dir / commit).write_text(labels + "\n")
        env = {
            **env_out,
            "PATH": f"{fake}:{os.environ['PATH']}",
            "TMPDIR": str(trees),
            "STACK": "dev",
            "BEFORE": deployed,
            "FAKE_DEPLOYED": deployed,
            "FAKE_LABELS": str(labels_dir),
            "GITHUB_SHA": published,
            "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
            "GITHUB_REPOSITORY": "example/mlops-platform",
        }
        return subprocess.run(
            ["bash", "-euo", "pipefail", str(script)], cwd=clone, env=env, capture_output=True, text=True, check=False
        )

    together = gate(base, {pinned: "allow-destruction", published: "allow-destruction"})
    assert together.returncode == 2, together.stdout + together.stderr
    assert "Rollout serving/llm-small publishes and changes its pod template in one change" in together.stderr
    assert "mlops diff refuses the change" in together.stdout
    one_at_a_time = gate(pinned, {})
    assert one_at_a_time.returncode == 0, one_at_a_time.stdout + one_at_a_time.stderr

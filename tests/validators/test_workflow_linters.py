"""actionlint and zizmor (default and auditor personas) on .github/workflows/: no finding.

Both run from their own environment (``.venv-ghlint``, made by ``make test``). A finding that is
accepted on purpose carries a ``# zizmor: ignore[...]`` comment with its reason on the line.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.validators

BIN = ROOT / ".venv-ghlint" / "bin"
WORKFLOWS = ROOT / ".github" / "workflows"


def run(tool: str, *args: str) -> subprocess.CompletedProcess[str]:
    assert (BIN / tool).exists(), f"{tool} is missing: run `make test` (it creates .venv-ghlint)"
    return subprocess.run([str(BIN / tool), *args], capture_output=True, text=True, cwd=ROOT, timeout=120, check=False)


def test_actionlint_finds_nothing() -> None:
    result = run("actionlint", *sorted(str(p) for p in WORKFLOWS.glob("*.yml")))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("persona", ["regular", "auditor"])
def test_zizmor_finds_nothing(persona: str) -> None:
    result = run("zizmor", "--offline", "--persona", persona, "--format", "plain", str(WORKFLOWS))
    assert result.returncode == 0 and "No findings to report" in result.stdout, result.stdout + result.stderr


def test_zizmor_sees_what_the_auditor_persona_adds(tmp_path: Path) -> None:
    # The auditor persona is what flags a deploy runner; a job on one, unexplained, must fail here.
    workflow = (WORKFLOWS / "deploy.yml").read_text().replace(" # zizmor: ignore[self-hosted-runner]", "")
    target = tmp_path / "deploy.yml"
    target.write_text(workflow)
    result = run("zizmor", "--offline", "--persona", "auditor", "--format", "plain", str(target))
    assert result.returncode != 0 and "self-hosted-runner" in result.stdout, result.stdout

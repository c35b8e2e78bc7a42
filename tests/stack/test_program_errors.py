"""A team program's errors name the user's ``FILE:LINE`` and the component instance, in one line
with exit status 2: at construction (the arguments are wrong) and inside an apply (another
stack's contract, known only when the program's own frame is long gone)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.stack.test_plan_command import mlops

pytestmark = pytest.mark.stack


def line_of(path: Path, text: str) -> int:
    [number] = [i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line]
    return number


def copy_program(source: str, tmp_path: Path) -> Path:
    team = tmp_path / "team"
    shutil.copytree(ROOT / source, team)
    return team


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("platform")
    result = mlops("plan", "--stack", "dev", "--program", "examples/gpu-platform", "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out / "plan.json"


def test_a_pool_the_platform_lacks_names_the_endpoints_line(platform: Path, tmp_path: Path) -> None:
    team = copy_program("examples/app-team", tmp_path)
    stack = team / "Pulumi.dev.yaml"
    stack.write_text(stack.read_text().replace("app-team:pool: gpu", "app-team:pool: gpu-spot"))
    result = mlops(
        "plan",
        "--stack",
        "dev",
        "--program",
        str(team),
        "--stack-outputs",
        str(platform),
        "--out",
        str(tmp_path / "out"),
    )
    main = team / "__main__.py"
    line = line_of(main, "scorer = ModelServingEndpoint(")
    assert (result.returncode, result.stderr) == (
        2,
        f"mlops plan: {main}:{line}: ModelServingEndpoint 'fraud-scorer': platform stack acme/gpu-platform/dev: "
        "has no GPU pool 'gpu-spot' (it has: gpu)\n",
    )


def test_a_contract_read_outside_a_component_names_its_own_line(platform: Path, tmp_path: Path) -> None:
    team = copy_program("examples/search-team", tmp_path)
    stack = team / "Pulumi.dev.yaml"
    stack.write_text(stack.read_text().replace("search-team:team: search", "search-team:team: payments"))
    result = mlops(
        "plan",
        "--stack",
        "dev",
        "--program",
        str(team),
        "--stack-outputs",
        str(platform),
        "--out",
        str(tmp_path / "out"),
    )
    main = team / "__main__.py"
    assert result.returncode == 2
    assert result.stderr.startswith(f"mlops plan: {main}:{line_of(main, 'platform.team(')}: platform stack ")
    assert "has no team 'payments' (it has: fraud, search)" in result.stderr and result.stderr.count("\n") == 1


def test_wrong_arguments_name_the_line_that_declared_the_instance(tmp_path: Path) -> None:
    """Declared from the team's own helper module: that module's line, not the component's."""
    team = copy_program("tests/programs/gpu-team", tmp_path)
    main = team / "__main__.py"
    text = main.read_text()
    start = text.index("ModelServingEndpoint(\n")
    end = text.index("\n)\n", start) + 3
    (team / "serving.py").write_text(
        "from components import ModelServingEndpoint\n\n\ndef endpoint(args, opts):\n"
        "    return ModelServingEndpoint('detector', {**args, 'gpus': 2}, opts)\n"
    )
    call = text[start:end].replace('ModelServingEndpoint(\n    "detector",', "serving.endpoint(", 1)
    main.write_text("import serving\n" + text[:start] + call + text[end:])
    result = mlops("plan", "--stack", "dev", "--program", str(team), "--out", str(tmp_path / "out"))
    assert (result.returncode, result.stderr) == (
        2,
        f"mlops plan: {team / 'serving.py'}:5: ModelServingEndpoint 'detector': gpus must be 1..1 "
        "(pool 'gpu' nodes have 1; got 2)\n",
    )


def test_an_error_of_the_programs_own_code_names_its_line(tmp_path: Path) -> None:
    program = tmp_path / "broken"
    program.mkdir()
    (program / "Pulumi.yaml").write_text("name: broken\nruntime: python\n")
    (program / "__main__.py").write_text("import pulumi\n\nsettings = {}\nsettings['pool']\n")
    result = mlops("plan", "--stack", "dev", "--program", str(program), "--out", str(tmp_path / "out"))
    assert (result.returncode, result.stderr) == (
        2,
        f"mlops plan: {program / '__main__.py'}:4: the program failed: KeyError: 'pool'\n",
    )

"""The planner refuses a pulumi or pulumi-policy it was not verified with (components/sdk_versions.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from components import sdk_versions
from tests.conftest import ROOT

pytestmark = pytest.mark.unit


def _requirements() -> dict[str, str]:
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    found = {}
    for requirement in dependencies:
        name = requirement.split(">", 1)[0].split("<", 1)[0].split("=", 1)[0]
        found[name] = requirement[len(name) :]
    return found


def _locked(name: str) -> str:
    packages = tomllib.loads((ROOT / "uv.lock").read_text())["package"]
    return next(p["version"] for p in packages if p["name"] == name)


def test_pyproject_allows_exactly_the_verified_range() -> None:
    requirements = _requirements()
    assert {name: requirements[name] for name in sdk_versions.VERIFIED} == {
        "pulumi": ">=3.260.0,<3.273",
        "pulumi-policy": ">=1.18.0,<1.22",
    }
    assert all(requirements[name] == sdk_versions.specifier(name) for name in sdk_versions.VERIFIED)


def test_the_lock_pins_the_highest_verified_minor_so_make_test_runs_the_top_of_the_range() -> None:
    # .ci/sdk-range runs the planner's tests at the bottom of the range.
    for name, (_lowest, first_unverified) in sdk_versions.VERIFIED.items():
        major, minor = sdk_versions.release(first_unverified)
        assert sdk_versions.release(_locked(name))[:2] == (major, minor - 1), name


@pytest.mark.parametrize(
    ("pulumi", "policy", "expected"),
    [
        ("3.260.0", "1.18.0", []),
        ("3.272.9", "1.21.0", []),
        ("3.272.0+local", "1.21.3", []),
        ("3.259.0", "1.21.0", ["pulumi 3.259.0 is installed"]),
        ("3.273.0rc1", "1.21.0", ["pulumi 3.273.0rc1 is installed"]),
        ("4.0.0", "1.17.0", ["pulumi 4.0.0 is installed", "pulumi-policy 1.17.0 is installed"]),
        ("3.265.0", None, ["pulumi-policy is not installed"]),
    ],
)
def test_problems_name_what_is_installed_and_what_was_verified(
    pulumi: str, policy: str | None, expected: list[str]
) -> None:
    def installed(name: str) -> str:
        version = {"pulumi": pulumi, "pulumi-policy": policy}[name]
        if version is None:
            raise sdk_versions.importlib.metadata.PackageNotFoundError(name)
        return version

    found = sdk_versions.problems(installed)
    assert [problem.split(",")[0] for problem in found] == expected
    for problem, name in zip(found, [e.split()[0] for e in expected], strict=True):
        assert f"verified with {name}{sdk_versions.specifier(name)}" in problem


@pytest.fixture
def old_pulumi(tmp_path: Path) -> dict[str, str]:
    """An environment whose metadata says pulumi 3.259.0: the release that plans every URN as
    ``urn:pulumi:stack::project::...`` (a dist-info ahead of site-packages on the path)."""
    info = tmp_path / "pulumi-3.259.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: pulumi\nVersion: 3.259.0\n")
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}


def test_mlops_refuses_an_unverified_pulumi_in_one_line_with_status_2(
    old_pulumi: dict[str, str], tmp_path: Path
) -> None:
    mlops = Path(sys.executable).parent / "mlops"
    result = subprocess.run(
        [str(mlops), "plan", "--stack", "dev", "--out", str(tmp_path / "out")],
        cwd=ROOT, env=old_pulumi, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert (result.returncode, result.stderr) == (
        2,
        "mlops: pulumi 3.259.0 is installed, but mlops was verified with pulumi>=3.260.0,<3.273; "
        "install a version in that range\n",
    )
    assert not (tmp_path / "out").exists()


def test_importing_the_planner_with_an_unverified_pulumi_fails_naming_the_range(old_pulumi: dict[str, str]) -> None:
    result = subprocess.run(
        [sys.executable, "-c", "import components.plan.cli"],
        cwd=ROOT, env=old_pulumi, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == (
        "ImportError: pulumi 3.259.0 is installed, but mlops was verified with pulumi>=3.260.0,<3.273; "
        "install a version in that range"
    )


def test_the_readme_states_the_verified_range() -> None:
    readme = (ROOT / "README.md").read_text()
    for name in sdk_versions.VERIFIED:
        assert f"`{name}{sdk_versions.specifier(name)}`" in readme, name

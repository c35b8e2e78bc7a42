"""The built wheel as a team installs it: one top-level package (``components``), a team program
with its own ``infra/`` and ``policies/`` packages plans clean, and the installed pack runs as
the CLI runs it.

The wheel goes into a fresh virtualenv; its dependencies come from this checkout's ``.venv``
site-packages (added as a plain path, so that directory's own ``.pth`` files, which would put
this checkout on ``sys.path``, are not read).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from google.protobuf import empty_pb2

from components.policies import POLICIES
from tests.conftest import ROOT
from tests.policy.test_protocol import start_pack
from tests.stack.test_docs import Snippet, of_kind, write_program

pytestmark = pytest.mark.stack


def _uv() -> list[str]:
    """The uv of this virtualenv (a dev dependency), else the one on PATH."""
    here = Path(sys.executable).parent / "uv"
    return [str(here if here.is_file() else shutil.which("uv") or "uv")]


def fresh_venv(venv: Path, requirement: str) -> Path:
    """A new virtualenv with ``requirement`` installed (no dependencies: they come from this
    checkout's site-packages, added as a plain path); returns it."""
    subprocess.run([*_uv(), "venv", "-q", "--python", sys.executable, str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([*_uv(), "pip", "install", "-q", "--no-deps", "--python", str(python), requirement], check=True)
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    (Path(site) / "zz_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """(the wheel, the virtualenv it is installed in)."""
    work = tmp_path_factory.mktemp("wheel")
    subprocess.run([*_uv(), "build", "--wheel", "--out-dir", str(work / "dist"), "-q"], cwd=ROOT, check=True)
    [wheel] = (work / "dist").glob("*.whl")
    yield wheel, fresh_venv(work / "venv", str(wheel))


def test_the_wheel_ships_one_top_level_package_and_the_pack(installed: tuple[Path, Path]) -> None:
    wheel, _ = installed
    names = zipfile.ZipFile(wheel).namelist()
    assert {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")} == {"components"}
    for shipped in ("PulumiPolicy.yaml", "__main__.py", "config/dev.json", "config/prod.json"):
        assert f"components/policies/plugin/{shipped}" in names
    # Generators write into a checkout: they stay in tools/, out of what teams install.
    assert [n for n in names if n.endswith(("/reference.py", "/readme.py", "/readme_rules.py"))] == []


def test_a_team_program_with_its_own_infra_and_policies_plans_from_the_wheel(
    installed: tuple[Path, Path], tmp_path: Path
) -> None:
    _, venv = installed
    shutil.copytree(ROOT / "tests/programs/team-folders", tmp_path / "team")
    result = subprocess.run(
        [str(venv / "bin/mlops"), "plan", "--stack", "dev", "--program", "team", "--out", "out"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": ""},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Policy violations: none" in result.stdout
    assert "mlops:index:ArtifactBucket  ranking-features" in result.stdout


def test_the_installed_pack_runs_as_the_cli_runs_it(installed: tuple[Path, Path]) -> None:
    _, venv = installed
    mlops = str(venv / "bin/mlops")
    pack = Path(subprocess.run([mlops, "policy-pack"], capture_output=True, text=True, check=True).stdout.strip())
    assert pack.is_relative_to(venv)
    config = subprocess.run([mlops, "policy-pack", "--config", "prod"], capture_output=True, text=True, check=True)
    assert Path(config.stdout.strip()) == pack / "config" / "prod.json"
    # Its PulumiPolicy.yaml names no virtualenv: the CLI runs the python on PATH, the team's venv.
    assert "virtualenv" not in (pack / "PulumiPolicy.yaml").read_text().split("runtime:")[1]
    plugin = start_pack(pack, python=str(venv / "bin/python"))
    served = next(plugin)
    try:
        info = served.stub.GetAnalyzerInfo(empty_pb2.Empty())
        assert [p.name for p in info.policies] == [p.name for p in POLICIES]
    finally:
        plugin.close()


@pytest.mark.parametrize("snippet", of_kind("program"), ids=lambda s: s.where)
def test_the_docs_programs_plan_from_the_wheel(installed: tuple[Path, Path], snippet: Snippet, tmp_path: Path) -> None:
    """A team writing from the docs alone, with the package installed as the README says."""
    _, venv = installed
    program, extra = write_program(snippet, tmp_path)
    result = subprocess.run(
        [str(venv / "bin/mlops"), "plan", "--stack", "dev", "--program", program.name, "--out", "out", *extra],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": ""},
        check=False,
    )
    assert result.returncode == 0, f"{snippet.where}: {result.stderr}"
    assert "Policy violations: none" in result.stdout


def test_a_git_url_pinned_to_a_tag_installs_with_uv(tmp_path: Path) -> None:
    """The README's ``mlops-platform @ git+URL@vVERSION``, with a clone of this checkout as the URL."""
    version = subprocess.run(
        [
            sys.executable,
            "-c",
            "import tomllib; print(tomllib.load(open('pyproject.toml', 'rb'))['project']['version'])",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    origin = tmp_path / "origin"
    subprocess.run(["git", "clone", "-q", "--no-hardlinks", str(ROOT), str(origin)], check=True)
    git = ["git", "-C", str(origin), "-c", "user.name=test", "-c", "user.email=test@localhost"]
    subprocess.run([*git, "tag", "-a", f"v{version}", "-m", "release"], check=True)
    venv = fresh_venv(tmp_path / "venv", f"mlops-platform @ git+file://{origin}@v{version}")
    code = "import components; print(components.__file__, components.PlatformStack.__module__, components.placement)"
    result = subprocess.run(
        [str(venv / "bin/python"), "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": ""},
        check=True,
    )
    where, module, _ = result.stdout.split(maxsplit=2)
    assert Path(where).is_relative_to(venv) and module == "components.platform_stack"

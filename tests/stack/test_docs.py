"""Docs that run: every fenced ``python`` and ``bash`` block in README.md and docs/*.md is checked.

A marker comment on the line before a block says what it is (the README's Development section
documents them):

- ``<!-- snippet: program NAME -->``: a complete Pulumi program; it is written to a directory
  of its own (``Pulumi.yaml`` named NAME, ``Pulumi.dev.yaml`` with ``aws:region``) and planned with
  ``mlops plan --stack dev``, which must exit 0 with no violation. ``stack-outputs=STACK`` (after
  NAME) answers its StackReferences with the plan of this repository's STACK (``dev``, ``prod``);
- ``<!-- snippet: fragment of NAME -->``: part of a complete program (a ``program`` snippet's
  NAME, or a directory such as ``examples/gpu-platform``) that must appear in it as written,
  whitespace and trailing commas aside; ``...`` stands for anything left out;
- ``<!-- snippet: python, not run: REASON -->``: Python that needs something absent here (an
  MLflow server); ruff checks it (syntax, imports, undefined names);
- ``<!-- snippet: registry NAME -->``: a data scientist's MLflow snippet that
  ``tests/validators/test_registry_live.py`` runs as written against a real MLflow server (here:
  ruff checks it);
- ``<!-- snippet: shell -->``: run with bash (``-e -o pipefail``) in a copy of the repository,
  with ``.venv/bin`` first on ``PATH``; it must exit 0;
- ``<!-- snippet: shell, not run: REASON -->``: a block that needs a cloud account, the Pulumi
  CLI or the network; ``bash -n`` parses it and every ``mlops`` command in it must parse.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from components.plan.cli import _parser, main
from tests.conftest import ROOT, _stack_plan

pytestmark = pytest.mark.stack

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
CHECKED = {"python": "python", "py": "python", "bash": "shell", "sh": "shell", "shell": "shell"}
"""Fence languages checked, and which kind of marker each needs."""
MARKER = re.compile(r"^<!-- snippet: (?P<spec>.+?) -->$")
KINDS = re.compile(
    r"^(?:program (?P<program>[a-z0-9-]+)(?: stack-outputs=(?P<platform>dev|prod))?"
    r"|fragment of (?P<fragment>[a-z0-9/-]+)"
    r"|registry (?P<registry>[a-z]+)"
    r"|(?P<language>python|shell)(?:, not run: (?P<reason>.+))?)$"
)
HOW_TO_MARK = (
    "put one of these on the line before it (README.md, Development: Docs that run): "
    "<!-- snippet: program NAME [stack-outputs=prod] -->, <!-- snippet: fragment of NAME -->, "
    "<!-- snippet: python, not run: REASON -->, <!-- snippet: registry NAME -->, <!-- snippet: shell -->, "
    "<!-- snippet: shell, not run: REASON -->"
)


@dataclass(frozen=True)
class Snippet:
    """One fenced block of a document and the marker before it."""

    path: Path
    line: int
    language: str
    marker: str | None
    text: str

    @property
    def where(self) -> str:
        shown = self.path.relative_to(ROOT) if self.path.is_relative_to(ROOT) else self.path
        return f"{shown}:{self.line}"

    def kind(self) -> re.Match[str] | None:
        return KINDS.match(self.marker) if self.marker is not None else None

    def get(self, group: str) -> str | None:
        """A part of the marker (``program``, ``platform``, ``fragment``, ``language``, ``reason``)."""
        kind = self.kind()
        return kind[group] if kind is not None else None


def snippets(path: Path) -> Iterator[Snippet]:
    """The fenced blocks of a Markdown file, in order."""
    lines = path.read_text().splitlines()
    index = 0
    while index < len(lines):
        fence = lines[index].strip()
        if not fence.startswith("```"):
            index += 1
            continue
        end = next(i for i in range(index + 1, len(lines)) if lines[i].strip() == "```")
        previous = next((lines[i].strip() for i in range(index - 1, -1, -1) if lines[i].strip()), "")
        marker = MARKER.match(previous)
        yield Snippet(
            path,
            index + 1,
            fence.removeprefix("```").strip(),
            marker["spec"] if marker else None,
            "\n".join(lines[index + 1 : end]) + "\n",
        )
        index = end + 1


ALL = [s for path in DOCS for s in snippets(path) if s.language in CHECKED]


def of_kind(group: str, value: str | None = None) -> list[Snippet]:
    """The snippets whose marker has ``group`` (equal to ``value`` when given)."""
    return [s for s in ALL if s.get(group) is not None and value in (None, s.get(group))]


def marker_problem(snippet: Snippet) -> str | None:
    """Why a checked block's marker is missing or wrong for its language (None when right)."""
    kind = snippet.kind()
    if kind is None:
        found = f"its marker {snippet.marker!r} is not one of them" if snippet.marker else "it has no marker"
        return f"{snippet.where}: a ```{snippet.language} block that no test checks ({found}): {HOW_TO_MARK}"
    wanted = CHECKED[snippet.language]
    is_python = kind["program"] or kind["fragment"] or kind["registry"] or kind["language"] == "python"
    if (wanted == "python") != bool(is_python):
        return f"{snippet.where}: a ```{snippet.language} block marked {snippet.marker!r}: {HOW_TO_MARK}"
    return None


def test_every_python_and_shell_block_in_the_docs_is_marked() -> None:
    assert ALL, "no snippet found"
    problems = [p for s in ALL if (p := marker_problem(s))]
    assert not problems, "\n".join(problems)


def test_program_names_are_unique_and_fragments_name_a_program() -> None:
    names = [s.get("program") for s in of_kind("program")]
    assert len(names) == len(set(names)), names
    for snippet in of_kind("fragment"):
        target = str(snippet.get("fragment"))
        assert target in names or (ROOT / target / "__main__.py").is_file(), (
            f"{snippet.where}: fragment of {target!r}, which is neither a program snippet nor a program directory"
        )


def _id(snippet: Snippet) -> str:
    return snippet.where


def write_program(snippet: Snippet, directory: Path) -> tuple[Path, list[str]]:
    """A ``program`` snippet as a program directory under ``directory`` (``Pulumi.yaml`` named for
    it, ``Pulumi.dev.yaml`` with ``aws:region``), and the ``mlops plan`` arguments answering its
    StackReferences (``platform.json`` beside it) when it reads a platform."""
    kind = snippet.kind()
    assert kind is not None and kind["program"], snippet.where
    program = directory / kind["program"]
    program.mkdir()
    (program / "Pulumi.yaml").write_text(f"name: {kind['program']}\nruntime: python\n")
    (program / "Pulumi.dev.yaml").write_text("config:\n  aws:region: us-east-1\n")
    (program / "__main__.py").write_text(snippet.text)
    if not kind["platform"]:
        return program, []
    platform = directory / "platform.json"
    platform.write_text(_stack_plan(kind["platform"])[1])
    return program, ["--stack-outputs", str(platform)]


@pytest.mark.parametrize("snippet", of_kind("program"), ids=_id)
def test_a_program_snippet_plans_clean(snippet: Snippet, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    program, extra = write_program(snippet, tmp_path)
    out = tmp_path / "out"
    status = main(["plan", "--stack", "dev", "--program", str(program), "--out", str(out), *extra])
    printed = capsys.readouterr()
    assert status == 0, f"{snippet.where}: mlops plan exited {status}\n{printed.err}{printed.out}"
    assert json.loads((out / "plan.json").read_text())["violations"] == [], printed.out


def _squeezed(code: str) -> str:
    """Code without whitespace and trailing commas, so layout does not matter."""
    return re.sub(r",(?=[)\]}])", "", re.sub(r"\s+", "", code))


def _program_text(name: str) -> str:
    programs = {s.get("program"): s.text for s in of_kind("program")}
    return programs[name] if name in programs else (ROOT / name / "__main__.py").read_text()


@pytest.mark.parametrize("snippet", of_kind("fragment"), ids=_id)
def test_a_fragment_appears_in_its_program(snippet: Snippet) -> None:
    kind = snippet.kind()
    assert kind is not None
    program = _squeezed(_program_text(kind["fragment"]))
    position = 0
    for piece in (_squeezed(p).strip(",") for p in snippet.text.split("...")):
        found = program.find(piece, position)
        assert found >= 0, f"{snippet.where}: not in {kind['fragment']} as written: {piece!r}"
        position = found + len(piece)


@pytest.mark.parametrize("snippet", [*of_kind("language", "python"), *of_kind("registry")], ids=_id)
def test_python_that_is_not_run_passes_ruff(snippet: Snippet) -> None:
    ruff = Path(sys.executable).parent / "ruff"
    result = subprocess.run(
        [str(ruff), "check", "--no-cache", "--isolated", "--select", "E9,F", "--stdin-filename", "snippet.py", "-"],
        input=snippet.text,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"{snippet.where}:\n{result.stdout}"


def _shell(reason: bool) -> list[Snippet]:
    return [s for s in of_kind("language", "shell") if (s.get("reason") is not None) == reason]


def mlops_commands(script: str) -> list[list[str]]:
    """The arguments of every ``mlops`` command in a shell script (continuations joined)."""
    joined = script.replace("\\\n", " ")
    commands: list[list[str]] = []
    for line in joined.splitlines():
        code = line.split(" #", 1)[0]
        for match in re.finditer(r"(?:^|[\s($;&|])mlops\s+([^)$;&|]*)", code):
            commands.append(shlex.split(match[1]))
    return commands


@pytest.mark.parametrize("snippet", _shell(reason=True), ids=_id)
def test_a_shell_block_that_is_not_run_parses(snippet: Snippet) -> None:
    parsed = subprocess.run(["bash", "-n"], input=snippet.text, capture_output=True, text=True, check=False)
    assert parsed.returncode == 0, f"{snippet.where}: {parsed.stderr}"
    for arguments in mlops_commands(snippet.text):
        try:
            _parser().parse_args(arguments)
        except SystemExit:
            pytest.fail(f"{snippet.where}: mlops {shlex.join(arguments)} does not parse")


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the repository's tracked files (no build/, no .venv), as a fresh clone has them."""
    copy = tmp_path_factory.mktemp("checkout") / "mlops-platform"
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True, check=False)
    files = [f for f in listed.stdout.split("\0") if f] if listed.returncode == 0 else None
    if files is None:  # not a git checkout: everything but what set-up and plans write
        shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(".venv*", "build", ".git", "__pycache__"))
        return copy
    for name in files:
        if (ROOT / name).is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, copy / name)
    return copy


@pytest.mark.parametrize("snippet", _shell(reason=False), ids=_id)
def test_a_shell_block_runs(snippet: Snippet, checkout: Path) -> None:
    env = {**os.environ, "PATH": f"{ROOT / '.venv' / 'bin'}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-s"],
        input=snippet.text,
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"{snippet.where}: exit {result.returncode}\n{result.stderr}\n{result.stdout}"


def prose(path: Path) -> str:
    """A document without its fenced blocks and its generated sections."""
    text = re.sub(r"^```.*?^```", "", path.read_text(), flags=re.MULTILINE | re.DOTALL)
    return re.sub(r"<!-- (\w+):start -->.*?<!-- \1:end -->", "", text, flags=re.DOTALL)


COUNT = re.compile(
    r"\b\d[\d,]*[- ](?:rules?|polic(?:y|ies)|(?:instance )?types|cases|alerts|resources(?!/)|components|workflows)\b"
)


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.name)
def test_prose_copies_no_count_by_hand(path: Path) -> None:
    found = [m[0] for m in COUNT.finditer(prose(path))]
    assert found == [], f"{path.name}: counts copied by hand; generate them into a marked section or drop them"


def test_the_install_commands_name_the_package_version() -> None:
    version = re.search(r'^version = "(.+)"$', (ROOT / "pyproject.toml").read_text(), re.MULTILINE)
    assert version is not None
    commands = "".join(s.text for s in ALL if "mlops-platform @ git+" in s.text or "mlops_platform-" in s.text)
    named = set(re.findall(r"@v(\d[^\s\"]*)\"", commands)) | set(re.findall(r"mlops_platform-(\d[^-]*)-", commands))
    assert named == {version[1]}, f"the install commands name {named}; pyproject.toml says {version[1]}"


def test_the_checker_finds_unmarked_blocks_and_mlops_commands(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("```python\nimport pulumi\n```\n\n<!-- snippet: shell -->\n```python\nx = 1\n```\n")
    unmarked, mismarked = (marker_problem(s) for s in snippets(page))
    assert unmarked is not None and "it has no marker" in unmarked and "<!-- snippet: program NAME" in unmarked
    assert mismarked is not None and "marked 'shell'" in mismarked
    script = 'pulumi preview --policy-pack "$(mlops policy-pack)"\nmlops plan --stack dev \\\n  --program app  # note\n'
    assert mlops_commands(script) == [["policy-pack"], ["plan", "--stack", "dev", "--program", "app"]]


def test_the_readme_set_up_block_plans(checkout: Path) -> None:
    """The README's first block: its ``make plan`` runs here, with this checkout's environment
    (``make test`` is this suite, so only its presence is checked)."""
    first = next(s for s in ALL if s.path.name == "README.md")
    assert [line.split("#")[0].strip() for line in first.text.splitlines()] == ["make plan", "make test"]
    env = {**os.environ, "MAKEFLAGS": f"-- VENV={ROOT / '.venv'}"}
    current = subprocess.run(["make", "-q", "setup"], cwd=checkout, env=env, capture_output=True, check=False)
    assert current.returncode == 0, "the environment is older than pyproject.toml, uv.lock or the Makefile: make setup"
    result = subprocess.run(
        ["make", "plan"], cwd=checkout, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "Policy violations: none" in result.stdout
    assert (checkout / "build/plan/dev/plan.json").is_file()

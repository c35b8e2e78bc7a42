"""Every chart, image and action version lives in components/pins.py, and nowhere else."""

from __future__ import annotations

import datetime
import re
import subprocess

import pytest
import yaml

from components import pins
from tests.conftest import ROOT

pytestmark = pytest.mark.unit

ALLOWED = {"components/pins.py", "uv.lock"}
"""The pins module itself, and the lock file (Python packages, not charts or images)."""
VENDORED = "tests/vendor/"
"""Upstream files copied with their version in their header (their versions are theirs)."""


def tracked_files() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return [p for p in listed if p not in ALLOWED and not p.startswith(VENDORED) and (ROOT / p).is_file()]


def pinned_strings() -> dict[str, str]:
    """Every version string the pins define -> what it pins."""
    found: dict[str, str] = {}
    for chart in pins.CHARTS.values():
        found[f"{chart.name} {chart.version}"] = chart.version
    for name, image in pins.IMAGES.items():
        found[f"image {name}"] = image.tag
    found["mlflow release"] = pins.MLFLOW_VERSION
    for minor, tag in pins.AUTOSCALER_TAGS.items():
        found[f"cluster-autoscaler image for {minor}"] = tag
    for family, release in pins.KARPENTER_AMI_VERSIONS.items():
        found[f"Karpenter {family} AMI"] = release
    for action in pins.ACTIONS.values():
        found[f"{action.repository} commit"] = action.commit
    return found


def test_no_pinned_version_is_written_anywhere_else() -> None:
    strings = pinned_strings()
    pattern = re.compile("|".join(rf"(?<![\w.-]){re.escape(v)}(?![\w-])" for v in set(strings.values())))
    where: dict[str, list[str]] = {}
    for path in tracked_files():
        if path.startswith(".github/workflows/"):
            continue  # checked against the pins below: GitHub reads the files as they are
        text = (ROOT / path).read_text(errors="replace")
        hits = sorted(set(pattern.findall(text)))
        if hits:
            where[path] = hits
    assert where == {}


def test_no_image_of_a_pinned_repository_is_referenced_by_tag_elsewhere() -> None:
    repositories = [image.repository for image in pins.IMAGES.values()] + [pins.AUTOSCALER_IMAGE]
    pattern = re.compile("|".join(rf"{re.escape(r)}:[\w.-]+" for r in repositories))
    # Tests may name old or unpinned images on purpose (as bad input); shipped files may not.
    shipped = [p for p in tracked_files() if not p.startswith("tests/")]
    where = {p: pattern.findall((ROOT / p).read_text(errors="replace")) for p in shipped}
    assert {p: refs for p, refs in where.items() if refs} == {}


def test_workflows_use_exactly_the_pinned_actions() -> None:
    used: set[str] = set()
    for path in sorted((ROOT / ".github" / "workflows").glob("*.yml")):
        for line in path.read_text().splitlines():
            match = re.match(r"\s*-?\s*uses:\s*(\S+)(?:\s*#\s*(\S+))?", line)
            if match is None:
                continue
            uses, tag = match.groups()
            repository = uses.partition("@")[0]
            assert repository in pins.ACTIONS, f"{path.name}: {uses} is not pinned in components/pins.py"
            action = pins.ACTIONS[repository]
            assert (uses, tag) == (action.uses, action.tag), f"{path.name}: {line.strip()}"
            used.add(repository)
        yaml.safe_load(path.read_text())
    assert used == set(pins.ACTIONS), "pins.ACTIONS lists an action no workflow uses"


def test_pins_say_where_and_when_they_were_read() -> None:
    for chart in pins.CHARTS.values():
        assert chart.source.startswith("github.com/") and chart.version in chart.source
        assert chart.repository.startswith(("https://", "oci://"))  # Karpenter publishes to an OCI registry only
    for image in pins.IMAGES.values():
        assert image.tag.split("-")[0].lstrip("v") in image.source
    for action in pins.ACTIONS.values():
        assert re.fullmatch(r"[0-9a-f]{40}", action.commit) and action.runtime == "node24"
    for item in [*pins.CHARTS.values(), *pins.IMAGES.values(), *pins.ACTIONS.values()]:
        datetime.date.fromisoformat(item.checked)


def test_every_chart_is_within_a_year_of_when_it_was_checked() -> None:
    for chart in pins.CHARTS.values():
        age = datetime.date.fromisoformat(chart.checked) - datetime.date.fromisoformat(chart.released)
        assert age.days < 365, chart.name


def test_the_autoscaler_image_exists_for_every_supported_minor() -> None:
    assert set(pins.AUTOSCALER_TAGS) == set(pins.KUBERNETES_VERSIONS)
    for minor, tag in pins.AUTOSCALER_TAGS.items():
        assert tag.startswith(f"v{minor}."), minor


def test_kubernetes_versions_have_their_support_windows() -> None:
    for version in pins.KUBERNETES_VERSIONS.values():
        # EKS: 14 months of standard support, then 12 of extended (allowing for month lengths).
        assert 420 <= (version.standard_support_end - version.released).days <= 430, version.version
        assert 364 <= (version.extended_support_end - version.standard_support_end).days <= 366, version.version
    assert max(pins.KUBERNETES_VERSIONS, key=lambda v: tuple(map(int, v.split(".")))) == pins.DEFAULT_KUBERNETES_VERSION


@pytest.mark.parametrize(
    ("version", "day", "status"),
    [
        ("1.35", "2027-03-27", "standard"),
        ("1.35", "2027-03-28", "extended"),
        ("1.33", "2026-12-01", "extended"),
        ("1.32", "2027-03-24", "ended"),
    ],
)
def test_support_status(version: str, day: str, status: str) -> None:
    assert pins.support_status(version, datetime.date.fromisoformat(day)) == status


def test_the_plan_date_can_be_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(pins.TODAY_VARIABLE, "2027-02-01")
    assert pins.today() == datetime.date(2027, 2, 1)
    monkeypatch.setenv(pins.TODAY_VARIABLE, "soon")
    with pytest.raises(ValueError, match="MLOPS_TODAY must be an ISO date"):
        pins.today()

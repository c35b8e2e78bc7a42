"""The README's stack-configuration table is generated from the config models (issue 28, item 3):
every key with its allowed values and default, and the rules across fields of each section."""

from __future__ import annotations

import pytest

from components import cluster, gpu_node_pool
from infra.config import SECTION_RULES, ClusterConfig, GpuPoolConfig, PlatformConfig
from tests.conftest import ROOT
from tools.readme_config import table
from tools.sections import marked_section

pytestmark = pytest.mark.unit


def _row(section: str) -> str:
    return next(line for line in table().splitlines() if line.startswith(f"| `{section}` |"))


def test_the_readme_table_is_in_sync_with_the_models() -> None:
    assert marked_section((ROOT / "README.md").read_text(), "config") == table(), (
        "run: .venv/bin/python -m tools.readme_config"
    )


def test_every_section_has_its_rules_and_every_key_its_row() -> None:
    rows = [line.split(" | ")[0].removeprefix("| ").strip("`") for line in table().splitlines()[2:]]
    assert sorted(rows) == sorted(SECTION_RULES)
    assert {f.alias for f in PlatformConfig.model_fields.values()} <= {r.removesuffix("[]") for r in rows}
    for section, model in (("cluster", ClusterConfig), ("gpuPools[]", GpuPoolConfig)):
        missing = [f.alias for f in model.model_fields.values() if f"`{f.alias}`" not in _row(section)]
        assert missing == [], section


def test_the_table_shows_the_components_defaults_and_allowed_values() -> None:
    # Read from the component modules through the models: a default changes in one place.
    retention = cluster.DEFAULTS["log_retention_days"]
    assert f"`logRetentionDays` (`7`/`14`/`30`/`60`/`90`/`180`/`365`/`731`/`1827`/`3653`, default `{retention}`)" in (
        _row("cluster")
    )
    assert f"`diskSizeGib` (default `{gpu_node_pool.DEFAULTS['disk_size_gib']}`)" in _row("gpuPools[]")
    assert "`provisioner` (`managed`/`karpenter`, default `managed`)" in _row("gpuPools[]")
    assert "`backupRetentionDays` (default 7 in dev, 30 in prod)" in _row("modelRegistry")
    assert "`model` (below)" in _row("endpoints[]") and _row("endpoints[].model").count("`") >= 8


def test_a_section_without_rules_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(SECTION_RULES, "buckets[]")
    with pytest.raises(SystemExit, match=r"no rules for buckets\[\]"):
        table()


def test_nested_models_are_listed_inline() -> None:
    assert "`taints` (`key`, `value`, `effect` (`NO_SCHEDULE`/`NO_EXECUTE`/`PREFER_NO_SCHEDULE`, default" in _row(
        "gpuPools[]"
    )

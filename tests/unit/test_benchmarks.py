"""The benchmark suite's own logic (its timings are never tests): generated stacks are valid,
the slope fit is exact on a line, and the README table is the one results.json gives."""

from __future__ import annotations

import json

import pytest

from benchmarks.configs import PLATFORM_KEY, sized_stack
from benchmarks.run import README, RESULTS, SECTION, Case, slope_ms, table
from infra.config import load_platform_config
from tools.sections import marked_section

pytestmark = pytest.mark.unit


def test_generated_stacks_are_valid_prod_configs() -> None:
    config = load_platform_config(sized_stack(50, 20)["config"][PLATFORM_KEY], "generated")
    assert len(config.endpoints) == 50 and len(config.gpu_pools) == 20
    assert {e.pool for e in config.endpoints} == {f"pool-{i}" for i in range(20)}


def test_the_slope_is_the_least_squares_fit() -> None:
    cases = [Case(f"c{n}", n, 1.0 + 0.004 * n, 0.0) for n in (100, 1000, 2500)]
    assert slope_ms(cases) == pytest.approx(4.0)


def test_the_readme_shows_the_recorded_results() -> None:
    results = json.loads(RESULTS.read_text())
    assert marked_section(README.read_text(), SECTION) == table(results).strip()
    assert {c["name"] for c in results["cases"]} >= {"dev", "prod", "endpoints-200", "floor-trivial-200"}

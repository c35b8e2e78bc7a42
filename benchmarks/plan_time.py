"""How long `mlops plan` takes for the real stacks (a benchmark, not a test).

    .venv/bin/python benchmarks/plan_time.py [--runs 5]

Runs the planner in-process (the same harness as the tests) and prints, per stack, the
resource count and the min / median / max wall time of building the plan.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from components.plan.cli import make_plan
from components.plan.runner import read_stack_file, run_program_dir

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    for stack in ("dev", "prod"):
        config = read_stack_file(ROOT / f"Pulumi.{stack}.yaml", "mlops-platform")
        times: list[float] = []
        count = 0
        for _ in range(runs):
            started = time.perf_counter()
            recording = run_program_dir(ROOT / "infra", stack=stack, config=config, project="mlops-platform")
            count = len(make_plan(recording)["resources"])
            times.append(time.perf_counter() - started)
        print(
            f"{stack}: {count} resources, plan {min(times):.2f} / {statistics.median(times):.2f} / "
            f"{max(times):.2f} s (min / median / max of {runs})"
        )


if __name__ == "__main__":
    main()

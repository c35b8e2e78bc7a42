"""The benchmark suite (never a timed test): ``make bench`` or ``.venv/bin/python -m benchmarks.run``.

Every case is a real ``mlops plan`` process, timed from outside (wall time, median of
``--runs``) with its peak resident memory (``wait4``):

- the dev and prod stacks;
- the prod stack with 1, 10, 50 and 200 endpoints (2 GPU pools), and with 1, 5 and 20 pools;
- the harness floor at each endpoint case's resource count (``benchmarks/floor``): the same
  number of trivial one-input resources, of argument-less typed provider resources (SNS
  topics), and the case's own resources replayed as plain registrations with no component code.

From the endpoint series it fits the slope in ms per resource (least squares) for the stack
and both floors, times the policy pack in-process on the 200-endpoint recording and the Helm rendering
of dev and prod (``--helm-only`` measures just that). Writes
``benchmarks/results.json`` and the README's table between its ``benchmarks`` markers.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from benchmarks.configs import ROOT, write_sized_stack
from components.plan import helm_render
from components.plan.policy import check
from components.plan.runner import read_stack_file, run_program_dir
from components.policies import CONFIG_DIR, POLICIES
from components.policies.settings import read_pack_config
from tools.sections import with_marked_section

RESULTS = ROOT / "benchmarks" / "results.json"
README = ROOT / "README.md"
SECTION = "benchmarks"
"""The README's ``<!-- benchmarks:start -->`` ... ``<!-- benchmarks:end -->`` markers."""
ENDPOINTS = (1, 10, 50, 200)
POOLS = (1, 5, 20)
FLOOR = ROOT / "benchmarks" / "floor"


@dataclass(frozen=True)
class Case:
    """One measured plan."""

    name: str
    resources: int
    seconds: float
    """Median wall time of the ``mlops plan`` process."""
    peak_mib: float
    """Largest peak resident memory over the runs."""


def measure(name: str, args: list[str], env: dict[str, str], out: Path, runs: int) -> Case:
    """Run ``mlops plan ARGS --out OUT`` ``runs`` times; exit 2 (invalid) aborts the suite."""
    times: list[float] = []
    peak = 0
    for _ in range(runs):
        with tempfile.TemporaryFile() as errors:  # a file, not a pipe: a long traceback cannot block it
            started = time.perf_counter()
            process = subprocess.Popen(
                [sys.executable, "-m", "components.plan.cli", "plan", *args, "--out", str(out), "--format", "json"],
                cwd=ROOT,
                env={**os.environ, **env},
                stdout=subprocess.DEVNULL,
                stderr=errors,
            )
            _, status, usage = os.wait4(process.pid, 0)
            process.returncode = os.waitstatus_to_exitcode(status)
            times.append(time.perf_counter() - started)
            errors.seek(0)
            stderr = errors.read().decode()
        code = os.waitstatus_to_exitcode(status)
        if code not in (0, 1) or "Traceback" in stderr:  # a crash exits 1 too
            raise SystemExit(f"benchmark {name}: mlops plan exited {code}:\n{stderr}")
        peak = max(peak, usage.ru_maxrss)  # KiB on Linux
    resources = len(json.loads((out / "plan.json").read_text())["resources"])
    return Case(name, resources, round(statistics.median(times), 3), round(peak / 1024, 1))


def slope_ms(cases: list[Case]) -> float:
    """Least-squares ms per resource through ``(resources, seconds)``."""
    xs, ys = [c.resources for c in cases], [c.seconds for c in cases]
    mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
    numerator = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    return round(1000 * numerator / sum((x - mean_x) ** 2 for x in xs), 3)


def policy_throughput(stack_file: Path, repeats: int = 5) -> dict[str, Any]:
    """Resources per second through the whole policy pack (best of ``repeats``), in-process."""
    config = read_stack_file(stack_file, "mlops-platform")
    recording = run_program_dir(ROOT / "infra", stack="prod", config=config, project="mlops-platform")
    pack_config = read_pack_config(CONFIG_DIR / "prod.json")
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        check(POLICIES, recording.resources, pack_config, recording.config)
        best = min(best, time.perf_counter() - started)
    count = len(recording.resources)
    return {
        "resources": count,
        "policies": len(POLICIES),
        "seconds": round(best, 4),
        "resourcesPerSecond": round(count / best),
    }


def helm_rendering(repeats: int = 3) -> dict[str, Any]:
    """Seconds ``mlops plan`` spends rendering the Helm releases of dev and prod (best of ``repeats``),
    in-process, with the Helm it finds (``make helm``) and the vendored charts."""
    helm = helm_render.find_helm(ROOT, os.environ)
    if helm is None:
        raise SystemExit("benchmark helm rendering: no Helm (run `make helm`)")
    found: dict[str, Any] = {"date": datetime.date.today().isoformat(), "helm": helm.version}
    for stack in ("dev", "prod"):
        config = read_stack_file(ROOT / f"Pulumi.{stack}.yaml", "mlops-platform")
        recording = run_program_dir(ROOT / "infra", stack=stack, config=config, project="mlops-platform")
        best, rendering = float("inf"), None
        for _ in range(repeats):
            started = time.perf_counter()
            rendering = helm_render.render(recording.resources, helm, helm_render.chart_dirs(ROOT, []))
            best = min(best, time.perf_counter() - started)
        assert rendering is not None
        found[stack] = {
            "releases": len(rendering.releases),
            "objects": sum(len(r.objects) for r in rendering.releases),
            "seconds": round(best, 3),
        }
    return found


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    cpuinfo = Path("/proc/cpuinfo")
    models = [
        line.split(":", 1)[1].strip()
        for line in (cpuinfo.read_text().splitlines() if cpuinfo.is_file() else [])
        if line.startswith("model name")
    ]
    model = models[0] if models else platform.processor() or "unknown"
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memoryGiB": round(memory),
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}",
    }


def run(runs: int) -> dict[str, Any]:
    """Measure every case; the results as written to ``results.json``."""
    with tempfile.TemporaryDirectory(prefix="mlops-bench-") as tmp:
        work = Path(tmp)

        def plan(name: str, args: list[str], env: dict[str, str] | None = None) -> Case:
            case = measure(name, args, env or {}, work / name, runs)
            print(f"{case.name:>22}: {case.resources:5d} resources {case.seconds:7.2f} s {case.peak_mib:7.1f} MiB")
            return case

        stacks = [plan(stack, ["--stack", stack]) for stack in ("dev", "prod")]
        endpoints: list[Case] = []
        trivial: list[Case] = []
        typed: list[Case] = []
        replay: list[Case] = []
        for count in ENDPOINTS:
            stack_file = write_sized_stack(work, count, 2)
            case = plan(f"endpoints-{count}", ["--stack", "prod", "--config", str(stack_file)])
            endpoints.append(case)
            floor = ["--stack", "prod", "--program", str(FLOOR)]
            trivial.append(plan(f"floor-trivial-{count}", floor, {"MLOPS_FLOOR_COUNT": str(case.resources)}))
            typed.append(plan(f"floor-typed-{count}", floor, {"MLOPS_FLOOR_TYPED": str(case.resources)}))
            replayed = str(work / case.name / "plan.json")
            replay.append(plan(f"floor-replay-{count}", floor, {"MLOPS_FLOOR_REPLAY": replayed}))
        pools = [
            plan(f"pools-{count}", ["--stack", "prod", "--config", str(write_sized_stack(work, 2, count))])
            for count in POOLS
        ]
        policies = policy_throughput(write_sized_stack(work, ENDPOINTS[-1], 2))
    helm = helm_rendering()
    stack_slope, replay_slope = slope_ms(endpoints), slope_ms(replay)
    trivial_slope, typed_slope = slope_ms(trivial), slope_ms(typed)
    return {
        "date": datetime.date.today().isoformat(),
        "machine": machine(),
        "runs": runs,
        "cases": [asdict(c) for c in [*stacks, *endpoints, *pools, *trivial, *typed, *replay]],
        "slopeMsPerResource": {
            "stack": stack_slope,
            "floorTrivial": trivial_slope,
            "floorTyped": typed_slope,
            "floorReplay": replay_slope,
            "ratioToTrivial": round(stack_slope / trivial_slope, 2),
            "ratioToTyped": round(stack_slope / typed_slope, 2),
            "ratioToReplay": round(stack_slope / replay_slope, 2),
        },
        "policyEvaluation": policies,
        "helmRendering": helm,
    }


def table(results: dict[str, Any]) -> str:
    """The README section for ``results``."""
    m, slope, pack = results["machine"], results["slopeMsPerResource"], results["policyEvaluation"]
    helm = results["helmRendering"]
    lines = [
        f"Measured {results['date']} on {m['cores']} cores ({m['cpu']}), {m['memoryGiB']} GiB, Python "
        f"{m['python']}; median of {results['runs']} `mlops plan` processes (`make bench`, "
        "`benchmarks/results.json`).",
        "",
        "| case | resources | plan (s) | peak memory (MiB) |",
        "|---|---:|---:|---:|",
        *(f"| {c['name']} | {c['resources']} | {c['seconds']:.2f} | {c['peak_mib']:.0f} |" for c in results["cases"]),
        "",
        f"Slope over the endpoint cases: **{slope['stack']:.2f} ms per resource**. Harness floors at the same "
        f"counts: {slope['floorTrivial']:.2f} ms for trivial one-input resources ({slope['ratioToTrivial']:.2f}x), "
        f"{slope['floorTyped']:.2f} ms for argument-less typed provider resources ({slope['ratioToTyped']:.2f}x), "
        f"{slope['floorReplay']:.2f} ms for the same resources replayed without component code "
        f"({slope['ratioToReplay']:.2f}x). Policy pack: {pack['policies']} policies over {pack['resources']} "
        f"resources in {pack['seconds']:.3f} s, **{pack['resourcesPerSecond']:,} resources/s**.",
        "",
        f"Helm rendering (part of every plan, Helm {helm['helm']}, measured {helm['date']}): dev "
        f"{helm['dev']['releases']} releases, {helm['dev']['objects']} objects in {helm['dev']['seconds']:.2f} s; "
        f"prod {helm['prod']['releases']} releases, {helm['prod']['objects']} objects in "
        f"{helm['prod']['seconds']:.2f} s.",
    ]
    return "\n".join(lines)


def update_readme(results: dict[str, Any], readme: Path = README) -> None:
    """Replace the README's benchmark section with :func:`table`."""
    readme.write_text(with_marked_section(readme.read_text(), SECTION, table(results)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="plans per case (median reported)")
    parser.add_argument(
        "--helm-only",
        action="store_true",
        help="measure only the Helm rendering and update that line of results.json and the README",
    )
    args = parser.parse_args()
    if args.helm_only:
        results = {**json.loads(RESULTS.read_text()), "helmRendering": helm_rendering()}
    else:
        results = run(args.runs)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    update_readme(results)
    print(f"\nwrote {RESULTS.relative_to(ROOT)} and the README table")


if __name__ == "__main__":
    main()

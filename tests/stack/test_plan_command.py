"""``mlops plan`` end to end, as users and CI run it (a subprocess of the console command)."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT

pytestmark = pytest.mark.stack

MLOPS = Path(sys.executable).with_name("mlops")


def mlops(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(MLOPS), *args], cwd=cwd, capture_output=True, text=True, timeout=300, check=False)


def test_deploy_estimate_orders_every_resource_after_what_it_waits_for(tmp_path: Path) -> None:
    assert mlops("plan", "--stack", "prod", "--out", str(tmp_path)).returncode == 0
    plan = json.loads((tmp_path / "plan.json").read_text())
    deploy = plan["deploy"]
    assert set(deploy) == {"criticalPathMinutes", "waves", "criticalPath"}
    custom = {r["urn"]: r for r in plan["resources"] if r["custom"]}
    wave_of = {urn: index for index, wave in enumerate(deploy["waves"]) for urn in wave}
    assert sorted(wave_of) == sorted(custom) and sum(map(len, deploy["waves"])) == len(custom)
    for urn, resource in custom.items():
        upstream = [u for u in [*resource["dependencies"], resource["provider"]] if u in custom]
        assert all(wave_of[u] < wave_of[urn] for u in upstream), resource["name"]
    chain = deploy["criticalPath"]
    for before, after in itertools.pairwise(chain):
        assert before in [*custom[after]["dependencies"], custom[after]["provider"]]
    names = [custom[urn]["name"] for urn in chain]
    # The endpoints' models are not published on a first deploy: no pod waits for a GPU node, and
    # the longest chain runs through the control plane to the monitoring releases (Helm installs
    # timed per chart, components/timings.py).
    # (The preview roles' Secret readers wait for every namespace's creator, the monitoring stack included.)
    releases = [n for n in names if not n.startswith("eks-preview-secrets-")]
    assert "eks-cluster" in names and releases[-2:] == ["monitoring-kube-prometheus-stack", "monitoring-dcgm-exporter"]
    assert 20 < deploy["criticalPathMinutes"] < 90


def test_prod_plan_json_matches_the_contract(tmp_path: Path) -> None:
    result = mlops("plan", "--stack", "prod", "--format", "json", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    plan = json.loads((tmp_path / "plan.json").read_text())
    assert json.loads(result.stdout) == plan
    assert set(plan) == {
        "schemaVersion",
        "project",
        "stack",
        "preview",
        "resources",
        "violations",
        "notRun",
        "outputs",
        "cost",
        "deploy",
        "publish",
        "canaries",
        "unexpanded",
        "helm",
        "releases",
    }
    # Which models to publish, and where, before each endpoint may serve.
    assert [(m["endpoint"], m["model"].split("/")[0], m["published"]) for m in plan["publish"]] == [
        ("serving/fraud-detector", "models:", False),
        ("serving/llm-chat", "s3:", False),
    ]
    assert plan["publish"][0]["registry"] == "http://mlflow.mlflow.svc:5000"
    assert plan["publish"][1]["model"].endswith("/models/llama-3.1-8b-instruct/v1/")
    assert [c["endpoint"] for c in plan["canaries"]] == ["serving/fraud-detector", "serving/llm-chat"]
    assert "Models to publish" in mlops("plan", "--stack", "prod", "--out", str(tmp_path / "text")).stdout
    assert (plan["schemaVersion"], plan["project"], plan["stack"]) == (1, "mlops-platform", "prod")
    assert (plan["preview"], plan["notRun"]) == (False, [])  # every value is known after an update
    urns = {r["urn"] for r in plan["resources"]}
    for resource in plan["resources"]:
        assert set(resource) == {
            "urn",
            "type",
            "name",
            "custom",
            "parent",
            "provider",
            "dependencies",
            "inputs",
            "options",
        }
        assert resource["urn"] == resource["urn"].strip() and resource["urn"].startswith(
            "urn:pulumi:prod::mlops-platform::"
        )
        assert resource["urn"].endswith("::" + resource["name"])
        assert resource["parent"] is None or resource["parent"] in urns
        assert resource["provider"] is None or resource["provider"] in urns
        assert set(resource["dependencies"]) <= urns
        assert set(resource["options"]) == {
            "protect",
            "retainOnDelete",
            "ignoreChanges",
            "deleteBeforeReplace",
            "aliases",
        }
        assert all(alias.startswith("urn:pulumi:prod::") for alias in resource["options"]["aliases"])
    assert [r["parent"] for r in plan["resources"]].count(None) == 1
    for violation in plan["violations"]:
        assert set(violation) == {"policy", "enforcementLevel", "urn", "message"}
        assert violation["enforcementLevel"] in {"mandatory", "advisory"}
    assert set(plan["cost"]) >= {"currency", "hourlyMin", "hourlyMax", "items"}
    assert plan["outputs"]["environment"] == "prod"
    assert (tmp_path / "graph.mmd").read_text().startswith("graph TD\n")
    assert (tmp_path / "manifests").is_dir()


def test_two_plans_are_byte_identical(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    assert mlops("plan", "--stack", "dev", "--out", str(first)).returncode == 0
    assert mlops("plan", "--stack", "dev", "--out", str(second)).returncode == 0
    assert (first / "plan.json").read_bytes() == (second / "plan.json").read_bytes()
    assert (first / "graph.mmd").read_bytes() == (second / "graph.mmd").read_bytes()


def test_text_output_shows_tree_violations_and_cost(tmp_path: Path) -> None:
    result = mlops("plan", "--stack", "dev", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert text.startswith("Plan of mlops-platform/dev: ")
    assert text.index("pulumi:pulumi:Stack") < text.index("Policy violations") < text.index("Estimated cost")
    assert "mlops:index:GpuNodePool  gpu-spot" in text
    assert (
        "  gpu-spot-node-pool: 0.00 - 2.01  (Karpenter 0-2 x g5.xlarge at most, of g5.xlarge/g6.xlarge "
        "(spot first, on-demand fallback: priced at on-demand))"
    ) in text


def test_malformed_stack_file_exits_2_with_key_path(tmp_path: Path) -> None:
    bad = tmp_path / "Pulumi.bad.yaml"
    raw = yaml.safe_load((ROOT / "Pulumi.prod.yaml").read_text())
    platform = raw["config"]["mlops-platform:platform"]
    platform["gpuPools"] = [
        {"name": "a", "instanceTypes": ["g5.xlarge"], "maxSize": 2},
        {"name": "b", "instanceTypes": ["g5.xlarge"], "minSize": 2, "maxSize": 0},
    ]
    platform["network"]["natGatways"] = "perAz"
    bad.write_text(yaml.safe_dump(raw))
    result = mlops("plan", "--stack", "prod", "--config", str(bad), "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert f"{bad}: platform.gpuPools[1].maxSize: Input should be greater than or equal to 1 (got 0)" in result.stderr
    unknown = f"{bad}: platform.network.natGatways: unknown key; allowed keys: availabilityZoneIds, azCount, cidr"
    assert unknown in result.stderr
    assert not (tmp_path / "out").exists()


def test_unparseable_stack_file_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "Pulumi.dev.yaml"
    bad.write_text("config:\n  mlops-platform:platform: [\n")
    result = mlops("plan", "--stack", "dev", "--config", str(bad), "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert "not valid YAML" in result.stderr and "Traceback" not in result.stderr


def test_a_teams_own_program_is_planned_with_program(tmp_path: Path) -> None:
    result = mlops(
        "plan",
        "--stack",
        "dev",
        "--program",
        "examples/tiny-program",
        "--format",
        "json",
        "--out",
        str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    assert plan["project"] == "tiny-program"
    bucket = next(r for r in plan["resources"] if r["type"] == "aws:s3/bucket:Bucket")
    assert bucket["urn"] == (
        "urn:pulumi:dev::tiny-program::mlops:index:ArtifactBucket$aws:s3/bucket:Bucket::features-bucket"
    )
    assert bucket["provider"] == "urn:pulumi:dev::tiny-program::pulumi:providers:aws::aws"
    assert plan["outputs"]["bucket"].startswith("features-bucket-")
    assert "features/online/*" in plan["outputs"]["readFeatures"]
    assert plan["violations"] == []


def test_mandatory_violation_exits_1(tmp_path: Path) -> None:
    program = tmp_path / "untagged"
    program.mkdir()
    (program / "Pulumi.yaml").write_text("name: untagged\nruntime: python\n")
    (program / "__main__.py").write_text("import pulumi_aws as aws\naws.sqs.Queue('q')\n")
    result = mlops("plan", "--stack", "prod", "--program", str(program), "--out", str(tmp_path / "out"))
    assert result.returncode == 1, result.stderr
    assert "[mandatory] aws-required-tags: q: missing required tags team, cost-center, environment" in result.stdout


def test_program_error_exits_2_with_a_clear_message(tmp_path: Path) -> None:
    program = tmp_path / "broken"
    program.mkdir()
    (program / "Pulumi.yaml").write_text("name: broken\nruntime: python\n")
    (program / "__main__.py").write_text("raise RuntimeError('boom')\n")
    result = mlops("plan", "--stack", "dev", "--program", str(program), "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert "the program failed: RuntimeError: boom" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_urn_declared_twice_is_refused_as_the_engine_refuses_it(tmp_path: Path) -> None:
    """Two resources of one type and name under one parent: the engine stops with "Duplicate
    resource URN", so the plan writes nothing and exits 2."""
    program = tmp_path / "twice"
    program.mkdir()
    (program / "Pulumi.yaml").write_text("name: twice\nruntime: python\n")
    (program / "__main__.py").write_text("import pulumi_aws as aws\naws.sqs.Queue('q')\naws.sqs.Queue('q')\n")
    result = mlops("plan", "--stack", "dev", "--program", str(program), "--out", str(tmp_path / "out"))
    assert result.returncode == 2, result.stdout
    assert "Duplicate resource URN 'urn:pulumi:dev::twice::aws:sqs/queue:Queue::q'" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "out" / "plan.json").exists()


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_a_first_preview_plans_clean_with_what_could_not_run(stack: str, tmp_path: Path) -> None:
    """``--preview``: what the first ``pulumi preview`` of an empty stack sees. Computed values are
    unknown, policies that read one are listed as not run, and none becomes a violation."""
    result = mlops("plan", "--stack", stack, "--preview", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    plan = json.loads((tmp_path / "plan.json").read_text())
    assert plan["preview"] is True
    assert [v for v in plan["violations"] if v["enforcementLevel"] == "mandatory"] == []
    assert plan["notRun"] and all(n["reason"].endswith("can't be known during preview") for n in plan["notRun"])
    assert "Policies that could not run on an unknown value" in result.stdout
    cluster = next(r for r in plan["resources"] if r["type"] == "aws:eks/cluster:Cluster")
    assert cluster["inputs"]["roleArn"] == "[unknown]"  # the role is created in the same update
    assert "[unknown]" in json.dumps(plan["outputs"])


def test_a_reader_that_went_away_is_one_line_and_exit_2(tmp_path: Path) -> None:
    """``mlops plan | head``: the plan's files are written; that its output was not all read is
    one line and exit 2, once, with no traceback (``run`` leaves with ``os._exit`` after flushing)."""
    read, write = os.pipe()
    os.close(read)
    try:
        result = subprocess.run(
            [str(MLOPS), "plan", "--stack", "dev", "--format", "json", "--out", str(tmp_path)],
            cwd=ROOT,
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            timeout=300,
            check=False,
        )
    finally:
        os.close(write)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "mlops plan: standard output was closed before all of it was read (Broken pipe)"
    ]
    assert json.loads((tmp_path / "plan.json").read_text())["stack"] == "dev"

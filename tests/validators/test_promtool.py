"""The alert rules and Alertmanager configuration, checked by Prometheus's own tools.

- ``promtool check rules`` on the rule groups of the dev and prod plans;
- ``promtool test rules``: every alert has a case where it fires and one where it stays silent;
- ``amtool check-config`` on the Alertmanager configuration with every receiver kind.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.alerting import EndpointAlerts, Receivers, alertmanager_config, registry_rules, rule_groups
from components.plan.document import manifests
from tests.conftest import stack_recording

pytestmark = pytest.mark.validators

PROMTOOL, AMTOOL = shutil.which("promtool"), shutil.which("amtool")
ENDPOINTS: list[EndpointAlerts] = [
    {"name": "fraud", "namespace": "serving", "runtime": "triton"},
    {"name": "llm", "namespace": "serving", "runtime": "vllm"},
    # Served through an Argo Rollout: its zero-replica check and the delivery alerts read the controller's metrics.
    {"name": "ranker", "namespace": "serving", "runtime": "custom", "canary": True},
]
GROUPS = [
    *rule_groups(ENDPOINTS, [{"name": "gpu", "max_size": 2}], burn_rate=True),
    registry_rules("mlflow", "mlflow-metrics"),
]
RULES: list[dict[str, Any]] = [rule for group in GROUPS for rule in group["rules"]]


def tool(binary: str | None, *args: str) -> subprocess.CompletedProcess[str]:
    assert binary, "promtool/amtool missing: install Debian's prometheus and prometheus-alertmanager (.ci/run does)"
    return subprocess.run([binary, *args], capture_output=True, text=True, timeout=300, check=False)


def sel(name: str, **labels: str) -> str:
    return name + "{" + ", ".join(f'{k}="{v}"' for k, v in {"namespace": "serving", **labels}.items()) + "}"


def up(fraud: int) -> list[dict[str, str]]:
    return [
        {"series": sel("up", service="fraud"), "values": f"{fraud}x30"},
        {"series": sel("up", service="llm"), "values": "1x30"},
        {"series": sel("up", service="ranker"), "values": "1x30"},
    ]


CONTROLLER = 'namespace="argo-rollouts", service="argo-rollouts-metrics", exported_namespace="serving", name="ranker"'
ROLLOUT_DESIRED = f"rollout_info_replicas_desired{{{CONTROLLER}}}"


def rollout_info(phase: str) -> str:
    """The controller's ``rollout_info`` series of the ranker Rollout in ``phase``."""
    return f'rollout_info{{{CONTROLLER}, strategy="canary", traffic_router="", phase="{phase}"}}'


def counter(series: str, per_minute: int, minutes: int = 400) -> dict[str, str]:
    return {"series": series, "values": f"0+{per_minute}x{minutes}"}


def gauge(series: str, value: float, minutes: int = 200) -> dict[str, str]:
    return {"series": series, "values": f"{value}x{minutes}"}


def triton_errors(failed: int) -> list[dict[str, str]]:
    return [
        counter(sel("nv_inference_request_failure", service="fraud"), failed),
        counter(sel("nv_inference_request_success", service="fraud"), 10),
    ]


def http_errors(service: str, status_5xx: str, failed: int) -> list[dict[str, str]]:
    return [
        counter(sel("http_requests_total", service=service, status=status_5xx), failed),
        counter(sel("http_requests_total", service=service, status="2xx" if service == "llm" else "200"), 10),
    ]


TTFT_BUCKETS = ("0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf")
ITL_BUCKETS = ("0.01", "0.025", "0.05", "0.075", "0.1", "0.25", "0.5", "+Inf")
E2E_BUCKETS = ("1", "2.5", "5", "10", "20", "40", "+Inf")


def histogram(metric: str, buckets: tuple[str, ...], per_minute: dict[str, int]) -> list[dict[str, str]]:
    """A histogram's cumulative buckets, from observations per minute by the bucket they fall in."""
    series: list[dict[str, str]] = []
    total = 0
    for le in buckets:
        total += per_minute.get(le, 0)
        series.append(counter(sel(f"{metric}_bucket", service="llm", le=le), total))
    return series


def llm_traffic(ttft: dict[str, int], itl: dict[str, int]) -> list[dict[str, str]]:
    """Chat traffic: 10 requests a minute of 250-500 generated tokens at ~30 ms a token, so every
    request takes 5-20 s end to end, with the given time-to-first-token and inter-token latencies."""
    return [
        *histogram("vllm:time_to_first_token_seconds", TTFT_BUCKETS, ttft),
        *histogram("vllm:inter_token_latency_seconds", ITL_BUCKETS, itl),
        *histogram("vllm:e2e_request_latency_seconds", E2E_BUCKETS, {"10": 6, "20": 4}),
        counter(sel("http_requests_total", service="llm", status="2xx"), 10),
    ]


HEALTHY_TTFT = {"0.25": 8, "0.5": 2}
HEALTHY_ITL = {"0.025": 1000, "0.05": 2500}


GPU = {"Hostname": "ip-10-0-1-1", "gpu": "0"}
POD = {"namespace": "serving", "pod": "llm-0"}
ENDPOINT_LABELS = {"namespace": "serving", "service": "fraud"}

# alert -> (firing input, silent input, eval time, labels of the firing alerts, $value for annotations)
CASES: dict[str, tuple[list[dict[str, str]], list[dict[str, str]], str, list[dict[str, str]], str]] = {
    "EndpointDown": (up(0), up(1), "10m", [{"endpoint": "fraud", **ENDPOINT_LABELS}], "0"),
    # No pod answers: an alert while the Deployment asks for pods, none while it asks for zero
    # (a model not yet published).
    "EndpointDown[unpublished]": (
        [*up(1)[1:], gauge(sel("kube_deployment_spec_replicas", deployment="fraud"), 2)],
        [*up(1)[1:], gauge(sel("kube_deployment_spec_replicas", deployment="fraud"), 0)],
        "10m",
        [{"endpoint": "fraud", **ENDPOINT_LABELS}],
        "1",
    ),
    # A Rollout's desired replicas come from the Argo Rollouts controller (kube-state-metrics knows no Rollout),
    # whose scrape keeps its own namespace and renames the Rollout's to exported_namespace.
    "EndpointDown[unpublished rollout]": (
        [*up(1)[:2], gauge(ROLLOUT_DESIRED, 2)],
        [*up(1)[:2], gauge(ROLLOUT_DESIRED, 0)],
        "10m",
        [{"endpoint": "ranker", "namespace": "serving", "service": "ranker"}],
        "1",
    ),
    "RolloutAborted": (
        [gauge(rollout_info("Abort"), 1)],
        [gauge(rollout_info("Completed"), 1), gauge(rollout_info("Paused"), 1)],
        "5m",
        [{"exported_namespace": "serving", "name": "ranker"}],
        "1",
    ),
    "RolloutAborted[progress deadline]": (
        [gauge(rollout_info("Timeout"), 1)],
        [gauge(rollout_info("Progressing"), 1)],
        "5m",
        [{"exported_namespace": "serving", "name": "ranker"}],
        "1",
    ),
    "EndpointErrorRatioHigh[triton]": (triton_errors(10), triton_errors(0), "20m", [{"endpoint": "fraud"}], ""),
    "EndpointErrorRatioHigh[vllm]": (
        http_errors("llm", "5xx", 10),
        http_errors("llm", "5xx", 0),
        "20m",
        [{"endpoint": "llm"}],
        "",
    ),
    "EndpointErrorRatioHigh[custom]": (
        http_errors("ranker", "503", 10),
        http_errors("ranker", "503", 0),
        "20m",
        [{"endpoint": "ranker"}],
        "",
    ),
    "EndpointLatencyP95High[triton]": (
        [gauge(sel("nv_inference_request_summary_us", service="fraud", quantile="0.95"), 3e6)],
        [gauge(sel("nv_inference_request_summary_us", service="fraud", quantile="0.95"), 5e5)],
        "20m",
        [{"endpoint": "fraud"}],
        "",
    ),
    "EndpointQueueTimeHigh": (
        [gauge(sel("nv_inference_queue_summary_us", service="fraud", quantile="0.95"), 9e5)],
        [gauge(sel("nv_inference_queue_summary_us", service="fraud", quantile="0.95"), 2e4)],
        "20m",
        [{"endpoint": "fraud"}],
        "",
    ),
    "EndpointLatencyP95High[custom]": (
        [
            counter(sel("http_request_duration_seconds_bucket", service="ranker", le=le), n)
            for le, n in (("0.5", 0), ("5", 10), ("+Inf", 10))
        ],
        [
            counter(sel("http_request_duration_seconds_bucket", service="ranker", le=le), 10)
            for le in ("0.5", "5", "+Inf")
        ],
        "20m",
        [{"endpoint": "ranker"}],
        "",
    ),
    # A prefill backlog: first tokens take 2.5-5 s while tokens still stream at ~30 ms.
    "EndpointTimeToFirstTokenHigh": (
        llm_traffic({"1": 2, "5": 8}, HEALTHY_ITL),
        llm_traffic(HEALTHY_TTFT, HEALTHY_ITL),
        "20m",
        [{"endpoint": "llm"}],
        "",
    ),
    # A saturated batch: each token takes 100-250 ms (4-10 tokens/s).
    "EndpointInterTokenLatencyHigh": (
        llm_traffic(HEALTHY_TTFT, {"0.05": 500, "0.25": 3000}),
        llm_traffic(HEALTHY_TTFT, HEALTHY_ITL),
        "20m",
        [{"endpoint": "llm"}],
        "",
    ),
    "EndpointErrorBudgetBurn": (
        triton_errors(10),
        triton_errors(0),
        "70m",
        [{"endpoint": "fraud", "window": "1h"}, {"endpoint": "fraud", "window": "6h"}],
        "",
    ),
    "GpuXidError": (
        [gauge(sel("DCGM_FI_DEV_XID_ERRORS", **GPU), 43)],
        [gauge(sel("DCGM_FI_DEV_XID_ERRORS", **GPU), 0)],
        "5m",
        [GPU],
        "43",
    ),
    "GpuDoubleBitEccErrors": (
        [{"series": sel("DCGM_FI_DEV_ECC_DBE_VOL_TOTAL", **GPU), "values": "0x5 1x20"}],
        [gauge(sel("DCGM_FI_DEV_ECC_DBE_VOL_TOTAL", **GPU), 0)],
        "8m",
        [GPU],
        "1",
    ),
    "GpuTemperatureHigh": (
        [gauge(sel("DCGM_FI_DEV_GPU_TEMP", **GPU), 90)],
        [gauge(sel("DCGM_FI_DEV_GPU_TEMP", **GPU), 70)],
        "15m",
        [GPU],
        "90",
    ),
    "GpuMemoryNearlyFull": (
        [gauge(sel("DCGM_FI_DEV_FB_USED", **GPU), 970), gauge(sel("DCGM_FI_DEV_FB_FREE", **GPU), 30)],
        [gauge(sel("DCGM_FI_DEV_FB_USED", **GPU), 500), gauge(sel("DCGM_FI_DEV_FB_FREE", **GPU), 500)],
        "20m",
        [GPU],
        "0.97",
    ),
    "GpuIdle": (
        [gauge(sel("DCGM_FI_DEV_GPU_UTIL", **GPU), 2)],
        [gauge(sel("DCGM_FI_DEV_GPU_UTIL", **GPU), 50)],
        "150m",
        [GPU],
        "2",
    ),
    "GpuPodPending": (
        [
            gauge(sel("kube_pod_status_phase", pod="llm-0", phase="Pending"), 1),
            gauge(
                sel("kube_pod_container_resource_requests", pod="llm-0", container="server", resource="nvidia_com_gpu"),
                1,
            ),
        ],
        [
            gauge(sel("kube_pod_status_phase", pod="llm-0", phase="Pending"), 0),
            gauge(
                sel("kube_pod_container_resource_requests", pod="llm-0", container="server", resource="nvidia_com_gpu"),
                1,
            ),
        ],
        "15m",
        [POD],
        "1",
    ),
    "ServingPodCrashLooping": (
        [
            gauge(
                sel(
                    "kube_pod_container_status_waiting_reason",
                    pod="llm-0",
                    container="server",
                    reason="CrashLoopBackOff",
                ),
                1,
            )
        ],
        [
            gauge(
                sel(
                    "kube_pod_container_status_waiting_reason",
                    pod="llm-0",
                    container="server",
                    reason="CrashLoopBackOff",
                ),
                0,
            )
        ],
        "20m",
        [POD],
        "1",
    ),
    "ModelRegistryDown": (
        [gauge(sel("up", namespace="mlflow", service="mlflow-metrics", pod="mlflow-0"), 0)],
        [gauge(sel("up", namespace="mlflow", service="mlflow-metrics", pod="mlflow-0"), 1)],
        "10m",
        [{"namespace": "mlflow"}],
        "0",
    ),
    "ModelRegistryDown[absent]": (
        [],
        [gauge(sel("up", namespace="mlflow", service="mlflow-metrics"), 1)],
        "10m",
        [{"namespace": "mlflow", "service": "mlflow-metrics"}],
        "1",
    ),
    "ModelRegistryErrorRatioHigh": (
        [
            counter(sel("mlflow_http_request_total", namespace="mlflow", service="mlflow-metrics", status="500"), 10),
            counter(sel("mlflow_http_request_total", namespace="mlflow", service="mlflow-metrics", status="200"), 10),
        ],
        [
            counter(sel("mlflow_http_request_total", namespace="mlflow", service="mlflow-metrics", status="500"), 0),
            counter(sel("mlflow_http_request_total", namespace="mlflow", service="mlflow-metrics", status="200"), 10),
        ],
        "30m",
        [{}],
        "",
    ),
    "GpuPoolAtMaxSize": (
        [
            gauge('kube_node_labels{node="a", label_mlops_platform_pool="gpu"}', 1),
            gauge('kube_node_labels{node="b", label_mlops_platform_pool="gpu"}', 1),
        ],
        [gauge('kube_node_labels{node="a", label_mlops_platform_pool="gpu"}', 1)],
        "40m",
        [{"pool": "gpu"}],
        "2",
    ),
}


def render(template: str, labels: dict[str, str], value: str) -> str:
    """Prometheus template rendering for the two forms the rules use."""
    text = re.sub(r"\{\{ \$labels\.(\w+) \}\}", lambda m: labels.get(m.group(1), ""), template)
    return text.replace("{{ $value }}", value)


def expected(alert: str, extra: dict[str, str], value: str) -> dict[str, Any]:
    rule = next(r for r in RULES if r["alert"] == alert and all(r["labels"].get(k, v) == v for k, v in extra.items()))
    labels = {**rule["labels"], **extra}
    annotations = {k: render(v, labels, value) for k, v in rule["annotations"].items()}
    return {"exp_labels": labels, "exp_annotations": annotations}


def unit_tests() -> list[dict[str, Any]]:
    tests: list[dict[str, Any]] = []
    for case, (firing, silent, at, alerts, value) in CASES.items():
        alert = case.split("[")[0]
        for series, exp in ((firing, [expected(alert, a, value) for a in alerts]), (silent, [])):
            tests.append(
                {
                    "name": f"{case} {'fires' if exp else 'stays silent'}",
                    "interval": "1m",
                    "input_series": series,
                    "alert_rule_test": [{"eval_time": at, "alertname": alert, "exp_alerts": exp}],
                }
            )
    return tests


def test_healthy_long_generations_raise_no_llm_alert(tmp_path: Path) -> None:
    """Requests of 5-20 s end to end (long answers) with fast first tokens and steady streaming are
    healthy: no alert of the vLLM endpoint may fire on them (a p95 end-to-end alert did)."""
    (tmp_path / "rules.yml").write_text(yaml.safe_dump({"groups": GROUPS}, sort_keys=False))
    llm_alerts = sorted({r["alert"] for r in RULES if r["labels"].get("endpoint") == "llm"})
    assert {"EndpointTimeToFirstTokenHigh", "EndpointInterTokenLatencyHigh"} <= set(llm_alerts)
    series = [*llm_traffic(HEALTHY_TTFT, HEALTHY_ITL), *up(1)]
    test = {
        "name": "healthy long generations",
        "interval": "1m",
        "input_series": series,
        "alert_rule_test": [{"eval_time": "25m", "alertname": a, "exp_alerts": []} for a in llm_alerts],
    }
    (tmp_path / "tests.yml").write_text(
        yaml.safe_dump({"rule_files": ["rules.yml"], "evaluation_interval": "1m", "tests": [test]}, sort_keys=False)
    )
    result = tool(PROMTOOL, "test", "rules", str(tmp_path / "tests.yml"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_has_a_firing_and_a_silent_case() -> None:
    assert {r["alert"] for r in RULES} == {case.split("[")[0] for case in CASES}
    for rule in RULES:
        assert rule["labels"]["severity"] in {"critical", "warning", "info"}
        assert {"summary", "description", "runbook"} <= set(rule["annotations"])


def test_promtool_rule_unit_tests(tmp_path: Path) -> None:
    (tmp_path / "rules.yml").write_text(yaml.safe_dump({"groups": GROUPS}, sort_keys=False))
    (tmp_path / "tests.yml").write_text(
        yaml.safe_dump(
            {"rule_files": ["rules.yml"], "evaluation_interval": "1m", "tests": unit_tests()}, sort_keys=False
        )
    )
    result = tool(PROMTOOL, "test", "rules", str(tmp_path / "tests.yml"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout + result.stderr


def test_promtool_catches_a_wrong_expectation(tmp_path: Path) -> None:
    (tmp_path / "rules.yml").write_text(yaml.safe_dump({"groups": GROUPS}, sort_keys=False))
    wrong = unit_tests()[:1]
    wrong[0]["alert_rule_test"][0]["exp_alerts"] = []
    (tmp_path / "tests.yml").write_text(yaml.safe_dump({"rule_files": ["rules.yml"], "tests": wrong}, sort_keys=False))
    assert tool(PROMTOOL, "test", "rules", str(tmp_path / "tests.yml")).returncode != 0


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_plan_rule_groups_pass_promtool_check(stack: str, tmp_path: Path) -> None:
    groups = [
        group
        for obj in manifests(stack_recording(stack).resources).values()
        if obj["kind"] == "PrometheusRule"
        for group in obj["spec"]["groups"]
    ]
    assert {g["name"] for g in groups} >= {"gpu-health", "platform"}
    path = tmp_path / "rules.yml"
    path.write_text(yaml.safe_dump({"groups": groups}, sort_keys=False))
    result = tool(PROMTOOL, "check", "rules", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


@pytest.mark.parametrize(
    "receivers",
    [
        Receivers("arn:aws:sns:us-east-1:123456789012:alerts"),
        Receivers("arn:aws:sns:us-east-1:123456789012:alerts", "eu-west-1", "#ml-alerts", pagerduty=True),
    ],
)
def test_alertmanager_config_passes_amtool(receivers: Receivers, tmp_path: Path) -> None:
    path = tmp_path / "alertmanager.yml"
    path.write_text(yaml.safe_dump(alertmanager_config(receivers), sort_keys=False))
    result = tool(AMTOOL, "check-config", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_amtool_rejects_a_broken_route(tmp_path: Path) -> None:
    config = alertmanager_config(Receivers("arn:aws:sns:us-east-1:123456789012:alerts"))
    config["route"]["receiver"] = "nobody"
    path = tmp_path / "alertmanager.yml"
    path.write_text(yaml.safe_dump(config))
    assert tool(AMTOOL, "check-config", str(path)).returncode != 0

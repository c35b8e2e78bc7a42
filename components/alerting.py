"""Alert rules, Alertmanager routing and Grafana dashboards, as plain data (pure functions).

:class:`~components.monitoring_stack.MonitoringStack` deploys them; the tests feed the very
same rule groups to ``promtool check rules`` / ``promtool test rules`` and the Alertmanager
configuration to ``amtool check-config``.
"""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NotRequired, TypedDict

from components.catalog import POOL_LABEL
from components.promql import label_matchers_problems, metric_name_problems
from components.runtimes import SloSignal, custom_latency_signal, runtime_spec

RUNBOOK = "README.md#alerts"
"""Where the alert table with the first thing to check lives (this package's README)."""
RECEIVER_SECRET = "alertmanager-receivers"
"""Kubernetes Secret holding webhook credentials, mounted into Alertmanager as files."""
SECRET_DIR = f"/etc/alertmanager/secrets/{RECEIVER_SECRET}"
BURN_WINDOWS = (("1h", "5m", 14.4, "critical"), ("6h", "30m", 6.0, "warning"))
"""Multi-window, multi-burn-rate pairs (Google SRE workbook): fast page, slow ticket."""


class EndpointAlerts(TypedDict):
    """What to alert on for one serving endpoint."""

    name: str
    """Endpoint (Service) name."""
    namespace: str
    """Its namespace."""
    runtime: str
    """``triton``, ``vllm`` or ``custom`` (picks the metric names)."""
    error_ratio: NotRequired[float]
    """Error ratio above which to warn (default 0.05)."""
    p95_latency_seconds: NotRequired[float]
    """p95 request latency above which to warn (default 2 s): Triton and custom. For generation
    (vLLM) end-to-end time grows with every token, so its signals are TTFT and inter-token latency."""
    slo_seconds: NotRequired[Mapping[str, float]]
    """p95 thresholds by SLO signal (:attr:`components.runtimes.RuntimeSpec.slo_signals`:
    ``ttft``, ``itl``, ``latency``, ``queue``), over the runtime's defaults."""
    availability_objective: NotRequired[float]
    """Availability SLO for burn-rate alerts (default 0.995)."""
    requests_metric: NotRequired[str]
    """custom: request counter (default ``http_requests_total``)."""
    error_selector: NotRequired[str]
    """custom: label matcher selecting failed requests (default ``status=~"5.."``)."""
    latency_histogram: NotRequired[str]
    """custom: latency histogram in seconds (default ``http_request_duration_seconds``)."""
    canary: NotRequired[bool]
    """Served by an Argo Rollout (:mod:`components.delivery`): its zero-replica check reads the
    Rollout's desired replicas, and the stack alerts on aborted rollouts."""
    pod_matchers: NotRequired[str]
    """More label matchers narrowing every query to some of its pods (a canary's analysis)."""


def endpoint_alert_problems(endpoint: EndpointAlerts) -> list[str]:
    """The PromQL a custom endpoint brings (its metric names and error matchers), parsed: each
    is pasted into rules and dashboards, where an injection would change what an alert means."""
    problems: list[str] = []
    for key, problems_of in (
        ("requests_metric", metric_name_problems),
        ("latency_histogram", metric_name_problems),
        ("error_selector", label_matchers_problems),
    ):
        value = endpoint.get(key)
        if isinstance(value, str):
            problems += [f"endpoint {endpoint['name']}: {key} {value!r} {p}" for p in problems_of(value)]
    return problems


class PoolAlerts(TypedDict):
    """A GPU pool whose size to watch."""

    name: str
    """Pool name (node label ``mlops-platform/pool``)."""
    max_size: int
    """Its maximum size."""


@dataclass(frozen=True)
class Receivers:
    """Where alerts go."""

    sns_topic_arn: str | None = None
    """SNS topic (Alertmanager signs with its IRSA role)."""
    region: str = "us-east-1"
    slack_channel: str | None = None
    """Slack channel; the webhook URL is read from the receivers Secret."""
    pagerduty: bool = False
    """Page critical alerts through PagerDuty; the routing key is read from the receivers Secret."""


def _alert(
    name: str,
    expr: str,
    duration: str,
    severity: str,
    summary: str,
    description: str,
    hint: str,
    labels: dict[str, str] | None = None,
) -> dict[str, Any]:
    """One alerting rule with severity, summary, description and a runbook hint."""
    return {
        "alert": name,
        "expr": expr,
        "for": duration,
        "labels": {"severity": severity, **(labels or {})},
        "annotations": {
            "summary": summary,
            "description": description,
            "runbook": hint,
            "runbook_url": RUNBOOK,
        },
    }


def _selector(endpoint: EndpointAlerts) -> str:
    pods = endpoint.get("pod_matchers")
    return f'namespace="{endpoint["namespace"]}", service="{endpoint["name"]}"' + (f", {pods}" if pods else "")


def _counters(endpoint: EndpointAlerts, window: str) -> tuple[str, str]:
    """(failed, all) request rates over ``window``, from the runtime's own metrics."""
    sel = _selector(endpoint)
    runtime = endpoint["runtime"]
    if runtime == "triton":
        failed = f"sum(rate(nv_inference_request_failure{{{sel}}}[{window}]))"
        ok = f"sum(rate(nv_inference_request_success{{{sel}}}[{window}]))"
        return failed, f"({ok} + {failed})"
    # vLLM's OpenAI server counts HTTP requests by status class (prometheus-fastapi-instrumentator).
    metric = "http_requests_total" if runtime == "vllm" else endpoint.get("requests_metric", "http_requests_total")
    errors = 'status="5xx"' if runtime == "vllm" else endpoint.get("error_selector", 'status=~"5.."')
    return f"sum(rate({metric}{{{sel}, {errors}}}[{window}]))", f"sum(rate({metric}{{{sel}}}[{window}]))"


def request_rate_expr(endpoint: EndpointAlerts, window: str = "5m") -> str:
    """PromQL: requests per second."""
    return _counters(endpoint, window)[1]


def error_ratio_expr(endpoint: EndpointAlerts, window: str) -> str:
    """PromQL: failed / all requests over ``window``."""
    failed, total = _counters(endpoint, window)
    return f"{failed} / {total}"


def slo_signals(endpoint: EndpointAlerts) -> tuple[SloSignal, ...]:
    """The latency signals of the endpoint's runtime (custom: its latency histogram)."""
    if endpoint["runtime"] == "custom":
        return (custom_latency_signal(endpoint.get("latency_histogram", "http_request_duration_seconds")),)
    return runtime_spec(endpoint["runtime"]).slo_signals


def p95_expr(endpoint: EndpointAlerts, signal: SloSignal) -> str:
    """PromQL: the p95 of a signal in seconds (a histogram's quantile, or a summary's 0.95)."""
    sel = _selector(endpoint)
    metric = signal.metric
    scale = "" if metric.unit_scale == 1 else f" * {metric.unit_scale:g}"
    if metric.type == "summary":
        return f'max({metric.name}{{{sel}, quantile="0.95"}}){scale}'
    return f"histogram_quantile(0.95, sum by (le) (rate({metric.name}_bucket{{{sel}}}[5m]))){scale}"


def slo_threshold(endpoint: EndpointAlerts, signal: SloSignal) -> float:
    """The p95 threshold of a signal: the endpoint's override, else the runtime's default."""
    default = signal.threshold_seconds
    if signal.name == "latency":
        default = endpoint.get("p95_latency_seconds", default)
    return endpoint.get("slo_seconds", {}).get(signal.name, default)


def endpoint_rules(endpoint: EndpointAlerts, burn_rate: bool) -> dict[str, Any]:
    """The rule group of one endpoint: down, error ratio, p95 latency, and burn rate in prod."""
    name, namespace = endpoint["name"], endpoint["namespace"]
    sel = _selector(endpoint)
    labels = {"endpoint": name}
    ratio = endpoint.get("error_ratio", 0.05)
    # kube-state-metrics knows no Rollout: the Argo Rollouts controller reports its desired replicas.
    desired = (
        f'rollout_info_replicas_desired{{exported_namespace="{namespace}", name="{name}"}}'
        if endpoint.get("canary", False)
        else f'kube_deployment_spec_replicas{{namespace="{namespace}", deployment="{name}"}}'
    )
    rules = [
        _alert(
            "EndpointDown",
            # Not while the workload asks for no pod (a model not yet published, or scaled to zero).
            f"(max by (namespace, service) (up{{{sel}}}) == 0 or absent(up{{{sel}}})) unless on () ({desired} == 0)",
            "5m",
            "critical",
            f"Endpoint {namespace}/{name} has no instance up",
            f"No pod of {name} has answered a metrics scrape for 5 minutes.",
            f"kubectl -n {namespace} get pods -l app.kubernetes.io/name={name}; check events and GPU scheduling",
            labels,
        ),
        _alert(
            "EndpointErrorRatioHigh",
            f"({error_ratio_expr(endpoint, '5m')}) > {ratio}",
            "10m",
            "warning",
            f"Endpoint {namespace}/{name} fails more than {ratio:.0%} of requests",
            "The error ratio over 5 minutes has stayed above the threshold for 10 minutes.",
            f"kubectl -n {namespace} logs deploy/{name}; look for model load or OOM errors",
            labels,
        ),
    ]
    for signal in slo_signals(endpoint):
        threshold = slo_threshold(endpoint, signal)
        rules.append(
            _alert(
                signal.alert,
                f"({p95_expr(endpoint, signal)}) > {threshold:g}",
                "10m",
                "warning",
                f"Endpoint {namespace}/{name} p95 {signal.title} above {threshold:g}s",
                f"The p95 {signal.title} ({signal.metric.name}) has stayed above the threshold for 10 minutes.",
                "Check GPU utilization, queue length and KV cache usage; scale out (maxReplicas) or batch less",
                labels,
            )
        )
    if burn_rate:
        budget = 1 - endpoint.get("availability_objective", 0.995)
        for long, short, factor, severity in BURN_WINDOWS:
            rules.append(
                _alert(
                    "EndpointErrorBudgetBurn",
                    f"({error_ratio_expr(endpoint, long)}) > {factor * budget:.6g} "
                    f"and ({error_ratio_expr(endpoint, short)}) > {factor * budget:.6g}",
                    "2m",
                    severity,
                    f"Endpoint {namespace}/{name} burns its error budget {factor}x too fast",
                    f"Errors over {long} and {short} exceed {factor}x the budget of the "
                    f"{1 - budget:.4g} availability objective.",
                    "Roll back the last model or image change; check the error ratio dashboard",
                    {**labels, "window": long},
                )
            )
    return {"name": f"endpoint-{name}", "rules": rules}


def gpu_rules() -> dict[str, Any]:
    """GPU health from DCGM exporter metrics."""
    return {
        "name": "gpu-health",
        "rules": [
            _alert(
                "GpuXidError",
                "max by (Hostname, gpu) (DCGM_FI_DEV_XID_ERRORS) > 0",
                "0m",
                "critical",
                "GPU {{ $labels.gpu }} on {{ $labels.Hostname }} reported an XID error",
                "XID {{ $value }}: a driver or hardware fault; workloads on it may be failing.",
                "Cordon and drain the node, let the autoscaler replace it; see NVIDIA's XID table",
            ),
            _alert(
                "GpuDoubleBitEccErrors",
                "max by (Hostname, gpu) (increase(DCGM_FI_DEV_ECC_DBE_VOL_TOTAL[10m])) > 0",
                "0m",
                "critical",
                "GPU {{ $labels.gpu }} on {{ $labels.Hostname }} has uncorrectable memory errors",
                "Double-bit ECC errors corrupt results; the GPU must be retired.",
                "Cordon and drain the node; terminate the instance so EC2 replaces the hardware",
            ),
            _alert(
                "GpuTemperatureHigh",
                "max by (Hostname, gpu) (DCGM_FI_DEV_GPU_TEMP) > 85",
                "10m",
                "warning",
                "GPU {{ $labels.gpu }} on {{ $labels.Hostname }} runs at {{ $value }}°C",
                "Above 85°C the GPU throttles its clocks and inference slows down.",
                "Check the instance's health in EC2; replace the node if it persists",
            ),
            _alert(
                "GpuMemoryNearlyFull",
                "max by (Hostname, gpu) (DCGM_FI_DEV_FB_USED / (DCGM_FI_DEV_FB_USED + DCGM_FI_DEV_FB_FREE)) > 0.95",
                "15m",
                "warning",
                "GPU {{ $labels.gpu }} on {{ $labels.Hostname }} memory is over 95% used",
                "The next larger batch or sequence may fail with out-of-memory.",
                "Lower max batch size / max model length, or move to a larger GPU pool",
            ),
            _alert(
                "GpuIdle",
                "max by (Hostname, gpu) (avg_over_time(DCGM_FI_DEV_GPU_UTIL[1h])) < 10",
                "1h",
                "info",
                "GPU {{ $labels.gpu }} on {{ $labels.Hostname }} under 10% busy for an hour",
                "An idle GPU still costs its full hourly price.",
                "Lower the pool's minSize or the endpoint's replicas; let the pool scale to zero",
            ),
        ],
    }


def platform_rules(pools: Sequence[PoolAlerts], serving_namespaces: Sequence[str]) -> dict[str, Any]:
    """Scheduling and capacity: Pending GPU pods, crash loops, pools at their maximum."""
    namespaces = "|".join(sorted(set(serving_namespaces))) or "serving"
    rules = [
        _alert(
            "GpuPodPending",
            'max by (namespace, pod) (kube_pod_status_phase{phase="Pending"}) '
            "* on (namespace, pod) group_left() "
            'max by (namespace, pod) (kube_pod_container_resource_requests{resource="nvidia_com_gpu"}) > 0',
            "10m",
            "warning",
            "GPU pod {{ $labels.namespace }}/{{ $labels.pod }} Pending for 10 minutes",
            "It cannot be scheduled: taints, selector, device plugin or pool size.",
            "kubectl describe pod; see the README's 'GPU pods Pending?' table",
        ),
        _alert(
            "ServingPodCrashLooping",
            f'max by (namespace, pod) (kube_pod_container_status_waiting_reason{{namespace=~"{namespaces}", '
            'reason="CrashLoopBackOff"}) > 0',
            "15m",
            "critical",
            "Serving pod {{ $labels.namespace }}/{{ $labels.pod }} is crash-looping",
            "The model server restarts repeatedly and serves nothing.",
            "kubectl logs --previous; check the model path, GPU memory and the image",
        ),
    ]
    for pool in pools:
        rules.append(
            _alert(
                "GpuPoolAtMaxSize",
                f'count(kube_node_labels{{label_{_label_name(POOL_LABEL)}="{pool["name"]}"}}) >= {pool["max_size"]}',
                "30m",
                "warning",
                f"GPU pool {pool['name']} has run at its maximum of {pool['max_size']} nodes for 30 minutes",
                "New GPU pods will stay Pending until nodes free up.",
                "Raise the pool's maxSize (and the account's EC2 vCPU quota) if the demand is real",
                {"pool": pool["name"]},
            )
        )
    return {"name": "platform", "rules": rules}


def registry_rules(namespace: str, service: str) -> dict[str, Any]:
    """The model registry's server: down, and the share of its requests failing. ``service`` is
    the metrics Service; its sidecar fails the scrape while the server's /health fails, so ``up``
    is the server's. The metric names are those of the pinned MLflow (``mlflow.server.
    prometheus_exporter``: prometheus_flask_exporter's defaults with the prefix ``mlflow``)."""
    job = f'namespace="{namespace}", service="{service}"'
    return {
        "name": "model-registry",
        "rules": [
            _alert(
                "ModelRegistryDown",
                f"max by (namespace) (up{{{job}}}) < 1 or absent(up{{{job}}})",
                "5m",
                "critical",
                "The MLflow model registry in {{ $labels.namespace }} is down",
                "No server answers its scrape: runs cannot be logged and endpoints resolving registered models "
                "cannot start.",
                "kubectl -n mlflow logs deploy/mlflow -c server (and -c db-credentials, -c metrics); "
                "check the RDS instance",
            ),
            _alert(
                "ModelRegistryErrorRatioHigh",
                f'sum(rate(mlflow_http_request_total{{{job}, status=~"5.."}}[10m])) '
                f"/ sum(rate(mlflow_http_request_total{{{job}}}[10m])) > 0.05",
                "10m",
                "warning",
                "Over 5% of model registry requests fail",
                "The server answers 5xx: usually its database (connections, storage) or the artifact bucket.",
                "Check the RDS alarms and the server logs; S3 access goes through its IRSA role",
            ),
        ],
    }


def _label_name(label: str) -> str:
    """kube-state-metrics exposes node label ``a/b-c`` as ``label_a_b_c``."""
    return "".join(c if c.isalnum() else "_" for c in label)


def rule_groups(
    endpoints: Sequence[EndpointAlerts], pools: Sequence[PoolAlerts], burn_rate: bool
) -> list[dict[str, Any]]:
    """Every rule group: one per endpoint, GPU health, platform."""
    groups = [endpoint_rules(e, burn_rate) for e in endpoints]
    groups.append(gpu_rules())
    groups.append(platform_rules(pools, [e["namespace"] for e in endpoints]))
    if any_canaried(endpoints):
        groups.append(delivery_rules())
    return groups


def any_canaried(endpoints: Sequence[EndpointAlerts]) -> bool:
    """Whether any endpoint is served through an Argo Rollouts canary. Then the cluster runs Argo
    Rollouts, monitoring admits its controller to Prometheus, and the delivery alerts apply."""
    return any(e.get("canary", False) for e in endpoints)


def delivery_rules() -> dict[str, Any]:
    """Alerts from the Argo Rollouts controller's own metrics (``controller/metrics/rollouts.go``:
    ``rollout_info{namespace, name, strategy, traffic_router, phase}``, phase ``Abort`` after an
    analysis failure or an abort by hand, ``Timeout`` past ``progressDeadlineSeconds``). The
    controller's ServiceMonitor scrapes it without ``honorLabels``, so Prometheus keeps the target's
    ``namespace`` (the controller's) and renames the Rollout's to ``exported_namespace``."""
    return {
        "name": "delivery",
        "rules": [
            _alert(
                "RolloutAborted",
                'max by (exported_namespace, name) (rollout_info{phase=~"Abort|Timeout"}) == 1',
                "1m",
                "warning",
                "Rollout {{ $labels.exported_namespace }}/{{ $labels.name }} was aborted: the stable version serves",
                "The canary failed its analysis, missed its progress deadline or was aborted by hand; Argo Rollouts "
                "scaled it away and every request goes to the stable pods again.",
                "kubectl argo rollouts get rollout {{ $labels.name }} -n {{ $labels.exported_namespace }}; "
                "revert the version pin (or fix and retry: kubectl argo rollouts retry rollout)",
            ),
        ],
    }


def alertmanager_config(receivers: Receivers) -> dict[str, Any]:
    """Routes by severity to the configured receivers; criticals inhibit matching warnings.

    Webhook credentials are never in the configuration: Slack's URL and PagerDuty's key are
    files mounted from the receivers Secret.
    """
    targets: dict[str, dict[str, Any]] = {}
    if receivers.sns_topic_arn:
        targets["sns"] = {
            "sns_configs": [
                {
                    "topic_arn": receivers.sns_topic_arn,
                    "sigv4": {"region": receivers.region},
                    "subject": "{{ .CommonLabels.severity }}: {{ .CommonLabels.alertname }}",
                }
            ]
        }
    if receivers.slack_channel:
        targets["slack"] = {
            "slack_configs": [
                {
                    "api_url_file": f"{SECRET_DIR}/slack-webhook-url",
                    "channel": receivers.slack_channel,
                    "send_resolved": True,
                    "title": "{{ .CommonLabels.severity }}: {{ .CommonLabels.alertname }}",
                    "text": "{{ range .Alerts }}{{ .Annotations.summary }}\n{{ end }}",
                }
            ]
        }
    if receivers.pagerduty:
        targets["pagerduty"] = {
            "pagerduty_configs": [{"routing_key_file": f"{SECRET_DIR}/pagerduty-routing-key", "send_resolved": True}]
        }

    def receiver(name: str, kinds: Sequence[str]) -> dict[str, Any]:
        merged: dict[str, Any] = {"name": name}
        for kind in kinds:
            merged.update(targets.get(kind, {}))
        return merged

    critical = ["pagerduty", "sns", "slack"] if receivers.pagerduty else ["sns", "slack"]
    return {
        "route": {
            "receiver": "default",
            "group_by": ["alertname", "namespace"],
            "group_wait": "30s",
            "group_interval": "5m",
            "repeat_interval": "4h",
            "routes": [
                {"matchers": ['alertname="Watchdog"'], "receiver": "null"},
                {"matchers": ['severity="critical"'], "receiver": "critical", "repeat_interval": "1h"},
                {"matchers": ['severity="warning"'], "receiver": "warning"},
                {"matchers": ['severity=~"info|none"'], "receiver": "null"},
            ],
        },
        "inhibit_rules": [
            {
                "source_matchers": ['severity="critical"'],
                "target_matchers": ['severity="warning"'],
                "equal": ["namespace", "alertname"],
            }
        ],
        "receivers": [
            {"name": "null"},
            receiver("default", ["sns", "slack"]),
            receiver("critical", critical),
            receiver("warning", ["sns", "slack"]),
        ],
    }


def ref_id(index: int) -> str:
    """Grafana's query letters: A..Z, then AA, AB, ... (spreadsheet columns), for any number of endpoints."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _panel(title: str, exprs: dict[str, str], unit: str, position: int) -> dict[str, Any]:
    return {
        "id": position + 1,
        "type": "timeseries",
        "title": title,
        "gridPos": {"h": 8, "w": 12, "x": 12 * (position % 2), "y": 8 * (position // 2)},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "targets": [
            {"refId": ref_id(i), "expr": expr, "legendFormat": legend} for i, (legend, expr) in enumerate(exprs.items())
        ],
    }


def _dashboard(uid: str, title: str, panels: list[dict[str, Any]]) -> str:
    return json.dumps(
        {
            "uid": uid,
            "title": title,
            "tags": ["mlops-platform"],
            "timezone": "browser",
            "schemaVersion": 39,
            "refresh": "30s",
            "time": {"from": "now-6h", "to": "now"},
            "panels": panels,
        },
        indent=2,
    )


def gpu_fleet_dashboard() -> str:
    """Grafana dashboard: utilization, memory, temperature and XID errors per GPU."""
    per_gpu = "{{Hostname}} GPU {{gpu}}"
    return _dashboard(
        "mlops-gpu-fleet",
        "GPU fleet",
        [
            _panel("Utilization", {per_gpu: "DCGM_FI_DEV_GPU_UTIL"}, "percent", 0),
            _panel(
                "Memory used",
                {per_gpu: "DCGM_FI_DEV_FB_USED / (DCGM_FI_DEV_FB_USED + DCGM_FI_DEV_FB_FREE)"},
                "percentunit",
                1,
            ),
            _panel("Temperature", {per_gpu: "DCGM_FI_DEV_GPU_TEMP"}, "celsius", 2),
            _panel("XID errors", {per_gpu: "DCGM_FI_DEV_XID_ERRORS"}, "none", 3),
        ],
    )


def serving_dashboard(endpoints: Sequence[EndpointAlerts]) -> str:
    """Grafana dashboard: request rate, error ratio and p95 latency per endpoint."""
    rates: dict[str, str] = {}
    errors: dict[str, str] = {}
    latency: dict[str, str] = {}
    for endpoint in endpoints:
        name = endpoint["name"]
        rates[name] = request_rate_expr(endpoint)
        errors[name] = error_ratio_expr(endpoint, "5m")
        for signal in slo_signals(endpoint):
            latency[f"{name} p95 {signal.title}"] = p95_expr(endpoint, signal)
    return _dashboard(
        "mlops-serving",
        "Serving endpoints",
        [
            _panel("Requests per second", rates, "reqps", 0),
            _panel("Error ratio", errors, "percentunit", 1),
            _panel("Latency p95 (SLO signals)", latency, "s", 2),
        ],
    )

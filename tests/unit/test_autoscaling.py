"""What an endpoint may autoscale on: the runtimes' metric catalogue, read again from the pinned
releases' own sources, and the shapes and types ``autoscaling_metric`` accepts (table tests, no mocks)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from components.autoscaling import autoscaling_metric_problems, keda_trigger
from components.errors import ConfigError
from components.model_serving_endpoint import scaled_object_spec, validate_endpoint
from infra.config import load_platform_config
from tests.unit.test_config import BASE
from tests.unit.test_runtimes import endpoint, vllm_metric_types

pytestmark = pytest.mark.unit

ROOT = Path(__file__).parents[2]
CATALOGUE = json.loads((ROOT / "components/data/metric_catalogue.json").read_text())
TRITON_CORE = ROOT / "tests/vendor/triton-v2.71.0/core/metrics.cc"


def test_the_triton_catalogue_is_every_family_the_pinned_core_builds() -> None:
    """prometheus-cpp's builders name each family and fix its type; Triton exposes counters as named."""
    built = re.findall(
        r'prometheus::Build(Counter|Gauge|Histogram|Summary)\(\)\s*\.Name\("([a-z_:]+)"\)', TRITON_CORE.read_text()
    )
    assert len(built) == 34
    assert CATALOGUE["triton"]["metrics"] == {name: kind.lower() for kind, name in built}
    assert "core/metrics.cc" in (TRITON_CORE.parents[1] / "SOURCE.md").read_text()


def test_the_vllm_catalogue_is_every_family_the_pinned_loggers_declare() -> None:
    """prometheus_client exposes a counter ``vllm:x`` as ``vllm:x_total``: the catalogue keeps the
    name a query uses; the HTTP families come from the instrumentator vLLM attaches."""
    declared = {name + ("_total" if kind == "counter" else ""): kind for name, kind in vllm_metric_types().items()}
    http = {
        "http_requests_total": "counter",
        "http_request_size_bytes": "summary",
        "http_response_size_bytes": "summary",
        "http_request_duration_highr_seconds": "histogram",
        "http_request_duration_seconds": "histogram",
    }
    assert CATALOGUE["vllm"]["metrics"] == {**declared, **http}
    assert (
        "Instrumentator("
        in (ROOT / "tests/vendor/vllm-0.33.0/vllm/entrypoints/serve/instrumentator/metrics.py").read_text()
    )


CUSTOM = {"http_requests_total": "counter", "http_request_duration_seconds": "histogram", "queue_depth": "gauge"}


@pytest.mark.parametrize(
    ("runtime", "expression"),
    [
        ("vllm", "vllm:num_requests_waiting"),
        ("vllm", "rate(http_requests_total[2m])"),
        ("vllm", "histogram_quantile(0.95, rate(vllm:e2e_request_latency_seconds_bucket[2m]))"),
        ("vllm", "rate(vllm:e2e_request_latency_seconds_count[5m])"),
        ("triton", "nv_inference_pending_request_count"),
        ("triton", "nv_gpu_utilization"),
        ("triton", "rate(nv_inference_request_success[1m])"),
        ("triton", "rate(nv_inference_request_summary_us_count[2m])"),
        ("custom", "rate(http_requests_total[2m])"),
        ("custom", "queue_depth"),
        ("custom", "histogram_quantile(0.99, rate(http_request_duration_seconds_bucket[3m]))"),
    ],
)
def test_each_signal_of_the_right_type_is_accepted(runtime: str, expression: str) -> None:
    assert autoscaling_metric_problems(runtime, expression, CUSTOM) == []


@pytest.mark.parametrize(
    ("runtime", "expression", "fix"),
    [
        (
            "custom",
            "http_requests_total",
            "'http_requests_total' is a counter (it only grows): autoscale on its rate "
            "(autoscaling_metric: rate(http_requests_total[2m]))",
        ),
        (
            "triton",
            "nv_inference_request_success",
            "autoscale on its rate (autoscaling_metric: rate(nv_inference_request_success[2m]))",
        ),
        ("vllm", "vllm:request_success", "exposed as the counter vllm:request_success_total: autoscale on its rate"),
        (
            "vllm",
            "rate(vllm:num_requests_waiting[2m])",
            "is a gauge, not a counter: rate() of it means nothing; "
            "autoscale on it directly (autoscaling_metric: vllm:num_requests_waiting)",
        ),
        (
            "vllm",
            "vllm:time_to_first_token_seconds",
            "is a histogram: autoscale on a quantile (autoscaling_metric: "
            "histogram_quantile(0.95, rate(vllm:time_to_first_token_seconds_bucket[2m])))",
        ),
        ("triton", "nv_inference_queue_summary_us", "is a summary: its quantiles cannot be combined over pods"),
        (
            "triton",
            "histogram_quantile(0.95, rate(nv_inference_count_bucket[2m]))",
            "histogram_quantile needs a histogram; 'nv_inference_count' is a counter",
        ),
        (
            "vllm",
            "vllm:num_requests_queued",
            "is not a metric the vllm runtime exports (gauges: vllm:engine_sleep_state",
        ),
        (
            "custom",
            "inflight",
            "'inflight' has no declared type: a custom image says what it exports "
            "(metric_types: {inflight: counter|gauge|histogram|summary})",
        ),
        ("vllm", "rate(http_requests_total[15s])", "rate window must be 1m to 1h (two 30 s scrapes at least; got 15s)"),
        ("vllm", 'rate(http_requests_total{status="2xx"}[2m])', "takes no label matchers"),
        ("vllm", "rate(http_requests_total[2m] offset 5m)", "takes no offset or @ modifier"),
        ("vllm", "sum(vllm:num_requests_waiting)", "(PromQL reads it as AggregateExpr)"),
        ("vllm", "vllm:num_requests_waiting) or vector(1", "PromQL cannot parse it"),
        ("vllm", "vllm:num_requests_waiting or vector(99)", "PromQL reads it as BinaryExpr"),
        ("vllm", "histogram_quantile(1.5, rate(http_request_duration_seconds_bucket[2m]))", "between 0 and 1"),
    ],
)
def test_a_signal_of_the_wrong_type_is_refused_with_the_fix(runtime: str, expression: str, fix: str) -> None:
    [problem] = autoscaling_metric_problems(runtime, expression, CUSTOM)
    assert fix in problem, problem


def test_the_component_refuses_a_counter_as_a_gauge_and_takes_its_declared_types() -> None:
    base: dict[str, Any] = {"max_replicas": 3, "image": "registry.example/scorer:1.0"}
    [problem] = validate_endpoint(endpoint("custom", autoscaling_metric="http_requests_total", **base))
    assert problem.startswith("autoscaling_metric: 'http_requests_total' is a counter")
    assert validate_endpoint(endpoint("custom", autoscaling_metric="rate(http_requests_total[2m])", **base)) == []
    inflight = {"autoscaling_metric": "inflight", **base}
    assert "has no declared type" in validate_endpoint(endpoint("custom", **inflight))[0]
    assert validate_endpoint(endpoint("custom", metric_types={"inflight": "gauge"}, **inflight)) == []
    wrong = validate_endpoint(endpoint("custom", metric_types={"inflight": "meter"}, **inflight))
    assert wrong[-1] == "metric_types 'inflight' must be one of counter, gauge, histogram, summary (got 'meter')"
    [catalogued] = validate_endpoint(endpoint("vllm", metric_types={"x": "gauge"}))
    assert catalogued.startswith("metric_types is for the custom runtime only")


def test_the_scaled_object_queries_each_shape_as_it_means() -> None:
    def trigger(runtime: str, metric: str) -> dict[str, Any]:
        args = endpoint(runtime, autoscaling_metric=metric, max_replicas=4, image="r.example/s:1")
        return scaled_object_spec("scorer", "fraud", args)["triggers"][0]

    rate = trigger("custom", "rate(http_requests_total[2m])")
    assert rate["metricType"] == "AverageValue"
    assert rate["metadata"]["query"] == 'sum(rate(http_requests_total{namespace="fraud",service="scorer"}[2m]))'
    gauge = trigger("vllm", "vllm:num_requests_waiting")
    assert (gauge["metricType"], gauge["metadata"]["query"]) == (
        "AverageValue",
        'sum(vllm:num_requests_waiting{namespace="fraud",service="scorer"})',
    )
    latency = trigger("vllm", "histogram_quantile(0.9, rate(vllm:e2e_request_latency_seconds_bucket[5m]))")
    assert latency["metricType"] == "Value"
    assert latency["metadata"]["query"] == (
        "histogram_quantile(0.9, sum by (le) "
        '(rate(vllm:e2e_request_latency_seconds_bucket{namespace="fraud",service="scorer"}[5m])))'
    )
    with pytest.raises(ValueError, match="autoscaling_metric 'up or vector"):
        keda_trigger("up or vector(1)", "")


def config_problems(change: dict[str, Any]) -> list[tuple[str, str]]:
    raw = json.loads(json.dumps(BASE))
    raw["endpoints"][0] |= {"maxReplicas": 4, "rollout": "replace", **change}
    with pytest.raises(ConfigError) as info:
        load_platform_config(raw, "Pulumi.prod.yaml")
    keys = ("platform.endpoints[0].autoscalingMetric", "platform.endpoints[0].metricTypes")
    return [(p.path, p.message) for p in info.value.problems if p.path.startswith(keys)]


def test_the_config_refuses_a_counter_as_a_gauge_naming_the_key_and_the_fix() -> None:
    custom = {"runtime": "custom", "image": "registry.example/scorer@sha256:" + "b" * 64, "modelPrefix": "models/s/"}
    assert config_problems({**custom, "autoscalingMetric": "http_requests_total"}) == [
        (
            "platform.endpoints[0].autoscalingMetric",
            "'http_requests_total' is a counter (it only grows): autoscale on its rate "
            "(autoscalingMetric: rate(http_requests_total[2m]))",
        )
    ]
    [(path, message)] = config_problems({**custom, "autoscalingMetric": "inflight"})
    assert path == "platform.endpoints[0].autoscalingMetric" and "(metricTypes: {inflight:" in message
    [(path, message)] = config_problems({"autoscalingMetric": "rate(nv_inference_pending_request_count[2m])"})
    assert "is a gauge, not a counter" in message
    [(path, message)] = config_problems({"metricTypes": {"x": "gauge"}})
    assert (path, message) == (
        "platform.endpoints[0].metricTypes",
        "only for runtime custom (triton's come from its catalogue)",
    )
    [(path, message)] = config_problems({**custom, "metricTypes": {"x": "meter"}})
    assert path == "platform.endpoints[0].metricTypes.x" and "counter" in message


def test_the_config_accepts_a_rate_and_a_declared_gauge() -> None:
    custom = {"runtime": "custom", "image": "registry.example/scorer@sha256:" + "b" * 64}
    for change in (
        {**custom, "autoscalingMetric": "rate(http_requests_total[2m])"},
        {**custom, "autoscalingMetric": "inflight", "metricTypes": {"inflight": "gauge"}},
        {"autoscalingMetric": "rate(nv_inference_request_success[2m])"},
    ):
        raw = json.loads(json.dumps(BASE))
        raw["environment"] = raw["tags"]["environment"] = "dev"  # dev: a custom image needs no copier registry
        raw["endpoints"][0] |= {"maxReplicas": 4, "rollout": "replace", **change}
        endpoint_config = load_platform_config(raw, "Pulumi.dev.yaml").endpoints[0]
        assert endpoint_config.autoscaling_metric == change["autoscalingMetric"]

"""The KEDA queries an endpoint emits, asked of a real Prometheus on synthetic series.

Each ScaledObject's trigger is built as the component builds it (:func:`scaled_object_spec`) and
taken from the prod plan (llm-chat); the series are what the runtimes export (a steady counter,
a gauge, a latency histogram, Triton's GPU utilisation) under the labels the endpoint's
ServiceMonitor gives them, written as OpenMetrics, turned into a TSDB block by
``promtool tsdb create-blocks-from openmetrics`` and served by Debian's ``prometheus``. Each
answer is read as KEDA's Prometheus scaler reads it (kedacore/keda ``pkg/scalers/prometheus_scaler.go``,
``ExecutePromQuery``, read in the stored code index at 0805d72e on 2026-12-08): an instant query
that must return at most one element, empty or NaN read as 0 (``ignoreNullValues``, default true).
"""

from __future__ import annotations

import json
import math
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from components.model_serving_endpoint import scaled_object_spec
from tests.unit.test_runtimes import endpoint
from tests.validators.prometheus_server import openmetrics_text, served
from tests.validators.test_custom_resources import errors

pytestmark = pytest.mark.validators

START = 1_700_000_000
SCRAPE = 30
MINUTES = 20
AT = START + 15 * 60
"""The instant KEDA asks (well after the first scrape)."""


def _labels(namespace: str, service: str, pod: int, **extra: str) -> str:
    labels = {"namespace": namespace, "service": service, "pod": f"{service}-5d8f7c-{pod}", **extra}
    return ",".join(f'{k}="{v}"' for k, v in labels.items())


def _series(name: str, labels: str, value_at: Any) -> list[str]:
    return [f"{name}{{{labels}}} {value_at(step)} {START + step * SCRAPE}" for step in range(MINUTES * 2 + 1)]


def openmetrics() -> str:
    lines: list[str] = []
    # The scorer: two pods answering 4 and 6 requests per second, steadily (10 req/s in all),
    # split over two status codes as a custom server's counter is.
    for pod, per_second in ((1, 4.0), (2, 6.0)):
        for code, share in (("200", 0.9), ("500", 0.1)):
            labels = _labels("fraud", "scorer", pod, code=code)
            lines += _series("http_requests_total", labels, lambda step, r=per_second * share: r * step * SCRAPE)
    # vLLM: 3 and 5 requests waiting.
    for pod, waiting in ((1, 3), (2, 5)):
        lines += _series(
            "vllm:num_requests_waiting",
            _labels("serving", "llm-chat", pod, model_name="llama"),
            lambda _s, w=waiting: w,
        )
    # vLLM's end-to-end latency: 2 req/s per pod, every request between 0.5 s and 1 s.
    for pod in (1, 2):
        for le in ("0.25", "0.5", "1.0", "2.5", "+Inf"):
            rate = 0.0 if le in ("0.25", "0.5") else 2.0
            labels = _labels("serving", "llm-chat", pod, model_name="llama", le=le)
            lines += _series("vllm:e2e_request_latency_seconds_bucket", labels, lambda step, r=rate: r * step * SCRAPE)
    # Triton: two pods' GPUs at 60 % and 80 %.
    for pod, used in ((1, 0.6), (2, 0.8)):
        labels = _labels("serving", "detector", pod, gpu_uuid=f"GPU-{pod}")
        lines += _series("nv_gpu_utilization", labels, lambda _s, u=used: u)
    # Another team's scorer with the same metric: never in our answer.
    lines += _series(
        "http_requests_total", _labels("other", "scorer", 1, code="200"), lambda step: 100.0 * step * SCRAPE
    )
    return openmetrics_text(lines)


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Debian's Prometheus serving the series on a free local port, stopped afterwards."""
    with served(openmetrics(), tmp_path_factory.mktemp("autoscaling")) as url:
        yield url


def keda_value(url: str, query: str, at: int = AT) -> float:
    """What KEDA's scaler reads: one element's value, 0 for none or NaN; more than one is its error."""
    params = urllib.parse.urlencode({"query": query, "time": str(at)})
    with urllib.request.urlopen(f"{url}/api/v1/query?{params}", timeout=10) as response:
        body = json.load(response)
    assert body["status"] == "success", body
    result = body["data"]["result"]
    assert len(result) <= 1, f"KEDA refuses a query returning {len(result)} elements: {query}"
    value = float(result[0]["value"][1]) if result else 0.0
    return 0.0 if math.isnan(value) or math.isinf(value) else value


def trigger(runtime: str, name: str, namespace: str, metric: str) -> dict[str, Any]:
    args = endpoint(runtime, autoscaling_metric=metric, max_replicas=8, namespace=namespace, image="r.example/s:1")
    [found] = scaled_object_spec(name, namespace, args)["triggers"]
    return found


def test_a_steady_request_rate_reads_as_that_rate_not_a_climbing_total(prometheus: str) -> None:
    scorer = trigger("custom", "scorer", "fraud", "rate(http_requests_total[2m])")
    query = scorer["metadata"]["query"]
    assert scorer["metricType"] == "AverageValue"
    now, later = keda_value(prometheus, query), keda_value(prometheus, query, AT + 240)
    assert now == pytest.approx(10.0) and later == pytest.approx(10.0)
    # What a counter used as a gauge would give (the query this change refuses): a total that only grows.
    total = 'sum(http_requests_total{namespace="fraud",service="scorer"})'
    assert keda_value(prometheus, total) == pytest.approx(10.0 * 15 * 60)
    assert keda_value(prometheus, total, AT + 240) > keda_value(prometheus, total)


def test_a_gauge_a_latency_quantile_and_gpu_utilisation_read_as_they_mean(prometheus: str) -> None:
    waiting = trigger("vllm", "llm-chat", "serving", "vllm:num_requests_waiting")
    assert (waiting["metricType"], keda_value(prometheus, waiting["metadata"]["query"])) == ("AverageValue", 8.0)
    latency = trigger(
        "vllm", "llm-chat", "serving", "histogram_quantile(0.95, rate(vllm:e2e_request_latency_seconds_bucket[2m]))"
    )
    # Prometheus interpolates inside the (0.5, 1.0] bucket every request fell in: 0.5 + 0.5 * 0.95.
    assert latency["metricType"] == "Value"
    assert keda_value(prometheus, latency["metadata"]["query"]) == pytest.approx(0.975)
    gpu = trigger("triton", "detector", "serving", "nv_gpu_utilization")
    # Summed over the pods, KEDA's AverageValue divides by the replicas: 0.7 per pod.
    assert keda_value(prometheus, gpu["metadata"]["query"]) == pytest.approx(1.4)


def test_prods_scaled_object_reads_the_queue_of_its_own_pods(prometheus: str, prod_plan: dict[str, Any]) -> None:
    [scaled] = [r for r in prod_plan["resources"] if r["type"] == "kubernetes:keda.sh/v1alpha1:ScaledObject"]
    [prod_trigger] = scaled["inputs"]["spec"]["triggers"]
    assert scaled["inputs"]["metadata"]["name"] == "llm-chat"
    assert prod_trigger["metricType"] == "AverageValue"
    assert keda_value(prometheus, prod_trigger["metadata"]["query"]) == 8.0


@pytest.mark.parametrize(
    ("runtime", "metric"),
    [
        ("custom", "rate(http_requests_total[2m])"),
        ("vllm", "vllm:num_requests_waiting"),
        ("vllm", "histogram_quantile(0.95, rate(vllm:e2e_request_latency_seconds_bucket[2m]))"),
    ],
)
def test_each_shapes_scaled_object_matches_the_pinned_keda_crd(runtime: str, metric: str) -> None:
    args = endpoint(runtime, autoscaling_metric=metric, max_replicas=8, image="r.example/s:1")
    scaled = {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "ScaledObject",
        "metadata": {"name": "scorer", "namespace": "fraud"},
        "spec": scaled_object_spec("scorer", "fraud", args),
    }
    assert errors(scaled) == []

"""The canary analysis of prod's endpoints, asked of a real Prometheus.

The AnalysisTemplates are taken exactly as the prod plan emits them (fraud-detector: Triton's
metrics, llm-chat: vLLM's). Series of a healthy canary, a failing one, a canary without traffic
and one not scraped yet, next to stable pods that fail, are written as OpenMetrics, turned into a
TSDB block by ``promtool tsdb create-blocks-from openmetrics`` and served by Debian's
``prometheus`` on 127.0.0.1. Each metric is then measured as the pinned Argo Rollouts release measures it
(:data:`components.pins.ARGO_ROLLOUTS_SOURCE`, read with fetch on 2026-12-07):

- ``utils/template/template.go`` ``ResolveArgs``: ``{{args.NAME}}`` (the tag trimmed of spaces)
  becomes the argument's value; an unresolved tag is an error;
- ``metricproviders/prometheus/prometheus.go``: an instant query (``Query(ctx, query, time.Now())``,
  here ``time=`` the measurement's instant); a vector becomes the list of its sample values,
  empty when nothing matched, NaN kept as NaN;
- ``utils/evaluate/evaluate.go`` ``EvaluateResult``: without a successCondition a measurement is
  Successful when the failureCondition is false, Failed when it is true, Error when it cannot be
  evaluated;
- ``analysis/analysis.go`` ``assessMetricFailureInconclusiveOrError``: the metric fails once
  ``failed > failureLimit``.

The conditions are expr-lang expressions (``github.com/antonmedv/expr`` v1.15.5 in the pinned release's go.mod):
its ``compiler/compiler.go`` compiles ``&&`` to ``OpJumpIfFalse`` (read in the stored code index,
2026-12-07), so ``len(result) > 0 && ...`` never indexes an empty result. The only shape the platform emits is the one
:data:`CONDITION` matches; :func:`failure_condition` evaluates that shape and nothing else, so a
template that emits another expression fails here instead of being judged by a guess.
"""

from __future__ import annotations

import json
import math
import re
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.validators.prometheus_server import openmetrics_text, served

pytestmark = pytest.mark.validators

START = 1_700_000_000
"""The canary pod's first scrape (any past instant: retention counts from the newest block)."""
SCRAPE = 30
"""The ServiceMonitor's interval (seconds), as the prod plan sets it."""
MINUTES = 12
CONDITION = re.compile(r"len\(result\) > 0 && !isNaN\(result\[0\]\) && result\[0\] > (?P<threshold>[0-9.e+-]+)")
"""Every failureCondition the platform emits: :func:`components.delivery.guarded` of one threshold."""
TEMPLATE_TAG = re.compile(r"\{\{(.*?)\}\}")

ROLLOUT_HASH_POD_LABEL = "rollouts-pod-template-hash"
"""The label the controller puts on every pod it creates (the pinned release's ``pkg/apis/rollouts/v1alpha1/types.go``
``DefaultRolloutUniqueLabelKey``), stable and canary pods differing only in its value."""
SERIES_HASH_LABEL = re.sub(r"[^a-zA-Z0-9_]", "_", ROLLOUT_HASH_POD_LABEL)
"""That label on the scraped series: prometheus-operator relabels each of a ServiceMonitor's
``podTargetLabels`` from ``__meta_kubernetes_pod_label_<sanitized>`` to ``sanitizeLabelName(l)``
(``pkg/prometheus/promcfg.go``, every character outside ``[a-zA-Z0-9_]`` becomes ``_``)."""

HEALTHY, FAILING, IDLE, UNSCRAPED, STABLE = "h3alth", "fa1l", "1dle", "n0scrape", "stab1e"
"""Pod-template hashes: the canary in each case, and the stable pods (which fail, to show the
queries read the canary's pods alone)."""


def resolve_args(text: str, args: dict[str, str]) -> str:
    """``ResolveArgs`` of Argo Rollouts: each ``{{ tag }}`` replaced by ``args.NAME``'s value."""

    def value(match: re.Match[str]) -> str:
        tag = match.group(1).strip()
        assert tag.startswith("args.") and tag[5:] in args, f"failed to resolve {{{{{tag}}}}}"
        return args[tag[5:]]

    return TEMPLATE_TAG.sub(value, text)


def failure_condition(condition: str, result: list[float]) -> bool:
    """The emitted expression, evaluated left to right with ``&&`` short-circuiting as expr does."""
    return len(result) > 0 and not math.isnan(result[0]) and result[0] > float(_threshold(condition))


def _threshold(condition: str) -> str:
    match = CONDITION.fullmatch(condition)
    assert match, f"a failureCondition this test cannot evaluate faithfully: {condition!r}"
    return match["threshold"]


def measure(url: str, metric: dict[str, Any], args: dict[str, str], at: int) -> str:
    """One measurement's phase (Successful / Failed), as the Prometheus provider takes it."""
    resolved = json.loads(resolve_args(json.dumps(metric), args))
    assert "successCondition" not in resolved, "this test judges failure conditions only"
    query = resolved["provider"]["prometheus"]["query"]
    assert resolved["provider"]["prometheus"]["address"] == args["prometheus"]
    params = urllib.parse.urlencode({"query": query, "time": str(at)})
    with urllib.request.urlopen(f"{url}/api/v1/query?{params}", timeout=10) as response:
        body = json.load(response)
    assert body["status"] == "success", body
    assert body["data"]["resultType"] == "vector", (query, body["data"])
    result = [float(sample["value"][1]) for sample in body["data"]["result"]]
    return "Failed" if failure_condition(resolved["failureCondition"], result) else "Successful"


def analysis_phase(url: str, metric: dict[str, Any], args: dict[str, str]) -> tuple[str, list[str]]:
    """The metric's measurements from its initialDelay on, every interval, and the phase they give."""
    delay, interval = (_seconds(metric[key]) for key in ("initialDelay", "interval"))
    phases = [measure(url, metric, args, at) for at in range(START + delay, START + MINUTES * 60 + 1, interval)]
    failed = phases.count("Failed")
    return ("Failed" if failed > metric["failureLimit"] else "Running"), phases


def _seconds(duration: str) -> int:
    return int(duration[:-1]) * {"s": 1, "m": 60}[duration[-1]]


# -- the series ------------------------------------------------------------------------------


def _labels(service: str, hash_: str, **extra: str) -> str:
    labels = {
        "namespace": "serving",
        "service": service,
        "pod": f"{service}-{hash_}-x7k2p",
        SERIES_HASH_LABEL: hash_,
        **extra,
    }
    return ",".join(f'{k}="{v}"' for k, v in labels.items())


def _samples(name: str, labels: str, value_at: Callable[[int], object]) -> list[str]:
    return [f"{name}{{{labels}}} {value_at(step)} {START + step * SCRAPE}" for step in range(MINUTES * 2 + 1)]


def _counter(name: str, labels: str, per_second: float) -> list[str]:
    return _samples(name, labels, lambda step: per_second * step * SCRAPE)


def _gauge(name: str, labels: str, value: float) -> list[str]:
    return _samples(name, labels, lambda _step: "NaN" if math.isnan(value) else value)


def triton(hash_: str, rps: float, error_ratio: float, p95_s: float, queue_p95_s: float) -> list[str]:
    """Triton's counters and latency summaries (microseconds; NaN quantiles with no requests)."""
    model = {"model": "fraud", "version": "7"}
    labels = _labels("fraud-detector", hash_, **model)
    return [
        *_counter("nv_inference_request_success", labels, rps * (1 - error_ratio)),
        *_counter(
            "nv_inference_request_failure", _labels("fraud-detector", hash_, reason="OTHER", **model), rps * error_ratio
        ),
        *_gauge("nv_inference_request_summary_us", f'{labels},quantile="0.95"', p95_s * 1e6),
        *_gauge("nv_inference_queue_summary_us", f'{labels},quantile="0.95"', queue_p95_s * 1e6),
    ]


VLLM_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def _histogram(name: str, labels: str, rps: float, p95_s: float) -> list[str]:
    """A histogram whose requests all fall in the first bucket at or above ``p95_s``."""
    lines: list[str] = []
    for le in (*VLLM_BUCKETS, math.inf):
        rate = rps if le >= p95_s else 0.0
        lines += _counter(f"{name}_bucket", f'{labels},le="{"+Inf" if le == math.inf else le}"', rate)
    return lines


def vllm(hash_: str, rps: float, error_ratio: float, ttft_s: float, itl_s: float) -> list[str]:
    """vLLM's HTTP counters (prometheus-fastapi-instrumentator's grouped status) and histograms."""
    labels = _labels("llm-chat", hash_, model_name="llama")
    http = _labels("llm-chat", hash_, handler="/v1/chat/completions", method="POST")
    return [
        *_counter("http_requests_total", f'{http},status="2xx"', rps * (1 - error_ratio)),
        *_counter("http_requests_total", f'{http},status="5xx"', rps * error_ratio),
        *_histogram("vllm:time_to_first_token_seconds", labels, rps, ttft_s),
        *_histogram("vllm:inter_token_latency_seconds", labels, rps * 50, itl_s),
    ]


def openmetrics() -> str:
    """Every case's series, grouped by series as OpenMetrics asks, with timestamps."""
    nan = math.nan
    lines = [
        *triton(HEALTHY, 20, 0.01, 0.3, 0.05),
        *triton(FAILING, 20, 0.2, 3.0, 1.0),
        *triton(IDLE, 0, 0, nan, nan),
        *triton(STABLE, 20, 0.5, 9.0, 5.0),
        *vllm(HEALTHY, 2, 0.01, 0.5, 0.05),
        *vllm(FAILING, 2, 0.2, 5.0, 0.25),
        *vllm(IDLE, 0, 0, 0.5, 0.05),
        *vllm(STABLE, 2, 0.5, 10.0, 1.0),
    ]
    return openmetrics_text(lines)


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Debian's Prometheus serving the cases' TSDB on a free local port, stopped afterwards."""
    with served(openmetrics(), tmp_path_factory.mktemp("analysis")) as url:
        yield url


# -- the tests -------------------------------------------------------------------------------


def templates(prod_plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """prod's AnalysisTemplates by endpoint, as its plan emits them."""
    return {
        r["inputs"]["metadata"]["name"]: r["inputs"]["spec"]
        for r in prod_plan["resources"]
        if r["type"] == "kubernetes:argoproj.io/v1alpha1:AnalysisTemplate"
    }


def args_for(spec: dict[str, Any], canary_hash: str) -> dict[str, str]:
    """The AnalysisRun's arguments: the template's defaults and the hash the Rollout passes."""
    args = {arg["name"]: arg["value"] for arg in spec["args"] if "value" in arg}
    return {**args, "canary-hash": canary_hash}


EXPECTED = {
    "fraud-detector": ["error-ratio", "p95-latency", "p95-queue"],
    "llm-chat": ["error-ratio", "p95-ttft", "p95-itl"],
}


@pytest.mark.parametrize("endpoint", sorted(EXPECTED))
def test_the_analysis_judges_the_canary_pods_alone(endpoint: str, prometheus: str, prod_plan: dict[str, Any]) -> None:
    """The failing canary trips every metric's failure condition and fails the analysis after
    failureLimit + 1 measurements; the healthy one passes every measurement although the stable
    pods next to it fail; a canary with no traffic yet (NaN) or not scraped yet (empty) is never
    failed."""
    spec = templates(prod_plan)[endpoint]
    monitor = next(r for r in prod_plan["resources"] if r["name"] == f"{endpoint}-service-monitor")
    assert ROLLOUT_HASH_POD_LABEL in monitor["inputs"]["spec"]["podTargetLabels"]
    assert [metric["name"] for metric in spec["metrics"]] == EXPECTED[endpoint]
    outcome: dict[str, dict[str, tuple[str, list[str]]]] = {
        case: {metric["name"]: analysis_phase(prometheus, metric, args_for(spec, case)) for metric in spec["metrics"]}
        for case in (HEALTHY, FAILING, IDLE, UNSCRAPED, STABLE)
    }
    measurements = MINUTES - 5 + 1
    for name in EXPECTED[endpoint]:
        assert outcome[FAILING][name] == ("Failed", ["Failed"] * measurements), name
        assert outcome[STABLE][name][0] == "Failed", name
        for case in (HEALTHY, IDLE, UNSCRAPED):
            assert outcome[case][name] == ("Running", ["Successful"] * measurements), (case, name)


def test_the_raw_results_the_conditions_see(prometheus: str, prod_plan: dict[str, Any]) -> None:
    """What Prometheus answers the emitted queries: the canary's own values, NaN without traffic,
    nothing before the first scrape; and each threshold is the endpoint's SLO."""
    spec = templates(prod_plan)["fraud-detector"]
    at = START + 6 * 60

    def values(case: str) -> dict[str, list[float]]:
        """Each metric's result list at ``at``."""
        out: dict[str, list[float]] = {}
        for metric in spec["metrics"]:
            query = resolve_args(metric["provider"]["prometheus"]["query"], args_for(spec, case))
            params = urllib.parse.urlencode({"query": query, "time": str(at)})
            with urllib.request.urlopen(f"{prometheus}/api/v1/query?{params}", timeout=10) as response:
                out[metric["name"]] = [float(s["value"][1]) for s in json.load(response)["data"]["result"]]
        return out

    healthy, failing = values(HEALTHY), values(FAILING)
    assert {k: pytest.approx(v) for k, v in healthy.items()} == {
        "error-ratio": [0.01],
        "p95-latency": [0.3],
        "p95-queue": [0.05],
    }
    assert {k: pytest.approx(v) for k, v in failing.items()} == {
        "error-ratio": [0.2],
        "p95-latency": [3.0],
        "p95-queue": [1.0],
    }
    idle = values(IDLE)
    assert all(len(v) == 1 and math.isnan(v[0]) for v in idle.values()), idle
    assert values(UNSCRAPED) == {"error-ratio": [], "p95-latency": [], "p95-queue": []}
    thresholds = {m["name"]: _threshold(m["failureCondition"]) for m in spec["metrics"]}
    assert thresholds == {"error-ratio": "0.05", "p95-latency": "2", "p95-queue": "0.5"}

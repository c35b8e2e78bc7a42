"""What an endpoint autoscales on: a small PromQL expression, checked against the metric's type.

KEDA's Prometheus trigger asks one query for one number and the HPA compares it with the target.
Which query makes sense depends on the metric's type, so users write the signal as they would in
PromQL, for the endpoint's own series, and the type decides whether it is allowed:

- ``NAME``: a gauge (``vllm:num_requests_waiting``, ``nv_inference_pending_request_count``,
  ``nv_gpu_utilization``), summed over the pods and averaged per replica (``AverageValue``);
- ``rate(NAME[WINDOW])``: a counter's per-second rate (``rate(http_requests_total[2m])``: requests
  per second), summed over the pods and averaged per replica;
- ``histogram_quantile(Q, rate(NAME_bucket[WINDOW]))``: a latency quantile of a histogram over the
  pods, compared as a whole (``Value``: latency does not divide by replicas).

Names and a kind would need a vocabulary of our own and still could not say which window or
quantile; PromQL is what the runtime's documentation and every dashboard already use. The
expression is parsed (promql-parser), never pasted: the endpoint adds its own selector
(``namespace``, ``service``) and the aggregation, so no label matcher, offset or other function
is accepted. A metric's type comes from the runtime's catalogue (``components/data/metric_catalogue.json``,
read from the pinned releases' sources) or, for a custom image, from what it declares.
"""

from __future__ import annotations

import datetime
import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Literal, cast

import promql_parser

from components.promql import metric_name_problems

MetricType = Literal["counter", "gauge", "histogram", "summary"]
METRIC_TYPES: tuple[MetricType, ...] = ("counter", "gauge", "histogram", "summary")
MIN_WINDOW = datetime.timedelta(minutes=1)
"""Shortest rate window: two scrapes at the ServiceMonitor's 30 s interval."""
MAX_WINDOW = datetime.timedelta(hours=1)
"""Longest rate window: beyond it the autoscaler reacts to the last hour, not to load."""
EXAMPLE_WINDOW = "2m"
"""The window suggested in messages (tolerates one missed scrape)."""


@functools.cache
def _catalogue() -> dict[str, dict[str, MetricType]]:
    text = resources.files("components").joinpath("data/metric_catalogue.json").read_text()
    data = json.loads(text)
    return {runtime: cast(dict[str, MetricType], data[runtime]["metrics"]) for runtime in ("triton", "vllm")}


def runtime_metric_types(runtime: str, declared: Mapping[str, str] | None = None) -> dict[str, MetricType]:
    """The metrics an endpoint's server exports, by the name a query uses, with their type:
    the pinned runtime's catalogue, or what a custom image declares."""
    if runtime in ("triton", "vllm"):
        return dict(_catalogue()[runtime])
    return {name: kind for name, kind in (declared or {}).items() if kind in METRIC_TYPES}


@dataclass(frozen=True)
class ScalingSignal:
    """A parsed ``autoscaling_metric``."""

    shape: Literal["gauge", "rate", "quantile"]
    metric: str
    """The series queried: the gauge, the counter, or the histogram's ``_bucket`` series."""
    window: str = ""
    """The rate window, as a Prometheus duration (``2m``)."""
    quantile: float = 0.0


def _duration(delta: datetime.timedelta) -> str:
    seconds = int(delta.total_seconds())
    for unit, size in (("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _bare(node: object) -> tuple[str | None, list[str]]:
    """The metric name of a selector with nothing else in it (no labels, offset or @)."""
    if not isinstance(node, promql_parser.VectorSelector) or node.name is None:
        return None, ["must select a metric by its name alone"]
    if node.matchers.matchers or node.matchers.or_matchers:
        return None, ["takes no label matchers: the endpoint selects its own pods (namespace, service)"]
    if node.offset is not None or node.at is not None:
        return None, ["takes no offset or @ modifier: the autoscaler needs the current value"]
    return node.name, []


def _window(node: promql_parser.MatrixSelector) -> tuple[str, list[str]]:
    window = node.range
    if not MIN_WINDOW <= window <= MAX_WINDOW:
        return "", [
            f"rate window must be {_duration(MIN_WINDOW)} to {_duration(MAX_WINDOW)} "
            f"(two 30 s scrapes at least; got {_duration(window)})"
        ]
    return _duration(window), []


SHAPES = (
    "a gauge's name (vllm:num_requests_waiting), rate(COUNTER[2m]) or "
    "histogram_quantile(0.95, rate(HISTOGRAM_bucket[2m]))"
)
"""The expressions accepted, for messages."""


def parse_scaling_expression(text: str) -> tuple[ScalingSignal | None, list[str]]:
    """The signal ``text`` asks for, or why it is none of the accepted shapes (types unchecked)."""
    if len(text) > 1000:
        return None, [f"must be {SHAPES}"]
    try:
        node = promql_parser.parse(text)
    except ValueError as exc:
        return None, [f"must be {SHAPES}; PromQL cannot parse it: {exc}"]
    if isinstance(node, promql_parser.VectorSelector):
        if problems := metric_name_problems(text):
            return None, problems
        return ScalingSignal("gauge", text), []
    if not isinstance(node, promql_parser.Call):
        return None, [f"must be {SHAPES} (PromQL reads it as {type(node).__name__})"]
    name = node.func.name
    args = list(node.args)
    if name == "rate" and len(args) == 1 and isinstance(args[0], promql_parser.MatrixSelector):
        metric, problems = _bare(args[0].vector_selector)
        window, wrong = _window(args[0])
        if metric is None or problems or wrong:
            return None, [*problems, *wrong]
        return ScalingSignal("rate", metric, window), []
    if name == "histogram_quantile" and len(args) == 2 and isinstance(args[0], promql_parser.NumberLiteral):
        quantile = float(args[0].val)
        inner = args[1]
        if not 0 < quantile < 1:
            return None, [f"histogram_quantile's quantile must be between 0 and 1 (got {quantile:g})"]
        if (
            isinstance(inner, promql_parser.Call)
            and inner.func.name == "rate"
            and len(inner.args) == 1
            and isinstance(inner.args[0], promql_parser.MatrixSelector)
        ):
            metric, problems = _bare(inner.args[0].vector_selector)
            window, wrong = _window(inner.args[0])
            if metric is None or problems or wrong:
                return None, [*problems, *wrong]
            if not metric.endswith("_bucket"):
                return None, [f"histogram_quantile reads a histogram's buckets: rate({metric}_bucket[...])"]
            return ScalingSignal("quantile", metric, window, quantile), []
    return None, [f"must be {SHAPES}; {name}(...) is not one of them"]


def _type_of(name: str, types: Mapping[str, MetricType]) -> MetricType | None:
    """A series' type: its family's, where ``_bucket`` (histogram), ``_count`` and ``_sum``
    (histogram, summary) series are counters."""
    if name in types:
        return types[name]
    base, _, suffix = name.rpartition("_")
    family = types.get(base)
    if suffix == "bucket" and family == "histogram":
        return "counter"
    if suffix in ("count", "sum") and family in ("histogram", "summary"):
        return "counter"
    return None


def _listing(types: Mapping[str, MetricType], kind: MetricType) -> str:
    return ", ".join(sorted(n for n, t in types.items() if t == kind)) or "none"


def autoscaling_metric_problems(
    runtime: str,
    text: str,
    declared: Mapping[str, str] | None = None,
    key: str = "autoscaling_metric",
    types_key: str = "metric_types",
) -> list[str]:
    """Why ``text`` cannot drive the endpoint's autoscaler: not an accepted shape, a metric the
    server does not export, or a metric of the wrong type for its shape, each with the fix
    (``key`` and ``types_key`` are how the caller spells the settings in the suggestion).
    ``declared`` are a custom image's metric types."""
    signal, problems = parse_scaling_expression(text)
    if signal is None:
        return problems
    types = runtime_metric_types(runtime, declared)
    name = signal.metric.removesuffix("_bucket") if signal.shape == "quantile" else signal.metric
    found = types.get(name) if signal.shape == "quantile" else _type_of(name, types)
    if found is None:
        if runtime == "custom":
            return [
                f"{name!r} has no declared type: a custom image says what it exports "
                f"({types_key}: {{{name}: counter|gauge|histogram|summary}})"
            ]
        if types.get(f"{name}_total") == "counter":
            return [
                f"{name!r} is exposed as the counter {name}_total: autoscale on its rate "
                f"({key}: rate({name}_total[{EXAMPLE_WINDOW}]))"
            ]
        return [
            f"{name!r} is not a metric the {runtime} runtime exports (gauges: {_listing(types, 'gauge')}; "
            f"counters, through rate(): {_listing(types, 'counter')})"
        ]
    rate = f"{key}: rate({name}[{EXAMPLE_WINDOW}])"
    if signal.shape == "gauge" and found == "counter":
        return [f"{name!r} is a counter (it only grows): autoscale on its rate ({rate})"]
    if signal.shape == "gauge" and found == "histogram":
        return [
            f"{name!r} is a histogram: autoscale on a quantile ({key}: histogram_quantile(0.95, "
            f"rate({name}_bucket[{EXAMPLE_WINDOW}]))) or its request rate ({key}: rate({name}_count[{EXAMPLE_WINDOW}]))"
        ]
    if signal.shape == "gauge" and found == "summary":
        return [
            f"{name!r} is a summary: its quantiles cannot be combined over pods; autoscale on its "
            f"request rate ({key}: rate({name}_count[{EXAMPLE_WINDOW}])) or a gauge ({_listing(types, 'gauge')})"
        ]
    if signal.shape == "rate" and found != "counter":
        return [f"{name!r} is a {found}, not a counter: rate() of it means nothing; {_gauge_fix(name, found, key)}"]
    if signal.shape == "quantile" and found != "histogram":
        return [f"histogram_quantile needs a histogram; {name!r} is a {found}"]
    return []


def _gauge_fix(name: str, found: MetricType, key: str) -> str:
    if found == "gauge":
        return f"autoscale on it directly ({key}: {name})"
    return f"autoscale on its request rate ({key}: rate({name}_count[{EXAMPLE_WINDOW}]))"


def keda_trigger(text: str, selector: str) -> tuple[str, Literal["AverageValue", "Value"]]:
    """The KEDA Prometheus query and ``metricType`` of a valid ``autoscaling_metric`` on the
    endpoint's series (``selector``: its label matchers). Sums are per replica (``AverageValue``);
    a latency quantile is the endpoint's as a whole (``Value``). Every query returns one series,
    as KEDA requires; no traffic (an empty result or NaN) counts as 0 (KEDA's ignoreNullValues)."""
    signal, problems = parse_scaling_expression(text)
    if signal is None:
        raise ValueError(f"autoscaling_metric {text!r} {'; '.join(problems)}")
    if signal.shape == "gauge":
        return f"sum({signal.metric}{{{selector}}})", "AverageValue"
    series = f"{signal.metric}{{{selector}}}[{signal.window}]"
    if signal.shape == "rate":
        return f"sum(rate({series}))", "AverageValue"
    return f"histogram_quantile({signal.quantile:g}, sum by (le) (rate({series})))", "Value"

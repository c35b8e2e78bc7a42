"""The pieces of PromQL a stack config may set, parsed before they are pasted into rules and
ScaledObjects: an injected ``} or vector(1)`` would change what an alert means and still pass
``promtool``. Parsed with ``promql-parser`` (the Rust ``promql-parser`` crate GreptimeDB
maintains, which follows Prometheus' own grammar)."""

from __future__ import annotations

import math
import re

import promql_parser

from components.naming import PROMETHEUS_METRIC_NAME

_METRIC_NAME = re.compile(PROMETHEUS_METRIC_NAME)
_THRESHOLD = re.compile(r"(0|[1-9][0-9]{0,11})(\.[0-9]{1,6})?")
_KEYWORDS = frozenset(
    {
        "sum",
        "avg",
        "count",
        "min",
        "max",
        "group",
        "stddev",
        "stdvar",
        "topk",
        "bottomk",
        "count_values",
        "quantile",
        "limitk",
        "limit_ratio",
        "and",
        "or",
        "unless",
        "atan2",
        "offset",
        "by",
        "without",
        "on",
        "ignoring",
        "group_left",
        "group_right",
        "bool",
        "start",
        "end",
        "step",
        "inf",
        "nan",
    }
)
"""Words Prometheus' lexer reads as operators, modifiers or numbers wherever they stand."""
_MAX_TEXT = 1000
"""Longest selector or name accepted (longer ones are no label matcher anyone writes)."""


def metric_name_problems(name: str) -> list[str]:
    """What makes ``name`` no bare Prometheus metric name (``http_requests_total``,
    ``vllm:num_requests_waiting``): no labels, no functions, nothing after it."""
    wanted = "a Prometheus metric name: letters, digits, '_' and ':', not starting with a digit"
    if len(name) > _MAX_TEXT or not _METRIC_NAME.fullmatch(name):
        return [f"must be {wanted}"]
    if name.lower() in _KEYWORDS:
        return [f"must be {wanted}, not a PromQL keyword"]
    try:
        parsed = promql_parser.parse(name)
    except ValueError as exc:
        return [f"must be {wanted}; PromQL cannot parse it: {exc}"]
    if not isinstance(parsed, promql_parser.VectorSelector) or parsed.name != name:
        return [f"must be {wanted}; PromQL reads it as {type(parsed).__name__}"]
    return []


def label_matchers_problems(matchers: str) -> list[str]:
    """What makes ``matchers`` no list of label matchers to put inside a selector's braces
    (``status=~"5.."``, ``code="500", method!="GET"``): parsed as ``{matchers}``, it must be one
    vector selector of label matchers, nothing more, and not name the metric."""
    wanted = 'label matchers as inside a selector\'s braces, e.g. status=~"5.."'
    if len(matchers) > _MAX_TEXT or "{" in matchers or "}" in matchers:
        return [f"must be {wanted}, without braces"]
    try:
        parsed = promql_parser.parse("{" + matchers + "}")
    except ValueError as exc:
        return [f"must be {wanted}; PromQL cannot parse it: {exc}"]
    if not isinstance(parsed, promql_parser.VectorSelector) or parsed.name is not None:
        return [f"must be {wanted}; PromQL reads it as {type(parsed).__name__}"]
    if any(m.name == "__name__" for m in parsed.matchers.matchers):
        return [f"must be {wanted}; the metric is chosen by its own setting, not by __name__"]
    return []


def threshold_problems(value: str) -> list[str]:
    """What makes ``value`` no positive decimal number KEDA reads as a threshold (``"5"``,
    ``"0.5"``): digits, an optional fraction, nothing else."""
    if not _THRESHOLD.fullmatch(value) or not math.isfinite(float(value)) or float(value) <= 0:
        return ["must be a positive decimal number such as 10 or 0.5, written as a string"]
    return []

"""Progressive delivery of an endpoint through Argo Rollouts, as plain data (pure functions).

An endpoint with ``canary`` is served by an Argo ``Rollout`` instead of a Deployment: a changed
pod template (a new model version, image or flag) starts as one canary pod next to the stable
ones, a background ``AnalysisTemplate`` judges the canary pods alone on the endpoint's own SLO
signals in Prometheus (:attr:`components.runtimes.RuntimeSpec.slo_signals`, and the error ratio
its alerts use), and a failed analysis aborts the Rollout, which scales the canary away: the
stable pods never stopped serving. The semantics below were read in the pinned release
(:data:`components.pins.ARGO_ROLLOUTS_SOURCE`):

- the Rollout carries its pod template itself, not a ``workloadRef`` to a Deployment: with a
  reference, Pulumi would own a Deployment Argo scales to zero, and KEDA targeting such a Rollout
  is a known trap (argo-rollouts#4288, #4321);
- without a traffic router, ``setWeight`` only sets replica counts: ``utils/replicaset/canary.go``
  (``approximateWeightedCanaryStableReplicaCounts``) picks the canary/stable counts closest to the
  weight, never zero canary pods for a weight of 1-99 with two pods or more, and with ``maxSurge``
  one pod above ``replicas``. Weight 1 is thus one canary pod next to every stable one (surge) or
  in place of one (replace), which gets ``1/(replicas + 1)`` (``1/replicas``) of the requests the
  Service spreads over every ready pod;
- the Rollout's first ReplicaSet becomes the stable one as soon as it exists, at zero replicas
  too (``rollout/canary.go`` ``shouldFullPromote``: "Initial deploy" while there is no stable
  ReplicaSet). An unpublished endpoint is created at zero replicas, so its template at creation is
  the stable one, and publishing is a scaling event (``rollout/context.go`` ``reconcile``:
  ``isScalingEvent`` -> ``syncReplicasOnly``) that scales that template up with no steps. The
  template must therefore name a pinned model from the start (:func:`canary_source_problem`), and
  publishing must not change it in the same step: with both at once the new ReplicaSet may not
  exist yet (``rollout/sync.go`` ``syncReplicasOnly``: "newRS to be nil (e.g. when template and
  replicas changed at same time)"), then the canary steps scale the old template's stable
  ReplicaSet up next to the canary (``utils/replicaset/canary.go``
  ``CalculateReplicaCountsForBasicCanary``), which :func:`publication_problem` refuses;
- the first deploy (``status.stableRS`` still empty) runs no analysis (``rollout/analysis.go``:
  "Skipping analysis ... initialDeploy") and goes straight to its pods: there is no stable version
  to fall back to, and the thresholds are the endpoint's SLOs, never a comparison with a baseline;
- the Prometheus provider hands the condition a list of the vector's values
  (``metricproviders/prometheus/prometheus.go``), empty when no canary pod reported yet, and a
  rate over no requests is NaN; indexing an empty list is an evaluation error, and errors past
  ``consecutiveErrorLimit`` fail the analysis. So each metric has only a ``failureCondition``
  that is false for an empty or NaN result (``utils/evaluate/evaluate.go``: without a success
  condition a measurement succeeds when the failure condition is false): a canary without
  traffic is never aborted for its silence, and never promoted on a measurement either, since
  promotion follows the step pauses.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from components.alerting import EndpointAlerts, error_ratio_expr, p95_expr, slo_signals, slo_threshold
from components.values import as_mapping, items

ARGO_ROLLOUTS_NAMESPACE = "argo-rollouts"
"""Where the Argo Rollouts controller runs (it queries Prometheus for the analyses) and its Helm
release record lives (``Cluster``'s ``argo_rollouts``)."""

API_VERSION = "argoproj.io/v1alpha1"
CANARY_HASH_LABEL = "rollouts-pod-template-hash"
"""Label Argo Rollouts puts on each ReplicaSet's pods (stable and canary differ only in it)."""
CANARY_HASH_TARGET_LABEL = "rollouts_pod_template_hash"
"""The same label on the endpoint's series: the ServiceMonitor copies it (``podTargetLabels``),
sanitised as Prometheus label names must be."""
ANALYSIS_WINDOW = "5m"
"""Rate window of the canary's queries; the analysis waits this long after the canary is
available, so its first measurement reads only the canary's own requests."""
ANALYSIS_INTERVAL = "1m"
FAILURE_LIMIT = 2
"""Failed measurements tolerated: the third aborts the Rollout (three minutes of bad data)."""
STEP_PAUSE_SECONDS = 900
"""How long each canary step is watched before the next (the background analysis runs throughout)."""
SURGE = {"surge": (1, 0), "replace": (0, 1)}
"""``rollout`` of the endpoint -> (maxSurge, maxUnavailable) of its canary: ``surge`` runs the
canary pod as one pod more (room for it in the pool), ``replace`` stops a stable pod for it."""


def canary_rollout_problems(rollout: str, replicas: int) -> list[tuple[str, str]]:
    """(key, what is wrong) of a canary that would leave no stable pod serving: ``recreate``
    stops every pod first, and ``replace`` with one replica stops the only stable pod for the
    canary. The keys are the endpoint's (``rollout``, ``replicas``), spelt alike in the stack
    configuration and the component's args."""
    if rollout not in SURGE:
        return [("rollout", f"canary rolls out by surge or replace, not {rollout!r} (every pod stopped first)")]
    if rollout == "replace" and replicas < 2:
        return [
            (
                "replicas",
                "canary with rollout replace needs replicas >= 2: the canary pod takes a stable pod's place, "
                f"and {replicas} replica would leave no stable pod serving (use surge)",
            )
        ]
    return []


PINNED_SOURCES = {
    "registered": (
        "a canaried endpoint serves a pinned version, published or not: Argo Rollouts makes the template it "
        "creates first the stable one, at zero replicas too, and publishing scales that template up, so every "
        "stable pod would resolve alias {alias!r} when it starts; pin the version you will publish "
        "(mlops promote --stack STACK --endpoint {endpoint}), or set canary: false"
    ),
    "bucket": (
        "a canaried endpoint reads one version directory of its prefix ({prefix}VERSION/), written once: pods "
        "syncing the bare prefix load whatever it holds when they start, stable and canary pods alike, and the "
        "canary compares nothing; upload each version under its own directory and name it here"
    ),
    "hub": (
        "a canaried endpoint serves a pinned model, but vLLM downloads {model_id} from the Hugging Face Hub when each "
        "pod starts, at whatever its main branch holds then, stable and canary pods alike: the canary compares "
        "nothing; register the weights (model.version) or upload them under a version directory (modelPrefix "
        "and modelVersion), or set canary: false"
    ),
}
"""Why a canary refuses each unpinned model source (``registered``: a registry alias alone;
``bucket``: a bucket prefix with no version directory; ``hub``: a Hugging Face model id, never
pinned), to be formatted with the endpoint's names."""


def canary_source_problem(source: str, pinned: bool, **names: str) -> str | None:
    """What is wrong with a canaried endpoint's model source (:data:`PINNED_SOURCES`), None when
    it is pinned: what a pod downloads is part of its template, so a new version is a new template
    (a canary) and never a pod that starts later."""
    return None if pinned else PINNED_SOURCES[source].format(**names)


def publication_problem(namespace: str, name: str, published: tuple[str, str], template_changed: bool) -> str | None:
    """What is wrong with a change of a Rollout that publishes its endpoint (``published``: its
    annotation before and after) and changes its pod template at once: the old template's stable
    ReplicaSet, never run, would scale up next to the canary (module docstring). None otherwise."""
    if published != ("false", "true") or not template_changed:
        return None
    return (
        f"Rollout {namespace}/{name} publishes and changes its pod template in one change; Argo Rollouts would "
        "scale up the old template's stable ReplicaSet, never run, next to the canary. Change the template first with "
        f"published: false, wait until `kubectl argo rollouts status {name} -n {namespace}` says Healthy, "
        "then publish in a change of its own"
    )


def canary_steps() -> list[dict[str, Any]]:
    """One canary pod (weight 1 is the closest a replica count gets to 1%: one pod), watched; then
    half the pods, watched; then all (the implicit last step)."""
    return [
        {"setWeight": 1},
        {"pause": {"duration": f"{STEP_PAUSE_SECONDS}s"}},
        {"setWeight": 50},
        {"pause": {"duration": f"{STEP_PAUSE_SECONDS}s"}},
    ]


def canary_share(replicas: int, rollout: str) -> float:
    """The share of requests the first canary pod gets without a traffic router: one ready pod
    among ``replicas + 1`` (surge) or ``replicas`` (replace), as the Service balances pods."""
    total = replicas + 1 if rollout == "surge" else max(replicas, 1)
    return 1 / total


def guarded(condition: str) -> str:
    """A failure condition that is false when the query returned nothing or NaN."""
    return f"len(result) > 0 && !isNaN(result[0]) && {condition}"


def analysis_metrics(endpoint: EndpointAlerts) -> list[dict[str, Any]]:
    """The canary's metrics: its error ratio and the p95 of each SLO signal of its runtime, over
    the canary pods only (``{{args.canary-hash}}``), each with the endpoint's alert threshold."""
    canary: EndpointAlerts = {**endpoint, "pod_matchers": f'{CANARY_HASH_TARGET_LABEL}="{{{{args.canary-hash}}}}"'}
    address = "{{args.prometheus}}"
    ratio = endpoint.get("error_ratio", 0.05)
    metrics = [
        _metric("error-ratio", error_ratio_expr(canary, ANALYSIS_WINDOW), ratio, address),
    ]
    for signal in slo_signals(endpoint):
        threshold = slo_threshold(endpoint, signal)
        metrics.append(_metric(f"p95-{signal.name}", p95_expr(canary, signal), threshold, address))
    return metrics


def _metric(name: str, query: str, threshold: float, address: str) -> dict[str, Any]:
    return {
        "name": name,
        "initialDelay": ANALYSIS_WINDOW,
        "interval": ANALYSIS_INTERVAL,
        "failureLimit": FAILURE_LIMIT,
        "consecutiveErrorLimit": 5,
        "failureCondition": guarded(f"result[0] > {threshold:g}"),
        "provider": {"prometheus": {"address": address, "query": query}},
    }


def analysis_template_spec(endpoint: EndpointAlerts, prometheus: str) -> dict[str, Any]:
    """The endpoint's AnalysisTemplate: its arguments (the canary's pod-template hash, passed by
    the Rollout; the Prometheus address) and :func:`analysis_metrics`."""
    return {
        "args": [{"name": "canary-hash"}, {"name": "prometheus", "value": prometheus}],
        "metrics": analysis_metrics(endpoint),
    }


def canary_strategy(name: str, rollout: str) -> dict[str, Any]:
    """The Rollout's canary strategy: :func:`canary_steps`, the background analysis from step 1
    (once the canary pod is available: its startup is bounded by ``progressDeadlineSeconds``, not
    by the analysis), surge or replace as the endpoint's ``rollout`` asks."""
    surge, unavailable = SURGE[rollout]
    return {
        "canary": {
            "maxSurge": surge,
            "maxUnavailable": unavailable,
            "steps": canary_steps(),
            "analysis": {
                "templates": [{"templateName": name}],
                "startingStep": 1,
                "args": [{"name": "canary-hash", "valueFrom": {"podTemplateHashValue": "Latest"}}],
            },
        }
    }


def rollout_extra_nodes(gpus: int, accelerators_per_node: int) -> int:
    """GPU nodes the canary pod needs beyond the stable pods' (surge): a pod never spans nodes."""
    return math.ceil(gpus / accelerators_per_node) if accelerators_per_node else 1


DEFAULT_SCALE_DOWN_WINDOW = 300
"""Kubernetes' HPA scale-down stabilisation window when ``behavior`` sets none (seconds)."""
_DURATION = re.compile(r"(\d+)(ms|s|m|h)")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}


def duration_seconds(duration: str) -> float:
    """Seconds of an Argo Rollouts duration (``5m``, ``900s``, ``1h30m``; Go's units it accepts)."""
    parts = _DURATION.findall(duration)
    if not parts or "".join(n + u for n, u in parts) != duration:
        raise ValueError(f"not a duration: {duration!r}")
    return sum(int(number) * _UNITS[unit] for number, unit in parts)


def abort_seconds(analysis: Mapping[str, Any]) -> float:
    """The longest an AnalysisTemplate's failing canary serves before the analysis fails: a metric's
    ``failureLimit + 1``-th failed measurement, taken ``initialDelay`` after the analysis starts and
    one ``interval`` apart (the slowest metric decides)."""
    metrics = [as_mapping(m) for m in items(analysis.get("metrics"))]
    return max(
        (
            duration_seconds(str(m.get("initialDelay", "0s")))
            + int(m.get("failureLimit", 0)) * duration_seconds(str(m.get("interval", "0s")))
            for m in metrics
        ),
        default=0.0,
    )


def scale_down_window(behavior: Mapping[str, Any] | None) -> int:
    """An HPA's scale-down stabilisation window (``behavior.scaleDown``), in seconds."""
    return int(
        as_mapping(as_mapping(behavior).get("scaleDown")).get("stabilizationWindowSeconds", DEFAULT_SCALE_DOWN_WINDOW)
    )


def canary_autoscaling(
    endpoint: str, kind: str | None, autoscaler: Mapping[str, Any], analysis: Mapping[str, Any]
) -> dict[str, Any]:
    """What a canaried endpoint's autoscaler does during a canary, for ``plan.json`` and its text.

    An HPA on a Rollout reads the Rollout's scale subresource, whose selector and replica count
    cover the stable and the canary pods (``rollout/canary.go`` ``syncRolloutStatusCanary``:
    ``Selector`` is ``spec.selector``, ``HPAReplicas`` every ReplicaSet's pods; argo-rollouts#4074
    narrowed both for traffic-routed canaries and #4553 reverted it before the pinned release), so
    the CPU it averages, or the metric KEDA divides by the pods, mixes both (argo-rollouts#2857,
    #4607). The Service spreads requests evenly over ready pods, so the mix is the right load figure
    until the canary costs more or less per request than the stable pods: a costlier canary scales
    the stable pods up (bounded by the maximum the pool is sized for), a cheaper one (failing fast)
    pulls the average down. The guard is time: the scale-down window must outlast the analysis'
    :func:`abort_seconds`, so that a failing canary is gone before its share can shrink the stable pods."""
    entry: dict[str, Any] = {"endpoint": endpoint, "autoscaler": kind, "averagedOver": None}
    if kind is None:
        return entry
    if kind == "HorizontalPodAutoscaler":
        behavior = autoscaler.get("behavior")
        metrics = [as_mapping(m) for m in items(autoscaler.get("metrics"))]
        signal = ", ".join(
            str(as_mapping(m.get("resource") or m.get("containerResource")).get("name") or m.get("type"))
            for m in metrics
        )
    else:
        behavior = as_mapping(as_mapping(autoscaler.get("advanced")).get("horizontalPodAutoscalerConfig")).get(
            "behavior"
        )
        triggers = [as_mapping(t) for t in items(autoscaler.get("triggers"))]
        signal = ", ".join(f"{t.get('type')}: {as_mapping(t.get('metadata')).get('query', '')}" for t in triggers)
    window, abort = scale_down_window(behavior), abort_seconds(analysis)
    return {
        **entry,
        "signal": signal,
        "averagedOver": "stable and canary pods",
        "abortSeconds": abort,
        "scaleDownWindowSeconds": window,
        "guarded": abort < window,
    }

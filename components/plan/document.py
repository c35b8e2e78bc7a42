"""Turn a recording into the plan's files: ``plan.json``, ``manifests/``, ``graph.mmd``, text."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any, cast

from components import delivery
from components.naming import MODEL_PUBLISHED_ANNOTATION, MODEL_URI_ANNOTATION, PLATFORM_REFERENCE_TYPE
from components.plan import json_text, manifest_yaml
from components.plan.helm_render import Release, Rendered, Rendering
from components.plan.monitor import Registration
from components.plan.policy import Evaluation
from components.plan.runner import Recording
from components.project import SECRET_PLACEHOLDER
from components.values import as_mapping, items

SCHEMA_VERSION = 1
MASKED_ANNOTATION = "mlops-platform/plan-masked-fields"
"""Set on a manifest whose secret fields the offline plan left out."""


def integers(value: Any) -> Any:
    """Whole numbers as integers: the SDK gives a stack's outputs as floats (a registration's
    inputs already are, see ``monitor.plain``)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: integers(v) for k, v in cast(dict[str, Any], value).items()}
    if isinstance(value, list):
        return [integers(v) for v in cast(list[Any], value)]
    return value


def resource_json(resource: Registration) -> dict[str, Any]:
    """One entry of ``plan.json`` ``resources``."""
    return {
        "urn": resource.urn,
        "type": resource.type,
        "name": resource.name,
        "custom": resource.custom,
        "parent": resource.parent,
        "provider": resource.provider,
        "dependencies": resource.dependencies,
        "inputs": resource.inputs,
        "options": {
            "protect": resource.protect,
            "retainOnDelete": resource.retain_on_delete,
            "ignoreChanges": resource.ignore_changes,
            "deleteBeforeReplace": resource.delete_before_replace,
            "aliases": resource.aliases,
        },
    }


def build_plan(
    recording: Recording,
    evaluation: Evaluation,
    cost: dict[str, Any],
    deploy: dict[str, Any],
    rendering: Rendering | None = None,
) -> dict[str, Any]:
    """The ``plan.json`` document (DESIGN.md contract); ``preview`` and ``notRun`` say whether it
    renders a first ``pulumi preview`` and which policies could not judge an unknown value;
    ``helm`` and ``releases`` what Helm rendered for each release (:mod:`components.plan.helm_render`)."""
    plan: dict[str, Any] = {
        "schemaVersion": SCHEMA_VERSION,
        "project": recording.project,
        "stack": recording.stack,
        "preview": recording.preview,
        "resources": [resource_json(r) for r in recording.resources],
        "violations": [v.as_json() for v in evaluation.violations],
        "notRun": [n.as_json() for n in evaluation.not_run],
        "outputs": integers(recording.outputs),
        "cost": cost,
        "deploy": deploy,
        "publish": publish_list(recording.resources),
        "canaries": canary_list(recording.resources),
        "unexpanded": unexpanded(recording.resources),
    }
    if rendering is not None:
        plan["helm"] = {"path": rendering.helm.path, "version": rendering.helm.version} if rendering.helm else None
        plan["releases"] = [release_json(r) for r in rendering.releases]
        plan["unexpanded"] += [
            {"urn": r.registration.urn, "type": r.registration.type, "reason": r.unexpanded}
            for r in rendering.releases
            if r.unexpanded
        ]
    return plan


def release_json(release: Release) -> dict[str, Any]:
    """One entry of ``plan.json`` ``releases``: the chart, where it was read, and every object it
    renders with its file under ``manifests/<release>/``."""
    entry: dict[str, Any] = {
        "urn": release.registration.urn,
        "name": release.name,
        "chart": release.chart,
        "version": release.version,
        "namespace": release.namespace,
        "rendered": release.unexpanded is None,
    }
    if release.unexpanded is None:
        entry["source"] = release.source
        entry["objects"] = [
            _rendered_json(release.registration.name, name, item) for name, item in release_files(release).items()
        ]
    return entry


def _rendered_json(directory: str, name: str, item: Rendered) -> dict[str, Any]:
    metadata = as_mapping(item.obj.get("metadata"))
    return {
        "apiVersion": item.obj.get("apiVersion"),
        "kind": item.obj.get("kind"),
        "namespace": metadata.get("namespace"),
        "name": metadata.get("name"),
        "template": item.template,
        "hook": as_mapping(metadata.get("annotations")).get("helm.sh/hook"),
        "file": f"{directory}/{name}",
    }


def release_files(release: Release) -> dict[str, Rendered]:
    """File name (under ``manifests/<release>/``) -> rendered object."""
    files: dict[str, Rendered] = {}
    for item in release.objects:
        files[_file_name(item.obj, item.template, files)] = item
    return files


BUILT_BY_A_TOOL = {
    "kubernetes:helm.sh/v3:Chart": "helm template",
    "kubernetes:kustomize:Directory": "kustomize build",
}
"""Local components whose objects come from an invoke running a tool the offline plan does not run."""


def unexpanded(resources: Sequence[Registration]) -> list[dict[str, str]]:
    """The components whose objects this plan cannot see, and why: a remote component is built
    by its provider, a Helm chart or kustomization by a tool, only at ``pulumi up``, where the
    engine registers those objects and the pack judges them. A plan silent about them would read
    as a pass."""
    found: list[dict[str, str]] = []
    for resource in resources:
        if resource.remote:
            reason = "its provider builds what is inside (a remote component)"
        elif resource.type in BUILT_BY_A_TOOL:
            reason = f"its objects come from {BUILT_BY_A_TOOL[resource.type]}, which an offline plan does not run"
        else:
            continue
        found.append({"urn": resource.urn, "type": resource.type, "reason": reason})
    return found


def publish_list(resources: Sequence[Registration]) -> list[dict[str, Any]]:
    """The models the endpoints serve, where each must be published, and whether it is: an
    endpoint with ``published: false`` runs no pod until its model is there and the flag flips."""
    models: list[dict[str, Any]] = []
    for resource in resources:
        if resource.type not in ("kubernetes:apps/v1:Deployment", "kubernetes:argoproj.io/v1alpha1:Rollout"):
            continue
        metadata = cast(dict[str, Any], resource.inputs.get("metadata") or {})
        annotations = cast(dict[str, Any], metadata.get("annotations") or {})
        if annotations.get(MODEL_URI_ANNOTATION):
            entry = {
                "endpoint": f"{metadata.get('namespace', 'default')}/{metadata.get('name')}",
                "model": annotations[MODEL_URI_ANNOTATION],
                "published": annotations.get(MODEL_PUBLISHED_ANNOTATION, "true") != "false",
            }
            if registry := _tracking_uri(resource.inputs):
                entry["registry"] = registry
            models.append(entry)
    return models


ROLLOUT = "kubernetes:argoproj.io/v1alpha1:Rollout"
AUTOSCALERS = {
    "kubernetes:autoscaling/v2:HorizontalPodAutoscaler": "HorizontalPodAutoscaler",
    "kubernetes:keda.sh/v1alpha1:ScaledObject": "ScaledObject",
}


def canary_list(resources: Sequence[Registration]) -> list[dict[str, Any]]:
    """Each canaried endpoint's autoscaler during a canary (:func:`components.delivery.canary_autoscaling`):
    what it averages, and whether its scale-down window outlasts the analysis' time to abort."""
    by_kind: dict[tuple[str, str, str], dict[str, Any]] = {}
    for resource in resources:
        kind = AUTOSCALERS.get(resource.type) or (
            "AnalysisTemplate" if resource.type == "kubernetes:argoproj.io/v1alpha1:AnalysisTemplate" else None
        )
        spec, metadata = as_mapping(resource.inputs.get("spec")), as_mapping(resource.inputs.get("metadata"))
        if kind == "AnalysisTemplate":
            by_kind[(kind, str(metadata.get("namespace")), str(metadata.get("name")))] = dict(spec)
        elif kind is not None and as_mapping(spec.get("scaleTargetRef")).get("kind") == "Rollout":
            target = str(as_mapping(spec.get("scaleTargetRef")).get("name"))
            by_kind[("autoscaler", str(metadata.get("namespace")), target)] = {"kind": kind, "spec": dict(spec)}
    found: list[dict[str, Any]] = []
    for resource in resources:
        if resource.type != ROLLOUT:
            continue
        metadata = as_mapping(resource.inputs.get("metadata"))
        namespace, name = str(metadata.get("namespace", "default")), str(metadata.get("name"))
        canary = as_mapping(as_mapping(as_mapping(resource.inputs.get("spec")).get("strategy")).get("canary"))
        templates = items(as_mapping(canary.get("analysis")).get("templates"))
        template = str(as_mapping(templates[0]).get("templateName")) if templates else ""
        autoscaler = by_kind.get(("autoscaler", namespace, name), {})
        found.append(
            delivery.canary_autoscaling(
                f"{namespace}/{name}",
                autoscaler.get("kind"),
                autoscaler.get("spec", {}),
                by_kind.get(("AnalysisTemplate", namespace, template), {"metrics": []}),
            )
        )
    return found


def _tracking_uri(deployment: dict[str, Any]) -> str | None:
    """The model registry a registered model's downloader asks (its ``MLFLOW_TRACKING_URI``);
    None when not known (a first preview's pod template is)."""
    pod = as_mapping(as_mapping(as_mapping(deployment.get("spec")).get("template")).get("spec"))
    for container in items(pod.get("initContainers")):
        for env in items(as_mapping(container).get("env")):
            if as_mapping(env).get("name") == "MLFLOW_TRACKING_URI":
                return str(as_mapping(env).get("value"))
    return None


def dumps_plan(plan: dict[str, Any]) -> str:
    """Serialise ``plan.json`` deterministically (:mod:`components.plan.json_text`)."""
    return json_text.dumps(plan) + "\n"


def is_manifest(resource: Registration) -> bool:
    """A Kubernetes object (not a provider, Helm release or component)."""
    return (
        resource.custom
        and resource.type.startswith("kubernetes:")
        and "kind" in resource.inputs
        and "apiVersion" in resource.inputs
    )


def manifests(resources: Sequence[Registration]) -> dict[str, dict[str, Any]]:
    """File name -> Kubernetes object, for every object the program declares."""
    files: dict[str, dict[str, Any]] = {}
    for resource in resources:
        if not is_manifest(resource):
            continue
        obj: dict[str, Any] = unmask(resource.inputs)
        files[_file_name(obj, resource.name, files)] = obj
    return files


def _file_name(obj: dict[str, Any], fallback: str, taken: Mapping[str, Any]) -> str:
    """``<kind>-<namespace>-<name>.yaml``, numbered when ``taken`` has it already."""
    metadata: dict[str, Any] = obj.get("metadata") or {}
    parts: list[Any] = [obj.get("kind"), metadata.get("namespace"), metadata.get("name") or fallback]
    stem = "-".join(_slug(str(p)) for p in parts if p)
    name, n = f"{stem}.yaml", 2
    while name in taken:
        name, n = f"{stem}-{n}.yaml", n + 1
    return name


def unmask(obj: dict[str, Any]) -> dict[str, Any]:
    """Drop top-level fields that are wholly secret (a Secret's ``stringData``): the manifest
    stays schema-valid, and an annotation says what was left out."""
    masked = sorted(key for key, value in obj.items() if value == SECRET_PLACEHOLDER)
    if not masked:
        return obj
    kept = {k: v for k, v in obj.items() if k not in masked}
    metadata = dict(kept.get("metadata") or {})
    metadata["annotations"] = {**(metadata.get("annotations") or {}), MASKED_ANNOTATION: ",".join(masked)}
    kept["metadata"] = metadata
    return kept


def dumps_manifest(obj: dict[str, Any]) -> str:
    """A manifest as YAML, keys in a stable order (:mod:`components.plan.manifest_yaml`)."""
    return manifest_yaml.dumps(obj)


def mermaid(resources: Sequence[Registration]) -> str:
    """The resource graph: solid edges parent -> child, dotted edges dependency -> dependant."""
    ids = {r.urn: f"r{i}" for i, r in enumerate(resources)}
    lines = ["graph TD"]
    for resource in resources:
        shape = ('["', '"]') if resource.custom else ('(["', '"])')
        label = f"{resource.name}<br/><small>{resource.type}</small>"
        lines.append(f"  {ids[resource.urn]}{shape[0]}{label}{shape[1]}")
    for resource in resources:
        if resource.parent in ids:
            lines.append(f"  {ids[resource.parent]} --> {ids[resource.urn]}")
        for dependency in resource.dependencies:
            if dependency in ids:
                lines.append(f"  {ids[dependency]} -.-> {ids[resource.urn]}")
    return "\n".join(lines) + "\n"


def render_text(plan: dict[str, Any]) -> str:
    """A readable summary: a tree of components with counts, then violations, then cost."""
    resources: list[dict[str, Any]] = plan["resources"]
    children: dict[str | None, list[dict[str, Any]]] = {}
    for resource in resources:
        children.setdefault(resource["parent"], []).append(resource)
    custom = sum(1 for r in resources if r["custom"])
    lines = [
        f"Plan of {plan['project']}/{plan['stack']}: {len(resources)} resources "
        f"({custom} custom, {len(resources) - custom} components/stack)",
        "",
    ]
    roots = [r for r in resources if r["parent"] is None]
    for root in roots:
        lines += _tree(root, children, "")
    lines.append("")
    lines += _models_text(plan.get("publish", []))
    lines += _canaries_text(plan.get("canaries", []))
    lines += _violations_text(plan["violations"])
    lines += _not_run_text(plan.get("notRun", []))
    lines += _unexpanded_text(plan.get("unexpanded", []))
    lines += _helm_text(plan)
    lines.append("")
    lines += _cost_text(plan["cost"])
    lines += _platforms_cost_text(resources)
    lines.append("")
    lines += _deploy_text(plan["deploy"], {r["urn"]: r["name"] for r in resources})
    return "\n".join(lines) + "\n"


def _models_text(publish: list[dict[str, Any]]) -> list[str]:
    """Where each endpoint's model must be published, and which endpoints wait for theirs."""
    if not publish:
        return []
    lines = ["Models to publish (an endpoint with published: false runs no pod until its flag flips):"]
    for model in publish:
        state = "published" if model["published"] else "NOT PUBLISHED: 0 replicas"
        where = f" (registry {model['registry']})" if "registry" in model else ""
        lines.append(f"  {model['endpoint']}: {model['model']}{where}  [{state}]")
    return [*lines, ""]


def _canaries_text(canaries: list[dict[str, Any]]) -> list[str]:
    """What each canaried endpoint's autoscaler averages during a canary, and whether it is guarded."""
    scaled = [c for c in canaries if c["autoscaler"]]
    if not scaled:
        return []
    lines = ["Autoscaling during a canary (the autoscaler averages stable and canary pods: argo-rollouts#2857, #4607):"]
    for c in scaled:
        state = (
            "guarded: a failing canary is aborted before the scale-down window ends"
            if c["guarded"]
            else "UNGUARDED: the scale-down window ends before a failing canary is aborted"
        )
        lines.append(
            f"  {c['endpoint']}: {c['autoscaler']} on {c['signal']} over {c['averagedOver']}; "
            f"abort within {c['abortSeconds']:g} s, scale-down window {c['scaleDownWindowSeconds']} s  [{state}]"
        )
    return [*lines, ""]


def _deploy_text(deploy: dict[str, Any], names: dict[str, str]) -> list[str]:
    chain = [names.get(urn) or urn for urn in deploy["criticalPath"]]
    return [
        f"Deploy estimate (first pulumi up, typical times in components/timings.py): "
        f"{deploy['criticalPathMinutes']:.1f} min on the longest chain, {len(deploy['waves'])} waves",
        "  longest chain: " + " -> ".join(chain),
    ]


def _tree(node: dict[str, Any], children: dict[str | None, list[dict[str, Any]]], indent: str) -> list[str]:
    kids = children.get(node["urn"], [])
    if node["custom"]:
        return [f"{indent}{node['type']}  {node['name']}"]
    descendants = _count_descendants(node["urn"], children)
    lines = [f"{indent}{node['type']}  {node['name']}  ({sum(descendants.values())} resources)"]
    leaves = Counter(k["type"] for k in kids if k["custom"] and not children.get(k["urn"]))
    for kind, count in sorted(leaves.items()):
        lines.append(f"{indent}    {count:>3} x {kind}")
    for kid in kids:
        if not kid["custom"] or children.get(kid["urn"]):
            lines += _tree(kid, children, indent + "    ")
    return lines


def _count_descendants(urn: str, children: dict[str | None, list[dict[str, Any]]]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for kid in children.get(urn, []):
        counts[kid["type"]] += 1
        counts += _count_descendants(kid["urn"], children)
    return counts


def _violations_text(violations: list[dict[str, Any]]) -> list[str]:
    if not violations:
        return ["Policy violations: none"]
    mandatory = sum(1 for v in violations if v["enforcementLevel"] == "mandatory")
    lines = [f"Policy violations: {len(violations)} ({mandatory} mandatory)"]
    for v in violations:
        where = v["urn"].rsplit("::", 1)[-1] if v["urn"] else "stack"
        lines.append(f"  [{v['enforcementLevel']}] {v['policy']}: {where}: {v['message']}")
    return lines


def _not_run_text(not_run: list[dict[str, Any]]) -> list[str]:
    """What the CLI prints as advisory "can't run policy ... during preview", counted per policy."""
    if not not_run:
        return []
    counts = Counter(n["policy"] for n in not_run)
    lines = [
        f"Policies that could not run on an unknown value (advisory, as in a first pulumi preview): {len(not_run)}"
    ]
    for policy, count in sorted(counts.items()):
        example = next(n for n in not_run if n["policy"] == policy)
        where = example["urn"].rsplit("::", 1)[-1] if example["urn"] else "stack"
        lines.append(f"  {policy}: {count} resource(s), e.g. {where}: {example['reason']}")
    return lines


def _unexpanded_text(found: list[dict[str, Any]]) -> list[str]:
    """What the plan could not look inside: the pack judges it at ``pulumi preview`` only."""
    if not found:
        return []
    lines = [f"Not seen inside by this plan (the pack judges their objects at pulumi preview): {len(found)}"]
    lines += [f"  {c['urn'].rsplit('::', 1)[-1]} ({c['type']}): {c['reason']}" for c in found]
    return lines


def _helm_text(plan: dict[str, Any]) -> list[str]:
    """Which Helm rendered the releases, and how many objects each gave."""
    if "releases" not in plan:
        return []
    helm = plan["helm"]
    releases: list[dict[str, Any]] = plan["releases"]
    rendered = [r for r in releases if r["rendered"]]
    used = f"{helm['version']} ({helm['path']})" if helm else "no Helm found"
    lines = [f"Helm releases rendered with {used}: {len(rendered)} of {len(releases)}"]
    for release in rendered:
        lines.append(
            f"  {release['name']} ({release['chart']} {release['version']}): {len(release['objects'])} objects "
            f"from {release['source']}"
        )
    return lines


def _cost_text(cost: dict[str, Any]) -> list[str]:
    lines = [
        f"Estimated cost ({cost['currency']}/hour): {cost['hourlyMin']:.2f} at minimum size, "
        f"{cost['hourlyMax']:.2f} at maximum size"
    ]
    for item in cost["items"]:
        low, high = item["hourlyMin"], item["hourlyMax"]
        lines.append(f"  {item['name']}: {low:.2f} - {high:.2f}  ({item['detail']})")
    return lines


def _platforms_cost_text(resources: list[dict[str, Any]]) -> list[str]:
    """Where the GPU cost of an app stack is: in the plan of each platform stack it reads
    (``PlatformStack`` names its StackReference and its PlatformReference alike)."""
    read = {r["name"] for r in resources if r["type"] == PLATFORM_REFERENCE_TYPE}
    platforms = sorted(
        str(r["inputs"].get("name"))
        for r in resources
        if r["type"] == "pulumi:pulumi:StackReference" and r["name"] in read
    )
    return [
        f"  not included: the nodes this stack's pods run on, priced in the plan of platform stack {name}"
        for name in platforms
    ]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9.-]+", "-", text.lower()).strip("-")

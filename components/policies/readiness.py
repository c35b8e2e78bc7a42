"""Deploy-readiness rules: what a real ``pulumi up`` would trip over although every object is
valid on its own. Stack validators, so ``pulumi preview --policy-pack`` reports them as
``mlops plan`` does; each is a plain function of ``(args, report_violation)`` over the
resources' inputs and dependency graph.

- a custom object must be created after what defines its kind (a CRD or a chart that ships it);
- an autoscaler's metric must be served by an installed metrics API;
- a GPU request needs a device plugin and a node group whose nodes can run it;
- an awaited workload's timeout must cover its startup budget.

What a platform stack provides (its CRDs, metrics APIs, Prometheus and GPU pools) counts as
installed in an app stack that reads it: the rules read the platform contract in the outputs
recorded in the stack (``components.platform_stack.PlatformReference``).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pulumi_policy import PolicyResource, ReportViolation, ResourceValidationArgs, StackValidationArgs

from components import catalog, node_pools, pins, timings
from components.naming import PLATFORM_CONTRACT_VERSION, PLATFORM_OUTPUT, PLATFORM_REFERENCE_TYPE
from components.values import as_mapping, items

BUILT_IN_GROUPS = frozenset(
    {
        "",
        "admissionregistration.k8s.io",
        "apiextensions.k8s.io",
        "apiregistration.k8s.io",
        "apps",
        "authentication.k8s.io",
        "authorization.k8s.io",
        "autoscaling",
        "batch",
        "certificates.k8s.io",
        "coordination.k8s.io",
        "discovery.k8s.io",
        "events.k8s.io",
        "flowcontrol.apiserver.k8s.io",
        "networking.k8s.io",
        "node.k8s.io",
        "policy",
        "rbac.authorization.k8s.io",
        "resource.k8s.io",
        "scheduling.k8s.io",
        "storage.k8s.io",
        "storagemigration.k8s.io",
    }
)
"""API groups a Kubernetes 1.35 API server serves without any CRD."""
RELEASE = "kubernetes:helm.sh/v3:Release"
CRD = "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
ADDON = "aws:eks/addon:Addon"
POD_TEMPLATE_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Job", "ReplicaSet")
ROLLOUT = ("Rollout", "argoproj.io")
"""An Argo Rollout: a Deployment's pod template under progressive delivery (``spec.template``)."""
WORKLOAD_KINDS = frozenset({"Pod", "CronJob", *POD_TEMPLATE_KINDS, ROLLOUT[0]})
AWAITED_KINDS = ("Deployment", "StatefulSet")
"""Kinds pulumi-kubernetes waits on until ready (10 minutes unless annotated)."""
TIMEOUT_ANNOTATION = "pulumi.com/timeoutSeconds"
SKIP_AWAIT_ANNOTATION = "pulumi.com/skipAwait"
NVIDIA, NEURON = (
    catalog.DEVICE_RESOURCE[catalog.Accelerator.NVIDIA],
    catalog.DEVICE_RESOURCE[catalog.Accelerator.NEURON],
)
DEVICE_PLUGIN_IMAGES = {NVIDIA: ("k8s-device-plugin", "gpu-operator"), NEURON: ("neuron-device-plugin",)}
DEVICE_PLUGIN_CHARTS = {NVIDIA: ("nvidia-device-plugin", "gpu-operator"), NEURON: ("neuron-helm-chart",)}
"""What installs each accelerator's device plugin: a DaemonSet image or a chart."""
METRICS_SERVER = "metrics-server"
CUSTOM_METRICS_CHARTS = ("prometheus-adapter",)
EXTERNAL_METRICS_CHARTS = ("keda", "prometheus-adapter")
PROMETHEUS_CHARTS = ("kube-prometheus-stack",)
RESOURCE_METRICS_API, CUSTOM_METRICS_API, EXTERNAL_METRICS_API = (
    "metrics.k8s.io",
    "custom.metrics.k8s.io",
    "external.metrics.k8s.io",
)


@dataclass(frozen=True)
class Provided:
    """What the platform stacks an app stack reads have installed for it."""

    crd_groups: frozenset[str] = frozenset()
    metrics_apis: frozenset[str] = frozenset()
    prometheus_namespaces: frozenset[str] = frozenset()
    pools: tuple[tuple[str, Mapping[str, Any]], ...] = ()
    """``(name, node group-like props)``: labels, taints and instanceTypes of each GPU pool."""


def provided_by_platforms(resources: Iterable[PolicyResource]) -> Provided:
    """The union of the platform contracts (a version this pack reads) the stack recorded in
    ``PlatformReference`` components (``components.platform_stack.PlatformStack`` makes one)."""
    groups: set[str] = set()
    apis: set[str] = set()
    prometheus: set[str] = set()
    pools: list[tuple[str, Mapping[str, Any]]] = []
    for resource in resources:
        if resource.resource_type != PLATFORM_REFERENCE_TYPE:
            continue
        contract = as_mapping(resource.props.get(PLATFORM_OUTPUT))
        if contract.get("version") != PLATFORM_CONTRACT_VERSION:
            continue
        groups.update(map(str, items(contract.get("crdGroups"))))
        apis.update(map(str, items(contract.get("metricsApis"))))
        if isinstance(namespace := contract.get("monitoringNamespace"), str):
            prometheus.add(namespace)
        pools += [(str(name), as_mapping(pool)) for name, pool in as_mapping(contract.get("pools")).items()]
    return Provided(frozenset(groups), frozenset(apis), frozenset(prometheus), tuple(pools))


def kind_and_group(resource_type: str, props: Mapping[str, Any]) -> tuple[str, str] | None:
    """``(kind, group)`` of a Kubernetes object (None for releases, providers, AWS resources)."""
    if not resource_type.startswith("kubernetes:"):
        return None
    api_version, kind = props.get("apiVersion"), props.get("kind")
    if not isinstance(api_version, str) or not isinstance(kind, str):
        return None
    return kind, api_version.rpartition("/")[0]


def is_patch(resource_type: str) -> bool:
    """Whether a Kubernetes resource is a Patch (``kubernetes:apps/v1:DeploymentPatch``): it
    applies the fields it sets to a live object (server-side apply) and leaves the rest as they
    are. Its inputs carry the patched object's ``kind`` and ``apiVersion``."""
    return resource_type.startswith("kubernetes:") and resource_type.endswith("Patch")


def _kind_and_group(resource: PolicyResource) -> tuple[str, str] | None:
    return kind_and_group(resource.resource_type, resource.props)


def chart_name(resource: PolicyResource) -> str | None:
    """The chart a Helm Release installs (``oci://.../karpenter`` -> ``karpenter``), None for anything else."""
    if resource.resource_type != RELEASE:
        return None
    chart = resource.props.get("chart")
    return chart.rsplit("/", 1)[-1] if isinstance(chart, str) else None


def _releases(resources: Iterable[PolicyResource], charts: Sequence[str]) -> list[PolicyResource]:
    return [r for r in resources if chart_name(r) in charts]


def defined_groups(resource: PolicyResource) -> set[str]:
    """API groups whose CRDs this resource installs."""
    if resource.resource_type == CRD:
        group = as_mapping(resource.props.get("spec")).get("group")
        return {group} if isinstance(group, str) else set()
    chart = chart_name(resource)
    if chart is None:
        return set()
    if (
        chart == "kube-prometheus-stack"
        and as_mapping(as_mapping(resource.props.get("values")).get("crds")).get("enabled") is False
    ):
        return set()
    return set(pins.CRD_GROUPS.get(chart, ()))


def groups_defined_before(
    resources: Sequence[PolicyResource], definers: Mapping[str, set[str]]
) -> dict[str, frozenset[str]]:
    """Per URN, the API groups installed (``definers``: URN -> groups it installs) by something
    it waits for, directly or transitively; each answer computed once from its dependencies'."""
    by_urn = {r.urn: r for r in resources}
    before: dict[str, frozenset[str]] = {}

    def visit(urn: str) -> frozenset[str]:
        if urn not in before:
            before[urn] = frozenset()  # a dependency cycle ends here instead of recursing forever
            groups: set[str] = set()
            for dependency in by_urn[urn].dependencies if urn in by_urn else ():
                if dependency.urn in by_urn:
                    groups |= definers[dependency.urn] | visit(dependency.urn)
            before[urn] = frozenset(groups)
        return before[urn]

    for resource in resources:
        visit(resource.urn)
    return before


def validate_custom_objects_after_crds(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Every custom object depends on what defines its kind (CRD or chart shipping it)."""
    definers = {r.urn: defined_groups(r) for r in args.resources}
    installed: set[str] = set[str]().union(*definers.values())
    before = groups_defined_before(args.resources, definers)
    provided = provided_by_platforms(args.resources).crd_groups
    for resource in args.resources:
        kind_group = _kind_and_group(resource)
        if kind_group is None or kind_group[1] in BUILT_IN_GROUPS | provided:
            continue
        kind, group = kind_group
        if group in before[resource.urn]:
            continue
        where = "is installed in this stack but" if group in installed else "is installed nowhere in this stack and"
        report_violation(
            f"{kind} ({group}) would be applied before its CRD exists: the CRD {where} {resource.name} does "
            "not depend on it; add depends_on on the release or CRD that defines it (cluster.crds)",
            resource.urn,
        )


def _has_metrics_server(resources: Sequence[PolicyResource]) -> bool:
    return any(r.resource_type == ADDON and r.props.get("addonName") == METRICS_SERVER for r in resources) or bool(
        _releases(resources, (METRICS_SERVER,))
    )


def _prometheus_namespaces(resources: Sequence[PolicyResource]) -> set[str]:
    return {str(r.props.get("namespace") or "default") for r in _releases(resources, PROMETHEUS_CHARTS)}


def _service_namespace(address: str) -> str | None:
    """The namespace in ``http://<service>.<namespace>.svc[...]:port``."""
    host = address.partition("://")[2].partition("/")[0].partition(":")[0]
    parts = host.split(".")
    return parts[1] if len(parts) >= 3 and parts[2] == "svc" else None


def validate_autoscaling_metrics_served(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Every HPA metric and KEDA trigger is served by a metrics API the stack installs."""
    resources = args.resources
    provided = provided_by_platforms(resources)
    has_resource_api = _has_metrics_server(resources) or RESOURCE_METRICS_API in provided.metrics_apis
    has_custom_api = bool(_releases(resources, CUSTOM_METRICS_CHARTS)) or CUSTOM_METRICS_API in provided.metrics_apis
    has_external_api = (
        bool(_releases(resources, EXTERNAL_METRICS_CHARTS)) or EXTERNAL_METRICS_API in provided.metrics_apis
    )
    prometheus = _prometheus_namespaces(resources) | provided.prometheus_namespaces
    for resource in resources:
        kind_group = _kind_and_group(resource)
        if kind_group is None:
            continue
        spec = as_mapping(resource.props.get("spec"))
        if kind_group == ("HorizontalPodAutoscaler", "autoscaling"):
            for metric in map(as_mapping, items(spec.get("metrics"))):
                kind = str(metric.get("type"))
                served = {
                    "Resource": has_resource_api,
                    "ContainerResource": has_resource_api,
                    "Pods": has_custom_api,
                    "Object": has_custom_api,
                    "External": has_external_api,
                }.get(kind, False)
                if not served:
                    api = {"Pods": "custom.metrics.k8s.io", "Object": "custom.metrics.k8s.io"}.get(
                        kind, "external.metrics.k8s.io" if kind == "External" else "metrics.k8s.io (metrics-server)"
                    )
                    report_violation(
                        f"HPA {resource.name} scales on a {kind} metric but nothing serves {api} in this stack: "
                        "it can never read the metric (scale on a Prometheus metric through KEDA instead)",
                        resource.urn,
                    )
        elif kind_group == ("ScaledObject", "keda.sh"):
            for trigger in map(as_mapping, items(spec.get("triggers"))):
                kind = str(trigger.get("type"))
                if kind in ("cpu", "memory") and not has_resource_api:
                    report_violation(
                        f"ScaledObject {resource.name} has a {kind} trigger but no metrics-server is installed",
                        resource.urn,
                    )
                if kind == "prometheus":
                    address = str(as_mapping(trigger.get("metadata")).get("serverAddress", ""))
                    namespace = _service_namespace(address)
                    if namespace not in prometheus:
                        report_violation(
                            f"ScaledObject {resource.name} queries Prometheus at {address!r}, but this stack (and "
                            "the platform stacks it reads) installs kube-prometheus-stack in "
                            f"{', '.join(sorted(prometheus)) or 'no namespace'}",
                            resource.urn,
                        )


def pod_spec_of(resource: PolicyResource) -> Mapping[str, Any] | None:
    """The pod spec of a workload or bare Pod (None for anything else)."""
    return workload_pod(resource.resource_type, resource.props)


def workload_pod(resource_type: str, props: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The pod spec in a workload's or bare Pod's inputs (None for anything else)."""
    # The type token names the kind (``kubernetes:apps/v1:Deployment``, ``...:DeploymentPatch``,
    # a CustomResource's ``kubernetes:argoproj.io/v1alpha1:Rollout``): reading it first spares
    # every other resource the proxied reads of its inputs, for each workload rule.
    if resource_type.rpartition(":")[2].removesuffix("Patch") not in WORKLOAD_KINDS:
        return None
    kind_group = kind_and_group(resource_type, props)
    if kind_group is None:
        return None
    spec = as_mapping(props.get("spec"))
    if kind_group == ("Pod", ""):
        return spec
    if kind_group == ("CronJob", "batch"):
        job = as_mapping(as_mapping(spec.get("jobTemplate")).get("spec"))
        return as_mapping(as_mapping(job.get("template")).get("spec"))
    if kind_group[0] in POD_TEMPLATE_KINDS or kind_group == ROLLOUT:
        return as_mapping(as_mapping(spec.get("template")).get("spec"))
    return None


def containers(pod: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """``(name, container)`` for every container and init container of a pod spec."""
    for container in map(as_mapping, items(pod.get("containers")) + items(pod.get("initContainers"))):
        yield str(container.get("name", "?")), container


def device_requests(pod: Mapping[str, Any]) -> dict[str, int]:
    """Accelerator resource -> count a pod asks for (the largest container, as the scheduler counts)."""
    wanted: dict[str, int] = {}
    for _, container in containers(pod):
        resources = as_mapping(container.get("resources"))
        for section in ("limits", "requests"):
            for key, value in as_mapping(resources.get(section)).items():
                if key in (NVIDIA, NEURON):
                    try:
                        count = int(float(value))
                    except (TypeError, ValueError):
                        continue
                    wanted[key] = max(wanted.get(key, 0), count)
    return wanted


def _tolerates(tolerations: Sequence[Mapping[str, Any]], taint: Mapping[str, Any]) -> bool:
    effect = "".join(part.capitalize() for part in str(taint.get("effect", "")).split("_"))
    for toleration in tolerations:
        if toleration.get("effect") not in (None, "", effect):
            continue
        if toleration.get("operator") == "Exists" and toleration.get("key") in (None, "", taint.get("key")):
            return True
        if toleration.get("key") == taint.get("key") and toleration.get("value", "") == taint.get("value", ""):
            return True
    return False


def node_group_fit(pod: Mapping[str, Any], group: Mapping[str, Any], resource: str, count: int) -> str | None:
    """Why a pod cannot run on the nodes of a node group (its props, or a platform pool's
    contract entry: labels, taints, instanceTypes); None when it can."""
    labels = as_mapping(group.get("labels"))
    selector = as_mapping(pod.get("nodeSelector"))
    missing = {k: v for k, v in selector.items() if labels.get(k) != v}
    if missing:
        return f"labels {dict(missing)} not on its nodes"
    tolerations = [as_mapping(t) for t in items(pod.get("tolerations"))]
    untolerated = [as_mapping(t) for t in items(group.get("taints")) if not _tolerates(tolerations, as_mapping(t))]
    if untolerated:
        return f"taint {untolerated[0].get('key')} not tolerated"
    specs = [catalog.accelerated().get(str(t)) for t in items(group.get("instanceTypes"))]
    kinds = {catalog.DEVICE_RESOURCE[s.accelerator] for s in specs if s is not None}
    if resource not in kinds:
        return f"its instance types have no {resource}"
    per_node = min(s.accelerators for s in specs if s is not None)
    if per_node < count:
        return f"its nodes have {per_node} {resource}, the pod asks for {count}"
    return None


def _plugin_covers(plugin: PolicyResource, group: PolicyResource) -> bool:
    """A device-plugin DaemonSet runs on a node group's nodes (its selector matches their labels)."""
    pod = pod_spec_of(plugin) or {}
    labels = as_mapping(group.props.get("labels"))
    return all(labels.get(k) == v for k, v in as_mapping(pod.get("nodeSelector")).items())


def missing_device_plugin(group: PolicyResource, resources: Sequence[PolicyResource]) -> str | None:
    """Which extended resource a node group's nodes need a plugin for, when no plugin covers them."""
    ami = str(group.props.get("amiType", ""))
    if "BOTTLEROCKET" in ami and "NVIDIA" in ami:
        return None  # Bottlerocket's NVIDIA variants ship the device plugin.
    if "NVIDIA" in ami or ami == "AL2_x86_64_GPU":
        resource = NVIDIA
    elif "NEURON" in ami:
        resource = NEURON
    else:
        return None
    if _releases(resources, DEVICE_PLUGIN_CHARTS[resource]):
        return None
    for candidate in resources:
        if _kind_and_group(candidate) != ("DaemonSet", "apps"):
            continue
        pod = pod_spec_of(candidate) or {}
        images = [str(as_mapping(c).get("image", "")) for c in items(pod.get("containers"))]
        if any(marker in image for image in images for marker in DEVICE_PLUGIN_IMAGES[resource]) and _plugin_covers(
            candidate, group
        ):
            return None
    return resource


def gpu_node_groups(resources: Sequence[PolicyResource]) -> list[PolicyResource]:
    """The stack's managed node groups, and its Karpenter NodePools that launch accelerated
    types, each NodePool seen as a node group (:func:`components.node_pools.as_node_group`:
    labels, taints, allowed instance types, the AMI type of its EC2NodeClass's alias)."""
    classes = {
        str(as_mapping(r.props.get("metadata")).get("name", "")): r.props
        for r in resources
        if r.resource_type == node_pools.NODE_CLASS
    }
    groups: list[PolicyResource] = []
    for r in resources:
        if r.resource_type == NODE_GROUP:
            groups.append(r)
        elif r.resource_type == node_pools.NODE_POOL and node_pools.allowed_types(r.props):
            view = node_pools.as_node_group(r.props, classes.get(node_pools.node_class_name(r.props)))
            groups.append(
                PolicyResource(
                    r.resource_type,
                    view,
                    r.urn,
                    r.name,
                    r.opts,
                    r.provider,
                    r.parent,
                    r.dependencies,
                    r.property_dependencies,
                )
            )
    return groups


def validate_gpu_workloads_schedulable(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Accelerator nodes have a device plugin; every accelerator request fits some node group or NodePool."""
    resources = args.resources
    groups = gpu_node_groups(resources)
    missing_plugin = {group.urn: missing_device_plugin(group, resources) for group in groups}
    for group in groups:
        missing = missing_plugin[group.urn]
        if missing is not None:
            report_violation(
                f"node group {group.name} ({group.props.get('amiType')}) has no device plugin: its nodes advertise "
                f"no {missing} and accelerator pods stay Pending; add NvidiaDevicePlugin (or use Bottlerocket)",
                group.urn,
            )
    # (name, props, the device plugin it lacks); a platform's pools passed its own stack's check.
    candidates = [(g.name, g.props, missing_plugin[g.urn]) for g in groups]
    candidates += [(f"platform pool {name}", pool, None) for name, pool in provided_by_platforms(resources).pools]
    for resource in resources:
        pod = pod_spec_of(resource)
        if pod is None:
            continue
        for device, count in device_requests(pod).items():
            reasons = {name: node_group_fit(pod, props, device, count) for name, props, _ in candidates}
            fits = [(name, missing) for name, _, missing in candidates if reasons[name] is None]
            if not fits:
                why = "; ".join(f"{name}: {reason}" for name, reason in reasons.items()) or "no node groups"
                report_violation(
                    f"{resource.name} requests {count} {device} but no node group can run it ({why})",
                    resource.urn,
                )
            elif all(missing == device for _, missing in fits):
                report_violation(
                    f"{resource.name} requests {device} but no device plugin runs on "
                    f"{', '.join(name for name, _ in fits)}: it would stay Pending",
                    resource.urn,
                )


def startup_budget_seconds(pod: Mapping[str, Any]) -> int:
    """The longest a container may take to start: its startup probe's window, else readiness."""
    budget = 0
    for container in map(as_mapping, items(pod.get("containers"))):
        probe = as_mapping(container.get("startupProbe")) or as_mapping(container.get("readinessProbe"))
        if not probe:
            continue
        window = float(probe.get("initialDelaySeconds", 0)) + float(probe.get("periodSeconds", 10)) * float(
            probe.get("failureThreshold", 3)
        )
        budget = max(budget, int(window))
    return budget


def copies_model(pod: Mapping[str, Any]) -> bool:
    """Whether a pod fetches its model before starting (it has init containers)."""
    return bool(items(pod.get("initContainers")))


def required_await_seconds(pod: Mapping[str, Any]) -> int:
    """Startup budget plus, for accelerator pods, a node from zero, the image pull and a model copy."""
    budget = startup_budget_seconds(pod)
    if device_requests(pod):
        budget += timings.gpu_scheduling_allowance(copies_model(pod))
    return budget


def metadata_annotations(props: Mapping[str, Any]) -> Mapping[str, Any]:
    """A Kubernetes object's ``metadata.annotations`` (empty when unset or unknown)."""
    return as_mapping(as_mapping(props.get("metadata")).get("annotations"))


def awaited(resource_type: str, props: Mapping[str, Any]) -> bool:
    """Whether pulumi-kubernetes waits for this object to become ready (no ``skipAwait``)."""
    kind_group = kind_and_group(resource_type, props)
    if kind_group is None or kind_group[0] not in AWAITED_KINDS:
        return False
    return str(metadata_annotations(props).get(SKIP_AWAIT_ANNOTATION, "")).lower() != "true"


def validate_await_covers_startup(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Every workload pulumi-kubernetes awaits has a timeout covering its startup budget."""
    for resource in args.resources:
        if not awaited(resource.resource_type, resource.props):
            continue
        given = metadata_annotations(resource.props)
        try:
            timeout = int(float(given.get(TIMEOUT_ANNOTATION, timings.DEPLOYMENT_DEFAULT_AWAIT)))
        except (TypeError, ValueError):
            timeout = timings.DEPLOYMENT_DEFAULT_AWAIT
        needed = required_await_seconds(pod_spec_of(resource) or {})
        if timeout < needed:
            report_violation(
                f"{resource.props.get('kind')} {resource.name}: pulumi up waits {timeout} s but it may need "
                f"{needed} s to become ready (startup probe window, plus GPU scale-up, image pull and model copy); set "
                f"{TIMEOUT_ANNOTATION} to at least {needed}, or {SKIP_AWAIT_ANNOTATION}",
                resource.urn,
            )


WARN_DAYS = 90


def eks_version_problems(version: str, support_type: str, today: datetime.date, warn_days: int) -> list[str]:
    """What to say about a cluster's Kubernetes version on ``today`` (``""``: not set)."""
    if not version:
        accepted = [v for v in pins.KUBERNETES_VERSIONS if not eks_version_problems(v, support_type, today, warn_days)]
        return [
            "the Kubernetes version is not set, so EKS would create the cluster at its current default version; "
            f"pin one of the versions in standard support for more than {warn_days} days "
            f"({', '.join(accepted)}) in the cluster's version input"
        ]
    window = pins.KUBERNETES_VERSIONS.get(version)
    if window is None:
        return [f"Kubernetes {version} is not a version this platform knows ({', '.join(pins.KUBERNETES_VERSIONS)})"]
    status = pins.support_status(version, today)
    if status == "ended":
        return [f"Kubernetes {version} left EKS support on {window.extended_support_end}"]
    if status == "extended":
        if support_type == "EXTENDED":
            return [
                f"Kubernetes {version} left standard support on {window.standard_support_end}: the control plane "
                f"bills extended support (6x) until you upgrade (extended support ends {window.extended_support_end})"
            ]
        return [f"Kubernetes {version} left standard support on {window.standard_support_end}: EKS upgrades it"]
    days = (window.standard_support_end - today).days
    if days <= warn_days:
        then = "bills extended support (6x)" if support_type == "EXTENDED" else "is upgraded by EKS"
        return [
            f"Kubernetes {version} leaves standard support on {window.standard_support_end} ({days} days): "
            f"upgrade before then, or the control plane {then}"
        ]
    return []


def validate_eks_version(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """EKS clusters run a version in standard support, with warning before it ends."""
    if args.resource_type != "aws:eks/cluster:Cluster":
        return
    support = str(as_mapping(args.props.get("upgradePolicy")).get("supportType", pins.UNSET_SUPPORT_TYPE))
    warn_days = int(args.get_config().get("warnDays", WARN_DAYS))
    for problem in eks_version_problems(str(args.props.get("version") or ""), support, pins.today(), warn_days):
        report_violation(problem, None)

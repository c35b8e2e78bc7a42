"""Kubernetes workload rules (Deployment, StatefulSet, DaemonSet, Job, CronJob, bare Pods):
no host access, least privilege, requests and limits, probes on servers.

System workloads that legitimately need more are exempted by a configurable allow-list, each
entry with its reason; the default names the NVIDIA device plugin.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs

from components.naming import image_digest, image_reference_problems, pinned_image_problems
from components.policies.readiness import NEURON, NVIDIA, containers, kind_and_group, workload_pod
from components.values import as_mapping, items

DEVICE_PLUGIN_EXEMPTION = {
    "kind": "DaemonSet",
    "namespace": "kube-system",
    "name": "nvidia-device-plugin",
    "reason": "registers GPUs with the kubelet through its socket in the hostPath "
    "/var/lib/kubelet/device-plugins, which only root may write",
}
DEFAULT_EXEMPTIONS = [DEVICE_PLUGIN_EXEMPTION]
EXEMPTIONS_SCHEMA = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["kind", "namespace", "name", "reason"],
        "properties": {k: {"type": "string"} for k in ("kind", "namespace", "name", "reason")},
    },
    "default": DEFAULT_EXEMPTIONS,
}
"""Config schema of every workload rule's ``exemptions``."""
SERVER_KINDS = ("Deployment", "StatefulSet")
"""Long-running servers: they need probes."""


def workload(args: ResourceValidationArgs) -> tuple[str, Mapping[str, Any]] | None:
    """``(kind, pod spec)`` of a workload or bare Pod, unless an exemption names it."""
    pod = workload_pod(args.resource_type, args.props)
    kind_group = kind_and_group(args.resource_type, args.props)
    if pod is None or kind_group is None:
        return None
    metadata = as_mapping(args.props.get("metadata"))
    identity = (kind_group[0], metadata.get("namespace", "default"), metadata.get("name", args.name))
    for entry in map(as_mapping, items(args.get_config().get("exemptions", []))):
        if (entry.get("kind"), entry.get("namespace"), entry.get("name")) == identity:
            return None
    return kind_group[0], pod


def host_access(pod: Mapping[str, Any]) -> list[str]:
    """Ways the pod reaches into its node."""
    found = [f"{key}: true" for key in ("hostNetwork", "hostPID", "hostIPC") if pod.get(key) is True]
    found += [
        f"hostPath volume {v.get('name')} ({as_mapping(v.get('hostPath')).get('path')})"
        for v in map(as_mapping, items(pod.get("volumes")))
        if v.get("hostPath") is not None
    ]
    for name, container in containers(pod):
        if as_mapping(container.get("securityContext")).get("privileged") is True:
            found.append(f"container {name} is privileged")
    return found


def _report(
    args: ResourceValidationArgs,
    report_violation: ReportViolation,
    problems_of: Callable[[Mapping[str, Any]], list[str]],
    consequence: str = "",
) -> None:
    """Report each problem ``problems_of`` finds in the workload's pod (none when exempt)."""
    found = workload(args)
    for problem in problems_of(found[1]) if found is not None else []:
        report_violation(problem + consequence, None)


def validate_no_host_access(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """No privileged containers, host network/PID/IPC or hostPath volumes."""
    consequence = ": the pod can take over its node; drop it or add a reasoned exemption"
    _report(args, report_violation, host_access, consequence)


def privilege_problems(pod: Mapping[str, Any], allowed_capabilities: list[str]) -> list[str]:
    """Where a pod runs with more than it needs."""
    pod_context = as_mapping(pod.get("securityContext"))
    problems: list[str] = []
    for name, container in containers(pod):
        context = as_mapping(container.get("securityContext"))
        added = [c for c in items(as_mapping(context.get("capabilities")).get("add")) if c not in allowed_capabilities]
        if added:
            problems.append(f"container {name} adds capabilities {', '.join(map(str, added))}")
        if context.get("runAsNonRoot", pod_context.get("runAsNonRoot")) is not True:
            problems.append(f"container {name} may run as root (runAsNonRoot: true)")
        if context.get("allowPrivilegeEscalation") is not False:
            problems.append(f"container {name} allows privilege escalation (allowPrivilegeEscalation: false)")
        if context.get("readOnlyRootFilesystem") is not True:
            problems.append(f"container {name} can write its root filesystem (readOnlyRootFilesystem: true)")
    return problems


def validate_least_privilege(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Containers run as non-root, without privilege escalation or added capabilities (beyond a
    configurable list), on a read-only root filesystem."""
    allowed = [str(c) for c in args.get_config().get("allowedCapabilities", [])]
    _report(args, report_violation, lambda pod: privilege_problems(pod, allowed))


def resource_problems(pod: Mapping[str, Any]) -> list[str]:
    """Containers without CPU/memory requests and limits; accelerator requests not in limits."""
    problems: list[str] = []
    for name, container in containers(pod):
        resources = as_mapping(container.get("resources"))
        requests, limits = as_mapping(resources.get("requests")), as_mapping(resources.get("limits"))
        missing = [
            f"{section}.{key}"
            for section, values in (("requests", requests), ("limits", limits))
            for key in ("cpu", "memory")
            if key not in values
        ]
        if missing:
            problems.append(f"container {name} sets no {', '.join(missing)}")
        for device in (NVIDIA, NEURON):
            if device in requests and str(limits.get(device)) != str(requests[device]):
                problems.append(f"container {name} requests {device} without an equal limit")
    return problems


def validate_resources_set(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Every container sets CPU and memory requests and limits; GPU requests have GPU limits."""
    _report(args, report_violation, resource_problems, ": the scheduler cannot place it safely")


def validate_server_probes(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Deployments and StatefulSets with ports have readiness and liveness probes."""
    found = workload(args)
    if found is None or found[0] not in SERVER_KINDS:
        return
    for name, container in containers(found[1]):
        if not items(container.get("ports")):
            continue
        missing = [probe for probe in ("readinessProbe", "livenessProbe") if not container.get(probe)]
        if missing:
            report_violation(f"container {name} serves ports without {' and '.join(missing)}", None)


def image_problems(pod: Mapping[str, Any], require_digest: bool) -> list[str]:
    """Images that are no valid reference (the OCI distribution grammar), untagged, ``latest``,
    or (when required) not pinned by a sha256 digest."""
    problems: list[str] = []
    for name, container in containers(pod):
        image = str(container.get("image", ""))
        if image_digest(image) is not None:
            continue
        if image_reference_problems(image):
            problems.append(f"container {name} runs {image!r}, which is no valid image reference")
        elif pinned_image_problems(image):
            problems.append(f"container {name} runs unpinned image {image!r}")
        elif require_digest:
            problems.append(f"container {name} runs {image!r} by tag; pin it by digest (image@sha256:...)")
    return problems


def validate_pinned_images(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Workloads run version- or digest-pinned images, never latest; digests when required (prod)."""
    require_digest = bool(args.get_config().get("requireDigest", False))
    _report(args, report_violation, lambda pod: image_problems(pod, require_digest))

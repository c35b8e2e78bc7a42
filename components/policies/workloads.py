"""Kubernetes workload rules (Deployment, StatefulSet, DaemonSet, Job, CronJob, bare Pods):
no host access, least privilege, requests and limits, probes on servers.

Their Patches (``DeploymentPatch``, ``PodPatch``...) are judged on what they set: a patch leaves
every field it does not set to the live object, so a field's absence is never a violation there.

System workloads that legitimately need more are exempted by a configurable allow-list, each
entry with its reason; the default names the NVIDIA device plugin.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs

from components.naming import image_digest, image_reference_problems, pinned_image_problems, repository_of
from components.pins import IMAGES
from components.policies.readiness import NEURON, NVIDIA, containers, is_patch, kind_and_group, workload_pod
from components.values import as_mapping, items

DEVICE_PLUGIN_EXEMPTION = {
    "kind": "DaemonSet",
    "namespace": "kube-system",
    "name": "nvidia-device-plugin",
    "image": repository_of(IMAGES["nvidia-device-plugin"].repository),
    "reason": "registers GPUs with the kubelet through its socket in the hostPath "
    "/var/lib/kubelet/device-plugins, which only root may write",
}
DEFAULT_EXEMPTIONS = [DEVICE_PLUGIN_EXEMPTION]
EXEMPTION_KEYS = ("kind", "namespace", "name", "image", "reason")
EXEMPTIONS_SCHEMA = {
    "type": "array",
    "items": {
        "type": "object",
        "required": list(EXEMPTION_KEYS),
        "properties": {
            **{k: {"type": "string"} for k in EXEMPTION_KEYS},
            "digest": {"type": "string", "pattern": "^sha256:[0-9a-f]{64}$"},
        },
    },
    "default": DEFAULT_EXEMPTIONS,
}
"""Config schema of every workload rule's ``exemptions``."""
SERVER_KINDS = ("Deployment", "StatefulSet", "Rollout")
"""Long-running servers: they need probes (an Argo Rollout is a Deployment under progressive delivery)."""


@dataclass(frozen=True)
class Workload:
    """A workload's (or bare Pod's) kind and pod spec."""

    kind: str
    pod: Mapping[str, Any]
    patch: bool
    """Whether it is a Patch: only the fields it sets are judged, never a field's absence."""


def runs_only(pod: Mapping[str, Any], entry: Mapping[str, Any]) -> bool:
    """Whether every container of the pod runs the exemption's image: its fully qualified
    repository (``fnmatch`` pattern) and, when the entry names one, its digest. A name anyone
    can take (a DaemonSet called ``nvidia-device-plugin`` running something else) exempts nothing."""
    pattern, digest = str(entry.get("image", "")), entry.get("digest")
    images = [container.get("image") for _, container in containers(pod)]
    return bool(images) and all(
        isinstance(image, str)
        and fnmatch.fnmatchcase(repository_of(image), pattern)
        and (digest is None or image_digest(image) == digest)
        for image in images
    )


def exempt(args: ResourceValidationArgs, kind: str, pod: Mapping[str, Any]) -> bool:
    """Whether an exemption names the workload and it runs the exemption's image. Its namespace
    is read only when an exemption of its kind exists, and its name only when one of its kind and
    namespace does: in a first preview a computed name (unknown) must not keep the rules from
    judging its known pod."""
    entries = [e for e in map(as_mapping, items(args.get_config().get("exemptions", []))) if e.get("kind") == kind]
    if not entries:
        return False
    metadata = as_mapping(args.props.get("metadata"))
    namespace = metadata.get("namespace", "default")
    named = [e for e in entries if e.get("namespace") == namespace]
    if not named:
        return False
    name = metadata.get("name", args.name)
    return any(e.get("name") == name and runs_only(pod, e) for e in named)


def workload(args: ResourceValidationArgs) -> Workload | None:
    """The workload or bare Pod (or a Patch of one), unless an exemption names it."""
    pod = workload_pod(args.resource_type, args.props)
    kind_group = kind_and_group(args.resource_type, args.props)
    if pod is None or kind_group is None or exempt(args, kind_group[0], pod):
        return None
    return Workload(kind_group[0], pod, is_patch(args.resource_type))


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
    problems_of: Callable[[Workload], list[str]],
    consequence: str = "",
) -> None:
    """Report each problem ``problems_of`` finds in the workload (none when exempt)."""
    found = workload(args)
    for problem in problems_of(found) if found is not None else []:
        report_violation(problem + consequence, None)


def validate_no_host_access(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """No privileged containers, host network/PID/IPC or hostPath volumes."""
    consequence = ": the pod can take over its node; drop it or add a reasoned exemption"
    _report(args, report_violation, lambda found: host_access(found.pod), consequence)


def _breaks(value: Any, required: bool, patch: bool) -> bool:
    """Whether a boolean setting misses its required value: anything else (unset too), or in a
    patch, which leaves an unset field to the live object, only the opposite value set."""
    return value is (not required) if patch else value is not required


def privilege_problems(pod: Mapping[str, Any], allowed_capabilities: list[str], patch: bool) -> list[str]:
    """Where a pod (or, with ``patch``, what a patch sets of one) runs with more than it needs."""
    pod_context = as_mapping(pod.get("securityContext"))
    problems: list[str] = []
    for name, container in containers(pod):
        context = as_mapping(container.get("securityContext"))
        added = [c for c in items(as_mapping(context.get("capabilities")).get("add")) if c not in allowed_capabilities]
        if added:
            problems.append(f"container {name} adds capabilities {', '.join(map(str, added))}")
        if _breaks(context.get("runAsNonRoot", pod_context.get("runAsNonRoot")), True, patch):
            problems.append(f"container {name} may run as root (runAsNonRoot: true)")
        if _breaks(context.get("allowPrivilegeEscalation"), False, patch):
            problems.append(f"container {name} allows privilege escalation (allowPrivilegeEscalation: false)")
        if _breaks(context.get("readOnlyRootFilesystem"), True, patch):
            problems.append(f"container {name} can write its root filesystem (readOnlyRootFilesystem: true)")
    return problems


def validate_least_privilege(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Containers run as non-root, without privilege escalation or added capabilities (beyond a
    configurable list), on a read-only root filesystem."""
    allowed = [str(c) for c in args.get_config().get("allowedCapabilities", [])]
    _report(args, report_violation, lambda found: privilege_problems(found.pod, allowed, found.patch))


def resource_problems(pod: Mapping[str, Any], patch: bool) -> list[str]:
    """Containers without CPU/memory requests and limits; accelerator requests not in limits.
    With ``patch``, what a patch leaves unset is the live object's: only unequal accelerator
    requests and limits it sets."""
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
        if missing and not patch:
            problems.append(f"container {name} sets no {', '.join(missing)}")
        for device in (NVIDIA, NEURON):
            if device not in requests or (patch and device not in limits):
                continue
            if str(limits.get(device)) != str(requests[device]):
                problems.append(f"container {name} requests {device} without an equal limit")
    return problems


def validate_resources_set(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Every container sets CPU and memory requests and limits; GPU requests have GPU limits."""
    _report(
        args,
        report_violation,
        lambda found: resource_problems(found.pod, found.patch),
        ": the scheduler cannot place it safely",
    )


def validate_server_probes(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Deployments, StatefulSets and Rollouts with ports have readiness and liveness probes (a patch's
    containers may have theirs in the live object: patches are not judged)."""
    found = workload(args)
    if found is None or found.patch or found.kind not in SERVER_KINDS:
        return
    for name, container in containers(found.pod):
        if not items(container.get("ports")):
            continue
        missing = [probe for probe in ("readinessProbe", "livenessProbe") if not container.get(probe)]
        if missing:
            report_violation(f"container {name} serves ports without {' and '.join(missing)}", None)


def image_problems(pod: Mapping[str, Any], require_digest: bool, patch: bool) -> list[str]:
    """Images that are no valid reference (the OCI distribution grammar), untagged, ``latest``,
    or (when required) not pinned by a sha256 digest. With ``patch``, only the images it sets."""
    problems: list[str] = []
    for name, container in containers(pod):
        if patch and container.get("image") is None:
            continue
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
    _report(args, report_violation, lambda found: image_problems(found.pod, require_digest, found.patch))

"""The Pod Security Standards (Kubernetes v1.35, the version the pack targets), baseline and
restricted, for every field the pack's other workload rules do not judge already.

``k8s-no-host-access`` covers baseline's privileged containers, host namespaces and hostPath
volumes; ``k8s-least-privilege`` covers added capabilities, ``allowPrivilegeEscalation`` and
``runAsNonRoot``. This rule covers the rest: host ports, probe and lifecycle hosts, Windows
HostProcess, AppArmor (field and annotation), SELinux, ``/proc`` mount type, Seccomp and sysctls
(baseline); volume types, ``runAsUser: 0``, Seccomp RuntimeDefault/Localhost and dropping ALL
capabilities (restricted). The lists are the checks of k8s.io/pod-security-admission v0.35.6
(Kubernetes 1.35, ``policy/check_*.go``, read 2026-12-07; tests/vendor/catalogues/pss.json).
A Patch is judged on what it sets: only a forbidden value, never an unset field.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs

from components.policies.readiness import containers
from components.policies.workloads import workload
from components.values import as_mapping, items

SAFE_SYSCTLS = frozenset(
    {
        "kernel.shm_rmid_forced",
        "net.ipv4.ip_local_port_range",
        "net.ipv4.ip_unprivileged_port_start",
        "net.ipv4.tcp_syncookies",
        "net.ipv4.ping_group_range",
        "net.ipv4.ip_local_reserved_ports",
        "net.ipv4.tcp_keepalive_time",
        "net.ipv4.tcp_fin_timeout",
        "net.ipv4.tcp_keepalive_intvl",
        "net.ipv4.tcp_keepalive_probes",
        "net.ipv4.tcp_rmem",
        "net.ipv4.tcp_wmem",
    }
)
"""Baseline "Sysctls": the namespaced, pod-isolated sysctls a pod may set."""
SELINUX_TYPES = frozenset({"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"})
"""Baseline "SELinux": the only ``seLinuxOptions.type`` values (``user`` and ``role`` must be unset)."""
PROFILE_TYPES = frozenset({"RuntimeDefault", "Localhost"})
"""Restricted "Seccomp" (baseline forbids only Unconfined) and baseline "AppArmor" profile types."""
RESTRICTED_VOLUMES = frozenset(
    {
        "configMap",
        "csi",
        "downwardAPI",
        "emptyDir",
        "ephemeral",
        "image",
        "persistentVolumeClaim",
        "projected",
        "secret",
    }
)
"""Restricted "Volume Types"; ``hostPath`` is reported by ``k8s-no-host-access``."""
APPARMOR_ANNOTATION = "container.apparmor.security.beta.kubernetes.io/"
"""Baseline "AppArmor": the deprecated per-container annotation, still read by the admission check."""
HANDLERS = ("livenessProbe", "readinessProbe", "startupProbe", "lifecycle.postStart", "lifecycle.preStop")
"""Baseline "Probes / Lifecycle Handlers" (1.34+): where ``httpGet.host`` / ``tcpSocket.host`` must stay unset."""


def _context_problems(where: str, context: Mapping[str, Any]) -> list[str]:
    """Baseline fields a pod- or container-level securityContext sets to something forbidden."""
    problems: list[str] = []
    if as_mapping(context.get("windowsOptions")).get("hostProcess") is True:
        problems.append(f"{where}.windowsOptions.hostProcess is true (full access to the Windows node)")
    apparmor = as_mapping(context.get("appArmorProfile")).get("type")
    if apparmor is not None and apparmor not in PROFILE_TYPES:
        problems.append(f"{where}.appArmorProfile.type is {apparmor} (RuntimeDefault or Localhost)")
    selinux = as_mapping(context.get("seLinuxOptions"))
    if str(selinux.get("type", "")) not in SELINUX_TYPES:
        problems.append(f"{where}.seLinuxOptions.type is {selinux.get('type')} (container_t and its kin only)")
    problems += [
        f"{where}.seLinuxOptions.{key} is set (leave it unset)" for key in ("user", "role") if selinux.get(key)
    ]
    if as_mapping(context.get("seccompProfile")).get("type") == "Unconfined":
        problems.append(f"{where}.seccompProfile.type is Unconfined (RuntimeDefault)")
    if context.get("runAsUser") in (0, 0.0):
        problems.append(f"{where}.runAsUser is 0 (root; use a non-zero UID)")
    return problems


def _handler_hosts(name: str, container: Mapping[str, Any]) -> list[str]:
    """Probes and lifecycle handlers that send the kubelet to another host than the pod."""
    problems: list[str] = []
    for path in HANDLERS:
        handler = container
        for key in path.split("."):
            handler = as_mapping(handler.get(key))
        for action in ("httpGet", "tcpSocket"):
            if host := as_mapping(handler.get(action)).get("host"):
                problems.append(f"container {name} {path}.{action}.host is {host} (leave it unset: the pod's own IP)")
    return problems


def annotation_problems(annotations: Mapping[str, Any]) -> list[str]:
    """Baseline AppArmor annotations other than runtime/default or localhost/<profile>."""
    return [
        f"pod annotation {key} is {value} (runtime/default or localhost/<profile>)"
        for key, value in annotations.items()
        if str(key).startswith(APPARMOR_ANNOTATION)
        and value not in ("", "runtime/default")
        and not str(value).startswith("localhost/")
    ]


def pss_problems(pod: Mapping[str, Any], patch: bool, annotations: Mapping[str, Any] | None = None) -> list[str]:
    """What of a pod spec (and its pod ``annotations``) breaks PSS baseline or restricted outside
    the other workload rules. With ``patch``, only values the patch sets."""
    pod_context = as_mapping(pod.get("securityContext"))
    problems = annotation_problems(annotations or {}) + _context_problems("securityContext", pod_context)
    unsafe = [str(s.get("name")) for s in map(as_mapping, items(pod_context.get("sysctls")))]
    if unsafe := [name for name in unsafe if name not in SAFE_SYSCTLS]:
        problems.append(f"securityContext.sysctls sets {', '.join(unsafe)} (not namespaced: affects the whole node)")
    allowed = ", ".join(sorted(RESTRICTED_VOLUMES))
    for volume in map(as_mapping, items(pod.get("volumes"))):
        sources = [key for key in volume if key not in ("name", "hostPath")]
        if forbidden := [source for source in sources if source not in RESTRICTED_VOLUMES]:
            problems.append(f"volume {volume.get('name')} is a {', '.join(forbidden)} volume (restricted: {allowed})")
    pod_seccomp = as_mapping(pod_context.get("seccompProfile")).get("type")
    for name, container in containers(pod):
        context = as_mapping(container.get("securityContext"))
        problems += _context_problems(f"container {name} securityContext", context)
        if context.get("procMount") not in (None, "Default"):
            problems.append(f"container {name} securityContext.procMount is {context.get('procMount')} (Default)")
        problems += [
            f"container {name} ports[{index}].hostPort is {int(port['hostPort'])} (binds the node's port)"
            for index, port in enumerate(map(as_mapping, items(container.get("ports"))))
            if port.get("hostPort") not in (None, 0, 0.0)
        ]
        problems += _handler_hosts(name, container)
        if patch:
            continue
        seccomp = as_mapping(context.get("seccompProfile")).get("type", pod_seccomp)
        if seccomp not in PROFILE_TYPES and seccomp != "Unconfined":
            problems.append(f"container {name} sets no seccompProfile (type RuntimeDefault, here or on the pod)")
        if "ALL" not in [str(c) for c in items(as_mapping(context.get("capabilities")).get("drop"))]:
            problems.append(f"container {name} does not drop ALL capabilities (capabilities.drop: [ALL])")
    return problems


def pod_annotations(kind: str, props: Mapping[str, Any]) -> Mapping[str, Any]:
    """The annotations of the pod a workload's inputs describe (a bare Pod's own, a template's)."""
    spec = as_mapping(props.get("spec"))
    if kind == "Pod":
        metadata = props.get("metadata")
    elif kind == "CronJob":
        metadata = as_mapping(as_mapping(as_mapping(spec.get("jobTemplate")).get("spec")).get("template")).get(
            "metadata"
        )
    else:
        metadata = as_mapping(spec.get("template")).get("metadata")
    return as_mapping(as_mapping(metadata).get("annotations"))


def validate_pod_security_standards(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Pod Security Standards baseline and restricted, beyond k8s-no-host-access and k8s-least-privilege."""
    found = workload(args)
    if found is None:
        return
    for problem in pss_problems(found.pod, found.patch, pod_annotations(found.kind, args.props)):
        report_violation(f"{problem}: the Pod Security Standards forbid it", None)

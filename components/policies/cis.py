"""Rules for the CIS Amazon EKS Benchmark (v1.8.0) section 4 controls the RBAC and workload rules
did not judge: 4.1.4 and 4.1.9-4.1.12 (grants that reach pods, volumes, nodes, admission or tokens
of others) and 4.5.2 (the default namespace). Control texts: tests/vendor/catalogues/cis-eks.json.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs

from components.policies.rbac import RBAC_GROUP
from components.policies.readiness import is_patch, kind_and_group, workload_pod
from components.values import as_mapping, items

WRITES = ("create", "update", "patch", "delete", "deletecollection")
ADMISSION = "admissionregistration.k8s.io"
SENSITIVE_GRANTS: tuple[tuple[str, str, str, tuple[str, ...], str], ...] = (
    ("4.1.4", "", "pods", ("create",), "creating pods runs code as any service account of the namespace"),
    ("4.1.9", "", "persistentvolumes", ("create",), "a PersistentVolume can mount any path of a node (hostPath)"),
    ("4.1.10", "", "nodes/proxy", ("get", "create", "update", "patch"), "nodes/proxy reaches every kubelet's API"),
    ("4.1.11", ADMISSION, "mutatingwebhookconfigurations", WRITES, "a mutating webhook rewrites every object"),
    ("4.1.11", ADMISSION, "validatingwebhookconfigurations", WRITES, "a validating webhook sees every object"),
    ("4.1.12", "", "serviceaccounts/token", ("create",), "it mints tokens of other service accounts"),
)
"""(CIS control, API group, resource, verbs, why): grants the benchmark asks to minimise. A ``*``
verb, resource or API group is ``k8s-rbac-least-privilege``'s to report."""


def sensitive_grants(rules: list[Mapping[str, Any]]) -> list[str]:
    """Explicit grants of the verbs and resources :data:`SENSITIVE_GRANTS` names."""
    problems: list[str] = []
    for index, rule in enumerate(rules):
        verbs = [str(v) for v in items(rule.get("verbs"))]
        resources = [str(r) for r in items(rule.get("resources"))]
        groups = [str(g) for g in items(rule.get("apiGroups"))]
        if "*" in verbs or "*" in resources or "*" in groups:
            continue
        for control, group, resource, risky, why in SENSITIVE_GRANTS:
            granted = [v for v in verbs if v in risky]
            if group in groups and resource in resources and granted:
                problems.append(f"rules[{index}] grants {', '.join(granted)} on {resource} (CIS {control}: {why})")
    return problems


def validate_rbac_sensitive_grants(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Roles do not grant pod creation, PersistentVolume creation, nodes/proxy, webhook
    configuration writes or service account token creation (CIS 4.1.4, 4.1.9-4.1.12)."""
    if not args.resource_type.startswith(f"kubernetes:{RBAC_GROUP}/"):
        return
    kind_group = kind_and_group(args.resource_type, args.props)
    if kind_group is None or kind_group[0] not in ("Role", "ClusterRole") or kind_group[1] != RBAC_GROUP:
        return
    for problem in sensitive_grants([as_mapping(r) for r in items(args.props.get("rules"))]):
        report_violation(
            f"{kind_group[0]} {problem}; drop the verb, or leave the grant to the reviewed chart of the "
            "controller that needs it",
            None,
        )


def validate_no_default_namespace(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Workloads run in a namespace of their own, never ``default`` (CIS 4.5.2)."""
    # A spec not known yet (a first preview) is judged when it is: the kind alone says nothing.
    if workload_pod(args.resource_type, args.props) is None or is_patch(args.resource_type):
        return
    if not isinstance(args.props.get("spec"), Mapping):
        return
    metadata = as_mapping(args.props.get("metadata"))
    provider_namespace = args.provider.props.get("namespace") if args.provider is not None else None
    namespace = metadata.get("namespace") or provider_namespace or "default"
    if namespace == "default":
        where = "metadata.namespace is default" if metadata.get("namespace") else "metadata.namespace is unset"
        report_violation(
            f"{where}: the workload runs in the default namespace, shared by everything that names none; "
            "set metadata.namespace to the team's or the app's namespace (CIS 4.5.2)",
            None,
        )

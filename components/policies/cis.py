"""Rules for the CIS Amazon EKS Benchmark (v1.8.0) controls the RBAC and workload rules did not
judge: 4.1.4 and 4.1.9-4.1.12 (grants that reach pods, volumes, nodes, admission or tokens of
others), 4.1.5/4.1.6 (the default service account's token), 4.5.2 (the default namespace) and
5.1.4 (approved registries). Control texts: tests/vendor/catalogues/cis-eks.json.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs, StackValidationArgs

from components.naming import DOCKER_HUB, image_reference_problems, repository_of
from components.pins import IMAGES
from components.policies.rbac import RBAC_GROUP
from components.policies.readiness import containers, is_patch, kind_and_group, workload_pod
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


DEFAULT_SERVICE_ACCOUNT = "default"


def default_account_problems(pod: Mapping[str, Any], patch: bool) -> list[str]:
    """CIS 4.1.5/4.1.6: a pod on its namespace's ``default`` service account mounts that account's
    token unless it says not to. A Patch is judged only when it names the account itself."""
    named = pod.get("serviceAccountName") or pod.get("serviceAccount")
    if (patch and named is None) or (named or DEFAULT_SERVICE_ACCOUNT) != DEFAULT_SERVICE_ACCOUNT:
        return []
    if pod.get("automountServiceAccountToken") is False:
        return []
    where = "serviceAccountName is default" if named else "serviceAccountName is unset"
    return [
        f"{where} and automountServiceAccountToken is not false: every pod of the namespace that names no "
        "account shares the token of its default service account. Give the workload a service account of its "
        "own (serviceAccountName), or set automountServiceAccountToken: false if it calls no API (CIS 4.1.5, 4.1.6)"
    ]


def validate_default_service_account(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Workloads do not mount the default service account's token; a ``default`` service account
    the program manages does not turn its automount on (CIS 4.1.5, 4.1.6)."""
    if args.resource_type.startswith("kubernetes:core/v1:ServiceAccount"):
        metadata = as_mapping(args.props.get("metadata"))
        automount = args.props.get("automountServiceAccountToken")
        # A Patch leaves what it does not set to the live account; a whole account unset means true.
        opened = automount is True if is_patch(args.resource_type) else automount is not False
        if metadata.get("name") == DEFAULT_SERVICE_ACCOUNT and opened:
            report_violation(
                "the default service account does not set automountServiceAccountToken: false, so every pod that names "
                "no account gets its token; set it false (CIS 4.1.5)",
                None,
            )
        return
    pod = workload_pod(args.resource_type, args.props)
    if pod is None or not isinstance(args.props.get("spec"), Mapping):
        return
    for problem in default_account_problems(pod, is_patch(args.resource_type)):
        report_violation(problem, None)


def approved(repository: str, pattern: str) -> bool:
    """Whether a fully qualified repository matches an ``allowedRegistries`` pattern: the host
    and the path are matched apart, so no ``*`` of the host can swallow a path (``evil.example/
    x.dkr.ecr.y.amazonaws.com/...`` is no ECR repository)."""
    host, _, path = repository.partition("/")
    host_pattern, _, path_pattern = pattern.partition("/")
    return fnmatch.fnmatchcase(host, host_pattern) and fnmatch.fnmatchcase(path, path_pattern or "*")


REGISTRY_BASELINE = [
    "*.dkr.ecr.*.amazonaws.com/*",
    "*.dkr.ecr.*.amazonaws.com.cn/*",
    "public.ecr.aws/*",
    "registry.k8s.io/*",
    f"{DOCKER_HUB}/library/*",
]


def _pinned_publishers() -> list[str]:
    """``registry/publisher/*`` of every image the platform pins (components/pins.py) that the
    baseline does not already approve."""
    publishers = {repository_of(pin.repository).rsplit("/", 1)[0] for pin in IMAGES.values()}
    return sorted(
        f"{p}/*" for p in publishers if not any(approved(f"{p}/image", pattern) for pattern in REGISTRY_BASELINE)
    )


APPROVED_REGISTRIES = [*REGISTRY_BASELINE, *_pinned_publishers()]
"""The default ``allowedRegistries``: private ECR (any account and region), ECR Public, the
Kubernetes project's registry, Docker Official Images and the publishers of the images the
platform pins. A stack narrows it in its pack config (prod to its own ECR, say)."""


def registry_problems(pod: Mapping[str, Any], allowed: list[str]) -> list[str]:
    """Containers whose image comes from no approved registry (``fnmatch`` patterns of the
    fully qualified repository); a container without an image (a Patch's) is not judged."""
    problems: list[str] = []
    for name, container in containers(pod):
        image = container.get("image")
        if not isinstance(image, str) or image_reference_problems(image):
            continue  # absent (a Patch's other fields) or no valid reference: k8s-pinned-images judges it
        if not any(approved(repository_of(image), pattern) for pattern in allowed):
            # The image as written, never a form derived from it: the plan redacts a secret image
            # by its exact text.
            problems.append(
                f"container {name} runs {image!r}, from a registry allowedRegistries does not approve; mirror it "
                "into your ECR (a pull-through cache rule) or add its registry to allowedRegistries (CIS 5.1.4)"
            )
    return problems


def validate_approved_registries(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Workload images come from the approved registries (CIS 5.1.4)."""
    pod = workload_pod(args.resource_type, args.props)
    if pod is None:
        return
    allowed = [str(p) for p in items(args.get_config().get("allowedRegistries"))] or APPROVED_REGISTRIES
    for problem in registry_problems(pod, allowed):
        report_violation(problem, None)


NAMESPACE = "kubernetes:core/v1:Namespace"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"


def validate_namespaces_have_network_policies(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Every namespace the program creates has a NetworkPolicy the program declares in it
    (CIS 4.3.2). Namespaces it does not create (kube-system, a chart's) hold objects a plan
    cannot see, so they are not judged."""
    covered = {
        as_mapping(r.props.get("metadata")).get("namespace")
        for r in args.resources
        if r.resource_type == NETWORK_POLICY
    }
    for namespace in (r for r in args.resources if r.resource_type == NAMESPACE):
        name = as_mapping(namespace.props.get("metadata")).get("name")
        if isinstance(name, str) and name not in covered:
            report_violation(
                f"namespace {name} has no NetworkPolicy (CIS 4.3.2): every pod in it accepts traffic from any pod "
                "of the cluster; declare a default-deny NetworkPolicy and allow what its services need",
                namespace.urn,
            )

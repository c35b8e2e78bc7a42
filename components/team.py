"""Team: one team's tenancy on the platform's cluster, created by the platform stack.

A team deploys into its own namespaces and nowhere else: each namespace enforces Pod Security
``restricted``, holds a ResourceQuota (GPUs, CPU, memory) with a LimitRange giving containers
defaults inside it, and denies all traffic but what a serving workload needs (DNS, its own pods,
Prometheus's scrapes, the model registry, AWS APIs over HTTPS). Its deployer
roles get an EKS access entry whose access policy is scoped to those namespaces
(:func:`namespaced_access`): no cluster-wide grant, so a team cannot
create a namespace, read another team's Secrets or change its own quota, labels or the platform's
objects. Its data role (IRSA, one service account per namespace) reads and writes its bucket
prefixes only.

Children (``<name>-<suffix>``): per namespace ``namespace-<ns>``, ``quota-<ns>``, ``limits-<ns>``,
``service-account-<ns>`` and the NetworkPolicies ``deny-all-<ns>``, ``allow-dns-<ns>``,
``allow-own-<ns>``, ``allow-scrapes-<ns>``, ``allow-registry-<ns>``, ``allow-aws-<ns>``;
``data-role`` (+ ``-policy``); per deployer role ``deployer-<role>`` (+ ``-policy``).
"""

import json
from collections.abc import Callable, Mapping, Sequence
from enum import StrEnum
from typing import Any, NotRequired, TypedDict, cast

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.artifact_bucket import Access, prefix_policy
from components.cluster import access_policy_arn
from components.errors import refuse
from components.naming import key_prefix_problems, slug

PSS_LEVEL = "restricted"
PSS_LABELS = {f"pod-security.kubernetes.io/{mode}": PSS_LEVEL for mode in ("enforce", "audit", "warn")}
"""Pod Security admission labels of every team namespace: violations are refused, audited and warned."""
TEAM_LABEL = "mlops-platform/team"
"""Names a namespace's team; the platform's NetworkPolicies admit team namespaces by it."""
GPU_RESOURCE = "nvidia.com/gpu"
SERVICE_ACCOUNT = "team-data"
"""The service account, in each of the team's namespaces, that assumes the team's data role."""
LINK_LOCAL = "169.254.0.0/16"
"""Excluded from the HTTPS egress to AWS APIs: the instance metadata service and the EKS Pod
Identity agent. The VPC itself stays reachable on 443: with interface endpoints STS (IRSA's token
exchange) resolves to VPC addresses, and other pods refuse it by their own namespaces' default deny."""
PROMETHEUS_POD = {"app.kubernetes.io/name": "prometheus"}
"""The label the Prometheus operator puts on every Prometheus pod it runs."""


class TeamAccess(StrEnum):
    """The EKS access policy of a team's deployer roles, always scoped to its namespaces."""

    EDIT = "edit"
    """``AmazonEKSEditPolicy``: workloads, Services, Secrets and NetworkPolicies; no RBAC."""
    ADMIN = "admin"
    """``AmazonEKSAdminPolicy``: also Roles and RoleBindings in its namespaces."""


class TeamQuota(TypedDict):
    """What a team's namespace may request in total (a ResourceQuota per namespace)."""

    gpus: int
    """``requests.nvidia.com/gpu``: GPUs requested by the namespace's pods together."""
    cpu: str
    """``requests.cpu`` (a Kubernetes quantity: ``16`` or ``500m``)."""
    memory: str
    """``requests.memory`` and ``limits.memory`` (``64Gi``)."""


class TeamPrefix(TypedDict):
    """A bucket prefix a team's data role reads and writes, by the bucket's logical name."""

    bucket: str
    """Logical name of the bucket (the platform contract's ``buckets`` key)."""
    prefix: str
    """Key prefix, ending in ``/``."""


class TeamBucketPrefix(TypedDict):
    """A key prefix of a platform bucket the team's data role reads and writes."""

    bucket: str
    """The bucket's logical name (``buckets[].name``), as the platform contract names it."""
    bucket_arn: pulumi.Input[str]
    """ARN of the bucket."""
    key_arn: pulumi.Input[str]
    """ARN of the bucket's KMS key."""
    prefix: str
    """Key prefix ending in ``/`` (``teams/fraud/``)."""


class TeamRegistry(TypedDict):
    """The platform's model registry, which the team's pods may call."""

    namespace: str
    """Namespace of the registry server."""
    pod_labels: Mapping[str, str]
    """Labels of the server's pods."""
    port: int
    """The server's port."""


class TeamArgs(TypedDict):
    """Arguments of :class:`Team`."""

    namespaces: Sequence[str]
    """The team's namespaces, created here (a team creates none)."""
    cluster_name: pulumi.Input[str]
    """The EKS cluster whose access entries the deployer roles get."""
    region: str
    """AWS region (the access policy ARN's partition)."""
    quota: TeamQuota
    """Per-namespace totals of GPUs, CPU and memory requests."""
    deployer_role_arns: NotRequired[Sequence[str]]
    """IAM roles the team deploys with: an access entry each, scoped to its namespaces."""
    access_policy: NotRequired[TeamAccess]
    """``edit`` (default: ``AmazonEKSEditPolicy``, workloads, Services, Secrets, no RBAC) or ``admin``
    (``AmazonEKSAdminPolicy``: also Roles and RoleBindings in its namespaces)."""
    default_cpu: NotRequired[str]
    """LimitRange default CPU request of a container that names none (default ``250m``)."""
    default_memory: NotRequired[str]
    """LimitRange default memory request and limit of a container that names none (default ``512Mi``)."""
    monitoring_namespace: NotRequired[str]
    """The namespace whose Prometheus scrapes the team's pods (default ``monitoring``)."""
    registry: NotRequired[TeamRegistry]
    """The model registry its pods may reach, when the platform runs one."""
    bucket_prefixes: NotRequired[Sequence[TeamBucketPrefix]]
    """Bucket prefixes of the team's data role (none: no data role)."""
    oidc_provider_arn: NotRequired[pulumi.Input[str]]
    """The cluster's IAM OIDC provider (needed with ``bucket_prefixes``)."""
    oidc_issuer_url: NotRequired[pulumi.Input[str]]
    """The OIDC issuer URL (needed with ``bucket_prefixes``)."""


def validate_team(name: str, given: TeamArgs) -> list[str]:
    """Problems with a team's arguments (empty when valid)."""
    problems: list[str] = []
    namespaces = list(given["namespaces"])
    if not namespaces:
        problems.append("namespaces: at least one")
    if len(set(namespaces)) != len(namespaces):
        problems.append(f"namespaces: each once (got {', '.join(namespaces)})")
    if given["quota"]["gpus"] < 0:
        problems.append(f"quota.gpus: must be >= 0 (got {given['quota']['gpus']})")
    for grant in given.get("bucket_prefixes", []):
        problems += [f"bucket_prefixes: {p}" for p in key_prefix_problems(grant["prefix"])]
    if given.get("bucket_prefixes") and not ("oidc_provider_arn" in given and "oidc_issuer_url" in given):
        problems.append("bucket_prefixes need oidc_provider_arn and oidc_issuer_url (the data role is IRSA)")
    if given.get("access_policy", TeamAccess.EDIT) not in set(TeamAccess):
        problems.append(f"access_policy: edit or admin (got {given.get('access_policy')!r})")
    return problems


def namespace_metadata(team: str, namespace: str) -> dict[str, Any]:
    """A team namespace's metadata: its team label and Pod Security ``restricted`` in every mode."""
    return {"name": namespace, "labels": {**PSS_LABELS, TEAM_LABEL: team}}


def quota_spec(quota: TeamQuota) -> dict[str, Any]:
    """ResourceQuota spec: GPUs (extended resources are quota'd by request only), CPU and memory."""
    return {
        "hard": {
            f"requests.{GPU_RESOURCE}": str(quota["gpus"]),
            "requests.cpu": quota["cpu"],
            "requests.memory": quota["memory"],
            "limits.memory": quota["memory"],
        }
    }


def limit_range_spec(cpu: str, memory: str) -> dict[str, Any]:
    """LimitRange spec: defaults for containers that name no requests. With a quota on requests
    and memory limits, the API server refuses such a pod instead of scheduling it."""
    return {
        "limits": [
            {
                "type": "Container",
                "defaultRequest": {"cpu": cpu, "memory": memory},
                "default": {"memory": memory},
            }
        ]
    }


def namespace_peer(namespace: str, pods: Mapping[str, str] | None = None) -> dict[str, Any]:
    """A NetworkPolicy peer: the pods of ``namespace`` (those with the ``pods`` labels, when given)."""
    peer: dict[str, Any] = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": namespace}}}
    if pods is not None:
        peer["podSelector"] = {"matchLabels": dict(pods)}
    return peer


def network_policy_specs(
    namespace: str,
    *,
    monitoring_namespace: str,
    registry: TeamRegistry | None,
    own_pods: bool = True,
    scrapes: bool = True,
) -> dict[str, dict[str, Any]]:
    """The NetworkPolicies of a team namespace by suffix: deny everything, then allow DNS to
    CoreDNS, traffic among its own pods, Prometheus's scrapes, calls to the model registry and
    HTTPS to AWS APIs (S3, STS), link-local addresses excepted. Policies add up: an endpoint's own
    policy may admit other namespaces the team names. The platform's shared ``serving`` namespace
    leaves out ``own_pods`` (its endpoints are not each other's callers) and ``scrapes`` (each
    endpoint's policy admits the monitoring namespace on its metrics port)."""
    every_pod: dict[str, Any] = {}
    specs: dict[str, dict[str, Any]] = {
        "deny-all": {"podSelector": every_pod, "policyTypes": ["Ingress", "Egress"]},
        "allow-dns": {
            "podSelector": every_pod,
            "policyTypes": ["Egress"],
            "egress": [
                {
                    "to": [namespace_peer("kube-system", {"k8s-app": "kube-dns"})],
                    "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}],
                }
            ],
        },
        "allow-own": {
            "podSelector": every_pod,
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [{"from": [{"podSelector": every_pod}]}],
            "egress": [{"to": [{"podSelector": every_pod}]}],
        },
        "allow-scrapes": {
            "podSelector": every_pod,
            "policyTypes": ["Ingress"],
            "ingress": [{"from": [namespace_peer(monitoring_namespace, PROMETHEUS_POD)]}],
        },
        "allow-aws": {
            "podSelector": every_pod,
            "policyTypes": ["Egress"],
            "egress": [
                {
                    "to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": [LINK_LOCAL]}}],
                    "ports": [{"port": 443, "protocol": "TCP"}],
                }
            ],
        },
    }
    if not own_pods:
        del specs["allow-own"]
    if not scrapes:
        del specs["allow-scrapes"]
    if registry is not None:
        specs["allow-registry"] = {
            "podSelector": every_pod,
            "policyTypes": ["Egress"],
            "egress": [
                {
                    "to": [namespace_peer(registry["namespace"], registry["pod_labels"])],
                    "ports": [{"port": registry["port"], "protocol": "TCP"}],
                }
            ],
        }
    return specs


def declare_network_policies(
    specs: Mapping[str, Mapping[str, Any]],
    namespace: str,
    resource_name: Callable[[str], str],
    opts: pulumi.ResourceOptions,
) -> list[k8s.networking.v1.NetworkPolicy]:
    """One NetworkPolicy per spec, named by its suffix in ``namespace``; ``resource_name(suffix)``
    names the Pulumi resource."""
    return [
        k8s.networking.v1.NetworkPolicy(
            resource_name(suffix), metadata={"name": suffix, "namespace": namespace}, spec=cast(Any, spec), opts=opts
        )
        for suffix, spec in specs.items()
    ]


def data_trust_policy(oidc_provider_arn: str, issuer_url: str, namespaces: Sequence[str]) -> str:
    """IRSA trust of a team's data role: the ``team-data`` service account of its namespaces only."""
    issuer = issuer_url.removeprefix("https://")
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Federated": oidc_provider_arn},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {
                        "StringEquals": {
                            f"{issuer}:sub": [f"system:serviceaccount:{ns}:{SERVICE_ACCOUNT}" for ns in namespaces],
                            f"{issuer}:aud": "sts.amazonaws.com",
                        }
                    },
                }
            ],
        },
        indent=2,
    )


def data_policy(grants: Sequence[tuple[str, str, str]]) -> str:
    """Read and write under each ``(bucket ARN, key ARN, prefix)``, nothing else: the statements of
    :func:`~components.artifact_bucket.prefix_policy`, numbered so their Sids stay unique."""
    statements: list[dict[str, Any]] = []
    for index, (bucket_arn, key_arn, prefix) in enumerate(grants):
        for statement in prefix_policy(bucket_arn, key_arn, prefix, Access.READ_WRITE)["Statement"]:
            statements.append({**statement, "Sid": f"{statement['Sid']}{index}"})
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, indent=2)


TEAM_ACCESS_POLICIES = {TeamAccess.EDIT: "AmazonEKSEditPolicy", TeamAccess.ADMIN: "AmazonEKSAdminPolicy"}
"""EKS access policies a team's deployer may hold, always with a namespace access scope: both are
namespaced (no Namespace, ResourceQuota or cluster-scoped object can be written through them)."""


def namespaced_access(
    resource_name: str,
    *,
    cluster_name: pulumi.Input[str],
    role_arn: str,
    namespaces: Sequence[str],
    policy: TeamAccess,
    region: str,
    opts: pulumi.ResourceOptions,
) -> list[pulumi.Resource]:
    """An access entry for ``role_arn`` and its access policy scoped to ``namespaces``: the team's
    deployer reaches those namespaces and nothing cluster-wide."""
    entry = aws.eks.AccessEntry(
        resource_name, cluster_name=cluster_name, principal_arn=role_arn, type="STANDARD", opts=opts
    )
    association = aws.eks.AccessPolicyAssociation(
        f"{resource_name}-policy",
        cluster_name=cluster_name,
        principal_arn=entry.principal_arn,
        policy_arn=access_policy_arn(TEAM_ACCESS_POLICIES[policy], region),
        access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="namespace", namespaces=list(namespaces)),
        opts=opts,
    )
    return [entry, association]


class Team(pulumi.ComponentResource):
    """A team's namespaces, quotas, network isolation, namespaced cluster access and data role."""

    namespaces: list[str]
    """The team's namespaces."""
    service_account: str
    """The service account (in each namespace) holding the data role."""
    data_role_arn: pulumi.Output[str] | None
    """The data role's ARN (None without bucket prefixes)."""
    bucket_prefixes: list[TeamPrefix]
    """The bucket prefixes the data role reads and writes."""
    namespace_resources: list[k8s.core.v1.Namespace]
    """The Namespace objects: what the team's in-namespace objects wait on."""

    def __init__(self, name: str, args: TeamArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        refuse("Team", name, validate_team(name, args))
        super().__init__("mlops:index:Team", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.namespaces = list(args["namespaces"])
        self.service_account = SERVICE_ACCOUNT
        self.data_role_arn = None
        role: aws.iam.Role | None = None
        grants = list(args.get("bucket_prefixes", []))
        self.bucket_prefixes = [{"bucket": g["bucket"], "prefix": g["prefix"]} for g in grants]
        if grants:
            trust = pulumi.Output.all(args.get("oidc_provider_arn"), args.get("oidc_issuer_url")).apply(
                lambda a: data_trust_policy(str(a[0]), str(a[1]), self.namespaces)
            )
            role = aws.iam.Role(f"{name}-data-role", assume_role_policy=trust, opts=child)
            policy = pulumi.Output.all(
                *[pulumi.Output.all(g["bucket_arn"], g["key_arn"], g["prefix"]) for g in grants]
            ).apply(lambda rows: data_policy([(str(r[0]), str(r[1]), str(r[2])) for r in rows]))
            aws.iam.RolePolicy(f"{name}-data-role-policy", role=role.name, policy=policy, opts=child)
            self.data_role_arn = role.arn

        specs_of = {
            ns: network_policy_specs(
                ns, monitoring_namespace=args.get("monitoring_namespace", "monitoring"), registry=args.get("registry")
            )
            for ns in self.namespaces
        }
        self.namespace_resources = []
        for ns in self.namespaces:
            namespace = k8s.core.v1.Namespace(
                f"{name}-namespace-{ns}", metadata=cast(Any, namespace_metadata(name, ns)), opts=child
            )
            self.namespace_resources.append(namespace)
            inside = pulumi.ResourceOptions(parent=self, depends_on=[namespace])
            k8s.core.v1.ResourceQuota(
                f"{name}-quota-{ns}",
                metadata={"name": "team-quota", "namespace": ns},
                spec=cast(Any, quota_spec(args["quota"])),
                opts=inside,
            )
            k8s.core.v1.LimitRange(
                f"{name}-limits-{ns}",
                metadata={"name": "team-defaults", "namespace": ns},
                spec=cast(Any, limit_range_spec(args.get("default_cpu", "250m"), args.get("default_memory", "512Mi"))),
                opts=inside,
            )
            declare_network_policies(specs_of[ns], ns, lambda suffix, ns=ns: f"{name}-{suffix}-{ns}", inside)
            account: dict[str, Any] = {"name": SERVICE_ACCOUNT, "namespace": ns}
            if role is not None:
                account["annotations"] = {"eks.amazonaws.com/role-arn": role.arn}
            k8s.core.v1.ServiceAccount(f"{name}-service-account-{ns}", metadata=cast(Any, account), opts=inside)

        for role_arn in args.get("deployer_role_arns", []):
            namespaced_access(
                f"{name}-deployer-{slug(role_arn.rsplit('/', 1)[-1])}",
                cluster_name=args["cluster_name"],
                role_arn=role_arn,
                namespaces=self.namespaces,
                policy=TeamAccess(args.get("access_policy", TeamAccess.EDIT)),
                region=args["region"],
                opts=pulumi.ResourceOptions(parent=self, depends_on=self.namespace_resources),
            )
        self.register_outputs({"namespaces": self.namespaces, "dataRoleArn": self.data_role_arn})

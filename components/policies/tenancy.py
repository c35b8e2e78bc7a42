"""Tenancy rules: what keeps one team's program from reaching another team's or the platform's
secrets. Trust policies pinned to the workload they are for (GitHub Actions OIDC, EKS Pod
Identity), no secret read on every resource, and, in a stack that reads a platform, nothing
declared on what the platform owns (its buckets' policies, its namespaces' identities).

Kept apart from the generic IAM rules (:mod:`components.policies.iam`): these name the ways a
team's role reaches beyond the team."""

from __future__ import annotations

import re
from collections.abc import Mapping
from fnmatch import fnmatchcase
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs, StackValidationArgs

from components.naming import PLATFORM_OUTPUT, PLATFORM_REFERENCE_TYPE
from components.policies.documents import allows, principals, statements, strings
from components.policies.iam import grants_service, identity_documents
from components.values import as_mapping

GITHUB_ISSUER = "token.actions.githubusercontent.com"
"""GitHub Actions' OIDC issuer: its provider ARN ends with it, its condition keys start with it."""
GITHUB_SUBJECT = re.compile(r"^repo:[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+:.+$")
"""A ``sub`` naming one repository (``repo:OWNER/NAME:ref:refs/heads/main``, ``...:environment:prod``);
wildcards are allowed only after the repository (``repo:acme/models:*``)."""
POD_IDENTITY_SERVICE = "pods.eks.amazonaws.com"
POD_IDENTITY_TAGS = ("aws:RequestTag/kubernetes-namespace", "aws:RequestTag/kubernetes-service-account")
"""Session tags EKS Pod Identity sets: conditions on both pin the trust to one service account."""
POD_IDENTITY_SOURCE = ("aws:sourcearn", "aws:sourceaccount")
"""Either pins the trust to this cluster or account (a pod identity association elsewhere cannot use it)."""
SECRET_READS = ("kms:Decrypt", "secretsmanager:GetSecretValue")
"""Actions that read a secret: on ``*`` they read the platform's (its state key, its database password)."""
STRING_OPERATORS = ("stringequals", "stringlike")
PLATFORM_NAMESPACES = ("kube-system",)
"""Namespaces every platform owns, besides those its contract names (monitoring, the registry):
their service accounts hold the cluster's controllers' identities."""


def _condition_values(statement: Mapping[str, Any], operators: tuple[str, ...]) -> dict[str, list[str]]:
    """Condition keys (lower case) with their values, under the given operators (any case,
    ``ForAnyValue:``/``ForAllValues:`` prefixes included)."""
    found: dict[str, list[str]] = {}
    for operator, block in as_mapping(statement.get("Condition")).items():
        if operator.lower().rsplit(":", 1)[-1] in operators:
            for key, value in as_mapping(block).items():
                found.setdefault(key.lower(), []).extend(strings(value))
    return found


def github_trust_problems(document: Any) -> list[str]:
    """Statements trusting GitHub's OIDC provider without a ``sub`` naming repositories: with
    ``aud`` alone any workflow of any repository on GitHub assumes the role."""
    problems: list[str] = []
    for statement in filter(allows, statements(document)):
        federated = [v for kind, v in principals(statement) if kind == "Federated"]
        if not any(v.endswith(f"oidc-provider/{GITHUB_ISSUER}") for v in federated):
            continue
        subjects = _condition_values(statement, STRING_OPERATORS).get(f"{GITHUB_ISSUER}:sub", [])
        loose = [s for s in subjects if not GITHUB_SUBJECT.match(s)]
        if not subjects or loose:
            problems.append(
                f"GitHub OIDC trust ({statement.get('Sid') or 'a statement'}) must condition "
                f"{GITHUB_ISSUER}:sub on repo:<owner>/<name>:... (got {loose or 'no sub condition'})"
            )
    return problems


def pod_identity_trust_problems(document: Any) -> list[str]:
    """Statements trusting EKS Pod Identity without conditions that pin the cluster (or account)
    and the namespace and service account: any pod identity association could use the role."""
    problems: list[str] = []
    for statement in filter(allows, statements(document)):
        if not any(kind == "Service" and v == POD_IDENTITY_SERVICE for kind, v in principals(statement)):
            continue
        keys = {key.lower() for block in as_mapping(statement.get("Condition")).values() for key in as_mapping(block)}
        missing = [tag for tag in POD_IDENTITY_TAGS if tag.lower() not in keys]
        if not keys & set(POD_IDENTITY_SOURCE):
            missing.insert(0, "aws:SourceArn or aws:SourceAccount")
        if missing:
            problems.append(
                f"Pod Identity trust ({statement.get('Sid') or 'a statement'}) lacks conditions on {', '.join(missing)}"
            )
    return problems


def secret_reads_on_everything(document: Any) -> list[str]:
    """Secret-reading actions (``kms:Decrypt``, ``secretsmanager:GetSecretValue``, or a pattern
    matching one) allowed on ``*`` or with ``NotResource``. A whole service (``kms:*``, ``*``) is
    ``iam-no-wildcard-admin``'s to report: one mistake, one violation."""
    found: list[str] = []
    for statement in filter(allows, statements(document)):
        everywhere = "*" in strings(statement.get("Resource")) or statement.get("NotResource") is not None
        if not everywhere:
            continue
        for action in strings(statement.get("Action")):
            if any(grants_service(action, read.split(":")[0]) for read in SECRET_READS):
                continue
            found += [
                f"{action} (reads {read})" if action.lower() != read.lower() else action
                for read in SECRET_READS
                if fnmatchcase(read.lower(), action.lower())
            ]
    return found


def validate_github_oidc_trust(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """A role trusted by GitHub Actions' OIDC provider names the repositories that may assume it."""
    if args.resource_type == "aws:iam/role:Role":
        for problem in github_trust_problems(args.props.get("assumeRolePolicy")):
            report_violation(problem, None)


def validate_pod_identity_trust(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """A role trusted by EKS Pod Identity is pinned to a cluster or account and one service account."""
    if args.resource_type == "aws:iam/role:Role":
        for problem in pod_identity_trust_problems(args.props.get("assumeRolePolicy")):
            report_violation(problem, None)


def validate_no_secret_reads_on_everything(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """No identity policy reads secrets (KMS decrypt, Secrets Manager values) on every resource."""
    for document in identity_documents(args):
        for grant in secret_reads_on_everything(document):
            report_violation(
                f"the policy allows {grant} on every resource: name the keys and secrets the workload uses "
                "(on '*' it decrypts the platform's state key and reads its database password)",
                None,
            )


def platform_holdings(args: StackValidationArgs) -> tuple[set[str], set[str]]:
    """``(bucket names, namespaces)`` the platforms this stack reads own, from the contracts it
    recorded (``components.platform_stack.PlatformStack``); both empty in a stack that reads none."""
    buckets: set[str] = set()
    namespaces: set[str] = set()
    for resource in args.resources:
        if resource.resource_type != PLATFORM_REFERENCE_TYPE:
            continue
        contract = as_mapping(resource.props.get(PLATFORM_OUTPUT))
        buckets.update(v for v in as_mapping(contract.get("buckets")).values() if isinstance(v, str))
        namespaces.update(PLATFORM_NAMESPACES)
        registry = as_mapping(contract.get("modelRegistry"))
        for namespace in (contract.get("monitoringNamespace"), registry.get("namespace")):
            if isinstance(namespace, str):
                namespaces.add(namespace)
    return buckets, namespaces


def validate_platform_resources_untouched(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """A stack reading a platform declares no policy on the platform's buckets (one bucket policy
    each: a team's replaces the platform's, TLS-only and account-scoped) and no Pod Identity
    association in the platform's namespaces (it would hand a team's role to, or take over, a
    platform service account)."""
    buckets, namespaces = platform_holdings(args)
    for resource in args.resources:
        if resource.resource_type == "aws:s3/bucketPolicy:BucketPolicy" and resource.props.get("bucket") in buckets:
            report_violation(
                f"bucket policy on the platform's bucket {resource.props['bucket']}: the platform owns it; "
                "ask for a prefix grant in the platform stack instead",
                resource.urn,
            )
        namespace = resource.props.get("namespace")
        if (
            resource.resource_type == "aws:eks/podIdentityAssociation:PodIdentityAssociation"
            and namespace in namespaces
        ):
            account = resource.props.get("serviceAccount")
            report_violation(
                f"Pod Identity association onto {namespace}/{account}, a platform namespace: associate roles "
                "with your own namespaces' service accounts",
                resource.urn,
            )


CLUSTER_WIDE_POLICIES = ("AmazonEKSClusterAdminPolicy",)
"""EKS access policies that are cluster admin whatever their scope."""
ENFORCE_LABEL = "pod-security.kubernetes.io/enforce"


def reads_a_platform(args: StackValidationArgs) -> bool:
    """Whether the stack is a team's: it recorded a platform contract (``PlatformStack``)."""
    return any(r.resource_type == PLATFORM_REFERENCE_TYPE for r in args.resources)


def validate_team_access_namespaced(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """In a stack reading a platform, every EKS access policy association is scoped to namespaces
    and none is cluster admin: a team deploys to its namespaces, never as the cluster's admin."""
    if not reads_a_platform(args):
        return
    for resource in args.resources:
        if resource.resource_type != "aws:eks/accessPolicyAssociation:AccessPolicyAssociation":
            continue
        policy = str(resource.props.get("policyArn", "")).rsplit("/", 1)[-1]
        scope = as_mapping(resource.props.get("accessScope"))
        if policy in CLUSTER_WIDE_POLICIES or scope.get("type") != "namespace":
            report_violation(
                f"access policy association {policy} with a {scope.get('type') or 'missing'} access scope: a team "
                "gets AmazonEKSEditPolicy or AmazonEKSAdminPolicy with accessScope type namespace on its namespaces",
                resource.urn,
            )


def validate_team_namespaces_restricted(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """In a stack reading a platform, every Namespace enforces Pod Security ``restricted``."""
    if not reads_a_platform(args):
        return
    for resource in args.resources:
        if resource.resource_type != "kubernetes:core/v1:Namespace":
            continue
        metadata = as_mapping(resource.props.get("metadata"))
        level = as_mapping(metadata.get("labels")).get(ENFORCE_LABEL)
        if level != "restricted":
            report_violation(
                f"namespace {metadata.get('name')} enforces Pod Security {level or 'nothing'}: label it "
                f"{ENFORCE_LABEL}=restricted",
                resource.urn,
            )

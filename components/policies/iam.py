"""IAM rules: no admin wildcards, no admin managed policies, no public principals, IRSA trust
scoped to one service account. Identity, inline, trust and resource policies alike."""

from __future__ import annotations

import re
from collections.abc import Mapping
from fnmatch import fnmatchcase
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs

from components.policies.documents import (
    IDENTITY_POLICY_TYPES,
    RESOURCE_POLICY_TYPES,
    allows,
    inline_role_policies,
    principals,
    statements,
    strings,
)
from components.values import as_mapping

SENSITIVE_SERVICES = ["iam", "kms", "sts", "organizations", "s3", "ec2", "eks", "secretsmanager", "ssm", "ecr"]
"""Services where ``service:*`` on every resource is as good as admin."""
ADMIN_POLICIES = ["AdministratorAccess", "PowerUserAccess", "IAMFullAccess"]
"""AWS managed policies never attached by a stack."""
SCOPING_CONDITIONS = (
    "aws:sourcearn",
    "aws:sourceaccount",
    "aws:principalorgid",
    "aws:principalaccount",
    "aws:sourcevpce",
    "aws:sourcevpc",
)
"""Condition keys that narrow a ``*`` principal to this organisation, account or network."""
ATTACHMENT_TYPES = (
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:iam/userPolicyAttachment:UserPolicyAttachment",
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
    "aws:iam/policyAttachment:PolicyAttachment",
    "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive",
)
ALL_ACTIONS = re.compile(r"\*+(:\*+)?")
"""An ``Action`` entry of wildcards alone, either side of the colon."""
SERVICE_ACCOUNT = re.compile(r"^system:serviceaccount:[a-z0-9]([-a-z0-9]*[a-z0-9])?:[a-z0-9]([-.a-z0-9]*[a-z0-9])?$")


def identity_documents(args: ResourceValidationArgs) -> list[Any]:
    """The identity-based policy documents a resource declares (inline role policies too)."""
    key = IDENTITY_POLICY_TYPES.get(args.resource_type)
    documents = [args.props.get(key)] if key is not None else []
    if args.resource_type == "aws:iam/role:Role":
        documents += inline_role_policies(args.props)
    return documents


def grants_every_action(action: str) -> bool:
    """Whether an ``Action`` entry is every action of every service: ``*``, ``*:*``."""
    return ALL_ACTIONS.fullmatch(action) is not None


def grants_service(action: str, service: str) -> bool:
    """Whether an ``Action`` entry allows every action of ``service``: ``iam:*``, ``IAM:*``,
    ``*:*``, ``i*:*``. IAM matches an action case-insensitively with ``*`` and ``?`` wildcards;
    a pattern that matches ``service:`` and ends with ``*`` matches ``service:`` followed by any
    action name (``*:Create*`` or ``iam:Get*`` do not: not every action)."""
    pattern = action.lower()
    return pattern.endswith("*") and fnmatchcase(f"{service}:", pattern)


def wildcard_grants(document: Any, sensitive: list[str]) -> list[str]:
    """Every action, every action of a sensitive service, or ``NotAction``, allowed on ``*`` or
    with ``NotResource``: every resource but those it names (the IAM User Guide's NotResource
    page: never Allow ``*`` with ``NotResource``, it lets a user grant themselves the rest)."""
    found: list[str] = []
    for statement in filter(allows, statements(document)):
        if "*" in strings(statement.get("Resource")):
            where = "*"
        elif statement.get("NotResource") is not None:
            where = "every resource but its NotResource"
        else:
            continue
        if statement.get("NotAction") is not None:
            found.append(f"Allow with NotAction on {where}")
        for action in strings(statement.get("Action")):
            if grants_every_action(action) or any(grants_service(action, service) for service in sensitive):
                found.append(f"{action} on {where}")
    return found


def validate_no_wildcard_admin(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """No identity policy allows ``*`` (or ``service:*`` for sensitive services) on ``*`` or with
    ``NotResource``."""
    sensitive = [s.lower() for s in args.get_config().get("sensitiveServices", SENSITIVE_SERVICES)]
    for document in identity_documents(args):
        for grant in wildcard_grants(document, sensitive):
            report_violation(f"the policy allows {grant}: grant the actions it needs on the resources it uses", None)


def attached_policy_arns(args: ResourceValidationArgs) -> list[str]:
    """Managed policy ARNs a resource attaches."""
    if args.resource_type in ATTACHMENT_TYPES:
        return strings(args.props.get("policyArn")) + strings(args.props.get("policyArns"))
    if args.resource_type == "aws:iam/role:Role":
        return strings(args.props.get("managedPolicyArns"))
    return []


def validate_no_admin_policies(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """No AdministratorAccess, PowerUserAccess or IAMFullAccess attachment."""
    denied = list(args.get_config().get("deniedManagedPolicies", ADMIN_POLICIES))
    for arn in attached_policy_arns(args):
        name = arn.rsplit("/", 1)[-1]
        if ":iam::aws:policy/" in arn and name in denied:
            report_violation(f"attaches the AWS managed policy {name}: attach a policy scoped to what it needs", None)


def _scoped(statement: Mapping[str, Any]) -> bool:
    conditions = as_mapping(statement.get("Condition"))
    keys = {key.lower() for operator in conditions.values() for key in as_mapping(operator)}
    return any(key in keys for key in SCOPING_CONDITIONS)


def validate_no_public_principal(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Trust and resource policies never allow everyone (``*``) unless a condition scopes it to
    this organisation, account or network."""
    key = RESOURCE_POLICY_TYPES.get(args.resource_type)
    if key is None:
        return
    for statement in filter(allows, statements(args.props.get(key))):
        public = any(value == "*" for _, value in principals(statement))
        if public and not _scoped(statement):
            report_violation(
                f"{key} allows any principal (*) ({statement.get('Sid') or 'a statement'}); name the accounts, "
                "roles or services, or add an aws:SourceAccount / aws:PrincipalOrgID condition",
                None,
            )


def irsa_problems(document: Any) -> list[str]:
    """What is loose in an EKS OIDC (IRSA) trust policy: each web-identity statement must pin
    ``sub`` to one service account and ``aud`` to sts.amazonaws.com with StringEquals."""
    problems: list[str] = []
    for statement in filter(allows, statements(document)):
        federated = [v for kind, v in principals(statement) if kind == "Federated"]
        if not any("oidc-provider/oidc.eks." in v for v in federated):
            continue
        equals_ = as_mapping(as_mapping(statement.get("Condition")).get("StringEquals"))
        equals = {key.rsplit(":", 1)[-1]: strings(value) for key, value in equals_.items()}
        subjects, audiences = equals.get("sub", []), equals.get("aud", [])
        if len(subjects) != 1 or not SERVICE_ACCOUNT.match(subjects[0]):
            problems.append(
                "sub must be StringEquals one system:serviceaccount:<namespace>:<name> "
                f"(got {subjects or 'no sub condition'})"
            )
        if audiences != ["sts.amazonaws.com"]:
            problems.append(f"aud must be StringEquals sts.amazonaws.com (got {audiences or 'no aud condition'})")
    return problems


def validate_irsa_trust_scoped(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """A role trusted by the cluster's OIDC provider can be assumed by one service account only."""
    if args.resource_type != "aws:iam/role:Role":
        return
    for problem in irsa_problems(args.props.get("assumeRolePolicy")):
        report_violation(f"IRSA trust policy: {problem}", None)

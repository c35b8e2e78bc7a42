"""IAM privilege escalation as a class: actions that let a principal grant itself (or a role it
controls) more than it has, in identity and resource policies alike.

The paths are those of Rhino Security Labs' catalogue "AWS IAM Privilege Escalation - Methods and
Mitigation" (2018, still the reference of pacu's ``iam__privesc_scan`` and of cloudsplaining's
``PRIVILEGE_ESCALATION_METHODS``): pass any role to a service, write or attach policies, rewrite a
trust policy, lift a permissions boundary, mint credentials or a console password for someone else.
An action is legitimate when its ``Resource`` names the ARNs it needs (no wildcard in the name),
and ``iam:PassRole`` also when an ``iam:PassedToService`` condition names the service.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from fnmatch import fnmatchcase
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs

from components.policies.documents import RESOURCE_POLICY_TYPES, allows, statements, strings
from components.policies.iam import grants_every_action, grants_service, identity_documents
from components.values import as_mapping

ESCALATION_ACTIONS = {
    "iam:PassRole": "hands a role to a service that then acts with the role's rights",
    "iam:CreatePolicyVersion": "rewrites a managed policy the principal already has",
    "iam:SetDefaultPolicyVersion": "switches a managed policy to a broader version",
    "iam:AttachUserPolicy": "attaches any managed policy (AdministratorAccess) to a user",
    "iam:AttachGroupPolicy": "attaches any managed policy to a group",
    "iam:AttachRolePolicy": "attaches any managed policy to a role",
    "iam:PutUserPolicy": "writes an inline policy on a user",
    "iam:PutGroupPolicy": "writes an inline policy on a group",
    "iam:PutRolePolicy": "writes an inline policy on a role",
    "iam:AddUserToGroup": "joins a more privileged group",
    "iam:UpdateAssumeRolePolicy": "lets itself assume any role",
    "iam:DeleteRolePermissionsBoundary": "lifts a role's permissions boundary",
    "iam:DeleteUserPermissionsBoundary": "lifts a user's permissions boundary",
    "iam:PutRolePermissionsBoundary": "replaces a role's permissions boundary",
    "iam:PutUserPermissionsBoundary": "replaces a user's permissions boundary",
    "iam:CreateAccessKey": "mints access keys for another user",
    "iam:CreateLoginProfile": "sets a console password for another user",
    "iam:UpdateLoginProfile": "resets another user's console password",
}
"""Escalation action -> how it escalates."""
PASSED_TO_SERVICE = "iam:passedtoservice"
"""The condition key that narrows ``iam:PassRole`` to the services that may receive the role."""
_BROAD_ARN = re.compile(r"arn:[^:]*:iam::[^:]*:(\*|[A-Za-z-]+/\*)")
"""An IAM ARN naming every user, role, group or policy of an account (or of every account)."""


def broad_resource(resource: str) -> bool:
    """Whether a ``Resource`` entry is every resource, or every IAM entity of a kind."""
    return resource == "*" or _BROAD_ARN.fullmatch(resource) is not None


def _condition_keys(statement: Mapping[str, Any]) -> set[str]:
    conditions = as_mapping(statement.get("Condition"))
    return {key.lower() for operator in conditions.values() for key in as_mapping(operator)}


def escalation_grants(document: Any) -> list[str]:
    """``"<action> (<escalation>) on <resource>"`` for each escalation action a document allows on
    every resource (or with ``NotResource``). Whole-service wildcards on ``*`` (``iam:*``, ``*``)
    are left to ``iam-no-wildcard-admin``, which refuses them already."""
    found: list[str] = []
    for statement in filter(allows, statements(document)):
        resources = strings(statement.get("Resource"))
        broad = [r for r in resources if broad_resource(r)]
        if statement.get("NotResource") is not None:
            broad.append("every resource but its NotResource")
        if not broad:
            continue
        on_everything = "*" in resources or statement.get("NotResource") is not None
        for pattern in strings(statement.get("Action")):
            if on_everything and (grants_every_action(pattern) or grants_service(pattern, "iam")):
                continue
            for action, how in ESCALATION_ACTIONS.items():
                if not fnmatchcase(action.lower(), pattern.lower()):
                    continue
                if action == "iam:PassRole" and PASSED_TO_SERVICE in _condition_keys(statement):
                    continue
                found.append(f"{pattern} ({action}: {how}) on {broad[0]}")
    return found


def _documents(args: ResourceValidationArgs) -> list[Any]:
    documents = identity_documents(args)
    key = RESOURCE_POLICY_TYPES.get(args.resource_type)
    if key is not None and key != "assumeRolePolicy":
        documents.append(args.props.get(key))
    return documents


def validate_no_privilege_escalation(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """No identity or resource policy allows an IAM privilege-escalation action on every resource."""
    for document in _documents(args):
        for grant in escalation_grants(document):
            report_violation(
                f"the policy allows {grant}, a privilege-escalation path: name the ARNs it needs in Resource "
                "(and an iam:PassedToService condition for iam:PassRole)",
                None,
            )

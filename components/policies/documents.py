"""IAM policy documents as policies see them: JSON strings (or objects), maybe unknown in preview."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, cast

from components.values import as_mapping, items

IDENTITY_POLICY_TYPES = {
    "aws:iam/policy:Policy": "policy",
    "aws:iam/rolePolicy:RolePolicy": "policy",
    "aws:iam/userPolicy:UserPolicy": "policy",
    "aws:iam/groupPolicy:GroupPolicy": "policy",
}
"""Identity-based policy documents: the input that holds each."""
RESOURCE_POLICY_TYPES = {
    "aws:s3/bucketPolicy:BucketPolicy": "policy",
    "aws:ecr/repositoryPolicy:RepositoryPolicy": "policy",
    "aws:sns/topicPolicy:TopicPolicy": "policy",
    "aws:sqs/queuePolicy:QueuePolicy": "policy",
    "aws:kms/key:Key": "policy",
    "aws:secretsmanager/secretPolicy:SecretPolicy": "policy",
    "aws:iam/role:Role": "assumeRolePolicy",
}
"""Resource-based policies and trust policies (who may act): the input that holds each."""


def statements(document: Any) -> list[Mapping[str, Any]]:
    """The statements of a policy document (JSON text or object); empty when unknown."""
    doc = as_mapping(document)
    statement: Any = doc.get("Statement")
    if isinstance(statement, Mapping):
        return [cast(Mapping[str, Any], statement)]
    return [as_mapping(s) for s in items(statement)]


def strings(value: Any) -> list[str]:
    """A string-or-list field (Action, Resource, a principal list) as a list of strings."""
    if isinstance(value, str):
        return [value]
    return [v for v in items(value) if isinstance(v, str)]


def allows(statement: Mapping[str, Any]) -> bool:
    """Whether the statement grants (a ``Deny`` never widens access)."""
    return statement.get("Effect") == "Allow"


def principals(statement: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """``(kind, value)`` for each principal: ``("*", "*")``, ``("AWS", arn)``, ``("Service", ...)``."""
    principal: Any = statement.get("Principal")
    if principal == "*":
        yield "*", "*"
        return
    for kind, value in as_mapping(principal).items():
        for entry in strings(value):
            yield kind, entry


def inline_role_policies(props: Mapping[str, Any]) -> list[Any]:
    """Documents of a role's ``inlinePolicies`` input."""
    return [as_mapping(p).get("policy") for p in items(props.get("inlinePolicies"))]

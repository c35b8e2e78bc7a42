"""IAM building blocks shared by the components: trust policies, roles, managed attachments."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_aws as aws


def document(*statements: dict[str, Any]) -> str:
    """An IAM policy document (JSON) from its statements."""
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, indent=2)


def service_trust_policy(service: str) -> str:
    """Trust policy letting an AWS service (``eks.amazonaws.com``) assume the role."""
    return document(
        {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"},
    )


def irsa_trust_policy(oidc_provider_arn: str, issuer_url: str, namespace: str, service_account: str) -> str:
    """Trust policy for IAM Roles for Service Accounts: only this service account may assume it."""
    issuer = issuer_url.removeprefix("https://")
    return document(
        {
            "Effect": "Allow",
            "Principal": {"Federated": oidc_provider_arn},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": {
                    f"{issuer}:sub": f"system:serviceaccount:{namespace}:{service_account}",
                    f"{issuer}:aud": "sts.amazonaws.com",
                }
            },
        }
    )


def service_role(name: str, service: str, managed_policies: Sequence[str], *, parent: pulumi.Resource) -> aws.iam.Role:
    """A role for an AWS service with AWS-managed policies attached (``<name>-<policy>``)."""
    role = aws.iam.Role(
        name, assume_role_policy=service_trust_policy(service), opts=pulumi.ResourceOptions(parent=parent)
    )
    _attach(name, role, managed_policies, parent)
    return role


def irsa_role(
    name: str,
    *,
    oidc_provider_arn: pulumi.Input[str],
    issuer_url: pulumi.Input[str],
    namespace: str,
    service_account: str,
    policy: pulumi.Input[str] | None,
    parent: pulumi.Resource,
    managed_policies: Sequence[str] = (),
) -> aws.iam.Role:
    """A role only ``namespace/service_account`` can assume (IRSA), with an inline policy
    (``<name>-policy``) and/or AWS-managed policies (``<name>-<policy>``)."""
    trust = pulumi.Output.all(oidc_provider_arn, issuer_url).apply(
        lambda args: irsa_trust_policy(args[0], args[1], namespace, service_account)
    )
    role = aws.iam.Role(name, assume_role_policy=trust, opts=pulumi.ResourceOptions(parent=parent))
    if policy is not None:
        aws.iam.RolePolicy(f"{name}-policy", role=role.name, policy=policy, opts=pulumi.ResourceOptions(parent=parent))
    _attach(name, role, managed_policies, parent)
    return role


def _attach(name: str, role: aws.iam.Role, managed_policies: Sequence[str], parent: pulumi.Resource) -> None:
    if not managed_policies:
        return
    # AWS-managed policies live in the role's partition (arn:aws-cn:..., arn:aws-us-gov:...).
    partition = aws.get_partition_output(opts=pulumi.InvokeOutputOptions(parent=parent)).partition
    for policy in managed_policies:
        aws.iam.RolePolicyAttachment(
            f"{name}-{policy.rsplit('/', 1)[-1]}",
            role=role.name,
            policy_arn=partition.apply(lambda p, policy=policy: f"arn:{p}:iam::aws:policy/{policy}"),
            opts=pulumi.ResourceOptions(parent=parent),
        )

"""Customer-managed KMS keys for the components' data at rest (buckets, registries, topics)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from components.iam import document


def account_key_policy(partition: str, account_id: str, services: Sequence[str] = ()) -> str:
    """Key policy that lets only IAM principals of this account use and administer the key,
    plus, when given, AWS services that must encrypt for it (``cloudwatch.amazonaws.com``
    publishing to an encrypted topic), limited to requests made for this account.

    Access is then granted by IAM policies (e.g. the bucket's prefix documents), never by
    widening the key policy.
    """
    statements: list[dict[str, Any]] = [
        {
            "Sid": "AccountIamPolicies",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ]
    if services:
        statements.append(
            {
                "Sid": "ServicesEncryptForThisAccount",
                "Effect": "Allow",
                "Principal": {"Service": sorted(services)},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
            }
        )
    return document(*statements)


def account_key(
    name: str, description: str, *, parent: pulumi.Resource, protect: bool, services: Sequence[str] = ()
) -> aws.kms.Key:
    """A symmetric key with yearly rotation and a 30-day deletion window, scoped to the account.

    ``protect`` also retains the key on delete: data encrypted with it must stay readable.
    """
    invoke = pulumi.InvokeOutputOptions(parent=parent)
    identity = aws.get_caller_identity_output(opts=invoke)
    partition = aws.get_partition_output(opts=invoke)
    policy = pulumi.Output.all(partition.partition, identity.account_id).apply(
        lambda args: account_key_policy(args[0], args[1], services)
    )
    return aws.kms.Key(
        name,
        description=description,
        enable_key_rotation=True,
        deletion_window_in_days=30,
        policy=policy,
        opts=pulumi.ResourceOptions(parent=parent, protect=protect, retain_on_delete=protect),
    )

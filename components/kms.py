"""Customer-managed KMS keys for the components' data at rest (buckets, registries, topics)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from components.iam import document


def account_key_policy(
    partition: str, account_id: str, services: Sequence[str] = (), logs_region: str | None = None
) -> str:
    """Key policy that lets only IAM principals of this account use and administer the key,
    plus, when given, AWS services that must encrypt for it (``cloudwatch.amazonaws.com``
    publishing to an encrypted topic), limited to requests made for this account, and
    CloudWatch Logs of ``logs_region`` for this account's log groups (the encryption context
    condition AWS documents for encrypting log data with KMS).

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
    if logs_region:
        log_groups = f"arn:{partition}:logs:{logs_region}:{account_id}:log-group:*"
        statements.append(
            {
                "Sid": "CloudWatchLogsForThisAccount",
                "Effect": "Allow",
                "Principal": {"Service": f"logs.{logs_region}.amazonaws.com"},
                "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                "Resource": "*",
                "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": log_groups}},
            }
        )
    return document(*statements)


def account_key(
    name: str,
    description: str,
    *,
    parent: pulumi.Resource,
    protect: bool,
    services: Sequence[str] = (),
    for_logs: bool = False,
) -> aws.kms.Key:
    """A symmetric key with yearly rotation and a 30-day deletion window, scoped to the account;
    ``for_logs`` lets CloudWatch Logs of the provider's region encrypt log groups with it.

    ``protect`` also retains the key on delete: data encrypted with it must stay readable.
    """
    invoke = pulumi.InvokeOutputOptions(parent=parent)
    identity = aws.get_caller_identity_output(opts=invoke)
    partition = aws.get_partition_output(opts=invoke)
    region = aws.get_region_output(opts=invoke).region if for_logs else pulumi.Output.from_input("")
    policy = pulumi.Output.all(partition.partition, identity.account_id, region).apply(
        lambda args: account_key_policy(args[0], args[1], services, args[2] or None)
    )
    return aws.kms.Key(
        name,
        description=description,
        enable_key_rotation=True,
        deletion_window_in_days=30,
        policy=policy,
        opts=pulumi.ResourceOptions(parent=parent, protect=protect, retain_on_delete=protect),
    )

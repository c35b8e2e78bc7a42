"""Customer-managed KMS keys for the components' data at rest (buckets, registries, topics)."""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws


def account_key_policy(partition: str, account_id: str) -> str:
    """Key policy that lets only IAM principals of this account use and administer the key.

    Access is then granted by IAM policies (e.g. the bucket's prefix documents), never by
    widening the key policy.
    """
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AccountIamPolicies",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                }
            ],
        },
        indent=2,
    )


def account_key(name: str, description: str, *, parent: pulumi.Resource, protect: bool) -> aws.kms.Key:
    """A symmetric key with yearly rotation and a 30-day deletion window, scoped to the account.

    ``protect`` also retains the key on delete: data encrypted with it must stay readable.
    """
    invoke = pulumi.InvokeOutputOptions(parent=parent)
    identity = aws.get_caller_identity_output(opts=invoke)
    partition = aws.get_partition_output(opts=invoke)
    policy = pulumi.Output.all(partition.partition, identity.account_id).apply(
        lambda args: account_key_policy(args[0], args[1])
    )
    return aws.kms.Key(
        name,
        description=description,
        enable_key_rotation=True,
        deletion_window_in_days=30,
        policy=policy,
        opts=pulumi.ResourceOptions(parent=parent, protect=protect, retain_on_delete=protect),
    )

"""ArtifactBucket: an S3 bucket for models and datasets that is never public, always encrypted.

Children (``<name>-<suffix>``): ``bucket``, ``key`` (unless a key is passed in),
``versioning``, ``encryption``, ``public-access-block``, ``ownership``, ``tls-policy``,
``lifecycle`` and, when asked for, ``logging`` and ``object-lock``.
"""

import json
from enum import StrEnum
from typing import Any, NotRequired, TypedDict, cast

import pulumi
import pulumi_aws as aws

from components.errors import argument_type_problems, refuse, well_typed
from components.kms import account_key
from components.naming import bucket_name_problems, check, key_prefix_problems

READ_ACTIONS = ["s3:GetObject", "s3:GetObjectVersion"]
WRITE_ACTIONS = [
    "s3:PutObject",
    "s3:DeleteObject",
    "s3:AbortMultipartUpload",
    "s3:ListMultipartUploadParts",
]


class Access(StrEnum):
    """Level of access an IAM document grants to a key prefix."""

    READ_ONLY = "read-only"
    READ_WRITE = "read-write"


class ArtifactBucketArgs(TypedDict):
    """Arguments of :class:`ArtifactBucket`; every one is optional and defaults to the safe choice."""

    bucket_name: NotRequired[str]
    """Physical bucket name (S3 naming rules); default: a unique name derived from the resource name."""
    kms_key_arn: NotRequired[pulumi.Input[str]]
    """Existing KMS key for SSE-KMS; default: the component creates one (rotation on)."""
    noncurrent_version_days: NotRequired[int]
    """Days to keep noncurrent object versions before they expire (default 90)."""
    abort_multipart_days: NotRequired[int]
    """Days after which incomplete multipart uploads are aborted (default 7)."""
    intelligent_tiering_days: NotRequired[int]
    """Move current objects to S3 Intelligent-Tiering after this many days (default: never)."""
    object_lock_days: NotRequired[int]
    """Object Lock in governance mode with this default retention (for released models)."""
    access_log_bucket: NotRequired[pulumi.Input[str]]
    """Existing bucket that receives server access logs under ``<name>/`` (default: no logging)."""
    protect: NotRequired[bool]
    """Protect and retain the bucket and its key (default True; pass False only for dev)."""


def tls_only_policy(bucket_arn: str) -> str:
    """Bucket policy denying every request not made over TLS."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [bucket_arn, f"{bucket_arn}/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }
            ],
        },
        indent=2,
    )


def prefix_policy(bucket_arn: str, key_arn: str, prefix: str, access: Access) -> dict[str, Any]:
    """IAM policy document granting ``access`` to the objects under ``prefix`` only.

    Listing is limited to the prefix with an ``s3:prefix`` condition; KMS use is limited to
    the bucket's key, through S3.
    """
    check(key_prefix_problems(prefix), "prefix", prefix)
    object_actions = READ_ACTIONS + (WRITE_ACTIONS if access is Access.READ_WRITE else [])
    kms_actions = ["kms:Decrypt"] + (["kms:GenerateDataKey"] if access is Access.READ_WRITE else [])
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ListPrefix",
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": bucket_arn,
                "Condition": {"StringLike": {"s3:prefix": [prefix, f"{prefix}*"]}},
            },
            {
                "Sid": "ObjectsUnderPrefix",
                "Effect": "Allow",
                "Action": object_actions,
                "Resource": f"{bucket_arn}/{prefix}*",
            },
            {
                "Sid": "BucketKey",
                "Effect": "Allow",
                "Action": kms_actions,
                "Resource": key_arn,
            },
        ],
    }


def lifecycle_rules(
    abort_multipart_days: int, noncurrent_version_days: int, intelligent_tiering_days: int | None
) -> list[aws.s3.BucketLifecycleConfigurationRuleArgs]:
    """Lifecycle: abort stale multipart uploads, expire old versions, optional tiering."""
    for label, days in (
        ("abort_multipart_days", abort_multipart_days),
        ("noncurrent_version_days", noncurrent_version_days),
    ):
        if days <= 0:
            raise ValueError(f"{label} must be > 0 (got {days})")
    whole_bucket = aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix="")
    rules = [
        aws.s3.BucketLifecycleConfigurationRuleArgs(
            id="abort-incomplete-multipart-uploads",
            status="Enabled",
            filter=whole_bucket,
            abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                days_after_initiation=abort_multipart_days
            ),
        ),
        aws.s3.BucketLifecycleConfigurationRuleArgs(
            id="expire-noncurrent-versions",
            status="Enabled",
            filter=whole_bucket,
            noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                noncurrent_days=noncurrent_version_days
            ),
        ),
    ]
    if intelligent_tiering_days is not None:
        rules.append(
            aws.s3.BucketLifecycleConfigurationRuleArgs(
                id="intelligent-tiering",
                status="Enabled",
                filter=whole_bucket,
                transitions=[
                    aws.s3.BucketLifecycleConfigurationRuleTransitionArgs(
                        days=intelligent_tiering_days, storage_class="INTELLIGENT_TIERING"
                    )
                ],
            )
        )
    return rules


class ArtifactStore(TypedDict):
    """Where a model registry keeps artifacts (:meth:`ArtifactBucket.artifact_store`); spread it
    into :class:`~components.model_registry.ModelRegistryArgs`."""

    bucket_name: pulumi.Input[str]
    """The bucket."""
    artifact_prefix: str
    """Key prefix of the artifacts, ending in ``/``."""
    artifact_policy: pulumi.Input[str]
    """Read-write IAM policy for that prefix (with the bucket key's permissions)."""


class ModelSource(TypedDict):
    """Where an endpoint reads its model (:meth:`ArtifactBucket.model_source`); spread it into
    the endpoint's arguments."""

    bucket_name: pulumi.Input[str]
    """The bucket holding the model."""
    model_prefix: str
    """Key prefix of the model, ending in ``/``."""
    model_policy: pulumi.Input[str]
    """Read-only IAM policy for that prefix (with the bucket key's decrypt permission)."""


NO_ARGS: ArtifactBucketArgs = {}
"""Every argument at its default (never mutated). Not ``None``: schema inference needs the TypedDict."""


def validate_bucket(given: ArtifactBucketArgs) -> list[str]:
    """Everything wrong with the arguments (empty when valid), all at once: the wrong-typed ones
    are named first, the checks below read the rest."""
    problems = argument_type_problems(given, ArtifactBucketArgs)
    args = cast(ArtifactBucketArgs, well_typed(given, ArtifactBucketArgs))
    if "bucket_name" in args:
        problems += [f"bucket_name {args['bucket_name']!r}: {p}" for p in bucket_name_problems(args["bucket_name"])]
    for key, default in (("abort_multipart_days", 7), ("noncurrent_version_days", 90)):
        if args.get(key, default) <= 0:
            problems.append(f"{key} must be > 0 (got {args.get(key)})")
    object_lock_days = args.get("object_lock_days")
    if object_lock_days is not None and object_lock_days <= 0:
        problems.append(f"object_lock_days must be > 0 (got {object_lock_days})")
    return problems


class ArtifactBucket(pulumi.ComponentResource):
    """A private, versioned, SSE-KMS encrypted, TLS-only S3 bucket with lifecycle rules.

    ``forceDestroy`` is never set: a bucket with objects cannot be deleted by accident.
    """

    bucket: aws.s3.Bucket
    """The bucket."""
    bucket_name: pulumi.Output[str]
    """Physical bucket name."""
    arn: pulumi.Output[str]
    """Bucket ARN."""
    kms_key_arn: pulumi.Output[str]
    """ARN of the KMS key that encrypts the objects."""

    def __init__(
        self,
        name: str,
        args: ArtifactBucketArgs = NO_ARGS,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        args = args or NO_ARGS  # None still means "all defaults", as it did
        refuse("ArtifactBucket", name, validate_bucket(args))
        rules = lifecycle_rules(
            args.get("abort_multipart_days", 7),
            args.get("noncurrent_version_days", 90),
            args.get("intelligent_tiering_days"),
        )
        object_lock_days = args.get("object_lock_days")
        super().__init__("mlops:index:ArtifactBucket", name, None, opts)
        protect = args.get("protect", True)
        child = pulumi.ResourceOptions(parent=self)
        kept = pulumi.ResourceOptions(parent=self, protect=protect, retain_on_delete=protect)

        if "kms_key_arn" in args:
            key_arn = pulumi.Output.from_input(args["kms_key_arn"])
        else:
            key_arn = account_key(
                f"{name}-key",
                f"SSE-KMS for the {name} artifact bucket",
                parent=self,
                protect=protect,
            ).arn
        self.bucket = aws.s3.Bucket(
            f"{name}-bucket",
            bucket=args.get("bucket_name"),
            object_lock_enabled=True if object_lock_days is not None else None,
            opts=kept,
        )
        bucket_id = self.bucket.id
        versioning = aws.s3.BucketVersioning(
            f"{name}-versioning",
            bucket=bucket_id,
            versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
            opts=child,
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=bucket_id,
            rules=[
                aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                    apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                        sse_algorithm="aws:kms", kms_master_key_id=key_arn
                    ),
                    bucket_key_enabled=True,
                )
            ],
            opts=child,
        )
        public_access_block = aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access-block",
            bucket=bucket_id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        aws.s3.BucketOwnershipControls(
            f"{name}-ownership",
            bucket=bucket_id,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
            opts=child,
        )
        # S3 rejects a bucket policy written while the public access block is being set.
        aws.s3.BucketPolicy(
            f"{name}-tls-policy",
            bucket=bucket_id,
            policy=self.bucket.arn.apply(tls_only_policy),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[public_access_block]),
        )
        # Noncurrent-version rules need versioning in place first.
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=bucket_id,
            rules=rules,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[versioning]),
        )
        if "access_log_bucket" in args:
            aws.s3.BucketLogging(
                f"{name}-logging",
                bucket=bucket_id,
                target_bucket=args["access_log_bucket"],
                target_prefix=f"{name}/",
                opts=child,
            )
        if object_lock_days is not None:
            aws.s3.BucketObjectLockConfiguration(
                f"{name}-object-lock",
                bucket=bucket_id,
                object_lock_enabled="Enabled",
                rule=aws.s3.BucketObjectLockConfigurationRuleArgs(
                    default_retention=aws.s3.BucketObjectLockConfigurationRuleDefaultRetentionArgs(
                        mode="GOVERNANCE", days=object_lock_days
                    )
                ),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[versioning]),
            )

        self.bucket_name = self.bucket.bucket
        self.arn = self.bucket.arn
        self.kms_key_arn = key_arn
        self.register_outputs({"bucketName": self.bucket_name, "arn": self.arn, "kmsKeyArn": self.kms_key_arn})

    def model_source(self, prefix: str) -> ModelSource:
        """An endpoint's model in this bucket under ``prefix``, with the read-only policy its role
        gets: ``ModelServingEndpoint("chat", {**models.model_source("models/chat/"), ...})``."""
        return {"bucket_name": self.bucket_name, "model_prefix": prefix, "model_policy": self.policy_document(prefix)}

    def artifact_store(self, prefix: str) -> ArtifactStore:
        """A model registry's artifacts in this bucket under ``prefix``, read-write for its server:
        ``ModelRegistry("registry", {**models.artifact_store("mlflow/"), ...})``."""
        return {
            "bucket_name": self.bucket_name,
            "artifact_prefix": prefix,
            "artifact_policy": self.policy_document(prefix, Access.READ_WRITE),
        }

    def policy_document(self, prefix: str, access: Access = Access.READ_ONLY) -> pulumi.Output[str]:
        """IAM policy JSON granting ``access`` to objects under ``prefix`` (e.g. ``models/fraud/``).

        Attach it to an IRSA role; it includes the KMS permissions the key needs.
        """
        check(key_prefix_problems(prefix), "prefix", prefix)
        return pulumi.Output.all(self.arn, self.kms_key_arn).apply(
            lambda arns: json.dumps(prefix_policy(arns[0], arns[1], prefix, access), indent=2)
        )

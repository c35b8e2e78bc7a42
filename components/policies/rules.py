"""Tag, hardening and data-safety rules (the pack's list is :mod:`components.policies.pack`).

Each validator is a plain function of ``(args, report_violation)`` so tests can call it with
hand-built arguments.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pulumi_aws
from pulumi_policy import (
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    StackValidationArgs,
)

from components.cidrs import BROADEST_PUBLIC_PREFIX, too_broad
from components.values import as_mapping, items

BUCKETS = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
"""Current and deprecated bucket tokens (pulumi-aws 7 still ships BucketV2 and its V2 companions)."""

DEFAULT_REQUIRED_TAGS = ["team", "cost-center", "environment"]

STATEFUL = {
    "aws:s3/bucket:Bucket": "bucket",
    "aws:s3/bucketV2:BucketV2": "bucket",
    "aws:kms/key:Key": "KMS key",
    "aws:ecr/repository:Repository": "ECR repository",
    "aws:eks/cluster:Cluster": "EKS cluster",
    "aws:rds/instance:Instance": "RDS database",
}
"""Resource types whose deletion loses data (objects, encrypted data, images, the cluster, a database)."""
STATEFUL_TYPES = tuple(STATEFUL)

LOSES_DATA_ON_REPLACE = {
    **STATEFUL,
    "aws:rds/cluster:Cluster": "Aurora cluster",
    "aws:efs/fileSystem:FileSystem": "EFS file system",
    "aws:ebs/volume:Volume": "EBS volume",
    "aws:secretsmanager/secret:Secret": "Secrets Manager secret",
    "aws:sqs/queue:Queue": "SQS queue",
    "aws:cloudwatch/logGroup:LogGroup": "log group",
    "kubernetes:core/v1:PersistentVolumeClaim": "PersistentVolumeClaim",
    "kubernetes:core/v1:PersistentVolume": "PersistentVolume",
}
"""Types whose replacement (a delete and a create) loses data or an identity others hold: the
STATEFUL ones (a KMS key's replacement schedules the old key's deletion, leaving what it encrypted,
an RDS instance's storage among it, unreadable), a database cluster, file systems and volumes, a
secret (its value and ARN; rotation sets the value outside the program), a queue (the messages in
it: Karpenter's interruption notices), a log group (its retained logs: VPC flow logs, the
cluster's audit log) and a claim or volume (with the usual Delete reclaim policy the disk goes).
A StatefulSet is one only with volumeClaimTemplates (:func:`loses_data_on_replace`). Not here:
what the program recreates as it was (roles, policies, security groups, node groups, Kubernetes
Secrets and ConfigMaps written from inputs): their replacement disrupts, and the diff shows it."""

STATEFUL_SET = re.compile(r"kubernetes:apps/[^:]+:StatefulSet")
"""A StatefulSet of any apps/ version (pulumi-kubernetes still has apps/v1beta1 and v1beta2)."""


def loses_data_on_replace(type_: str, inputs: Mapping[str, Any]) -> str | None:
    """What a replacement of a resource of ``type_`` with ``inputs`` loses (its kind's name), or
    None. A StatefulSet with volumeClaimTemplates counts: pods lose their volumes when its claims
    are deleted with it (persistentVolumeClaimRetentionPolicy.whenDeleted: Delete), and even when
    they are kept the set's identity (its pods' ordinal names and stable storage binding) restarts."""
    if STATEFUL_SET.fullmatch(type_) and items(as_mapping(inputs.get("spec")).get("volumeClaimTemplates")):
        return "StatefulSet with volume claims"
    return LOSES_DATA_ON_REPLACE.get(type_)


def effective_tags(args: ResourceValidationArgs) -> dict[str, str]:
    """Tags an AWS resource gets: its provider's ``defaultTags`` overlaid with its own ``tags``."""
    tags: dict[str, str] = {}
    if args.provider is not None:
        default_tags = as_mapping(args.provider.props.get("defaultTags"))
        tags.update(as_mapping(default_tags.get("tags")))
    tags.update(as_mapping(args.props.get("tags")))
    return tags


_TOKEN = re.compile(r"super\(\w+, __self__\).__init__\(\s*'(aws:[^']+)'")


@functools.cache
def taggable_types() -> frozenset[str]:
    """Type tokens of the pulumi_aws resources that take tags (those with a ``tags_all`` output),
    read from the installed SDK's sources once."""
    root = Path(pulumi_aws.__file__).parent
    found: set[str] = set()
    for source in root.glob("*/*.py"):
        text = source.read_text(encoding="utf-8")
        if "def tags_all(" in text:
            found.update(_TOKEN.findall(text))
    return frozenset(found)


def validate_required_tags(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Every taggable AWS resource carries the required tags, from provider default tags or its own."""
    if not args.resource_type.startswith("aws:"):
        return
    required: list[str] = list(args.get_config().get("requiredTags", DEFAULT_REQUIRED_TAGS))
    tags = effective_tags(args)
    missing = [key for key in required if not str(tags.get(key, "")).strip()]
    if missing and args.resource_type in taggable_types():
        where = "its provider has no defaultTags" if args.provider is None else "neither provider nor resource"
        report_violation(
            f"missing required tags {', '.join(missing)} ({where}); pass an aws.Provider with "
            "default_tags to the component's opts.providers",
            None,
        )


def validate_launch_template(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Launch templates require IMDSv2 (hop limit <= 2), encrypted volumes and no public IP."""
    if args.resource_type != "aws:ec2/launchTemplate:LaunchTemplate":
        return
    metadata = as_mapping(args.props.get("metadataOptions"))
    if metadata.get("httpTokens") != "required":
        report_violation("IMDSv2 is not required (metadataOptions.httpTokens must be 'required')", None)
    if float(metadata.get("httpPutResponseHopLimit", 1)) > 2:
        report_violation("IMDS hop limit above 2 lets containers reach the node's credentials", None)
    for mapping in items(args.props.get("blockDeviceMappings")):
        if str(as_mapping(as_mapping(mapping).get("ebs")).get("encrypted")).lower() != "true":
            report_violation(f"volume {as_mapping(mapping).get('deviceName')} is not encrypted", None)
    for interface in items(args.props.get("networkInterfaces")):
        if str(as_mapping(interface).get("associatePublicIpAddress")).lower() == "true":
            report_violation("nodes must not get public IP addresses", None)


def validate_ecr_repository(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """ECR repositories: immutable tags, scan on push, KMS encryption."""
    if args.resource_type != "aws:ecr/repository:Repository":
        return
    if args.props.get("imageTagMutability") != "IMMUTABLE":
        report_violation("image tags must be IMMUTABLE (a tag must always mean the same image)", None)
    if as_mapping(args.props.get("imageScanningConfiguration")).get("scanOnPush") is not True:
        report_violation("scan on push must be enabled", None)
    encryption = [as_mapping(e) for e in items(args.props.get("encryptionConfigurations"))]
    if not any(e.get("encryptionType") == "KMS" for e in encryption):
        report_violation("images must be encrypted with KMS (encryptionType KMS)", None)


def validate_eks_cluster(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """EKS clusters: secrets encrypted, audit logs on, no API endpoint open to the internet (or
    to more than a /16 of public addresses in total)."""
    if args.resource_type != "aws:eks/cluster:Cluster":
        return
    encryption = as_mapping(args.props.get("encryptionConfig"))
    if "secrets" not in items(encryption.get("resources")):
        report_violation("Kubernetes secrets are not encrypted with KMS (encryptionConfig)", None)
    missing = {"api", "audit", "authenticator"} - set(items(args.props.get("enabledClusterLogTypes")))
    if missing:
        report_violation(f"control-plane logs missing: {', '.join(sorted(missing))}", None)
    vpc = as_mapping(args.props.get("vpcConfig"))
    if vpc.get("endpointPublicAccess", True) is not False:
        cidrs = [str(c) for c in items(vpc.get("publicAccessCidrs"))] or ["0.0.0.0/0"]
        broadest = int(args.get_config().get("broadestPublicPrefix", BROADEST_PUBLIC_PREFIX))
        if "0.0.0.0/0" in cidrs:
            report_violation("the API endpoint is public to the whole internet (0.0.0.0/0)", None)
        elif broad := too_broad(cidrs, broadest):
            report_violation(f"the API endpoint is public to too much of the internet ({broad})", None)


def validate_bucket_companions(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Every S3 bucket has versioning, SSE-KMS and a full public access block attached."""
    by_bucket: dict[str, list[PolicyResource]] = {}
    for resource in args.resources:
        for dependency in resource.dependencies:
            by_bucket.setdefault(dependency.urn, []).append(resource)
    for bucket in (r for r in args.resources if r.resource_type in BUCKETS):
        companions = by_bucket.get(bucket.urn, [])
        problems = _bucket_problems(companions)
        if problems:
            report_violation("; ".join(problems), bucket.urn)


def _bucket_problems(companions: Sequence[PolicyResource]) -> list[str]:
    def of(type_: str) -> list[Mapping[str, Any]]:
        """Companions of the type, or of its deprecated ``V2`` token."""
        module, name = type_.rsplit(":", 1)[0], type_.rsplit(":", 1)[1]
        deprecated = f"{module}V2:{name}V2"
        return [c.props for c in companions if c.resource_type in (type_, deprecated)]

    problems: list[str] = []
    versioning = of("aws:s3/bucketVersioning:BucketVersioning")
    if not any(as_mapping(v.get("versioningConfiguration")).get("status") == "Enabled" for v in versioning):
        problems.append("versioning is not enabled")
    encryption = of("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
    algorithms = [
        as_mapping(as_mapping(rule).get("applyServerSideEncryptionByDefault")).get("sseAlgorithm")
        for config in encryption
        for rule in items(config.get("rules"))
    ]
    if "aws:kms" not in algorithms:
        problems.append("default encryption is not SSE-KMS")
    flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    blocks = of("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    if not any(all(b.get(flag) is True for flag in flags) for b in blocks):
        problems.append("no public access block with all four flags")
    return problems


def validate_stateful_protected(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Buckets, KMS keys, ECR repositories and clusters are protected from deletion."""
    for resource in args.resources:
        if resource.resource_type in STATEFUL_TYPES and not resource.opts.protect:
            report_violation(
                f"{resource.resource_type} {resource.name} is not protected: a destroy or a replace deletes data",
                resource.urn,
            )

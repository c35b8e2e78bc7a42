"""Encryption and key rules: storage encrypted at rest (KMS where it matters), KMS keys rotate,
databases private, protected from deletion and backed up."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs

from components.values import as_mapping, items

Check = Callable[[Mapping[str, Any]], str | None]


def _flag(key: str, what: str) -> Check:
    return lambda props: None if props.get(key) is True else f"{what} is not encrypted ({key}: true)"


def _kms(key: str, what: str) -> Check:
    return lambda props: None if props.get(key) else f"{what} has no KMS key ({key})"


def _queue(props: Mapping[str, Any]) -> str | None:
    if props.get("kmsMasterKeyId") or props.get("sqsManagedSseEnabled") is True:
        return None
    return "the queue is not encrypted (kmsMasterKeyId or sqsManagedSseEnabled)"


def _instance(props: Mapping[str, Any]) -> str | None:
    devices = [as_mapping(props.get("rootBlockDevice")), *map(as_mapping, items(props.get("ebsBlockDevices")))]
    plain = [d.get("deviceName", "root") for d in devices if d and d.get("encrypted") is not True]
    if not as_mapping(props.get("rootBlockDevice")):
        plain.insert(0, "root (rootBlockDevice unset)")
    return f"unencrypted volumes: {', '.join(map(str, plain))}" if plain else None


STORAGE: dict[str, Check] = {
    "aws:ebs/volume:Volume": _flag("encrypted", "the EBS volume"),
    "aws:ec2/instance:Instance": _instance,
    "aws:rds/instance:Instance": _flag("storageEncrypted", "the database"),
    "aws:rds/cluster:Cluster": _flag("storageEncrypted", "the database cluster"),
    "aws:efs/fileSystem:FileSystem": _flag("encrypted", "the file system"),
    "aws:sns/topic:Topic": _kms("kmsMasterKeyId", "the topic"),
    "aws:sqs/queue:Queue": _queue,
    "aws:cloudwatch/logGroup:LogGroup": _kms("kmsKeyId", "the log group"),
}
"""Per resource type: what is unencrypted about it (None when encrypted)."""


def validate_storage_encrypted(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """EBS volumes, instance disks, RDS/Aurora, EFS, SNS, SQS and log groups are encrypted at rest."""
    check = STORAGE.get(args.resource_type)
    problem = check(args.props) if check is not None else None
    if problem:
        report_violation(f"{problem}; encrypt it with a customer-managed KMS key", None)


def validate_kms_rotation(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Symmetric KMS keys rotate their key material yearly."""
    if args.resource_type != "aws:kms/key:Key":
        return
    spec = args.props.get("customerMasterKeySpec") or args.props.get("keySpec") or "SYMMETRIC_DEFAULT"
    if spec == "SYMMETRIC_DEFAULT" and args.props.get("enableKeyRotation") is not True:
        report_violation("key rotation is off; set enable_key_rotation=True", None)


DATABASES = ("aws:rds/instance:Instance", "aws:rds/cluster:Cluster")


def validate_rds_hardened(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Databases are private, encrypted with their own key, keep no password in the state, are
    protected from deletion with a final snapshot, keep backups and, where required, a standby."""
    props = args.props
    if (
        args.resource_type in (*DATABASES, "aws:rds/clusterInstance:ClusterInstance")
        and props.get("publiclyAccessible") is True
    ):
        report_violation("the database is publicly accessible; keep it in private subnets", None)
    if args.resource_type not in DATABASES:
        return
    if not props.get("kmsKeyId"):
        report_violation("encrypted with the AWS-managed key at best; pass kms_key_id (a customer-managed key)", None)
    if props.get("password"):
        report_violation(
            "the master password is an input, so it is in the state; use manage_master_user_password=True", None
        )
    if props.get("performanceInsightsEnabled") is True and not props.get("performanceInsightsKmsKeyId"):
        report_violation(
            "Performance Insights data uses the AWS-managed key; pass performance_insights_kms_key_id", None
        )
    config = args.get_config()
    if config.get("requireDeletionProtection", True):
        if props.get("deletionProtection") is not True:
            report_violation("deletion protection is off (deletion_protection=True)", None)
        if props.get("skipFinalSnapshot") is True:
            report_violation("no final snapshot on delete (skip_final_snapshot=False, final_snapshot_identifier)", None)
    if config.get("requireMultiAz", False) and props.get("multiAz") is not True:
        report_violation("no Multi-AZ standby: one zone's outage takes the database down (multi_az=True)", None)
    minimum = int(config.get("minBackupRetentionDays", 7))
    try:
        retention = int(float(props.get("backupRetentionPeriod", 1)))
    except (TypeError, ValueError):
        return
    if retention < minimum:
        report_violation(f"backups are kept {retention} day(s); keep at least {minimum}", None)

"""The model registry's database, checked against botocore's RDS model (what CreateDBInstance
takes) and the values it enumerates or documents as valid."""

from __future__ import annotations

import re
from typing import Any

import botocore.session
import pulumi_aws as aws
import pytest

from components.cost import RDS_POSTGRES_HOURLY
from tests.conftest import of_type, stack_recording

pytestmark = pytest.mark.validators

MODEL = botocore.session.get_session().get_service_model("rds")
CREATE = MODEL.shape_for("CreateDBInstanceMessage").members
# Pulumi input -> CreateDBInstance member, where the names differ beyond casing.
RENAMED = {
    "dbName": "DBName",
    "identifierPrefix": "DBInstanceIdentifier",
    "instanceClass": "DBInstanceClass",
    "username": "MasterUsername",
    "dbSubnetGroupName": "DBSubnetGroupName",
    "parameterGroupName": "DBParameterGroupName",
    "backupRetentionPeriod": "BackupRetentionPeriod",
    "multiAz": "MultiAZ",
    "kmsKeyId": "KmsKeyId",
    "performanceInsightsEnabled": "EnablePerformanceInsights",
    "performanceInsightsKmsKeyId": "PerformanceInsightsKMSKeyId",
    "enabledCloudwatchLogsExports": "EnableCloudwatchLogsExports",
}
# Provider-side settings with no CreateDBInstance member (they act on delete).
PROVIDER_ONLY = {"skipFinalSnapshot", "finalSnapshotIdentifier", "tags", "tagsAll"}


def databases(stack: str) -> list[dict[str, Any]]:
    return [r.inputs for r in of_type(stack_recording(stack), "aws:rds/instance:Instance")]


def documented_values(member: str) -> str:
    return " ".join(re.sub("<[^>]+>", " ", CREATE[member].documentation).split())


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_database_input_is_a_create_db_instance_parameter(stack: str) -> None:
    [db] = databases(stack)
    members = {name.lower(): name for name in CREATE}
    for key in set(db) - PROVIDER_ONLY:
        member = RENAMED.get(key) or members.get(key.lower())
        assert member in CREATE, f"{key} has no CreateDBInstance parameter"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_engine_storage_and_lifecycle_are_values_rds_accepts(stack: str) -> None:
    [db] = databases(stack)
    engines = documented_values("Engine").split("Valid Values:", 1)[1].split()
    assert db["engine"] == "postgres" and "postgres" in engines
    assert re.search(r"Valid Values: (\w+ \| )*gp3\b", documented_values("StorageType"))
    # The request's own list ("Valid Values: a | b"), not LifecycleSupportName: that enum is of
    # DescribeDBMajorEngineVersions' response and holds values CreateDBInstance refuses.
    lifecycle = documented_values("EngineLifecycleSupport").split("Valid Values:", 1)[1].split("Default:")[0]
    assert db["engineLifecycleSupport"] in lifecycle.replace("|", " ").split()
    assert db["engineLifecycleSupport"] == "open-source-rds-extended-support-disabled"  # no paid extended support
    assert 0 <= db["backupRetentionPeriod"] <= 35 and db["performanceInsightsRetentionPeriod"] == 7
    assert set(db["enabledCloudwatchLogsExports"]) <= {"postgresql", "upgrade", "iam-db-auth-error"}


def test_instance_classes_and_the_price_table_are_real_rds_classes() -> None:
    # Neither botocore's RDS model nor the provider's enum (it stops at Graviton2) lists current
    # classes; an RDS class db.X runs on EC2 type X, which botocore's EC2 model enumerates.
    ec2 = set(botocore.session.get_session().get_service_model("ec2").shape_for("InstanceType").enum)
    used = {db["instanceClass"] for stack in ("dev", "prod") for db in databases(stack)}
    assert used <= set(RDS_POSTGRES_HOURLY)
    assert sorted(c for c in RDS_POSTGRES_HOURLY if c.removeprefix("db.") not in ec2) == []
    graviton2 = {member.value for member in aws.rds.InstanceType}
    assert {"db.t4g.micro", "db.t4g.small", "db.t4g.medium", "db.t4g.large"} <= graviton2

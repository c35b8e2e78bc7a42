"""The tag and name rules of components/aws_tags.py against botocore's *request* shapes (the
operations that create or tag what the stack tags), not a paraphrase: each constant is read back
from the model, each character class from the pattern the API validates with."""

from __future__ import annotations

import re
import sys
import unicodedata
from functools import cache
from typing import Any

import botocore.session
import pytest

from components import aws_tags

pytestmark = pytest.mark.validators


@cache
def _model(service: str) -> Any:
    return botocore.session.get_session().get_service_model(service)


def _tag_member(service: str, operation: str, tags: str, part: str) -> Any:
    shape = _model(service).operation_model(operation).input_shape.members[tags]
    if shape.type_name == "map":
        return shape.key if part == "key" else shape.value
    [member] = [m for name, m in shape.member.members.items() if name.lower().endswith(part)]
    return member


def _pattern_classes(pattern: str) -> tuple[set[str], set[str]]:
    """The Unicode categories and literal characters of a Java character class ``[\\p{L}..._.\\-@]+``."""
    body = re.fullmatch(r"\^?\(?\[(.*)\][+*]\)?\$?", pattern)
    assert body is not None, pattern
    text = body.group(1)
    categories = set(re.findall(r"\\p\{(\w)\}", text))
    literals = re.sub(r"\\p\{\w\}", "", text).replace("\\-", "-")
    return categories, set(literals)


@pytest.mark.parametrize(
    ("service", "operation", "tags", "part"),
    [
        ("iam", "CreateRole", "Tags", "key"),
        ("iam", "CreateRole", "Tags", "value"),
        ("logs", "CreateLogGroup", "tags", "key"),
        ("logs", "CreateLogGroup", "tags", "value"),
    ],
)
def test_tag_characters_are_the_request_patterns(service: str, operation: str, tags: str, part: str) -> None:
    categories, literals = _pattern_classes(_tag_member(service, operation, tags, part).metadata["pattern"])
    assert categories == set(aws_tags.TAG_CHARACTER_CATEGORIES)
    assert literals == set(aws_tags.TAG_PUNCTUATION)
    # Every code point: the module's check and the pattern's class agree.
    every = "".join(chr(point) for point in range(sys.maxunicode + 1))
    refused = [c for c in every if unicodedata.category(c)[0] not in categories and c not in literals]
    assert aws_tags.outside_tag_characters(every) == refused


@pytest.mark.parametrize(
    ("service", "operation", "tags"),
    [
        ("iam", "CreateRole", "Tags"),
        ("eks", "CreateCluster", "tags"),
        ("kms", "CreateKey", "Tags"),
        ("sns", "CreateTopic", "Tags"),
        ("logs", "CreateLogGroup", "tags"),
        ("secretsmanager", "CreateSecret", "Tags"),
    ],
)
def test_tag_lengths_fit_every_tagging_request(service: str, operation: str, tags: str) -> None:
    key, value = (_tag_member(service, operation, tags, part).metadata for part in ("key", "value"))
    assert key.get("min", 1) <= 1 and key["max"] >= aws_tags.TAG_KEY_MAX
    assert value["max"] >= aws_tags.TAG_VALUE_MAX


def test_ec2_keys_are_the_shortest_and_reserve_aws() -> None:
    documentation = _model("ec2").shape_for("Tag").members["Key"].documentation
    assert f"a maximum of {aws_tags.TAG_KEY_MAX} Unicode characters" in documentation
    assert f"May not begin with <code>{aws_tags.AWS_TAG_PREFIX}</code>" in documentation


def test_rds_reserves_aws_and_rds_in_keys_and_values() -> None:
    for part in ("key", "value"):
        documentation = _tag_member("rds", "CreateDBInstance", "Tags", part).documentation
        assert "can't be prefixed with <code>aws:</code> or <code>rds:</code>" in documentation
    value = _tag_member("rds", "CreateDBInstance", "Tags", "value").documentation
    assert "from 1 to 256 Unicode characters" in value


def test_auto_scaling_tag_keys() -> None:
    shape = _model("autoscaling").operation_model("CreateOrUpdateTags").input_shape.members["Tags"].member
    assert shape.members["Key"].metadata["max"] == aws_tags.AUTOSCALING_TAG_KEY_MAX


@pytest.mark.parametrize(
    ("operation", "member"),
    [("CreateDBInstance", "DBInstanceIdentifier"), ("DeleteDBInstance", "FinalDBSnapshotIdentifier")],
)
def test_rds_identifier_rules_are_the_documented_constraints(operation: str, member: str) -> None:
    documentation = _model("rds").operation_model(operation).input_shape.members[member].documentation
    assert "First character must be a letter." in documentation
    assert "Can't end with a hyphen or contain two consecutive hyphens." in documentation
    assert aws_tags.rds_identifier_problems("a-b") == []
    assert aws_tags.rds_identifier_problems("a--b") and aws_tags.rds_identifier_problems("a-")

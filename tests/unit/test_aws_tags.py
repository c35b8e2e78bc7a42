"""Tags and names AWS would refuse (pure): the default tags, node-template tag keys, RDS identifiers."""

from __future__ import annotations

import pytest

from components.aws_tags import node_template_key_problems, rds_identifier_problems, tag_problems

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("team", "ml-platform"),
        ("cost-center", "cc-4711"),
        ("Cost Center", "Équipe données 2"),
        ("owner", "ml@example.com"),
        ("path/like:key=v+1", ""),
        ("k" * 127, "v" * 256),
    ],
)
def test_tags_aws_accepts(key: str, value: str) -> None:
    assert tag_problems(key, value) == []


@pytest.mark.parametrize(
    ("key", "value", "rds", "fragment"),
    [
        ("team", "ml\x07platform", False, "found '\\x07'"),
        ("team", "ml\nplatform", False, "found '\\n'"),
        ("team", "ml\tplatform", False, "found '\\t'"),
        ("team", "ml#platform", False, "found '#'"),
        ("te*am", "x", False, "the key may hold only"),
        ("k" * 128, "x", False, "the key must be 1-127 characters (EC2's limit; got 128)"),
        ("team", "v" * 257, False, "at most 256 characters (got 257)"),
        ("aws:team", "x", False, "must not start with aws:"),
        ("rds:team", "x", True, "must not start with aws: or rds:"),
        ("team", "aws:x", True, "the value must not start with aws: or rds:"),
        ("team", "", True, "RDS's Tag.Value is 1-256 characters"),
    ],
)
def test_tags_aws_refuses(key: str, value: str, rds: bool, fragment: str) -> None:
    problems = tag_problems(key, value, rds=rds)
    assert any(fragment in p for p in problems), problems


def test_rds_prefixes_only_matter_with_a_database() -> None:
    assert tag_problems("rds:team", "") == []


def test_node_template_keys_fit_the_auto_scaling_tag() -> None:
    longest = "x" * (128 - len("k8s.io/cluster-autoscaler/node-template/label/"))
    assert node_template_key_problems("label", longest) == []
    [problem] = node_template_key_problems("label", longest + "x")
    assert problem.startswith("at most 82 characters") and "(got 83)" in problem
    assert node_template_key_problems("taint", "y" * 82) == []
    assert node_template_key_problems("taint", "y" * 83) == [
        "at most 82 characters: the Auto Scaling tag k8s.io/cluster-autoscaler/node-template/taint/<key> that lets "
        "the pool scale from zero may have 128 (got 83)"
    ]


@pytest.mark.parametrize(
    ("identifier", "fragment"),
    [
        ("ml--flow", "two consecutive hyphens"),
        ("mlflow-", "end with a hyphen"),
        ("1mlflow", "start with a letter"),
        ("ml_flow", "only letters, digits and hyphens"),
    ],
)
def test_rds_identifiers(identifier: str, fragment: str) -> None:
    assert any(fragment in p for p in rds_identifier_problems(identifier))


def test_a_valid_rds_identifier() -> None:
    assert rds_identifier_problems("mlflow-db-final") == []

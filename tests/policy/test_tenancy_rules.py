"""The tenancy rules' pure checks, table-style (components/policies/tenancy.py); the programs in
tests/policy/insecure_programs.py run them through the whole pack, in-process and over gRPC."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.policies.tenancy import github_trust_problems, pod_identity_trust_problems, secret_reads_on_everything

pytestmark = pytest.mark.policy

GITHUB = {"Federated": "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"}
SUB = "token.actions.githubusercontent.com:sub"


def trust(principal: dict[str, str], condition: dict[str, Any] | None) -> str:
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRoleWithWebIdentity"}
    return json.dumps({"Statement": [statement | ({"Condition": condition} if condition else {})]})


@pytest.mark.parametrize(
    ("condition", "loose"),
    [
        (None, True),
        ({"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}}, True),
        ({"StringLike": {SUB: "repo:*"}}, True),
        ({"StringLike": {SUB: "repo:acme/*:ref:refs/heads/main"}}, True),  # every repository of acme
        ({"StringLike": {SUB: ["repo:acme/models:*", "*"]}}, True),
        ({"StringNotEquals": {SUB: "repo:acme/models:ref:refs/heads/main"}}, True),
        ({"StringEquals": {SUB: "repo:acme/models:environment:prod"}}, False),
        ({"StringLike": {SUB.upper(): "repo:acme/models:*"}}, False),  # condition keys are case-insensitive
        ({"ForAnyValue:StringEquals": {SUB: ["repo:acme/a:ref:refs/heads/main", "repo:acme/b:pull_request"]}}, False),
    ],
)
def test_a_github_trust_names_its_repositories(condition: dict[str, Any] | None, loose: bool) -> None:
    assert bool(github_trust_problems(trust(GITHUB, condition))) is loose


def test_other_web_identities_are_not_the_github_rule() -> None:
    eks = {"Federated": "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC"}
    assert github_trust_problems(trust(eks, None)) == []


PODS = {"Service": "pods.eks.amazonaws.com"}
TAGS = {"aws:RequestTag/kubernetes-namespace": "team-a", "aws:RequestTag/kubernetes-service-account": "app"}


@pytest.mark.parametrize(
    ("condition", "missing"),
    [
        (None, "aws:SourceArn or aws:SourceAccount, aws:RequestTag/kubernetes-namespace"),
        ({"StringEquals": TAGS}, "aws:SourceArn or aws:SourceAccount"),
        ({"StringEquals": {"aws:SourceAccount": "123456789012"}}, "kubernetes-namespace"),
        ({"StringEquals": {"aws:SourceAccount": "123456789012", **TAGS}}, None),
    ],
)
def test_a_pod_identity_trust_pins_cluster_and_service_account(
    condition: dict[str, Any] | None, missing: str | None
) -> None:
    problems = pod_identity_trust_problems(trust(PODS, condition))
    assert (missing in problems[0]) if missing else problems == []


@pytest.mark.parametrize(
    ("action", "resource", "found"),
    [
        ("kms:Decrypt", "*", ["kms:Decrypt"]),
        ("KMS:decrypt", "*", ["KMS:decrypt"]),
        ("kms:De*", "*", ["kms:De* (reads kms:Decrypt)"]),
        ("secretsmanager:Get*", "*", ["secretsmanager:Get* (reads secretsmanager:GetSecretValue)"]),
        ("kms:*", "*", []),  # a whole service on *: iam-no-wildcard-admin's
        ("kms:Decrypt", "arn:aws:kms:us-east-1:123456789012:key/mine", []),
        ("kms:Encrypt", "*", []),
    ],
)
def test_secret_reads_on_every_resource(action: str, resource: str, found: list[str]) -> None:
    document = {"Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}]}
    assert secret_reads_on_everything(document) == found

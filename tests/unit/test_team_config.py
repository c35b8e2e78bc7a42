"""``teams:`` in the stack config: each namespace, deployer role and bucket prefix has one owner."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from infra.config import load_platform_config
from tests.unit.test_config import BASE, problems_of

pytestmark = pytest.mark.unit

TEAM: dict[str, Any] = {
    "name": "fraud",
    "namespaces": ["fraud"],
    "quota": {"gpus": 2, "cpu": "16", "memory": "64Gi"},
    "deployerRoleArns": ["arn:aws:iam::123456789012:role/fraud-deploy"],
    "bucketPrefixes": [{"bucket": "models", "prefix": "teams/fraud/"}],
}


def with_teams(*teams: dict[str, Any], **extra: Any) -> dict[str, Any]:
    raw = copy.deepcopy(BASE) | extra
    raw["teams"] = [copy.deepcopy(t) for t in teams]
    return raw


def other(**changes: Any) -> dict[str, Any]:
    return {**TEAM, "name": "recsys", "namespaces": ["recsys"], "deployerRoleArns": [],
            "bucketPrefixes": [], **changes}  # fmt: skip


def test_a_valid_team_section_loads_with_defaults() -> None:
    config = load_platform_config(with_teams(TEAM, other()), "Pulumi.prod.yaml")
    fraud = config.teams[0]
    assert (fraud.access_policy, fraud.quota.gpus, fraud.namespaces) == ("edit", 2, ["fraud"])
    assert load_platform_config(BASE, "Pulumi.prod.yaml").teams == []


@pytest.mark.parametrize(
    ("teams", "extra", "path", "fragment"),
    [
        ([{**TEAM, "namespaces": ["kube-system"]}], {}, "teams[0].namespaces[0]", "is the platform's"),
        ([{**TEAM, "namespaces": ["monitoring"]}], {}, "teams[0].namespaces[0]", "is the platform's"),
        ([{**TEAM, "namespaces": ["serving"]}], {}, "teams[0].namespaces[0]", "is the platform's"),
        ([{**TEAM, "namespaces": ["mlflow"]}], {"modelRegistry": {"bucket": "models"}}, "teams[0].namespaces[0]",
         "is the platform's"),
        ([TEAM, other(namespaces=["fraud"])], {}, "teams[1].namespaces[0]", "already team fraud's"),
        ([TEAM, other(name="fraud")], {}, "teams[1].name", "duplicate name"),
        ([{**TEAM, "deployerRoleArns": ["arn:aws:iam::123456789012:role/ci-deploy"]}], {},
         "teams[0].deployerRoleArns[0]", "already has cluster-wide access"),
        ([TEAM, other(deployerRoleArns=TEAM["deployerRoleArns"])], {}, "teams[1].deployerRoleArns[0]",
         "already deploys for team fraud"),
        ([{**TEAM, "bucketPrefixes": [{"bucket": "nope", "prefix": "x/"}]}], {}, "teams[0].bucketPrefixes[0].bucket",
         "unknown bucket 'nope'"),
        ([TEAM, other(bucketPrefixes=[{"bucket": "models", "prefix": "teams/"}])], {},
         "teams[1].bucketPrefixes[0].prefix", "overlaps team fraud's 'teams/fraud/'"),
        ([{**TEAM, "bucketPrefixes": [{"bucket": "models", "prefix": "mlflow/runs/"}]}],
         {"modelRegistry": {"bucket": "models"}}, "teams[0].bucketPrefixes[0].prefix", "overlaps modelRegistry's"),
        ([{**TEAM, "accessPolicy": "cluster-admin"}], {}, "teams[0].accessPolicy", "'edit' or 'admin'"),
        ([{**TEAM, "quota": {"gpus": 1, "cpu": "lots", "memory": "1Gi"}}], {}, "teams[0].quota.cpu", "pattern"),
        ([{**TEAM, "namespaces": []}], {}, "teams[0].namespaces", "at least 1"),
    ],
)  # fmt: skip
def test_a_bad_team_names_its_key_path(teams: list[dict[str, Any]], extra: dict[str, Any], path: str,
                                       fragment: str) -> None:  # fmt: skip
    problems = problems_of(with_teams(*teams, **extra))
    matching = [p for p in problems if p.path == f"platform.{path}"]
    assert matching, problems
    assert fragment in matching[0].message, matching

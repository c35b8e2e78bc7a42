"""Teams in the real dev and prod plans: namespaced access only, restricted namespaces with quotas
and default deny, and a contract that tells a team's stack where it deploys."""

from __future__ import annotations

from typing import Any

import pytest

from components.plan.runner import Recording

pytestmark = pytest.mark.stack

TEAMS = ("fraud", "recsys")


def of(plan: dict[str, Any], type_: str) -> list[dict[str, Any]]:
    return [r for r in plan["resources"] if r["type"] == type_]


def test_teams_get_namespaced_access_and_no_cluster_admin(stack_plan: tuple[Recording, dict[str, Any]]) -> None:
    _, plan = stack_plan
    associations = of(plan, "aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
    team_roles = {f"arn:aws:iam::111122223333:role/{t}-{plan['stack']}-deploy": t for t in TEAMS}
    scoped = {
        a["inputs"]["principalArn"]: a["inputs"] for a in associations if a["inputs"]["principalArn"] in team_roles
    }
    assert set(scoped) == set(team_roles)
    for role, inputs in scoped.items():
        assert inputs["policyArn"].endswith(":cluster-access-policy/AmazonEKSEditPolicy")
        assert inputs["accessScope"] == {"type": "namespace", "namespaces": [team_roles[role]]}
    # Cluster-wide grants stay the platform's own roles.
    wide = {a["inputs"]["principalArn"] for a in associations if a["inputs"]["accessScope"]["type"] == "cluster"}
    assert not wide & set(team_roles)
    assert all("role/ml-platform" in arn or "mlops-" in arn for arn in wide)


def test_team_namespaces_are_restricted_quotad_and_deny_by_default(
    stack_plan: tuple[Recording, dict[str, Any]],
) -> None:
    _, plan = stack_plan
    namespaces = {
        n["inputs"]["metadata"]["name"]: n["inputs"]["metadata"]["labels"]
        for n in of(plan, "kubernetes:core/v1:Namespace")
    }
    quotas = {
        q["inputs"]["metadata"]["namespace"]: q["inputs"]["spec"]["hard"]
        for q in of(plan, "kubernetes:core/v1:ResourceQuota")
    }
    denies = {
        p["inputs"]["metadata"]["namespace"]
        for p in of(plan, "kubernetes:networking.k8s.io/v1:NetworkPolicy")
        if p["inputs"]["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    }
    secrets = {
        s["inputs"]["metadata"]["namespace"]
        for s in of(plan, "kubernetes:core/v1:Secret")
        if s["inputs"]["metadata"]["name"] == "mlflow-reader"
    }
    for team in TEAMS:
        for mode in ("enforce", "audit", "warn"):
            assert namespaces[team][f"pod-security.kubernetes.io/{mode}"] == "restricted"
        assert {"requests.nvidia.com/gpu", "requests.cpu", "requests.memory"} <= set(quotas[team])
        assert team in denies
        assert team in secrets  # its registry account, created by the platform in its namespace


def test_the_contract_names_each_team_plainly(stack_plan: tuple[Recording, dict[str, Any]]) -> None:
    _, plan = stack_plan
    teams = plan["outputs"]["platform"]["teams"]
    assert sorted(teams) == list(TEAMS)
    for name, team in teams.items():
        assert team["namespaces"] == [name]
        assert team["serviceAccount"] == "team-data"
        assert team["bucketPrefixes"] == [{"bucket": "models", "prefix": f"teams/{name}/"}]
        assert team["dataRoleArn"].startswith("arn:aws:iam::")

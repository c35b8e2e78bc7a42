"""Team under mocks: what a team's namespaces, network, cluster access and data role are."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.team import Team, TeamArgs, validate_team
from tests.conftest import RunProgram, named

pytestmark = pytest.mark.component

BUCKET = "arn:aws:s3:::models-bucket-1234"
KEY = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
OIDC = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC"
ISSUER = "https://oidc.eks.us-east-1.amazonaws.com/id/ABC"


def team_args(**extra: Any) -> TeamArgs:
    args: TeamArgs = {
        "namespaces": ["fraud", "fraud-batch"],
        "cluster_name": "mlops-dev",
        "region": "us-east-1",
        "quota": {"gpus": 2, "cpu": "16", "memory": "64Gi"},
        "deployer_role_arns": ["arn:aws:iam::123456789012:role/fraud-deploy"],
        "registry": {"namespace": "mlflow", "pod_labels": {"app.kubernetes.io/name": "mlflow"}, "port": 5000},
        "bucket_prefixes": [{"bucket": "models", "bucket_arn": BUCKET, "key_arn": KEY, "prefix": "teams/fraud/"}],
        "oidc_provider_arn": OIDC,
        "oidc_issuer_url": ISSUER,
    }
    return {**args, **extra}  # type: ignore[typeddict-item]


def build(run: RunProgram, args: TeamArgs):
    return named(run(lambda: Team("fraud", args)))


def test_each_namespace_is_restricted_quotad_and_denies_by_default(run: RunProgram) -> None:
    r = build(run, team_args())
    for ns in ("fraud", "fraud-batch"):
        labels = r[f"fraud-namespace-{ns}"].inputs["metadata"]["labels"]
        assert {k: v for k, v in labels.items() if k.startswith("pod-security")} == {
            "pod-security.kubernetes.io/enforce": "restricted",
            "pod-security.kubernetes.io/audit": "restricted",
            "pod-security.kubernetes.io/warn": "restricted",
        }
        assert labels["mlops-platform/team"] == "fraud"
        quota = r[f"fraud-quota-{ns}"]
        assert quota.inputs["metadata"]["namespace"] == ns
        assert quota.inputs["spec"]["hard"] == {
            "requests.nvidia.com/gpu": "2",
            "requests.cpu": "16",
            "requests.memory": "64Gi",
            "limits.memory": "64Gi",
        }
        [limits] = r[f"fraud-limits-{ns}"].inputs["spec"]["limits"]
        assert limits["defaultRequest"] == {"cpu": "250m", "memory": "512Mi"}
        deny = r[f"fraud-deny-all-{ns}"].inputs["spec"]
        assert deny == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
        # Every object inside waits for its namespace.
        assert r[f"fraud-namespace-{ns}"].urn in quota.dependencies


def test_allows_are_only_what_serving_needs(run: RunProgram) -> None:
    r = build(run, team_args())
    policies = {n.removesuffix("-fraud"): res.inputs["spec"] for n, res in r.items() if n.endswith("-fraud")
                and res.type == "kubernetes:networking.k8s.io/v1:NetworkPolicy"}  # fmt: skip
    assert set(policies) == {
        "fraud-deny-all", "fraud-allow-dns", "fraud-allow-own", "fraud-allow-scrapes",
        "fraud-allow-registry", "fraud-allow-aws",
    }  # fmt: skip
    [dns] = policies["fraud-allow-dns"]["egress"]
    assert dns["to"] == [
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
            "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
        }
    ]
    assert policies["fraud-allow-own"]["ingress"] == [{"from": [{"podSelector": {}}]}]
    [scrape] = policies["fraud-allow-scrapes"]["ingress"]
    assert scrape["from"] == [
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}},
            "podSelector": {"matchLabels": {"app.kubernetes.io/name": "prometheus"}},
        }
    ]
    [registry] = policies["fraud-allow-registry"]["egress"]
    assert registry["ports"] == [{"port": 5000, "protocol": "TCP"}]
    [aws] = policies["fraud-allow-aws"]["egress"]
    assert aws == {
        "to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["169.254.0.0/16"]}}],
        "ports": [{"port": 443, "protocol": "TCP"}],
    }
    # No ingress from other namespaces but Prometheus: nothing else names a namespace to admit.
    admitted = [peer for spec in policies.values() for rule in spec.get("ingress", []) for peer in rule["from"]]
    assert [p for p in admitted if "namespaceSelector" in p] == scrape["from"]


def test_the_deployer_is_scoped_to_the_team_namespaces(run: RunProgram) -> None:
    r = build(run, team_args())
    entry = r["fraud-deployer-fraud-deploy"]
    assert entry.inputs["principalArn"] == "arn:aws:iam::123456789012:role/fraud-deploy"
    association = r["fraud-deployer-fraud-deploy-policy"]
    assert association.inputs["policyArn"] == "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy"
    assert association.inputs["accessScope"] == {"type": "namespace", "namespaces": ["fraud", "fraud-batch"]}
    # The entry waits for the namespaces it is scoped to.
    assert r["fraud-namespace-fraud"].urn in entry.dependencies
    admin = build(run, team_args(access_policy="admin", region="cn-north-1"))
    assert admin["fraud-deployer-fraud-deploy-policy"].inputs["policyArn"] == (
        "arn:aws-cn:eks::aws:cluster-access-policy/AmazonEKSAdminPolicy"
    )
    assert not any(res.inputs.get("accessScope", {}).get("type") == "cluster" for res in admin.values())


def test_the_data_role_reads_and_writes_the_team_prefixes_only(run: RunProgram) -> None:
    r = build(run, team_args())
    trust = json.loads(r["fraud-data-role"].inputs["assumeRolePolicy"])
    [statement] = trust["Statement"]
    assert statement["Condition"]["StringEquals"] == {
        "oidc.eks.us-east-1.amazonaws.com/id/ABC:sub": [
            "system:serviceaccount:fraud:team-data",
            "system:serviceaccount:fraud-batch:team-data",
        ],
        "oidc.eks.us-east-1.amazonaws.com/id/ABC:aud": "sts.amazonaws.com",
    }
    policy = json.loads(r["fraud-data-role-policy"].inputs["policy"])
    resources = sorted(str(s["Resource"]) for s in policy["Statement"])
    assert resources == sorted([BUCKET, f"{BUCKET}/teams/fraud/*", KEY])
    [listing] = [s for s in policy["Statement"] if s["Action"] == "s3:ListBucket"]
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["teams/fraud/", "teams/fraud/*"]}}
    account = r["fraud-service-account-fraud"].inputs["metadata"]
    assert account["name"] == "team-data"
    assert account["annotations"]["eks.amazonaws.com/role-arn"].startswith("arn:aws:iam::")
    none = build(run, team_args(bucket_prefixes=[]))
    assert "fraud-data-role" not in none
    assert "annotations" not in none["fraud-service-account-fraud"].inputs["metadata"]


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"namespaces": []}, "namespaces: at least one"),
        ({"namespaces": ["a", "a"]}, "each once"),
        ({"quota": {"gpus": -1, "cpu": "1", "memory": "1Gi"}}, "quota.gpus"),
        ({"access_policy": "cluster-admin"}, "access_policy: edit or admin"),
        (
            {"bucket_prefixes": [{"bucket": "m", "bucket_arn": BUCKET, "key_arn": KEY, "prefix": "no-slash"}]},
            "bucket_prefixes:",
        ),
    ],
)
def test_bad_arguments_are_refused(change: dict[str, Any], fragment: str) -> None:
    problems = validate_team("fraud", team_args(**change))
    assert any(fragment in p for p in problems), problems

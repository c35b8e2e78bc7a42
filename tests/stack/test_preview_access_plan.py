"""CI's read-only roles in the real dev and prod plans (issue 35, item 8): ``pulumi preview --refresh``
and drift read every Secret the stack manages and every Helm release's records (Secrets listed by
label in the release's namespace), which ``AmazonEKSViewPolicy`` excludes. The preview roles get
exactly those namespaces' Secrets, through a group of their access entry, and nothing cluster-wide.
"""

from __future__ import annotations

from typing import Any

import pytest

from components.cluster import VIEW_POLICY
from components.plan.runner import Recording
from components.preview_access import PREVIEW_GROUP, ROLE_NAME
from tests.conftest import platform_raw

pytestmark = pytest.mark.stack

RBAC = "rbac.authorization.k8s.io"


def of_type(plan: dict[str, Any], token: str) -> list[dict[str, Any]]:
    return [r for r in plan["resources"] if r["type"] == token]


def refreshed_secret_namespaces(plan: dict[str, Any]) -> set[str]:
    """Where a refresh reads Secrets: each managed Secret's namespace and each Helm v3 release's."""
    secrets = {r["inputs"]["metadata"]["namespace"] for r in of_type(plan, "kubernetes:core/v1:Secret")}
    releases = {r["inputs"]["namespace"] for r in of_type(plan, "kubernetes:helm.sh/v3:Release")}
    return secrets | releases


def test_preview_roles_read_the_secrets_of_exactly_the_namespaces_a_refresh_reads(
    stack_plan: tuple[Recording, dict[str, Any]],
) -> None:
    _, plan = stack_plan
    wanted = refreshed_secret_namespaces(plan)
    assert {"kube-system", "keda", "monitoring", "mlflow"} <= wanted
    roles = [
        r
        for r in of_type(plan, "kubernetes:rbac.authorization.k8s.io/v1:Role")
        if r["inputs"]["metadata"]["name"] == ROLE_NAME
    ]
    assert {r["inputs"]["metadata"]["namespace"] for r in roles} == wanted
    for role in roles:
        assert role["inputs"]["rules"] == [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list"]}]
    bindings = {
        r["inputs"]["metadata"]["namespace"]: r["inputs"]
        for r in of_type(plan, "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding")
        if r["inputs"]["metadata"]["name"] == ROLE_NAME
    }
    assert set(bindings) == wanted
    for binding in bindings.values():
        assert binding["roleRef"] == {"apiGroup": RBAC, "kind": "Role", "name": ROLE_NAME}
        assert binding["subjects"] == [{"apiGroup": RBAC, "kind": "Group", "name": PREVIEW_GROUP}]
    # Nothing cluster-wide names the group: no ClusterRoleBinding, so no Secret outside those namespaces.
    for token in ("ClusterRoleBinding", "ClusterRole"):
        for resource in of_type(plan, f"kubernetes:rbac.authorization.k8s.io/v1:{token}"):
            assert PREVIEW_GROUP not in str(resource["inputs"]), resource["urn"]


def test_each_preview_role_has_an_access_entry_in_the_group_with_the_view_policy(
    stack_plan: tuple[Recording, dict[str, Any]],
) -> None:
    _, plan = stack_plan
    stack = plan["stack"]
    preview_roles = platform_raw(stack)["cluster"]["previewRoleArns"]
    assert preview_roles == [f"arn:aws:iam::111122223333:role/mlops-{stack}-preview"]
    entries = {r["inputs"]["principalArn"]: r for r in of_type(plan, "aws:eks/accessEntry:AccessEntry")}
    associations = {
        r["inputs"]["principalArn"]: r["inputs"]
        for r in of_type(plan, "aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
    }
    for arn in preview_roles:
        assert entries[arn]["inputs"]["kubernetesGroups"] == [PREVIEW_GROUP]
        assert associations[arn]["policyArn"] == f"arn:aws:eks::aws:cluster-access-policy/{VIEW_POLICY}"
        assert associations[arn]["accessScope"] == {"type": "cluster"}
    # The people's read-only roles stay without Secrets: no group on their entries.
    for arn in platform_raw(stack)["cluster"]["viewRoleArns"]:
        assert "kubernetesGroups" not in entries[arn]["inputs"]

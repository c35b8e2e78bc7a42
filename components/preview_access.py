"""Cluster access of CI's read-only roles (the preview and drift roles): what ``pulumi preview
--refresh`` reads, and nothing it does not.

``AmazonEKSViewPolicy`` reads most objects but no Secrets, and a refresh reads Secrets twice over:
each ``kubernetes:core/v1:Secret`` the stack manages, and each Helm v3 release's records, which
Helm's default storage driver keeps as Secrets ``sh.helm.release.v1.<release>.v<revision>`` in the
release's namespace. pulumi-kubernetes' ``Release`` reads them through ``action.Get`` (Helm's
``Storage.Last`` -> ``History`` -> the Secrets driver's ``Query``), which *lists* Secrets by label
(``owner=helm,name=<release>``): RBAC's ``resourceNames`` cannot narrow a labelled list, so the
grant is get/list on the namespace's Secrets. Read at pulumi/pulumi-kubernetes
``provider/pkg/provider/helm_release.go`` (commit 01799d56, ``Read`` -> ``resourceReleaseLookup``)
and helm/helm ``pkg/storage/driver/secrets.go`` (``Query``), 2026-12-07.

So each role gets an access entry in the Kubernetes group :data:`PREVIEW_GROUP` with
``AmazonEKSViewPolicy`` cluster-wide, and in exactly the namespaces holding such Secrets a Role
(get/list on ``secrets``; no ``watch``, no other resource) bound to that group. No ClusterRole reads
Secrets (the pack's ``k8s-rbac-least-privilege`` refuses that).
"""

from collections.abc import Sequence

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.cluster import VIEW_POLICY, access_policy_arn
from components.naming import slug

PREVIEW_GROUP = "mlops-preview-readers"
"""Kubernetes group of the read-only CI roles (EKS refuses group names starting ``system:``,
``eks:``, ``aws:``, ``amazon:`` or ``iam:``)."""
SECRET_READER_RULES: list[dict[str, list[str]]] = [
    {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list"]}
]
"""What a refresh needs of a namespace's Secrets: ``get`` (a Secret the stack manages) and ``list``
(Helm's release records, queried by label)."""
ROLE_NAME = "mlops-preview-secret-reader"


def preview_access(
    name: str,
    *,
    cluster_name: pulumi.Input[str],
    role_arns: Sequence[str],
    secret_namespaces: Sequence[str],
    region: str,
    depends_on: Sequence[pulumi.Resource],
    opts: pulumi.ResourceOptions,
) -> list[pulumi.Resource]:
    """Access entries (``<name>-<role>`` + ``-policy``) for ``role_arns`` in :data:`PREVIEW_GROUP`
    with ``AmazonEKSViewPolicy``, and per namespace of ``secret_namespaces`` a Role and RoleBinding
    (``<name>-secrets-<namespace>``, ``-binding``) letting that group get and list its Secrets.

    ``opts`` must carry the ``aws`` and ``kubernetes`` providers; the Roles wait for
    ``depends_on`` (what creates their namespaces). Nothing is declared without ``role_arns``."""
    if not role_arns:
        return []
    declared: list[pulumi.Resource] = []
    policy_arn = access_policy_arn(VIEW_POLICY, region)
    for role_arn in role_arns:
        resource_name = f"{name}-{slug(role_arn.rsplit('/', 1)[-1])}"
        entry = aws.eks.AccessEntry(
            resource_name,
            cluster_name=cluster_name,
            principal_arn=role_arn,
            type="STANDARD",
            kubernetes_groups=[PREVIEW_GROUP],
            opts=opts,
        )
        association = aws.eks.AccessPolicyAssociation(
            f"{resource_name}-policy",
            cluster_name=cluster_name,
            principal_arn=entry.principal_arn,
            policy_arn=policy_arn,
            access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster"),
            opts=opts,
        )
        declared += [entry, association]
    in_cluster = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=list(depends_on)))
    rbac = "rbac.authorization.k8s.io"
    rules = [
        k8s.rbac.v1.PolicyRuleArgs(api_groups=r["apiGroups"], resources=r["resources"], verbs=r["verbs"])
        for r in SECRET_READER_RULES
    ]
    for namespace in sorted(set(secret_namespaces)):
        metadata = k8s.meta.v1.ObjectMetaArgs(name=ROLE_NAME, namespace=namespace)
        role = k8s.rbac.v1.Role(f"{name}-secrets-{namespace}", metadata=metadata, rules=rules, opts=in_cluster)
        binding = k8s.rbac.v1.RoleBinding(
            f"{name}-secrets-{namespace}-binding",
            metadata=metadata,
            role_ref=k8s.rbac.v1.RoleRefArgs(api_group=rbac, kind="Role", name=ROLE_NAME),
            subjects=[k8s.rbac.v1.SubjectArgs(api_group=rbac, kind="Group", name=PREVIEW_GROUP)],
            opts=pulumi.ResourceOptions.merge(in_cluster, pulumi.ResourceOptions(depends_on=[role])),
        )
        declared += [role, binding]
    return declared

"""Kubernetes RBAC as a class: roles that grant everything or the verbs that bypass RBAC itself,
secrets readable cluster-wide, and powerful roles bound to broad subjects or to workloads.

Follows the Kubernetes "Role Based Access Control Good Practices" page (v1.35 docs: least
privilege, no wildcards, ``escalate``/``bind``/``impersonate`` and secrets ``get``/``list``/``watch``
as escalation paths) and CIS Amazon EKS Benchmark (v1.7.0, unchanged in v1.8.0) section 4.1 (4.1.1 cluster-admin only
where required, 4.1.2 minimise access to secrets, 4.1.3 no wildcards, 4.1.8 no bind/impersonate/
escalate). Patches of roles and bindings (``ClusterRolePatch``...) are judged on what they set.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs

from components.policies.readiness import kind_and_group
from components.values import as_mapping, items

RBAC_GROUP = "rbac.authorization.k8s.io"
ESCALATING_VERBS = ("escalate", "bind", "impersonate")
"""Verbs that let a subject grant itself more, or act as someone else."""
SECRET_READS = ("get", "list", "watch")
POWERFUL_ROLES = ("cluster-admin", "admin", "edit")
"""Built-in ClusterRoles that write workloads (and so run as any service account) or everything."""
BROAD_GROUPS = ("system:authenticated", "system:unauthenticated", "system:serviceaccounts")
"""Groups every user, every anonymous request or every service account belongs to."""


def _strings(value: Any) -> list[str]:
    return [str(v) for v in items(value)]


def role_problems(kind: str, rules: list[Mapping[str, Any]]) -> list[str]:
    """What a Role or ClusterRole's ``rules`` grant beyond least privilege."""
    problems: list[str] = []
    for index, rule in enumerate(rules):
        where = f"rules[{index}]"
        verbs, resources = _strings(rule.get("verbs")), _strings(rule.get("resources"))
        for field, values in (
            ("verbs", verbs),
            ("resources", resources),
            ("apiGroups", _strings(rule.get("apiGroups"))),
        ):
            if "*" in values:
                problems.append(f"{where}.{field} is '*' (every {field.rstrip('s')}, present and future)")
        if escalating := [v for v in verbs if v in ESCALATING_VERBS]:
            problems.append(f"{where}.verbs grants {', '.join(escalating)}: a subject can grant itself any role")
        reads = [v for v in verbs if v in SECRET_READS or v == "*"]
        if kind == "ClusterRole" and reads and "secrets" in resources and not items(rule.get("resourceNames")):
            problems.append(f"{where} reads every secret cluster-wide ({', '.join(reads)} on secrets)")
    return problems


def broad_subjects(subjects: list[Mapping[str, Any]]) -> list[str]:
    """Subjects that are everyone, every service account, a namespace's default service account
    or any workload's service account."""
    found: list[str] = []
    for subject in subjects:
        kind, name = subject.get("kind"), str(subject.get("name", ""))
        if kind == "Group" and (name in BROAD_GROUPS or name.startswith("system:serviceaccounts:")):
            found.append(f"group {name}")
        elif kind == "User" and name == "system:anonymous":
            found.append("user system:anonymous")
        elif kind == "ServiceAccount":
            found.append(f"service account {subject.get('namespace', '?')}/{name}")
    return found


def binding_problems(props: Mapping[str, Any]) -> list[str]:
    """A binding of cluster-admin, admin or edit to broad subjects or workload service accounts;
    any binding at all of the anonymous user or the unauthenticated group."""
    role = as_mapping(props.get("roleRef"))
    subjects = [as_mapping(s) for s in items(props.get("subjects"))]
    name = str(role.get("name", ""))
    if role.get("kind") == "ClusterRole" and name in POWERFUL_ROLES:
        return [f"binds {name} to {subject}" for subject in broad_subjects(subjects)]
    anonymous = [s for s in broad_subjects(subjects) if s in ("group system:unauthenticated", "user system:anonymous")]
    return [f"binds {role.get('kind', 'a role')} {name} to {subject}" for subject in anonymous]


def validate_rbac_least_privilege(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Roles grant no wildcard and no escalate/bind/impersonate, ClusterRoles no secret reads;
    bindings give no powerful role to broad subjects or workloads."""
    if not args.resource_type.startswith(f"kubernetes:{RBAC_GROUP}/"):
        return
    kind_group = kind_and_group(args.resource_type, args.props)
    if kind_group is None or kind_group[1] != RBAC_GROUP:
        return
    kind = kind_group[0]
    if kind in ("Role", "ClusterRole"):
        problems = role_problems(kind, [as_mapping(r) for r in items(args.props.get("rules"))])
        fix = "list the apiGroups, resources and verbs it needs (resourceNames for secrets)"
    elif kind in ("RoleBinding", "ClusterRoleBinding"):
        problems = binding_problems(args.props)
        fix = "bind a role scoped to the job, to named users, groups or one service account"
    else:
        return
    for problem in problems:
        report_violation(f"{kind} {problem}: {fix}", None)

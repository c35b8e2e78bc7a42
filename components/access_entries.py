"""Rules for EKS access entries, shared by the Cluster component and the stack config."""

from collections.abc import Sequence


def access_principal_problems(
    admin_role_arns: Sequence[str], view_role_arns: Sequence[str], deploy_role_arn: str | None, creator_admin: bool
) -> list[tuple[str, str]]:
    """``(argument, message)`` for principals EKS would refuse a second access entry for.

    An IAM principal has at most one access entry per cluster: a role named twice (in one list or in
    two), or the deploy role next to ``creator_admin`` (EKS makes the creator's entry itself), fails
    the first ``pulumi up`` with 409 ResourceInUseException."""
    problems: list[tuple[str, str]] = []
    seen: dict[str, str] = {}
    named = [("admin_role_arns", arn) for arn in admin_role_arns] + [("view_role_arns", arn) for arn in view_role_arns]
    if deploy_role_arn:
        named.append(("deploy_role_arn", deploy_role_arn))
    for argument, arn in named:
        if arn in seen:
            problems.append(
                (argument, f"{arn} is already in {seen[arn]}: a role gets one access entry, so name it once")
            )
        else:
            seen[arn] = argument
    if creator_admin and deploy_role_arn:
        problems.append(
            (
                "deploy_role_arn",
                "not with creator_admin: EKS gives the creating role (the deploy role) an access entry itself, "
                "and a second one for it is refused; drop creator_admin or deploy_role_arn",
            )
        )
    return problems


def preview_role_problems(preview_role_arns: Sequence[str], other_role_arns: Sequence[str]) -> list[str]:
    """Why EKS would refuse the preview roles' access entries: a principal has one entry per
    cluster, so a preview role named twice, or also an admin, viewer or the deploy role, fails the
    first ``pulumi up`` with 409 ResourceInUseException."""
    problems: list[str] = []
    seen: set[str] = set()
    for arn in preview_role_arns:
        if arn in seen:
            problems.append(f"{arn} is named twice: a role gets one access entry")
        elif arn in other_role_arns:
            problems.append(
                f"{arn} is also an admin, viewer or the deploy role: a role gets one access entry, so name it once"
            )
        seen.add(arn)
    return problems

"""StateBackend: where Pulumi keeps the stacks' state and encrypts their secrets.

An S3 bucket (an :class:`ArtifactBucket`: versioned, SSE-KMS, no public access, TLS only,
protected) for ``pulumi login s3://...``, and per stack a KMS key with an alias for
``--secrets-provider awskms://alias/...``. Deployed once per account from ``bootstrap/`` with
a local backend (the state of the state bucket stays on the operator's machine or in git).
"""

import json
from collections.abc import Mapping, Sequence
from typing import Any, NotRequired, TypedDict, cast

import pulumi
import pulumi_aws as aws

from components.artifact_bucket import ArtifactBucket
from components.errors import argument_type_problems, refuse, well_typed
from components.kms import account_key
from components.naming import slug

SECRETS_ALIAS = "alias/mlops-pulumi-secrets-{stack}"
"""KMS alias of a stack's secrets key."""
BACKEND_VARIABLE = "PULUMI_BACKEND_URL"
"""The repository variable every workflow logs in with (unset: Pulumi Cloud)."""


class CiRoles(TypedDict):
    """A stack's CI roles (names of existing IAM roles, as GitHub's OIDC trust makes them)."""

    preview: NotRequired[str]
    """The read-only role of previews and drift (``AWS_<STACK>_PREVIEW_ROLE_ARN``)."""
    deploy: NotRequired[str]
    """The role that runs ``pulumi up`` (``AWS_<STACK>_DEPLOY_ROLE_ARN``)."""


class StateBackendArgs(TypedDict):
    """Arguments of :class:`StateBackend`."""

    stacks: Sequence[str]
    """Stacks that get a secrets key (e.g. ``["dev", "prod"]``)."""
    region: str
    """AWS region of the bucket and keys (the secrets provider URLs name it)."""
    noncurrent_version_days: NotRequired[int]
    """Days to keep earlier versions of the state files (default 365: a bad update can be undone)."""
    protect: NotRequired[bool]
    """Protect and retain the bucket and keys (default True)."""
    project: NotRequired[str]
    """The Pulumi project whose stacks the state holds (default ``mlops-platform``): the state
    policies name its paths."""
    ci_roles: NotRequired[Mapping[str, CiRoles]]
    """Per stack, the CI roles that get its state policies attached (``preview``: read,
    ``deploy``: write); without it the policies are only created and exported."""


def secrets_provider(stack: str, region: str) -> str:
    """The ``--secrets-provider`` URL of a stack's key."""
    return f"awskms://{SECRETS_ALIAS.format(stack=stack)}?region={region}"


def state_policy(
    *, bucket_arn: str, bucket_key_arn: str, secrets_key_arn: str, project: str, stack: str, write: bool
) -> dict[str, Any]:
    """What a CI role needs of one stack's state: its secrets key (``kms:Decrypt`` on exactly that
    key: the stack's ``encryptedkey`` is a data key the CLI decrypts once per run) and its files in
    the S3 backend (``.pulumi/meta.yaml``, ``.pulumi/stacks/<project>/<stack>.json*``; with ``write``
    also its history, backups and locks, read and written, and data keys of the bucket's key).

    The paths are the DIY backend's for project-scoped stacks (pulumi/pulumi v3.259.0, commit
    0ac56e8): stacks, history and backups sit under the project (``pkg/backend/diy/store.go:122-135``,
    ``StacksDir/<project>/<stack>``), but a lock sits under the stack's fully qualified name
    ``organization/<project>/<stack>`` (``pkg/backend/diy/lock.go:170-178`` joins ``.pulumi/locks`` with
    ``FullyQualifiedName()``, ``pkg/backend/diy/backend.go:190-195``) as ``<lock id>.json``.

    A preview takes no lock in the DIY backend (pulumi/pulumi ``pkg/backend/diy/backend.go``:
    ``Preview`` goes straight to ``apply`` with ``DryRun``; ``Update`` locks), so a reader writes nothing."""
    root = f"{bucket_arn}/.pulumi"
    checkpoint = f"{root}/stacks/{project}/{stack}.json*"
    objects = [checkpoint] + (
        [f"{root}/{kind}/{project}/{stack}/*" for kind in ("history", "backups")]
        + [f"{root}/locks/organization/{project}/{stack}/*"]
        if write
        else []
    )
    actions = ["s3:GetObject"] + (["s3:PutObject", "s3:DeleteObject"] if write else [])
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "StackSecrets", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": secrets_key_arn},
            # Names only: the CLI lists .pulumi/ to find stacks and locks.
            {"Sid": "ListState", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": bucket_arn},
            {"Sid": "BackendMeta", "Effect": "Allow", "Action": "s3:GetObject", "Resource": f"{root}/meta.yaml"},
            {"Sid": "StackState", "Effect": "Allow", "Action": actions, "Resource": objects},
            {
                "Sid": "StateBucketKey",
                "Effect": "Allow",
                "Action": ["kms:Decrypt"] + (["kms:GenerateDataKey"] if write else []),
                "Resource": bucket_key_arn,
            },
        ],
    }


def validate_state_backend(given: StateBackendArgs) -> list[str]:
    """Everything wrong with the arguments (empty when valid), all at once: the wrong-typed ones
    are named first, the checks below read the rest."""
    problems = argument_type_problems(given, StateBackendArgs)
    args = cast(StateBackendArgs, well_typed(given, StateBackendArgs))
    stacks = list(args["stacks"])
    problems += [f"stack name {s!r} must be lowercase letters, digits and hyphens" for s in stacks if slug(s) != s]
    if not stacks or len(set(stacks)) != len(stacks):
        problems.append("stacks must name each stack once (at least one)")
    for stack, roles in args.get("ci_roles", {}).items():
        if stack not in stacks:
            problems.append(f"ci_roles names {stack!r}, which is not in stacks")
        problems += [
            f"ci_roles.{stack}: unknown purpose {purpose!r} (preview, deploy)"
            for purpose in roles
            if purpose not in ("preview", "deploy")
        ]
    return problems


class StateBackend(pulumi.ComponentResource):
    """The state bucket and the stacks' secrets keys."""

    backend_url: pulumi.Output[str]
    """``s3://<bucket>``, for ``pulumi login``."""
    secrets_providers: dict[str, str]
    """Per stack, its ``--secrets-provider`` URL."""
    ci_policies: dict[str, dict[str, pulumi.Output[str]]]
    """Per stack, the ARNs of its IAM policies ``preview`` (read) and ``deploy`` (write)."""

    def __init__(self, name: str, args: StateBackendArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        refuse("StateBackend", name, validate_state_backend(args))
        super().__init__("mlops:index:StateBackend", name, None, opts)
        protect = args.get("protect", True)
        bucket = ArtifactBucket(
            f"{name}-state",
            {"noncurrent_version_days": args.get("noncurrent_version_days", 365), "protect": protect},
            pulumi.ResourceOptions(parent=self),
        )
        self.ci_policies = {}
        for stack in args["stacks"]:
            key = account_key(
                f"{name}-{stack}-secrets-key", f"Pulumi secrets of stack {stack}", parent=self, protect=protect
            )
            aws.kms.Alias(
                f"{name}-{stack}-secrets-alias",
                name=SECRETS_ALIAS.format(stack=stack),
                target_key_id=key.key_id,
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.ci_policies[stack] = self._ci_policies(
                name, stack, bucket, key, args.get("project", "mlops-platform"), args.get("ci_roles", {}).get(stack, {})
            )
        self.backend_url = pulumi.Output.concat("s3://", bucket.bucket_name)
        self.secrets_providers = {stack: secrets_provider(stack, args["region"]) for stack in args["stacks"]}
        self.register_outputs(
            {"backendUrl": self.backend_url, "secretsProviders": self.secrets_providers, "ciPolicies": self.ci_policies}
        )

    def _ci_policies(
        self, name: str, stack: str, bucket: ArtifactBucket, key: aws.kms.Key, project: str, roles: CiRoles
    ) -> dict[str, pulumi.Output[str]]:
        """The stack's read and write policies, attached to its CI roles when named."""
        arns: dict[str, pulumi.Output[str]] = {}
        for purpose, write in (("preview", False), ("deploy", True)):
            document = pulumi.Output.all(bucket.arn, bucket.kms_key_arn, key.arn).apply(
                lambda a, write=write: json.dumps(
                    state_policy(
                        bucket_arn=a[0],
                        bucket_key_arn=a[1],
                        secrets_key_arn=a[2],
                        project=project,
                        stack=stack,
                        write=write,
                    )
                )
            )
            policy = aws.iam.Policy(
                f"{name}-{stack}-{purpose}-policy",
                description=f"Pulumi state of {project}/{stack}: {'read and write' if write else 'read only'}",
                policy=document,
                opts=pulumi.ResourceOptions(parent=self),
            )
            arns[purpose] = policy.arn
            role = roles.get(purpose)
            if role:
                aws.iam.RolePolicyAttachment(
                    f"{name}-{stack}-{purpose}-attachment",
                    role=role,
                    policy_arn=policy.arn,
                    opts=pulumi.ResourceOptions(parent=self),
                )
        return arns

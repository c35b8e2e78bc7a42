"""StateBackend: where Pulumi keeps the stacks' state and encrypts their secrets.

An S3 bucket (an :class:`ArtifactBucket`: versioned, SSE-KMS, no public access, TLS only,
protected) for ``pulumi login s3://...``, and per stack a KMS key with an alias for
``--secrets-provider awskms://alias/...``. Deployed once per account from ``bootstrap/`` with
a local backend (the state of the state bucket stays on the operator's machine or in git).
"""

from collections.abc import Sequence
from typing import NotRequired, TypedDict, cast

import pulumi
import pulumi_aws as aws

from components.artifact_bucket import ArtifactBucket
from components.errors import argument_type_problems, well_typed
from components.kms import account_key
from components.naming import slug

SECRETS_ALIAS = "alias/mlops-pulumi-secrets-{stack}"
"""KMS alias of a stack's secrets key."""


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


def secrets_provider(stack: str, region: str) -> str:
    """The ``--secrets-provider`` URL of a stack's key."""
    return f"awskms://{SECRETS_ALIAS.format(stack=stack)}?region={region}"


def validate_state_backend(given: StateBackendArgs) -> list[str]:
    """Everything wrong with the arguments (empty when valid), all at once: the wrong-typed ones
    are named first, the checks below read the rest."""
    problems = argument_type_problems(given, StateBackendArgs)
    args = cast(StateBackendArgs, well_typed(given, StateBackendArgs))
    stacks = list(args["stacks"])
    problems += [f"stack name {s!r} must be lowercase letters, digits and hyphens" for s in stacks if slug(s) != s]
    if not stacks or len(set(stacks)) != len(stacks):
        problems.append("stacks must name each stack once (at least one)")
    return problems


class StateBackend(pulumi.ComponentResource):
    """The state bucket and the stacks' secrets keys."""

    backend_url: pulumi.Output[str]
    """``s3://<bucket>``, for ``pulumi login``."""
    secrets_providers: dict[str, str]
    """Per stack, its ``--secrets-provider`` URL."""

    def __init__(self, name: str, args: StateBackendArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        problems = validate_state_backend(args)
        if problems:
            raise ValueError(f"StateBackend {name}: " + "; ".join(problems))
        super().__init__("mlops:index:StateBackend", name, None, opts)
        protect = args.get("protect", True)
        bucket = ArtifactBucket(
            f"{name}-state",
            {"noncurrent_version_days": args.get("noncurrent_version_days", 365), "protect": protect},
            pulumi.ResourceOptions(parent=self),
        )
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
        self.backend_url = pulumi.Output.concat("s3://", bucket.bucket_name)
        self.secrets_providers = {stack: secrets_provider(stack, args["region"]) for stack in args["stacks"]}
        self.register_outputs({"backendUrl": self.backend_url, "secretsProviders": self.secrets_providers})

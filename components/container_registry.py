"""ContainerRegistry: ECR repositories for serving and training images, optional build + push.

Children: ``<name>-key`` (unless a key is passed in) and, per repository ``<repo>`` (``/``
becomes ``-``): ``<name>-<repo>-repository``, ``<name>-<repo>-lifecycle``,
``<name>-<repo>-pull-policy`` (when accounts may pull) and ``<name>-<repo>-image`` (when it
builds one).
"""

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import NotRequired, TypedDict, cast

import pulumi
import pulumi_aws as aws
import pulumi_docker as docker

from components.errors import argument_type_problems, well_typed
from components.kms import account_key
from components.naming import ecr_repository_name_problems

PULL_ACTIONS = [
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
]


class ImageBuild(TypedDict):
    """Build an image and push it to its repository (needs a Docker engine at ``pulumi up``)."""

    context: str
    """Build context directory, best relative to the program's directory (where Pulumi runs it,
    and the Docker provider resolves it): pulumi-docker diffs the path as a string, so an
    absolute path differs on every checkout and rebuilds the image on each teammate's ``up``."""
    dockerfile: NotRequired[str]
    """Dockerfile path relative to the context (default ``Dockerfile``)."""
    platform: NotRequired[str]
    """Target platform (default ``linux/amd64``, what GPU nodes run)."""
    version: NotRequired[str]
    """Explicit tag; default: a hash of the build context and build args. ``latest`` is refused."""
    args: NotRequired[Mapping[str, str]]
    """Docker build arguments (``ARG``), e.g. ``BASE_IMAGE`` from :mod:`components.pins`."""


class Repository(TypedDict):
    """One ECR repository."""

    name: str
    """Repository name (ECR naming rules), e.g. ``serving`` or ``team/serving``."""
    keep_tagged_images: NotRequired[int]
    """Tagged images to keep; older ones expire (default 30)."""
    untagged_expiry_days: NotRequired[int]
    """Days before untagged images expire (default 7)."""
    pull_account_ids: NotRequired[Sequence[str]]
    """Other AWS accounts (12-digit IDs) allowed to pull; never everyone."""
    build: NotRequired[ImageBuild]
    """Optional image build and push."""


class ContainerRegistryArgs(TypedDict):
    """Arguments of :class:`ContainerRegistry`."""

    repositories: Sequence[Repository]
    """The repositories to create."""
    kms_key_arn: NotRequired[pulumi.Input[str]]
    """Existing KMS key for image encryption; default: the component creates one."""
    protect: NotRequired[bool]
    """Protect and retain repositories and key (default True; pass False only for dev)."""


def lifecycle_policy(keep_tagged_images: int, untagged_expiry_days: int) -> str:
    """ECR lifecycle policy: expire untagged images after N days, keep the last N tagged ones."""
    if keep_tagged_images <= 0 or untagged_expiry_days <= 0:
        raise ValueError(
            f"keep_tagged_images and untagged_expiry_days must be > 0 "
            f"(got {keep_tagged_images}, {untagged_expiry_days})"
        )
    return json.dumps(
        {
            "rules": [
                {
                    "rulePriority": 1,
                    "description": f"Expire untagged images after {untagged_expiry_days} days",
                    "selection": {
                        "tagStatus": "untagged",
                        "countType": "sinceImagePushed",
                        "countUnit": "days",
                        "countNumber": untagged_expiry_days,
                    },
                    "action": {"type": "expire"},
                },
                {
                    "rulePriority": 2,
                    "description": f"Keep the last {keep_tagged_images} tagged images",
                    "selection": {
                        "tagStatus": "tagged",
                        "tagPatternList": ["*"],
                        "countType": "imageCountMoreThan",
                        "countNumber": keep_tagged_images,
                    },
                    "action": {"type": "expire"},
                },
            ]
        },
        indent=2,
    )


def pull_policy(account_ids: Sequence[str], partition: str = "aws") -> str:
    """Repository policy letting the named accounts pull images (no wildcard principals)."""
    for account in account_ids:
        if not (len(account) == 12 and account.isdigit()):
            raise ValueError(f"pull account {account!r}: must be a 12-digit AWS account ID, never '*'")
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "CrossAccountPull",
                    "Effect": "Allow",
                    "Principal": {"AWS": [f"arn:{partition}:iam::{a}:root" for a in sorted(account_ids)]},
                    "Action": PULL_ACTIONS,
                }
            ],
        },
        indent=2,
    )


def context_hash(context: Path) -> str:
    """A tag from the build context's content: 12 hex digits over every file path and body. A
    symlink counts by where it points, as the builder sends it: its target is never read."""
    if not context.is_dir():
        raise ValueError(f"build context {str(context)!r} is not a directory")
    digest = hashlib.sha256()
    for path in sorted(p for p in context.rglob("*") if p.is_symlink() or p.is_file()):
        digest.update(path.relative_to(context).as_posix().encode() + b"\0")
        digest.update(b"-> " + os.readlink(path).encode() if path.is_symlink() else path.read_bytes())
    return digest.hexdigest()[:12]


def image_tag(build: ImageBuild) -> str:
    """The tag an image is pushed with: the explicit version, or a hash of the context and the
    build args (a new base image is a new tag: tags are immutable)."""
    version = build.get("version")
    if version is None:
        args = build.get("args", {})
        if not args:
            return context_hash(Path(build["context"]))
        salt = json.dumps(dict(sorted(args.items())), sort_keys=True)
        return hashlib.sha256((context_hash(Path(build["context"])) + salt).encode()).hexdigest()[:12]
    if version == "latest":
        raise ValueError("image version 'latest' is refused: tags must identify one image")
    return version


def _validate(repositories: Sequence[Repository]) -> None:
    """Raise one ValueError naming every problem of every repository."""
    if problems := repository_problems(repositories):
        raise ValueError("; ".join(problems))


def repository_problems(repositories: Sequence[Repository]) -> list[str]:
    """Everything wrong with the repositories (empty when valid), all at once."""
    names = [r["name"] for r in repositories]
    problems: list[str] = []
    for given in repositories:
        name = given["name"]
        problems += [f"repository {name!r}: {p}" for p in ecr_repository_name_problems(name)]
        problems += [f"repository {name}: {p}" for p in argument_type_problems(given, Repository)]
        repo = cast(Repository, well_typed(given, Repository))
        for policy in (
            partial(lifecycle_policy, repo.get("keep_tagged_images", 30), repo.get("untagged_expiry_days", 7)),
            partial(pull_policy, repo.get("pull_account_ids", [])),
        ):
            try:
                policy()
            except ValueError as exc:  # the policy builders refuse what they cannot express
                problems.append(f"repository {name}: {exc}")
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        problems.append(f"repository names must be unique (repeated: {', '.join(duplicates)})")
    return problems


class ContainerRegistry(pulumi.ComponentResource):
    """ECR repositories: immutable tags, scan on push, KMS encryption, lifecycle policies."""

    repository_urls: dict[str, pulumi.Output[str]]
    """Repository name -> URL (``<account>.dkr.ecr.<region>.amazonaws.com/<name>``)."""
    image_refs: dict[str, pulumi.Output[str]]
    """Repository name -> digest-pinned reference (``<url>@sha256:...``) of the built image."""
    kms_key_arn: pulumi.Output[str]
    """ARN of the KMS key that encrypts the images."""

    def __init__(self, name: str, args: ContainerRegistryArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        _validate(args["repositories"])
        tags = {r["name"]: image_tag(r["build"]) for r in args["repositories"] if "build" in r}
        super().__init__("mlops:index:ContainerRegistry", name, None, opts)
        protect = args.get("protect", True)
        if "kms_key_arn" in args:
            self.kms_key_arn = pulumi.Output.from_input(args["kms_key_arn"])
        else:
            key = account_key(
                f"{name}-key",
                f"Image encryption for the {name} registry",
                parent=self,
                protect=protect,
            )
            self.kms_key_arn = key.arn

        self.repository_urls = {}
        self.image_refs = {}
        for repo in args["repositories"]:
            stem = repo["name"].replace("/", "-")
            repository = aws.ecr.Repository(
                f"{name}-{stem}-repository",
                name=repo["name"],
                image_tag_mutability="IMMUTABLE",
                image_scanning_configuration=aws.ecr.RepositoryImageScanningConfigurationArgs(scan_on_push=True),
                encryption_configurations=[
                    aws.ecr.RepositoryEncryptionConfigurationArgs(encryption_type="KMS", kms_key=self.kms_key_arn)
                ],
                opts=pulumi.ResourceOptions(parent=self, protect=protect, retain_on_delete=protect),
            )
            aws.ecr.LifecyclePolicy(
                f"{name}-{stem}-lifecycle",
                repository=repository.name,
                policy=lifecycle_policy(repo.get("keep_tagged_images", 30), repo.get("untagged_expiry_days", 7)),
                opts=pulumi.ResourceOptions(parent=self),
            )
            accounts = list(repo.get("pull_account_ids", []))
            if accounts:
                partition = aws.get_partition_output(opts=pulumi.InvokeOutputOptions(parent=self)).partition
                aws.ecr.RepositoryPolicy(
                    f"{name}-{stem}-pull-policy",
                    repository=repository.name,
                    policy=partition.apply(lambda p, a=accounts: pull_policy(a, p)),
                    opts=pulumi.ResourceOptions(parent=self),
                )
            self.repository_urls[repo["name"]] = repository.repository_url
            if "build" in repo:
                self.image_refs[repo["name"]] = self._build(
                    f"{name}-{stem}-image", repository, repo["build"], tags[repo["name"]]
                )

        self.register_outputs(
            {
                "repositoryUrls": self.repository_urls,
                "imageRefs": self.image_refs,
                "kmsKeyArn": self.kms_key_arn,
            }
        )

    def _build(
        self, resource_name: str, repository: aws.ecr.Repository, build: ImageBuild, tag: str
    ) -> pulumi.Output[str]:
        token = aws.ecr.get_authorization_token_output(
            registry_id=repository.registry_id, opts=pulumi.InvokeOutputOptions(parent=self)
        )
        image = docker.Image(
            resource_name,
            image_name=pulumi.Output.concat(repository.repository_url, ":", tag),
            build=docker.DockerBuildArgs(
                context=build["context"],
                dockerfile=str(Path(build["context"]) / build.get("dockerfile", "Dockerfile")),
                platform=build.get("platform", "linux/amd64"),
                args=dict(build.get("args", {})) or None,
            ),
            registry=docker.RegistryArgs(
                server=token.proxy_endpoint,
                username=token.user_name,
                password=pulumi.Output.secret(token.password),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        return image.repo_digest

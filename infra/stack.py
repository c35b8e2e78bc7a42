"""Compose the platform's components for one stack from its validated config."""

from __future__ import annotations

from pathlib import Path

import pulumi
import pulumi_aws as aws

from components.artifact_bucket import ArtifactBucket, ArtifactBucketArgs
from components.container_registry import ContainerRegistry, ImageBuild, Repository
from components.plan.runner import find_project
from infra.config import (
    CONFIG_KEY,
    BucketConfig,
    PlatformConfig,
    RegistryConfig,
    load_platform_config,
)


def read_config() -> tuple[PlatformConfig, str]:
    """The stack's validated platform config and AWS region; raises ConfigError when invalid.

    Runs before any resource is declared, so a bad config creates nothing.
    """
    source = f"Pulumi.{pulumi.get_stack()}.yaml"
    root = find_project(Path.cwd())[1]
    config = load_platform_config(pulumi.Config().get_object(CONFIG_KEY), source, root=root)
    region = pulumi.Config("aws").require("region")
    return config, region


def build(config: PlatformConfig, region: str) -> None:
    """Declare the stack's resources in dependency order and export its outputs."""
    aws_provider = aws.Provider(
        "aws",
        region=region,
        default_tags=aws.ProviderDefaultTagsArgs(tags=dict(config.tags)),
    )
    opts = pulumi.ResourceOptions(providers={"aws": aws_provider})
    protect = config.is_prod

    buckets = {b.name: ArtifactBucket(b.name, bucket_args(b, protect), opts) for b in config.buckets}
    registry = (
        ContainerRegistry(
            "registry", {"repositories": repositories(config.registries), "protect": protect}, opts
        )
        if config.registries
        else None
    )

    pulumi.export("environment", config.environment.value)
    pulumi.export("region", region)
    pulumi.export("buckets", {name: bucket.bucket_name for name, bucket in buckets.items()})
    if registry is not None:
        pulumi.export("repositoryUrls", registry.repository_urls)
        pulumi.export("imageRefs", registry.image_refs)


def bucket_args(bucket: BucketConfig, protect: bool) -> ArtifactBucketArgs:
    """ArtifactBucket arguments from a ``buckets[]`` entry."""
    args: ArtifactBucketArgs = {
        "noncurrent_version_days": bucket.noncurrent_version_days,
        "abort_multipart_days": bucket.abort_multipart_days,
        "protect": protect,
    }
    if bucket.bucket_name is not None:
        args["bucket_name"] = bucket.bucket_name
    if bucket.intelligent_tiering_days is not None:
        args["intelligent_tiering_days"] = bucket.intelligent_tiering_days
    if bucket.object_lock_days is not None:
        args["object_lock_days"] = bucket.object_lock_days
    if bucket.access_log_bucket is not None:
        args["access_log_bucket"] = bucket.access_log_bucket
    return args


def repositories(registries: list[RegistryConfig]) -> list[Repository]:
    """ContainerRegistry repositories from the ``registries`` section.

    Build contexts are relative to the project root (where ``Pulumi.yaml`` is), whatever
    directory the program runs in.
    """
    root = find_project(Path.cwd())[1]
    result: list[Repository] = []
    for registry in registries:
        repo: Repository = {
            "name": registry.name,
            "keep_tagged_images": registry.keep_tagged_images,
            "untagged_expiry_days": registry.untagged_expiry_days,
            "pull_account_ids": list(registry.pull_account_ids),
        }
        if registry.build is not None:
            build: ImageBuild = {
                "context": str(root / registry.build.context),
                "dockerfile": registry.build.dockerfile,
                "platform": registry.build.platform,
            }
            if registry.build.version is not None:
                build["version"] = registry.build.version
            repo["build"] = build
        result.append(repo)
    return result

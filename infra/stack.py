"""Compose the platform's components for one stack from its validated config."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from infra.config import CONFIG_KEY, PlatformConfig, load_platform_config


def read_config() -> tuple[PlatformConfig, str]:
    """The stack's validated platform config and AWS region; raises ConfigError when invalid.

    Runs before any resource is declared, so a bad config creates nothing.
    """
    source = f"Pulumi.{pulumi.get_stack()}.yaml"
    config = load_platform_config(pulumi.Config().get_object(CONFIG_KEY), source)
    region = pulumi.Config("aws").require("region")
    return config, region


def build(config: PlatformConfig, region: str) -> None:
    """Declare the stack's resources in dependency order and export its outputs."""
    aws_provider = aws.Provider(
        "aws",
        region=region,
        default_tags=aws.ProviderDefaultTagsArgs(tags=dict(config.tags)),
    )
    pulumi.export("environment", config.environment.value)
    pulumi.export("region", region)
    pulumi.export("awsProvider", aws_provider.urn)

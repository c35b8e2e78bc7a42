"""The state backend for the platform's stacks: ``pulumi login --local`` first, then
``pulumi up`` here; README "State and secrets" has the commands."""

import pulumi
import pulumi_aws as aws

from components import StateBackend

config = pulumi.Config()
region = pulumi.Config("aws").require("region")
tags = config.require_object("tags")
provider = aws.Provider("aws", region=region, default_tags=aws.ProviderDefaultTagsArgs(tags=tags))
backend = StateBackend(
    "pulumi",
    {"stacks": config.get_object("stacks") or ["dev", "prod"], "region": region},
    pulumi.ResourceOptions(providers={"aws": provider}),
)
pulumi.export("backendUrl", backend.backend_url)
pulumi.export("secretsProviders", backend.secrets_providers)

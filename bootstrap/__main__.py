"""The state backend for the platform's stacks: ``pulumi login --local`` first, then
``pulumi up`` here, then ``python bootstrap/publish.py`` writes its outputs where the workflows and
the CLI read them; README "State and secrets" has the commands."""

import pulumi
import pulumi_aws as aws

from components import StateBackend

config = pulumi.Config()
region = pulumi.Config("aws").require("region")
tags = config.require_object("tags")
provider = aws.Provider("aws", region=region, default_tags=aws.ProviderDefaultTagsArgs(tags=tags))
backend = StateBackend(
    "pulumi",
    {
        "stacks": config.get_object("stacks") or ["dev", "prod"],
        "region": region,
        "ci_roles": config.get_object("ciRoles") or {},
    },
    pulumi.ResourceOptions(providers={"aws": provider}),
)
pulumi.export("backendUrl", backend.backend_url)
pulumi.export("secretsProviders", backend.secrets_providers)
pulumi.export("ciPolicies", backend.ci_policies)

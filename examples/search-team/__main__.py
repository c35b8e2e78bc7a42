"""A second team's app stack on the same platform as examples/app-team: a Triton ranker in the
``search`` namespace the platform created for the team, its model in the team's own bucket.

The two teams share the cluster and the GPU pool and nothing else: each deploys with a role scoped
to its namespace, each namespace denies traffic from the other, and each endpoint's role reads its
own model prefix only. Plan it offline against a plan of the platform stack:

    mlops plan --stack dev --program examples/gpu-platform --out build/plan/gpu-platform
    mlops plan --stack dev --program examples/search-team --stack-outputs build/plan/gpu-platform/plan.json
"""

import pulumi
import pulumi_aws as aws

from components import ArtifactBucket, ModelServingEndpoint, PlatformStack

config = pulumi.Config()
stack = pulumi.get_stack()
team_name = config.require("team")
tags = {"team": team_name, "cost-center": "cc-0311", "environment": stack}
aws_provider = aws.Provider(
    "aws", region=pulumi.Config("aws").require("region"), default_tags=aws.ProviderDefaultTagsArgs(tags=tags)
)
platform = PlatformStack(config.require("platformStack"))
opts = pulumi.ResourceOptions(providers={"aws": aws_provider, "kubernetes": platform.provider})

team = platform.team(team_name)  # fails the update if the platform has no such team
models = ArtifactBucket("search-models", {"protect": stack == "prod"}, opts)
ranker = ModelServingEndpoint(
    "search-ranker",
    {
        **platform.for_workloads(),
        "runtime": "triton",
        "namespace": team_name,  # the team's namespace, created by the platform
        "pool": platform.placement(config.require("pool")),
        **models.model_source("models/search-ranker/"),
        "cpu": "2",
        "memory": "8Gi",
    },
    opts,
)

pulumi.export("namespaces", team.apply(lambda t: t["namespaces"]))
pulumi.export("modelsBucket", models.bucket_name)
pulumi.export("rankerRole", ranker.role_arn)
pulumi.export("rankerService", f"{ranker.service_name}.{team_name}.svc.cluster.local")

"""An app team's program on a platform stack someone else runs: its own model bucket and a
vLLM endpoint on the platform's GPU pool, scaled by KEDA on the platform's Prometheus, in the
namespace the platform created for the team (``Team``: Pod Security restricted, a quota, default
deny). The team deploys with a role whose access is scoped to that namespace: it creates no
namespace and nothing cluster-wide.

Everything about the platform comes from its contract (``PlatformStack``, a StackReference
underneath): the cluster's OIDC provider, the pool's placement, a Kubernetes provider. Plan it
offline against a plan of the platform stack:

    mlops plan --stack dev --program examples/gpu-platform --out build/plan/gpu-platform
    mlops plan --stack dev --program examples/app-team --stack-outputs build/plan/gpu-platform/plan.json
"""

import pulumi
import pulumi_aws as aws

from components import ArtifactBucket, ModelServingEndpoint, PlatformStack

config = pulumi.Config()
stack = pulumi.get_stack()
tags = {"team": config.require("team"), "cost-center": "cc-0107", "environment": stack}
aws_provider = aws.Provider(
    "aws", region=pulumi.Config("aws").require("region"), default_tags=aws.ProviderDefaultTagsArgs(tags=tags)
)
platform = PlatformStack(config.require("platformStack"))
opts = pulumi.ResourceOptions(providers={"aws": aws_provider, "kubernetes": platform.provider})

team_name = config.require("team")
team = platform.team(team_name)  # fails the update if the platform has no such team
models = ArtifactBucket("fraud-models", {"protect": stack == "prod"}, opts)
scorer = ModelServingEndpoint(
    "fraud-scorer",
    {
        **platform.for_workloads(),
        **models.model_source("models/fraud-scorer/"),
        "runtime": "vllm",
        "namespace": team_name,  # the team's namespace, created by the platform
        "pool": platform.placement(config.require("pool")),
        "max_replicas": 3,
        "autoscaling_metric": "vllm:num_requests_waiting",
    },
    opts,
)

pulumi.export("namespaces", team.apply(lambda t: t["namespaces"]))
pulumi.export("modelsBucket", models.bucket_name)
pulumi.export("scorerRole", scorer.role_arn)
pulumi.export("scorerService", f"{scorer.service_name}.{team_name}.svc.cluster.local")

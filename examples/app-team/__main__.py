"""An app team's program on a platform stack someone else runs: its own model bucket and a
vLLM endpoint on the platform's GPU pool, scaled by KEDA on the platform's Prometheus.

Everything about the platform comes from its contract (``PlatformStack``, a StackReference
underneath): the cluster's OIDC provider, the pool's placement, a Kubernetes provider. Plan it
offline against a plan of the platform stack:

    mlops plan --stack dev --program examples/gpu-platform --out build/plan/gpu-platform
    mlops plan --stack dev --program examples/app-team --stack-outputs build/plan/gpu-platform/plan.json
"""

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components import ArtifactBucket, ModelServingEndpoint, PlatformStack

config = pulumi.Config()
stack = pulumi.get_stack()
tags = {"team": config.require("team"), "cost-center": "cc-0107", "environment": stack}
aws_provider = aws.Provider(
    "aws", region=pulumi.Config("aws").require("region"), default_tags=aws.ProviderDefaultTagsArgs(tags=tags)
)
platform = PlatformStack(config.require("platformStack"))
opts = pulumi.ResourceOptions(providers={"aws": aws_provider, "kubernetes": platform.provider})

models = ArtifactBucket("fraud-models", {"protect": stack == "prod"}, opts)
namespace = k8s.core.v1.Namespace(
    "namespace-fraud",
    metadata={"name": "fraud", "labels": {"pod-security.kubernetes.io/enforce": "restricted"}},
    opts=opts,
)
scorer = ModelServingEndpoint(
    "fraud-scorer",
    {
        **platform.for_workloads(),
        **models.model_source("models/fraud-scorer/"),
        "runtime": "vllm",
        "namespace": "fraud",
        "pool": platform.placement(config.require("pool")),
        "max_replicas": 3,
        "autoscaling_metric": "vllm:num_requests_waiting",
    },
    pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[namespace])),
)

pulumi.export("modelsBucket", models.bucket_name)
pulumi.export("scorerRole", scorer.role_arn)
pulumi.export("scorerService", f"{scorer.service_name}.fraud.svc.cluster.local")

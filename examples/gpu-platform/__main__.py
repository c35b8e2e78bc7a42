"""A whole ML platform in one program: network, cluster (with Karpenter), a GPU pool on
Karpenter, a model bucket, a vLLM endpoint, monitoring and two teams (``fraud``, ``search``: their
app stacks are examples/app-team and examples/search-team). Each component takes what it builds on from the components
themselves (``cluster.for_node_pools()``, ``cluster.for_workloads()``,
``models.model_source(prefix)``, ``placement(pool)``), not fields copied out of them.

    mlops plan --stack dev --program examples/gpu-platform
"""

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components import (
    ArtifactBucket,
    Cluster,
    GpuNodePool,
    ModelServingEndpoint,
    MonitoringStack,
    Network,
    NvidiaDevicePlugin,
    Team,
    export_platform,
    placement,
    platform_contract,
)

stack = pulumi.get_stack()
region = pulumi.Config("aws").require("region")
tags = {"team": pulumi.Config().require("team"), "cost-center": "cc-0042", "environment": stack}
aws_provider = aws.Provider("aws", region=region, default_tags=aws.ProviderDefaultTagsArgs(tags=tags))
opts = pulumi.ResourceOptions(providers={"aws": aws_provider})
protect = stack == "prod"
name = f"vision-{stack}"

network = Network(
    "network",
    {"cidr": "10.40.0.0/16", "az_count": 2, "nat_gateways": "single", "cluster_name": name, "protect": protect},
    opts,
)
cluster = Cluster(
    "eks",
    {
        "cluster_name": name,
        "subnet_ids": network.private_subnet_ids,
        "region": region,
        # Access entries only: the role that deploys is granted access, nobody else implicitly.
        "deploy_role_arn": pulumi.Config().require("deployRoleArn"),
        "protect": protect,
        "karpenter": True,
    },
    opts,
)
in_cluster = pulumi.ResourceOptions(providers={"aws": aws_provider, "kubernetes": cluster.provider})
# Karpenter launches the cheapest of these for pending pods (a NodePool and EC2NodeClass, so the
# Kubernetes provider too); the AMI release is the one pinned in components/pins.py.
gpu = GpuNodePool(
    "gpu",
    {
        **cluster.for_node_pools(),
        "provisioner": "karpenter",
        "subnet_ids": network.private_subnet_ids,
        "instance_types": ["g6.xlarge", "g5.xlarge"],
        "max_size": 2,
        "tags": tags,
    },
    in_cluster,
)
models = ArtifactBucket("models", {"protect": protect}, opts)

NvidiaDevicePlugin("nvidia-device-plugin", {}, in_cluster)
serving = k8s.core.v1.Namespace(
    "namespace-serving",
    metadata={"name": "serving", "labels": {"pod-security.kubernetes.io/enforce": "restricted"}},
    opts=in_cluster,
)
chat = ModelServingEndpoint(
    "chat",
    {
        **cluster.for_workloads(),
        **models.model_source("models/chat/"),
        "runtime": "vllm",
        "pool": placement(gpu),
        "region": region,
    },
    pulumi.ResourceOptions.merge(in_cluster, pulumi.ResourceOptions(depends_on=[serving])),
)
monitoring = MonitoringStack(
    "monitoring",
    {
        **cluster.for_workloads(),
        "cluster_name": name,
        "region": region,
        "endpoints": [{"name": "chat", "namespace": "serving", "runtime": "vllm"}],
        "pools": [{"name": "gpu", "max_size": 2}],
        "persistent_storage": False,
        "protect": protect,
    },
    in_cluster,
)

# Each team deploys into its namespaces with a role scoped to them, never as cluster admin; its
# data role reads and writes teams/<team>/ of the models bucket.
teams = {
    team: Team(
        team,
        {
            "namespaces": [team],
            "cluster_name": cluster.cluster_name,
            "region": region,
            "quota": {"gpus": 2, "cpu": "16", "memory": "64Gi"},
            "deployer_role_arns": [role_arn],
            "monitoring_namespace": monitoring.namespace,
            "oidc_provider_arn": cluster.oidc_provider_arn,
            "oidc_issuer_url": cluster.oidc_issuer_url,
            "bucket_prefixes": [
                {
                    "bucket": "models",
                    "bucket_arn": models.arn,
                    "key_arn": models.kms_key_arn,
                    "prefix": f"teams/{team}/",
                }
            ],
        },
        in_cluster,
    )
    for team, role_arn in pulumi.Config().require_object("teamDeployRoleArns").items()
}

# The contract app teams' programs read (examples/app-team, examples/search-team) and the
# kubeconfig, both plain.
contract = platform_contract(
    cluster, region=region, pools={"gpu": gpu}, buckets={"models": models}, monitoring=monitoring, teams=teams
)
export_platform(contract, cluster.kubeconfig)
pulumi.export("clusterName", cluster.cluster_name)
pulumi.export("modelsBucket", models.bucket_name)
pulumi.export("chatRole", chat.role_arn)

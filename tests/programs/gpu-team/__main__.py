"""A team's program on an existing cluster: a GPU pool and a vLLM endpoint, composed by hand.

With ``mistakes: true`` it makes the deploy-readiness mistakes a first ``pulumi up`` trips
over: no device plugin for the AL2023 pool, custom objects without their CRDs, a Deployment
with a short await, no metrics API for its HPA.
"""

import json

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components import GpuNodePool, ModelServingEndpoint, NvidiaDevicePlugin
from components.helm import pinned_release
from components.model_serving_endpoint import placement

mistakes = pulumi.Config().require_bool("mistakes")
tags = {"team": "vision", "cost-center": "cc-7", "environment": "dev"}
aws_provider = aws.Provider("aws", region="us-east-1", default_tags=aws.ProviderDefaultTagsArgs(tags=tags))
k8s_provider = k8s.Provider("k8s", kubeconfig="{}")
opts = pulumi.ResourceOptions(providers={"aws": aws_provider, "kubernetes": k8s_provider})

pool = GpuNodePool(
    "gpu",
    {
        "cluster_name": "shared",
        "node_security_group_id": "sg-0123456789abcdef0",
        "subnet_ids": ["subnet-0aaaaaaaaaaaaaaaa"],
        "instance_types": ["g6.xlarge"],
        "max_size": 2,
    },
    opts,
)
crds = [
    pinned_release(name, name, namespace="kube-system", values={}, opts=opts)
    for name in ("prometheus-operator-crds", "keda")
]
if not mistakes:
    NvidiaDevicePlugin("nvidia-device-plugin", {}, opts)
    aws.eks.Addon("metrics-server", cluster_name="shared", addon_name="metrics-server", opts=opts)
ModelServingEndpoint(
    "detector",
    {
        "runtime": "vllm",
        "crds": [] if mistakes else crds,
        "pool": placement(pool),
        "bucket_name": "vision-models",
        "model_prefix": "models/detector/",
        "model_policy": json.dumps({"Version": "2012-10-17", "Statement": []}),
        "oidc_provider_arn": "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/X",
        "oidc_issuer_url": "https://oidc.eks.us-east-1.amazonaws.com/id/X",
        "replicas": 1,
        "max_replicas": 2,
        # Two one-GPU pods on at most two nodes: a surge pod would have nowhere to run.
        "rollout": "replace",
        "startup_seconds": 900,
    },
    opts,
)
if mistakes:
    k8s.apps.v1.Deployment(
        "batch-scorer",
        metadata={"name": "batch-scorer", "namespace": "serving"},
        spec={
            "selector": {"matchLabels": {"app": "batch-scorer"}},
            "template": {
                "metadata": {"labels": {"app": "batch-scorer"}},
                "spec": {
                    "automountServiceAccountToken": False,
                    "nodeSelector": {"mlops-platform/pool": "gpu"},
                    "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
                    "containers": [
                        {
                            "name": "scorer",
                            "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/scorer@sha256:" + "c" * 64,
                            "securityContext": {
                                "runAsNonRoot": True,
                                "allowPrivilegeEscalation": False,
                                "readOnlyRootFilesystem": True,
                                "capabilities": {"drop": ["ALL"]},
                                "seccompProfile": {"type": "RuntimeDefault"},
                            },
                            "resources": {
                                "requests": {"cpu": "2", "memory": "8Gi", "nvidia.com/gpu": "1"},
                                "limits": {"cpu": "2", "memory": "8Gi", "nvidia.com/gpu": "1"},
                            },
                        }
                    ],
                },
            },
        },
        opts=opts,
    )

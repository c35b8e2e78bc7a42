"""Typical durations of what a first ``pulumi up`` creates and waits for, in seconds.

One table feeds both the await timeouts the components set (a GPU Deployment must not time
out while its node scales up from zero) and the deploy estimate of ``mlops plan``
(``plan.json`` ``deploy``). They are assumptions, not promises: each entry says where its
figure comes from, and a slow region, an empty spot market or a large model takes longer.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Timing:
    """A typical duration and where it comes from."""

    seconds: float
    source: str


BY_TYPE: dict[str, Timing] = {
    "aws:eks/cluster:Cluster": Timing(600, "EKS control plane creation: 8-12 min (EKS user guide, create-cluster)"),
    "aws:eks/nodeGroup:NodeGroup": Timing(240, "managed node group to ACTIVE with min nodes: 3-5 min (observed)"),
    "aws:eks/addon:Addon": Timing(90, "managed add-on to ACTIVE: 1-2 min (CoreDNS waits for nodes)"),
    "aws:ec2/natGateway:NatGateway": Timing(120, "NAT gateway to available: 1-2 min (VPC user guide)"),
    "aws:ec2/vpcEndpoint:VpcEndpoint": Timing(90, "interface endpoint to available: about 1-2 min"),
    "aws:kms/key:Key": Timing(5, "KMS CreateKey: seconds"),
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": Timing(5, "IAM: seconds"),
    "aws:ecr/repository:Repository": Timing(5, "ECR: seconds"),
    "docker:index/image:Image": Timing(600, "build and push of a GPU serving image (5-15 GB): about 10 min"),
    "kubernetes:helm.sh/v3:Release": Timing(120, "Helm install with atomic wait: 1-3 min per chart (observed)"),
    "kubernetes:apps/v1:DaemonSet": Timing(60, "DaemonSet rollout on existing nodes: about 1 min"),
    "aws:rds/instance:Instance": Timing(900, "RDS PostgreSQL instance to available: 10-20 min, Multi-AZ longer"),
}
"""Per resource type; anything not listed counts :data:`DEFAULT` (Helm releases: :data:`HELM_RELEASES`)."""


@dataclass(frozen=True)
class HelmTiming:
    """A chart's typical install, and how long its atomic install may take before Helm rolls it back."""

    seconds: float
    timeout: int
    source: str


HELM_RELEASES: dict[str, HelmTiming] = {
    "prometheus-operator-crds": HelmTiming(30, 300, "CRDs only: seconds"),
    "cluster-autoscaler": HelmTiming(60, 300, "one small Deployment on the system nodes: about 1 min"),
    "keda": HelmTiming(
        120, 600, "operator, metrics API server and admission webhooks; the APIService turns Available last: 1-3 min"
    ),
    "kube-prometheus-stack": HelmTiming(
        420,
        1200,
        "operator, then Prometheus, Alertmanager and Grafana StatefulSets/Deployments; with persistent storage "
        "each waits for an EBS volume (WaitForFirstConsumer) and the StatefulSets start one after another: "
        "5-10 min on a first install (observed), far beyond Helm's 300 s default",
    ),
    "aws-load-balancer-controller": HelmTiming(
        60, 300, "two small controller pods on the system nodes and their webhooks: about 1 min"
    ),
    "dcgm-exporter": HelmTiming(
        60, 600, "a DaemonSet on GPU nodes: nothing to wait for at zero GPU nodes; an image pull per node otherwise"
    ),
}
"""Per chart; the release's ``timeout`` (``pinned_release``) and the deploy estimate read it.
Anything not listed counts :data:`HELM_DEFAULT`."""

HELM_DEFAULT = HelmTiming(
    BY_TYPE["kubernetes:helm.sh/v3:Release"].seconds, 600, "a chart with a few Deployments: 1-3 min"
)


def helm_release(chart: str) -> HelmTiming:
    """The typical install and the timeout of a chart's release."""
    return HELM_RELEASES.get(chart, HELM_DEFAULT)


DEFAULT = Timing(10, "most AWS and Kubernetes API objects: seconds")

GPU_NODE_FROM_ZERO = Timing(
    360,
    "cluster-autoscaler scale-up of a GPU group from zero: scan every 10 s, scale-up simulation, the Auto Scaling "
    "group's desired-capacity round trip, then EC2 launch, join and NVIDIA driver start: 4-8 min (3-5 min with "
    "standard AMIs: zop.dev 'Cluster Autoscaler vs Karpenter in production', 2026-04; rajatarya.github.io "
    "kubernetes-first-principles ch. 32: 3-4 min)",
)
KARPENTER_GPU_NODE_FROM_ZERO = Timing(
    240,
    "Karpenter launch of a GPU node for a pending pod: batched for 1-10 s (chart settings batchIdleDuration, "
    "batchMaxDuration), EC2 CreateFleet called directly (no autoscaler scan, no Auto Scaling group), then the same "
    "boot, join and NVIDIA driver start: 3-5 min (standard AMIs reach Ready in under a minute: zop.dev, 2026-04)",
)
NODE_FROM_ZERO = {"managed": GPU_NODE_FROM_ZERO, "karpenter": KARPENTER_GPU_NODE_FROM_ZERO}
"""A GPU node from zero by the pool's provisioner (``GpuNodePool.provisioner``)."""
IMAGE_PULL = Timing(420, "pull of a 10 GB serving image at about 25 MB/s per node: about 7 min")
MODEL_COPY = Timing(420, "copy of a 10-20 GB model from S3 through the VPC endpoint: about 5-7 min")

MODEL_LOAD = Timing(300, "a multi-GB model loaded into GPU memory and warmed up: 2-8 min (vLLM, Triton)")
WORKLOAD_READY = Timing(60, "a CPU Deployment's rollout to ready on existing nodes: about 1 min")

REGISTRY_AWAIT_SECONDS = 900
"""The model registry's rollout: a 1-2 GB image pulled, the secret read, migrations run on a
new database (its startup probe allows 5 minutes of them)."""

DEPLOYMENT_DEFAULT_AWAIT = 600
"""pulumi-kubernetes waits this long for a Deployment unless ``pulumi.com/timeoutSeconds`` says
otherwise (``pulumi.com/skipAwait: "true"`` skips the wait)."""


def gpu_scheduling_allowance(copies_model: bool, provisioner: str = "managed") -> int:
    """Seconds before a GPU pod's startup probe starts: node from zero, image pull, model copy.
    Awaits use the managed figure (the slower): an endpoint's timeout holds on either kind of pool."""
    extra = MODEL_COPY.seconds if copies_model else 0.0
    return int(NODE_FROM_ZERO[provisioner].seconds + IMAGE_PULL.seconds + extra)

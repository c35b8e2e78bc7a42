"""Every version the platform pins, in one place: Helm charts, container images, GitHub
Actions and the EKS Kubernetes versions with their support dates.

Each pin names where it was read and when. ``tests/unit/test_pins.py`` fails when a pinned
version string appears anywhere else in the repository (the workflows, which GitHub reads
as they are, must match :data:`ACTIONS` exactly), so a bump is a one-line change here.

Checked on 2026-12-01 against the upstream repositories' git tags (snapshots of 2026-08;
nothing newer was reachable from our machines) unless a pin says otherwise.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass
from typing import Literal, get_args

CHECKED = "2026-12-01"


@dataclass(frozen=True)
class Chart:
    """A Helm chart release."""

    name: str
    version: str
    repository: str
    """Helm repository URL."""
    source: str
    """Where the version was read (repository and tag)."""
    released: str
    """Date of the tagged commit."""
    checked: str = CHECKED


@dataclass(frozen=True)
class Image:
    """A container image by repository and tag."""

    repository: str
    tag: str
    source: str
    released: str
    checked: str = CHECKED

    @property
    def ref(self) -> str:
        """``repository:tag``."""
        return f"{self.repository}:{self.tag}"


@dataclass(frozen=True)
class Action:
    """A GitHub Action pinned by commit, with the release tag it is."""

    repository: str
    tag: str
    commit: str
    runtime: str
    """``runs.using`` of the tagged ``action.yml`` (node20 was removed from runners in 2026-09)."""
    released: str
    checked: str = CHECKED

    @property
    def uses(self) -> str:
        """The ``uses:`` value, as the workflows must spell it."""
        return f"{self.repository}@{self.commit}"


@dataclass(frozen=True)
class KubernetesVersion:
    """An EKS Kubernetes minor version and its support window."""

    version: str
    released: datetime.date
    standard_support_end: datetime.date
    extended_support_end: datetime.date


PROMETHEUS_CHARTS = "https://prometheus-community.github.io/helm-charts"
KARPENTER_CHARTS = "oci://public.ecr.aws/karpenter"
"""Karpenter publishes its charts to an OCI registry only (no ``index.yaml`` repository)."""
KARPENTER_CHECKED = "2026-12-04"
ARGO_CHECKED = "2026-12-07"
ARGO_ROLLOUTS_SOURCE = (
    "github.com/argoproj/argo-rollouts tag v1.9.1 (commit b6bd3bcf, 2026-07-06; the newest release in the snapshot "
    "fetched 2026-12-07, v1.10.0-rc1 being a pre-release)"
)
LOAD_BALANCER_CONTROLLER_CHECKED = "2026-12-08"
LOAD_BALANCER_CONTROLLER_SOURCE = (
    "github.com/kubernetes-sigs/aws-load-balancer-controller tag v3.5.0 (commit 59826139, 2026-08-03; the newest "
    "release in the snapshot fetched 2026-12-08, HEAD 225f4456 of 2026-08-17)"
)
KARPENTER_SOURCE = (
    "github.com/aws/karpenter-provider-aws tag v1.14.1 (commit bde00654, 2026-08-20; the newest release in the "
    "snapshot of 2026-08-21, read 2026-12-04)"
)

CHARTS: dict[str, Chart] = {
    chart.name: chart
    for chart in (
        Chart(
            "kube-prometheus-stack",
            "88.5.3",
            PROMETHEUS_CHARTS,
            "github.com/prometheus-community/helm-charts tag kube-prometheus-stack-88.5.3 (operator v0.93.1)",
            "2026-08-21",
        ),
        Chart(
            "prometheus-operator-crds",
            "31.0.1",
            PROMETHEUS_CHARTS,
            "github.com/prometheus-community/helm-charts tag prometheus-operator-crds-31.0.1 (operator v0.93.1, "
            "the same as kube-prometheus-stack's)",
            "2026-08-10",
        ),
        Chart(
            "dcgm-exporter",
            "4.8.2",
            "https://nvidia.github.io/dcgm-exporter/helm-charts",
            "github.com/NVIDIA/dcgm-exporter tag 4.5.3-4.8.2, deployment/Chart.yaml",
            "2026-05-06",
        ),
        Chart(
            "cluster-autoscaler",
            "9.59.0",
            "https://kubernetes.github.io/autoscaler",
            "github.com/kubernetes/autoscaler tag cluster-autoscaler-chart-9.59.0",
            "2026-07-21",
        ),
        Chart(
            "keda",
            "2.20.2",
            "https://kedacore.github.io/charts",
            "github.com/kedacore/charts tag v2.20.2, keda/Chart.yaml",
            "2026-07-31",
        ),
        Chart(
            "argo-rollouts",
            "2.41.0",
            "https://argoproj.github.io/argo-helm",
            "github.com/argoproj/argo-helm tag argo-rollouts-2.41.0 (commit 8796aeaa, 2026-06-05; the chart is "
            "unchanged at HEAD af0a9310 of the snapshot fetched 2026-12-07; appVersion v1.9.0, so the controller "
            "image is pinned to v1.9.1 in values)",
            "2026-06-05",
            ARGO_CHECKED,
        ),
        Chart(
            "karpenter-crd",
            "1.14.1",
            KARPENTER_CHARTS,
            f"{KARPENTER_SOURCE}, charts/karpenter-crd",
            "2026-08-20",
            KARPENTER_CHECKED,
        ),
        Chart(
            "karpenter",
            "1.14.1",
            KARPENTER_CHARTS,
            f"{KARPENTER_SOURCE}, charts/karpenter (installed with skip_crds: karpenter-crd owns the CRDs)",
            "2026-08-20",
            KARPENTER_CHECKED,
        ),
        Chart(
            "aws-load-balancer-controller",
            "3.5.0",
            "https://aws.github.io/eks-charts",
            "github.com/aws/eks-charts tag v0.0.242 (commit 52396092, 2026-08-03, the newest in the snapshot fetched "
            "2026-12-08), stable/aws-load-balancer-controller: appVersion v3.5.0, identical to helm/ at "
            f"{LOAD_BALANCER_CONTROLLER_SOURCE}",
            "2026-08-03",
            LOAD_BALANCER_CONTROLLER_CHECKED,
        ),
    )
}
"""Helm charts by name."""

POSTGRES_MAJOR = "17"
"""RDS for PostgreSQL major version of the model registry's database: RDS picks its newest minor
and upgrades minors in the maintenance window. Not read online (no AWS API here): confirm with
``aws rds describe-db-engine-versions --engine postgres --default-only``."""

CRD_GROUPS: dict[str, tuple[str, ...]] = {
    "prometheus-operator-crds": ("monitoring.coreos.com",),
    "kube-prometheus-stack": ("monitoring.coreos.com",),
    "keda": ("keda.sh", "eventing.keda.sh"),
    "argo-rollouts": ("argoproj.io",),
    "karpenter-crd": ("karpenter.sh", "karpenter.k8s.aws", "autoscaling.x-k8s.io"),
    "aws-load-balancer-controller": ("elbv2.k8s.aws", "aga.k8s.aws", "gateway.k8s.aws"),
}
"""API groups whose CustomResourceDefinitions each chart installs (kube-prometheus-stack only
with ``crds.enabled``; the platform installs them with ``prometheus-operator-crds`` instead)."""

MLFLOW_VERSION = "3.17.2"
"""MLflow release of the registry's image and of the live test's server (``make test`` installs
this wheel in ``.venv-mlflow``). The newest release whose wheel installs from PyPI: 3.18.0 is
listed, but its ``mlflow-tracing==3.18.0`` dependency is not published (``pip download`` on
2026-12-04). Metric names and password rules the registry relies on were read from this wheel."""

IMAGES: dict[str, Image] = {
    "nvidia-device-plugin": Image(
        "nvcr.io/nvidia/k8s-device-plugin",
        "v0.20.0",
        "github.com/NVIDIA/k8s-device-plugin tag v0.20.0",
        "2026-08-19",
    ),
    "argo-rollouts": Image(
        "quay.io/argoproj/argo-rollouts",
        "v1.9.1",
        ARGO_ROLLOUTS_SOURCE,
        "2026-07-06",
        ARGO_CHECKED,
    ),
    "aws-load-balancer-controller": Image(
        "public.ecr.aws/eks/aws-load-balancer-controller",
        "v3.5.0",
        f"{LOAD_BALANCER_CONTROLLER_SOURCE}; the chart's values.yaml image at that release",
        "2026-08-03",
        LOAD_BALANCER_CONTROLLER_CHECKED,
    ),
    "aws-cli": Image(
        "public.ecr.aws/aws-cli/aws-cli",
        "2.36.7",
        "github.com/aws/aws-cli tag 2.36.7",
        "2026-07-23",
    ),
    "tritonserver": Image(
        "nvcr.io/nvidia/tritonserver",
        "26.07-py3",
        "github.com/triton-inference-server/server tag v2.71.0 (build.py: triton_container_version 26.07)",
        "2026-07-24",
    ),
    "vllm-openai": Image(
        "vllm/vllm-openai",
        "v0.33.0",
        "PyPI vllm 0.33.0 (newest release; the image is tagged v<release>); flags and metric names read "
        "from that wheel",
        "2026-11",
    ),
    "mlflow": Image(
        "ghcr.io/mlflow/mlflow",
        f"v{MLFLOW_VERSION}-full",
        f"PyPI mlflow {MLFLOW_VERSION} (see MLFLOW_VERSION); the -full variant (PostgreSQL drivers, boto3, "
        "auth) per github.com/mlflow/mlflow docker/README.md, tagged v<release> by .github/workflows/push-images.yml",
        "2026-11",
    ),
}
"""Container images by pin name (``registries[].build.baseImage`` names one of them)."""

KARPENTER_AMI_VERSIONS: dict[str, str] = {"al2023": "v20260724"}
"""EKS-optimized AMI release a Karpenter ``EC2NodeClass`` alias pins per family (``al2023@v20260724``
picks the NVIDIA or Neuron variant from the instance type): github.com/awslabs/amazon-eks-ami newest tag
v20260724 (2026-07-23, read 2026-12-04). Bottlerocket has no pin here (its repository could not be read
past 2024): a Bottlerocket Karpenter pool names its release itself, or ``latest`` outside prod."""

AUTOSCALER_IMAGE = "registry.k8s.io/autoscaling/cluster-autoscaler"
AUTOSCALER_TAGS: dict[str, str] = {
    "1.32": "v1.32.7",
    "1.33": "v1.33.6",
    "1.34": "v1.34.5",
    "1.35": "v1.35.2",
}
"""cluster-autoscaler image per Kubernetes minor (its minor must match the cluster's): the newest
patch of each from github.com/kubernetes/autoscaler tags ``cluster-autoscaler-1.3x.y`` (2026-07-22)."""

ACTIONS: dict[str, Action] = {
    action.repository: action
    for action in (
        Action("actions/checkout", "v7.0.1", "3d3c42e5aac5ba805825da76410c181273ba90b1", "node24", "2026-07-17"),
        Action("actions/setup-python", "v7.0.0", "5fda3b95a4ea91299a34e894583c3862153e4b97", "node24", "2026-07-19"),
        Action("astral-sh/setup-uv", "v10.0.1", "20cfd1bf945f4377ade1205e4dbc17946fc9a30d", "node24", "2026-08-14"),
        Action(
            "aws-actions/configure-aws-credentials",
            "v6.2.3",
            "e6de054238d6b7531b4efff3b6587d9aade6a06c",
            "node24",
            "2026-07-22",
        ),
        Action("pulumi/actions", "v7.0.0", "8e5e406f4007fca908480587cb9893c07090f58d", "node24", "2026-05-04"),
        # Read 2026-12-07 from the fetched repositories (newest release tag of each).
        Action(
            "actions/upload-artifact",
            "v7.0.0",
            "bbbca2ddaa5d8feaa63e36b76fdaad77386f024f",
            "node24",
            "2026-02-25",
            checked="2026-12-07",
        ),
        Action(
            "actions/download-artifact",
            "v8.0.1",
            "3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c",
            "node24",
            "2026-03-11",
            checked="2026-12-07",
        ),
    )
}
"""GitHub Actions by repository (commits of the tags in each action's own repository)."""

KUBERNETES_VERSIONS_SOURCE = (
    "docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html (14 months standard + 12 extended), "
    "dates as listed by endoflife.date/amazon-eks, read 2026-12-01"
)
KUBERNETES_VERSIONS: dict[str, KubernetesVersion] = {
    v.version: v
    for v in (
        KubernetesVersion("1.32", datetime.date(2025, 1, 25), datetime.date(2026, 3, 23), datetime.date(2027, 3, 23)),
        KubernetesVersion("1.33", datetime.date(2025, 5, 28), datetime.date(2026, 7, 29), datetime.date(2027, 7, 29)),
        KubernetesVersion("1.34", datetime.date(2025, 10, 6), datetime.date(2026, 12, 2), datetime.date(2027, 12, 2)),
        KubernetesVersion("1.35", datetime.date(2026, 1, 28), datetime.date(2027, 3, 27), datetime.date(2028, 3, 27)),
    )
}
"""EKS versions a cluster may be created with (each still in standard or extended support).
1.36 is offered by EKS too but its dates could not be read here, so it is not listed yet."""

DEFAULT_KUBERNETES_VERSION = "1.35"
"""The newest listed version: the one in standard support longest."""

SupportType = Literal["STANDARD", "EXTENDED"]
SUPPORT_TYPES: tuple[SupportType, ...] = get_args(SupportType)
"""EKS ``upgradePolicy.supportType`` values: upgraded by EKS when standard support ends, or kept
(billed at the extended-support rate) until extended support ends."""
UNSET_SUPPORT_TYPE = "EXTENDED"
"""What EKS applies to a cluster that does not set ``upgradePolicy.supportType``."""


TODAY_VARIABLE = "MLOPS_TODAY"


def today() -> datetime.date:
    """The date support windows are judged on: ``$MLOPS_TODAY`` (ISO date) if set, else today.
    Setting it makes a plan reproducible on any day, or asks "what if we plan in March?"."""
    value = os.environ.get(TODAY_VARIABLE)
    if not value:
        return datetime.date.today()
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{TODAY_VARIABLE} must be an ISO date such as 2027-01-31 (got {value!r})") from None


def support_status(version: str, today: datetime.date) -> str:
    """``standard``, ``extended`` or ``ended`` for an EKS version on a date."""
    window = KUBERNETES_VERSIONS[version]
    if today <= window.standard_support_end:
        return "standard"
    return "extended" if today <= window.extended_support_end else "ended"


def chart(name: str) -> Chart:
    """A pinned chart by name."""
    return CHARTS[name]


def image(name: str) -> str:
    """A pinned image reference by pin name."""
    return IMAGES[name].ref

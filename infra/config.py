"""The stack configuration: one ``mlops-platform:platform`` object per ``Pulumi.<stack>.yaml``.

Validation happens in two passes, both before any resource is declared:

1. :class:`PlatformConfig` (pydantic) checks shapes, types, ranges, closed sets and rejects
   unknown keys;
2. :func:`check_rules` checks the rules that span fields and sections (unique names,
   references that must resolve, what prod requires) and names the exact key path.

:func:`load_platform_config` runs both and raises one :class:`ConfigError` listing every
problem of the pass that failed.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal, cast, get_args, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from components import catalog, delivery, pins
from components import cluster as cluster_component
from components import gpu_node_pool as pool_component
from components import model_registry as registry_component
from components import network as network_component
from components.access_entries import access_principal_problems, preview_role_problems
from components.autoscaling import MetricType, autoscaling_metric_problems, parse_scaling_expression
from components.aws_tags import node_template_key_problems, rds_identifier_problems, tag_problems
from components.catalog import NodeOs
from components.cidrs import BROADEST_PUBLIC_PREFIX, admits_public_addresses, documentation_only, too_broad
from components.errors import ConfigError, Problem
from components.monitoring_stack import HA_REPLICAS
from components.naming import (
    aws_region_problems,
    bucket_name_problems,
    check,
    ecr_repository_name_problems,
    image_digest,
    mlflow_password_problems,
    pinned_image_problems,
)
from components.promql import label_matchers_problems, metric_name_problems, threshold_problems
from components.zones import zone_id_problems

CONFIG_KEY = "platform"
"""Key of the platform object inside the project's config namespace."""

REQUIRED_TAGS = ("team", "cost-center", "environment")
"""Tags every stack must set; they are applied to every taggable AWS resource."""

DnsLabel = Annotated[
    str,
    StringConstraints(min_length=1, max_length=40, pattern=r"^[a-z]([-a-z0-9]*[a-z0-9])?$"),
]
"""A short lowercase name usable in AWS and Kubernetes names (letters, digits, hyphens)."""

InstanceType = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")]


def _account_id(value: str) -> str:
    if not (len(value) == 12 and value.isdigit()):
        raise ValueError("must be a 12-digit AWS account ID; '*' (everyone) is never allowed")
    return value


AccountId = Annotated[str, AfterValidator(_account_id)]
BucketName = Annotated[str, AfterValidator(lambda v: check(bucket_name_problems(v), "bucket name", v))]
RepositoryName = Annotated[str, AfterValidator(lambda v: check(ecr_repository_name_problems(v), "repository name", v))]
RoleArn = Annotated[str, StringConstraints(pattern=r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$")]
LabelKey = Annotated[
    str,
    StringConstraints(min_length=1, max_length=253, pattern=r"^([a-z0-9.-]+/)?[A-Za-z0-9._-]+$"),
]


def _cidr(value: str) -> str:
    try:
        ipaddress.IPv4Network(value, strict=True)
    except ValueError as exc:
        raise ValueError(f"must be an IPv4 CIDR block such as 10.0.0.0/16 ({exc})") from None
    return value


def _aws_region(region: str) -> str:
    if problems := aws_region_problems(region):
        raise ValueError(problems[0])
    return region


def _no_latest(image: str) -> str:
    problems = pinned_image_problems(image)
    if problems:
        raise ValueError("; ".join(problems))
    return image


def _not_latest(tag: str) -> str:
    if tag == "latest":
        raise ValueError("must identify one image: a version or none (content hash), never latest")
    return tag


def _exact_int(value: object) -> object:
    # Literal[1, 2] alone takes true as 1 and 2.0 as 2 (they compare equal).
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("must be an integer")
    return value


ExactInt = BeforeValidator(_exact_int)
"""For ``Literal`` sets of integers: strict mode covers ``int`` fields, not literals."""
Cidr = Annotated[str, AfterValidator(_cidr)]
ImageTag = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$"),
    AfterValidator(_not_latest),
]
Image = Annotated[str, StringConstraints(min_length=3), AfterValidator(_no_latest)]


class Environment(StrEnum):
    """Deployment environment; prod adds protection and resilience requirements."""

    DEV = "dev"
    PROD = "prod"


class Runtime(StrEnum):
    """Model server runtime of an endpoint."""

    TRITON = "triton"
    VLLM = "vllm"
    CUSTOM = "custom"


class _Model(BaseModel):
    # strict: a boolean is never a number, a number never a string (validated from JSON, where
    # strict mode still reads enum values from their strings).
    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        frozen=True,
        alias_generator=to_camel,
        validate_by_alias=True,
        validate_by_name=False,
        use_enum_values=False,
    )


class ExistingNetwork(_Model):
    """An existing VPC to deploy into instead of creating one."""

    vpc_id: Annotated[str, StringConstraints(pattern=r"^vpc-[0-9a-f]{8,17}$")] = Field(
        description="ID of the VPC (vpc-...)."
    )
    private_subnet_ids: list[Annotated[str, StringConstraints(pattern=r"^subnet-[0-9a-f]{8,17}$")]] = Field(
        min_length=2, description="Private subnets for nodes, at least two AZs."
    )
    public_subnet_ids: list[Annotated[str, StringConstraints(pattern=r"^subnet-[0-9a-f]{8,17}$")]] = Field(
        default_factory=list, description="Public subnets for internet-facing load balancers."
    )
    cidr: Cidr | None = Field(
        default=None,
        description="The VPC's IPv4 CIDR, required with the AWS Load Balancer Controller: load-balanced "
        "endpoints' NetworkPolicies admit their NLB's private addresses from it.",
    )


class NetworkConfig(_Model):
    """The VPC the cluster runs in."""

    cidr: Cidr = Field(default="10.0.0.0/16", description="VPC IPv4 CIDR block.")
    az_count: int = Field(default=3, ge=2, le=6, description="Availability zones to span (2-6).")
    availability_zone_ids: list[str] | None = Field(
        default=None,
        description="Zone IDs for the subnets, azCount of them (e.g. use1-az1, not us-east-1a: names differ "
        "per account); default: the first azCount the region offers without opt-in, except those EKS refuses.",
    )
    nat_gateways: network_component.NatLayout = Field(
        default=network_component.DEFAULTS["nat_gateways"], description="`single` (dev) or `perAz` (prod: no AZ SPOF)."
    )
    vpc_endpoints: bool = Field(
        default=network_component.DEFAULTS["vpc_endpoints"],
        description="S3 gateway and ECR interface endpoints (private image pulls).",
    )
    flow_logs: bool = Field(
        default=network_component.DEFAULTS["flow_logs"], description="VPC flow logs to CloudWatch Logs."
    )
    existing: ExistingNetwork | None = Field(
        default=None, description="Use this VPC and its subnets instead of creating a network."
    )


def _eks_version(value: str) -> str:
    if value not in pins.KUBERNETES_VERSIONS:
        raise ValueError(f"must be one of {', '.join(pins.KUBERNETES_VERSIONS)} (EKS versions in support)")
    return value


def _base_image(value: str) -> str:
    if value not in pins.IMAGES:
        raise ValueError(f"must name a pinned image: one of {', '.join(sorted(pins.IMAGES))}")
    return value


def _promql(problems_of: Callable[[str], list[str]]) -> AfterValidator:
    def validate(value: str) -> str:
        if problems := problems_of(value):
            raise ValueError(problems[0])
        return value

    return AfterValidator(validate)


MetricName = Annotated[str, _promql(metric_name_problems)]
"""A bare Prometheus metric name, parsed as PromQL (no labels, functions or operators)."""
LabelMatchers = Annotated[str, _promql(label_matchers_problems)]
Threshold = Annotated[str, _promql(threshold_problems)]
ScalingExpression = Annotated[str, _promql(lambda text: parse_scaling_expression(text)[1])]
"""What an endpoint autoscales on: a gauge, rate(COUNTER[W]) or histogram_quantile(Q, rate(H_bucket[W]))."""


class ClusterConfig(_Model):
    """The EKS control plane."""

    version: Annotated[str, AfterValidator(_eks_version)] = Field(
        default=cluster_component.DEFAULTS["version"],
        description="Kubernetes minor version of the control plane (components/pins.py lists each "
        "version's standard and extended support end).",
    )
    support_type: pins.SupportType = Field(
        default=cluster_component.DEFAULTS["support_type"],
        description="upgradePolicy.supportType: STANDARD lets EKS upgrade the control plane when standard "
        "support ends; EXTENDED keeps the version 12 more months at 6x the hourly price.",
    )
    endpoint_public_access: bool = Field(
        default=cluster_component.DEFAULTS["endpoint_public_access"],
        description="Expose the API endpoint publicly (needs publicAccessCidrs).",
    )
    public_access_cidrs: list[Cidr] = Field(
        default_factory=list, description="CIDRs allowed to reach a public API endpoint."
    )
    api_access_cidrs: list[Cidr] = Field(
        default_factory=list,
        description="Private CIDRs admitted to the private API endpoint on 443 (the subnets of the CI runners "
        "that deploy, preview and check drift, a VPN): the cluster security group admits only itself otherwise.",
    )
    admin_role_arns: list[RoleArn] = Field(
        default_factory=list, description="IAM roles granted cluster-admin through access entries."
    )
    view_role_arns: list[RoleArn] = Field(
        default_factory=list,
        description="IAM roles granted read-only access (AmazonEKSViewPolicy, no Secrets) through access entries.",
    )
    preview_role_arns: list[RoleArn] = Field(
        default_factory=list,
        description="CI's read-only roles (preview, drift): AmazonEKSViewPolicy plus get/list on the Secrets of "
        "exactly the namespaces where the stack keeps Secrets or Helm release records, which a refresh reads "
        "(README, Cluster access).",
    )
    deploy_role_arn: RoleArn | None = Field(
        default=None,
        description="The role that runs pulumi up (CI's deploy role), cluster-admin through an access entry; "
        "required in prod.",
    )
    creator_admin: bool = Field(
        default=cluster_component.DEFAULTS["creator_admin"],
        description="bootstrapClusterCreatorAdminPermissions: make the cluster's creator a permanent, invisible "
        "admin. Read only when the cluster is created; an existing cluster keeps its value (README, Cluster access).",
    )
    name: DnsLabel | None = Field(default=None, description="EKS cluster name; default mlops-<environment>.")
    log_retention_days: Annotated[cluster_component.LogRetentionDays, ExactInt] = Field(
        default=cluster_component.DEFAULTS["log_retention_days"],
        description="Control-plane log retention (a CloudWatch Logs retention value).",
    )
    system_instance_types: list[InstanceType] = Field(
        default_factory=lambda: list(cluster_component.DEFAULTS["system_instance_types"]),
        min_length=1,
        description="Instance types of the system node group (CoreDNS, autoscaler, monitoring).",
    )
    system_min_size: int = Field(
        default=cluster_component.DEFAULTS["system_min_size"], ge=1, le=20, description="Minimum system nodes."
    )
    system_max_size: int = Field(
        default=cluster_component.DEFAULTS["system_max_size"], ge=1, le=50, description="Maximum system nodes."
    )
    karpenter: bool = Field(
        default=cluster_component.DEFAULTS["karpenter"],
        description="Install Karpenter (controller on the system nodes, IRSA role, interruption queue) for "
        "gpuPools with provisioner karpenter.",
    )
    load_balancer_controller: bool = Field(
        default=False,
        description="Install the AWS Load Balancer Controller even when no endpoint or the model registry of this "
        "stack asks for a loadBalancer (it is installed whenever one does): for app teams' endpoints with one.",
    )


class Taint(_Model):
    """An extra Kubernetes taint for a pool's nodes."""

    key: LabelKey = Field(description="Taint key.")
    value: Annotated[str, StringConstraints(max_length=63)] = Field(default="", description="Taint value.")
    effect: pool_component.TaintEffect = Field(default=pool_component.DEFAULT_TAINT_EFFECT, description="Taint effect.")


class GpuPoolConfig(_Model):
    """A pool of GPU (or Neuron) instances: a managed node group, or a Karpenter NodePool."""

    name: DnsLabel = Field(description="Pool name, unique in the stack; used in node labels.")
    instance_types: list[InstanceType] = Field(
        min_length=1, max_length=20, description="EC2 instance types; several give spot capacity."
    )
    capacity_type: pool_component.CapacityType = Field(
        default=pool_component.DEFAULTS["capacity_type"], description="SPOT or ON_DEMAND."
    )
    min_size: int = Field(
        default=pool_component.DEFAULTS["min_size"], ge=0, le=1000, description="Minimum nodes; 0 scales to zero."
    )
    max_size: int = Field(ge=1, le=1000, description="Maximum nodes the autoscaler may add.")
    os: NodeOs = Field(default=NodeOs(pool_component.DEFAULTS["os"]), description="Node OS: al2023 or bottlerocket.")
    disk_size_gib: int = Field(
        default=pool_component.DEFAULTS["disk_size_gib"], ge=20, le=16384, description="Encrypted gp3 root volume size."
    )
    imds_hop_limit: Annotated[pool_component.ImdsHopLimit, ExactInt] = Field(
        default=pool_component.DEFAULTS["imds_hop_limit"],
        description="IMDSv2 hop limit; 1 keeps pods off the node role, 2 for legacy agents.",
    )
    labels: dict[LabelKey, Annotated[str, StringConstraints(max_length=63)]] = Field(
        default_factory=dict, description="Extra node labels."
    )
    taints: list[Taint] = Field(default_factory=list[Taint], description="Extra node taints.")
    max_unavailable: int = Field(
        default=pool_component.DEFAULTS["max_unavailable"],
        ge=1,
        le=100,
        description="Nodes replaced at once on update.",
    )
    spot_discount: float | None = Field(
        default=None,
        ge=0,
        le=pool_component.MAX_SPOT_DISCOUNT,
        description="Expected spot discount for the cost estimate (spot is priced at on-demand without it).",
    )
    provisioner: pool_component.Provisioner = Field(
        default=pool_component.DEFAULTS["provisioner"],
        description="managed: a managed node group and the cluster-autoscaler; karpenter: a Karpenter NodePool "
        "(needs cluster.karpenter; spot pools fall back to on-demand).",
    )
    ami_version: Annotated[str, StringConstraints(pattern=r"^(latest|v[0-9][0-9.]*)$")] | None = Field(
        default=None,
        description="karpenter: EKS AMI release of the AMI alias (default: the pin in components/pins.py); "
        "latest only outside prod.",
    )
    consolidate_after: Annotated[str, StringConstraints(pattern=r"^([0-9]+(s|m|h))+$")] | None = Field(
        default=None,
        description="karpenter: how long a node stays empty or underused before removal "
        f"({pool_component.DEFAULTS['consolidate_after']}).",
    )
    expire_after: Annotated[str, StringConstraints(pattern=r"^([0-9]+(s|m|h))+$")] | None = Field(
        default=None,
        description=f"karpenter: node lifetime before it is rotated ({pool_component.DEFAULTS['expire_after']}).",
    )


class BucketConfig(_Model):
    """An S3 bucket for models, datasets or other artifacts."""

    name: DnsLabel = Field(description="Logical bucket name, unique in the stack (e.g. models).")
    noncurrent_version_days: int = Field(
        default=90, ge=1, le=3650, description="Days to keep noncurrent object versions."
    )
    abort_multipart_days: int = Field(
        default=7, ge=1, le=365, description="Days before incomplete multipart uploads are aborted."
    )
    intelligent_tiering_days: int | None = Field(
        default=None, ge=0, le=3650, description="Move objects to Intelligent-Tiering after N days."
    )
    bucket_name: BucketName | None = Field(
        default=None, description="Physical bucket name (S3 rules); default: unique, derived."
    )
    object_lock_days: int | None = Field(
        default=None,
        ge=1,
        le=36500,
        description="Object Lock in governance mode with this default retention (released models).",
    )
    access_log_bucket: BucketName | None = Field(
        default=None, description="Existing bucket receiving server access logs (SSE-S3 target)."
    )


class ImageBuild(_Model):
    """Build an image from a local context and push it to the registry."""

    context: Annotated[str, StringConstraints(min_length=1)] = Field(description="Build context directory.")
    dockerfile: str = Field(default="Dockerfile", description="Dockerfile path inside the context.")
    platform: Literal["linux/amd64", "linux/arm64"] = Field(
        default="linux/amd64", description="Target platform of the image."
    )
    version: ImageTag | None = Field(
        default=None,
        description="Explicit tag; default is a hash of the build context and base image. Never latest.",
    )
    base_image: Annotated[str, AfterValidator(_base_image)] | None = Field(
        default=None,
        description="Pinned image (a name in components/pins.py IMAGES) passed as the BASE_IMAGE build arg.",
    )


class RegistryConfig(_Model):
    """An ECR repository."""

    name: RepositoryName = Field(description="Repository name (ECR rules: lowercase, digits, . _ - /).")
    keep_tagged_images: int = Field(default=30, ge=1, le=1000, description="Tagged images to keep.")
    untagged_expiry_days: int = Field(default=7, ge=1, le=365, description="Days before untagged images expire.")
    pull_account_ids: list[AccountId] = Field(
        default_factory=list, description="Other AWS accounts allowed to pull (never everyone)."
    )
    build: ImageBuild | None = Field(default=None, description="Optional image build and push.")


class RegisteredModelConfig(_Model):
    """``endpoints[].model``: a registered model version or alias to serve."""

    registry: DnsLabel = Field(description="Name of the model registry (modelRegistry.name).")
    name: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,255}$")] = Field(
        description="Registered model name."
    )
    version: int | None = Field(
        default=None,
        ge=1,
        description="The pinned model version pods download (mlops promote writes it from alias); "
        "required once published.",
    )
    alias: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,255}$")] | None = Field(
        default=None,
        description="Model alias (e.g. champion): the intent mlops promote resolves into version; "
        "pods never resolve it.",
    )


PROD_BACKUP_RETENTION_DAYS = 30
"""A prod registry's backup retention when the stack file sets none (the component's default is dev's)."""
PROD_REGISTRY_REPLICAS = 2
"""A prod registry's server replicas when the stack file sets none: one per zone of two."""


class ModelRegistryConfig(_Model):
    """``modelRegistry``: MLflow tracking and model registry, with an RDS PostgreSQL store."""

    name: DnsLabel = Field(default="mlflow", description="Registry name; endpoints' model.registry names it.")
    bucket: DnsLabel = Field(description="Name of the bucket holding its artifacts.")
    artifact_prefix: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9!_.'()-]+(/[A-Za-z0-9!_.'()-]+)*/$")] = (
        Field(default="mlflow/", description="Key prefix of the artifacts.")
    )
    namespace: DnsLabel = Field(
        default=registry_component.DEFAULTS["namespace"], description="Kubernetes namespace of the server."
    )
    instance_class: Annotated[str, StringConstraints(pattern=r"^db\.[a-z0-9]+\.[a-z0-9]+$")] = Field(
        default=registry_component.DEFAULTS["instance_class"], description="RDS instance class."
    )
    storage_gib: int = Field(
        default=registry_component.DEFAULTS["storage_gib"],
        ge=registry_component.MIN_STORAGE_GIB,
        le=65536,
        description="Allocated gp3 storage.",
    )
    max_storage_gib: int = Field(
        default=registry_component.DEFAULTS["max_storage_gib"],
        ge=registry_component.MIN_STORAGE_GIB,
        le=65536,
        description="Storage autoscaling ceiling.",
    )
    backup_retention_days: int | None = Field(
        default=None,
        ge=0,
        le=registry_component.MAX_BACKUP_RETENTION_DAYS,
        description=f"Automated backup retention; default {registry_component.DEFAULTS['backup_retention_days']} "
        f"in dev, {PROD_BACKUP_RETENTION_DAYS} in prod.",
    )
    multi_az: bool | None = Field(default=None, description="A standby in another zone; default: in prod.")
    replicas: int | None = Field(
        default=None,
        ge=1,
        le=10,
        description=f"Server replicas; default {registry_component.DEFAULTS['replicas']}, "
        f"{PROD_REGISTRY_REPLICAS} in prod.",
    )
    allowed_namespaces: list[DnsLabel] = Field(
        default_factory=list[str],
        description="Namespaces that may call it (endpoints serving its models are added).",
    )
    load_balancer: registry_component.RegistryLoadBalancer = Field(
        default=registry_component.DEFAULTS["load_balancer"], description="none or an internal NLB."
    )
    image: Image | None = Field(default=None, description="MLflow image; default the pinned release.")
    registry: str | None = Field(
        default=None, description="Name of a registry whose built MLflow image to run (required in prod)."
    )

    @model_validator(mode="before")
    @classmethod
    def _no_password(cls, data: object) -> object:
        keys = [str(k) for k in cast(dict[str, Any], data)] if isinstance(data, dict) else []
        if found := sorted(k for k in keys if "password" in k.lower()):
            raise PydanticCustomError(
                "secret_in_config",
                "{keys}: a password never goes in the platform object; set it with "
                "`pulumi config set --secret modelRegistryAdminPassword <value>`",
                {"keys": ", ".join(found)},
            )
        return cast(object, data)

    def backups(self, prod: bool) -> int:
        """Backup retention days (the environment's default when unset)."""
        if self.backup_retention_days is not None:
            return self.backup_retention_days
        return PROD_BACKUP_RETENTION_DAYS if prod else registry_component.DEFAULTS["backup_retention_days"]

    def server_replicas(self, prod: bool) -> int:
        """MLflow server replicas (the environment's default when unset)."""
        if self.replicas is not None:
            return self.replicas
        return PROD_REGISTRY_REPLICAS if prod else registry_component.DEFAULTS["replicas"]


class EndpointConfig(_Model):
    """A model-serving endpoint on the cluster."""

    name: DnsLabel = Field(description="Endpoint name, unique in the stack; the Kubernetes app name.")
    runtime: Runtime = Field(description="Model server: triton, vllm or custom.")
    pool: DnsLabel = Field(description="Name of the GPU pool that runs it.")
    bucket: DnsLabel | None = Field(default=None, description="Name of the bucket that holds the model.")
    model: RegisteredModelConfig | None = Field(
        default=None, description="Serve a registered model version or alias instead of bucket and modelPrefix."
    )
    model_prefix: (
        Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9!_.*'()-]+(/[A-Za-z0-9!_.*'()-]+)*/$")] | None
    ) = Field(default=None, description="Key prefix of the model in the bucket, ending in '/'.")
    model_version: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")] | None = Field(
        default=None,
        description="The version directory under modelPrefix that pods read (modelPrefix + modelVersion + '/'), "
        "written once; required with canary (README: Canary delivery).",
    )
    image: Image | None = Field(
        default=None,
        description="Explicit image; prod requires a digest. Default: the runtime's pinned release "
        "(triton, vllm; custom needs image or registry).",
    )
    registry: str | None = Field(default=None, description="Name of a registry whose built image to serve.")
    gpus: int = Field(default=1, ge=1, le=16, description="GPUs per pod (nvidia.com/gpu limit).")
    replicas: int = Field(default=1, ge=1, le=100, description="Minimum replicas.")
    max_replicas: int | None = Field(default=None, ge=1, le=100, description="HPA maximum; none disables the HPA.")
    namespace: DnsLabel = Field(default="serving", description="Kubernetes namespace.")
    cpu: Annotated[str, StringConstraints(pattern=r"^([1-9]\d*|\d+m)$")] = Field(
        default="2", description="CPU request and limit (Kubernetes quantity: 2 or 500m)."
    )
    memory: Annotated[str, StringConstraints(pattern=r"^[1-9]\d*(Mi|Gi)$")] = Field(
        default="8Gi", description="Memory request and limit (Mi or Gi)."
    )
    model_id: str | None = Field(
        default=None, description="vllm only: serve this model id (cached locally) instead of the S3 prefix."
    )
    port: int = Field(default=8000, ge=1024, le=65535, description="custom only: the server's port.")
    ready_path: Annotated[str, StringConstraints(pattern=r"^/[\w./-]*$")] = Field(
        default="/health", description="custom only: readiness path."
    )
    live_path: Annotated[str, StringConstraints(pattern=r"^/[\w./-]*$")] = Field(
        default="/health", description="custom only: liveness path."
    )
    args: list[str] = Field(default_factory=list[str], description="Extra server arguments.")
    startup_seconds: int = Field(
        default=1800, ge=60, le=7200, description="Time allowed to load the model before liveness applies."
    )
    published: bool = Field(
        default=True,
        description="Whether the model exists where the endpoint reads it. false deploys the endpoint at zero "
        "replicas, its autoscaler held, so the first pulumi up completes; set true once the model is published "
        "(mlops plan lists where, README: First deploy).",
    )
    rollout: Literal["surge", "replace", "recreate"] = Field(
        default="surge",
        description="surge: a new pod before an old one stops (needs room for one more pod at maxReplicas); "
        "replace: one old pod stops first (one replica less during a rollout); recreate: all stop first (downtime).",
    )
    canary: bool | None = Field(
        default=None,
        description="Serve through an Argo Rollout: a change starts as one canary pod, judged on the endpoint's "
        "error ratio and p95 thresholds, and is rolled back on its own when they fail. Default: true in prod, "
        "false in dev (README: Canary delivery).",
    )
    autoscaling_metric: ScalingExpression | None = Field(
        default=None,
        description="Scale through KEDA on this signal of the endpoint's series: a gauge (vllm:num_requests_waiting), "
        "a counter's rate (rate(http_requests_total[2m])) or a latency quantile (histogram_quantile(0.95, "
        "rate(vllm:e2e_request_latency_seconds_bucket[2m]))); the metric's type must fit (README: Autoscaling). "
        "Default: CPU utilisation.",
    )
    autoscaling_target: Threshold = Field(
        default="10",
        description="Target of autoscalingMetric, per replica (a gauge or a rate) or for the endpoint (a quantile): "
        "a positive number, as a string.",
    )
    metric_types: dict[MetricName, MetricType] = Field(
        default_factory=dict[str, MetricType],
        description="custom only: the Prometheus type (counter, gauge, histogram, summary) of metrics the image "
        "exports, by exposed name; requestsMetric (a counter) and latencyHistogram are declared already.",
    )
    load_balancer: Literal["none", "internal", "internet-facing"] = Field(
        default="none", description="none (ClusterIP), an internal NLB, or an internet-facing NLB."
    )
    allow_internet_facing: bool = Field(
        default=False, description="Required for loadBalancer: internet-facing (never by default)."
    )
    allowed_namespaces: list[DnsLabel] = Field(
        default_factory=list[str], description="Namespaces whose pods may call the endpoint."
    )
    error_ratio_threshold: float = Field(
        default=0.05, gt=0, lt=1, description="Alert when this share of requests fails (5 minutes)."
    )
    p95_latency_seconds: float = Field(default=2.0, gt=0, le=600, description="Alert above this p95 latency.")
    availability_objective: float = Field(
        default=0.995, gt=0.5, lt=1, description="Availability SLO for burn-rate alerts (prod)."
    )
    requests_metric: MetricName = Field(
        default="http_requests_total", description="custom only: the server's request counter (a metric name)."
    )
    error_selector: LabelMatchers = Field(
        default='status=~"5.."', description="custom only: label matchers selecting failed requests (PromQL)."
    )
    latency_histogram: MetricName = Field(
        default="http_request_duration_seconds", description="custom only: latency histogram in seconds."
    )

    def canaried(self, prod: bool) -> bool:
        """Whether it is served through an Argo Rollout canary (the environment's default when unset)."""
        return self.canary if self.canary is not None else prod


class MonitoringConfig(_Model):
    """Metrics, alerts and notifications."""

    enabled: bool = Field(default=True, description="Deploy the monitoring stack.")
    retention_days: int = Field(default=15, ge=1, le=365, description="Prometheus retention in days.")
    persistent_storage: bool = Field(
        default=True, description="Keep metrics on encrypted gp3 volumes (false: lost on restart, dev)."
    )
    storage_size_gib: int = Field(default=100, ge=10, le=16384, description="Prometheus volume size.")
    slack_channel: Annotated[str, StringConstraints(pattern=r"^#[\w-]{1,80}$")] | None = Field(
        default=None,
        description="Slack channel for alerts; needs the secret config slackWebhookUrl.",
    )
    pagerduty: bool = Field(
        default=False, description="Page critical alerts; needs the secret config pagerdutyRoutingKey."
    )
    monthly_gpu_budget_usd: float | None = Field(
        default=None, gt=0, description="AWS Budget on monthly GPU instance spend, notifying the topic."
    )
    alert_emails: list[Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]] = Field(
        default_factory=list, description="E-mail addresses subscribed to the alert topic (each confirms by e-mail)."
    )
    alert_https_endpoints: list[Annotated[str, StringConstraints(pattern=r"^https://[^\s/]+(/\S*)?$")]] = Field(
        default_factory=list,
        description="HTTPS endpoints subscribed to the alert topic (PagerDuty's or Opsgenie's CloudWatch "
        "integration URL); each must confirm its subscription.",
    )


class TeamQuotaConfig(_Model):
    """``teams[].quota``: what each of the team's namespaces may request in total."""

    gpus: int = Field(ge=0, le=1024, description="GPUs (requests.nvidia.com/gpu) the namespace's pods may request.")
    cpu: Annotated[str, StringConstraints(pattern=r"^([1-9]\d*|\d+m)$")] = Field(
        description="CPU requests in total (Kubernetes quantity: 16 or 500m)."
    )
    memory: Annotated[str, StringConstraints(pattern=r"^[1-9]\d*(Mi|Gi)$")] = Field(
        description="Memory requests and limits in total (Mi or Gi)."
    )


class TeamBucketPrefixConfig(_Model):
    """``teams[].bucketPrefixes[]``: a key prefix of a platform bucket the team reads and writes."""

    bucket: DnsLabel = Field(description="Name of the bucket (buckets[].name).")
    prefix: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9!_.'()-]+(/[A-Za-z0-9!_.'()-]+)*/$")] = Field(
        description="Key prefix ending in '/' (teams/fraud/); no other team's or the registry's may overlap it."
    )


class TeamConfig(_Model):
    """``teams[]``: a team deploying its own models into its own namespaces, never as cluster admin."""

    name: DnsLabel = Field(description="Team name, unique in the stack (the namespaces' mlops-platform/team label).")
    namespaces: list[DnsLabel] = Field(
        min_length=1, description="Namespaces the platform creates for the team (Pod Security restricted)."
    )
    quota: TeamQuotaConfig = Field(description="Per-namespace GPU, CPU and memory quota.")
    deployer_role_arns: list[RoleArn] = Field(
        default_factory=list[str],
        description="IAM roles the team deploys with: access entries scoped to its namespaces.",
    )
    access_policy: Literal["edit", "admin"] = Field(
        default="edit",
        description="edit (AmazonEKSEditPolicy) or admin (AmazonEKSAdminPolicy: also Roles and RoleBindings), "
        "with a namespace access scope.",
    )
    bucket_prefixes: list[TeamBucketPrefixConfig] = Field(
        default_factory=list[TeamBucketPrefixConfig],
        description="Bucket prefixes the team's data role (service account team-data) reads and writes.",
    )


class PlatformConfig(_Model):
    """Everything one stack deploys."""

    environment: Environment = Field(description="dev or prod.")
    region: Annotated[str, AfterValidator(_aws_region)] = Field(
        default="us-east-1", description="AWS region (one of an AWS partition's, as botocore lists them)."
    )
    tags: dict[
        Annotated[str, StringConstraints(min_length=1, max_length=128)],
        Annotated[str, StringConstraints(max_length=256)],
    ] = Field(description="Tags for every taggable AWS resource; team, cost-center, environment required.")
    network: NetworkConfig = Field(default_factory=NetworkConfig, description="The VPC.")
    cluster: ClusterConfig = Field(default_factory=ClusterConfig, description="The EKS cluster.")
    gpu_pools: list[GpuPoolConfig] = Field(default_factory=list[GpuPoolConfig], description="GPU node pools.")
    buckets: list[BucketConfig] = Field(default_factory=list[BucketConfig], description="Artifact buckets.")
    registries: list[RegistryConfig] = Field(default_factory=list[RegistryConfig], description="ECR repositories.")
    endpoints: list[EndpointConfig] = Field(
        default_factory=list[EndpointConfig], description="Model-serving endpoints."
    )
    monitoring: MonitoringConfig = Field(default_factory=MonitoringConfig, description="Monitoring.")
    teams: list[TeamConfig] = Field(
        default_factory=list[TeamConfig], description="Teams: namespaces, quotas and namespaced access each."
    )
    model_registry: ModelRegistryConfig | None = Field(
        default=None, description="MLflow tracking and model registry (RDS PostgreSQL store)."
    )
    model_copier_registry: str | None = Field(
        default=None,
        description="Registry whose built image (with the AWS CLI) copies models from S3 for vLLM "
        "and custom endpoints; default: the public AWS CLI image by version (refused in prod).",
    )

    @property
    def is_prod(self) -> bool:
        """True for the prod environment."""
        return self.environment is Environment.PROD

    @property
    def load_balancer_controller(self) -> bool:
        """Whether the stack installs the AWS Load Balancer Controller: asked for, or needed by an
        endpoint or the model registry with a load balancer."""
        registry = self.model_registry
        return (
            self.cluster.load_balancer_controller
            or any(e.load_balancer != "none" for e in self.endpoints)
            or (registry is not None and registry.load_balancer != "none")
        )

    @property
    def cluster_name(self) -> str:
        """The EKS cluster name: ``cluster.name`` or ``mlops-<environment>``."""
        return self.cluster.name or f"mlops-{self.environment.value}"


def load_platform_config(raw: object, source: str, root: Path | None = None) -> PlatformConfig:
    """Validate the raw ``platform`` object read from ``source`` (a stack file name).

    ``root`` is the project directory; when given, image build contexts must exist in it.
    Raises :class:`ConfigError` naming every problem, each with its key path.
    """
    if raw is None:
        raise ConfigError(
            source,
            [Problem(CONFIG_KEY, "required: set `mlops-platform:platform` in the stack file")],
        )
    try:
        config = PlatformConfig.model_validate_json(json.dumps(raw))
    except ValidationError as exc:
        raise ConfigError(source, [_problem(err) for err in exc.errors()]) from None
    problems = check_rules(config)
    if root is not None:
        problems += _check_build_contexts(config, root)
    if problems:
        raise ConfigError(source, problems)
    return config


SECRET_KEYS = ("slackWebhookUrl", "pagerdutyRoutingKey", "grafanaAdminPassword", "modelRegistryAdminPassword")
"""Secret config keys, set with ``pulumi config set --secret <key> <value>``, never in the platform object."""


def secret_problems(config: PlatformConfig, present: set[str], project: str = "mlops-platform") -> list[Problem]:
    """Secret config keys that the platform config needs but the stack does not set."""
    needed = {
        "slackWebhookUrl": config.monitoring.slack_channel is not None,
        "pagerdutyRoutingKey": config.monitoring.pagerduty,
    }
    problems = [
        Problem(
            f"{project}:{key}",
            f"required by platform.monitoring; set it with `pulumi config set --secret {key} <value>`",
        )
        for key, wanted in needed.items()
        if wanted and config.monitoring.enabled and key not in present
    ]
    return problems


CREDENTIAL_KEY = re.compile(
    r"(password|passwd|passphrase|secret|secretkey|token|webhook|webhookurl|routingkey|apikey|privatekey|"
    r"accesskey|credentials?)$",
    re.IGNORECASE,
)
"""A config key (its name after the namespace) that holds a credential: ``slackWebhookUrl``,
``pagerdutyRoutingKey``, ``grafanaAdminPassword``, ``aws:secretKey``, ``aws:token``..."""


def plaintext_credential_problems(keys: Iterable[str], is_secret: Callable[[str], bool]) -> list[Problem]:
    """Config keys that hold a credential but are not secrets: ``secure:`` in the stack file (or
    a secret of a Pulumi ESC environment); a plaintext one sits in git and in every log.
    ``is_secret`` tells whether a full key (``project:name``) was given as a secret."""
    return [
        Problem(
            key,
            f"holds a credential, so it must be a secret: `pulumi config set --secret {key} <value>` "
            "(secure: in the stack file), never plaintext",
        )
        for key in sorted(set(keys))
        if CREDENTIAL_KEY.search(key.rpartition(":")[2].replace("_", "").replace("-", "")) and not is_secret(key)
    ]


def secret_value_problems(values: Mapping[str, str], project: str = "mlops-platform") -> list[Problem]:
    """Secret config values the stack would only fail on later (give decrypted values: an
    offline plan, which cannot decrypt them, has nothing to check)."""
    password = values.get("modelRegistryAdminPassword")
    if password is None:
        return []
    return [
        Problem(
            f"{project}:modelRegistryAdminPassword", f"{problem}; MLflow would refuse it and the registry never start"
        )
        for problem in mlflow_password_problems(password)
    ]


SECTION_RULES: dict[str, str] = {
    "region": "one of an AWS partition's regions, as botocore lists them (`components/data/aws_regions.json`)",
    "environment": (
        "prod: per-AZ NAT, flow logs, endpoints with ≥ 2 replicas and digest-pinned images, API access CIDRs "
        "that admit at most a /16 of public addresses in total (`0.0.0.0/1` + `128.0.0.0/1` is the world; "
        "private and reserved ranges do not count; `components/cidrs.py`, which the policies share)"
    ),
    "tags": (
        "`team`, `cost-center`, `environment` required; `environment` tag equals `environment`; what the "
        "tagging APIs refuse is refused (`components/aws_tags.py`, read back from botocore's request shapes):"
        " keys 1-127 characters (EC2's limit), values up to 256, only Unicode letters, digits, spaces and `_ "
        ". : / = + - @` (no control characters), no key starting with `aws:`; with a `modelRegistry` (RDS) no"
        " key or value starting with `aws:`/`rds:` and no empty value"
    ),
    "network": (
        "CIDR /20 or larger; existing VPC needs a private subnet per AZ, and its `cidr` with a load balancer "
        "(NetworkPolicies admit the NLBs' addresses from it); `availabilityZoneIds`: `azCount` "
        "distinct zone IDs (`use1-az1`, never a name like `us-east-1a`), none EKS refuses (`use1-az3`, "
        "`usw1-az2`, `cac1-az3`), not with `existing`"
    ),
    "cluster": (
        "public endpoint needs CIDRs, none a documentation range; CIDRs only with a public endpoint; "
        "`apiAccessCidrs` private only ([Runners](#runners)); `deployRoleArn` required in prod, and anywhere "
        "without `creatorAdmin` unless `adminRoleArns` names someone ([Cluster access](#cluster-access)); "
        "`systemMinSize` >= 2 in prod (one node per Prometheus and Alertmanager replica)"
    ),
    "gpuPools[]": (
        "unique names; `maxSize >= minSize`; instance types in the catalog, accelerated, one "
        "architecture/accelerator/count per pool; `karpenter` needs `cluster.karpenter: true` and `minSize: "
        "0`; `amiVersion: latest` never in prod; the Karpenter keys only with `provisioner: karpenter`; "
        "managed pools: label and taint keys of at most 82 characters (their cluster-autoscaler tag "
        "`k8s.io/cluster-autoscaler/node-template/label/<key>` may have 128)"
    ),
    "buckets[]": ("unique names; S3 bucket naming rules"),
    "registries[]": (
        "unique names; ECR naming rules; account IDs only (never `*`); build context a directory and "
        "`dockerfile` a file inside the project root once symlinks are resolved (never `/etc`, `../..` or a "
        "link out); never `latest`"
    ),
    "endpoints[]": (
        "`pool`, `bucket`, `registry` must name defined ones (a registry with a build); images never "
        "`latest`; GPUs, CPU and memory fit a node of the pool; `autoscalingMetric` (a gauge, "
        "`rate(COUNTER[W])` or `histogram_quantile(Q, rate(H_bucket[W]))` of a metric whose type fits: the "
        "runtime's catalogue for triton and vllm, `metricTypes` for custom; [Autoscaling](#autoscaling)) needs "
        "`maxReplicas`; `maxReplicas` (else `replicas`) plus the rollout's surge pod fits the pool at "
        "`maxSize` ([Rollouts](#rollouts)); with `canary`, the template names a pinned model from the first "
        "deploy: `model.version` (published or not) or, for a bucket model, `modelVersion`, one key segment; "
        "PromQL is parsed, never pasted (`components/promql.py`, `components/autoscaling.py`, with "
        "promql-parser): `autoscalingMetric` one of those three shapes with no label matcher or modifier, "
        "`requestsMetric` and `latencyHistogram` bare metric names, "
        '`errorSelector` label matchers only (`status=~"5.."`; `} or vector(1)` is refused), '
        "`autoscalingTarget` a positive decimal number in a string; `loadBalancer` needs the AWS Load "
        "Balancer Controller, which the stack then installs; `canary` is on by default in prod "
        "([Canary delivery](#canary-delivery))"
    ),
    "modelCopierRegistry": "required in prod when an endpoint copies its model",
    "modelRegistry": (
        "`bucket` must be defined; `name` never ends with or doubles a hyphen (it names the RDS instance and "
        "its final snapshot); backups ≥ 1 day, ≥ 7 in prod; prod: Multi-AZ, ≥ 2 replicas, a digest-pinned "
        "image or one built by a registry; no key holding a password (the admin password is the secret config"
        " `modelRegistryAdminPassword`)"
    ),
    "endpoints[].model": (
        "`registry` must name `modelRegistry.name`; `version` (what pods download; `mlops promote` writes it "
        "from `alias`) is required once published, `alias` alone only with `published: false`; not together "
        "with `bucket`, `modelPrefix` or `modelId`"
    ),
    "monitoring": (
        "`slackChannel` needs the secret config `slackWebhookUrl`, `pagerduty` needs `pagerdutyRoutingKey`; "
        "prod needs a receiver, and a subscriber of the alert topic (`alertEmails` or `alertHttpsEndpoints`):"
        " the CloudWatch alarms and the budget notify only the topic"
    ),
    "teams[]": (
        "unique names; a namespace belongs to one team and never to the platform (`default`, `kube-*`, "
        "`keda`, `karpenter`, `monitoring`, the registry's, the endpoints'); a deployer role is one team's "
        "and has no cluster-wide access entry (one entry per principal); `bucket` must be defined; a prefix "
        "overlaps no other team's nor the registry's `artifactPrefix` ([Teams](#teams))"
    ),
}
"""The rules across fields each section of the stack file must follow (what :func:`check_rules` and the
components' validators refuse), in the words of the README's stack-configuration table, which
``python -m tools.readme_config`` generates from the models and this table."""


def check_rules(config: PlatformConfig) -> list[Problem]:
    """Rules across fields and sections; returns every problem found (empty when valid)."""
    problems: list[Problem] = []
    problems += _check_tags(config)
    problems += _check_tag_values(config)
    sections: dict[str, Sequence[Any]] = {
        "gpuPools": config.gpu_pools,
        "buckets": config.buckets,
        "registries": config.registries,
        "endpoints": config.endpoints,
        "teams": config.teams,
    }
    for section, items in sections.items():
        problems += _check_unique_names(section, items)
    problems += _check_network(config)
    problems += _check_cluster(config)
    problems += _check_pools(config)
    problems += _check_karpenter_pools(config)
    problems += _check_endpoints(config)
    problems += _check_model_copier(config)
    problems += _check_model_registry(config)
    problems += _check_alert_receivers(config)
    problems += _check_teams(config)
    return problems


def _check_tag_values(config: PlatformConfig) -> Iterable[Problem]:
    # Default tags reach every taggable resource: what one API refuses fails that resource's create.
    for key, value in config.tags.items():
        for problem in tag_problems(key, value, rds=config.model_registry is not None):
            yield Problem(f"{CONFIG_KEY}.tags{_path_part(key)}", problem)
    for index, pool in enumerate(config.gpu_pools):
        if pool.provisioner != "managed":
            continue
        for key in pool.labels:
            for problem in node_template_key_problems("label", key):
                yield Problem(f"{CONFIG_KEY}.gpuPools[{index}].labels.{key}", problem)
        for number, taint in enumerate(pool.taints):
            for problem in node_template_key_problems("taint", taint.key):
                yield Problem(f"{CONFIG_KEY}.gpuPools[{index}].taints[{number}].key", problem)
    if config.model_registry is not None:
        name = config.model_registry.name
        for problem in rds_identifier_problems(name):
            yield Problem(
                f"{CONFIG_KEY}.modelRegistry.name",
                f"{problem}: it names the RDS instance ({name}-db-<suffix>) and its final snapshot ({name}-final)",
            )


def _check_tags(config: PlatformConfig) -> Iterable[Problem]:
    for key in REQUIRED_TAGS:
        if not config.tags.get(key, "").strip():
            yield Problem(f"{CONFIG_KEY}.tags.{key}", "required, a non-empty string")
    env_tag = config.tags.get("environment")
    if env_tag and env_tag != config.environment.value:
        yield Problem(
            f"{CONFIG_KEY}.tags.environment",
            f"must equal environment {config.environment.value!r} (got {env_tag!r})",
        )


def _check_unique_names(section: str, items: Sequence[Any]) -> Iterable[Problem]:
    first: dict[str, int] = {}
    for index, item in enumerate(items):
        name = item.name
        if name in first:
            yield Problem(
                f"{CONFIG_KEY}.{section}[{index}].name",
                f"duplicate name {name!r} (already used by {section}[{first[name]}]); names must be unique",
            )
        else:
            first[name] = index


def _check_network(config: PlatformConfig) -> Iterable[Problem]:
    net = config.network
    base = f"{CONFIG_KEY}.network"
    if net.existing is None and ipaddress.IPv4Network(net.cidr).prefixlen > 20:
        yield Problem(f"{base}.cidr", f"must be /20 or larger to fit the subnets (got {net.cidr})")
    if config.is_prod:
        if net.nat_gateways != "perAz":
            yield Problem(
                f"{base}.natGateways",
                "must be 'perAz' in prod (one NAT is a single point of failure)",
            )
        if not net.flow_logs:
            yield Problem(f"{base}.flowLogs", "must be true in prod")
    if net.availability_zone_ids is not None:
        if net.existing is not None:
            yield Problem(
                f"{base}.availabilityZoneIds", "not with network.existing: the existing subnets fix the zones"
            )
        for problem in zone_id_problems(net.availability_zone_ids, net.az_count):
            yield Problem(f"{base}.availabilityZoneIds", problem)
    if net.existing is not None and net.existing.cidr is None and config.load_balancer_controller:
        yield Problem(
            f"{base}.existing.cidr",
            "required with a load balancer (an endpoint's or the registry's loadBalancer, or "
            "cluster.loadBalancerController): give the existing VPC's IPv4 CIDR",
        )
    if net.existing is not None and len(net.existing.private_subnet_ids) < net.az_count:
        yield Problem(
            f"{base}.existing.privateSubnetIds",
            f"needs one subnet per AZ: at least azCount={net.az_count} (got {len(net.existing.private_subnet_ids)})",
        )


def _check_cluster(config: PlatformConfig) -> Iterable[Problem]:
    cluster = config.cluster
    base = f"{CONFIG_KEY}.cluster"
    if cluster.endpoint_public_access and not cluster.public_access_cidrs:
        yield Problem(
            f"{base}.publicAccessCidrs",
            "required when endpointPublicAccess is true: list the CIDRs allowed to reach the API",
        )
    if not cluster.endpoint_public_access and cluster.public_access_cidrs:
        yield Problem(f"{base}.publicAccessCidrs", "only allowed with endpointPublicAccess: true")
    for index, cidr in enumerate(cluster.public_access_cidrs):
        if config.is_prod and ipaddress.IPv4Network(cidr).prefixlen == 0:
            yield Problem(f"{base}.publicAccessCidrs[{index}]", "0.0.0.0/0 is not allowed in prod")
    for index, cidr in enumerate(cluster.public_access_cidrs):
        if documentation_only(cidr):
            yield Problem(
                f"{base}.publicAccessCidrs[{index}]",
                f"{cidr} is a documentation range (RFC 5737): nobody connects from it; set the egress CIDR of "
                "your office or VPN, or use endpointPublicAccess: false and apiAccessCidrs for in-VPC runners",
            )
    for index, cidr in enumerate(cluster.api_access_cidrs):
        if admits_public_addresses(cidr):
            yield Problem(
                f"{base}.apiAccessCidrs[{index}]",
                f"{cidr} is not a private range: the private endpoint is reached from inside the VPC or a network "
                "connected to it (RFC 1918 addresses)",
            )
        if cidr in cluster.api_access_cidrs[:index]:
            first = cluster.api_access_cidrs.index(cidr)
            yield Problem(
                f"{base}.apiAccessCidrs[{index}]",
                f"{cidr} is already apiAccessCidrs[{first}]: each range gets one security group rule, so name it once",
            )
    broad = too_broad(cluster.public_access_cidrs)
    if config.is_prod and broad and "0.0.0.0/0" not in cluster.public_access_cidrs:
        yield Problem(
            f"{base}.publicAccessCidrs",
            f"may admit at most a /{BROADEST_PUBLIC_PREFIX} of public addresses in total in prod ({broad})",
        )
    yield from _check_cluster_access(config)


def _check_cluster_access(config: PlatformConfig) -> Iterable[Problem]:
    """Someone must reach a cluster created without the creator's implicit admin access, and no
    principal gets two access entries."""
    cluster = config.cluster
    for argument, message in access_principal_problems(
        cluster.admin_role_arns, cluster.view_role_arns, cluster.deploy_role_arn, cluster.creator_admin
    ):
        text = message
        for snake in ("admin_role_arns", "view_role_arns", "deploy_role_arn", "creator_admin"):
            text = text.replace(snake, to_camel(snake))
        yield Problem(f"{CONFIG_KEY}.cluster.{to_camel(argument)}", text)
    others = [*cluster.admin_role_arns, *cluster.view_role_arns, *filter(None, [cluster.deploy_role_arn])]
    for message in preview_role_problems(cluster.preview_role_arns, others):
        yield Problem(f"{CONFIG_KEY}.cluster.previewRoleArns", message)
    # A missing cluster section is named itself: the problem path must lead into the stack file.
    key = f"{CONFIG_KEY}.cluster" + (".deployRoleArn" if "cluster" in config.model_fields_set else "")
    if config.is_prod and cluster.deploy_role_arn is None:
        yield Problem(
            key,
            "required in prod: the role CI deploys with (an IAM role ARN), granted cluster access through an "
            "access entry",
        )
    elif not cluster.creator_admin and cluster.deploy_role_arn is None and not cluster.admin_role_arns:
        yield Problem(
            key,
            "required (or adminRoleArns): without creatorAdmin only access entries reach the cluster, and the "
            "role running pulumi up needs one",
        )


def _check_pools(config: PlatformConfig) -> Iterable[Problem]:
    for index, pool in enumerate(config.gpu_pools):
        if pool.max_size < pool.min_size:
            yield Problem(
                f"{CONFIG_KEY}.gpuPools[{index}].maxSize",
                f"must be >= minSize (got {pool.max_size} < {pool.min_size})",
            )
        base = f"{CONFIG_KEY}.gpuPools[{index}]"
        if len(set(pool.instance_types)) != len(pool.instance_types):
            yield Problem(f"{base}.instanceTypes", "must not repeat an instance type")
        for position, instance_type in enumerate(pool.instance_types):
            problem = catalog.instance_problems(instance_type)
            if problem:
                yield Problem(f"{base}.instanceTypes[{position}]", problem)
        for problem in catalog.pool_problems(pool.instance_types, pool.os):
            yield Problem(f"{base}.instanceTypes", problem)
        if pool.spot_discount is not None and pool.capacity_type != "SPOT":
            yield Problem(f"{base}.spotDiscount", "only applies to capacityType SPOT")
    cluster = config.cluster
    if cluster.system_max_size < cluster.system_min_size:
        yield Problem(
            f"{CONFIG_KEY}.cluster.systemMaxSize",
            f"must be >= systemMinSize (got {cluster.system_max_size} < {cluster.system_min_size})",
        )
    if config.is_prod and config.monitoring.enabled and cluster.system_min_size < HA_REPLICAS:
        yield Problem(
            f"{CONFIG_KEY}.cluster.systemMinSize",
            f"must be >= {HA_REPLICAS} in prod: its {HA_REPLICAS} Prometheus and Alertmanager replicas each need a "
            f"system node of their own (got {cluster.system_min_size})",
        )


def _check_karpenter_pools(config: PlatformConfig) -> Iterable[Problem]:
    karpenter_only = {
        "ami_version": "amiVersion",
        "consolidate_after": "consolidateAfter",
        "expire_after": "expireAfter",
    }
    for index, pool in enumerate(config.gpu_pools):
        base = f"{CONFIG_KEY}.gpuPools[{index}]"
        if pool.provisioner == "managed":
            for field, key in karpenter_only.items():
                if getattr(pool, field) is not None:
                    yield Problem(f"{base}.{key}", "only applies to provisioner karpenter")
            continue
        if not config.cluster.karpenter:
            yield Problem(f"{base}.provisioner", "karpenter needs cluster.karpenter: true (the cluster installs it)")
        if pool.min_size != 0:
            yield Problem(
                f"{base}.minSize", "must be 0 with provisioner karpenter (it launches nodes for pending pods)"
            )
        if pool.ami_version == "latest" and config.is_prod:
            release = pins.KARPENTER_AMI_VERSIONS.get(pool.os.value, "v<release>")
            yield Problem(f"{base}.amiVersion", f"latest is not allowed in prod: pin an AMI release such as {release}")
        if pool.ami_version is None and pool.os.value not in pins.KARPENTER_AMI_VERSIONS:
            yield Problem(f"{base}.amiVersion", f"required for os {pool.os.value} (no pinned release)")


def _check_endpoints(config: PlatformConfig) -> Iterable[Problem]:
    pools = {pool.name: pool for pool in config.gpu_pools}
    buckets = {bucket.name for bucket in config.buckets}
    registries = {registry.name: registry for registry in config.registries}
    for index, endpoint in enumerate(config.endpoints):
        base = f"{CONFIG_KEY}.endpoints[{index}]"
        pool = pools.get(endpoint.pool)
        if pool is None:
            yield Problem(f"{base}.pool", f"unknown GPU pool {endpoint.pool!r}; defined: {_names(set(pools))}")
        elif all(t in catalog.accelerated() for t in pool.instance_types) and not catalog.pool_problems(
            pool.instance_types, pool.os
        ):
            per_node = catalog.accelerators_per_node(pool.instance_types)
            if endpoint.gpus > per_node:
                yield Problem(
                    f"{base}.gpus",
                    f"pool {pool.name!r} nodes have {per_node} accelerator(s); a pod cannot request {endpoint.gpus}",
                )
        yield from _check_model_source(config, endpoint, base, buckets)
        if endpoint.image is not None and endpoint.registry is not None:
            yield Problem(f"{base}.image", "set one of image or registry, not both")
        if endpoint.image is None and endpoint.registry is None and endpoint.runtime is Runtime.CUSTOM:
            yield Problem(f"{base}.image", "runtime custom needs an image or a registry")
        yield from _check_autoscaling(endpoint, base)
        if endpoint.registry is not None:
            registry = registries.get(endpoint.registry)
            if registry is None:
                yield Problem(
                    f"{base}.registry",
                    f"unknown registry {endpoint.registry!r}; defined: {_names(set(registries))}",
                )
            elif registry.build is None:
                yield Problem(f"{base}.registry", f"registry {endpoint.registry!r} builds no image; give it a build")
        if endpoint.max_replicas is not None and endpoint.max_replicas < endpoint.replicas:
            yield Problem(
                f"{base}.maxReplicas",
                f"must be >= replicas (got {endpoint.max_replicas} < {endpoint.replicas})",
            )
        if pool is not None:
            yield from _check_rollout_capacity(endpoint, pool, base)
        if endpoint.canaried(config.is_prod):
            default = "" if endpoint.canary else f" (canary is on by default in {config.environment.value})"
            for key, problem in delivery.canary_rollout_problems(endpoint.rollout, endpoint.replicas):
                yield Problem(f"{base}.{key}", f"{problem}{default}; or set canary: false")
            yield from _check_canary_source(endpoint, base, default)
        if endpoint.model_id is not None and endpoint.runtime is not Runtime.VLLM:
            yield Problem(f"{base}.modelId", "only for runtime vllm")
        if endpoint.load_balancer == "internet-facing" and not endpoint.allow_internet_facing:
            yield Problem(f"{base}.loadBalancer", "internet-facing needs allowInternetFacing: true")
        if pool is not None:
            for key, problem in catalog.node_fit_problems(pool.instance_types, endpoint.cpu, endpoint.memory):
                yield Problem(f"{base}.{key}", problem)
        copies = endpoint.model is None and endpoint.runtime is not Runtime.TRITON and endpoint.model_id is None
        if copies and config.is_prod and config.model_copier_registry is None:
            yield Problem(
                f"{CONFIG_KEY}.modelCopierRegistry",
                f"required in prod: endpoints[{index}] copies its model with an image that must be "
                "digest-pinned from your registry",
            )
        if config.is_prod:
            if endpoint.replicas < 2:
                yield Problem(f"{base}.replicas", f"must be >= 2 in prod (got {endpoint.replicas})")
            if endpoint.registry is None and image_digest(endpoint.image or "") is None:
                yield Problem(
                    f"{base}.image",
                    "must be pinned by digest (repo@sha256:...) in prod, or served from a registry",
                )


def _check_autoscaling(endpoint: EndpointConfig, base: str) -> Iterable[Problem]:
    """The autoscaling metric fits its type (:func:`components.autoscaling.autoscaling_metric_problems`)
    and has a ceiling; ``metricTypes`` only for custom images."""
    if endpoint.autoscaling_metric is not None:
        declared = {
            endpoint.requests_metric: "counter",
            endpoint.latency_histogram: "histogram",
            **endpoint.metric_types,
        }
        for problem in autoscaling_metric_problems(
            endpoint.runtime.value, endpoint.autoscaling_metric, declared, "autoscalingMetric", "metricTypes"
        ):
            yield Problem(f"{base}.autoscalingMetric", problem)
        if endpoint.max_replicas is None:
            yield Problem(f"{base}.autoscalingMetric", "needs maxReplicas (the most replicas it may scale to)")
    if endpoint.metric_types and endpoint.runtime is not Runtime.CUSTOM:
        yield Problem(
            f"{base}.metricTypes", f"only for runtime custom ({endpoint.runtime.value}'s come from its catalogue)"
        )


def _check_canary_source(endpoint: EndpointConfig, base: str, default: str) -> Iterable[Problem]:
    """A canaried endpoint's template names a pinned model (:func:`components.delivery.canary_source_problem`);
    a published one without a version is refused by :func:`_check_model_source` already."""
    problem: str | None = None
    if endpoint.model is not None:
        model = endpoint.model
        if not endpoint.published:
            problem = delivery.canary_source_problem(
                "registered", model.version is not None, alias=model.alias or "", endpoint=endpoint.name
            )
        key = "model.version"
    elif endpoint.model_id is not None:
        problem = delivery.canary_source_problem("hub", False, model_id=endpoint.model_id)
        key = "modelId"
    else:
        if endpoint.model_prefix is not None:
            problem = delivery.canary_source_problem(
                "bucket", endpoint.model_version is not None, prefix=endpoint.model_prefix
            )
        key = "modelVersion"
    if problem:
        yield Problem(f"{base}.{key}", f"{problem}{default}")


def _check_rollout_capacity(endpoint: EndpointConfig, pool: GpuPoolConfig, base: str) -> Iterable[Problem]:
    """A rollout at maxReplicas fits the pool at maxSize: a surge pod needs a free slot, and a
    slot is a node's accelerators divided by the pod's (a 4-GPU pod fills a 4-GPU node)."""
    if any(t not in catalog.accelerated() for t in pool.instance_types) or catalog.pool_problems(
        pool.instance_types, pool.os
    ):
        return
    per_node = catalog.accelerators_per_node(pool.instance_types) // endpoint.gpus
    if per_node < 1:
        return  # the gpus check says so
    most = endpoint.max_replicas if endpoint.max_replicas is not None else endpoint.replicas
    surge = 1 if endpoint.rollout == "surge" else 0
    capacity = pool.max_size * per_node
    if most + surge > capacity:
        key = "maxReplicas" if endpoint.max_replicas is not None else "replicas"
        yield Problem(
            f"{base}.{key}",
            f"{key} {most}{' plus a surge pod' if surge else ''} needs {most + surge} pods of {endpoint.gpus} GPU(s), "
            f"but pool {pool.name!r} holds {capacity} ({pool.max_size} nodes x {per_node} per node): every rollout "
            "would wait for a node that never comes. Lower it, raise the pool's maxSize, or set rollout: replace "
            "(one replica less during a rollout) or recreate (downtime, and canary: false)",
        )


def _check_model_source(
    config: PlatformConfig, endpoint: EndpointConfig, base: str, buckets: set[str]
) -> Iterable[Problem]:
    """A bucket and prefix, or a registered model of a defined registry, by version or alias."""
    model = endpoint.model
    if model is None:
        if endpoint.bucket is None or endpoint.model_prefix is None:
            yield Problem(base, "needs bucket and modelPrefix, or model (a registered model)")
        elif endpoint.bucket not in buckets:
            yield Problem(f"{base}.bucket", f"unknown bucket {endpoint.bucket!r}; defined: {_names(buckets)}")
        if endpoint.model_version is not None and endpoint.model_id is not None:
            yield Problem(f"{base}.modelVersion", "not with modelId: it is a directory under modelPrefix")
        return
    for key, value in (
        ("bucket", endpoint.bucket),
        ("modelPrefix", endpoint.model_prefix),
        ("modelId", endpoint.model_id),
        ("modelVersion", endpoint.model_version),
    ):
        if value is not None:
            yield Problem(f"{base}.{key}", "not with model: the registered model is the model source")
    registries = {config.model_registry.name} if config.model_registry is not None else set[str]()
    if model.registry not in registries:
        yield Problem(
            f"{base}.model.registry", f"unknown model registry {model.registry!r}; defined: {_names(registries)}"
        )
    if model.version is None and model.alias is None:
        yield Problem(f"{base}.model", "needs version (and optionally the alias it pins)")
    elif model.version is None and endpoint.published:
        yield Problem(
            f"{base}.model.version",
            f"required when published: pods never resolve alias {model.alias!r}; pin it with "
            f"`mlops promote --stack STACK --endpoint {endpoint.name}`",
        )


def _check_model_registry(config: PlatformConfig) -> Iterable[Problem]:
    registry = config.model_registry
    if registry is None:
        return
    base = f"{CONFIG_KEY}.modelRegistry"
    if registry.bucket not in {b.name for b in config.buckets}:
        yield Problem(
            f"{base}.bucket", f"unknown bucket {registry.bucket!r}; defined: {_names({b.name for b in config.buckets})}"
        )
    if registry.max_storage_gib < registry.storage_gib:
        yield Problem(
            f"{base}.maxStorageGib", f"must be >= storageGib (got {registry.max_storage_gib} < {registry.storage_gib})"
        )
    backups = registry.backups(config.is_prod)
    if backups < 1:
        yield Problem(
            f"{base}.backupRetentionDays", "must be >= 1: 0 turns off automated backups and point-in-time recovery"
        )
    elif config.is_prod and backups < 7:
        yield Problem(f"{base}.backupRetentionDays", f"must be >= 7 in prod (got {backups})")
    if registry.image is not None and registry.registry is not None:
        yield Problem(f"{base}.image", "set one of image or registry, not both")
    if registry.registry is not None:
        built = {r.name for r in config.registries if r.build is not None}
        if registry.registry not in built:
            yield Problem(
                f"{base}.registry",
                f"must name a registry with a build (got {registry.registry!r}); defined: {_names(built)}",
            )
    if config.is_prod:
        if registry.multi_az is False:
            yield Problem(f"{base}.multiAz", "must be true in prod (a standby in another zone)")
        if registry.replicas is not None and registry.replicas < 2:
            yield Problem(f"{base}.replicas", f"must be >= 2 in prod (got {registry.replicas})")
        if registry.registry is None and image_digest(registry.image or "") is None:
            yield Problem(
                f"{base}.image", "must be pinned by digest (repo@sha256:...) in prod, or built into a registry"
            )


def _check_alert_receivers(config: PlatformConfig) -> Iterable[Problem]:
    """Prod alerts reach a person: the CloudWatch alarms and the GPU budget notify only the SNS
    topic, so it needs a subscriber; Slack and PagerDuty keys serve Alertmanager only."""
    monitoring = config.monitoring
    if not config.is_prod or not monitoring.enabled:
        return
    base = f"{CONFIG_KEY}.monitoring"
    subscribers = bool(monitoring.alert_emails or monitoring.alert_https_endpoints)
    if not subscribers and monitoring.slack_channel is None and not monitoring.pagerduty:
        yield Problem(
            base,
            "prod needs an alert receiver: alertEmails, alertHttpsEndpoints, slackChannel or pagerduty",
        )
    elif not subscribers:
        yield Problem(
            f"{base}.alertEmails",
            "required in prod (or alertHttpsEndpoints): the CloudWatch alarms and the GPU budget notify only the "
            "alert topic, which Slack and PagerDuty (Alertmanager's receivers) do not subscribe to",
        )


def _check_model_copier(config: PlatformConfig) -> Iterable[Problem]:
    name = config.model_copier_registry
    if name is None:
        return
    registry = next((r for r in config.registries if r.name == name), None)
    if registry is None or registry.build is None:
        yield Problem(
            f"{CONFIG_KEY}.modelCopierRegistry",
            f"must name a registry with a build (got {name!r}); defined: "
            f"{_names({r.name for r in config.registries if r.build is not None})}",
        )


def _check_build_contexts(config: PlatformConfig, root: Path) -> Iterable[Problem]:
    """Build contexts are directories and Dockerfiles files inside the project root, once every
    symlink is resolved: a context of ``/etc``, ``../..`` or a link out of the project would be
    read whole (hashed for the tag) and sent to the image builder."""
    project = root.resolve()
    for index, registry in enumerate(config.registries):
        if registry.build is None:
            continue
        base = f"{CONFIG_KEY}.registries[{index}].build"
        context = (root / registry.build.context).resolve()
        if not context.is_relative_to(project):
            yield Problem(
                f"{base}.context",
                f"must lie inside the project root {project} ({registry.build.context!r} is {context})",
            )
            continue
        if not _is(context, Path.is_dir):
            yield Problem(
                f"{base}.context",
                f"must be a directory relative to the project root {root} (got {registry.build.context!r})",
            )
            continue
        dockerfile = (context / registry.build.dockerfile).resolve()
        if not dockerfile.is_relative_to(project):
            yield Problem(
                f"{base}.dockerfile",
                f"must lie inside the project root {project} ({registry.build.dockerfile!r} is {dockerfile})",
            )
        elif not _is(dockerfile, Path.is_file):
            yield Problem(
                f"{base}.dockerfile", f"must be a file in the build context (got {registry.build.dockerfile!r})"
            )


def _is(path: Path, kind: Callable[[Path], bool]) -> bool:
    """``kind(path)``, false where the file system refuses the name (too long, not a directory)."""
    try:
        return kind(path)
    except OSError:
        return False


def _names(names: set[str]) -> str:
    return ", ".join(sorted(names)) or "none"


def _problem(error: Mapping[str, Any]) -> Problem:
    loc: tuple[str | int, ...] = tuple(error["loc"])
    path = CONFIG_KEY + "".join(_path_part(part) for part in loc)
    kind = error["type"]
    if kind == "extra_forbidden":
        allowed = _allowed_keys(loc[:-1])
        return Problem(path, f"unknown key; allowed keys: {', '.join(allowed)}")
    if kind == "missing":
        return Problem(path, "required")
    if kind in _TYPE_MESSAGES:
        return Problem(path, f"{_TYPE_MESSAGES[kind]}, not {_json_kind(error.get('input'))}")
    message = str(error["msg"]).removeprefix("Value error, ")
    if "input" in error and not isinstance(error["input"], dict | list):
        message += f" (got {_spelled(error['input'])})"
    return Problem(path, message)


_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _path_part(part: str | int) -> str:
    """``[1]``, ``.maxSize``, or a JSON-quoted ``["odd key"]`` (one problem stays one line)."""
    if isinstance(part, int):
        return f"[{part}]"
    return f".{part}" if _PLAIN_KEY.match(part) else f"[{json.dumps(part)}]"


def _spelled(value: object) -> str:
    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)


_TYPE_MESSAGES = {
    "int_type": "must be an integer",
    "int_from_float": "must be an integer",
    "float_type": "must be a number",
    "bool_type": "must be true or false",
    "string_type": "must be a string (quote it in YAML)",
    "list_type": "must be a list",
    "dict_type": "must be a mapping",
    "model_type": "must be a mapping",
    "model_attributes_type": "must be a mapping",
}
"""pydantic's type errors, in the words of the stack file."""


def _json_kind(value: object) -> str:
    """How a YAML/JSON value reads: ``a boolean (true)``, ``a number (2.5)``, ``a string ("x")``."""
    if isinstance(value, bool):
        return f"a boolean ({json.dumps(value)})"
    if isinstance(value, int | float):
        return f"a number ({value!r})"
    if isinstance(value, str):
        return f"a string ({json.dumps(value)})"
    if value is None:
        return "null"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _allowed_keys(loc: tuple[str | int, ...]) -> list[str]:
    """The keys a model accepts at ``loc``; walks the model tree along the path."""
    model: Any = PlatformConfig
    for part in loc:
        if isinstance(part, int):
            continue
        field = next(f for n, f in model.model_fields.items() if (f.alias or n) == part)
        model = _model_of(field.annotation)
    return sorted(f.alias or n for n, f in model.model_fields.items())


def _model_of(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) is not None or get_args(annotation):
        for arg in get_args(annotation):
            found = _model_of(arg)
            if found is not None:
                return found
    return None


PLATFORM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease", "keda", "karpenter")
"""Namespaces of the cluster and its controllers: never a team's."""


MONITORING_NAMESPACE = "monitoring"
"""Where the stack runs its MonitoringStack (the component's default)."""


def platform_namespaces(config: PlatformConfig) -> set[str]:
    """Namespaces the platform owns: the cluster's, monitoring's, the registry's and its endpoints'."""
    owned = {*PLATFORM_NAMESPACES, *(e.namespace for e in config.endpoints)}
    if config.monitoring.enabled:
        owned.add(MONITORING_NAMESPACE)
    if config.model_registry is not None:
        owned.add(config.model_registry.namespace)
    return owned


def _check_teams(config: PlatformConfig) -> Iterable[Problem]:
    """Each namespace, deployer role and bucket prefix belongs to one team and to no platform part."""
    owned = platform_namespaces(config)
    cluster = config.cluster
    cluster_roles = {*cluster.admin_role_arns, *cluster.view_role_arns, *filter(None, [cluster.deploy_role_arn])}
    buckets = {b.name for b in config.buckets}
    namespace_of: dict[str, str] = {}
    role_of: dict[str, str] = {}
    prefixes: list[tuple[str, str, str]] = []  # (bucket, prefix, owner)
    if config.model_registry is not None:
        prefixes.append((config.model_registry.bucket, config.model_registry.artifact_prefix, "modelRegistry"))
    for index, team in enumerate(config.teams):
        base = f"{CONFIG_KEY}.teams[{index}]"
        for n, namespace in enumerate(team.namespaces):
            if namespace in owned:
                yield Problem(
                    f"{base}.namespaces[{n}]",
                    f"{namespace!r} is the platform's (it owns {_names(owned)}): a team gets namespaces of its own",
                )
            elif namespace in namespace_of:
                yield Problem(f"{base}.namespaces[{n}]", f"{namespace!r} is already {namespace_of[namespace]}'s")
            else:
                namespace_of[namespace] = f"team {team.name}"
        for r, arn in enumerate(team.deployer_role_arns):
            if arn in cluster_roles:
                yield Problem(
                    f"{base}.deployerRoleArns[{r}]",
                    f"{arn} already has cluster-wide access (cluster.adminRoleArns, viewRoleArns or deployRoleArn); "
                    "a role gets one access entry, and a team's is scoped to its namespaces",
                )
            elif arn in role_of:
                yield Problem(f"{base}.deployerRoleArns[{r}]", f"{arn} already deploys for {role_of[arn]}")
            else:
                role_of[arn] = f"team {team.name}"
        for p, grant in enumerate(team.bucket_prefixes):
            if grant.bucket not in buckets:
                yield Problem(
                    f"{base}.bucketPrefixes[{p}].bucket",
                    f"unknown bucket {grant.bucket!r}; defined: {_names(buckets)}",
                )
                continue
            for bucket, prefix, owner in prefixes:
                if bucket == grant.bucket and (prefix.startswith(grant.prefix) or grant.prefix.startswith(prefix)):
                    yield Problem(
                        f"{base}.bucketPrefixes[{p}].prefix",
                        f"{grant.prefix!r} overlaps {owner}'s {prefix!r} in bucket {bucket!r}: a prefix has one owner",
                    )
                    break
            else:
                prefixes.append((grant.bucket, grant.prefix, f"team {team.name}"))

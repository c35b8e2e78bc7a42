"""GpuNodePool: GPU or Neuron nodes that scale from zero, provisioned one of two ways.

- ``provisioner: managed`` (default): an EKS managed node group scaled by the
  cluster-autoscaler. The AMI type follows from the instance types, the autoscaler owns the
  desired size, and the Auto Scaling group carries the node-template tags that let a pool at
  zero nodes be scaled up. Children: ``node-role`` (+ one attachment per managed policy),
  ``launch-template``, ``node-group`` and one ``ca-<tag>`` Auto Scaling group tag per entry.
- ``provisioner: karpenter``: a Karpenter ``NodePool`` + ``EC2NodeClass`` (the cluster must run
  :class:`~components.karpenter.Karpenter`). Karpenter launches the cheapest allowed instance
  type for pending pods directly, prefers spot and falls back to on-demand when the pool allows
  spot, and removes empty or underused nodes. Children: ``node-class`` and ``node-pool``.

Either way the accelerator taint and labels are always set, volumes are encrypted gp3 and
IMDSv2 is required (hop limit 1 by default); a Karpenter pool is bounded by limits on nodes,
accelerators, CPU and memory (``max_size`` nodes of its largest type), uses an AMI alias pinned
in :data:`components.pins.KARPENTER_AMI_VERSIONS` unless told otherwise, disrupts one node at a
time, and respects the PodDisruptionBudgets of the endpoints on it.
"""

import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal, NotRequired, TypedDict, cast, get_args

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components import catalog, pins
from components.aws_tags import NODE_TEMPLATE, node_template_key_problems
from components.catalog import NodeOs
from components.errors import checked_arguments, refuse, with_defaults
from components.karpenter import KarpenterWiring
from components.naming import slug
from components.node_group import DESIRED_SIZE, launch_template, node_role, root_device

Provisioner = Literal["managed", "karpenter"]
PROVISIONERS: tuple[Provisioner, ...] = get_args(Provisioner)
CapacityType = Literal["ON_DEMAND", "SPOT"]
"""EKS managed node group capacity types (botocore's ``eks`` ``CapacityTypes``, the request's values)."""
CAPACITY_TYPES: tuple[CapacityType, ...] = get_args(CapacityType)
TaintEffect = Literal["NO_SCHEDULE", "NO_EXECUTE", "PREFER_NO_SCHEDULE"]
"""Kubernetes taint effects in the spelling the EKS API uses."""
DEFAULT_TAINT_EFFECT: TaintEffect = "NO_SCHEDULE"
ImdsHopLimit = Literal[1, 2]
"""1 keeps pods off the node role's credentials; 2 lets agents in containers reach IMDS."""
IMDS_HOP_LIMITS: tuple[ImdsHopLimit, ...] = get_args(ImdsHopLimit)
MAX_SPOT_DISCOUNT = 0.9
NODE_POOL_API = "karpenter.sh/v1"
NODE_CLASS_API = "karpenter.k8s.aws/v1"
DURATION = re.compile(r"^([0-9]+(s|m|h))+$")
"""A Karpenter duration (``30s``, ``10m``, ``720h``, ``1h30m``)."""
AMI_VERSION = re.compile(r"^(latest|v[0-9][0-9.]*)$")
SPOT_DISCOUNT_ANNOTATION = catalog.SPOT_DISCOUNT_TAG
"""NodePool annotation with the expected spot discount the cost estimate applies."""


class PoolTaint(TypedDict):
    """An extra node taint."""

    key: str
    """Taint key."""
    value: NotRequired[str]
    """Taint value (default empty)."""
    effect: NotRequired[str]
    """``NO_SCHEDULE`` (default), ``NO_EXECUTE`` or ``PREFER_NO_SCHEDULE``."""


class GpuNodePoolArgs(TypedDict):
    """Arguments of :class:`GpuNodePool`."""

    cluster_name: pulumi.Input[str]
    """EKS cluster the pool joins."""
    node_security_group_id: pulumi.Input[str]
    """Security group of the nodes (the cluster security group)."""
    subnet_ids: Sequence[pulumi.Input[str]]
    """Private subnets the nodes run in."""
    instance_types: Sequence[str]
    """Instance types from the catalog; one architecture, accelerator and accelerator count."""
    max_size: int
    """Maximum nodes the autoscaler may run."""
    min_size: NotRequired[int]
    """Minimum nodes; 0 lets the pool scale to zero when idle."""
    capacity_type: NotRequired[str]
    """``ON_DEMAND`` or ``SPOT``. A spot pool should list several instance types, for capacity."""
    os: NotRequired[str]
    """``al2023`` or ``bottlerocket`` (NVIDIA only)."""
    disk_size_gib: NotRequired[int]
    """Size in GiB of the encrypted gp3 volume for images and pods."""
    imds_hop_limit: NotRequired[int]
    """IMDSv2 hop limit: 1 keeps pods from the node role; 2 is for agents that need it."""
    labels: NotRequired[Mapping[str, str]]
    """Extra node labels."""
    taints: NotRequired[Sequence[PoolTaint]]
    """Extra node taints (the accelerator taint is always set)."""
    max_unavailable: NotRequired[int]
    """Nodes replaced at once during an update."""
    spot_discount: NotRequired[float]
    """Expected spot discount for the cost estimate (0-0.9); spot is priced at on-demand without it."""
    tags: NotRequired[Mapping[str, str]]
    """Tags for the instances and volumes (provider default tags do not reach them)."""
    provisioner: NotRequired[str]
    """``managed`` (a managed node group and the cluster-autoscaler) or ``karpenter``
    (a NodePool + EC2NodeClass; needs ``karpenter`` and the Kubernetes provider in opts)."""
    karpenter: NotRequired[KarpenterWiring]
    """The cluster's Karpenter (``Cluster.for_node_pools()`` gives it when the cluster runs one)."""
    ami_version: NotRequired[str]
    """Karpenter only: the EKS AMI release of the ``amiSelectorTerms`` alias (default: the pin in
    :data:`components.pins.KARPENTER_AMI_VERSIONS`); ``latest`` drifts to every new AMI (dev only)."""
    consolidate_after: NotRequired[str]
    """Karpenter only: how long a node stays empty or underused before it is removed."""
    expire_after: NotRequired[str]
    """Karpenter only: node lifetime before it is replaced, for rotation."""
    termination_grace_period: NotRequired[str]
    """Karpenter only: how long a draining node waits for PodDisruptionBudgets before it
    deletes what is left. It is bounded, so an expiry cannot hang forever."""


class _Defaults(TypedDict):
    min_size: int
    capacity_type: CapacityType
    os: str
    disk_size_gib: int
    imds_hop_limit: ImdsHopLimit
    labels: Mapping[str, str]
    taints: Sequence[PoolTaint]
    max_unavailable: int
    tags: Mapping[str, str]
    provisioner: Provisioner
    consolidate_after: str
    expire_after: str
    termination_grace_period: str


DEFAULTS: _Defaults = {
    "min_size": 0,
    "capacity_type": "ON_DEMAND",
    "os": NodeOs.AL2023.value,
    "disk_size_gib": 100,
    "imds_hop_limit": 1,
    "labels": {},
    "taints": (),
    "max_unavailable": 1,
    "tags": {},
    "provisioner": "managed",
    "consolidate_after": "10m",
    "expire_after": "720h",
    "termination_grace_period": "2h",
}
"""What each optional argument of :class:`GpuNodePool` is when it is not given (the stack config's
``gpuPools[]`` entries take their defaults from here). A pool without ``ami_version`` uses the
release pinned for its OS in :data:`components.pins.KARPENTER_AMI_VERSIONS`."""


def validate_pool(given: GpuNodePoolArgs) -> list[str]:
    """Everything wrong with the arguments (empty when valid), all at once: the wrong-typed ones
    are named first, the checks below read the rest."""
    problems, args, settings = checked_arguments(given, GpuNodePoolArgs, DEFAULTS)
    types = list(args["instance_types"])
    problems += [p for p in (catalog.instance_problems(t) for t in types) if p]
    os = NodeOs(settings["os"])
    problems += catalog.pool_problems(types, os)
    min_size, max_size = settings["min_size"], cast(int | None, args.get("max_size"))  # None: wrong-typed
    if max_size is not None and not 0 <= min_size <= max_size:
        problems.append(f"min_size must be 0..max_size (got {min_size}, max_size {max_size})")
    if settings["capacity_type"] not in CAPACITY_TYPES:
        problems.append(f"capacity_type must be ON_DEMAND or SPOT (got {settings['capacity_type']!r})")
    if settings["imds_hop_limit"] not in IMDS_HOP_LIMITS:
        problems.append(f"imds_hop_limit must be 1 or 2 (got {settings['imds_hop_limit']})")
    if not 0 <= args.get("spot_discount", 0.0) <= MAX_SPOT_DISCOUNT:
        problems.append(f"spot_discount must be 0-{MAX_SPOT_DISCOUNT} (got {args.get('spot_discount')})")
    provisioner = settings["provisioner"]
    if provisioner not in PROVISIONERS:
        problems.append(f"provisioner must be managed or karpenter (got {provisioner!r})")
    elif provisioner == "karpenter":
        problems += karpenter_problems(args, settings, os)
    else:
        karpenter_only = ("ami_version", "consolidate_after", "expire_after", "termination_grace_period")
        problems += [f"{key} applies to provisioner karpenter only" for key in karpenter_only if key in args]
        problems += [
            f"labels {key!r}: {p}" for key in settings["labels"] for p in node_template_key_problems("label", key)
        ]
        problems += [
            f"taints {t['key']!r}: {p}"
            for t in settings["taints"]
            for p in node_template_key_problems("taint", t["key"])
        ]
    return problems


def karpenter_problems(args: GpuNodePoolArgs, settings: _Defaults, os: NodeOs) -> list[str]:
    """What a Karpenter pool cannot have: a minimum size (it scales from zero), a missing
    Karpenter, an AMI release it cannot name, malformed durations."""
    problems: list[str] = []
    if settings["min_size"] != 0:
        problems.append("min_size must be 0 with provisioner karpenter (it launches nodes for pending pods only)")
    if "karpenter" not in args:
        problems.append("provisioner karpenter needs the cluster's Karpenter (Cluster karpenter: True)")
    version = ami_version(args, os)
    if version is None:
        problems.append(f"ami_version is required for os {os.value} (no pinned release)")
    elif not AMI_VERSION.match(version):
        example = pins.KARPENTER_AMI_VERSIONS["al2023"]
        problems.append(f"ami_version must be latest or a release such as {example} (got {version!r})")
    durations = {
        "consolidate_after": settings["consolidate_after"],
        "expire_after": settings["expire_after"],
        "termination_grace_period": settings["termination_grace_period"],
    }
    for key, value in durations.items():
        if not DURATION.match(value):
            problems.append(f"{key} must be a duration such as 10m or 720h (got {value!r})")
    return problems


def ami_version(args: GpuNodePoolArgs, os: NodeOs) -> str | None:
    """The EKS AMI release a Karpenter pool runs: ``ami_version``, or the one pinned for its OS
    (None when the OS has no pinned release)."""
    return args.get("ami_version", pins.KARPENTER_AMI_VERSIONS.get(os.value))


def ami_alias(os: NodeOs, version: str) -> str:
    """The ``amiSelectorTerms`` alias: the EKS-optimized family at a release (``al2023@v...``).
    Karpenter picks the NVIDIA or Neuron variant of the family from the instance type."""
    return f"{os.value}@{version}"


def node_limits(instance_types: Sequence[str], max_size: int) -> dict[str, str]:
    """NodePool limits: ``max_size`` nodes of the pool's largest type, in every dimension."""
    specs = [catalog.accelerated()[t] for t in instance_types]
    resource = catalog.DEVICE_RESOURCE[specs[0].accelerator]
    return {
        "nodes": str(max_size),
        resource: str(max_size * max(s.accelerators for s in specs)),
        "cpu": str(max_size * max(s.vcpus for s in specs)),
        "memory": f"{max_size * max(s.memory_gib for s in specs)}Gi",
    }


def capacity_types(capacity_type: str) -> list[str]:
    """Karpenter capacity types: a spot pool prefers spot and falls back to on-demand."""
    return ["spot", "on-demand"] if capacity_type == "SPOT" else ["on-demand"]


def node_class_spec(
    *,
    os: NodeOs,
    ami_version: str,
    role: str,
    subnet_ids: Sequence[str],
    security_group_id: str,
    disk_size_gib: int,
    imds_hop_limit: int,
    tags: Mapping[str, str],
) -> dict[str, Any]:
    """The EC2NodeClass spec: pinned AMI alias, IMDSv2, one encrypted gp3 volume, private subnets."""
    return {
        "role": role,
        "amiSelectorTerms": [{"alias": ami_alias(os, ami_version)}],
        "subnetSelectorTerms": [{"id": subnet} for subnet in subnet_ids],
        "securityGroupSelectorTerms": [{"id": security_group_id}],
        "associatePublicIPAddress": False,
        "metadataOptions": {
            "httpEndpoint": "enabled",
            "httpProtocolIPv6": "disabled",
            "httpPutResponseHopLimit": imds_hop_limit,
            "httpTokens": "required",
        },
        "blockDeviceMappings": [
            {
                "deviceName": root_device(os is NodeOs.BOTTLEROCKET),
                "rootVolume": True,
                "ebs": {
                    "volumeSize": f"{disk_size_gib}Gi",
                    "volumeType": "gp3",
                    "encrypted": True,
                    "deleteOnTermination": True,
                },
            }
        ],
        "tags": dict(tags),
    }


def node_pool_spec(
    *,
    node_class: str,
    instance_types: Sequence[str],
    capacity_type: str,
    max_size: int,
    labels: Mapping[str, str],
    taints: Sequence[catalog.Taint],
    consolidate_after: str,
    expire_after: str,
    termination_grace_period: str,
) -> dict[str, Any]:
    """The NodePool spec: the catalog's types, the accelerator taint and labels, limits, and
    disruption one node at a time (an endpoint's PodDisruptionBudget is respected while it drains)."""
    architecture = catalog.accelerated()[instance_types[0]].architecture
    return {
        "template": {
            "metadata": {"labels": dict(labels)},
            "spec": {
                "nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": node_class},
                "requirements": [
                    {"key": "node.kubernetes.io/instance-type", "operator": "In", "values": list(instance_types)},
                    {"key": "karpenter.sh/capacity-type", "operator": "In", "values": capacity_types(capacity_type)},
                    {
                        "key": "kubernetes.io/arch",
                        "operator": "In",
                        "values": ["amd64" if architecture == "x86_64" else "arm64"],
                    },
                    {"key": "kubernetes.io/os", "operator": "In", "values": ["linux"]},
                ],
                "taints": [{"key": t.key, "value": t.value, "effect": t.kubernetes_effect} for t in taints],
                "expireAfter": expire_after,
                "terminationGracePeriod": termination_grace_period,
            },
        },
        "limits": node_limits(instance_types, max_size),
        "disruption": {
            "consolidationPolicy": "WhenEmptyOrUnderutilized",
            "consolidateAfter": consolidate_after,
            "budgets": [{"nodes": "1"}],
        },
    }


def node_taints(instance_types: Sequence[str], extra: Sequence[PoolTaint]) -> list[catalog.Taint]:
    """The accelerator taint followed by the extra ones."""
    taints = [catalog.accelerator_taint(list(instance_types))]
    taints += [catalog.Taint(t["key"], t.get("value", ""), t.get("effect", DEFAULT_TAINT_EFFECT)) for t in extra]
    return taints


def node_template_tags(
    instance_types: Sequence[str], labels: Mapping[str, str], taints: Sequence[catalog.Taint]
) -> dict[str, str]:
    """cluster-autoscaler node-template tags: what a node of this pool offers, for scale-from-zero."""
    types = list(instance_types)
    spec = catalog.accelerated()[types[0]]
    resource = catalog.DEVICE_RESOURCE[spec.accelerator]
    tags = {
        f"{NODE_TEMPLATE}/resources/{resource}": str(catalog.accelerators_per_node(types)),
        f"{NODE_TEMPLATE}/resources/cpu": str(min(catalog.accelerated()[t].vcpus for t in types)),
        f"{NODE_TEMPLATE}/resources/memory": f"{min(catalog.accelerated()[t].memory_gib for t in types)}Gi",
    }
    tags.update({f"{NODE_TEMPLATE}/label/{key}": value for key, value in labels.items()})
    tags.update({f"{NODE_TEMPLATE}/taint/{t.key}": f"{t.value}:{t.kubernetes_effect}" for t in taints})
    return dict(sorted(tags.items()))


def _asg_name(resources: Sequence[aws.eks.outputs.NodeGroupResource]) -> str:
    groups = resources[0].autoscaling_groups or [] if resources else []
    return (groups[0].name or "") if groups else ""


class GpuNodePool(pulumi.ComponentResource):
    """GPU/Neuron nodes with taints and labels that scale from zero: a managed node group, or a
    Karpenter NodePool + EC2NodeClass (``provisioner``)."""

    provisioner: str
    """``managed`` or ``karpenter``."""
    node_group: aws.eks.NodeGroup | None
    """The managed node group (None for a Karpenter pool)."""
    ami_type: str
    """EKS AMI type chosen from the instance types and OS."""
    instance_types: list[str]
    """EC2 instance types of its nodes."""
    labels: dict[str, str]
    """Node labels (workloads select the pool with them)."""
    taints: list[catalog.Taint]
    """Node taints (workloads tolerate them)."""
    accelerators_per_node: int
    """GPUs or Neuron devices per node."""
    device_resource: str
    """Extended resource pods request (``nvidia.com/gpu`` or ``aws.amazon.com/neuron``)."""
    needs_device_plugin: bool
    """True when the AMI lacks the NVIDIA device plugin (install :class:`NvidiaDevicePlugin`)."""
    node_role_arn: pulumi.Output[str] | None
    """ARN of the nodes' IAM role (None for a Karpenter pool: its nodes use Karpenter's role)."""

    def __init__(self, name: str, args: GpuNodePoolArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        refuse("GpuNodePool", name, validate_pool(args))
        super().__init__("mlops:index:GpuNodePool", name, None, opts)
        settings = with_defaults(args, DEFAULTS)
        types = list(args["instance_types"])
        os = NodeOs(settings["os"])
        spec = catalog.accelerated()[types[0]]
        self.ami_type = catalog.ami_type(types, os)
        self.instance_types = types
        self.labels = {**catalog.pool_labels(name, types, os), **dict(settings["labels"])}
        self.taints = node_taints(types, settings["taints"])
        self.accelerators_per_node = catalog.accelerators_per_node(types)
        self.device_resource = catalog.DEVICE_RESOURCE[spec.accelerator]
        self.needs_device_plugin = catalog.needs_nvidia_device_plugin(types, os)
        self.provisioner = settings["provisioner"]
        self.node_group = None
        # The Karpenter NodePool and EC2NodeClass (None for a managed pool). Not annotated outputs:
        # the schema has no reference type for a Kubernetes custom resource.
        self._node_pool = None
        self._node_class = None
        self.node_role_arn = None
        if self.provisioner == "karpenter":
            self._karpenter(name, args, settings, os)
            self.register_outputs({"amiType": self.ami_type})
            return

        role = node_role(f"{name}-node-role", parent=self)
        template = launch_template(
            f"{name}-launch-template",
            disk_size_gib=settings["disk_size_gib"],
            imds_hop_limit=settings["imds_hop_limit"],
            security_group_id=args["node_security_group_id"],
            tags=settings["tags"],
            bottlerocket=os is NodeOs.BOTTLEROCKET,
            parent=self,
        )
        min_size = settings["min_size"]
        group_tags = {catalog.SPOT_DISCOUNT_TAG: str(args["spot_discount"])} if "spot_discount" in args else None
        self.node_group = aws.eks.NodeGroup(
            f"{name}-node-group",
            cluster_name=args["cluster_name"],
            node_role_arn=role.arn,
            subnet_ids=list(args["subnet_ids"]),
            instance_types=types,
            capacity_type=settings["capacity_type"],
            ami_type=self.ami_type,
            scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                min_size=min_size, max_size=args["max_size"], desired_size=min_size
            ),
            update_config=aws.eks.NodeGroupUpdateConfigArgs(max_unavailable=settings["max_unavailable"]),
            labels=self.labels,
            taints=[aws.eks.NodeGroupTaintArgs(key=t.key, value=t.value, effect=t.effect) for t in self.taints],
            launch_template=aws.eks.NodeGroupLaunchTemplateArgs(
                id=template.id, version=template.latest_version.apply(str)
            ),
            tags=group_tags,
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=[DESIRED_SIZE]),
        )
        asg_name = self.node_group.resources.apply(_asg_name)
        for key, value in node_template_tags(types, self.labels, self.taints).items():
            aws.autoscaling.Tag(
                f"{name}-ca-{slug(key.removeprefix(NODE_TEMPLATE + '/'))}",
                autoscaling_group_name=asg_name,
                tag=aws.autoscaling.TagTagArgs(key=key, value=value, propagate_at_launch=False),
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.node_role_arn = role.arn
        self.register_outputs({"nodeGroupArn": self.node_group.arn, "amiType": self.ami_type})

    def _karpenter(self, name: str, args: GpuNodePoolArgs, settings: _Defaults, os: NodeOs) -> None:
        wiring = args.get("karpenter")
        assert wiring is not None  # validate_pool refuses a Karpenter pool without it
        after = pulumi.ResourceOptions(parent=self, depends_on=list(wiring["releases"]))
        release = ami_version(args, os) or ""  # validate_pool refuses a pool with none
        spec = pulumi.Output.all(wiring["node_role_name"], args["node_security_group_id"], *args["subnet_ids"]).apply(
            lambda a: node_class_spec(
                os=os,
                ami_version=release,
                role=a[0],
                subnet_ids=a[2:],
                security_group_id=a[1],
                disk_size_gib=settings["disk_size_gib"],
                imds_hop_limit=settings["imds_hop_limit"],
                tags=settings["tags"],
            )
        )
        self._node_class = k8s.apiextensions.CustomResource(
            f"{name}-node-class",
            api_version=NODE_CLASS_API,
            kind="EC2NodeClass",
            metadata={"name": name},
            spec=cast(Any, spec),
            opts=after,
        )
        annotations = {SPOT_DISCOUNT_ANNOTATION: str(args["spot_discount"])} if "spot_discount" in args else {}
        self._node_pool = k8s.apiextensions.CustomResource(
            f"{name}-node-pool",
            api_version=NODE_POOL_API,
            kind="NodePool",
            metadata={"name": name, "annotations": annotations},
            spec=node_pool_spec(
                node_class=name,
                instance_types=self.instance_types,
                capacity_type=settings["capacity_type"],
                max_size=args["max_size"],
                labels=self.labels,
                taints=self.taints,
                consolidate_after=settings["consolidate_after"],
                expire_after=settings["expire_after"],
                termination_grace_period=settings["termination_grace_period"],
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*wiring["releases"], self._node_class]),
        )

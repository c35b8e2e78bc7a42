"""GpuNodePool: an EKS managed node group of GPU or Neuron instances that scales from zero.

It makes the usual GPU-pool failures impossible by construction: the AMI type follows from
the instance types, the accelerator taint and labels are always set, the autoscaler owns the
desired size, and the Auto Scaling group carries the cluster-autoscaler node-template tags
that let a pool at zero nodes be scaled up.

Children (``<name>-<suffix>``): ``node-role`` (+ one attachment per managed policy),
``launch-template``, ``node-group`` and one ``ca-<tag>`` Auto Scaling group tag per
node-template entry.
"""

from collections.abc import Mapping, Sequence
from typing import NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from components import catalog
from components.catalog import NodeOs
from components.errors import argument_type_problems
from components.naming import slug
from components.node_group import DESIRED_SIZE, launch_template, node_role

NODE_TEMPLATE = "k8s.io/cluster-autoscaler/node-template"


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
    """Minimum nodes (default 0: the pool scales to zero when idle)."""
    capacity_type: NotRequired[str]
    """``ON_DEMAND`` (default) or ``SPOT`` (list several instance types for capacity)."""
    os: NotRequired[str]
    """``al2023`` (default) or ``bottlerocket`` (NVIDIA only)."""
    disk_size_gib: NotRequired[int]
    """Encrypted gp3 volume for images and pods (default 100 GiB)."""
    imds_hop_limit: NotRequired[int]
    """IMDSv2 hop limit: 1 (default) keeps pods from the node role; 2 for agents that need it."""
    labels: NotRequired[Mapping[str, str]]
    """Extra node labels."""
    taints: NotRequired[Sequence[PoolTaint]]
    """Extra node taints (the accelerator taint is always set)."""
    max_unavailable: NotRequired[int]
    """Nodes replaced at once during an update (default 1)."""
    spot_discount: NotRequired[float]
    """Expected spot discount for the cost estimate (0-0.9); spot is priced at on-demand without it."""
    tags: NotRequired[Mapping[str, str]]
    """Tags for the instances and volumes (provider default tags do not reach them)."""


def validate_pool(args: GpuNodePoolArgs) -> list[str]:
    """Everything wrong with the arguments (empty when valid)."""
    if wrong_types := argument_type_problems(args, GpuNodePoolArgs):
        return wrong_types
    types = list(args["instance_types"])
    problems = [p for p in (catalog.instance_problems(t) for t in types) if p]
    os = NodeOs(args.get("os", NodeOs.AL2023.value))
    problems += catalog.pool_problems(types, os)
    min_size, max_size = args.get("min_size", 0), args["max_size"]
    if not 0 <= min_size <= max_size:
        problems.append(f"min_size must be 0..max_size (got {min_size}, max_size {max_size})")
    if args.get("capacity_type", "ON_DEMAND") not in ("ON_DEMAND", "SPOT"):
        problems.append(f"capacity_type must be ON_DEMAND or SPOT (got {args.get('capacity_type')!r})")
    if args.get("imds_hop_limit", 1) not in (1, 2):
        problems.append(f"imds_hop_limit must be 1 or 2 (got {args.get('imds_hop_limit')})")
    if not 0 <= args.get("spot_discount", 0.0) <= 0.9:
        problems.append(f"spot_discount must be 0-0.9 (got {args.get('spot_discount')})")
    return problems


def node_taints(instance_types: Sequence[str], extra: Sequence[PoolTaint]) -> list[catalog.Taint]:
    """The accelerator taint followed by the extra ones."""
    taints = [catalog.accelerator_taint(list(instance_types))]
    taints += [catalog.Taint(t["key"], t.get("value", ""), t.get("effect", "NO_SCHEDULE")) for t in extra]
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
    """A GPU/Neuron managed node group with taints, labels and scale-from-zero tags."""

    node_group: aws.eks.NodeGroup
    """The managed node group."""
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
    node_role_arn: pulumi.Output[str]
    """ARN of the nodes' IAM role."""

    def __init__(self, name: str, args: GpuNodePoolArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        problems = validate_pool(args)
        if problems:
            raise ValueError(f"GpuNodePool {name}: " + "; ".join(problems))
        super().__init__("mlops:index:GpuNodePool", name, None, opts)
        types = list(args["instance_types"])
        os = NodeOs(args.get("os", NodeOs.AL2023.value))
        spec = catalog.accelerated()[types[0]]
        self.ami_type = catalog.ami_type(types, os)
        self.instance_types = types
        self.labels = {**catalog.pool_labels(name, types, os), **dict(args.get("labels", {}))}
        self.taints = node_taints(types, args.get("taints", []))
        self.accelerators_per_node = catalog.accelerators_per_node(types)
        self.device_resource = catalog.DEVICE_RESOURCE[spec.accelerator]
        self.needs_device_plugin = catalog.needs_nvidia_device_plugin(types, os)

        role = node_role(f"{name}-node-role", parent=self)
        template = launch_template(
            f"{name}-launch-template",
            disk_size_gib=args.get("disk_size_gib", 100),
            imds_hop_limit=args.get("imds_hop_limit", 1),
            security_group_id=args["node_security_group_id"],
            tags=args.get("tags", {}),
            bottlerocket=os is NodeOs.BOTTLEROCKET,
            parent=self,
        )
        min_size = args.get("min_size", 0)
        group_tags = {catalog.SPOT_DISCOUNT_TAG: str(args["spot_discount"])} if "spot_discount" in args else None
        self.node_group = aws.eks.NodeGroup(
            f"{name}-node-group",
            cluster_name=args["cluster_name"],
            node_role_arn=role.arn,
            subnet_ids=list(args["subnet_ids"]),
            instance_types=types,
            capacity_type=args.get("capacity_type", "ON_DEMAND"),
            ami_type=self.ami_type,
            scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                min_size=min_size, max_size=args["max_size"], desired_size=min_size
            ),
            update_config=aws.eks.NodeGroupUpdateConfigArgs(max_unavailable=args.get("max_unavailable", 1)),
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

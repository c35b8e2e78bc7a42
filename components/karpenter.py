"""Karpenter: the node autoscaler that launches EC2 instances for pending pods directly (EC2
Fleet), without an Auto Scaling group in between, picking from every instance type and
capacity type a ``NodePool`` allows. Installed by :class:`~components.cluster.Cluster` when
asked (``karpenter: True``); GPU pools with ``provisioner: karpenter`` then render a
``NodePool`` + ``EC2NodeClass`` (:mod:`components.gpu_node_pool`).

What upstream's getting-started CloudFormation template (:data:`components.pins.KARPENTER_SOURCE`)
creates, done here: the controller's six IAM policies with the same statements, the node role
(joined through an EKS access entry of type ``EC2_LINUX``), the SQS interruption queue
(SSE, TLS only, 5-minute retention) and the EventBridge rules feeding it (spot interruption,
rebalance recommendation, instance state change, AWS Health scheduled change, capacity
reservation interruption). The controller authenticates with IRSA, runs on the system nodes
(never on a GPU node: it tolerates no accelerator taint) and its CRDs come from the
``karpenter-crd`` chart, so ``helm upgrade`` updates them.

Children (``<name>-<suffix>``): ``node-role`` (+ attachments), ``node-access``,
``interruption-queue`` (+ ``-policy``), ``rule-<event>`` and ``target-<event>``,
``controller-role``, ``policy-<part>`` (+ ``-attachment``), ``crds`` and ``controller``.
"""

import json
from collections.abc import Sequence
from typing import Any, NotRequired, TypedDict, cast

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.catalog import POOL_LABEL
from components.errors import argument_type_problems, refuse, well_typed
from components.helm import pinned_release
from components.iam import document, irsa_role
from components.node_group import node_role

NAMESPACE = "kube-system"
SERVICE_ACCOUNT = "karpenter"
SYSTEM_POOL = "system"
INTERRUPTION_EVENTS: dict[str, tuple[str, str]] = {
    "scheduled-change": ("aws.health", "AWS Health Event"),
    "spot-interruption": ("aws.ec2", "EC2 Spot Instance Interruption Warning"),
    "rebalance": ("aws.ec2", "EC2 Instance Rebalance Recommendation"),
    "instance-state-change": ("aws.ec2", "EC2 Instance State-change Notification"),
    "capacity-reservation-interruption": ("aws.ec2", "EC2 Capacity Reservation Instance Interruption Warning"),
}
"""EventBridge rules of upstream's template (source, detail-type), each sending to the queue."""
QUEUE_RETENTION_SECONDS = 300
"""Upstream's retention: an interruption message older than 5 minutes is past acting on."""


class KarpenterWiring(TypedDict):
    """What a ``provisioner: karpenter`` :class:`~components.gpu_node_pool.GpuNodePool` takes
    from the cluster's Karpenter (part of :meth:`Cluster.for_node_pools`)."""

    node_role_name: pulumi.Input[str]
    """IAM role of the nodes Karpenter launches (``EC2NodeClass.spec.role``)."""
    releases: Sequence[k8s.helm.v3.Release]
    """The CRD and controller releases: a NodePool is created after them, and deleted before
    them (the controller must be there to remove its nodes and finalizers)."""


class KarpenterArgs(TypedDict):
    """Arguments of :class:`Karpenter`."""

    cluster_name: pulumi.Input[str]
    """EKS cluster Karpenter provisions nodes for."""
    cluster_endpoint: pulumi.Input[str]
    """API server endpoint (saves the controller a DescribeCluster call at start)."""
    region: str
    """AWS region of the cluster."""
    oidc_provider_arn: pulumi.Input[str]
    """The cluster's IAM OIDC provider, which the controller role trusts (IRSA)."""
    oidc_issuer_url: pulumi.Input[str]
    """The OIDC issuer URL the trust conditions name."""
    replicas: NotRequired[int]
    """Controller replicas (default 2; one per system node at most, they refuse to share one)."""
    service_monitor: NotRequired[bool]
    """Create the chart's ServiceMonitor (needs the Prometheus operator's CRDs; default False)."""


def validate_karpenter(given: KarpenterArgs) -> list[str]:
    """Everything wrong with the arguments (empty when valid), all at once: the wrong-typed ones
    are named first, the checks below read the rest."""
    problems = argument_type_problems(given, KarpenterArgs)
    args = cast(KarpenterArgs, well_typed(given, KarpenterArgs))
    if not 1 <= args.get("replicas", 2) <= 10:
        problems.append(f"replicas must be 1..10 (got {args.get('replicas')})")
    return problems


def _owned(cluster_name: str) -> str:
    return f"kubernetes.io/cluster/{cluster_name}"


def controller_policies(
    cluster_name: str, region: str, account_id: str, partition: str, node_role_arn: str, queue_arn: str
) -> dict[str, dict[str, Any]]:
    """The controller's IAM policies by upstream's names, statement for statement as its
    getting-started template has them for the pinned version (a test compares them)."""
    ec2 = f"arn:{partition}:ec2:{region}"
    cluster_arn = f"arn:{partition}:eks:{region}:{account_id}:cluster/{cluster_name}"
    profiles = f"arn:{partition}:iam::{account_id}:instance-profile/*"
    owned = f"aws:ResourceTag/{_owned(cluster_name)}"
    launched = [f"{ec2}:*:{kind}/*" for kind in ("fleet", "instance", "volume", "network-interface")]
    launched += [f"{ec2}:*:launch-template/*", f"{ec2}:*:spot-instances-request/*"]
    request_tags = {
        f"aws:RequestTag/{_owned(cluster_name)}": "owned",
        "aws:RequestTag/eks:eks-cluster-name": cluster_name,
    }
    nodepool_tagged = {"aws:ResourceTag/karpenter.sh/nodepool": "*"}
    nodepool_requested = {"aws:RequestTag/karpenter.sh/nodepool": "*"}
    return {
        "NodeLifecyclePolicy": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AllowScopedEC2InstanceAccessActions",
                    "Effect": "Allow",
                    "Resource": [
                        f"{ec2}::image/*",
                        f"{ec2}::snapshot/*",
                        f"{ec2}:*:security-group/*",
                        f"{ec2}:*:subnet/*",
                        f"{ec2}:*:capacity-reservation/*",
                        f"{ec2}:*:placement-group/*",
                    ],
                    "Action": ["ec2:RunInstances", "ec2:CreateFleet"],
                },
                {
                    "Sid": "AllowScopedEC2LaunchTemplateAccessActions",
                    "Effect": "Allow",
                    "Resource": f"{ec2}:*:launch-template/*",
                    "Action": ["ec2:RunInstances", "ec2:CreateFleet"],
                    "Condition": {"StringEquals": {owned: "owned"}, "StringLike": nodepool_tagged},
                },
                {
                    "Sid": "AllowScopedEC2InstanceActionsWithTags",
                    "Effect": "Allow",
                    "Resource": launched,
                    "Action": ["ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate"],
                    "Condition": {"StringEquals": request_tags, "StringLike": nodepool_requested},
                },
                {
                    "Sid": "AllowScopedResourceCreationTagging",
                    "Effect": "Allow",
                    "Resource": launched,
                    "Action": "ec2:CreateTags",
                    "Condition": {
                        "StringEquals": {
                            **request_tags,
                            "ec2:CreateAction": ["RunInstances", "CreateFleet", "CreateLaunchTemplate"],
                        },
                        "StringLike": nodepool_requested,
                    },
                },
                {
                    "Sid": "AllowScopedResourceTagging",
                    "Effect": "Allow",
                    "Resource": f"{ec2}:*:instance/*",
                    "Action": "ec2:CreateTags",
                    "Condition": {
                        "StringEquals": {owned: "owned"},
                        "StringLike": nodepool_tagged,
                        "StringEqualsIfExists": {"aws:RequestTag/eks:eks-cluster-name": cluster_name},
                        "ForAllValues:StringEquals": {
                            "aws:TagKeys": ["eks:eks-cluster-name", "karpenter.sh/nodeclaim", "Name"]
                        },
                    },
                },
                {
                    "Sid": "AllowScopedDeletion",
                    "Effect": "Allow",
                    "Resource": [f"{ec2}:*:instance/*", f"{ec2}:*:launch-template/*"],
                    "Action": ["ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"],
                    "Condition": {"StringEquals": {owned: "owned"}, "StringLike": nodepool_tagged},
                },
            ],
        },
        "IAMIntegrationPolicy": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AllowPassingInstanceRole",
                    "Effect": "Allow",
                    "Resource": node_role_arn,
                    "Action": "iam:PassRole",
                    "Condition": {
                        "StringEquals": {"iam:PassedToService": ["ec2.amazonaws.com", "ec2.amazonaws.com.cn"]}
                    },
                },
                {
                    "Sid": "AllowScopedInstanceProfileCreationActions",
                    "Effect": "Allow",
                    "Resource": profiles,
                    "Action": ["iam:CreateInstanceProfile"],
                    "Condition": {
                        "StringEquals": {**request_tags, "aws:RequestTag/topology.kubernetes.io/region": region},
                        "StringLike": {"aws:RequestTag/karpenter.k8s.aws/ec2nodeclass": "*"},
                    },
                },
                {
                    "Sid": "AllowScopedInstanceProfileTagActions",
                    "Effect": "Allow",
                    "Resource": profiles,
                    "Action": ["iam:TagInstanceProfile"],
                    "Condition": {
                        "StringEquals": {
                            owned: "owned",
                            "aws:ResourceTag/topology.kubernetes.io/region": region,
                            **request_tags,
                            "aws:RequestTag/topology.kubernetes.io/region": region,
                        },
                        "StringLike": {
                            "aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*",
                            "aws:RequestTag/karpenter.k8s.aws/ec2nodeclass": "*",
                        },
                    },
                },
                {
                    "Sid": "AllowScopedInstanceProfileActions",
                    "Effect": "Allow",
                    "Resource": profiles,
                    "Action": [
                        "iam:AddRoleToInstanceProfile",
                        "iam:RemoveRoleFromInstanceProfile",
                        "iam:DeleteInstanceProfile",
                    ],
                    "Condition": {
                        "StringEquals": {owned: "owned", "aws:ResourceTag/topology.kubernetes.io/region": region},
                        "StringLike": {"aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*"},
                    },
                },
            ],
        },
        "EKSIntegrationPolicy": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AllowAPIServerEndpointDiscovery",
                    "Effect": "Allow",
                    "Resource": cluster_arn,
                    "Action": "eks:DescribeCluster",
                }
            ],
        },
        "InterruptionPolicy": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AllowInterruptionQueueActions",
                    "Effect": "Allow",
                    "Resource": queue_arn,
                    "Action": ["sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"],
                }
            ],
        },
        "ZonalShiftPolicy": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AllowZonalShiftStatusReadOnly",
                    "Effect": "Allow",
                    "Resource": "*",
                    "Action": ["arc-zonal-shift:GetManagedResource"],
                    "Condition": {"StringEquals": {"arc-zonal-shift:ResourceIdentifier": cluster_arn}},
                }
            ],
        },
        "ResourceDiscoveryPolicy": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AllowRegionalReadActions",
                    "Effect": "Allow",
                    "Resource": "*",
                    "Action": [
                        "ec2:DescribeCapacityReservations",
                        "ec2:DescribeImages",
                        "ec2:DescribeInstances",
                        "ec2:DescribeInstanceStatus",
                        "ec2:DescribeInstanceTypeOfferings",
                        "ec2:DescribeInstanceTypes",
                        "ec2:DescribeLaunchTemplates",
                        "ec2:DescribePlacementGroups",
                        "ec2:DescribeSecurityGroups",
                        "ec2:DescribeSpotPriceHistory",
                        "ec2:DescribeSubnets",
                    ],
                    "Condition": {"StringEquals": {"aws:RequestedRegion": region}},
                },
                {
                    "Sid": "AllowSSMReadActions",
                    "Effect": "Allow",
                    "Resource": f"arn:{partition}:ssm:{region}::parameter/aws/service/*",
                    "Action": "ssm:GetParameter",
                },
                {
                    "Sid": "AllowPricingReadActions",
                    "Effect": "Allow",
                    "Resource": "*",
                    "Action": "pricing:GetProducts",
                },
                {
                    "Sid": "AllowUnscopedInstanceProfileListAction",
                    "Effect": "Allow",
                    "Resource": "*",
                    "Action": "iam:ListInstanceProfiles",
                },
                {
                    "Sid": "AllowInstanceProfileReadActions",
                    "Effect": "Allow",
                    "Resource": profiles,
                    "Action": "iam:GetInstanceProfile",
                },
            ],
        },
    }


def queue_policy(queue_arn: str) -> str:
    """EventBridge (and SQS) may send to the queue; nothing reaches it without TLS."""
    return document(
        {
            "Effect": "Allow",
            "Principal": {"Service": ["events.amazonaws.com", "sqs.amazonaws.com"]},
            "Action": "sqs:SendMessage",
            "Resource": queue_arn,
        },
        {
            "Sid": "DenyHTTP",
            "Effect": "Deny",
            "Action": "sqs:*",
            "Resource": queue_arn,
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            "Principal": "*",
        },
    )


def event_pattern(source: str, detail_type: str) -> str:
    """An EventBridge pattern matching one kind of event."""
    return json.dumps({"source": [source], "detail-type": [detail_type]})


def karpenter_values(
    cluster_name: str, cluster_endpoint: str, queue_name: str, role_arn: str, replicas: int, service_monitor: bool
) -> dict[str, Any]:
    """Helm values of the controller: on the system nodes, IRSA, the interruption queue."""
    return {
        "replicas": replicas,
        "serviceAccount": {"name": SERVICE_ACCOUNT, "annotations": {"eks.amazonaws.com/role-arn": role_arn}},
        "settings": {
            "clusterName": cluster_name,
            "clusterEndpoint": cluster_endpoint,
            "interruptionQueue": queue_name,
        },
        # The chart's affinity already keeps it off nodes Karpenter launches; this keeps it on
        # the managed system group, and it tolerates no accelerator taint.
        "nodeSelector": {"kubernetes.io/os": "linux", POOL_LABEL: SYSTEM_POOL},
        "controller": {
            "resources": {
                "requests": {"cpu": "500m", "memory": "1Gi"},
                "limits": {"cpu": "1", "memory": "1Gi"},
            }
        },
        "serviceMonitor": {"enabled": service_monitor},
    }


class Karpenter(pulumi.ComponentResource):
    """Karpenter's controller, IAM, node role and interruption queue (pass the cluster's
    Kubernetes provider in ``opts.providers``; what ``opts.depends_on`` names, the in-cluster
    children wait for)."""

    node_role: aws.iam.Role
    """Role of the nodes Karpenter launches (an EC2_LINUX access entry lets them join)."""
    node_role_name: pulumi.Output[str]
    """Its name (``EC2NodeClass.spec.role``)."""
    controller_role_arn: pulumi.Output[str]
    """The controller's IRSA role."""
    queue_name: pulumi.Output[str]
    """The SQS interruption queue."""
    crds: k8s.helm.v3.Release
    """The ``karpenter-crd`` release (NodePool, EC2NodeClass, NodeClaim, ...)."""
    controller: k8s.helm.v3.Release
    """The ``karpenter`` release."""

    def wiring(self) -> KarpenterWiring:
        """What its NodePools need (:class:`KarpenterWiring`)."""
        return {"node_role_name": self.node_role_name, "releases": [self.crds, self.controller]}

    def __init__(self, name: str, args: KarpenterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        refuse("Karpenter", name, validate_karpenter(args))
        super().__init__("mlops:index:Karpenter", name, None, opts)
        after: list[pulumi.Input[pulumi.Resource]] = (
            list(opts.depends_on) if opts and isinstance(opts.depends_on, list) else []
        )
        child = pulumi.ResourceOptions(parent=self)
        region = args["region"]

        self.node_role = node_role(f"{name}-node-role", parent=self)
        self.node_role_name = self.node_role.name
        access = aws.eks.AccessEntry(
            f"{name}-node-access",
            cluster_name=args["cluster_name"],
            principal_arn=self.node_role.arn,
            type="EC2_LINUX",
            opts=child,
        )
        queue = aws.sqs.Queue(
            f"{name}-interruption-queue",
            message_retention_seconds=QUEUE_RETENTION_SECONDS,
            sqs_managed_sse_enabled=True,
            opts=child,
        )
        aws.sqs.QueuePolicy(
            f"{name}-interruption-queue-policy", queue_url=queue.url, policy=queue.arn.apply(queue_policy), opts=child
        )
        for event, (source, detail_type) in INTERRUPTION_EVENTS.items():
            rule = aws.cloudwatch.EventRule(
                f"{name}-rule-{event}",
                description=f"Karpenter interruption handling: {detail_type}",
                event_pattern=event_pattern(source, detail_type),
                opts=child,
            )
            aws.cloudwatch.EventTarget(
                f"{name}-target-{event}",
                rule=rule.name,
                arn=queue.arn,
                target_id="KarpenterInterruptionQueueTarget",
                opts=child,
            )
        self.queue_name = queue.name

        role = irsa_role(
            f"{name}-controller-role",
            oidc_provider_arn=args["oidc_provider_arn"],
            issuer_url=args["oidc_issuer_url"],
            namespace=NAMESPACE,
            service_account=SERVICE_ACCOUNT,
            policy=None,
            parent=self,
        )
        self.controller_role_arn = role.arn
        invoke = pulumi.InvokeOutputOptions(parent=self)
        identity = aws.get_caller_identity_output(opts=invoke)
        partition = aws.get_partition_output(opts=invoke)
        documents = pulumi.Output.all(
            args["cluster_name"], identity.account_id, partition.partition, self.node_role.arn, queue.arn
        ).apply(lambda a: controller_policies(a[0], region, a[1], a[2], a[3], a[4]))
        attachments: list[pulumi.Resource] = []
        for part in (
            "NodeLifecyclePolicy",
            "IAMIntegrationPolicy",
            "EKSIntegrationPolicy",
            "InterruptionPolicy",
            "ZonalShiftPolicy",
            "ResourceDiscoveryPolicy",
        ):
            suffix = part.removesuffix("Policy").lower()
            policy = aws.iam.Policy(
                f"{name}-policy-{suffix}",
                description=f"Karpenter controller: {part} of upstream's template",
                policy=documents.apply(lambda d, part=part: json.dumps(d[part], indent=2)),
                opts=child,
            )
            attachments.append(
                aws.iam.RolePolicyAttachment(
                    f"{name}-policy-{suffix}-attachment", role=role.name, policy_arn=policy.arn, opts=child
                )
            )

        in_cluster = pulumi.ResourceOptions(parent=self, depends_on=after)
        self.crds = pinned_release(f"{name}-crds", "karpenter-crd", namespace=NAMESPACE, values={}, opts=in_cluster)
        values = pulumi.Output.all(args["cluster_name"], args["cluster_endpoint"], queue.name, role.arn).apply(
            lambda a: karpenter_values(
                a[0], a[1], a[2], a[3], args.get("replicas", 2), args.get("service_monitor", False)
            )
        )
        self.controller = pinned_release(
            f"{name}-controller",
            "karpenter",
            namespace=NAMESPACE,
            values=values,
            skip_crds=True,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*after, self.crds, access, *attachments]),
        )
        self.register_outputs(
            {
                "nodeRoleName": self.node_role_name,
                "controllerRoleArn": self.controller_role_arn,
                "queueName": self.queue_name,
            }
        )

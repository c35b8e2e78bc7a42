"""The AWS Load Balancer Controller: what turns a ``LoadBalancer`` Service annotated
``aws-load-balancer-type: external`` into a Network Load Balancer. EKS runs no such controller itself
(its in-tree cloud provider skips those Services), so without it the NLB never appears and the Service's
await times out. Installed by :class:`~components.cluster.Cluster` when asked (``load_balancer_controller``).

What upstream's installation guide (:data:`components.pins.LOAD_BALANCER_CONTROLLER_SOURCE`,
``docs/deploy/installation.md``) asks for, done here: an IAM role for the controller's service account
(IRSA, like the cluster's other controllers) with upstream's policy
(:mod:`components.load_balancer_controller_policy`), and the chart with the cluster name, region and VPC
set, since the pods cannot ask the instance metadata service (the nodes' IMDS hop limit is 1). The
controller runs on the system nodes (never on a GPU node: it tolerates no accelerator taint), two
replicas with a PodDisruptionBudget where there are two system nodes.

Its webhooks (9443) need the API server to reach the pods: every node here uses the EKS cluster security
group only, whose default inbound rule admits all traffic from itself, the control plane's network
interfaces included (EKS user guide, "sec-group-reqs"); terraform-aws-eks adds a 9443 rule because its
nodes sit in a separate node security group. The subnets carry the role tags the controller discovers
them by (:class:`~components.network.Network`: ``kubernetes.io/role/internal-elb`` on the private ones,
``kubernetes.io/role/elb`` on the public ones).

Children (``<name>-<suffix>``): ``role`` (+ ``-policy``) and ``release``.
"""

import ipaddress
from collections.abc import Sequence
from typing import Any, NotRequired, TypedDict, cast

import pulumi
import pulumi_kubernetes as k8s

from components.catalog import POOL_LABEL
from components.errors import argument_type_problems, well_typed
from components.helm import pinned_release
from components.iam import document, irsa_role
from components.load_balancer_controller_policy import controller_policy
from components.naming import aws_partition

CHART = "aws-load-balancer-controller"
NAMESPACE = "kube-system"
SERVICE_ACCOUNT = "aws-load-balancer-controller"
SYSTEM_POOL = "system"
TARGET_GROUP_ATTRIBUTES_ANNOTATION = "service.beta.kubernetes.io/aws-load-balancer-target-group-attributes"
NO_CLIENT_IP = "preserve_client_ip.enabled=false"
"""Client IP preservation off, as written on every load-balanced Service: the default for ip targets
(upstream's ``docs/guide/service/annotations.md``: "disabled by default for IP targets") said out loud,
since the NetworkPolicy relies on it. The pods then see the NLB's private addresses as the source,
internal and internet-facing alike, so :func:`load_balancer_ingress` admits the VPC CIDR and nothing
wider; an internet-facing endpoint that needs its clients' addresses would need proxy protocol instead."""


LOAD_BALANCER_CLASS = "service.k8s.aws/nlb"
"""``spec.loadBalancerClass`` of a load-balanced Service: the controller's default class
(``pkg/config/service_config.go`` at the pinned release). Written by us, not left to the chart's service
webhook, which sets it on every new LoadBalancer Service: under server-side apply the field would then
belong to Pulumi's field manager without being in the program, the next update would drop it, and the
API server refuses that ("spec.loadBalancerClass: may not change once set")."""


class LoadBalancing(TypedDict):
    """What an endpoint or registry behind a load balancer takes from the cluster's controller
    (:meth:`Cluster.load_balancing`, or ``PlatformStack.load_balancing()`` in a team's program)."""

    vpc_cidr: pulumi.Input[str]
    """The VPC's IPv4 CIDR: the NLB's private addresses, which its NetworkPolicy admits on the serving ports."""
    releases: Sequence[k8s.helm.v3.Release]
    """The controller's release: a load-balanced Service is created after it (its service webhook) and
    deleted before it (the controller deletes the NLB and removes the Service's finalizer). Empty when a
    platform stack installed it."""


class LoadBalancerNetwork(TypedDict):
    """The VPC a cluster's load balancers go in (``ClusterArgs.load_balancer_controller``)."""

    vpc_id: pulumi.Input[str]
    """VPC of the cluster."""
    vpc_cidr: pulumi.Input[str]
    """Its IPv4 CIDR: the NLBs' private addresses, admitted by load-balanced workloads' NetworkPolicies."""


class LoadBalancerControllerArgs(TypedDict):
    """Arguments of :class:`LoadBalancerController`."""

    cluster_name: pulumi.Input[str]
    """EKS cluster whose Services and Ingresses it reconciles."""
    region: str
    """AWS region of the cluster."""
    vpc_id: pulumi.Input[str]
    """VPC of the cluster (its load balancers and target groups are created there)."""
    vpc_cidr: pulumi.Input[str]
    """The VPC's IPv4 CIDR (handed on to load-balanced workloads' NetworkPolicies)."""
    oidc_provider_arn: pulumi.Input[str]
    """The cluster's IAM OIDC provider, which the controller role trusts (IRSA)."""
    oidc_issuer_url: pulumi.Input[str]
    """The OIDC issuer URL the trust conditions name."""
    replicas: NotRequired[int]
    """Controller replicas (default 2, leader-elected; 2 or more get a PodDisruptionBudget)."""


def validate_load_balancer_controller(given: LoadBalancerControllerArgs) -> list[str]:
    """Everything wrong with the arguments (empty when valid), all at once: the wrong-typed ones are
    named first, the checks below read the rest."""
    problems = argument_type_problems(given, LoadBalancerControllerArgs)
    args = cast(LoadBalancerControllerArgs, well_typed(given, LoadBalancerControllerArgs))
    if not 1 <= args.get("replicas", 2) <= 10:
        problems.append(f"replicas must be 1..10 (got {args.get('replicas')})")
    cidr = args["vpc_cidr"]
    if isinstance(cidr, str):
        problems += [f"vpc_cidr {p}" for p in vpc_cidr_problems(cidr)]
    return problems


def vpc_cidr_problems(cidr: str) -> list[str]:
    """A VPC CIDR must be an IPv4 network (the NetworkPolicy's ``ipBlock`` admits exactly it)."""
    try:
        ipaddress.IPv4Network(cidr, strict=True)
    except ValueError as exc:
        return [f"must be an IPv4 network such as 10.0.0.0/16 ({exc})"]
    return []


def controller_values(cluster_name: str, region: str, vpc_id: str, role_arn: str, replicas: int) -> dict[str, Any]:
    """Helm values of the controller (keys read in the pinned chart's values.yaml and templates): the
    cluster, region and VPC given (the pods cannot reach the instance metadata service), on the system
    nodes, IRSA, and a PodDisruptionBudget when there are two replicas."""
    values: dict[str, Any] = {
        "clusterName": cluster_name,
        "region": region,
        "vpcId": vpc_id,
        "replicaCount": replicas,
        "serviceAccount": {"name": SERVICE_ACCOUNT, "annotations": {"eks.amazonaws.com/role-arn": role_arn}},
        "nodeSelector": {"kubernetes.io/os": "linux", POOL_LABEL: SYSTEM_POOL},
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "500m", "memory": "512Mi"}},
        # An upgrade reuses the webhooks' certificate (the chart looks its Secret up) instead of making a
        # new one: the API server would get the new CA before the running pods serve the new certificate,
        # and every webhook call (a LoadBalancer Service's creation among them) would fail until they did.
        "keepTLSSecret": True,
        # Services only: no IngressClass, and the legacy ingress-class annotation ignored, so no namespace
        # can make an ALB (internet-facing or not) past the review that Services with a load balancer get.
        "createIngressClassResource": False,
        "ingressClassParams": {"create": False},
        "disableIngressClassAnnotation": True,
        # Services of type LoadBalancer only: no Ingress and no Gateway API objects (both Gateway
        # gates default to true at the pinned release, pkg/config/feature_gates.go), so nothing but a reviewed
        # Service makes a load balancer (docs/deploy/configurations.md at that tag).
        "controllerConfig": {
            "featureGates": {"ServiceTypeLoadBalancerOnly": True, "ALBGatewayAPI": False, "NLBGatewayAPI": False}
        },
        # The chart's mutating webhook intercepts the creation of every Service in the cluster; with
        # failurePolicy Fail no Service (ClusterIP ones, other charts' included) can be created while
        # the controller's pods are not ready (a first install, both replicas down). Ours set
        # loadBalancerClass themselves, so the webhook only defaults other teams' LoadBalancer Services.
        "serviceMutatorWebhookConfig": {"failurePolicy": "Ignore"},
    }
    if replicas >= 2:  # the chart renders the budget only for replicaCount > 1
        values["podDisruptionBudget"] = {"maxUnavailable": 1}
    return values


def load_balancer_ingress(vpc_cidr: str, ports: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The NetworkPolicy ingress rule admitting a load balancer's traffic: from the VPC's addresses (the
    NLB's, client IP preservation being off: :data:`NO_CLIENT_IP`) to the serving ``ports`` only. The NLB's
    health checks come from the same addresses to the same ports (``traffic-port``). The VPC CIDR holds the
    pods' addresses too: behind a load balancer the serving ports are open to the whole VPC, as the NLB
    itself is (its security group admits 0.0.0.0/0 unless the Service narrows it)."""
    return {"from": [{"ipBlock": {"cidr": vpc_cidr}}], "ports": list(ports)}


def load_balancing_problems(load_balancer: str, load_balancing: object) -> list[str]:
    """A load balancer needs the controller that creates it."""
    if load_balancer not in ("internal", "internet-facing") or load_balancing is not None:
        return []
    return [
        f"load_balancer {load_balancer} needs load_balancing: the cluster's AWS Load Balancer Controller "
        "(Cluster with load_balancer_controller: cluster.load_balancing(), or PlatformStack.load_balancing() "
        "of a platform that installed it); without it no NLB is made and the Service never gets an address"
    ]


class LoadBalancerController(pulumi.ComponentResource):
    """The AWS Load Balancer Controller's IAM role and release (pass the cluster's Kubernetes provider in
    ``opts.providers``; what ``opts.depends_on`` names, the release waits for)."""

    role_arn: pulumi.Output[str]
    """The controller's IRSA role."""
    release: k8s.helm.v3.Release
    """The ``aws-load-balancer-controller`` release."""
    vpc_cidr: pulumi.Input[str]
    """The VPC CIDR its load balancers' addresses come from."""

    def load_balancing(self) -> LoadBalancing:
        """What a load-balanced endpoint or registry needs (:class:`LoadBalancing`)."""
        return {"vpc_cidr": self.vpc_cidr, "releases": [self.release]}

    def __init__(self, name: str, args: LoadBalancerControllerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        problems = validate_load_balancer_controller(args)
        if problems:
            raise ValueError(f"LoadBalancerController {name}: " + "; ".join(problems))
        super().__init__("mlops:index:LoadBalancerController", name, None, opts)
        after: list[pulumi.Input[pulumi.Resource]] = (
            list(opts.depends_on) if opts and isinstance(opts.depends_on, list) else []
        )
        region = args["region"]
        role = irsa_role(
            f"{name}-role",
            oidc_provider_arn=args["oidc_provider_arn"],
            issuer_url=args["oidc_issuer_url"],
            namespace=NAMESPACE,
            service_account=SERVICE_ACCOUNT,
            policy=document(*controller_policy(aws_partition(region))["Statement"]),
            parent=self,
        )
        self.role_arn = role.arn
        self.vpc_cidr = args["vpc_cidr"]
        replicas = args.get("replicas", 2)
        values = pulumi.Output.all(args["cluster_name"], args["vpc_id"], role.arn).apply(
            lambda a: controller_values(a[0], region, a[1], a[2], replicas)
        )
        self.release = pinned_release(
            f"{name}-release",
            CHART,
            namespace=NAMESPACE,
            values=values,
            opts=pulumi.ResourceOptions(parent=self, depends_on=after),
        )
        self.register_outputs({"roleArn": self.role_arn})

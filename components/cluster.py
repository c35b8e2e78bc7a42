"""Cluster: an EKS control plane with private endpoint, encrypted secrets and audit logs,
IRSA, access entries, managed add-ons, a small system node group, the cluster-autoscaler
and the Kubernetes provider every in-cluster component receives.

Children (``<name>-<suffix>``): ``cluster-role``, ``secrets-key``, ``control-plane-logs``,
``cluster``, ``oidc``, ``admin-<role>``, ``view-<role>``, ``deploy-<role>`` (each + ``-policy``),
``api-from-<cidr>`` (one per ``api_access_cidrs``),
``addon-<addon>``,
``system-node-role``, ``system-launch-template``, ``system-nodes``, ``k8s``,
``autoscaler-role`` (+ ``-policy``), ``cluster-autoscaler``, ``prometheus-crds``, ``keda`` and,
with ``karpenter: True``, ``karpenter`` (:class:`~components.karpenter.Karpenter`); with
``load_balancer_controller``, ``load-balancer-controller``
(:class:`~components.load_balancer_controller.LoadBalancerController`).

The cluster installs the CustomResourceDefinitions in-cluster components need before any of
them exists: the Prometheus operator's (``ServiceMonitor``, ``PrometheusRule``) as their own
release, and KEDA (``ScaledObject``, and the external metrics API its autoscaling reads).
:attr:`Cluster.crds` is what every custom object depends on.
"""

import json
from collections.abc import Mapping, Sequence
from typing import Literal, NotRequired, TypedDict, get_args

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components import pins
from components.access_entries import access_principal_problems
from components.catalog import POOL_LABEL
from components.cidrs import admits_public_addresses
from components.delivery import ARGO_ROLLOUTS_NAMESPACE
from components.errors import checked_arguments, refuse, with_defaults
from components.helm import pinned_release
from components.iam import document, irsa_role, service_role
from components.karpenter import Karpenter, KarpenterWiring
from components.kms import account_key
from components.load_balancer_controller import (
    LoadBalancerController,
    LoadBalancerNetwork,
    LoadBalancing,
    vpc_cidr_problems,
)
from components.naming import aws_partition, slug
from components.node_group import DESIRED_SIZE, launch_template, node_role

SUPPORTED_VERSIONS = tuple(pins.KUBERNETES_VERSIONS)
LOG_TYPES = ["api", "audit", "authenticator"]
ADDONS_BEFORE_NODES = ("vpc-cni", "kube-proxy", "eks-pod-identity-agent")
ADDONS_AFTER_NODES = ("coredns", "metrics-server")
"""CoreDNS and metrics-server (the resource metrics API CPU autoscaling reads) are Deployments:
they need schedulable nodes to become healthy; the DaemonSet add-ons do not."""
ADMIN_POLICY = "AmazonEKSClusterAdminPolicy"
VIEW_POLICY = "AmazonEKSViewPolicy"


def access_policy_arn(policy: str, region: str) -> str:
    """An EKS access policy's ARN in the region's partition."""
    return f"arn:{aws_partition(region)}:eks::aws:cluster-access-policy/{policy}"


"""Read-only access to most objects, Secrets excluded."""
CREATOR_FLAG = "accessConfig.bootstrapClusterCreatorAdminPermissions"
"""EKS cannot change this flag in place: a new value replaces the cluster. It is ignored after
creation, so an existing cluster created with the flag on keeps it without a replacement
(README, "Cluster access": delete the creator's access entry instead)."""
VPC_CNI_CONFIGURATION = {"enableNetworkPolicy": "true"}
"""vpc-cni add-on configuration: without ``enableNetworkPolicy`` EKS accepts NetworkPolicies and
enforces none of them (EKS user guide, "Restrict Pod network traffic with Kubernetes network policies")."""
AUTOSCALER_SERVICE_ACCOUNT = "cluster-autoscaler"
SYSTEM_POOL = "system"


class NodePoolWiring(TypedDict):
    """What a :class:`~components.gpu_node_pool.GpuNodePool` takes from its cluster
    (:meth:`Cluster.for_node_pools`); spread it into the pool's arguments."""

    cluster_name: pulumi.Input[str]
    """The EKS cluster the pool joins."""
    node_security_group_id: pulumi.Input[str]
    """The cluster security group, which the nodes use."""
    karpenter: NotRequired[KarpenterWiring]
    """The cluster's Karpenter, when it runs one (``provisioner: karpenter`` pools need it)."""


class WorkloadWiring(TypedDict):
    """What an in-cluster component (ModelServingEndpoint, MonitoringStack) takes from its
    cluster (:meth:`Cluster.for_workloads`); spread it into the component's arguments."""

    crds: Sequence[k8s.helm.v3.Release]
    """The releases installing the CRDs its custom objects need."""
    oidc_provider_arn: pulumi.Input[str]
    """The cluster's IAM OIDC provider, which its IRSA roles trust."""
    oidc_issuer_url: pulumi.Input[str]
    """The OIDC issuer URL the trust conditions name."""


class ClusterArgs(TypedDict):
    """Arguments of :class:`Cluster`."""

    cluster_name: str
    """EKS cluster name (also in subnet tags and autoscaler discovery)."""
    subnet_ids: Sequence[pulumi.Input[str]]
    """Private subnets for the control plane's network interfaces and the system nodes."""
    region: str
    """AWS region (kubeconfig and autoscaler)."""
    version: NotRequired[str]
    """Kubernetes minor version, one of :data:`components.pins.KUBERNETES_VERSIONS`."""
    support_type: NotRequired[str]
    """``upgradePolicy.supportType``: ``STANDARD`` lets EKS upgrade the control plane when
    standard support ends instead of billing extended support (6x the hourly price); ``EXTENDED``
    keeps the version up to 12 more months at that price."""
    endpoint_public_access: NotRequired[bool]
    """Expose the API endpoint publicly; needs ``public_access_cidrs``."""
    public_access_cidrs: NotRequired[Sequence[str]]
    """CIDRs allowed to reach a public endpoint; never 0.0.0.0/0 with ``protect``."""
    api_access_cidrs: NotRequired[Sequence[str]]
    """Private CIDRs (the CI runners' subnets, a VPN) admitted to the private API endpoint: TCP 443
    ingress on the cluster security group, which otherwise admits only itself. The Kubernetes
    provider waits for these rules."""
    admin_role_arns: NotRequired[Sequence[str]]
    """IAM roles granted cluster admin through access entries."""
    view_role_arns: NotRequired[Sequence[str]]
    """IAM roles granted read-only access (``AmazonEKSViewPolicy``: no Secrets) through access entries."""
    deploy_role_arn: NotRequired[str]
    """The role that runs ``pulumi up`` (CI's deploy role), granted cluster admin through an access
    entry; the Kubernetes provider waits for it."""
    creator_admin: NotRequired[bool]
    """``bootstrapClusterCreatorAdminPermissions``: make whoever creates the cluster a
    permanent, invisible cluster admin. Only read when the cluster is created (changing it would
    replace the cluster); with it off, ``deploy_role_arn`` or ``admin_role_arns`` must name the
    identity that deploys."""
    log_retention_days: NotRequired[int]
    """Retention of the control-plane log group, in days (a CloudWatch Logs retention value)."""
    system_instance_types: NotRequired[Sequence[str]]
    """Instance types of the system node group."""
    system_min_size: NotRequired[int]
    """Minimum system nodes."""
    system_max_size: NotRequired[int]
    """Maximum system nodes."""
    tags: NotRequired[Mapping[str, str]]
    """Tags for system node instances and volumes."""
    protect: NotRequired[bool]
    """Protect and retain the cluster and its secrets key."""
    karpenter: NotRequired[bool]
    """Install Karpenter (:class:`~components.karpenter.Karpenter`) for ``provisioner: karpenter``
    GPU pools; without it, managed node groups and the cluster-autoscaler only."""
    argo_rollouts: NotRequired[bool]
    """Install Argo Rollouts for endpoints served with ``canary``; its CRDs join ``crds``."""
    load_balancer_controller: NotRequired[LoadBalancerNetwork]
    """Install the AWS Load Balancer Controller for this VPC, which endpoints and registries with
    ``load_balancer`` need (:meth:`Cluster.load_balancing`); not installed when absent."""


LogRetentionDays = Literal[7, 14, 30, 60, 90, 180, 365, 731, 1827, 3653]
"""The control-plane log retentions a CloudWatch Logs group accepts, up to ten years."""


class _Defaults(TypedDict):
    version: str
    support_type: pins.SupportType
    endpoint_public_access: bool
    public_access_cidrs: Sequence[str]
    api_access_cidrs: Sequence[str]
    admin_role_arns: Sequence[str]
    view_role_arns: Sequence[str]
    creator_admin: bool
    log_retention_days: LogRetentionDays
    system_instance_types: Sequence[str]
    system_min_size: int
    system_max_size: int
    tags: Mapping[str, str]
    protect: bool
    karpenter: bool
    argo_rollouts: bool


DEFAULTS: _Defaults = {
    "version": pins.DEFAULT_KUBERNETES_VERSION,
    "support_type": "STANDARD",
    "endpoint_public_access": False,
    "public_access_cidrs": (),
    "api_access_cidrs": (),
    "admin_role_arns": (),
    "view_role_arns": (),
    "creator_admin": False,
    "log_retention_days": 90,
    "system_instance_types": ("m6i.large",),
    "system_min_size": 2,
    "system_max_size": 4,
    "tags": {},
    "protect": True,
    "karpenter": False,
    "argo_rollouts": False,
}
"""What each optional argument of :class:`Cluster` is when it is not given (the stack config's
``cluster`` section takes its defaults from here)."""


def validate_cluster(given: ClusterArgs) -> list[str]:
    """Everything wrong with the arguments (empty when valid), all at once: the wrong-typed ones
    are named first, the checks below read the rest."""
    problems, args, settings = checked_arguments(given, ClusterArgs, DEFAULTS)
    version = settings["version"]
    if version not in SUPPORTED_VERSIONS:
        problems.append(f"version must be one of {', '.join(SUPPORTED_VERSIONS)} (got {version!r})")
    if settings["support_type"] not in pins.SUPPORT_TYPES:
        problems.append(f"support_type must be STANDARD or EXTENDED (got {settings['support_type']!r})")
    if settings["log_retention_days"] not in get_args(LogRetentionDays):
        allowed = ", ".join(map(str, get_args(LogRetentionDays)))
        problems.append(f"log_retention_days must be one of {allowed} (got {settings['log_retention_days']})")
    public, cidrs = settings["endpoint_public_access"], list(settings["public_access_cidrs"])
    if public and not cidrs:
        problems.append("a public endpoint needs public_access_cidrs (never open to the internet)")
    if not public and cidrs:
        problems.append("public_access_cidrs given but endpoint_public_access is False")
    api_cidrs = list(settings["api_access_cidrs"])
    for index, cidr in enumerate(api_cidrs):
        if admits_public_addresses(cidr):
            problems.append(
                f"api_access_cidrs: {cidr} is not a private range (the private endpoint is reached from the VPC)"
            )
        if cidr in api_cidrs[:index]:
            problems.append(f"api_access_cidrs: {cidr} is given twice (each range gets one security group rule)")
    if public and settings["protect"] and "0.0.0.0/0" in cidrs:
        problems.append("public_access_cidrs must not contain 0.0.0.0/0 for a protected cluster")
    if not settings["creator_admin"] and not (args.get("deploy_role_arn") or settings["admin_role_arns"]):
        problems.append(
            "give deploy_role_arn or admin_role_arns: with creator_admin off, only access entries reach the "
            "cluster, and the identity running pulumi up needs one"
        )
    problems += [
        f"{argument}: {message}"
        for argument, message in access_principal_problems(
            settings["admin_role_arns"],
            settings["view_role_arns"],
            args.get("deploy_role_arn"),
            settings["creator_admin"],
        )
    ]
    if not 1 <= settings["system_min_size"] <= settings["system_max_size"]:
        problems.append("system_min_size must be 1..system_max_size")
    vpc_cidr = args.get("load_balancer_controller", {}).get("vpc_cidr")
    if isinstance(vpc_cidr, str):
        problems += [f"load_balancer_controller.vpc_cidr {p}" for p in vpc_cidr_problems(vpc_cidr)]
    return problems


def kubeconfig(cluster_name: str, endpoint: str, certificate_authority: str, region: str) -> str:
    """A kubeconfig that authenticates with ``aws eks get-token`` (no long-lived credentials)."""
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": cluster_name,
                    "cluster": {"server": endpoint, "certificate-authority-data": certificate_authority},
                }
            ],
            "contexts": [{"name": cluster_name, "context": {"cluster": cluster_name, "user": cluster_name}}],
            "current-context": cluster_name,
            "users": [
                {
                    "name": cluster_name,
                    "user": {
                        "exec": {
                            "apiVersion": "client.authentication.k8s.io/v1beta1",
                            "command": "aws",
                            "args": ["eks", "get-token", "--cluster-name", cluster_name, "--region", region],
                            "interactiveMode": "Never",
                        }
                    },
                }
            ],
        },
        indent=2,
    )


def autoscaler_policy(cluster_name: str, region: str, account_id: str, partition: str = "aws") -> str:
    """cluster-autoscaler permissions: read everything it must, scale only this cluster's groups."""
    asg = f"arn:{partition}:autoscaling:{region}:{account_id}:autoScalingGroup:*:autoScalingGroupName/*"
    return document(
        {
            "Sid": "Discover",
            "Effect": "Allow",
            "Action": [
                "autoscaling:DescribeAutoScalingGroups",
                "autoscaling:DescribeAutoScalingInstances",
                "autoscaling:DescribeLaunchConfigurations",
                "autoscaling:DescribeScalingActivities",
                "autoscaling:DescribeTags",
                "ec2:DescribeImages",
                "ec2:DescribeInstanceTypes",
                "ec2:DescribeLaunchTemplateVersions",
                "ec2:GetInstanceTypesFromInstanceRequirements",
            ],
            "Resource": "*",
        },
        {
            "Sid": "ScaleOwnGroups",
            "Effect": "Allow",
            "Action": ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"],
            "Resource": asg,
            "Condition": {"StringEquals": {f"aws:ResourceTag/k8s.io/cluster-autoscaler/{cluster_name}": "owned"}},
        },
        {
            "Sid": "ReadOwnNodeGroups",
            "Effect": "Allow",
            "Action": "eks:DescribeNodegroup",
            "Resource": f"arn:{partition}:eks:{region}:{account_id}:nodegroup/{cluster_name}/*",
        },
    )


def autoscaler_values(cluster_name: str, region: str, version: str, role_arn: str) -> dict[str, object]:
    """Helm values of the cluster-autoscaler release (image minor = cluster minor)."""
    return {
        "cloudProvider": "aws",
        "awsRegion": region,
        "autoDiscovery": {"clusterName": cluster_name},
        "image": {"repository": pins.AUTOSCALER_IMAGE, "tag": pins.AUTOSCALER_TAGS[version]},
        "rbac": {
            "serviceAccount": {
                "name": AUTOSCALER_SERVICE_ACCOUNT,
                "annotations": {"eks.amazonaws.com/role-arn": role_arn},
            }
        },
        "extraArgs": {
            "balance-similar-node-groups": True,
            "skip-nodes-with-system-pods": False,
            "expander": "least-waste",
            "scale-down-unneeded-time": "10m",
        },
        "nodeSelector": {POOL_LABEL: SYSTEM_POOL},
        "podDisruptionBudget": {"maxUnavailable": 1},
    }


def keda_values() -> dict[str, object]:
    """Helm values of KEDA: operator, metrics API server and webhooks on the system nodes."""
    system = {POOL_LABEL: SYSTEM_POOL}
    return {
        "nodeSelector": system,
        "podDisruptionBudget": {"operator": {"maxUnavailable": 1}},
        "prometheus": {
            "operator": {"enabled": True, "serviceMonitor": {"enabled": True}},
            "metricServer": {"enabled": True, "serviceMonitor": {"enabled": True}},
        },
    }


def argo_rollouts_values() -> dict[str, object]:
    """Helm values of Argo Rollouts: two controllers (leader election) on the system nodes at the
    pinned controller release (the chart's appVersion is older), their metrics scraped (the
    ``RolloutAborted`` alert reads them); no dashboard (``kubectl argo rollouts`` reads the same status)."""
    image = pins.IMAGES["argo-rollouts"]
    registry, _, repository = image.repository.partition("/")
    return {
        "controller": {
            "replicas": 2,
            "nodeSelector": {POOL_LABEL: SYSTEM_POOL},
            "image": {"registry": registry, "repository": repository, "tag": image.tag},
            "metrics": {"enabled": True, "serviceMonitor": {"enabled": True}},
            "pdb": {"enabled": True, "maxUnavailable": 1},
        },
        "dashboard": {"enabled": False},
    }


def _issuer(identities: Sequence[aws.eks.outputs.ClusterIdentity]) -> str:
    oidcs = identities[0].oidcs or [] if identities else []
    return (oidcs[0].issuer or "") if oidcs else ""


class Cluster(pulumi.ComponentResource):
    """EKS control plane, IRSA, add-ons, system nodes, autoscaler and a Kubernetes provider."""

    cluster: aws.eks.Cluster
    """The EKS cluster."""
    cluster_name: pulumi.Output[str]
    """Cluster name."""
    security_group_id: pulumi.Output[str]
    """Cluster security group (nodes use it)."""
    oidc_provider_arn: pulumi.Output[str]
    """IAM OIDC provider ARN, for IRSA trust policies."""
    oidc_issuer_url: pulumi.Output[str]
    """OIDC issuer URL (``https://oidc.eks...``)."""
    kubeconfig: pulumi.Output[str]
    """Kubeconfig using ``aws eks get-token``: no credential in it, so a plain output."""
    provider: k8s.Provider
    """Kubernetes provider for this cluster: pass it to in-cluster components."""
    crds: list[k8s.helm.v3.Release]
    """The releases that install the cluster's CustomResourceDefinitions (Prometheus operator,
    KEDA): pass them to ModelServingEndpoint and MonitoringStack, whose custom objects wait on them."""
    crd_groups: list[str]
    """API groups whose CRDs ``crds`` install."""
    metrics_apis: list[str]
    """Metrics APIs the cluster serves: ``metrics.k8s.io`` (the metrics-server add-on) and
    ``external.metrics.k8s.io`` (KEDA)."""
    version: str
    """Kubernetes minor version of the control plane."""
    ebs_csi_driver: aws.eks.Addon
    """The EBS CSI driver add-on: what provisions a PersistentVolumeClaim's volume (pass it to
    MonitoringStack's ``volume_provisioner``)."""

    def for_node_pools(self) -> NodePoolWiring:
        """The arguments every GpuNodePool of this cluster shares:
        ``GpuNodePool("gpu", {**cluster.for_node_pools(), "subnet_ids": ..., ...})``."""
        wiring: NodePoolWiring = {"cluster_name": self.cluster_name, "node_security_group_id": self.security_group_id}
        if self._karpenter is not None:
            wiring["karpenter"] = self._karpenter.wiring()
        return wiring

    def load_balancing(self) -> LoadBalancing | None:
        """What endpoints and registries with a ``load_balancer`` take (their ``load_balancing``):
        the cluster's AWS Load Balancer Controller, None when it runs none."""
        controller = self._load_balancer_controller
        return controller.load_balancing() if controller is not None else None

    def for_workloads(self) -> WorkloadWiring:
        """The arguments in-cluster components share: CRDs to wait on and the OIDC provider for
        IRSA. ``ModelServingEndpoint("chat", {**cluster.for_workloads(), ...}, opts)``."""
        return {
            "crds": self.crds,
            "oidc_provider_arn": self.oidc_provider_arn,
            "oidc_issuer_url": self.oidc_issuer_url,
        }

    def __init__(self, name: str, args: ClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        refuse("Cluster", name, validate_cluster(args))
        super().__init__("mlops:index:Cluster", name, None, opts)
        settings = with_defaults(args, DEFAULTS)
        protect = settings["protect"]
        cluster_name, region = args["cluster_name"], args["region"]
        version = settings["version"]
        self.version = version
        public = settings["endpoint_public_access"]
        child = pulumi.ResourceOptions(parent=self)

        role = service_role(f"{name}-cluster-role", "eks.amazonaws.com", ["AmazonEKSClusterPolicy"], parent=self)
        secrets_key = account_key(
            f"{name}-secrets-key", f"Kubernetes secrets of {cluster_name}", parent=self, protect=protect
        )
        logs_key = account_key(
            f"{name}-logs-key", f"Control-plane logs of {cluster_name}", parent=self, protect=protect, for_logs=True
        )
        # Created first so EKS writes into a group with retention instead of one without.
        logs = aws.cloudwatch.LogGroup(
            f"{name}-control-plane-logs",
            name=f"/aws/eks/{cluster_name}/cluster",
            retention_in_days=settings["log_retention_days"],
            kms_key_id=logs_key.arn,
            opts=child,
        )
        self.cluster = aws.eks.Cluster(
            f"{name}-cluster",
            name=cluster_name,
            version=version,
            role_arn=role.arn,
            vpc_config=aws.eks.ClusterVpcConfigArgs(
                subnet_ids=list(args["subnet_ids"]),
                endpoint_private_access=True,
                endpoint_public_access=public,
                public_access_cidrs=list(settings["public_access_cidrs"]) if public else None,
            ),
            encryption_config=aws.eks.ClusterEncryptionConfigArgs(
                provider=aws.eks.ClusterEncryptionConfigProviderArgs(key_arn=secrets_key.arn),
                resources=["secrets"],
            ),
            enabled_cluster_log_types=LOG_TYPES,
            access_config=aws.eks.ClusterAccessConfigArgs(
                authentication_mode="API",
                bootstrap_cluster_creator_admin_permissions=settings["creator_admin"],
            ),
            upgrade_policy=aws.eks.ClusterUpgradePolicyArgs(support_type=settings["support_type"]),
            opts=pulumi.ResourceOptions(
                parent=self,
                protect=protect,
                retain_on_delete=protect,
                depends_on=[logs],
                ignore_changes=[CREATOR_FLAG],
            ),
        )
        self.cluster_name = self.cluster.name
        self.security_group_id = self.cluster.vpc_config.apply(lambda c: c.cluster_security_group_id or "")
        self.oidc_issuer_url = self.cluster.identities.apply(_issuer)
        oidc = aws.iam.OpenIdConnectProvider(
            f"{name}-oidc", url=self.oidc_issuer_url, client_id_lists=["sts.amazonaws.com"], opts=child
        )
        self.oidc_provider_arn = oidc.arn

        grants = [("admin", arn, ADMIN_POLICY) for arn in settings["admin_role_arns"]]
        grants += [("view", arn, VIEW_POLICY) for arn in settings["view_role_arns"]]
        if "deploy_role_arn" in args:
            grants.append(("deploy", args["deploy_role_arn"], ADMIN_POLICY))
        access: list[pulumi.Resource] = []  # the Kubernetes provider waits for these
        for kind, role_arn, policy_arn in grants:
            access += self._access_entry(
                f"{name}-{kind}-{slug(role_arn.rsplit('/', 1)[-1])}", role_arn, access_policy_arn(policy_arn, region)
            )

        # Runners and VPNs reach the private endpoint only through the cluster security group.
        for cidr in settings["api_access_cidrs"]:
            access.append(
                aws.vpc.SecurityGroupIngressRule(
                    f"{name}-api-from-{slug(cidr)}",
                    security_group_id=self.security_group_id,
                    cidr_ipv4=cidr,
                    ip_protocol="tcp",
                    from_port=443,
                    to_port=443,
                    description="Kubernetes API from CI runners / VPN",
                    opts=child,
                )
            )

        early_addons = [self._addon(name, addon, []) for addon in ADDONS_BEFORE_NODES]
        system_nodes = self._system_nodes(name, args["subnet_ids"], settings, early_addons)
        for addon in ADDONS_AFTER_NODES:
            self._addon(name, addon, [system_nodes])
        self.ebs_csi_driver = self._ebs_csi_driver(name, system_nodes)

        # Plain: it holds no credential (``aws eks get-token`` runs with the caller's own), and a
        # secret here would make every stack reading it need the platform state's decryption key.
        self.kubeconfig = pulumi.Output.all(
            self.cluster.name, self.cluster.endpoint, self.cluster.certificate_authority.data
        ).apply(lambda a: kubeconfig(a[0], a[1], a[2] or "", region))
        self.provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=self.kubeconfig,
            enable_server_side_apply=True,
            opts=pulumi.ResourceOptions(parent=self, depends_on=access),
        )
        self._autoscaler(name, cluster_name, region, version, system_nodes)
        prometheus_crds = pinned_release(
            f"{name}-prometheus-crds",
            "prometheus-operator-crds",
            namespace="kube-system",
            values={},
            opts=self._in_cluster(system_nodes),
        )
        # KEDA's own ServiceMonitors need the Prometheus operator's CRDs.
        keda = pinned_release(
            f"{name}-keda",
            "keda",
            namespace="keda",
            values=keda_values(),
            opts=self._in_cluster(system_nodes, prometheus_crds),
            create_namespace=True,
        )
        self.crds = [prometheus_crds, keda]
        charts = ["prometheus-operator-crds", "keda"]
        # Its Karpenter, when asked for. Not an annotated output: the schema has no component references.
        self._karpenter = None
        if settings["karpenter"]:
            self._karpenter = Karpenter(
                f"{name}-karpenter",
                {
                    "cluster_name": self.cluster.name,
                    "cluster_endpoint": self.cluster.endpoint,
                    "region": region,
                    "oidc_provider_arn": self.oidc_provider_arn,
                    "oidc_issuer_url": self.oidc_issuer_url,
                    "replicas": min(2, settings["system_min_size"]),
                    "service_monitor": True,
                },
                pulumi.ResourceOptions(
                    parent=self, providers={"kubernetes": self.provider}, depends_on=[system_nodes, prometheus_crds]
                ),
            )
            self.crds.append(self._karpenter.crds)
            charts.append("karpenter-crd")
        if settings["argo_rollouts"]:
            # Its ServiceMonitor needs the Prometheus operator's CRDs.
            self.crds.append(
                pinned_release(
                    f"{name}-argo-rollouts",
                    "argo-rollouts",
                    namespace=ARGO_ROLLOUTS_NAMESPACE,
                    values=argo_rollouts_values(),
                    opts=self._in_cluster(system_nodes, prometheus_crds),
                    create_namespace=True,
                )
            )
            charts.append("argo-rollouts")
        self._load_balancer_controller = self._lb_controller(name, args, system_nodes)
        self.crd_groups = sorted({group for chart in charts for group in pins.CRD_GROUPS[chart]})
        self.metrics_apis = ["external.metrics.k8s.io", "metrics.k8s.io"]
        self.register_outputs(
            {
                "clusterName": self.cluster_name,
                "oidcProviderArn": self.oidc_provider_arn,
                "kubeconfig": self.kubeconfig,
            }
        )

    def _lb_controller(
        self, name: str, args: ClusterArgs, system_nodes: aws.eks.NodeGroup
    ) -> LoadBalancerController | None:
        """The AWS Load Balancer Controller, when asked for, on the system nodes."""
        if "load_balancer_controller" not in args:
            return None
        network = args["load_balancer_controller"]
        return LoadBalancerController(
            f"{name}-load-balancer-controller",
            {
                "cluster_name": self.cluster.name,
                "region": args["region"],
                "vpc_id": network["vpc_id"],
                "vpc_cidr": network["vpc_cidr"],
                "oidc_provider_arn": self.oidc_provider_arn,
                "oidc_issuer_url": self.oidc_issuer_url,
                "replicas": min(2, args.get("system_min_size", 2)),
            },
            pulumi.ResourceOptions(parent=self, providers={"kubernetes": self.provider}, depends_on=[system_nodes]),
        )

    def _access_entry(self, resource_name: str, role_arn: str, policy_arn: str) -> list[pulumi.Resource]:
        """An access entry for ``role_arn`` and its cluster-wide access policy."""
        child = pulumi.ResourceOptions(parent=self)
        entry = aws.eks.AccessEntry(
            resource_name, cluster_name=self.cluster.name, principal_arn=role_arn, type="STANDARD", opts=child
        )
        association = aws.eks.AccessPolicyAssociation(
            f"{resource_name}-policy",
            cluster_name=self.cluster.name,
            principal_arn=entry.principal_arn,
            policy_arn=policy_arn,
            access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster"),
            opts=child,
        )
        return [entry, association]

    def _addon(
        self,
        name: str,
        addon: str,
        depends_on: list[pulumi.Resource],
        role_arn: pulumi.Input[str] | None = None,
    ) -> aws.eks.Addon:
        configuration = VPC_CNI_CONFIGURATION if addon == "vpc-cni" else None
        return aws.eks.Addon(
            f"{name}-addon-{addon}",
            cluster_name=self.cluster.name,
            addon_name=addon,
            service_account_role_arn=role_arn,
            configuration_values=json.dumps(configuration) if configuration else None,
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="OVERWRITE",
            opts=pulumi.ResourceOptions(parent=self, depends_on=depends_on),
        )

    def _ebs_csi_driver(self, name: str, system_nodes: aws.eks.NodeGroup) -> aws.eks.Addon:
        """EBS CSI driver (persistent volumes, e.g. Prometheus in prod) with its own IRSA role."""
        role = irsa_role(
            f"{name}-ebs-csi-role",
            oidc_provider_arn=self.oidc_provider_arn,
            issuer_url=self.oidc_issuer_url,
            namespace="kube-system",
            service_account="ebs-csi-controller-sa",
            policy=None,
            managed_policies=["service-role/AmazonEBSCSIDriverPolicy"],
            parent=self,
        )
        return self._addon(name, "aws-ebs-csi-driver", [system_nodes], role.arn)

    def _system_nodes(
        self,
        name: str,
        subnet_ids: Sequence[pulumi.Input[str]],
        settings: _Defaults,
        depends_on: list[aws.eks.Addon],
    ) -> aws.eks.NodeGroup:
        """On-demand nodes without accelerator taints, for CoreDNS, the autoscaler and monitoring."""
        role = node_role(f"{name}-system-node-role", parent=self)
        template = launch_template(
            f"{name}-system-launch-template",
            disk_size_gib=50,
            imds_hop_limit=1,
            security_group_id=self.security_group_id,
            tags=settings["tags"],
            bottlerocket=False,
            parent=self,
        )
        min_size = settings["system_min_size"]
        return aws.eks.NodeGroup(
            f"{name}-system-nodes",
            cluster_name=self.cluster.name,
            node_role_arn=role.arn,
            subnet_ids=list(subnet_ids),
            instance_types=list(settings["system_instance_types"]),
            capacity_type="ON_DEMAND",
            ami_type="AL2023_x86_64_STANDARD",
            scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                min_size=min_size, max_size=settings["system_max_size"], desired_size=min_size
            ),
            update_config=aws.eks.NodeGroupUpdateConfigArgs(max_unavailable=1),
            labels={POOL_LABEL: SYSTEM_POOL},
            launch_template=aws.eks.NodeGroupLaunchTemplateArgs(
                id=template.id, version=template.latest_version.apply(str)
            ),
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=[DESIRED_SIZE], depends_on=depends_on),
        )

    def _in_cluster(self, *after: pulumi.Resource) -> pulumi.ResourceOptions:
        """Options of an in-cluster child: this cluster's provider, after ``after``."""
        return pulumi.ResourceOptions(parent=self, provider=self.provider, depends_on=list(after))

    def _autoscaler(
        self, name: str, cluster_name: str, region: str, version: str, system_nodes: aws.eks.NodeGroup
    ) -> None:
        invoke = pulumi.InvokeOutputOptions(parent=self)
        identity = aws.get_caller_identity_output(opts=invoke)
        partition = aws.get_partition_output(opts=invoke)
        policy = pulumi.Output.all(identity.account_id, partition.partition).apply(
            lambda a: autoscaler_policy(cluster_name, region, a[0], a[1])
        )
        role = irsa_role(
            f"{name}-autoscaler-role",
            oidc_provider_arn=self.oidc_provider_arn,
            issuer_url=self.oidc_issuer_url,
            namespace="kube-system",
            service_account=AUTOSCALER_SERVICE_ACCOUNT,
            policy=policy,
            parent=self,
        )
        pinned_release(
            f"{name}-cluster-autoscaler",
            "cluster-autoscaler",
            namespace="kube-system",
            values=role.arn.apply(lambda arn: autoscaler_values(cluster_name, region, version, arn)),
            opts=self._in_cluster(system_nodes),
        )

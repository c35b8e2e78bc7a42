"""The platform contract: what a platform stack exports for app teams, and their typed view of it.

A platform stack (``infra/``, or any program that builds the cluster) calls
``export_platform(platform_contract(cluster, ...), cluster.kubeconfig)``; it exports one
plain output, ``platform`` (a versioned :class:`PlatformContract`), and ``kubeconfig``, plain
too: it holds no credential, and a platform exporting no secret lets a team's ``StackReference`` read
it without the key that decrypts the platform's state. An app team's program reads it with
:class:`PlatformStack` (a ``pulumi.StackReference`` underneath) and declares its own endpoints
and buckets on that cluster::

    platform = PlatformStack("acme/mlops-platform/prod")
    ModelServingEndpoint("chat", {**platform.for_workloads(), "pool": platform.placement("llm"), ...},
                         pulumi.ResourceOptions(providers={"kubernetes": platform.provider}))

The contract also says what the platform serves (CRD groups, metrics APIs, Prometheus), so the
policy pack's deploy-readiness rules accept an app stack's custom objects and accelerator pods
that rely on it. ``mlops plan --stack-outputs build/plan/prod/plan.json`` plans such a program
offline against a platform plan's outputs.
"""

from collections.abc import Callable, Mapping
from typing import Any, NotRequired, TypedDict, TypeVar, cast

import pulumi
import pulumi_kubernetes as k8s

from components.artifact_bucket import ArtifactBucket
from components.catalog import POOL_LABEL, Taint
from components.cluster import Cluster, WorkloadWiring
from components.container_registry import ContainerRegistry
from components.errors import ComponentError, declared_at
from components.gpu_node_pool import GpuNodePool
from components.load_balancer_controller import LoadBalancing
from components.model_registry import READER_SECRET, ModelRegistry
from components.model_serving_endpoint import PoolPlacement, RegisteredModel, registered_model
from components.monitoring_stack import MonitoringStack
from components.naming import PLATFORM_CONTRACT_VERSION as CONTRACT_VERSION
from components.naming import PLATFORM_OUTPUT as CONTRACT_OUTPUT
from components.naming import PLATFORM_REFERENCE_TYPE
from components.team import Team, TeamPrefix

T = TypeVar("T")
KUBECONFIG_OUTPUT = "kubeconfig"
"""The stack output holding the cluster's kubeconfig (plain: ``aws eks get-token``, no credential)."""


class PoolContract(TypedDict):
    """A GPU pool as the contract describes it: enough to place pods on it and check they fit."""

    labels: dict[str, str]
    """Node labels (``mlops-platform/pool`` selects the pool)."""
    taints: list[dict[str, str]]
    """Node taints in the EKS spelling (``{"key", "value", "effect": "NO_SCHEDULE"}``)."""
    instanceTypes: list[str]
    """EC2 instance types of the nodes."""
    amiType: str
    """EKS AMI type."""
    deviceResource: str
    """Extended resource pods request (``nvidia.com/gpu``)."""
    acceleratorsPerNode: int
    """Accelerators per node: the most one pod can request."""
    provisioner: NotRequired[str]
    """``managed`` (a node group and the cluster-autoscaler) or ``karpenter`` (a NodePool): pods
    select and tolerate either the same way; absent in contracts written before Karpenter."""


class ModelRegistryContract(TypedDict):
    """The platform's model registry, for endpoints serving its registered models."""

    trackingUri: str
    """In-cluster URL of the server."""
    image: str
    """The MLflow image (its client downloads registered models)."""
    readerSecret: str
    """Secret each allowed namespace holds with its reader account."""
    allowedNamespaces: list[str]
    """Namespaces admitted (NetworkPolicy and reader accounts)."""
    namespace: NotRequired[str]
    """The registry's own namespace (the platform's: no team workload belongs there); absent in
    contracts written before it was exported."""


class LoadBalancerControllerContract(TypedDict):
    """The platform's AWS Load Balancer Controller, which an endpoint with a ``load_balancer`` needs."""

    vpcCidr: str
    """The VPC's IPv4 CIDR: the NLBs' private addresses a load-balanced endpoint's NetworkPolicy admits."""


class TeamContract(TypedDict):
    """A team the platform created: where its stacks deploy and with what identity."""

    namespaces: list[str]
    """Its namespaces (Pod Security restricted, quota, default-deny NetworkPolicies)."""
    serviceAccount: str
    """The service account in each namespace that holds its data role."""
    bucketPrefixes: list[TeamPrefix]
    """The bucket prefixes its data role reads and writes."""
    dataRoleArn: NotRequired[str]
    """The data role (IRSA), when it has bucket prefixes."""


class PlatformContract(TypedDict):
    """What a platform stack promises the stacks built on it (the ``platform`` output)."""

    version: int
    """:data:`CONTRACT_VERSION` of the writer."""
    clusterName: str
    """EKS cluster name."""
    region: str
    """AWS region."""
    oidcProviderArn: str
    """IAM OIDC provider of the cluster (IRSA roles trust it)."""
    oidcIssuerUrl: str
    """OIDC issuer URL (trust conditions name it)."""
    crdGroups: list[str]
    """API groups whose CRDs the platform installed (custom objects of these kinds can be applied)."""
    metricsApis: list[str]
    """Metrics APIs the cluster serves (``metrics.k8s.io``, ``external.metrics.k8s.io``)."""
    pools: dict[str, PoolContract]
    """GPU pools by name."""
    buckets: dict[str, str]
    """Artifact bucket names by logical name."""
    repositories: dict[str, str]
    """ECR repository URLs by name."""
    monitoringNamespace: NotRequired[str]
    """Namespace of kube-prometheus-stack (its Prometheus scrapes ServiceMonitors and serves KEDA)."""
    alertTopicArn: NotRequired[str]
    """SNS topic the platform's alerts go to."""
    modelRegistry: NotRequired[ModelRegistryContract]
    """The model registry, when the platform runs one."""
    teams: NotRequired[dict[str, TeamContract]]
    """Teams by name; absent in contracts written before teams."""
    loadBalancerController: NotRequired[LoadBalancerControllerContract]
    """The AWS Load Balancer Controller, when the platform runs one (absent otherwise)."""


def pool_contract(pool: GpuNodePool) -> PoolContract:
    """A pool's entry in the contract."""
    return {
        "labels": dict(pool.labels),
        "taints": [{"key": t.key, "value": t.value, "effect": t.effect} for t in pool.taints],
        "instanceTypes": list(pool.instance_types),
        "amiType": pool.ami_type,
        "deviceResource": pool.device_resource,
        "acceleratorsPerNode": pool.accelerators_per_node,
        "provisioner": pool.provisioner,
    }


def team_contract(team: Team) -> dict[str, Any]:
    """A team's entry in the contract (:class:`TeamContract`, its role ARN still an output)."""
    entry: dict[str, Any] = {
        "namespaces": list(team.namespaces),
        "serviceAccount": team.service_account,
        "bucketPrefixes": [dict(grant) for grant in team.bucket_prefixes],
    }
    if team.data_role_arn is not None:
        entry["dataRoleArn"] = team.data_role_arn
    return entry


def platform_contract(
    cluster: Cluster,
    *,
    region: str,
    pools: Mapping[str, GpuNodePool] | None = None,
    buckets: Mapping[str, ArtifactBucket] | None = None,
    registry: ContainerRegistry | None = None,
    monitoring: MonitoringStack | None = None,
    model_registry: ModelRegistry | None = None,
    teams: Mapping[str, Team] | None = None,
) -> pulumi.Output[PlatformContract]:
    """The contract of a platform built from these components (no secret in it)."""
    contract: dict[str, Any] = {
        "version": CONTRACT_VERSION,
        "clusterName": cluster.cluster_name,
        "region": region,
        "oidcProviderArn": cluster.oidc_provider_arn,
        "oidcIssuerUrl": cluster.oidc_issuer_url,
        "crdGroups": list(cluster.crd_groups),
        "metricsApis": list(cluster.metrics_apis),
        "pools": {name: pool_contract(pool) for name, pool in (pools or {}).items()},
        "buckets": {name: bucket.bucket_name for name, bucket in (buckets or {}).items()},
        "repositories": dict(registry.repository_urls) if registry is not None else {},
    }
    if monitoring is not None:
        contract["monitoringNamespace"] = monitoring.namespace
        contract["alertTopicArn"] = monitoring.topic_arn
    if model_registry is not None:
        contract["modelRegistry"] = {
            "trackingUri": model_registry.tracking_uri,
            "image": model_registry.image,
            "readerSecret": model_registry.reader_secret,
            "allowedNamespaces": list(model_registry.allowed_namespaces),
            "namespace": model_registry.namespace,
        }
    if teams:
        contract["teams"] = {name: team_contract(team) for name, team in teams.items()}
    if (balancing := cluster.load_balancing()) is not None:
        contract["loadBalancerController"] = {"vpcCidr": balancing["vpc_cidr"]}
    return cast(pulumi.Output[PlatformContract], pulumi.Output.from_input(contract))


def export_platform(contract: pulumi.Input[PlatformContract], kubeconfig: pulumi.Input[str]) -> None:
    """Export the ``platform`` contract (:func:`platform_contract`) and the ``kubeconfig`` from the
    stack: ``export_platform(platform_contract(cluster, ...), cluster.kubeconfig)``. Both are plain:
    what app teams read must not need the platform state's decryption key."""
    pulumi.export(CONTRACT_OUTPUT, contract)
    pulumi.export(KUBECONFIG_OUTPUT, kubeconfig)


_REQUIRED = tuple(key for key in PlatformContract.__required_keys__ if key != "version")


def contract_problems(value: object) -> list[str]:
    """What is wrong with a ``platform`` output read from another stack (empty when usable)."""
    if not isinstance(value, dict):
        return [f"its {CONTRACT_OUTPUT!r} output is not an object (got {type(value).__name__})"]
    contract = cast(dict[str, Any], value)
    version = contract.get("version")
    if isinstance(version, float) and version.is_integer():  # JSON numbers arrive as floats
        version = int(version)
    if version != CONTRACT_VERSION:
        return [f"contract version {version!r} is not the one this package reads ({CONTRACT_VERSION})"]
    missing = sorted(key for key in _REQUIRED if key not in contract)
    return [f"contract has no {', '.join(missing)}"] if missing else []


def placement_of(contract: PlatformContract, pool: str) -> PoolPlacement:
    """The placement of a contract's pool, as :func:`~components.model_serving_endpoint.placement`
    gives it for a pool in the same program; raises ValueError for a pool it does not have."""
    pools = contract["pools"]
    if pool not in pools:
        raise ValueError(f"has no GPU pool {pool!r} (it has: {', '.join(sorted(pools)) or 'none'})")
    entry = pools[pool]
    return {
        "name": entry["labels"].get(POOL_LABEL, pool),
        "taints": [Taint(t["key"], t.get("value", ""), t["effect"]) for t in entry["taints"]],
        "device_resource": entry["deviceResource"],
        "accelerators_per_node": int(entry["acceleratorsPerNode"]),  # JSON numbers arrive as floats
        "instance_types": list(entry["instanceTypes"]),
    }


def registry_of(contract: PlatformContract, namespace: str) -> ModelRegistryContract:
    """The contract's model registry, checked to admit ``namespace``."""
    registry = contract.get("modelRegistry")
    if registry is None:
        raise ValueError("runs no model registry (platform.modelRegistry)")
    if namespace not in registry["allowedNamespaces"]:
        raise ValueError(
            f"its model registry admits namespaces {', '.join(registry['allowedNamespaces']) or 'none'}, "
            f"not {namespace!r}: add it to the platform's modelRegistry.allowedNamespaces"
        )
    return registry


def load_balancer_controller_of(contract: PlatformContract) -> LoadBalancerControllerContract:
    """The contract's AWS Load Balancer Controller; raises ValueError when the platform runs none."""
    controller = contract.get("loadBalancerController")
    if controller is None:
        raise ValueError(
            "runs no AWS Load Balancer Controller (platform.loadBalancerController), so no NLB would be made for "
            "a load_balancer: set cluster.loadBalancerController: true in the platform's stack config"
        )
    return controller


def team_of(contract: PlatformContract, team: str) -> TeamContract:
    """The contract's team ``team``; raises ValueError for a team the platform did not create."""
    teams = contract.get("teams", {})
    if team not in teams:
        raise ValueError(
            f"has no team {team!r} (it has: {', '.join(sorted(teams)) or 'none'}): add it to the platform's teams"
        )
    return teams[team]


def _entry(table: str, contract: PlatformContract, name: str) -> str:
    entries = cast(dict[str, str], contract[table])
    if name not in entries:
        raise ValueError(f"has no {table[:-1]} {name!r} (it has: {', '.join(sorted(entries)) or 'none'})")
    return entries[name]


class PlatformWiring(WorkloadWiring):
    """:class:`~components.cluster.WorkloadWiring` of a platform read through its contract, with
    the facts an app stack cannot know itself (``ModelServingEndpoint`` takes each)."""

    region: pulumi.Input[str]
    """The platform's AWS region (its contract's ``region``)."""


class _PlatformReference(pulumi.ComponentResource):
    """The contract an app stack read, recorded in its own deployment as a component's input and
    output. The engine sends a policy pack no read resource (a StackReference is one), so this is
    how the pack's deploy-readiness rules learn what the platform serves."""

    platform: pulumi.Output[Any]
    """The contract, as read."""

    def __init__(self, name: str, contract: pulumi.Input[Any], opts: pulumi.ResourceOptions | None = None) -> None:
        """Record ``contract`` under ``name`` (the StackReference's name)."""
        super().__init__(PLATFORM_REFERENCE_TYPE, name, {CONTRACT_OUTPUT: contract}, opts)
        self.platform = pulumi.Output.from_input(contract)
        self.register_outputs({CONTRACT_OUTPUT: self.platform})


class PlatformStack:
    """A platform stack as an app team's program sees it: its contract, typed, through a
    ``pulumi.StackReference``, and a Kubernetes provider for its cluster.

    Reading a pool, bucket or repository the platform does not export fails the update with the
    stack's name and what it does export.
    """

    stack_name: str
    """The platform stack read, ``organization/project/stack``."""
    reference: pulumi.StackReference
    """The StackReference underneath."""
    contract: pulumi.Output[PlatformContract]
    """The platform's ``platform`` output, checked to be a contract this package reads."""
    kubeconfig: pulumi.Output[str]
    """The cluster's kubeconfig (``aws eks get-token`` with this stack's own credentials)."""
    provider: k8s.Provider
    """Kubernetes provider for the platform's cluster: pass it to in-cluster components."""

    def __init__(self, stack_name: str, name: str = "platform", opts: pulumi.ResourceOptions | None = None) -> None:
        """Read the platform stack ``stack_name``, fully qualified as ``organization/project/stack``
        (``acme/mlops-platform/prod``; on a self-managed backend such as S3 the organization is the
        literal ``organization``: ``organization/mlops-platform/prod``). ``name`` names the
        StackReference and (``<name>-kubernetes``) the provider; ``opts`` go to both."""
        self.stack_name = stack_name
        self.reference = pulumi.StackReference(name, stack_name=stack_name, opts=opts)
        self.contract = self.reference.get_output(CONTRACT_OUTPUT).apply(self._checked)
        # The contract in this stack's own state (mlops:index:PlatformReference), for the policy pack.
        _PlatformReference(name, self.contract, opts)
        self.kubeconfig = pulumi.Output.from_input(self.reference.require_output(KUBECONFIG_OUTPUT)).apply(str)
        self.provider = k8s.Provider(
            f"{name}-kubernetes", kubeconfig=self.kubeconfig, enable_server_side_apply=True, opts=opts
        )

    def _checked(self, value: object) -> PlatformContract:
        if value is None:
            raise ValueError(
                f"platform stack {self.stack_name}: exports no {CONTRACT_OUTPUT!r} contract "
                "(its program must call components.platform_stack.export_platform)"
            )
        if problems := contract_problems(value):
            raise ValueError(f"platform stack {self.stack_name}: " + "; ".join(problems))
        return cast(PlatformContract, value)

    def _get(self, read: Callable[[PlatformContract], T]) -> pulumi.Output[T]:
        where = declared_at()  # the program's line asking for it: the apply runs long after

        def apply(contract: PlatformContract) -> T:
            try:
                return read(contract)
            except ValueError as exc:
                raise ComponentError(f"platform stack {self.stack_name}", [str(exc)], where) from None

        return self.contract.apply(apply)

    @property
    def cluster_name(self) -> pulumi.Output[str]:
        """The EKS cluster name."""
        return self.contract.apply(lambda c: c["clusterName"])

    @property
    def region(self) -> pulumi.Output[str]:
        """The platform's AWS region."""
        return self.contract.apply(lambda c: c["region"])

    def for_workloads(self) -> PlatformWiring:
        """What :meth:`Cluster.for_workloads` gives in the platform's own program: the OIDC
        provider, and no CRD releases to wait on (the platform stack installed them); and the
        platform's region, where the pods run."""
        return {
            "crds": [],
            "oidc_provider_arn": self.contract.apply(lambda c: c["oidcProviderArn"]),
            "oidc_issuer_url": self.contract.apply(lambda c: c["oidcIssuerUrl"]),
            "region": self.region,
        }

    def placement(self, pool: str) -> pulumi.Output[PoolPlacement]:
        """Where an endpoint on the platform's pool ``pool`` runs (``ModelServingEndpointArgs.pool``)."""
        return self._get(lambda c: placement_of(c, pool))

    def registered(
        self, model: str, *, namespace: str, version: int | None = None, alias: str | None = None
    ) -> RegisteredModel:
        """A model version (or alias) of the platform's model registry, for an endpoint in
        ``namespace`` (``ModelServingEndpointArgs.registered_model``); the namespace must be one the
        registry admits (its ``allowedNamespaces``), or the update fails saying so."""
        registry = self._get(lambda c: registry_of(c, namespace))
        return registered_model(
            model,
            tracking_uri=registry.apply(lambda r: r["trackingUri"]),
            client_image=registry.apply(lambda r: r["image"]),
            credentials_secret=READER_SECRET,
            version=version,
            alias=alias,
            namespaces=[namespace],
        )

    def load_balancing(self) -> LoadBalancing:
        """The platform's AWS Load Balancer Controller for an endpoint with a ``load_balancer``
        (``ModelServingEndpointArgs.load_balancing``); the update fails saying so when the platform runs none."""
        return {"vpc_cidr": self._get(load_balancer_controller_of).apply(lambda c: c["vpcCidr"]), "releases": []}

    def team(self, name: str) -> pulumi.Output[TeamContract]:
        """The platform's team ``name``: its namespaces, service account and data role."""
        return self._get(lambda c: team_of(c, name))

    def bucket_name(self, name: str) -> pulumi.Output[str]:
        """The name of the platform's artifact bucket ``name``."""
        return self._get(lambda c: _entry("buckets", c, name))

    def repository_url(self, name: str) -> pulumi.Output[str]:
        """The URL of the platform's ECR repository ``name``."""
        return self._get(lambda c: _entry("repositories", c, name))

"""Compose the platform's components for one stack from its validated config."""

from __future__ import annotations

import os
from pathlib import Path

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
from pulumi.runtime import config as pulumi_config

from components import catalog, pins
from components.alerting import EndpointAlerts, any_canaried
from components.artifact_bucket import ArtifactBucket, ArtifactBucketArgs
from components.cluster import Cluster, ClusterArgs
from components.container_registry import ContainerRegistry, ImageBuild, Repository
from components.delivery import ARGO_ROLLOUTS_NAMESPACE
from components.errors import ConfigError, Problem
from components.gpu_node_pool import GpuNodePool, GpuNodePoolArgs
from components.model_registry import PORT as REGISTRY_PORT
from components.model_registry import ModelRegistry, ModelRegistryArgs
from components.model_serving_endpoint import ModelServingEndpoint, ModelServingEndpointArgs, placement, selector_for
from components.monitoring_stack import GpuCapacityAlarm, MonitoringStack, MonitoringStackArgs
from components.naming import aws_region_problems
from components.network import Network, NetworkArgs
from components.nvidia_device_plugin import NvidiaDevicePlugin
from components.platform_stack import export_platform, platform_contract
from components.preview_access import preview_access
from components.project import SECRET_PLACEHOLDER, project_root
from components.team import (
    Team,
    TeamAccess,
    TeamArgs,
    TeamRegistry,
    declare_network_policies,
    network_policy_specs,
)
from infra.config import (
    CONFIG_KEY,
    MONITORING_NAMESPACE,
    SECRET_KEYS,
    BucketConfig,
    EndpointConfig,
    GpuPoolConfig,
    PlatformConfig,
    RegistryConfig,
    TeamConfig,
    load_platform_config,
    plaintext_credential_problems,
    secret_problems,
    secret_value_problems,
)


def read_config() -> tuple[PlatformConfig, str, dict[str, pulumi.Output[str]]]:
    """The stack's validated platform config, AWS region and secrets; raises ConfigError when
    invalid. Runs before any resource is declared, so a bad config creates nothing.
    """
    source = f"Pulumi.{pulumi.get_stack()}.yaml"
    root = project_root(Path.cwd())
    stack_config = pulumi.Config()
    config = load_platform_config(stack_config.get_object(CONFIG_KEY), source, root=root)
    secrets = {key: value for key in SECRET_KEYS if (value := stack_config.get_secret(key)) is not None}
    problems = secret_problems(config, set(secrets), pulumi.get_project())
    decrypted = {key: value for key in secrets if (value := stack_config.get(key)) not in (None, SECRET_PLACEHOLDER)}
    problems += secret_value_problems(decrypted, pulumi.get_project())
    given = {**pulumi_config.get_config_env(), **pulumi_config.CONFIG.get()}
    problems += plaintext_credential_problems(given, pulumi_config.is_config_secret)
    region = pulumi.Config("aws").get("region")
    if region is None:
        problems.append(Problem("aws:region", "required: the AWS region to deploy to, e.g. us-east-1"))
    else:
        problems += [Problem("aws:region", f"{message} (got {region!r})") for message in aws_region_problems(region)]
    if problems or region is None:
        raise ConfigError(source, problems)
    return config, region, secrets


def build(config: PlatformConfig, region: str, secrets: dict[str, pulumi.Output[str]]) -> None:
    """Declare the stack's resources in dependency order and export its outputs."""
    aws_provider = aws.Provider(
        "aws",
        region=region,
        default_tags=aws.ProviderDefaultTagsArgs(tags=dict(config.tags)),
    )
    opts = pulumi.ResourceOptions(providers={"aws": aws_provider})
    protect = config.is_prod

    vpc_id, vpc_cidr, private_subnets = network(config, opts)
    cluster_args: ClusterArgs = {
        "cluster_name": config.cluster_name,
        "subnet_ids": private_subnets,
        "region": region,
        "version": config.cluster.version,
        "support_type": config.cluster.support_type,
        "endpoint_public_access": config.cluster.endpoint_public_access,
        "public_access_cidrs": list(config.cluster.public_access_cidrs),
        "api_access_cidrs": list(config.cluster.api_access_cidrs),
        "admin_role_arns": list(config.cluster.admin_role_arns),
        "view_role_arns": list(config.cluster.view_role_arns),
        "creator_admin": config.cluster.creator_admin,
        "log_retention_days": config.cluster.log_retention_days,
        "system_instance_types": list(config.cluster.system_instance_types),
        "system_min_size": config.cluster.system_min_size,
        "system_max_size": config.cluster.system_max_size,
        "tags": dict(config.tags),
        "protect": protect,
        "karpenter": config.cluster.karpenter,
        "argo_rollouts": canaries(config),
    }
    if config.cluster.deploy_role_arn is not None:
        cluster_args["deploy_role_arn"] = config.cluster.deploy_role_arn
    if config.load_balancer_controller:
        cluster_args["load_balancer_controller"] = {"vpc_id": vpc_id, "vpc_cidr": vpc_cidr}
    cluster = Cluster("eks", cluster_args, opts)
    k8s_opts = pulumi.ResourceOptions(providers={"aws": aws_provider, "kubernetes": cluster.provider})
    pools = {
        pool.name: GpuNodePool(pool.name, pool_args(pool, cluster, private_subnets, config), k8s_opts)
        for pool in config.gpu_pools
    }
    if any(pool.needs_device_plugin for pool in pools.values()):
        NvidiaDevicePlugin("nvidia-device-plugin", {}, k8s_opts)

    buckets = {b.name: ArtifactBucket(b.name, bucket_args(b, protect), opts) for b in config.buckets}
    registry = (
        ContainerRegistry("registry", {"repositories": repositories(config.registries), "protect": protect}, opts)
        if config.registries
        else None
    )

    namespaces = {
        ns: k8s.core.v1.Namespace(
            f"namespace-{ns}",
            metadata={"name": ns, "labels": {"pod-security.kubernetes.io/enforce": "restricted"}},
            opts=k8s_opts,
        )
        for ns in sorted({endpoint.namespace for endpoint in config.endpoints})
    }
    # The endpoints' shared namespaces deny by default too: each endpoint's own policy admits its
    # callers and the monitoring namespace; out only DNS, AWS APIs and the registry.
    for ns, namespace in namespaces.items():
        declare_network_policies(
            network_policy_specs(
                ns,
                monitoring_namespace=MONITORING_NAMESPACE,
                registry=registry_peer(config),
                own_pods=False,
                scrapes=False,
            ),
            ns,
            lambda suffix, ns=ns: f"namespace-{ns}-{suffix}",
            pulumi.ResourceOptions.merge(k8s_opts, pulumi.ResourceOptions(depends_on=[namespace])),
        )
    teams = {
        team.name: Team(team.name, team_args(team, config, cluster, buckets, region), k8s_opts) for team in config.teams
    }
    team_namespaces = [ns for team in teams.values() for ns in team.namespace_resources]
    monitoring = None
    if config.monitoring.enabled:
        monitoring = MonitoringStack("monitoring", monitoring_args(config, cluster, region, secrets), k8s_opts)
        pulumi.export("alertTopicArn", monitoring.topic_arn)
    model_registry = None
    if config.model_registry is not None:
        model_registry = ModelRegistry(
            config.model_registry.name,
            registry_args(config, cluster, buckets, registry, vpc_id, private_subnets, monitoring, secrets, region),
            pulumi.ResourceOptions.merge(
                k8s_opts, pulumi.ResourceOptions(depends_on=[*namespaces.values(), *team_namespaces])
            ),
        )
        pulumi.export("modelRegistryUri", model_registry.tracking_uri)
    endpoints = {
        endpoint.name: ModelServingEndpoint(
            endpoint.name,
            endpoint_args(
                endpoint,
                config=config,
                cluster=cluster,
                pools=pools,
                buckets=buckets,
                registry=registry,
                model_registry=model_registry,
                region=region,
            ),
            pulumi.ResourceOptions.merge(k8s_opts, pulumi.ResourceOptions(depends_on=[namespaces[endpoint.namespace]])),
        )
        for endpoint in config.endpoints
    }
    preview_access(
        "eks-preview",
        cluster_name=cluster.cluster_name,
        role_arns=list(config.cluster.preview_role_arns),
        secret_namespaces=secret_namespaces(config, monitoring),
        region=region,
        depends_on=[cluster, *namespaces.values(), *filter(None, [monitoring, model_registry])],
        opts=k8s_opts,
    )

    # The contract app teams' stacks read (PlatformStack) and the kubeconfig: no output is a secret,
    # so reading them never needs the key that decrypts this stack's state (admin passwords stay in
    # their Kubernetes Secrets).
    contract = platform_contract(
        cluster,
        region=region,
        pools=pools,
        buckets=buckets,
        registry=registry,
        monitoring=monitoring,
        model_registry=model_registry,
        teams=teams,
    )
    export_platform(contract, cluster.kubeconfig)
    pulumi.export("environment", config.environment.value)
    pulumi.export("region", region)
    pulumi.export("vpcId", vpc_id)
    pulumi.export("clusterName", cluster.cluster_name)
    pulumi.export("gpuPools", {name: pool.ami_type for name, pool in pools.items()})
    pulumi.export("endpoints", {e.name: f"{e.name}.{e.namespace}.svc.cluster.local" for e in config.endpoints})
    pulumi.export("endpointRoles", {name: endpoint.role_arn for name, endpoint in endpoints.items()})
    pulumi.export("buckets", {name: bucket.bucket_name for name, bucket in buckets.items()})
    if registry is not None:
        pulumi.export("repositoryUrls", registry.repository_urls)
        pulumi.export("imageRefs", registry.image_refs)


def network(
    config: PlatformConfig, opts: pulumi.ResourceOptions
) -> tuple[pulumi.Input[str], str, list[pulumi.Input[str]]]:
    """The VPC ID, its CIDR and the private subnets: an existing VPC from config, or a new :class:`Network`."""
    net = config.network
    if net.existing is not None:
        return net.existing.vpc_id, net.existing.cidr or "", list(net.existing.private_subnet_ids)
    args: NetworkArgs = {
        "cidr": net.cidr,
        "az_count": net.az_count,
        "nat_gateways": net.nat_gateways,
        "vpc_endpoints": net.vpc_endpoints,
        "flow_logs": net.flow_logs,
        "cluster_name": config.cluster_name,
        "protect": config.is_prod,
    }
    if net.availability_zone_ids is not None:
        args["availability_zone_ids"] = list(net.availability_zone_ids)
    created = Network("network", args, opts)
    return created.vpc_id, net.cidr, list(created.private_subnet_ids)


def pool_args(
    pool: GpuPoolConfig, cluster: Cluster, subnets: list[pulumi.Input[str]], config: PlatformConfig
) -> GpuNodePoolArgs:
    """GpuNodePool arguments from a ``gpuPools[]`` entry."""
    args: GpuNodePoolArgs = {
        **cluster.for_node_pools(),
        "subnet_ids": subnets,
        "instance_types": list(pool.instance_types),
        "min_size": pool.min_size,
        "max_size": pool.max_size,
        "capacity_type": pool.capacity_type,
        "os": pool.os.value,
        "disk_size_gib": pool.disk_size_gib,
        "imds_hop_limit": pool.imds_hop_limit,
        "labels": dict(pool.labels),
        "taints": [{"key": t.key, "value": t.value, "effect": t.effect} for t in pool.taints],
        "max_unavailable": pool.max_unavailable,
        "tags": dict(config.tags),
    }
    if pool.spot_discount is not None:
        args["spot_discount"] = pool.spot_discount
    if pool.provisioner == "karpenter":
        args["provisioner"] = "karpenter"
        if pool.ami_version is not None:
            args["ami_version"] = pool.ami_version
        if pool.consolidate_after is not None:
            args["consolidate_after"] = pool.consolidate_after
        if pool.expire_after is not None:
            args["expire_after"] = pool.expire_after
    return args


def endpoint_args(
    endpoint: EndpointConfig,
    *,
    config: PlatformConfig,
    cluster: Cluster,
    pools: dict[str, GpuNodePool],
    buckets: dict[str, ArtifactBucket],
    registry: ContainerRegistry | None,
    model_registry: ModelRegistry | None,
    region: str,
) -> ModelServingEndpointArgs:
    """ModelServingEndpoint arguments from an ``endpoints[]`` entry (references already checked)."""
    args: ModelServingEndpointArgs = {
        **cluster.for_workloads(),
        "runtime": endpoint.runtime.value,
        "pool": placement(pools[endpoint.pool]),
        "namespace": endpoint.namespace,
        "gpus": endpoint.gpus,
        "replicas": endpoint.replicas,
        "cpu": endpoint.cpu,
        "memory": endpoint.memory,
        "port": endpoint.port,
        "ready_path": endpoint.ready_path,
        "live_path": endpoint.live_path,
        "args": list(endpoint.args),
        "startup_seconds": endpoint.startup_seconds,
        "published": endpoint.published,
        "rollout": endpoint.rollout,
        "autoscaling_target": endpoint.autoscaling_target,
        "zone_spread": config.is_prod,
        "load_balancer": endpoint.load_balancer,
        "allow_internet_facing": endpoint.allow_internet_facing,
        "allowed_namespaces": list(endpoint.allowed_namespaces),
        "region": region,
    }
    if endpoint.load_balancer != "none" and (balancing := cluster.load_balancing()) is not None:
        args["load_balancing"] = balancing
    if endpoint.model is not None and model_registry is not None:
        model = endpoint.model
        args["registered_model"] = model_registry.registered(model.name, version=model.version, alias=model.alias)
    elif endpoint.bucket is not None and endpoint.model_prefix is not None:
        source = buckets[endpoint.bucket].model_source(endpoint.model_prefix)
        args["bucket_name"], args["model_prefix"] = source["bucket_name"], source["model_prefix"]
        args["model_policy"] = source["model_policy"]
        if endpoint.model_version is not None:
            args["model_version"] = endpoint.model_version
    if endpoint.registry is not None and registry is not None:
        args["image"] = registry.image_refs[endpoint.registry]
    elif endpoint.image is not None:
        args["image"] = endpoint.image
    if endpoint.max_replicas is not None:
        args["max_replicas"] = endpoint.max_replicas
    if endpoint.model_id is not None:
        args["model_id"] = endpoint.model_id
    if config.model_copier_registry is not None and registry is not None:
        args["copier_image"] = registry.image_refs[config.model_copier_registry]
    if endpoint.autoscaling_metric is not None:
        args["autoscaling_metric"] = endpoint.autoscaling_metric
    if endpoint.metric_types:
        args["metric_types"] = dict(endpoint.metric_types)
    if endpoint.canaried(config.is_prod):
        args["canary"] = True
        args["canary_analysis"] = {
            "error_ratio": endpoint.error_ratio_threshold,
            "p95_latency_seconds": endpoint.p95_latency_seconds,
            "requests_metric": endpoint.requests_metric,
            "error_selector": endpoint.error_selector,
            "latency_histogram": endpoint.latency_histogram,
        }
    return args


def registry_namespaces(config: PlatformConfig) -> list[str]:
    """Namespaces that may call the model registry: the configured ones, those of endpoints
    serving its models and every team's (each gets its registry account's Secret there)."""
    registry = config.model_registry
    if registry is None:
        return []
    serving = {e.namespace for e in config.endpoints if e.model is not None and e.model.registry == registry.name}
    teams = {ns for team in config.teams for ns in team.namespaces}
    return sorted({*registry.allowed_namespaces, *serving, *teams})


def team_args(
    team: TeamConfig, config: PlatformConfig, cluster: Cluster, buckets: dict[str, ArtifactBucket], region: str
) -> TeamArgs:
    """Team arguments from a ``teams[]`` entry (references already checked)."""
    quota = team.quota
    args: TeamArgs = {
        "namespaces": list(team.namespaces),
        "cluster_name": cluster.cluster_name,
        "region": region,
        "quota": {"gpus": quota.gpus, "cpu": quota.cpu, "memory": quota.memory},
        "deployer_role_arns": list(team.deployer_role_arns),
        "access_policy": TeamAccess(team.access_policy),
        "monitoring_namespace": MONITORING_NAMESPACE,
        "oidc_provider_arn": cluster.oidc_provider_arn,
        "oidc_issuer_url": cluster.oidc_issuer_url,
        "bucket_prefixes": [
            {
                "bucket": grant.bucket,
                "bucket_arn": buckets[grant.bucket].arn,
                "key_arn": buckets[grant.bucket].kms_key_arn,
                "prefix": grant.prefix,
            }
            for grant in team.bucket_prefixes
        ],
    }
    if (peer := registry_peer(config)) is not None:
        args["registry"] = peer
    return args


def canaries(config: PlatformConfig) -> bool:
    """Whether an endpoint of the stack serves through a canary. The cluster then runs Argo Rollouts;
    the MonitoringStack decides the same from the same alert entries."""
    return any_canaried(endpoint_alerts(config))


def endpoint_alerts(config: PlatformConfig) -> list[EndpointAlerts]:
    """What the MonitoringStack alerts on for each endpoint: its SLO thresholds, its metrics, and
    whether it is canaried."""
    return [
        {
            "name": e.name,
            "namespace": e.namespace,
            "runtime": e.runtime.value,
            "error_ratio": e.error_ratio_threshold,
            "p95_latency_seconds": e.p95_latency_seconds,
            "availability_objective": e.availability_objective,
            "requests_metric": e.requests_metric,
            "error_selector": e.error_selector,
            "latency_histogram": e.latency_histogram,
            "canary": e.canaried(config.is_prod),
        }
        for e in config.endpoints
    ]


def secret_namespaces(config: PlatformConfig, monitoring: MonitoringStack | None) -> list[str]:
    """Namespaces where the stack keeps Secrets or Helm release records (the Secrets a refresh of a
    ``helm.v3.Release`` lists): the cluster's releases (cluster-autoscaler, the Prometheus CRDs,
    Karpenter and the AWS Load Balancer Controller in kube-system; KEDA in keda; Argo Rollouts in its
    own when an endpoint is canaried), the monitoring stack's, the model registry's and the namespaces
    its reader Secrets go to.
    ``tests/stack`` compares it with each plan's Secrets and releases."""
    found = {"kube-system", "keda"}
    if canaries(config):
        found.add(ARGO_ROLLOUTS_NAMESPACE)
    if monitoring is not None:
        found.add(monitoring.namespace)
    if config.model_registry is not None:
        found |= {config.model_registry.namespace, *registry_namespaces(config)}
    return sorted(found)


def registry_peer(config: PlatformConfig) -> TeamRegistry | None:
    """The model registry's server as a NetworkPolicy egress target, when the stack runs one."""
    if config.model_registry is None:
        return None
    return {
        "namespace": config.model_registry.namespace,
        "pod_labels": selector_for(config.model_registry.name),
        "port": REGISTRY_PORT,
    }


def registry_args(
    config: PlatformConfig,
    cluster: Cluster,
    buckets: dict[str, ArtifactBucket],
    registry: ContainerRegistry | None,
    vpc_id: pulumi.Input[str],
    subnets: list[pulumi.Input[str]],
    monitoring: MonitoringStack | None,
    secrets: dict[str, pulumi.Output[str]],
    region: str,
) -> ModelRegistryArgs:
    """ModelRegistry arguments from the ``modelRegistry`` section (references already checked)."""
    section = config.model_registry
    assert section is not None
    prod = config.is_prod
    args: ModelRegistryArgs = {
        **cluster.for_workloads(),
        **buckets[section.bucket].artifact_store(section.artifact_prefix),
        "vpc_id": vpc_id,
        "subnet_ids": subnets,
        "node_security_group_id": cluster.security_group_id,
        "namespace": section.namespace,
        "replicas": section.server_replicas(prod),
        "allowed_namespaces": registry_namespaces(config),
        "load_balancer": section.load_balancer,
        "instance_class": section.instance_class,
        "storage_gib": section.storage_gib,
        "max_storage_gib": section.max_storage_gib,
        "backup_retention_days": section.backups(prod),
        "multi_az": section.multi_az if section.multi_az is not None else prod,
        "region": region,
        "protect": prod,
    }
    if section.load_balancer != "none" and (balancing := cluster.load_balancing()) is not None:
        args["load_balancing"] = balancing
    if section.registry is not None and registry is not None:
        args["image"] = registry.image_refs[section.registry]
    elif section.image is not None:
        args["image"] = section.image
    if config.model_copier_registry is not None and registry is not None:
        args["copier_image"] = registry.image_refs[config.model_copier_registry]
    if "modelRegistryAdminPassword" in secrets:
        args["admin_password"] = secrets["modelRegistryAdminPassword"]
    if monitoring is not None:
        args["alarm_topic_arn"] = monitoring.topic_arn
        args["monitoring_namespace"] = monitoring.namespace
    return args


def monitoring_args(
    config: PlatformConfig, cluster: Cluster, region: str, secrets: dict[str, pulumi.Output[str]]
) -> MonitoringStackArgs:
    """MonitoringStack arguments: alerts for every endpoint and pool, receivers from config."""
    monitoring = config.monitoring
    args: MonitoringStackArgs = {
        **cluster.for_workloads(),
        "cluster_name": config.cluster_name,
        "region": region,
        "endpoints": endpoint_alerts(config),
        "pools": [{"name": p.name, "max_size": p.max_size} for p in config.gpu_pools],
        "retention_days": monitoring.retention_days,
        "persistent_storage": monitoring.persistent_storage,
        "storage_size_gib": monitoring.storage_size_gib,
        "burn_rate_alerts": config.is_prod,
        "high_availability": config.is_prod,
        "alert_emails": list(monitoring.alert_emails),
        "alert_https_endpoints": list(monitoring.alert_https_endpoints),
        "volume_provisioner": cluster.ebs_csi_driver,
        "gpu_capacity": gpu_capacity(config),
        "gpu_instance_types": sorted({t for p in config.gpu_pools for t in p.instance_types}),
        "protect": config.is_prod,
    }
    if monitoring.slack_channel is not None:
        args["slack_channel"] = monitoring.slack_channel
        args["slack_webhook_url"] = secrets["slackWebhookUrl"]
    if monitoring.pagerduty:
        args["pagerduty_routing_key"] = secrets["pagerdutyRoutingKey"]
    if "grafanaAdminPassword" in secrets:
        args["grafana_admin_password"] = secrets["grafanaAdminPassword"]
    if monitoring.monthly_gpu_budget_usd is not None:
        args["monthly_gpu_budget_usd"] = monitoring.monthly_gpu_budget_usd
    return args


def gpu_capacity(config: PlatformConfig) -> list[GpuCapacityAlarm]:
    """One alarm per EC2 usage class: the vCPUs of its pools at their maximum size."""
    totals: dict[str, int] = {}
    for pool in config.gpu_pools:
        vcpus = max(catalog.accelerated()[t].vcpus for t in pool.instance_types)
        usage = catalog.usage_class(pool.instance_types[0], pool.capacity_type)
        totals[usage] = totals.get(usage, 0) + pool.max_size * vcpus
    return [{"usage_class": usage, "max_vcpus": vcpus} for usage, vcpus in sorted(totals.items())]


def bucket_args(bucket: BucketConfig, protect: bool) -> ArtifactBucketArgs:
    """ArtifactBucket arguments from a ``buckets[]`` entry."""
    args: ArtifactBucketArgs = {
        "noncurrent_version_days": bucket.noncurrent_version_days,
        "abort_multipart_days": bucket.abort_multipart_days,
        "protect": protect,
    }
    if bucket.bucket_name is not None:
        args["bucket_name"] = bucket.bucket_name
    if bucket.intelligent_tiering_days is not None:
        args["intelligent_tiering_days"] = bucket.intelligent_tiering_days
    if bucket.object_lock_days is not None:
        args["object_lock_days"] = bucket.object_lock_days
    if bucket.access_log_bucket is not None:
        args["access_log_bucket"] = bucket.access_log_bucket
    return args


def repositories(registries: list[RegistryConfig]) -> list[Repository]:
    """ContainerRegistry repositories from the ``registries`` section.

    Build contexts in the config are relative to the project root (where ``Pulumi.yaml`` is);
    the image gets them relative to the directory the program runs in, so its inputs are the
    same on every checkout (an absolute path would be a change, and a rebuild, per machine).
    """
    root = project_root(Path.cwd())
    result: list[Repository] = []
    for registry in registries:
        repo: Repository = {
            "name": registry.name,
            "keep_tagged_images": registry.keep_tagged_images,
            "untagged_expiry_days": registry.untagged_expiry_days,
            "pull_account_ids": list(registry.pull_account_ids),
        }
        if registry.build is not None:
            build: ImageBuild = {
                "context": os.path.relpath(root / registry.build.context),
                "dockerfile": registry.build.dockerfile,
                "platform": registry.build.platform,
            }
            if registry.build.version is not None:
                build["version"] = registry.build.version
            if registry.build.base_image is not None:
                build["args"] = {"BASE_IMAGE": pins.image(registry.build.base_image)}
            repo["build"] = build
        result.append(repo)
    return result

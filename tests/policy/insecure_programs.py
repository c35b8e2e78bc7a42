"""Small programs another team might write with pulumi_aws and pulumi_kubernetes directly, each
with one classic mistake (and otherwise right: tagged, protected, hardened), for the policy pack.

``PROGRAMS`` maps a mistake to ``(program, the rule that must name it)``; ``SECURE`` builds the
same resources done right. ``tests/programs/insecure`` plans any of them through the CLI.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components import pins
from components.monitoring_stack import ALERTMANAGER_RESOURCES, HA_REPLICAS
from components.naming import PLATFORM_CONTRACT_VERSION
from components.platform_stack import _PlatformReference  # pyright: ignore[reportPrivateUsage]

TAGS = {"team": "vision", "cost-center": "cc-7", "environment": "prod"}
OIDC = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC"
ISSUER = "oidc.eks.us-east-1.amazonaws.com/id/ABC"
DIGEST = "123456789012.dkr.ecr.us-east-1.amazonaws.com/app@sha256:" + "a" * 64


MAYBE_ROOT = {
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}
"""A container's hardening, but for runAsNonRoot."""

_OPTS: dict[int, pulumi.ResourceOptions] = {}


def _opts() -> pulumi.ResourceOptions:
    """Tagged providers, created once per program run; every resource protected (prod)."""
    run = id(pulumi.runtime.get_root_resource())
    if run not in _OPTS:
        _OPTS.clear()
        tags = aws.ProviderDefaultTagsArgs(tags=TAGS)
        providers = {"aws": aws.Provider("aws", region="us-east-1", default_tags=tags)}
        providers["kubernetes"] = k8s.Provider("k8s", kubeconfig="{}")
        _OPTS[run] = pulumi.ResourceOptions(providers=providers, protect=True)
    return _OPTS[run]


def _doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _policy(action: Any, resource: Any = "*", element: str = "Resource") -> Callable[[], None]:
    """An identity policy allowing ``action`` on ``resource`` (``element="NotResource"``: on all but it)."""

    def program() -> None:
        statement = {"Effect": "Allow", "Action": action, element: resource}
        aws.iam.Policy("app-policy", policy=_doc(statement), opts=_opts())

    return program


def _irsa_trust(sub: str = "system:serviceaccount:serving:app", operator: str = "StringEquals") -> str:
    return _doc(
        {
            "Effect": "Allow",
            "Principal": {"Federated": OIDC},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {operator: {f"{ISSUER}:sub": sub, f"{ISSUER}:aud": "sts.amazonaws.com"}},
        }
    )


def _role(trust: str) -> Callable[[], None]:
    return lambda: aws.iam.Role("app-role", assume_role_policy=trust, opts=_opts())


def _admin_attachment() -> None:
    opts = _opts()
    role = aws.iam.Role("app-role", assume_role_policy=_irsa_trust(), opts=opts)
    aws.iam.RolePolicyAttachment(
        "app-admin", role=role.name, policy_arn="arn:aws:iam::aws:policy/AdministratorAccess", opts=opts
    )


def _public_bucket_policy() -> None:
    read = {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::site/*"}
    aws.s3.BucketPolicy("site-policy", bucket="site", policy=_doc(read), opts=_opts())


def _security_group(cidr: str = "10.0.0.0/16", port: int = 443, tags: dict[str, str] | None = None) -> None:
    rule = {"protocol": "tcp", "from_port": port, "to_port": port}
    rule |= {"ipv6_cidr_blocks": [cidr]} if ":" in cidr else {"cidr_blocks": [cidr]}
    aws.ec2.SecurityGroup("app-sg", vpc_id="vpc-0123456789abcdef0", ingress=[rule], tags=tags, opts=_opts())


def _ingress_rule() -> None:
    aws.vpc.SecurityGroupIngressRule(
        "app-ssh", security_group_id="sg-0123456789abcdef0", cidr_ipv6="::/0", from_port=22, to_port=22,
        ip_protocol="tcp", opts=_opts(),
    )  # fmt: skip


def _service(annotations: dict[str, str]) -> Callable[[], None]:
    def program() -> None:
        k8s.core.v1.Service(
            "app-service",
            metadata={"name": "app", "namespace": "serving", "annotations": annotations},
            spec={"type": "LoadBalancer", "selector": {"app": "app"}, "ports": [{"port": 443}]},
            opts=_opts(),
        )

    return program


def _instance(public_ip: bool = False, encrypted: bool = True) -> Callable[[], None]:
    def program() -> None:
        aws.ec2.Instance(
            "bastion",
            ami="ami-0123456789abcdef0",
            instance_type="t3.micro",
            subnet_id="subnet-0123456789abcdef0",
            associate_public_ip_address=public_ip,
            metadata_options={"http_tokens": "required"},
            root_block_device={"encrypted": encrypted},
            opts=_opts(),
        )

    return program


def _volume(encrypted: bool) -> Callable[[], None]:
    return lambda: aws.ebs.Volume("data", availability_zone="us-east-1a", size=100, encrypted=encrypted, opts=_opts())


def _database(**overrides: Any) -> Callable[[], None]:
    settings: dict[str, Any] = {
        "storage_encrypted": True,
        "kms_key_id": "arn:aws:kms:us-east-1:123456789012:key/0f5a8d1e-1111-2222-3333-444455556666",
        "publicly_accessible": False,
        "deletion_protection": True,
        "final_snapshot_identifier": "features-final",
        "multi_az": True,
        "manage_master_user_password": True,
        "backup_retention_period": 14,
        "copy_tags_to_snapshot": True,
        "enabled_cloudwatch_logs_exports": ["postgresql"],
        "username": "app",
        "monitoring_interval": 60,
        "monitoring_role_arn": "arn:aws:iam::123456789012:role/rds-monitoring",
    } | overrides

    def program() -> None:
        aws.rds.Instance(
            "features",
            engine="postgres",
            instance_class="db.t4g.medium",
            allocated_storage=50,
            **settings,
            opts=_opts(),
        )

    return program


def _topic(encrypted: bool) -> Callable[[], None]:
    key = "alias/aws/sns" if encrypted else None
    return lambda: aws.sns.Topic("alerts", kms_master_key_id=key, opts=_opts())


def _key(rotation: bool) -> Callable[[], None]:
    return lambda: aws.kms.Key("data-key", enable_key_rotation=rotation, opts=_opts())


def _rotation_off(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult | None:
    """A transform that undoes what the program wrote: the engine registers its result."""
    if args.type_ != "aws:kms/key:Key":
        return None
    return pulumi.ResourceTransformResult({**args.props, "enableKeyRotation": False}, args.opts)


def _rotation_undone_by_transform() -> None:
    transform = pulumi.ResourceOptions(transforms=[_rotation_off])
    aws.kms.Key("data-key", enable_key_rotation=True, opts=pulumi.ResourceOptions.merge(_opts(), transform))


def _harden(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult | None:
    """A transform that hardens every container of a Deployment."""
    if args.type_ != "kubernetes:apps/v1:Deployment":
        return None
    props = dict(args.props)
    for container in props["spec"]["template"]["spec"]["containers"]:
        container["securityContext"] = _container()["securityContext"]
    return pulumi.ResourceTransformResult(props, args.opts)


class _Team(pulumi.ComponentResource):
    """A team's own component: its transforms reach its children."""

    def __init__(self, name: str, opts: pulumi.ResourceOptions) -> None:
        super().__init__("team:index:Service", name, None, opts)


def _privileged_deployment(opts: pulumi.ResourceOptions) -> None:
    k8s.apps.v1.Deployment(
        "app",
        metadata={"name": "app", "namespace": "serving"},
        spec={
            "selector": {"matchLabels": {"app": "app"}},
            "template": {
                "metadata": {"labels": {"app": "app"}},
                "spec": {"containers": [_container(securityContext={"privileged": True})]},
            },
        },
        opts=pulumi.ResourceOptions.merge(_opts(), opts),
    )


def _hardened_by_own_transform() -> None:
    _privileged_deployment(pulumi.ResourceOptions(transforms=[_harden]))


def _hardened_by_parent_transform() -> None:
    team = _Team("team", pulumi.ResourceOptions(transforms=[_harden]))
    _privileged_deployment(pulumi.ResourceOptions(parent=team))


def _made_privileged_by_stack_transform() -> None:
    def privileged(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult | None:
        if args.type_ != "kubernetes:apps/v1:Deployment":
            return None
        props = dict(args.props)
        props["spec"]["template"]["spec"]["containers"][0]["securityContext"]["privileged"] = True
        return pulumi.ResourceTransformResult(props, args.opts)

    pulumi.runtime.register_resource_transform(privileged)
    _deployment()()


def _privileged_pod_in_yaml() -> None:
    """A manifest applied as YAML: the engine registers the objects it holds, and judges them."""
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "debug", "namespace": "ops"},
        "spec": {"hostPID": True, "containers": [_container()]},
    }
    k8s.yaml.ConfigGroup("debug", yaml=[json.dumps(pod)], opts=_opts())  # JSON is YAML


def _container(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "app",
        "image": DIGEST,
        "ports": [{"containerPort": 8080}],
        "readinessProbe": {"httpGet": {"path": "/ready", "port": 8080}},
        "livenessProbe": {"httpGet": {"path": "/health", "port": 8080}},
        "securityContext": {**MAYBE_ROOT, "runAsNonRoot": True},
        "resources": {"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"cpu": "1", "memory": "1Gi"}},
    } | overrides


def _deployment(
    pod: dict[str, Any] | None = None, annotations: dict[str, str] | None = None, **container: Any
) -> Callable[[], None]:
    def program() -> None:
        k8s.apps.v1.Deployment(
            "app",
            metadata={"name": "app", "namespace": "serving", "annotations": annotations or {}},
            spec={
                "selector": {"matchLabels": {"app": "app"}},
                "template": {
                    "metadata": {"labels": {"app": "app"}},
                    "spec": {"automountServiceAccountToken": False, "containers": [_container(**container)]}
                    | (pod or {}),
                },
            },
            opts=_opts(),
        )

    return program


def _privileged_pod() -> None:
    context = {**MAYBE_ROOT, "privileged": True, "runAsNonRoot": True}
    k8s.core.v1.Pod(
        "debug",
        metadata={"name": "debug", "namespace": "serving"},
        spec={"containers": [_container(securityContext=context)]},
        opts=_opts(),
    )


def _computed_name_deployment() -> None:
    """A Deployment named after a topic's id (unknown in a first preview) with a ``latest`` init
    container: its known containers are judged even while its name is unknown."""
    topic = aws.sns.Topic("events", kms_master_key_id="alias/aws/sns", opts=_opts())
    k8s.apps.v1.Deployment(
        "app",
        metadata={"name": topic.id.apply(lambda i: f"app-{i[:5]}"), "namespace": "serving"},
        spec={
            "selector": {"matchLabels": {"app": "app"}},
            "template": {
                "metadata": {"labels": {"app": "app"}},
                "spec": {
                    "initContainers": [_container(name="init", image="busybox:latest")],
                    "containers": [_container()],
                },
            },
        },
        opts=_opts(),
    )


def _deployment_patch(**container: Any) -> Callable[[], None]:
    """A DeploymentPatch of a live system Deployment, setting ``container`` on its one container."""

    def program() -> None:
        k8s.apps.v1.DeploymentPatch(
            "coredns-patch",
            metadata={"name": "coredns", "namespace": "kube-system"},
            spec={"replicas": 3, "template": {"spec": {"containers": [{"name": "coredns", **container}]}}},
            opts=_opts(),
        )

    return program


def _node_group(
    instance_type: str = "g6.xlarge", *, taint: bool = True, capacity: str = "ON_DEMAND", max_size: int = 4
) -> Callable[[], None]:
    def program() -> None:
        aws.eks.NodeGroup(
            "gpu",
            cluster_name="shared",
            node_role_arn="arn:aws:iam::123456789012:role/nodes",
            subnet_ids=["subnet-0123456789abcdef0"],
            instance_types=[instance_type],
            ami_type="BOTTLEROCKET_x86_64_NVIDIA",  # ships the device plugin
            capacity_type=capacity,
            scaling_config={"min_size": 0, "max_size": max_size, "desired_size": 0},
            labels={"pool": "gpu"},
            taints=[{"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"}] if taint else None,
            opts=_opts(),
        )

    return program


NODE_CLASS_SPEC: dict[str, Any] = {
    "role": "KarpenterNodeRole-shared",
    "amiSelectorTerms": [{"alias": "bottlerocket@v1.26.0"}],  # Bottlerocket ships the device plugin
    "subnetSelectorTerms": [{"id": "subnet-0123456789abcdef0"}],
    "securityGroupSelectorTerms": [{"id": "sg-0123456789abcdef0"}],
    "metadataOptions": {"httpEndpoint": "enabled", "httpTokens": "required", "httpPutResponseHopLimit": 1},
    "blockDeviceMappings": [
        {"deviceName": "/dev/xvdb", "ebs": {"volumeSize": "200Gi", "volumeType": "gp3", "encrypted": True}}
    ],
}
NODE_POOL_LIMITS = {"cpu": "64", "nvidia.com/gpu": "4"}


def _karpenter_pool(
    *,
    node_class: dict[str, Any] | None = None,
    limits: dict[str, str] | None = NODE_POOL_LIMITS,
    taint: bool = True,
) -> Callable[[], None]:
    """An EC2NodeClass and a GPU NodePool, after the chart that installs their CRDs."""

    def program() -> None:
        chart = pins.chart("karpenter-crd")
        crds = k8s.helm.v3.Release(
            "karpenter-crd",
            chart=f"{chart.repository}/{chart.name}",
            version=chart.version,
            namespace="kube-system",
            opts=_opts(),
        )
        after = pulumi.ResourceOptions.merge(_opts(), pulumi.ResourceOptions(depends_on=[crds]))
        k8s.apiextensions.CustomResource(
            "gpu-class",
            api_version="karpenter.k8s.aws/v1",
            kind="EC2NodeClass",
            metadata={"name": "gpu"},
            spec=node_class or NODE_CLASS_SPEC,
            opts=after,
        )
        template: dict[str, Any] = {
            "nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": "gpu"},
            "requirements": [
                {"key": "karpenter.k8s.aws/instance-family", "operator": "In", "values": ["g6"]},
                {"key": "karpenter.k8s.aws/instance-gpu-count", "operator": "In", "values": ["1"]},
                {"key": "karpenter.sh/capacity-type", "operator": "In", "values": ["on-demand"]},
            ],
        }
        if taint:
            template["taints"] = [{"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"}]
        spec: dict[str, Any] = {"template": {"metadata": {"labels": {"pool": "gpu"}}, "spec": template}}
        if limits is not None:
            spec["limits"] = limits
        k8s.apiextensions.CustomResource(
            "gpu-pool", api_version="karpenter.sh/v1", kind="NodePool", metadata={"name": "gpu"}, spec=spec, opts=after
        )

    return program


def _node_class(**overrides: Any) -> dict[str, Any]:
    return {**NODE_CLASS_SPEC, **overrides}


def _unschedulable_gpu_workload() -> None:
    _node_group()()
    resources = {
        "requests": {"cpu": "1", "memory": "1Gi", "nvidia.com/gpu": "8"},
        "limits": {"cpu": "1", "memory": "1Gi", "nvidia.com/gpu": "8"},
    }
    pod = {
        "nodeSelector": {"pool": "gpu"},
        "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
    }
    # The await covers a GPU node's scale-up, so the one mistake is the request no node fits.
    _deployment(pod, {"pulumi.com/timeoutSeconds": "1800"}, resources=resources)()


def _tls_only(arn: str) -> str:
    """A bucket policy refusing plain HTTP, as ArtifactBucket writes it."""
    return _doc(
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [arn, f"{arn}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    )


def _deprecated_bucket(encrypted: bool) -> Callable[[], None]:
    """The deprecated BucketV2 tokens are matched as the current ones are."""

    def program() -> None:
        opts = _opts()
        bucket = aws.s3.BucketV2("legacy", opts=opts)
        aws.s3.BucketVersioningV2(
            "legacy-versioning", bucket=bucket.id, versioning_configuration={"status": "Enabled"}, opts=opts
        )
        aws.s3.BucketPublicAccessBlock(
            "legacy-public-access-block", bucket=bucket.id, block_public_acls=True, block_public_policy=True,
            ignore_public_acls=True, restrict_public_buckets=True, opts=opts,
        )  # fmt: skip
        aws.s3.BucketOwnershipControls(
            "legacy-ownership", bucket=bucket.id, rule={"object_ownership": "BucketOwnerEnforced"}, opts=opts
        )
        aws.s3.BucketPolicy("legacy-policy", bucket=bucket.id, policy=bucket.arn.apply(_tls_only), opts=opts)
        if encrypted:
            default = {"sse_algorithm": "aws:kms", "kms_master_key_id": "alias/data"}
            aws.s3.BucketServerSideEncryptionConfigurationV2(
                "legacy-encryption", bucket=bucket.id, rules=[{"apply_server_side_encryption_by_default": default}],
                opts=opts,
            )  # fmt: skip

    return program


def _network_policy(enforced: bool) -> Callable[[], None]:
    """A NetworkPolicy on an EKS cluster, with or without the vpc-cni setting that enforces it."""

    def program() -> None:
        key = {"key_arn": "arn:aws:kms:us-east-1:123456789012:key/k"}
        cluster = aws.eks.Cluster(
            "shared",
            role_arn="arn:aws:iam::123456789012:role/eks",
            vpc_config={"subnet_ids": ["subnet-0123456789abcdef0"], "endpoint_public_access": False},
            encryption_config={"provider": key, "resources": ["secrets"]},
            enabled_cluster_log_types=["api", "audit", "authenticator"],
            opts=_opts(),
        )
        aws.eks.Addon(
            "vpc-cni",
            cluster_name=cluster.name,
            addon_name="vpc-cni",
            configuration_values=json.dumps({"enableNetworkPolicy": "true"}) if enforced else None,
            opts=_opts(),
        )
        k8s.networking.v1.NetworkPolicy(
            "deny-all",
            metadata={"name": "deny-all", "namespace": "serving"},
            spec={"podSelector": {}, "policyTypes": ["Ingress"]},
            opts=_opts(),
        )

    return program


def _namespace(isolated: bool) -> Callable[[], None]:
    """A team namespace, with or without the default-deny NetworkPolicy a namespace needs."""

    def program() -> None:
        namespace = k8s.core.v1.Namespace("scoring", metadata={"name": "scoring"}, opts=_opts())
        if isolated:
            k8s.networking.v1.NetworkPolicy(
                "scoring-deny-all",
                metadata={"name": "deny-all", "namespace": namespace.metadata.name},
                spec={"podSelector": {}, "policyTypes": ["Ingress"]},
                opts=_opts(),
            )

    return program


def _monitoring_release(high_availability: bool) -> Callable[[], None]:
    """kube-prometheus-stack with MonitoringStack's values for its servers (HA or not)."""

    def program() -> None:
        chart = pins.chart("kube-prometheus-stack")
        replicas = HA_REPLICAS if high_availability else 1
        spec = {"replicas": replicas, "resources": ALERTMANAGER_RESOURCES} | (
            {"podAntiAffinity": "hard"} if high_availability else {}
        )
        budget = {"enabled": high_availability}
        values = {
            "prometheus": {"prometheusSpec": spec, "podDisruptionBudget": budget},
            "alertmanager": {"alertmanagerSpec": spec, "podDisruptionBudget": budget},
        }
        k8s.helm.v3.Release(
            "kube-prometheus-stack", chart=chart.name, version=chart.version, namespace="monitoring",
            repository_opts={"repo": chart.repository}, values=values,
            opts=_opts(),
        )  # fmt: skip

    return program


def _gpu_rollout(strategy: dict[str, Any]) -> Callable[[], None]:
    """Two 4-GPU pods on a pool of at most two 4-GPU nodes, rolled out with ``strategy``."""

    def program() -> None:
        _node_group("g6e.12xlarge", max_size=2)()
        gpus = {"cpu": "1", "memory": "1Gi", "nvidia.com/gpu": "4"}
        k8s.apps.v1.Deployment(
            "llm",
            metadata={"name": "llm", "namespace": "serving", "annotations": {"pulumi.com/timeoutSeconds": "1800"}},
            spec={
                "replicas": 2,
                "strategy": strategy,
                "selector": {"matchLabels": {"app": "llm"}},
                "template": {
                    "metadata": {"labels": {"app": "llm"}},
                    "spec": {
                        "nodeSelector": {"pool": "gpu"},
                        "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
                        "containers": [_container(resources={"requests": gpus, "limits": gpus})],
                    },
                },
            },
            opts=_opts(),
        )

    return program


def _alarm_topic(subscribed: bool) -> Callable[[], None]:
    """A CloudWatch alarm notifying an SNS topic, with or without anyone subscribed to it."""

    def program() -> None:
        topic = aws.sns.Topic("alerts", kms_master_key_id="alias/aws/sns", opts=_opts())
        aws.cloudwatch.MetricAlarm(
            "queue-backlog",
            namespace="AWS/SQS",
            metric_name="ApproximateNumberOfMessagesVisible",
            statistic="Maximum",
            period=300,
            evaluation_periods=3,
            threshold=1000,
            comparison_operator="GreaterThanThreshold",
            alarm_actions=[topic.arn],
            opts=_opts(),
        )
        if subscribed:
            aws.sns.TopicSubscription(
                "oncall", topic=topic.arn, protocol="email", endpoint="oncall@example.com", opts=_opts()
            )

    return program


def _untagged() -> None:
    bare = aws.Provider("bare-aws", region="us-east-1")
    aws.sqs.Queue("jobs", sqs_managed_sse_enabled=True, opts=pulumi.ResourceOptions(provider=bare))


SECRET_IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/private-app:1.4.2"
"""An image a program declares as a secret: a violation that quotes it must read ``[secret]``."""


def _secret_image() -> None:
    """A tag, not a digest, given as a secret (an Output belongs to its program run's loop)."""
    _deployment(image=pulumi.Output.secret(SECRET_IMAGE))()


def _statement_policy(**statement: Any) -> Callable[[], None]:
    """An identity policy of one Allow statement (``Action``, ``Resource``, ``Condition``)."""
    return lambda: aws.iam.Policy("app-policy", policy=_doc({"Effect": "Allow", **statement}), opts=_opts())


def _role_with_inline(action: str, resource: str = "*") -> Callable[[], None]:
    """An IRSA role whose inline policy allows ``action`` on ``resource``."""

    def program() -> None:
        inline = {"name": "self-service", "policy": _doc({"Effect": "Allow", "Action": action, "Resource": resource})}
        aws.iam.Role("app-role", assume_role_policy=_irsa_trust(), inline_policies=[inline], opts=_opts())

    return program


ROLE_ARN = "arn:aws:iam::123456789012:role/app-runner"
PASS_TO_ECS = {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}


def _rbac(kind: str, **body: Any) -> Callable[[], None]:
    """One RBAC object (Role, ClusterRole, RoleBinding, ClusterRoleBinding) of ``body``."""

    def program() -> None:
        cls = {
            "Role": k8s.rbac.v1.Role,
            "ClusterRole": k8s.rbac.v1.ClusterRole,
            "RoleBinding": k8s.rbac.v1.RoleBinding,
            "ClusterRoleBinding": k8s.rbac.v1.ClusterRoleBinding,
        }[kind]
        namespaced = kind in ("Role", "RoleBinding")
        metadata = {"name": "app", **({"namespace": "serving"} if namespaced else {})}
        cls(f"app-{kind.lower()}", metadata=metadata, **body, opts=_opts())

    return program


def _binding(role: str, subject: dict[str, str], cluster: bool = True) -> Callable[[], None]:
    ref = {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role}
    return _rbac("ClusterRoleBinding" if cluster else "RoleBinding", role_ref=ref, subjects=[subject])


def _scoped_rbac() -> None:
    """What an app needs, and cluster-admin for the people who run the platform."""
    reads = {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list", "watch"]}
    _rbac("Role", rules=[reads])()
    one_secret = {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"], "resourceNames": ["app-tls"]}
    _rbac("ClusterRole", rules=[one_secret])()
    ref = {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "app"}
    workload = {"kind": "ServiceAccount", "name": "app", "namespace": "serving"}
    _rbac("RoleBinding", role_ref=ref, subjects=[workload])()
    _binding("cluster-admin", {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "platform-admins"})()


GROUP = "rbac.authorization.k8s.io"
EVERYTHING = {"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}
AUTHENTICATED = {"apiGroup": GROUP, "kind": "Group", "name": "system:authenticated"}
DEFAULT_SA = {"kind": "ServiceAccount", "name": "default", "namespace": "serving"}
FAKE_ACCESS_KEY = "AKIA" + "QYLPMN5HFIQR7XYZ"  # the shape of a key id; split so scanners of this repo stay quiet
FAKE_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCY" + "EXAMPLEKEY"
PRIVATE_KEY = "-----BEGIN " + "RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----\n"


def _config_map(data: dict[str, str]) -> Callable[[], None]:
    return lambda: k8s.core.v1.ConfigMap(
        "app-config", metadata={"name": "app", "namespace": "serving"}, data=data, opts=_opts()
    )


def _queue(tags: dict[str, str]) -> Callable[[], None]:
    return lambda: aws.sqs.Queue("jobs", sqs_managed_sse_enabled=True, tags=tags, opts=_opts())


def _instance_user_data(script: str) -> Callable[[], None]:
    def program() -> None:
        aws.ec2.Instance(
            "worker",
            ami="ami-0123456789abcdef0",
            instance_type="t3.micro",
            subnet_id="subnet-0123456789abcdef0",
            metadata_options={"http_tokens": "required"},
            root_block_device={"encrypted": True},
            user_data=script,
            opts=_opts(),
        )

    return program


ANY = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}


def _rollout(pod_annotations: dict[str, str] | None = None, **container: Any) -> Callable[[], None]:
    """An Argo Rollout (its CRD declared first) running ``container``."""
    template_metadata = {"labels": {"app": "app"}, "annotations": pod_annotations or {}}

    def program() -> None:
        crd = k8s.apiextensions.v1.CustomResourceDefinition(
            "rollouts-crd",
            metadata={"name": "rollouts.argoproj.io"},
            spec={
                "group": "argoproj.io",
                "names": {"kind": "Rollout", "plural": "rollouts", "singular": "rollout"},
                "scope": "Namespaced",
                "versions": [{"name": "v1alpha1", "served": True, "storage": True, "schema": {"openAPIV3Schema": ANY}}],
            },
            opts=_opts(),
        )  # fmt: skip
        k8s.apiextensions.CustomResource(
            "app-rollout",
            api_version="argoproj.io/v1alpha1",
            kind="Rollout",
            metadata={"name": "app", "namespace": "serving", "annotations": {"pulumi.com/skipAwait": "true"}},
            spec={
                "selector": {"matchLabels": {"app": "app"}},
                "strategy": {"canary": {"steps": [{"setWeight": 20}]}},
                "template": {"metadata": template_metadata, "spec": {"containers": [_container(**container)]}},
            },
            opts=pulumi.ResourceOptions.merge(_opts(), pulumi.ResourceOptions(depends_on=[crd])),
        )

    return program


SECRET_ENV = [
    {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}},
    {"name": "TOKEN_FILE", "value": "/var/run/secrets/eks.amazonaws.com/serviceaccount/token"},
    {"name": "LOG_LEVEL", "value": "info"},
]


def _workload(
    kind: str, pod: dict[str, Any] | None = None, pod_annotations: dict[str, str] | None = None, **container: Any
) -> Callable[[], None]:
    """A StatefulSet, DaemonSet, Job or CronJob of one hardened container (but for ``container``)."""

    def program() -> None:
        metadata = {"name": "app", "namespace": "serving"}
        template = {
            "metadata": {"labels": {"app": "app"}, "annotations": pod_annotations or {}},
            "spec": {"containers": [_container(**container)]} | (pod or {}),
        }
        selector = {"matchLabels": {"app": "app"}}
        if kind == "StatefulSet":
            k8s.apps.v1.StatefulSet(
                "app",
                metadata=metadata,
                spec={"serviceName": "app", "selector": selector, "template": template},
                opts=_opts(),
            )
        elif kind == "DaemonSet":
            k8s.apps.v1.DaemonSet(
                "app", metadata=metadata, spec={"selector": selector, "template": template}, opts=_opts()
            )
        elif kind == "Job":
            template["spec"]["restartPolicy"] = "Never"
            k8s.batch.v1.Job("app", metadata=metadata, spec={"template": template}, opts=_opts())
        else:
            template["spec"]["restartPolicy"] = "Never"
            job = {"template": template}
            k8s.batch.v1.CronJob(
                "app", metadata=metadata, spec={"schedule": "0 * * * *", "jobTemplate": {"spec": job}}, opts=_opts()
            )

    return program  # fmt: skip


PORT_ON_NODE = [{"containerPort": 8080, "hostPort": 8080}]
HARDENED = {**MAYBE_ROOT, "runAsNonRoot": True}
NO_SECCOMP = {key: value for key, value in HARDENED.items() if key != "seccompProfile"}
NO_DROP = {key: value for key, value in HARDENED.items() if key != "capabilities"}
NFS = {"name": "shared", "nfs": {"server": "10.0.0.5", "path": "/exports"}}
POD_LEVEL_SECCOMP = {
    "securityContext": {
        "seccompProfile": {"type": "RuntimeDefault"},
        "sysctls": [{"name": "net.ipv4.ip_unprivileged_port_start", "value": "80"}],
        "seLinuxOptions": {"type": "container_t"},
    },
    "volumes": [{"name": "scratch", "emptyDir": {}}, {"name": "config", "configMap": {"name": "app"}}],
}


ANYONE_ASSUMES = {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}
ANY_SERVICE_ACCOUNT = "system:serviceaccount:*:*"
HOST_PATH = {"name": "docker", "hostPath": {"path": "/var/run"}}
NET_ADMIN = {**MAYBE_ROOT, "runAsNonRoot": True, "capabilities": {"add": ["NET_ADMIN"], "drop": ["ALL"]}}
PRIVILEGED = {**MAYBE_ROOT, "runAsNonRoot": True, "privileged": True}

GITHUB_OIDC = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
CLUSTER_ARN = "arn:aws:eks:us-east-1:123456789012:cluster/mlops-prod"


def _github_trust(**subject: str) -> str:
    """A deploy role for GitHub Actions: ``aud`` always, ``sub`` only when given."""
    conditions = {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com", **subject}
    return _doc(
        {
            "Effect": "Allow",
            "Principal": {"Federated": GITHUB_OIDC},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": conditions},
        }
    )


def _pod_identity_trust(condition: dict[str, Any] | None) -> str:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Service": "pods.eks.amazonaws.com"},
        "Action": ["sts:AssumeRole", "sts:TagSession"],
    }
    return _doc(statement | ({"Condition": condition} if condition else {}))


POD_IDENTITY_PINNED = {
    "ArnEquals": {"aws:SourceArn": CLUSTER_ARN},
    "StringEquals": {
        "aws:RequestTag/kubernetes-namespace": "team-vision",
        "aws:RequestTag/kubernetes-service-account": "scorer",
    },
}
GITHUB_REPO = {"token.actions.githubusercontent.com:sub": "repo:acme/vision-models:environment:prod"}


PLATFORM_CONTRACT = {
    "version": PLATFORM_CONTRACT_VERSION,
    "buckets": {"models": "mlops-prod-models-0a1b2c"},
    "monitoringNamespace": "monitoring",
    "modelRegistry": {"namespace": "mlflow"},
}
"""What a team program reads from the platform (components.platform_stack.PlatformStack records it)."""


def _on_the_platform(bucket: str, namespace: str) -> Callable[[], None]:
    """A team program on a platform: a bucket policy for another account and a Pod Identity association."""

    def program() -> None:
        opts = _opts()
        _PlatformReference("platform", PLATFORM_CONTRACT, opts)
        other_account = {
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::210987654321:root"},
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{bucket}/*",
        }
        aws.s3.BucketPolicy("team-bucket-policy", bucket=bucket, policy=_doc(other_account), opts=opts)
        role = aws.iam.Role("team-role", assume_role_policy=_pod_identity_trust(POD_IDENTITY_PINNED), opts=opts)
        aws.eks.PodIdentityAssociation(
            "team-identity", cluster_name="mlops-prod", namespace=namespace, service_account="mlflow",
            role_arn=role.arn, opts=opts,
        )  # fmt: skip

    return program


def _team_access(policy: str, scope: dict[str, Any]) -> Callable[[], None]:
    """A team program on a platform granting its deploy role an EKS access policy."""

    def program() -> None:
        opts = _opts()
        _PlatformReference("platform", PLATFORM_CONTRACT, opts)
        principal = "arn:aws:iam::123456789012:role/team-vision-deploy"
        entry = aws.eks.AccessEntry("team-entry", cluster_name="mlops-prod", principal_arn=principal, opts=opts)
        aws.eks.AccessPolicyAssociation(
            "team-access", cluster_name="mlops-prod", principal_arn=entry.principal_arn,
            policy_arn=f"arn:aws:eks::aws:cluster-access-policy/{policy}", access_scope=scope, opts=opts,
        )  # fmt: skip

    return program


def _team_namespace(labels: dict[str, str]) -> Callable[[], None]:
    def program() -> None:
        opts = _opts()
        _PlatformReference("platform", PLATFORM_CONTRACT, opts)
        k8s.core.v1.Namespace("team-namespace", metadata={"name": "team-vision", "labels": labels}, opts=opts)
        k8s.networking.v1.NetworkPolicy(
            "team-deny-all", metadata={"name": "deny-all", "namespace": "team-vision"},
            spec={"podSelector": {}, "policyTypes": ["Ingress"]}, opts=opts,
        )  # fmt: skip

    return program


RESTRICTED = {"pod-security.kubernetes.io/enforce": "restricted"}


READ_ONLY = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"


def _user_policy() -> None:
    aws.iam.UserPolicyAttachment("ci-read", user="ci", policy_arn=READ_ONLY, opts=_opts())


def _group_policy() -> None:
    aws.iam.GroupPolicyAttachment("ci-read", group="ci", policy_arn=READ_ONLY, opts=_opts())


def _imdsv1_instance() -> None:
    aws.ec2.Instance(
        "bastion", ami="ami-0123456789abcdef0", instance_type="t3.micro", subnet_id="subnet-0123456789abcdef0",
        metadata_options={"http_tokens": "optional"}, root_block_device={"encrypted": True}, opts=_opts(),
    )  # fmt: skip


def _default_security_group(open_: bool) -> Callable[[], None]:
    everything = [{"protocol": "-1", "from_port": 0, "to_port": 0, "self": True}]
    return lambda: aws.ec2.DefaultSecurityGroup(
        "default-sg", vpc_id="vpc-0123456789abcdef0", ingress=everything if open_ else [], egress=[], opts=_opts()
    )


def _nacl(cidr: str, port: int) -> Callable[[], None]:
    def program() -> None:
        acl = aws.ec2.NetworkAcl("private-acl", vpc_id="vpc-0123456789abcdef0", opts=_opts())
        aws.ec2.NetworkAclRule(
            "private-acl-ssh", network_acl_id=acl.id, rule_number=100, egress=False, protocol="tcp",
            rule_action="allow", cidr_block=cidr, from_port=port, to_port=port, opts=_opts(),
        )  # fmt: skip

    return program


def _vpc(flow_log: bool) -> Callable[[], None]:
    def program() -> None:
        vpc = aws.ec2.Vpc("app-vpc", cidr_block="10.20.0.0/16", opts=_opts())
        if flow_log:
            aws.ec2.FlowLog(
                "app-vpc-flow-log", vpc_id=vpc.id, traffic_type="ALL", log_destination_type="s3",
                log_destination="arn:aws:s3:::flow-logs-bucket", opts=_opts(),
            )  # fmt: skip

    return program


ALB_SUBNETS = ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"]
HTTPS_REDIRECT = [{"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443", "status_code": "HTTP_301"}}]


def _load_balancer(listener_actions: list[dict[str, Any]] | None = None, **overrides: Any) -> Callable[[], None]:
    """An internal ALB, hardened but for ``overrides``, with a port-80 listener."""
    settings: dict[str, Any] = {
        "internal": True,
        "load_balancer_type": "application",
        "subnets": ALB_SUBNETS,
        "drop_invalid_header_fields": True,
        "enable_deletion_protection": True,
        "access_logs": {"bucket": "alb-logs", "enabled": True},
    } | overrides

    def program() -> None:
        alb = aws.lb.LoadBalancer("app-alb", **settings, opts=_opts())
        aws.lb.Listener(
            "app-alb-http", load_balancer_arn=alb.arn, port=80, protocol="HTTP",
            default_actions=listener_actions or HTTPS_REDIRECT, opts=_opts(),
        )  # fmt: skip

    return program


def _classic_load_balancer(protocol: str) -> Callable[[], None]:
    listener = {"instance_port": 8443, "instance_protocol": "https", "lb_port": 443, "lb_protocol": protocol}
    if protocol in ("https", "ssl"):
        listener["ssl_certificate_id"] = "arn:aws:acm:us-east-1:123456789012:certificate/0f5a8d1e-1111-2222-3333"
    return lambda: aws.elb.LoadBalancer(
        "legacy-elb", internal=True, subnets=ALB_SUBNETS, listeners=[listener], connection_draining=True,
        access_logs={"bucket": "elb-logs", "enabled": True}, opts=_opts(),
    )  # fmt: skip


def _secret(rotate_days: int | None) -> Callable[[], None]:
    def program() -> None:
        secret = aws.secretsmanager.Secret("api-token", kms_key_id="alias/secrets", opts=_opts())
        if rotate_days is not None:
            aws.secretsmanager.SecretRotation(
                "api-token-rotation", secret_id=secret.id,
                rotation_lambda_arn="arn:aws:lambda:us-east-1:123456789012:function:rotate-token",
                rotation_rules={"automatically_after_days": rotate_days}, opts=_opts(),
            )  # fmt: skip

    return program


def _repository(lifecycle: bool) -> Callable[[], None]:
    def program() -> None:
        repository = aws.ecr.Repository(
            "app-images", image_tag_mutability="IMMUTABLE", image_scanning_configuration={"scan_on_push": True},
            encryption_configurations=[{"encryption_type": "KMS"}], opts=_opts(),
        )  # fmt: skip
        if lifecycle:
            rules = {
                "rules": [
                    {
                        "rulePriority": 1,
                        "selection": {
                            "tagStatus": "untagged",
                            "countType": "sinceImagePushed",
                            "countUnit": "days",
                            "countNumber": 14,
                        },
                        "action": {"type": "expire"},
                    }
                ]
            }
            aws.ecr.LifecyclePolicy("app-images-lifecycle", repository=repository.name, policy=json.dumps(rules),
                                    opts=_opts())  # fmt: skip

    return program


def _bucket(
    tls_only: bool = True,
    ownership: str = "BucketOwnerEnforced",
    *,
    grant: dict[str, Any] | None = None,
    lifecycle: str | None = "Enabled",
) -> Callable[[], None]:
    """A bucket with every companion s3-bucket-secure asks for, a policy (with ``grant`` beside
    its TLS-only statement), ownership controls and a lifecycle rule of status ``lifecycle`` (None: none)."""

    def program() -> None:
        opts = _opts()
        bucket = aws.s3.Bucket("reports", opts=opts)
        aws.s3.BucketVersioning(
            "reports-versioning", bucket=bucket.id, versioning_configuration={"status": "Enabled"}, opts=opts
        )
        aws.s3.BucketPublicAccessBlock(
            "reports-public-access-block", bucket=bucket.id, block_public_acls=True, block_public_policy=True,
            ignore_public_acls=True, restrict_public_buckets=True, opts=opts,
        )  # fmt: skip
        default = {"sse_algorithm": "aws:kms", "kms_master_key_id": "alias/data"}
        aws.s3.BucketServerSideEncryptionConfiguration(
            "reports-encryption", bucket=bucket.id, rules=[{"apply_server_side_encryption_by_default": default}],
            opts=opts,
        )  # fmt: skip
        aws.s3.BucketOwnershipControls(
            "reports-ownership", bucket=bucket.id, rule={"object_ownership": ownership}, opts=opts
        )
        if lifecycle is not None:
            aws.s3.BucketLifecycleConfiguration(
                "reports-lifecycle", bucket=bucket.id, rules=[{"id": "noncurrent", "status": lifecycle,
                "noncurrent_version_expiration": {"noncurrent_days": 30}}], opts=opts,
            )  # fmt: skip
        policy = bucket.arn.apply(_tls_only) if tls_only else bucket.arn.apply(
            lambda arn: _doc({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                              "Action": "s3:GetObject", "Resource": f"{arn}/*"})
        )  # fmt: skip
        if grant is not None:
            policy = policy.apply(lambda doc: _doc(*json.loads(doc)["Statement"], grant))
        aws.s3.BucketPolicy("reports-policy", bucket=bucket.id, policy=policy, opts=opts)

    return program


OTHER_ACCOUNT = "arn:aws:iam::210987654321:root"
BUCKET_ARN = "arn:aws:s3:::reports"


def _file_system(backup: str | None) -> Callable[[], None]:
    """An encrypted EFS file system with a backup policy of status ``backup`` (None: no policy)."""

    def program() -> None:
        key = "arn:aws:kms:us-east-1:123456789012:key/0f5a8d1e-1111-2222-3333-444455556666"
        system = aws.efs.FileSystem("model-cache-fs", encrypted=True, kms_key_id=key, opts=_opts())
        if backup is not None:
            aws.efs.BackupPolicy(
                "model-cache-backup", file_system_id=system.id, backup_policy={"status": backup}, opts=_opts()
            )

    return program


def _database_with_parameters(force_ssl: str | None, family: str = "postgres16") -> Callable[[], None]:
    """A hardened PostgreSQL instance on a parameter group setting ``rds.force_ssl`` (None: unset)."""

    def program() -> None:
        parameters = [] if force_ssl is None else [{"name": "rds.force_ssl", "value": force_ssl}]
        group = aws.rds.ParameterGroup("features-params", family=family, parameters=parameters, opts=_opts())
        _database(parameter_group_name=group.name, engine_version=family.removeprefix("postgres"))()

    return program


def _transit_gateway(auto_accept: str) -> Callable[[], None]:
    return lambda: aws.ec2transitgateway.TransitGateway("hub", auto_accept_shared_attachments=auto_accept, opts=_opts())


def _client_vpn(logged: bool) -> Callable[[], None]:
    def program() -> None:
        certificate = "arn:aws:acm:us-east-1:123456789012:certificate/0f5a8d1e-1111-2222-3333-444455556666"
        logging: dict[str, Any] = {"enabled": logged}
        if logged:
            logging["cloudwatch_log_group"] = "/vpn/connections"
        aws.ec2clientvpn.Endpoint(
            "vpn", server_certificate_arn=certificate, client_cidr_block="10.100.0.0/22",
            authentication_options=[{"type": "certificate-authentication", "root_certificate_chain_arn": certificate}],
            connection_log_options=logging, opts=_opts(),
        )  # fmt: skip

    return program


def _s3_access_point(**blocks: bool) -> Callable[[], None]:
    settings = {"block_public_acls": True, "block_public_policy": True, "ignore_public_acls": True,
                "restrict_public_buckets": True} | blocks  # fmt: skip
    return lambda: aws.s3.AccessPoint(
        "reports-ap", bucket="reports", public_access_block_configuration=settings, opts=_opts()
    )


def _access_point(**overrides: Any) -> Callable[[], None]:
    settings: dict[str, Any] = {
        "root_directory": {"path": "/models", "creation_info": {"owner_gid": 1000, "owner_uid": 1000,
                                                                "permissions": "750"}},
        "posix_user": {"gid": 1000, "uid": 1000},
    } | overrides  # fmt: skip
    return lambda: aws.efs.AccessPoint("model-cache", file_system_id="fs-0123456789abcdef0", **settings, opts=_opts())


def _role_granting(rules: list[dict[str, Any]]) -> Callable[[], None]:
    return lambda: k8s.rbac.v1.Role(
        "app-role", metadata={"name": "app", "namespace": "serving"}, rules=rules, opts=_opts()
    )


def _in_namespace(namespace: str | None) -> Callable[[], None]:
    def program() -> None:
        metadata = {"name": "app"} | ({"namespace": namespace} if namespace else {})
        k8s.apps.v1.Deployment(
            "app", metadata=metadata,
            spec={"selector": {"matchLabels": {"app": "app"}},
                  "template": {"metadata": {"labels": {"app": "app"}}, "spec": {"containers": [_container()]}}},
            opts=_opts(),
        )  # fmt: skip

    return program


APPARMOR = "container.apparmor.security.beta.kubernetes.io/app"
UNCONFINED = {APPARMOR: "unconfined"}


def _annotated(kind: str, annotations: dict[str, str]) -> Callable[[], None]:
    """A Rollout or CronJob whose pod template carries ``annotations``."""
    if kind == "Rollout":
        return _rollout(pod_annotations=annotations)
    return _workload(kind, pod_annotations=annotations)


PROBE_ELSEWHERE = {"httpGet": {"path": "/healthz", "port": 8080, "host": "169.254.169.254"}}


PROGRAMS: dict[str, tuple[Callable[[], None], str]] = {
    "iam-star-on-star": (_policy("*"), "iam-no-wildcard-admin"),
    "iam-service-star-on-star": (_policy(["s3:*"]), "iam-no-wildcard-admin"),
    "iam-star-colon-star-on-star": (_policy("*:*"), "iam-no-wildcard-admin"),
    "iam-any-service-star-on-star": (_policy(["s3:GetObject", "?am:*"]), "iam-no-wildcard-admin"),
    "iam-star-on-not-resource": (_policy("*", "arn:aws:s3:::nothing", "NotResource"), "iam-no-wildcard-admin"),
    "iam-service-star-not-resource": (_policy("IAM:*", "arn:aws:iam::*:role/", "NotResource"), "iam-no-wildcard-admin"),
    "iam-admin-attachment": (_admin_attachment, "iam-no-admin-policies"),
    "iam-public-trust": (_role(_doc(ANYONE_ASSUMES)), "iam-no-public-principal"),
    "s3-public-bucket-policy": (_public_bucket_policy, "iam-no-public-principal"),
    "irsa-any-service-account": (_role(_irsa_trust(ANY_SERVICE_ACCOUNT, "StringLike")), "iam-irsa-trust-scoped"),
    "sg-ssh-from-world": (lambda: _security_group("0.0.0.0/0", 22), "ec2-no-world-ingress"),
    "sg-https-world-not-lb": (lambda: _security_group("0.0.0.0/0", 443), "ec2-no-world-ingress"),
    "sg-rule-ipv6-world": (_ingress_rule, "ec2-no-world-ingress"),
    "internet-facing-service": (_service({}), "k8s-load-balancers-internal"),
    "instance-public-ip": (_instance(public_ip=True), "ec2-no-public-ips"),
    "instance-unencrypted-disk": (_instance(encrypted=False), "storage-encrypted"),
    "ebs-unencrypted": (_volume(False), "storage-encrypted"),
    "rds-unencrypted": (_database(storage_encrypted=False), "storage-encrypted"),
    "rds-public": (_database(publicly_accessible=True), "rds-hardened"),
    "rds-no-backups": (_database(backup_retention_period=0), "rds-hardened"),
    "rds-aws-managed-key": (_database(kms_key_id=None), "rds-hardened"),
    "rds-password-in-state": (_database(manage_master_user_password=None, password="hunter2hunter2"), "rds-hardened"),
    "rds-insights-default-key": (_database(performance_insights_enabled=True), "rds-hardened"),
    "rds-single-az": (_database(multi_az=False), "rds-hardened"),
    "rds-no-final-snapshot": (_database(final_snapshot_identifier=None, skip_final_snapshot=True), "rds-hardened"),
    "sns-unencrypted": (_topic(False), "storage-encrypted"),
    "kms-no-rotation": (_key(False), "kms-key-rotation"),
    "privileged-pod": (_privileged_pod, "k8s-no-host-access"),
    "privileged-patch": (_deployment_patch(securityContext={"privileged": True}), "k8s-no-host-access"),
    "host-network": (_deployment({"hostNetwork": True}), "k8s-no-host-access"),
    "host-path-volume": (_deployment({"volumes": [HOST_PATH]}), "k8s-no-host-access"),
    "root-container": (_deployment(securityContext=MAYBE_ROOT), "k8s-least-privilege"),
    "added-capability": (_deployment(securityContext=NET_ADMIN), "k8s-least-privilege"),
    "no-resources": (_deployment(resources={}), "k8s-resources-set"),
    "no-probes": (_deployment(readinessProbe=None, livenessProbe=None), "k8s-server-probes"),
    "latest-image": (_deployment(image="vllm/vllm-openai:latest"), "k8s-pinned-images"),
    "tag-not-digest": (_deployment(image="registry.example/app:1.4.2"), "k8s-pinned-images"),
    "latest-init-image-computed-name": (_computed_name_deployment, "k8s-pinned-images"),
    "secret-image-not-digest": (_secret_image, "k8s-pinned-images"),
    "gpu-pool-untainted": (_node_group(taint=False), "gpu-nodes-tainted"),
    "gpu-pool-spot": (_node_group(capacity="SPOT"), "gpu-spot-allowed"),
    "gpu-over-budget": (_node_group("p5.48xlarge", max_size=20), "gpu-cost-capped"),
    "gpu-workload-no-node-fits": (_unschedulable_gpu_workload, "gpu-workloads-schedulable"),
    "karpenter-imdsv1-node-class": (
        _karpenter_pool(node_class=_node_class(metadataOptions={"httpEndpoint": "enabled", "httpTokens": "optional"})),
        "karpenter-node-class-hardened",
    ),
    "karpenter-unencrypted-volume": (
        _karpenter_pool(node_class=_node_class(blockDeviceMappings=[{"deviceName": "/dev/xvdb", "ebs": {}}])),
        "karpenter-node-class-hardened",
    ),
    "karpenter-latest-ami": (
        _karpenter_pool(node_class=_node_class(amiSelectorTerms=[{"alias": "bottlerocket@latest"}])),
        "karpenter-node-class-hardened",
    ),
    "karpenter-pool-no-limits": (_karpenter_pool(limits=None), "karpenter-node-pools-limited"),
    "karpenter-pool-untainted": (_karpenter_pool(taint=False), "gpu-nodes-tainted"),
    "missing-tags": (_untagged, "aws-required-tags"),
    "deprecated-bucket-v2-unencrypted": (_deprecated_bucket(False), "s3-bucket-secure"),
    "network-policy-not-enforced": (_network_policy(False), "eks-network-policies-enforced"),
    "gpu-rollout-needs-a-spare-node": (_gpu_rollout({"type": "RollingUpdate"}), "k8s-rollout-fits-pool"),
    "alarm-topic-without-subscriber": (_alarm_topic(False), "sns-alarm-topics-subscribed"),
    "rotation-undone-by-a-transform": (_rotation_undone_by_transform, "kms-key-rotation"),
    "privileged-by-a-stack-transform": (_made_privileged_by_stack_transform, "k8s-no-host-access"),
    "host-pid-pod-in-a-config-group": (_privileged_pod_in_yaml, "k8s-no-host-access"),
    # Tenancy: a hostile or careless team program (components/policies/tenancy.py)
    "github-trust-aud-only": (_role(_github_trust()), "iam-github-oidc-trust-scoped"),
    "github-trust-any-repo": (_role(_github_trust(**{"token.actions.githubusercontent.com:sub": "repo:*"})),
                              "iam-github-oidc-trust-scoped"),
    "pod-identity-trust-unconditioned": (_role(_pod_identity_trust(None)), "iam-pod-identity-trust-scoped"),
    "pod-identity-trust-no-service-account": (
        _role(_pod_identity_trust({"ArnEquals": {"aws:SourceArn": CLUSTER_ARN}})), "iam-pod-identity-trust-scoped"
    ),
    "kms-decrypt-on-star": (_policy(["s3:GetObject", "kms:Decrypt"]), "iam-no-secret-reads-on-everything"),
    "secret-values-on-star": (_policy("secretsmanager:GetSecret*"), "iam-no-secret-reads-on-everything"),
    "kms-decrypt-not-resource": (_policy("kms:Decrypt", "arn:aws:kms:us-east-1:123456789012:key/mine", "NotResource"),
                                 "iam-no-secret-reads-on-everything"),
    "policy-on-the-platform-bucket": (_on_the_platform("mlops-prod-models-0a1b2c", "team-vision"),
                                      "platform-resources-untouched"),
    "identity-in-the-registry-namespace": (_on_the_platform("team-vision-data", "mlflow"),
                                           "platform-resources-untouched"),
    "team-cluster-admin": (_team_access("AmazonEKSClusterAdminPolicy", {"type": "cluster"}),
                           "eks-team-access-namespaced"),
    "team-edit-cluster-wide": (_team_access("AmazonEKSEditPolicy", {"type": "cluster"}), "eks-team-access-namespaced"),
    "team-namespace-unlabelled": (_team_namespace({}), "k8s-team-namespaces-restricted"),
    "team-namespace-privileged": (_team_namespace({"pod-security.kubernetes.io/enforce": "privileged"}),
                                  "k8s-team-namespaces-restricted"),
    "iam-pass-any-role": (_policy(["iam:PassRole"]), "iam-no-privilege-escalation"),
    "iam-attach-any-role-policy": (
        _policy(["iam:AttachRolePolicy"], "arn:aws:iam::123456789012:role/*"), "iam-no-privilege-escalation"
    ),
    "iam-new-policy-version": (_policy("iam:CreatePolicyVersion"), "iam-no-privilege-escalation"),
    "iam-put-any-inline-policy": (_policy("iam:Put*Policy"), "iam-no-privilege-escalation"),
    "iam-role-rewrites-trust": (_role_with_inline("iam:UpdateAssumeRolePolicy"), "iam-no-privilege-escalation"),
    "iam-keys-for-anyone": (
        _policy(["iam:CreateAccessKey", "iam:CreateLoginProfile"], "arn:aws:iam::123456789012:user/*"),
        "iam-no-privilege-escalation",
    ),
    "iam-pass-role-not-resource": (_policy("iam:PassRole", ROLE_ARN, "NotResource"), "iam-no-privilege-escalation"),
    "rbac-wildcard-cluster-role": (_rbac("ClusterRole", rules=[EVERYTHING]), "k8s-rbac-least-privilege"),
    "rbac-escalate-and-bind": (
        _rbac("Role", rules=[{"apiGroups": [GROUP], "resources": ["roles"], "verbs": ["bind", "escalate"]}]),
        "k8s-rbac-least-privilege",
    ),
    "rbac-impersonate": (
        _rbac("ClusterRole", rules=[{"apiGroups": [""], "resources": ["users"], "verbs": ["impersonate"]}]),
        "k8s-rbac-least-privilege",
    ),
    "rbac-read-every-secret": (
        _rbac("ClusterRole", rules=[{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list"]}]),
        "k8s-rbac-least-privilege",
    ),
    "rbac-cluster-admin-to-authenticated": (_binding("cluster-admin", AUTHENTICATED), "k8s-rbac-least-privilege"),
    "rbac-edit-to-default-service-account": (_binding("edit", DEFAULT_SA, False), "k8s-rbac-least-privilege"),
    "rbac-admin-to-a-workload": (
        _binding("admin", {"kind": "ServiceAccount", "name": "app", "namespace": "serving"}),
        "k8s-rbac-least-privilege",
    ),
    "rbac-view-to-anonymous": (
        _binding("view", {"apiGroup": GROUP, "kind": "User", "name": "system:anonymous"}), "k8s-rbac-least-privilege"
    ),
    "aws-key-in-env": (
        _deployment(env=[{"name": "AWS_ACCESS_KEY_ID", "value": FAKE_ACCESS_KEY}]), "no-plaintext-secrets"
    ),
    "password-in-env": (_deployment(env=[{"name": "DB_PASSWORD", "value": "Xk9#mQ2vL7pZ"}]), "no-plaintext-secrets"),
    "database-url-with-password": (
        _deployment(env=[{"name": "DATABASE", "value": "postgresql://app:Xk9mQ2vL7pZ@db:5432/features"}]),
        "no-plaintext-secrets",
    ),
    "password-in-config-map": (
        _config_map({"app.properties": "db.host=db\ndb.password=Xk9#mQ2vL7pZ\n"}), "no-plaintext-secrets"
    ),
    "private-key-in-config-map": (_config_map({"tls.key": PRIVATE_KEY}), "no-plaintext-secrets"),
    "token-in-tags": (_queue({"deploy-token": "ghp_7Qm2xLz9Kp4VbN8cR1tY6wE3sD5fG0hJ"}), "no-plaintext-secrets"),
    "secret-key-in-user-data": (
        _instance_user_data(f"#!/bin/bash\nexport AWS_SECRET_ACCESS_KEY={FAKE_SECRET}\n"), "no-plaintext-secrets"
    ),
    "password-in-rollout-env": (
        _rollout(env=[{"name": "API_KEY", "value": "sk-4f9Qm2xLz9Kp4VbN"}]), "no-plaintext-secrets"
    ),
    "privileged-rollout": (_rollout(securityContext=PRIVILEGED), "k8s-no-host-access"),
    "pss-host-port": (_deployment(ports=PORT_ON_NODE), "k8s-pod-security-standards"),
    "pss-no-seccomp-profile": (_deployment(securityContext=NO_SECCOMP), "k8s-pod-security-standards"),
    "pss-capabilities-not-dropped": (_workload("StatefulSet", securityContext=NO_DROP), "k8s-pod-security-standards"),
    "pss-unsafe-sysctl": (
        _deployment({"securityContext": {"sysctls": [{"name": "kernel.msgmax", "value": "65536"}]}}),
        "k8s-pod-security-standards",
    ),
    "pss-selinux-spc-type": (
        _deployment(securityContext={**HARDENED, "seLinuxOptions": {"type": "spc_t"}}), "k8s-pod-security-standards"
    ),
    "pss-unmasked-proc-mount": (
        _workload("Job", securityContext={**HARDENED, "procMount": "Unmasked"}), "k8s-pod-security-standards"
    ),
    "pss-run-as-uid-0": (_deployment({"securityContext": {"runAsUser": 0}}), "k8s-pod-security-standards"),
    "pss-nfs-volume": (_workload("Job", {"volumes": [NFS]}), "k8s-pod-security-standards"),
    "pss-unconfined-seccomp-cronjob": (
        _workload("CronJob", securityContext={**HARDENED, "seccompProfile": {"type": "Unconfined"}}),
        "k8s-pod-security-standards",
    ),
    "pss-apparmor-unconfined-daemonset": (
        _workload("DaemonSet", securityContext={**HARDENED, "appArmorProfile": {"type": "Unconfined"}}),
        "k8s-pod-security-standards",
    ),
    "pss-windows-host-process": (
        _deployment({"securityContext": {"windowsOptions": {"hostProcess": True}}}), "k8s-pod-security-standards"
    ),
    "pss-patch-adds-a-host-port": (_deployment_patch(ports=PORT_ON_NODE), "k8s-pod-security-standards"),
    "pss-rollout-no-seccomp": (_rollout(securityContext=NO_SECCOMP), "k8s-pod-security-standards"),
    # Catalogue controls (docs/policy-coverage.md): components/policies/fsbp.py, cis.py, pss.py
    "iam-policy-on-a-user": (_user_policy, "iam-no-user-policies"),
    "ec2-instance-imdsv1": (_imdsv1_instance, "ec2-instance-imdsv2"),
    "default-security-group-open": (_default_security_group(True), "ec2-default-security-group-closed"),
    "nacl-ssh-from-world": (_nacl("0.0.0.0/0", 22), "ec2-nacl-no-world-admin-ports"),
    "vpc-without-flow-log": (_vpc(False), "ec2-vpc-flow-logs"),
    "alb-http-listener-forwards": (_load_balancer([{"type": "forward", "target_group_arn":
                                   "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/app/0123"}]),
                                   "elb-hardened"),
    "alb-keeps-invalid-headers": (_load_balancer(drop_invalid_header_fields=False), "elb-hardened"),
    "alb-desync-monitor-only": (_load_balancer(desync_mitigation_mode="monitor"), "elb-hardened"),
    "alb-unprotected": (_load_balancer(enable_deletion_protection=False), "elb-hardened"),
    "classic-elb-plain-tcp": (_classic_load_balancer("tcp"), "elb-hardened"),
    "secret-never-rotated": (_secret(None), "secrets-rotated"),
    "secret-rotated-yearly": (_secret(365), "secrets-rotated"),
    "ecr-without-lifecycle": (_repository(False), "ecr-lifecycle-policy"),
    "bucket-accepts-plain-http": (_bucket(tls_only=False), "s3-bucket-access-hardened"),
    "bucket-honours-acls": (_bucket(ownership="ObjectWriter"), "s3-bucket-access-hardened"),
    "rds-no-minor-upgrades": (_database(auto_minor_version_upgrade=False), "rds-maintained"),
    "rds-default-admin-user": (_database(username="postgres"), "rds-maintained"),
    "rds-logs-not-exported": (_database(enabled_cloudwatch_logs_exports=[]), "rds-maintained"),
    "bucket-policy-lets-another-account-rewrite-it": (
        _bucket(grant={"Effect": "Allow", "Principal": {"AWS": OTHER_ACCOUNT}, "Action": "s3:PutBucketPolicy",
                       "Resource": BUCKET_ARN}), "s3-bucket-policy-no-admin-grants"),
    "bucket-policy-grants-s3-put-star": (
        _bucket(grant={"Effect": "Allow", "Principal": {"AWS": OTHER_ACCOUNT}, "Action": ["s3:Put*"],
                       "Resource": [BUCKET_ARN, f"{BUCKET_ARN}/*"]}), "s3-bucket-policy-no-admin-grants"),
    "bucket-policy-grants-all-but-reads": (
        _bucket(grant={"Effect": "Allow", "Principal": {"AWS": OTHER_ACCOUNT}, "NotAction": "s3:GetObject",
                       "Resource": BUCKET_ARN}), "s3-bucket-policy-no-admin-grants"),
    "efs-without-backup": (_file_system(None), "efs-backed-up"),
    "efs-backup-disabled": (_file_system("DISABLED"), "efs-backed-up"),
    "rds-postgres-14-without-force-ssl": (_database(engine_version="14.12"), "rds-encrypted-in-transit"),
    "rds-parameter-group-turns-ssl-off": (_database_with_parameters("0"), "rds-encrypted-in-transit"),
    "namespace-without-network-policy": (_namespace(False), "k8s-namespaces-network-policies"),
    "monitoring-single-prometheus": (_monitoring_release(False), "monitoring-highly-available"),
    "transit-gateway-auto-accepts": (_transit_gateway("enable"), "network-edges-reviewed"),
    "client-vpn-without-connection-log": (_client_vpn(False), "network-edges-reviewed"),
    "s3-access-point-public-policy": (_s3_access_point(block_public_policy=False), "network-edges-reviewed"),
    "efs-access-point-at-root": (_access_point(root_directory={"path": "/"}), "efs-access-points-scoped"),
    "efs-access-point-any-user": (_access_point(posix_user=None), "efs-access-points-scoped"),
    "rbac-creates-pods": (_role_granting([{"apiGroups": [""], "resources": ["pods"], "verbs": ["create"]}]),
                          "k8s-rbac-sensitive-grants"),
    "rbac-mints-tokens": (_role_granting([{"apiGroups": [""], "resources": ["serviceaccounts/token"],
                                           "verbs": ["create"]}]), "k8s-rbac-sensitive-grants"),
    "workload-in-default-namespace": (_in_namespace("default"), "k8s-no-default-namespace"),
    "workload-without-namespace": (_in_namespace(None), "k8s-no-default-namespace"),
    "pss-probe-on-another-host": (_deployment(livenessProbe=PROBE_ELSEWHERE), "k8s-pod-security-standards"),
    "pss-apparmor-annotation-unconfined-rollout": (_annotated("Rollout", UNCONFINED), "k8s-pod-security-standards"),
    "pss-apparmor-annotation-unconfined-cronjob": (_annotated("CronJob", UNCONFINED), "k8s-pod-security-standards"),
}  # fmt: skip
"""Mistake -> (program, the one rule that must refuse it)."""

SECURE: dict[str, Callable[[], None]] = {
    "iam-scoped-policy": _policy(["s3:GetObject"], "arn:aws:s3:::models/*"),
    "iam-narrow-not-resource": _policy(["s3:GetObject", "s3:ListBucket"], "arn:aws:s3:::secrets/*", "NotResource"),
    "irsa-one-service-account": _role(_irsa_trust()),
    "sg-from-vpc": _security_group,
    "sg-lb-https-from-world": lambda: _security_group("0.0.0.0/0", 443, {"mlops-platform/load-balancer": "true"}),
    "internal-service": _service({"service.beta.kubernetes.io/aws-load-balancer-scheme": "internal"}),
    "allowed-internet-facing-service": _service({"mlops-platform/internet-facing": "allowed"}),
    "private-encrypted-instance": _instance(),
    "encrypted-volume": _volume(True),
    "hardened-database": _database(),
    "encrypted-topic": _topic(True),
    "rotating-key": _key(True),
    "hardened-deployment": _deployment(),
    "patch-setting-only-a-pinned-image": _deployment_patch(image=DIGEST, ports=[{"containerPort": 53}]),
    "bucket-policy-grants-reads-to-another-account": _bucket(
        grant={
            "Effect": "Allow",
            "Principal": {"AWS": OTHER_ACCOUNT},
            "Action": "s3:GetObject",
            "Resource": f"{BUCKET_ARN}/*",
        }
    ),
    "efs-backed-up": _file_system("ENABLED"),
    "rds-postgres-16-default-ssl": _database(engine_version="16.4"),
    "rds-postgres-14-forces-ssl": _database_with_parameters("1", "postgres14"),
    "namespace-with-default-deny": _namespace(True),
    "monitoring-highly-available": _monitoring_release(True),
    "transit-gateway-reviews-attachments": _transit_gateway("disable"),
    "client-vpn-logs-connections": _client_vpn(True),
    "s3-access-point-blocks-public": _s3_access_point(),
    "tainted-gpu-pool": _node_group(),
    "hardened-karpenter-pool": _karpenter_pool(),
    "deprecated-bucket-v2-encrypted": _deprecated_bucket(True),
    "enforced-network-policy": _network_policy(True),
    "gpu-rollout-one-pod-at-a-time": _gpu_rollout(
        {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}}
    ),
    "gpu-rollout-recreate": _gpu_rollout({"type": "Recreate"}),
    "subscribed-alarm-topic": _alarm_topic(True),
    "hardened-by-its-own-transform": _hardened_by_own_transform,
    "hardened-by-its-parents-transform": _hardened_by_parent_transform,
    "github-trust-one-repository": _role(_github_trust(**GITHUB_REPO)),
    "pod-identity-trust-one-service-account": _role(_pod_identity_trust(POD_IDENTITY_PINNED)),
    "kms-decrypt-on-its-key": _policy("kms:Decrypt", "arn:aws:kms:us-east-1:123456789012:key/mine"),
    "own-bucket-and-namespace-on-the-platform": _on_the_platform("team-vision-data", "team-vision"),
    "team-edit-on-its-namespace": _team_access(
        "AmazonEKSEditPolicy", {"type": "namespace", "namespaces": ["team-vision"]}
    ),
    "team-namespace-restricted": _team_namespace(RESTRICTED),
    "iam-pass-role-to-one-service": _statement_policy(Action="iam:PassRole", Resource="*", Condition=PASS_TO_ECS),
    "iam-pass-one-role": _policy("iam:PassRole", ROLE_ARN),
    "iam-own-access-keys": _policy(["iam:CreateAccessKey"], "arn:aws:iam::123456789012:user/${aws:username}"),
    "iam-role-reads-iam": _role_with_inline("iam:GetRole", ROLE_ARN),
    "rbac-scoped": _scoped_rbac,
    "env-from-a-secret": _deployment(env=SECRET_ENV),
    "config-map-without-credentials": _config_map({"app.properties": "db.host=db\npassword_file=/run/secrets/db\n"}),
    "tags-without-credentials": _queue({"owner": "vision", "token-rotation": "weekly"}),
    "user-data-reads-secrets-manager": _instance_user_data(
        "#!/bin/bash\nexport DB_PASSWORD=$(aws secretsmanager get-secret-value --secret-id db --query SecretString)\n"
    ),
    "hardened-rollout": _rollout(env=SECRET_ENV),
    "pss-pod-level-seccomp-safe-sysctl": _deployment(POD_LEVEL_SECCOMP, securityContext=NO_SECCOMP),
    "pss-hardened-cronjob": _workload("CronJob"),
    "pss-hardened-statefulset": _workload("StatefulSet"),
    "iam-policy-on-a-group": _group_policy,
    "default-security-group-closed": _default_security_group(False),
    "nacl-ssh-from-the-vpn": _nacl("10.8.0.0/16", 22),
    "vpc-with-flow-log": _vpc(True),
    "alb-hardened": _load_balancer(),
    "classic-elb-ssl-acm": _classic_load_balancer("ssl"),
    "secret-rotated-monthly": _secret(30),
    "ecr-with-lifecycle": _repository(True),
    "bucket-tls-only-owner-enforced": _bucket(),
    "efs-access-point-scoped": _access_point(),
    "rbac-reads-pods": _role_granting(
        [{"apiGroups": [""], "resources": ["pods", "pods/log"], "verbs": ["get", "list"]}]
    ),
    "workload-in-its-namespace": _in_namespace("serving"),
    "pss-image-volume-and-tcp-buffers": _deployment(
        {
            "securityContext": {"sysctls": [{"name": "net.ipv4.tcp_rmem", "value": "4096 87380 6291456"}]},
            "volumes": [{"name": "weights", "image": {"reference": DIGEST}}],
        }
    ),
    "pss-apparmor-annotation-runtime-default": _annotated("Rollout", {APPARMOR: "runtime/default"}),
    "pss-apparmor-annotation-localhost-cronjob": _annotated("CronJob", {APPARMOR: "localhost/k8s-serving"}),
}
"""The same resources done right: the pack must accept each."""

"""MonitoringStack: metrics, GPU health, endpoint SLO alerts and notifications that reach a person.

In the cluster: kube-prometheus-stack and the NVIDIA DCGM exporter (Helm v3 releases, pinned),
PrometheusRules (:mod:`components.alerting`), Grafana dashboards as sidecar ConfigMaps, a
generated Grafana admin password. On AWS: a KMS-encrypted SNS topic that Alertmanager (IRSA),
CloudWatch alarms and the optional GPU budget publish to.

Children (``<name>-<suffix>``): ``namespace``, ``grafana-password`` (unless a password is
given), ``grafana-admin``, ``alerts-key``, ``alerts-topic`` (+ ``-policy``, ``email-<n>``),
``alertmanager-role`` (+ ``-policy``), ``alertmanager-receivers`` (with webhooks),
``storage-class`` (with persistent storage), ``kube-prometheus-stack``, ``dcgm-counters``,
``dcgm-exporter``, ``rules-<group>``, ``dashboard-<name>``, ``gpu-capacity-<class>`` and
``gpu-budget``.
"""

from collections.abc import Mapping, Sequence
from typing import Any, NotRequired, TypedDict, cast

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pulumi_random as random

from components.alerting import (
    RECEIVER_SECRET,
    EndpointAlerts,
    PoolAlerts,
    Receivers,
    alertmanager_config,
    any_canaried,
    endpoint_alert_problems,
    gpu_fleet_dashboard,
    rule_groups,
    serving_dashboard,
)
from components.catalog import ACCELERATOR_LABEL, POOL_LABEL
from components.delivery import ARGO_ROLLOUTS_NAMESPACE
from components.errors import argument_type_problems, refuse, well_typed
from components.helm import pinned_release
from components.iam import document, irsa_role
from components.isolation import monitoring_policy_specs
from components.kms import account_key
from components.naming import slug
from components.team import declare_network_policies

ALERTMANAGER_SERVICE_ACCOUNT = "alertmanager"
EKS_UNSCRAPEABLE = {
    "kubeControllerManager": "kubeControllerManager",
    "kubeScheduler": "kubeSchedulerAlerting",
    "kubeEtcd": "etcd",
    "kubeProxy": "kubeProxy",
}
"""kube-prometheus-stack's scrape targets EKS does not expose (value: their default rule group).
The control plane's controller-manager, scheduler and etcd are managed by AWS and not scrapeable;
the kube-proxy add-on binds its metrics to 127.0.0.1:10249 and resets any edit
(aws/containers-roadmap#657). Left on, ``absent(up{job=...})`` / ``up == 0`` alerts of each fire
forever as critical; the scheduler's recording rules go with it."""
STORAGE_CLASS = "gp3-encrypted"
DCGM_COUNTERS = """\
# Format: DCGM field, Prometheus metric type, help message
DCGM_FI_DEV_GPU_UTIL, gauge, GPU utilization (in %).
DCGM_FI_DEV_FB_FREE, gauge, Framebuffer memory free (in MiB).
DCGM_FI_DEV_FB_USED, gauge, Framebuffer memory used (in MiB).
DCGM_FI_DEV_GPU_TEMP, gauge, GPU temperature (in C).
DCGM_FI_DEV_POWER_USAGE, gauge, Power draw (in W).
DCGM_FI_DEV_SM_CLOCK, gauge, SM clock frequency (in MHz).
DCGM_FI_DEV_XID_ERRORS, gauge, Value of the last XID error encountered.
DCGM_FI_DEV_ECC_SBE_VOL_TOTAL, counter, Total number of single-bit volatile ECC errors.
DCGM_FI_DEV_ECC_DBE_VOL_TOTAL, counter, Total number of double-bit volatile ECC errors.
"""
"""The DCGM fields the alerts and dashboards use (the exporter's defaults leave out ECC)."""


class GpuCapacityAlarm(TypedDict):
    """A CloudWatch alarm on the account's running vCPUs of one EC2 usage class."""

    usage_class: str
    """EC2 usage class, e.g. ``G/OnDemand`` or ``P/Spot`` (``AWS/Usage`` metric dimension)."""
    max_vcpus: int
    """vCPUs of all pools of the class at their maximum size: reaching it means they are full."""


class MonitoringStackArgs(TypedDict):
    """Arguments of :class:`MonitoringStack` (pass the cluster's Kubernetes provider in opts)."""

    cluster_name: str
    """EKS cluster name."""
    region: str
    """AWS region."""
    oidc_provider_arn: pulumi.Input[str]
    """Cluster OIDC provider (Alertmanager's IRSA role)."""
    oidc_issuer_url: pulumi.Input[str]
    """Cluster OIDC issuer URL."""
    crds: Sequence[k8s.helm.v3.Release]
    """What installs the Prometheus operator's CRDs: the cluster's ``Cluster.crds``. The chart's
    own copy is turned off (two releases cannot own one CRD) and every release and rule waits on them."""
    endpoints: Sequence[EndpointAlerts]
    """Serving endpoints to alert on."""
    pools: Sequence[PoolAlerts]
    """GPU pools to watch."""
    namespace: NotRequired[str]
    """Namespace (default ``monitoring``)."""
    retention_days: NotRequired[int]
    """Prometheus retention (default 15)."""
    persistent_storage: NotRequired[bool]
    """Prometheus, Alertmanager and Grafana on encrypted gp3 volumes (default False)."""
    storage_size_gib: NotRequired[int]
    """Prometheus volume size (default 100)."""
    burn_rate_alerts: NotRequired[bool]
    """Multi-window burn-rate alerts on each endpoint's availability objective (prod)."""
    grafana_admin_password: NotRequired[pulumi.Input[str]]
    """Grafana admin password (a secret); default: generated, never output in plaintext."""
    slack_channel: NotRequired[str]
    """Slack channel for warnings and criticals; needs ``slack_webhook_url``."""
    slack_webhook_url: NotRequired[pulumi.Input[str]]
    """Slack incoming-webhook URL (a secret)."""
    pagerduty_routing_key: NotRequired[pulumi.Input[str]]
    """PagerDuty Events v2 routing key (a secret) for critical alerts."""
    alert_emails: NotRequired[Sequence[str]]
    """E-mail addresses subscribed to the SNS topic (each confirms by e-mail)."""
    alert_https_endpoints: NotRequired[Sequence[str]]
    """HTTPS endpoints subscribed to the SNS topic, e.g. PagerDuty's or Opsgenie's CloudWatch
    integration URL; each must confirm the subscription itself (``pulumi up`` waits for it)."""
    volume_provisioner: NotRequired[aws.eks.Addon]
    """What provisions the volumes of ``persistent_storage``: the cluster's EBS CSI driver add-on
    (``Cluster.ebs_csi_driver``). The release waits for it; without it a first install's volume
    claims stay Pending until the atomic install times out."""
    gpu_capacity: NotRequired[Sequence[GpuCapacityAlarm]]
    """CloudWatch alarms: GPU pools of a usage class at their maximum size."""
    monthly_gpu_budget_usd: NotRequired[float]
    """AWS Budget on the GPU instance types' monthly cost, alerting at 80% and forecast 100%."""
    gpu_instance_types: NotRequired[Sequence[str]]
    """Instance types the budget covers."""
    protect: NotRequired[bool]
    """Protect and retain the topic's KMS key (default True)."""
    high_availability: NotRequired[bool]
    """Two Prometheus and two Alertmanager replicas on different nodes, each with a
    PodDisruptionBudget (default False; the platform stack turns it on in prod). Needs at least two
    system nodes: the replicas refuse to share one."""


def validate_monitoring(given: MonitoringStackArgs) -> list[str]:
    """Everything wrong with the arguments (empty when valid), all at once: the wrong-typed ones
    are named first, the checks below read the rest."""
    problems = argument_type_problems(given, MonitoringStackArgs)
    args = cast(MonitoringStackArgs, well_typed(given, MonitoringStackArgs))
    if "crds" not in args:
        problems.append("crds is required: pass cluster.crds (the release installing the Prometheus operator CRDs)")
    if not 1 <= args.get("retention_days", 15) <= 365:
        problems.append(f"retention_days must be 1-365 (got {args.get('retention_days')})")
    if "slack_channel" in args and "slack_webhook_url" not in args:
        problems.append("slack_channel needs slack_webhook_url (a secret)")
    if "monthly_gpu_budget_usd" in args and not args.get("gpu_instance_types"):
        problems.append("monthly_gpu_budget_usd needs gpu_instance_types")
    if args.get("monthly_gpu_budget_usd", 1.0) <= 0:
        problems.append("monthly_gpu_budget_usd must be > 0")
    for endpoint in args.get("endpoints", []):
        problems += endpoint_alert_problems(endpoint)
    if args.get("persistent_storage", False) and "volume_provisioner" not in args:
        problems.append("persistent_storage needs volume_provisioner (cluster.ebs_csi_driver)")
    bad = [url for url in args.get("alert_https_endpoints", []) if not url.startswith("https://")]
    if bad:
        problems.append(f"alert_https_endpoints must be https:// URLs (got {', '.join(bad)})")
    return problems


def topic_policy(topic_arn: str, account_id: str) -> str:
    """CloudWatch alarms and AWS Budgets of this account may publish; nothing without TLS."""
    return document(
        {
            "Sid": "AwsServicesPublish",
            "Effect": "Allow",
            "Principal": {"Service": ["budgets.amazonaws.com", "cloudwatch.amazonaws.com"]},
            "Action": "sns:Publish",
            "Resource": topic_arn,
            "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
        },
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "sns:Publish",
            "Resource": topic_arn,
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
    )


def publish_policy(topic_arn: str, key_arn: str) -> str:
    """Alertmanager's IRSA permissions: publish to the alert topic, encrypting with its key."""
    return document(
        {"Sid": "PublishAlerts", "Effect": "Allow", "Action": "sns:Publish", "Resource": topic_arn},
        {
            "Sid": "TopicKey",
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
            "Resource": key_arn,
        },
    )


HA_REPLICAS = 2
"""Prometheus and Alertmanager replicas in a highly available stack: each Prometheus scrapes
every target, the Alertmanagers gossip and deduplicate what both send."""
ALERTMANAGER_RESOURCES = {"requests": {"cpu": "50m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}}
GRAFANA_RESOURCES = {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"memory": "512Mi"}}
PROMETHEUS_BASE_MIB = 1024
"""Head memory before the first target: the operator's rule groups, the TSDB's own series."""
PROMETHEUS_MIB_PER_NODE = 64
"""An estimate for one node's series (node-exporter, kubelet and cAdvisor, DCGM on GPU nodes:
a few thousand series at a few KiB of head memory each, with headroom for churn)."""
SYSTEM_NODES_ALLOWANCE = 10
"""Nodes counted beside the GPU pools' maximum: the system node group and CPU pools."""


def prometheus_resources(args: MonitoringStackArgs) -> dict[str, Any]:
    """Prometheus' requests and memory limit, sized from the stack's largest scale: the GPU
    pools' maximum nodes plus :data:`SYSTEM_NODES_ALLOWANCE`, and its endpoints' pods. The limit
    (twice the request) leaves compaction and query headroom; no CPU limit (throttling delays
    rule evaluation, which is what alerts ride on)."""
    nodes = SYSTEM_NODES_ALLOWANCE + sum(pool["max_size"] for pool in args["pools"])
    mib = PROMETHEUS_BASE_MIB + PROMETHEUS_MIB_PER_NODE * (nodes + len(args["endpoints"]))
    mib = -(-mib // 256) * 256  # whole quarter GiB
    return {"requests": {"cpu": "500m", "memory": f"{mib}Mi"}, "limits": {"memory": f"{2 * mib}Mi"}}


def prometheus_values(
    args: MonitoringStackArgs, alertmanager: Mapping[str, Any], role_arn: str, has_receiver_secret: bool
) -> dict[str, Any]:
    """Helm values of kube-prometheus-stack: nothing exposed outside the cluster."""
    system = {POOL_LABEL: "system"}
    persistent = args.get("persistent_storage", False)

    def volume(size: str) -> dict[str, Any]:
        return {
            "volumeClaimTemplate": {
                "spec": {
                    "storageClassName": STORAGE_CLASS,
                    "accessModes": ["ReadWriteOnce"],
                    "resources": {"requests": {"storage": size}},
                }
            }
        }

    prometheus_spec: dict[str, Any] = {
        "retention": f"{args.get('retention_days', 15)}d",
        "serviceMonitorSelectorNilUsesHelmValues": False,
        "podMonitorSelectorNilUsesHelmValues": False,
        "ruleSelectorNilUsesHelmValues": False,
        "nodeSelector": system,
        "resources": prometheus_resources(args),
    }
    alertmanager_spec: dict[str, Any] = {"nodeSelector": system, "resources": ALERTMANAGER_RESOURCES}
    replicas = HA_REPLICAS if args.get("high_availability", False) else 1
    for spec in (prometheus_spec, alertmanager_spec):
        spec["replicas"] = replicas
        if replicas > 1:
            # Required, not preferred: two replicas on one node fail together (the chart's default is "soft").
            spec["podAntiAffinity"] = "hard"
            spec["podAntiAffinityTopologyKey"] = "kubernetes.io/hostname"
    if has_receiver_secret:
        alertmanager_spec["secrets"] = [RECEIVER_SECRET]
    grafana: dict[str, Any] = {
        "admin": {
            "existingSecret": "grafana-admin",
            "userKey": "admin-user",
            "passwordKey": "admin-password",
        },
        "service": {"type": "ClusterIP"},
        "ingress": {"enabled": False},
        "nodeSelector": system,
        "resources": GRAFANA_RESOURCES,
        # A Role in its own namespace, not a ClusterRole: the sidecar watching every namespace
        # would read every Secret of the cluster, other teams' included. Dashboards live here.
        "rbac": {"namespaced": True},
        "sidecar": {
            "dashboards": {
                "enabled": True,
                "label": "grafana_dashboard",
                "labelValue": "1",
                "searchNamespace": args.get("namespace", "monitoring"),
            }
        },
    }
    if persistent:
        prometheus_spec["storageSpec"] = volume(f"{args.get('storage_size_gib', 100)}Gi")
        alertmanager_spec["storage"] = volume("10Gi")
        grafana["persistence"] = {"enabled": True, "storageClassName": STORAGE_CLASS, "size": "10Gi"}
        # The claim is ReadWriteOnce: a rolling update's new pod on another node waits on Multi-Attach
        # forever and the atomic release rolls back (grafana/helm-charts#146, #3801).
        grafana["deploymentStrategy"] = {"type": "Recreate"}
    values: dict[str, Any] = {
        # The cluster installs the CRDs as their own release (prometheus-operator-crds).
        "crds": {"enabled": False},
        "prometheus": {
            "service": {"type": "ClusterIP"},
            "prometheusSpec": prometheus_spec,
            "podDisruptionBudget": {"enabled": replicas > 1, "minAvailable": 1},
        },
        "alertmanager": {
            "config": dict(alertmanager),
            "podDisruptionBudget": {"enabled": replicas > 1, "minAvailable": 1},
            "service": {"type": "ClusterIP"},
            "serviceAccount": {
                "name": ALERTMANAGER_SERVICE_ACCOUNT,
                "annotations": {"eks.amazonaws.com/role-arn": role_arn},
            },
            "alertmanagerSpec": alertmanager_spec,
        },
        "grafana": grafana,
        "prometheusOperator": {"nodeSelector": system},
        # Node labels as metrics: the pool-at-max-size alert counts nodes per pool.
        "kube-state-metrics": {"metricLabelsAllowlist": [f"nodes=[{POOL_LABEL}]"], "nodeSelector": system},
        "defaultRules": {"rules": {group: False for group in EKS_UNSCRAPEABLE.values()}},
    }
    for component in EKS_UNSCRAPEABLE:
        values[component] = {"enabled": False}
    values["defaultRules"]["rules"]["kubeSchedulerRecording"] = False  # reads the scheduler's metrics
    return values


def dcgm_values() -> dict[str, Any]:
    """Helm values of the DCGM exporter: on NVIDIA nodes, through their taint, scraped by Prometheus."""
    return {
        "serviceMonitor": {
            "enabled": True,
            "interval": "15s",
            "additionalLabels": {"release": "kube-prometheus-stack"},
        },
        "nodeSelector": {ACCELERATOR_LABEL: "nvidia"},
        "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
        "arguments": ["-f", "/etc/dcgm-exporter/mlops/counters.csv"],
        "extraConfigMapVolumes": [{"name": "counters", "configMap": {"name": "dcgm-exporter-counters"}}],
        "extraVolumeMounts": [{"name": "counters", "mountPath": "/etc/dcgm-exporter/mlops", "readOnly": True}],
    }


class MonitoringStack(pulumi.ComponentResource):
    """Prometheus, Alertmanager, Grafana, DCGM exporter, alert rules and AWS notifications."""

    namespace: str
    """Namespace of Prometheus, Alertmanager and Grafana."""
    topic_arn: pulumi.Output[str]
    """SNS topic that receives the alerts."""
    grafana_admin_password: pulumi.Output[str]
    """Grafana admin password (a secret)."""
    rule_groups: list[dict[str, Any]]
    """The Prometheus rule groups deployed (plain data)."""

    def _namespace(self, name: str, namespace: str, canaried: bool) -> k8s.core.v1.Namespace:
        """The namespace and its default-deny NetworkPolicies: team namespaces neither query
        Prometheus nor reach Alertmanager's API; the Argo Rollouts controller does when an endpoint
        is ``canaried`` (its analyses)."""
        # node-exporter and the DCGM exporter need host access: this namespace cannot be restricted.
        ns = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata={"name": namespace, "labels": {"pod-security.kubernetes.io/enforce": "privileged"}},
            opts=pulumi.ResourceOptions(parent=self),
        )
        in_ns = pulumi.ResourceOptions(parent=self, depends_on=[ns])
        specs = monitoring_policy_specs(analysis_namespace=ARGO_ROLLOUTS_NAMESPACE if canaried else None)
        declare_network_policies(specs, namespace, lambda suffix: f"{name}-{suffix}", in_ns)
        return ns

    def __init__(self, name: str, args: MonitoringStackArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        refuse("MonitoringStack", name, validate_monitoring(args))
        super().__init__("mlops:index:MonitoringStack", name, None, opts)
        namespace = args.get("namespace", "monitoring")
        self.namespace = namespace
        protect = args.get("protect", True)
        child = pulumi.ResourceOptions(parent=self)
        ns = self._namespace(name, namespace, any_canaried(args["endpoints"]))
        in_ns = pulumi.ResourceOptions(parent=self, depends_on=[ns])

        if "grafana_admin_password" in args:
            password = pulumi.Output.secret(args["grafana_admin_password"])
        else:
            password = random.RandomPassword(f"{name}-grafana-password", length=32, special=False, opts=child).result
        self.grafana_admin_password = pulumi.Output.secret(password)
        grafana_admin = k8s.core.v1.Secret(
            f"{name}-grafana-admin",
            metadata={"name": "grafana-admin", "namespace": namespace},
            string_data={"admin-user": "admin", "admin-password": self.grafana_admin_password},
            opts=in_ns,
        )

        key = account_key(
            f"{name}-alerts-key",
            "Encrypts the alert notification topic",
            parent=self,
            protect=protect,
            services=["budgets.amazonaws.com", "cloudwatch.amazonaws.com"],
        )
        topic = aws.sns.Topic(f"{name}-alerts-topic", kms_master_key_id=key.arn, opts=child)
        self.topic_arn = topic.arn
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id
        aws.sns.TopicPolicy(
            f"{name}-alerts-topic-policy",
            arn=topic.arn,
            policy=pulumi.Output.all(topic.arn, account).apply(lambda a: topic_policy(a[0], a[1])),
            opts=child,
        )
        for index, email in enumerate(args.get("alert_emails", [])):
            aws.sns.TopicSubscription(
                f"{name}-email-{index}", topic=topic.arn, protocol="email", endpoint=email, opts=child
            )
        for index, url in enumerate(args.get("alert_https_endpoints", [])):
            aws.sns.TopicSubscription(
                f"{name}-https-{index}",
                topic=topic.arn,
                protocol="https",
                endpoint=url,
                endpoint_auto_confirms=True,
                opts=child,
            )
        role = irsa_role(
            f"{name}-alertmanager-role",
            oidc_provider_arn=args["oidc_provider_arn"],
            issuer_url=args["oidc_issuer_url"],
            namespace=namespace,
            service_account=ALERTMANAGER_SERVICE_ACCOUNT,
            policy=pulumi.Output.all(topic.arn, key.arn).apply(lambda a: publish_policy(a[0], a[1])),
            parent=self,
        )

        secrets: dict[str, pulumi.Input[str]] = {}
        if "slack_webhook_url" in args:
            secrets["slack-webhook-url"] = pulumi.Output.secret(args["slack_webhook_url"])
        if "pagerduty_routing_key" in args:
            secrets["pagerduty-routing-key"] = pulumi.Output.secret(args["pagerduty_routing_key"])
        # What the release's values name must exist before it installs: its pods would not start.
        named: list[pulumi.Resource] = [ns, grafana_admin, *args["crds"]]
        if secrets:
            named.append(
                k8s.core.v1.Secret(
                    f"{name}-alertmanager-receivers",
                    metadata={"name": RECEIVER_SECRET, "namespace": namespace},
                    string_data=secrets,
                    opts=in_ns,
                )
            )
        if args.get("persistent_storage", False):
            named += [provisioner] if (provisioner := args.get("volume_provisioner")) is not None else []
            storage_class = k8s.storage.v1.StorageClass(
                f"{name}-storage-class",
                metadata={"name": STORAGE_CLASS},
                provisioner="ebs.csi.aws.com",
                parameters={"type": "gp3", "encrypted": "true"},
                reclaim_policy="Retain",
                volume_binding_mode="WaitForFirstConsumer",
                allow_volume_expansion=True,
                opts=child,
            )
            named.append(storage_class)

        slack, pagerduty = args.get("slack_channel"), "pagerduty_routing_key" in args
        values = pulumi.Output.all(topic.arn, role.arn).apply(
            lambda a: prometheus_values(
                args,
                alertmanager_config(Receivers(a[0], args["region"], slack, pagerduty)),
                a[1],
                bool(secrets),
            )
        )
        crds = list(args["crds"])
        stack = pinned_release(
            f"{name}-kube-prometheus-stack",
            "kube-prometheus-stack",
            namespace=namespace,
            values=values,
            opts=pulumi.ResourceOptions(parent=self, depends_on=named),
        )
        counters = k8s.core.v1.ConfigMap(
            f"{name}-dcgm-counters",
            metadata={"name": "dcgm-exporter-counters", "namespace": namespace},
            data={"counters.csv": DCGM_COUNTERS},
            opts=in_ns,
        )
        pinned_release(
            f"{name}-dcgm-exporter",
            "dcgm-exporter",
            namespace=namespace,
            values=dcgm_values(),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[stack, counters]),
        )

        self.rule_groups = rule_groups(args["endpoints"], args["pools"], args.get("burn_rate_alerts", False))
        for group in self.rule_groups:
            k8s.apiextensions.CustomResource(
                f"{name}-rules-{group['name']}",
                api_version="monitoring.coreos.com/v1",
                kind="PrometheusRule",
                metadata={
                    "name": group["name"],
                    "namespace": namespace,
                    "labels": {"release": "kube-prometheus-stack"},
                },
                spec={"groups": [group]},
                opts=pulumi.ResourceOptions(parent=self, depends_on=[*crds, stack]),
            )
        dashboards = {"gpu-fleet": gpu_fleet_dashboard(), "serving": serving_dashboard(args["endpoints"])}
        for dashboard, body in dashboards.items():
            k8s.core.v1.ConfigMap(
                f"{name}-dashboard-{dashboard}",
                metadata={
                    "name": f"dashboard-{dashboard}",
                    "namespace": namespace,
                    "labels": {"grafana_dashboard": "1"},
                },
                data={f"{dashboard}.json": body},
                opts=in_ns,
            )
        for alarm in args.get("gpu_capacity", []):
            self._capacity_alarm(name, alarm, topic.arn)
        if "monthly_gpu_budget_usd" in args:
            self._budget(name, args["monthly_gpu_budget_usd"], list(args.get("gpu_instance_types", [])), topic.arn)
        self.register_outputs({"topicArn": self.topic_arn, "grafanaAdminPassword": self.grafana_admin_password})

    def _capacity_alarm(self, name: str, alarm: GpuCapacityAlarm, topic_arn: pulumi.Output[str]) -> None:
        usage_class = alarm["usage_class"]
        aws.cloudwatch.MetricAlarm(
            f"{name}-gpu-capacity-{slug(usage_class)}",
            alarm_description=(
                f"Running {usage_class} vCPUs reached {alarm['max_vcpus']}: the GPU pools of this class are at "
                "their maximum size; new GPU pods will stay Pending."
            ),
            namespace="AWS/Usage",
            metric_name="ResourceCount",
            dimensions={"Service": "EC2", "Type": "Resource", "Resource": "vCPU", "Class": usage_class},
            statistic="Maximum",
            period=300,
            evaluation_periods=3,
            threshold=alarm["max_vcpus"],
            comparison_operator="GreaterThanOrEqualToThreshold",
            treat_missing_data="notBreaching",
            alarm_actions=[topic_arn],
            ok_actions=[topic_arn],
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _budget(self, name: str, limit: float, instance_types: list[str], topic_arn: pulumi.Output[str]) -> None:
        notifications = [
            aws.budgets.BudgetNotificationArgs(
                comparison_operator="GREATER_THAN",
                threshold=threshold,
                threshold_type="PERCENTAGE",
                notification_type=kind,
                subscriber_sns_topic_arns=[topic_arn],
            )
            for threshold, kind in ((80, "ACTUAL"), (100, "FORECASTED"))
        ]
        aws.budgets.Budget(
            f"{name}-gpu-budget",
            budget_type="COST",
            time_unit="MONTHLY",
            limit_amount=f"{limit:.2f}",
            limit_unit="USD",
            cost_filters=[aws.budgets.BudgetCostFilterArgs(name="InstanceType", values=sorted(instance_types))],
            notifications=notifications,
            opts=pulumi.ResourceOptions(parent=self),
        )

"""MonitoringStack under mocks: releases, rules, dashboards, receivers, AWS notifications."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from components import pins, timings
from components.monitoring_stack import MonitoringStack, MonitoringStackArgs
from tests.conftest import RunProgram, crd_releases, named, of_type

pytestmark = pytest.mark.component

ISSUER = "oidc.eks.us-east-1.amazonaws.com/id/ABC"
BASE: MonitoringStackArgs = {
    "cluster_name": "mlops-prod",
    "region": "us-east-1",
    "oidc_provider_arn": f"arn:aws:iam::123456789012:oidc-provider/{ISSUER}",
    "oidc_issuer_url": f"https://{ISSUER}",
    "endpoints": [{"name": "fraud", "namespace": "serving", "runtime": "triton"}],
    "pools": [{"name": "gpu", "max_size": 8}],
}
WEBHOOK = "https://hooks.slack.com/services/T000/B000/not-a-real-secret"


def deploy(run: RunProgram, args: MonitoringStackArgs) -> dict[str, Any]:
    return named(run(lambda: MonitoringStack("monitoring", {**args, "crds": crd_releases()})))


def test_releases_are_pinned_and_internal(run: RunProgram) -> None:
    r = deploy(run, BASE)
    stack = r["monitoring-kube-prometheus-stack"].inputs
    chart = pins.chart("kube-prometheus-stack")
    assert (stack["chart"], stack["version"], stack["repositoryOpts"]["repo"]) == (
        chart.name,
        chart.version,
        chart.repository,
    )
    # The cluster's prometheus-operator-crds release owns the CRDs; everything waits on it.
    assert stack["values"]["crds"] == {"enabled": False}
    crds = r["prometheus-operator-crds"].urn
    assert crds in r["monitoring-kube-prometheus-stack"].dependencies
    assert all(crds in x.dependencies for name, x in r.items() if name.startswith("monitoring-rules-"))
    values = stack["values"]
    assert values["prometheus"]["service"]["type"] == "ClusterIP"
    assert values["grafana"]["service"] == {"type": "ClusterIP"}
    assert values["grafana"]["ingress"] == {"enabled": False}
    assert values["grafana"]["admin"]["existingSecret"] == "grafana-admin"
    assert values["prometheus"]["prometheusSpec"]["retention"] == "15d"
    assert "storageSpec" not in values["prometheus"]["prometheusSpec"]
    assert values["prometheus"]["prometheusSpec"]["ruleSelectorNilUsesHelmValues"] is False
    role = values["alertmanager"]["serviceAccount"]["annotations"]["eks.amazonaws.com/role-arn"]
    assert role.startswith("arn:aws:iam::123456789012:role/monitoring-alertmanager-role")
    [sns] = next(x for x in values["alertmanager"]["config"]["receivers"] if x["name"] == "critical")["sns_configs"]
    assert sns["topic_arn"].startswith("arn:aws:sns:us-east-1:123456789012:monitoring-alerts-topic")
    dcgm = r["monitoring-dcgm-exporter"].inputs
    chart = pins.chart("dcgm-exporter")
    assert (dcgm["chart"], dcgm["version"], dcgm["repositoryOpts"]["repo"]) == (
        chart.name,
        chart.version,
        chart.repository,
    )
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in dcgm["values"]["tolerations"]
    assert dcgm["values"]["nodeSelector"] == {"mlops-platform/accelerator": "nvidia"}
    assert dcgm["values"]["serviceMonitor"]["enabled"] is True
    assert "DCGM_FI_DEV_ECC_DBE_VOL_TOTAL" in r["monitoring-dcgm-counters"].inputs["data"]["counters.csv"]


def test_rules_and_dashboards(run: RunProgram) -> None:
    r = deploy(run, {**BASE, "burn_rate_alerts": True})
    rules = {name: res.inputs for name, res in r.items() if res.type.endswith(":PrometheusRule")}
    assert set(rules) == {"monitoring-rules-endpoint-fraud", "monitoring-rules-gpu-health", "monitoring-rules-platform"}
    alerts = [rule["alert"] for rule in rules["monitoring-rules-endpoint-fraud"]["spec"]["groups"][0]["rules"]]
    assert alerts.count("EndpointErrorBudgetBurn") == 2
    for name in ("gpu-fleet", "serving"):
        dashboard = r[f"monitoring-dashboard-{name}"].inputs
        assert dashboard["metadata"]["labels"] == {"grafana_dashboard": "1"}
        body = json.loads(dashboard["data"][f"{name}.json"])
        assert body["panels"] and all(panel["targets"] for panel in body["panels"])


def test_aws_notifications(run: RunProgram) -> None:
    args: MonitoringStackArgs = {
        **BASE,
        "alert_emails": ["oncall@example.org"],
        "gpu_capacity": [{"usage_class": "G/OnDemand", "max_vcpus": 32}],
        "monthly_gpu_budget_usd": 5000,
        "gpu_instance_types": ["g6.xlarge"],
    }
    r = deploy(run, args)
    topic = r["monitoring-alerts-topic"].inputs
    assert topic["kmsMasterKeyId"].startswith("arn:aws:kms:us-east-1:123456789012:key/")
    key_policy = json.loads(r["monitoring-alerts-key"].inputs["policy"])
    services = next(s for s in key_policy["Statement"] if s["Sid"] == "ServicesEncryptForThisAccount")
    assert services["Principal"] == {"Service": ["budgets.amazonaws.com", "cloudwatch.amazonaws.com"]}
    policy = json.loads(r["monitoring-alerts-topic-policy"].inputs["policy"])
    assert [s["Sid"] for s in policy["Statement"]] == ["AwsServicesPublish", "DenyInsecureTransport"]
    assert r["monitoring-email-0"].inputs["protocol"] == "email"
    alarm = r["monitoring-gpu-capacity-g-ondemand"].inputs
    assert alarm["dimensions"] == {"Class": "G/OnDemand", "Resource": "vCPU", "Service": "EC2", "Type": "Resource"}
    assert (alarm["namespace"], alarm["threshold"]) == ("AWS/Usage", 32)
    budget = r["monitoring-gpu-budget"].inputs
    assert (budget["limitAmount"], budget["timeUnit"]) == ("5000.00", "MONTHLY")
    assert budget["costFilters"] == [{"name": "InstanceType", "values": ["g6.xlarge"]}]
    assert {n["notificationType"] for n in budget["notifications"]} == {"ACTUAL", "FORECASTED"}


def test_secrets_never_appear_in_plaintext(run: RunProgram) -> None:
    captured: dict[str, Any] = {}

    def program() -> None:
        stack = MonitoringStack(
            "monitoring",
            {
                **BASE,
                "crds": crd_releases(),
                "slack_channel": "#ml-alerts",
                "slack_webhook_url": pulumi.Output.secret(WEBHOOK),
                "pagerduty_routing_key": pulumi.Output.secret("pd-routing-key-not-real"),
            },
        )
        pulumi.export("password", stack.grafana_admin_password)
        stack.grafana_admin_password.apply(lambda p: captured.update(password=p))

    recording = run(program)
    everything = json.dumps([r.inputs for r in recording.resources]) + json.dumps(recording.outputs)
    assert WEBHOOK not in everything and "pd-routing-key-not-real" not in everything
    assert len(captured["password"]) == 32 and captured["password"] not in everything
    assert recording.outputs["password"] == "[secret]"
    r = named(recording)
    assert r["monitoring-alertmanager-receivers"].inputs["stringData"] == "[secret]"
    config = r["monitoring-kube-prometheus-stack"].inputs["values"]["alertmanager"]
    slack = next(x for x in config["config"]["receivers"] if x["name"] == "warning")["slack_configs"][0]
    assert slack["api_url_file"].endswith("/alertmanager-receivers/slack-webhook-url")
    assert config["alertmanagerSpec"]["secrets"] == ["alertmanager-receivers"]


def ebs_csi_driver() -> aws.eks.Addon:
    return aws.eks.Addon("ebs-csi", cluster_name="mlops-prod", addon_name="aws-ebs-csi-driver")


def test_prod_storage_is_persistent_and_encrypted(run: RunProgram) -> None:
    def program() -> None:
        persistent: MonitoringStackArgs = {
            **BASE,
            "persistent_storage": True,
            "storage_size_gib": 200,
            "retention_days": 30,
            "volume_provisioner": ebs_csi_driver(),
        }
        MonitoringStack("monitoring", {**persistent, "crds": crd_releases()})

    r = named(run(program))
    storage_class = r["monitoring-storage-class"].inputs
    assert storage_class["parameters"] == {"encrypted": "true", "type": "gp3"}
    assert storage_class["reclaimPolicy"] == "Retain"
    spec = r["monitoring-kube-prometheus-stack"].inputs["values"]["prometheus"]["prometheusSpec"]
    claim = spec["storageSpec"]["volumeClaimTemplate"]["spec"]
    assert (claim["storageClassName"], claim["resources"]["requests"]["storage"]) == ("gp3-encrypted", "200Gi")
    assert spec["retention"] == "30d"


CUSTOM = {"name": "ranker", "namespace": "serving", "runtime": "custom"}


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"slack_channel": "#x"}, "slack_channel needs slack_webhook_url"),
        ({"retention_days": 0}, "retention_days must be 1-365"),
        ({"monthly_gpu_budget_usd": 100.0}, "needs gpu_instance_types"),
        ({}, "crds is required: pass cluster.crds"),
        (
            {"crds": [], "endpoints": [{**CUSTOM, "error_selector": 'status=~"5.."} or vector(1) or up{a="b"'}]},
            r"endpoint ranker: error_selector .* must be label matchers as inside a selector's braces, e\.g\. "
            r'status=~"5\.\.", without braces',
        ),
        (
            {"crds": [], "endpoints": [{**CUSTOM, "requests_metric": "http_requests_total or vector(1)"}]},
            r"endpoint ranker: requests_metric 'http_requests_total or vector\(1\)' must be a Prometheus metric name",
        ),
        (
            {"crds": [], "endpoints": [{**CUSTOM, "latency_histogram": "sum"}]},
            r"latency_histogram 'sum' must be a Prometheus metric name.*not a PromQL keyword",
        ),
        ({"persistent_storage": True}, "persistent_storage needs volume_provisioner"),
        ({"alert_https_endpoints": ["http://x.example"]}, "alert_https_endpoints must be https:// URLs"),
    ],
)
def test_bad_arguments_declare_nothing(run: RunProgram, change: dict[str, Any], fragment: str) -> None:
    def program() -> None:
        with pytest.raises(ValueError, match=fragment):
            MonitoringStack("monitoring", {**BASE, **change})

    assert list(named(run(program))) == []


def test_one_topic(run: RunProgram) -> None:
    topics = of_type(
        run(lambda: MonitoringStack("monitoring", {**BASE, "crds": crd_releases()})), "aws:sns/topic:Topic"
    )
    assert len(topics) == 1


def test_releases_wait_for_what_their_values_name_within_their_timeouts(run: RunProgram) -> None:
    def program() -> None:
        args: MonitoringStackArgs = {
            **BASE,
            "persistent_storage": True,
            "volume_provisioner": ebs_csi_driver(),
            "slack_channel": "#ml-alerts",
            "slack_webhook_url": WEBHOOK,
        }
        MonitoringStack("monitoring", {**args, "crds": crd_releases()})

    r = named(run(program))
    stack = r["monitoring-kube-prometheus-stack"]
    # Values name the Grafana admin Secret, the receivers Secret, the StorageClass and (through the
    # class's provisioner) the EBS CSI driver: each exists before the atomic install starts.
    for name in (
        "monitoring-grafana-admin",
        "monitoring-alertmanager-receivers",
        "monitoring-storage-class",
        "ebs-csi",
    ):
        assert r[name].urn in stack.dependencies, name
    dcgm = r["monitoring-dcgm-exporter"]
    assert r["monitoring-dcgm-counters"].urn in dcgm.dependencies
    # A first install with volumes outlasts the provider's 300 s default.
    assert stack.inputs["timeout"] == timings.helm_release("kube-prometheus-stack").timeout == 1200
    assert dcgm.inputs["timeout"] == timings.helm_release("dcgm-exporter").timeout


def test_control_plane_targets_eks_hides_are_not_scraped(run: RunProgram) -> None:
    values = deploy(run, BASE)["monitoring-kube-prometheus-stack"].inputs["values"]
    for component in ("kubeControllerManager", "kubeScheduler", "kubeEtcd", "kubeProxy"):
        assert values[component] == {"enabled": False}, component
    rules = values["defaultRules"]["rules"]
    assert {k for k, v in rules.items() if v is False} == {
        "kubeControllerManager",
        "kubeSchedulerAlerting",
        "kubeSchedulerRecording",
        "etcd",
        "kubeProxy",
    }


def test_alerts_reach_email_and_https_subscribers(run: RunProgram) -> None:
    r = deploy(
        run,
        {**BASE, "alert_emails": ["oncall@example.com"], "alert_https_endpoints": ["https://events.example.com/x"]},
    )
    email, https = r["monitoring-email-0"], r["monitoring-https-0"]
    assert (email.inputs["protocol"], email.inputs["endpoint"]) == ("email", "oncall@example.com")
    assert (https.inputs["protocol"], https.inputs["endpoint"]) == ("https", "https://events.example.com/x")
    assert https.inputs["endpointAutoConfirms"] is True
    assert r["monitoring-alerts-topic"].urn in https.dependencies


def _servers(values: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [
        (
            section,
            values[section][spec]["replicas"],
            values[section][spec].get("podAntiAffinity"),
            values[section]["podDisruptionBudget"]["enabled"],
        )
        for section, spec in (("prometheus", "prometheusSpec"), ("alertmanager", "alertmanagerSpec"))
    ]


def test_high_availability_spreads_prometheus_and_alertmanager(run: RunProgram) -> None:
    """Two replicas each, never on one node, a PodDisruptionBudget each; one of each without it."""
    ha = deploy(run, {**BASE, "high_availability": True})["monitoring-kube-prometheus-stack"].inputs["values"]
    assert _servers(ha) == [("prometheus", 2, "hard", True), ("alertmanager", 2, "hard", True)]
    single = deploy(run, BASE)["monitoring-kube-prometheus-stack"].inputs["values"]
    assert _servers(single) == [("prometheus", 1, None, False), ("alertmanager", 1, None, False)]


def test_prometheus_memory_follows_the_stack_scale(run: RunProgram) -> None:
    """Requests and a memory limit (twice the request) on every server; Prometheus' grow with the
    GPU pools' maximum nodes and the endpoints; no CPU limit on Prometheus (rule evaluation)."""

    def resources(pools: int) -> dict[str, Any]:
        args: MonitoringStackArgs = {**BASE, "pools": [{"name": "gpu", "max_size": pools}]}
        return deploy(run, args)["monitoring-kube-prometheus-stack"].inputs["values"]

    small, large = resources(2), resources(200)
    small_spec, large_spec = small["prometheus"]["prometheusSpec"], large["prometheus"]["prometheusSpec"]
    assert small_spec["resources"] == {"requests": {"cpu": "500m", "memory": "2048Mi"}, "limits": {"memory": "4096Mi"}}
    assert large_spec["resources"]["requests"]["memory"] == "14592Mi"
    for values in (small, large):
        assert values["alertmanager"]["alertmanagerSpec"]["resources"]["limits"]["memory"]
        assert values["grafana"]["resources"]["limits"]["memory"]

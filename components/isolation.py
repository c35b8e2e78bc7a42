"""Default-deny NetworkPolicies of the platform's own namespaces (monitoring, the model registry's),
with the flows each needs; team namespaces and the shared ``serving`` namespace take theirs from
:func:`components.team.network_policy_specs`.

Pod labels are the ones the upstream software sets: the Prometheus operator labels every Prometheus
pod ``app.kubernetes.io/name: prometheus`` (prometheus-operator v0.93.0
``pkg/apis/monitoring/v1/prometheus_types.go``); the pinned kube-prometheus-stack
(components/pins.py) labels its operator's pods ``app: kube-prometheus-stack-operator``, whose
admission webhook (port ``https``, 10250) the API server calls from the control plane's network
interfaces in the VPC."""

from typing import Any

from components.team import LINK_LOCAL, PROMETHEUS_POD, namespace_peer

OPERATOR_POD = {"app": "kube-prometheus-stack-operator"}
OPERATOR_WEBHOOK_PORT = 10250
PROMETHEUS_PORT = 9090
NODE_PORTS = (10250, 9100)
"""What Prometheus scrapes on node addresses: the kubelet (and cAdvisor) and node-exporter, which
runs in the host's network."""
DNS: dict[str, Any] = {
    "to": [namespace_peer("kube-system", {"k8s-app": "kube-dns"})],
    "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}],
}
OUTSIDE = [{"ipBlock": {"cidr": "0.0.0.0/0", "except": [LINK_LOCAL]}}]
"""Any address but link-local (the instance metadata service)."""
DENY_ALL: dict[str, Any] = {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}


def prometheus_queries_from(namespace: str) -> dict[str, Any]:
    """A NetworkPolicy spec admitting the pods of ``namespace`` to Prometheus' API port."""
    return {
        "podSelector": {"matchLabels": dict(PROMETHEUS_POD)},
        "policyTypes": ["Ingress"],
        "ingress": [{"from": [namespace_peer(namespace)], "ports": [{"port": PROMETHEUS_PORT, "protocol": "TCP"}]}],
    }


def monitoring_policy_specs(
    keda_namespace: str = "keda", analysis_namespace: str | None = None
) -> dict[str, dict[str, Any]]:
    """The monitoring namespace's NetworkPolicies by suffix. In: its own pods (Prometheus scraping
    its exporters, Grafana and Alertmanager), KEDA's queries to Prometheus (ScaledObjects), the Argo
    Rollouts controller's (a canary's analyses) from ``analysis_namespace`` when one is given, the
    API server to the operator's webhook; nothing from team namespaces, so no pod of theirs queries
    every team's metrics or silences an alert. Out: DNS, every pod of every namespace (scrapes:
    each namespace's own policies say what they admit), node addresses on the kubelet's and
    node-exporter's ports, and HTTPS anywhere (the API server, SNS, Slack, PagerDuty)."""
    analyses = (
        {}
        if analysis_namespace is None
        else {f"allow-{analysis_namespace}": prometheus_queries_from(analysis_namespace)}
    )
    return {
        "deny-all": DENY_ALL,
        "allow-own": {
            "podSelector": {},
            "policyTypes": ["Ingress"],
            "ingress": [{"from": [{"podSelector": {}}]}],
        },
        "allow-keda": prometheus_queries_from(keda_namespace),
        **analyses,
        "allow-webhook": {
            "podSelector": {"matchLabels": dict(OPERATOR_POD)},
            "policyTypes": ["Ingress"],
            "ingress": [{"from": OUTSIDE, "ports": [{"port": OPERATOR_WEBHOOK_PORT, "protocol": "TCP"}]}],
        },
        "allow-egress": {
            "podSelector": {},
            "policyTypes": ["Egress"],
            "egress": [
                DNS,
                {"to": [{"namespaceSelector": {}}]},
                {
                    "to": OUTSIDE,
                    "ports": [{"port": port, "protocol": "TCP"} for port in (443, *NODE_PORTS)],
                },
            ],
        },
    }


def registry_policy_specs(database_port: int = 5432) -> dict[str, dict[str, Any]]:
    """The model registry namespace's NetworkPolicies by suffix, besides the server's own ingress
    policy (its port from the admitted namespaces, metrics from monitoring): deny everything else;
    out only DNS, HTTPS (S3 artifacts, Secrets Manager for the database password, STS) and the
    database's port (RDS in the private subnets, whose security group admits the nodes only)."""
    return {
        "deny-all": DENY_ALL,
        "allow-egress": {
            "podSelector": {},
            "policyTypes": ["Egress"],
            "egress": [
                DNS,
                {
                    "to": OUTSIDE,
                    "ports": [{"port": 443, "protocol": "TCP"}, {"port": database_port, "protocol": "TCP"}],
                },
            ],
        },
    }

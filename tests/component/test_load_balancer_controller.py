"""The AWS Load Balancer Controller under mocks: upstream's IAM policy in every partition, the IRSA
role, the pinned release on the system nodes, the Cluster's opt-in hook, and what a load-balanced
endpoint or registry gets from it (its Service waits for the release, its NetworkPolicy admits the
NLB's addresses on the serving ports only); without it, a load balancer is refused."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from components import pins
from components.cluster import Cluster
from components.load_balancer_controller import (
    NO_CLIENT_IP,
    TARGET_GROUP_ATTRIBUTES_ANNOTATION,
    LoadBalancerController,
    LoadBalancerControllerArgs,
)
from components.load_balancer_controller_policy import controller_policy
from components.model_registry import ModelRegistry
from components.model_serving_endpoint import ModelServingEndpoint
from components.plan.chart_values import read as read_chart_values
from components.plan.chart_values import unknown_keys
from tests.component.test_karpenter import CLUSTER
from tests.component.test_model_registry import registry_args
from tests.component.test_model_serving_endpoint import args as endpoint_args
from tests.conftest import ROOT, RunProgram, crd_releases, named, of_type

pytestmark = pytest.mark.component

UPSTREAM = ROOT / "tests" / "vendor" / "aws-load-balancer-controller"
CHART = ROOT / "tests" / "vendor" / "charts" / "aws-load-balancer-controller"
ISSUER = "oidc.eks.us-east-1.amazonaws.com/id/ABC"
ARGS: LoadBalancerControllerArgs = {
    "cluster_name": "mlops-dev",
    "region": "us-east-1",
    "vpc_id": "vpc-0123456789abcdef0",
    "vpc_cidr": "10.20.0.0/16",
    "oidc_provider_arn": f"arn:aws:iam::123456789012:oidc-provider/{ISSUER}",
    "oidc_issuer_url": f"https://{ISSUER}",
}
RELEASE = "kubernetes:helm.sh/v3:Release"


def statements(document: dict[str, Any]) -> list[str]:
    return sorted(json.dumps(s, sort_keys=True) for s in document["Statement"])


@pytest.mark.parametrize(
    ("partition", "file"),
    [("aws", "iam_policy.json"), ("aws-cn", "iam_policy_cn.json"), ("aws-us-gov", "iam_policy_us-gov.json")],
)
def test_the_policy_is_upstreams_in_each_partition(partition: str, file: str) -> None:
    upstream = json.loads((UPSTREAM / file).read_text())
    ours = controller_policy(partition)
    assert ours["Version"] == upstream["Version"]
    # Upstream's per-partition copies list one pair of statements in another order.
    assert statements(ours) == statements(upstream)
    if partition == "aws":
        assert ours == upstream
    print(f"{partition}: {len(ours['Statement'])} statements equal {file}")


def test_the_role_is_the_controllers_alone_with_the_regions_partition(run: RunProgram) -> None:
    r = named(run(lambda: LoadBalancerController("lbc", {**ARGS, "region": "cn-north-1"})))
    trust = json.loads(r["lbc-role"].inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Condition"]["StringEquals"][f"{ISSUER}:sub"] == (
        "system:serviceaccount:kube-system:aws-load-balancer-controller"
    )
    policy = json.loads(r["lbc-role-policy"].inputs["policy"])
    assert statements(policy) == statements(json.loads((UPSTREAM / "iam_policy_cn.json").read_text()))


def test_the_release_is_pinned_on_the_system_nodes_with_the_clusters_vpc(run: RunProgram) -> None:
    r = named(run(lambda: LoadBalancerController("lbc", ARGS)))
    release = r["lbc-release"].inputs
    pinned = pins.chart("aws-load-balancer-controller")
    assert (release["chart"], release["version"], release["namespace"]) == (pinned.name, pinned.version, "kube-system")
    assert release["repositoryOpts"] == {"repo": "https://aws.github.io/eks-charts"}
    values = release["values"]
    assert (values["clusterName"], values["region"], values["vpcId"]) == ("mlops-dev", "us-east-1", ARGS["vpc_id"])
    assert values["serviceAccount"] == {
        "name": "aws-load-balancer-controller",
        "annotations": {"eks.amazonaws.com/role-arn": r["lbc-role"].analyzed_outputs["arn"]},
    }
    assert values["nodeSelector"]["mlops-platform/pool"] == "system"
    assert (values["replicaCount"], values["podDisruptionBudget"]) == (2, {"maxUnavailable": 1})
    assert values["createIngressClassResource"] is False and values["disableIngressClassAnnotation"] is True
    # Neither Ingress nor the Gateway API (on by default at the pinned release) make load balancers; a controller
    # that is down never blocks the creation of other Services (its webhook intercepts them all).
    gates = values["controllerConfig"]["featureGates"]
    assert (gates["ALBGatewayAPI"], gates["NLBGatewayAPI"], gates["ServiceTypeLoadBalancerOnly"]) == (
        False,
        False,
        True,
    )
    assert values["serviceMutatorWebhookConfig"] == {"failurePolicy": "Ignore"}
    # The chart's own image is the pinned one: no override needed, and a bump moves both.
    chart_values = yaml.safe_load((CHART / "values.yaml").read_text())
    assert f"{chart_values['image']['repository']}:{chart_values['image']['tag']}" == pins.image(
        "aws-load-balancer-controller"
    )
    assert yaml.safe_load((CHART / "Chart.yaml").read_text())["version"] == pinned.version
    assert unknown_keys(read_chart_values(pinned.name, CHART), values) == []
    single = named(run(lambda: LoadBalancerController("lbc", {**ARGS, "replicas": 1})))["lbc-release"].inputs
    assert single["values"]["replicaCount"] == 1 and "podDisruptionBudget" not in single["values"]


@pytest.mark.parametrize(
    ("change", "fragment"),
    [({"vpc_cidr": "10.0.0.0/33"}, "vpc_cidr must be an IPv4 network"), ({"replicas": 0}, "replicas must be 1..10")],
)
def test_bad_arguments_are_refused(run: RunProgram, change: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        run(lambda: LoadBalancerController("lbc", {**ARGS, **change}))  # type: ignore[typeddict-item]


def test_the_cluster_installs_it_only_when_asked(run: RunProgram) -> None:
    seen: dict[str, Any] = {}

    def program(asked: bool) -> None:
        cluster = Cluster(
            "eks",
            {**CLUSTER, "load_balancer_controller": {"vpc_id": ARGS["vpc_id"], "vpc_cidr": "10.20.0.0/16"}}
            if asked
            else CLUSTER,
        )
        seen[str(asked)] = cluster.load_balancing()

    plain = run(lambda: program(False))
    assert seen["False"] is None
    assert not [r for r in plain.resources if "load-balancer" in r.name]
    asked = named(run(lambda: program(True)))
    balancing = seen["True"]
    assert balancing is not None and balancing["vpc_cidr"] == "10.20.0.0/16"
    release = asked["eks-load-balancer-controller-release"]
    assert asked["eks-system-nodes"].urn in release.dependencies
    assert release.provider and "eks-k8s" in release.provider
    # One system node in this cluster: one replica, which a PodDisruptionBudget would keep from draining.
    assert release.inputs["values"]["replicaCount"] == 1
    with pytest.raises(ValueError, match=r"load_balancer_controller\.vpc_cidr must be an IPv4 network"):
        run(lambda: Cluster("eks", {**CLUSTER, "load_balancer_controller": {"vpc_id": "vpc-1", "vpc_cidr": "x"}}))


def balanced_endpoint(run: RunProgram, **extra: Any) -> dict[str, Any]:
    def program() -> None:
        controller = LoadBalancerController("lbc", ARGS)
        ModelServingEndpoint(
            "ep",
            {
                **endpoint_args("triton", load_balancer="internal", load_balancing=controller.load_balancing()),
                "crds": crd_releases(),
                **extra,
            },
        )

    return named(run(program))


def test_an_endpoint_behind_a_load_balancer_admits_its_addresses_on_the_serving_ports_only(run: RunProgram) -> None:
    r = balanced_endpoint(run)
    service = r["ep-service"]
    assert r["lbc-release"].urn in service.dependencies
    annotations = service.inputs["metadata"]["annotations"]
    assert annotations[TARGET_GROUP_ATTRIBUTES_ANNOTATION] == NO_CLIENT_IP == "preserve_client_ip.enabled=false"
    # Ours, not the chart's webhook's: a field the webhook set would be dropped by the next apply.
    assert service.inputs["spec"]["loadBalancerClass"] == "service.k8s.aws/nlb"
    rules = r["ep-network-policy"].inputs["spec"]["ingress"]
    balanced = [rule for rule in rules if any("ipBlock" in peer for peer in rule["from"])]
    assert balanced == [
        {
            "from": [{"ipBlock": {"cidr": "10.20.0.0/16"}}],
            "ports": [{"port": "http", "protocol": "TCP"}, {"port": "grpc", "protocol": "TCP"}],
        }
    ]
    # The Service's serving ports are what the rule admits; metrics stay for the monitoring namespace.
    serving = {p["name"] for p in service.inputs["spec"]["ports"]} - {"metrics"}
    assert {p["port"] for p in balanced[0]["ports"]} == serving
    print(f"ep: NLB addresses {balanced[0]['from'][0]['ipBlock']['cidr']} admitted on {sorted(serving)}")


def test_an_endpoint_without_a_load_balancer_admits_no_address_block(run: RunProgram) -> None:
    r = named(run(lambda: ModelServingEndpoint("ep", {**endpoint_args("triton"), "crds": crd_releases()})))
    assert "ipBlock" not in json.dumps(r["ep-network-policy"].inputs)
    assert TARGET_GROUP_ATTRIBUTES_ANNOTATION not in json.dumps(r["ep-service"].inputs)


@pytest.mark.parametrize("scheme", ["internal", "internet-facing"])
def test_a_load_balancer_without_the_controller_is_refused(run: RunProgram, scheme: str) -> None:
    given = endpoint_args("triton", load_balancer=scheme, allow_internet_facing=True)
    with pytest.raises(ValueError, match=f"load_balancer {scheme} needs load_balancing: the cluster's AWS Load"):
        run(lambda: ModelServingEndpoint("ep", {**given, "crds": crd_releases()}))


def test_a_registry_load_balancer_without_the_controller_is_refused(run: RunProgram) -> None:
    with pytest.raises(ValueError, match="load_balancer internal needs load_balancing"):
        run(lambda: ModelRegistry("mlflow", registry_args(load_balancer="internal")))


def test_a_registry_behind_its_load_balancer_admits_its_addresses_on_the_server_port(run: RunProgram) -> None:
    def program() -> None:
        controller = LoadBalancerController("lbc", ARGS)
        ModelRegistry("mlflow", registry_args(load_balancer="internal", load_balancing=controller.load_balancing()))

    recording = run(program)
    r = named(recording)
    assert r["lbc-release"].urn in r["mlflow-service"].dependencies
    assert r["mlflow-namespace"].urn in r["mlflow-service"].dependencies
    rules = r["mlflow-network-policy"].inputs["spec"]["ingress"]
    assert rules[-1] == {
        "from": [{"ipBlock": {"cidr": "10.20.0.0/16"}}],
        "ports": [{"port": "http", "protocol": "TCP"}],
    }
    assert sum("ipBlock" in json.dumps(rule) for rule in rules) == 1
    assert len(of_type(recording, RELEASE)) == 1

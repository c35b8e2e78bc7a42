"""Load balancers in the stack plans (issue 27, item 4): a stack whose endpoint or model registry asks for
an internal NLB installs the AWS Load Balancer Controller (pinned chart, IRSA role with upstream's
policy) and admits the NLB's addresses on the serving port only; a stack without one installs nothing
(dev and prod today). The fixture stack is the real dev file with ``loadBalancer: internal`` on its
endpoint and its registry; the real Helm renders the release (tests/validators/test_helm_plan.py style)."""

from __future__ import annotations

import json
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from components import pins
from components.errors import ConfigError
from components.load_balancer_controller_policy import controller_policy
from components.plan import cli
from components.plan.cli import make_plan
from components.plan.runner import Recording, StackConfig, run_program_dir
from infra.config import load_platform_config
from tests.conftest import PROJECT, ROOT, platform_raw, stack_file

pytestmark = pytest.mark.stack

RELEASE = "eks-load-balancer-controller-release"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
VALIDATE = Path(sys.executable).with_name("kubernetes-validate")


def load_balanced(stack: str) -> dict[str, Any]:
    """The stack's platform config with an internal NLB on its first endpoint and on its registry."""
    platform = platform_raw(stack)
    platform["endpoints"][0]["loadBalancer"] = "internal"
    platform["modelRegistry"]["loadBalancer"] = "internal"
    return platform


def recording_of(stack: str, platform: dict[str, Any]) -> Recording:
    values = {"aws:region": "us-east-1", f"{PROJECT}:platform": json.dumps(platform)}
    return run_program_dir(
        ROOT / "infra", stack=stack, config=StackConfig(f"Pulumi.{stack}.yaml", values, []), project=PROJECT
    )


def plan_of(stack: str, platform: dict[str, Any]) -> dict[str, Any]:
    return make_plan(recording_of(stack, platform))


@cache
def balanced_recording(stack: str) -> Recording:
    """The recording of the fixture stack (the real file of ``stack`` with internal NLBs)."""
    return recording_of(stack, load_balanced(stack))


@cache
def _balanced(stack: str) -> str:
    return json.dumps(make_plan(balanced_recording(stack)))


def balanced(stack: str) -> dict[str, Any]:
    return json.loads(_balanced(stack))


def ingress_blocks(plan: dict[str, Any]) -> list[str]:
    """The endpoints' and the registry's own NetworkPolicies that admit an address block."""
    return [
        r["name"]
        for r in plan["resources"]
        if r["type"] == NETWORK_POLICY
        and r["name"].endswith("-network-policy")
        and "ipBlock" in json.dumps(r["inputs"]["spec"]["ingress"])
    ]


def by_name(plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in plan["resources"]}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_an_internal_load_balancer_installs_the_pinned_controller(stack: str) -> None:
    plan = balanced(stack)
    resources = by_name(plan)
    release = resources[RELEASE]
    chart = pins.chart("aws-load-balancer-controller")
    assert (release["inputs"]["chart"], release["inputs"]["version"]) == (chart.name, chart.version)
    assert release["inputs"]["namespace"] == "kube-system"
    values = release["inputs"]["values"]
    assert values["clusterName"] == load_platform_config(platform_raw(stack), stack).cluster_name
    assert values["vpcId"].startswith("vpc-") and values["region"] == "us-east-1"
    role_arn = values["serviceAccount"]["annotations"]["eks.amazonaws.com/role-arn"]
    assert role_arn.split("/")[-1].startswith("eks-load-balancer-controller-role")
    policy = json.loads(resources["eks-load-balancer-controller-role-policy"]["inputs"]["policy"])
    assert policy == controller_policy("aws")
    assert resources["eks-system-nodes"]["urn"] in resources["eks-load-balancer-controller"]["dependencies"]
    # Two system nodes in prod: two replicas and a budget; one in dev: one replica, no budget.
    system_min = resources["eks-system-nodes"]["inputs"]["scalingConfig"]["minSize"]
    assert values["replicaCount"] == min(2, system_min)
    assert ("podDisruptionBudget" in values) == (system_min >= 2)
    # The controller and the NLBs bring no violation the stack did not have.
    before = {(v["policy"], v["message"]) for v in plan_of(stack, platform_raw(stack))["violations"]}
    assert {(v["policy"], v["message"]) for v in plan["violations"]} == before
    print(
        f"{stack}: release {chart.name} {chart.version}, {values['replicaCount']} replica(s), "
        f"{len(plan['resources'])} resources"
    )


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_nlb_addresses_reach_the_serving_port_only(stack: str) -> None:
    plan = balanced(stack)
    resources = by_name(plan)
    cidr = platform_raw(stack).get("network", {}).get("cidr", "10.0.0.0/16")
    assert resources["network-vpc"]["inputs"]["cidrBlock"] == cidr
    endpoint = platform_raw(stack)["endpoints"][0]["name"]
    for service, policy in (
        (f"{endpoint}-service", f"{endpoint}-network-policy"),
        ("mlflow-service", "mlflow-network-policy"),
    ):
        assert resources[RELEASE]["urn"] in resources[service]["dependencies"]
        assert resources[service]["inputs"]["spec"]["loadBalancerClass"] == "service.k8s.aws/nlb"
        annotations = resources[service]["inputs"]["metadata"]["annotations"]
        assert annotations["service.beta.kubernetes.io/aws-load-balancer-scheme"] == "internal"
        assert annotations["service.beta.kubernetes.io/aws-load-balancer-target-group-attributes"] == (
            "preserve_client_ip.enabled=false"
        )
        ports = [p["name"] for p in resources[service]["inputs"]["spec"]["ports"] if p["name"] != "metrics"]
        rules = [r for r in resources[policy]["inputs"]["spec"]["ingress"] if "ipBlock" in json.dumps(r)]
        assert rules == [
            {"from": [{"ipBlock": {"cidr": cidr}}], "ports": [{"port": p, "protocol": "TCP"} for p in ports]}
        ]
        print(f"{stack} {policy}: {cidr} admitted on {ports}")


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_a_stack_without_a_load_balancer_installs_no_controller(stack: str) -> None:
    plan = plan_of(stack, platform_raw(stack))
    assert not [r["name"] for r in plan["resources"] if "load-balancer" in r["name"]]
    assert not ingress_blocks(plan)
    assert "loadBalancerController" not in plan["outputs"]["platform"]


def test_asked_for_alone_it_is_installed_and_the_contract_says_so() -> None:
    platform = platform_raw("dev")
    platform.setdefault("cluster", {})["loadBalancerController"] = True
    plan = plan_of("dev", platform)
    assert RELEASE in by_name(plan)
    assert plan["outputs"]["platform"]["loadBalancerController"] == {"vpcCidr": "10.20.0.0/16"}
    assert not ingress_blocks(plan)


def test_an_existing_vpc_needs_its_cidr_for_a_load_balancer() -> None:
    platform = load_balanced("dev")
    platform["network"] = {
        "existing": {
            "vpcId": "vpc-0123456789abcdef0",
            "privateSubnetIds": ["subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb", "subnet-0cccccccccccccccc"],
        }
    }
    with pytest.raises(ConfigError) as raised:
        plan_of("dev", platform)
    assert "platform.network.existing.cidr: required with a load balancer" in str(raised.value)
    platform["network"]["existing"]["cidr"] = "172.31.0.0/16"
    rules = by_name(plan_of("dev", platform))["mlflow-network-policy"]["inputs"]["spec"]["ingress"]
    assert rules[-1]["from"] == [{"ipBlock": {"cidr": "172.31.0.0/16"}}]


def test_the_subnets_carry_the_tags_the_controller_discovers_and_nodes_share_the_cluster_group() -> None:
    """The controller picks subnets by role tag, and its webhooks (9443) are reached by the API server
    through the cluster security group's self rule: every node is in that group and no other."""
    resources = by_name(balanced("prod"))
    for name, resource in resources.items():
        if resource["type"] == "aws:ec2/subnet:Subnet":
            role = "kubernetes.io/role/elb" if "-public-" in name else "kubernetes.io/role/internal-elb"
            assert resource["inputs"]["tags"][role] == "1", name
    cluster_group = "sg-"  # the mock's cluster security group, read back from the EKS cluster
    templates = [r for r in resources.values() if r["type"] == "aws:ec2/launchTemplate:LaunchTemplate"]
    assert templates
    for template in templates:
        [interface] = template["inputs"]["networkInterfaces"]
        assert len(interface["securityGroups"]) == 1 and interface["securityGroups"][0].startswith(cluster_group)
    groups = {t["inputs"]["networkInterfaces"][0]["securityGroups"][0] for t in templates}
    assert len(groups) == 1


@pytest.mark.validators
def test_helm_renders_the_release_with_our_values_and_it_validates(tmp_path: Path) -> None:
    """The real Helm (``make helm``) renders the vendored chart with the plan's values: the controller's
    arguments are ours, its image the pinned one, and every object passes the Kubernetes schemas."""
    if not (ROOT / ".tools" / "helm" / "helm").exists():
        pytest.fail("no Helm: run `make helm`")
    document = yaml.safe_load(stack_file("prod").read_text())
    document["config"][f"{PROJECT}:platform"] = load_balanced("prod")
    config = tmp_path / "Pulumi.prod.yaml"
    config.write_text(yaml.safe_dump(document))
    out = tmp_path / "plan"
    assert cli.main(["plan", "--stack", "prod", "--config", str(config), "--out", str(out), "--format", "json"]) == 0
    plan = json.loads((out / "plan.json").read_text())
    [release] = [r for r in plan["releases"] if r["chart"] == "aws-load-balancer-controller"]
    objects = {(o["kind"], o["name"]): out / "manifests" / o["file"] for o in release["objects"]}
    deployment = yaml.safe_load(objects[("Deployment", "aws-load-balancer-controller")].read_text())
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    values = by_name(plan)[RELEASE]["inputs"]["values"]
    assert {
        f"--cluster-name={values['clusterName']}",
        "--aws-region=us-east-1",
        f"--aws-vpc-id={values['vpcId']}",
    } <= set(container["args"])
    assert container["image"] == pins.image("aws-load-balancer-controller")
    assert deployment["spec"]["replicas"] == 2
    assert deployment["spec"]["template"]["spec"]["nodeSelector"]["mlops-platform/pool"] == "system"
    budget = yaml.safe_load(objects[("PodDisruptionBudget", "aws-load-balancer-controller")].read_text())
    assert budget["spec"]["maxUnavailable"] == 1
    assert not [kind for kind, _ in objects if kind in ("IngressClass", "List")]
    crd_groups = {
        yaml.safe_load(path.read_text())["spec"]["group"]
        for (kind, _), path in objects.items()
        if kind == "CustomResourceDefinition"
    }
    assert crd_groups == set(pins.CRD_GROUPS["aws-load-balancer-controller"])
    webhooks = yaml.safe_load(objects[("MutatingWebhookConfiguration", "aws-load-balancer-webhook")].read_text())
    service = yaml.safe_load(objects[("Service", "aws-load-balancer-webhook-service")].read_text())
    assert {w["clientConfig"]["service"]["name"] for w in webhooks["webhooks"]} == {service["metadata"]["name"]}
    # The API server calls the pods on 9443: open through the cluster security group's self rule.
    [port] = service["spec"]["ports"]
    assert {(p["name"], p["containerPort"]) for p in container["ports"]} >= {(port["targetPort"], 9443)}

    def builtin_kind(path: Path) -> bool:
        group = yaml.safe_load(path.read_text())["apiVersion"].split("/")[0]
        return "." not in group or group.endswith(".k8s.io")

    builtin = [str(path) for path in objects.values() if builtin_kind(path)]
    ours = [str(p) for p in (out / "manifests").glob("*.yaml") if p.name.startswith(("networkpolicy-", "service-"))]
    done = subprocess.run(
        [str(VALIDATE), "--strict", "-k", by_name(plan)["eks-cluster"]["inputs"]["version"], *builtin, *ours],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    print(f"rendered {len(release['objects'])} objects; {len(builtin) + len(ours)} pass kubernetes-validate --strict")

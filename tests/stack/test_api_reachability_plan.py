"""Each stack's Kubernetes API is reachable from where CI deploys it (issue 35, item 6).

Dev's public endpoint used to admit only 203.0.113.0/24, a documentation range nobody connects
from, while dev deployed from a runner outside it: the first ``pulumi up`` made the cluster and then
timed out on every Kubernetes object. Now both stacks keep the endpoint private, the deploy and
preview runners are self-hosted inside the VPC, and the cluster security group (which admits only
itself by default, EKS user guide "security group requirements") admits the runners' CIDRs on 443
before the Kubernetes provider is used.
"""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest

from components.cidrs import documentation_only
from components.plan.runner import Recording
from tests.conftest import platform_raw
from tests.unit.test_workflows import runner_choices, workflow

pytestmark = pytest.mark.stack


def deploy_runner_defaults(stack: str) -> list[Any]:
    """The default labels of every job of deploy.yml and drift.yml that reaches the stack's cluster."""
    found: list[Any] = []
    for name in ("deploy.yml", "drift.yml"):
        for job in workflow(name)["jobs"].values():
            for variables, default in runner_choices(job):
                if any(v.startswith(stack.upper() + "_") for v in variables):
                    found.append(default)
    return found


def test_the_api_admits_the_runners_that_deploy_it(stack_plan: tuple[Recording, dict[str, Any]]) -> None:
    _, plan = stack_plan
    stack = plan["stack"]
    cluster_config = platform_raw(stack)["cluster"]
    (cluster,) = [r for r in plan["resources"] if r["type"] == "aws:eks/cluster:Cluster"]
    vpc = cluster["inputs"]["vpcConfig"]
    for cidr in vpc.get("publicAccessCidrs") or []:
        assert not documentation_only(cidr), f"{stack}'s public endpoint admits only a documentation range"
    # The runners are in the VPC: self-hosted, never GitHub-hosted (which reach only a public endpoint).
    runners = deploy_runner_defaults(stack)
    assert runners and all(isinstance(r, list) and "self-hosted" in r for r in runners), runners
    assert vpc["endpointPrivateAccess"] is True and vpc["endpointPublicAccess"] is False
    # ... and the cluster security group lets them in on 443, before any Kubernetes object is sent.
    vpc_cidr = ipaddress.ip_network(platform_raw(stack)["network"]["cidr"])
    rules = {
        r["inputs"]["cidrIpv4"]: r
        for r in plan["resources"]
        if r["type"] == "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
        and r["name"].startswith("eks-api-from-")
    }
    assert set(rules) == set(cluster_config["apiAccessCidrs"]) != set()
    (provider,) = [
        r for r in plan["resources"] if r["type"] == "pulumi:providers:kubernetes" and r["name"] == "eks-k8s"
    ]
    for cidr, rule in rules.items():
        assert ipaddress.ip_network(cidr).subnet_of(vpc_cidr)  # pyright: ignore[reportArgumentType]
        assert (rule["inputs"]["ipProtocol"], rule["inputs"]["fromPort"], rule["inputs"]["toPort"]) == ("tcp", 443, 443)
        assert cluster["urn"] in rule["dependencies"]
        assert rule["urn"] in provider["dependencies"], "the provider waits for the rule"

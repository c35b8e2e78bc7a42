"""Network: subnet arithmetic (pure) and every child resource under mocks."""

from __future__ import annotations

import json

import pytest

from components.network import Network, NetworkArgs, subnet_cidrs
from tests.conftest import RunProgram, named, of_type

pytestmark = pytest.mark.component

BASE: NetworkArgs = {"cidr": "10.0.0.0/16", "az_count": 3, "cluster_name": "mlops-prod"}


@pytest.mark.parametrize(
    ("cidr", "azs", "public", "private"),
    [
        ("10.0.0.0/16", 2, ["10.0.224.0/22", "10.0.228.0/22"], ["10.0.0.0/19", "10.0.32.0/19"]),
        (
            "10.0.0.0/16",
            3,
            ["10.0.224.0/22", "10.0.228.0/22", "10.0.232.0/22"],
            ["10.0.0.0/19", "10.0.32.0/19", "10.0.64.0/19"],
        ),
        ("172.16.0.0/20", 2, ["172.16.14.0/26", "172.16.14.64/26"], ["172.16.0.0/23", "172.16.2.0/23"]),
    ],
)
def test_subnet_cidrs(cidr: str, azs: int, public: list[str], private: list[str]) -> None:
    assert subnet_cidrs(cidr, azs) == (public, private)


def test_every_child_of_a_prod_network(run: RunProgram) -> None:
    recording = run(lambda: Network("net", BASE))
    r = named(recording)
    component = r["net"].urn
    assert all(res.parent == component for name, res in r.items() if name != "net")
    assert r["net-vpc"].inputs == {
        "cidrBlock": "10.0.0.0/16",
        "enableDnsHostnames": True,
        "enableDnsSupport": True,
        "tags": {"Name": "net-vpc"},
    }
    for i, zone in enumerate(["us-east-1a", "us-east-1b", "us-east-1c"]):
        public, private = r[f"net-public-{i}"].inputs, r[f"net-private-{i}"].inputs
        assert (public["availabilityZone"], private["availabilityZone"]) == (zone, zone)
        assert public["mapPublicIpOnLaunch"] is False
        assert public["tags"]["kubernetes.io/role/elb"] == "1"
        assert private["tags"]["kubernetes.io/role/internal-elb"] == "1"
        assert private["tags"]["kubernetes.io/cluster/mlops-prod"] == "shared"
        nat = r[f"net-nat-{i}"]
        assert nat.inputs["subnetId"].startswith("subnet-")
        [route] = r[f"net-private-rt-{i}"].inputs["routes"]
        assert route["cidrBlock"] == "0.0.0.0/0"
        assert nat.urn in r[f"net-private-rt-{i}"].dependencies
    assert len(of_type(recording, "aws:ec2/natGateway:NatGateway")) == 3
    [igw_route] = r["net-public-rt"].inputs["routes"]
    assert igw_route["gatewayId"].startswith("igw-")

    assert r["net-s3-endpoint"].inputs["serviceName"] == "com.amazonaws.us-east-1.s3"
    assert r["net-s3-endpoint"].inputs["vpcEndpointType"] == "Gateway"
    assert len(r["net-s3-endpoint"].inputs["routeTableIds"]) == 3
    for service in ("ecr-api", "ecr-dkr", "sts"):
        endpoint = r[f"net-{service}-endpoint"].inputs
        assert endpoint["vpcEndpointType"] == "Interface" and endpoint["privateDnsEnabled"] is True
        assert len(endpoint["subnetIds"]) == 3
    [ingress] = r["net-endpoints-sg"].inputs["ingress"]
    assert (ingress["fromPort"], ingress["toPort"], ingress["cidrBlocks"]) == (443, 443, ["10.0.0.0/16"])

    flow_log = r["net-flow-log"].inputs
    assert (flow_log["trafficType"], flow_log["logDestinationType"]) == ("ALL", "cloud-watch-logs")
    assert r["net-flow-logs"].inputs["retentionInDays"] == 90
    policy = json.loads(r["net-flow-logs-role-policy"].inputs["policy"])
    assert policy["Statement"][0]["Resource"] == flow_log["logDestination"] + ":*"
    trust = json.loads(r["net-flow-logs-role"].inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}


def test_a_dev_network_is_small(run: RunProgram) -> None:
    args: NetworkArgs = {
        **BASE,
        "az_count": 2,
        "nat_gateways": "single",
        "vpc_endpoints": False,
        "flow_logs": False,
    }
    recording = run(lambda: Network("net", args))
    r = named(recording)
    [nat] = of_type(recording, "aws:ec2/natGateway:NatGateway")
    assert all(nat.urn in r[f"net-private-rt-{i}"].dependencies for i in range(2))
    assert of_type(recording, "aws:ec2/vpcEndpoint:VpcEndpoint") == []
    assert of_type(recording, "aws:ec2/flowLog:FlowLog") == []


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"cidr": "10.0.0.0/24"}, "cidr must be /20 or larger"),
        ({"cidr": "10.0.0.1/16"}, "cidr must be an IPv4 network"),
        ({"az_count": 1}, "az_count must be 2-6"),
        ({"az_count": 7}, "az_count must be 2-6"),
        ({"nat_gateways": "none"}, "nat_gateways must be single or perAz"),
    ],
)
def test_bad_arguments_declare_nothing(run: RunProgram, change: dict[str, object], fragment: str) -> None:
    def program() -> None:
        with pytest.raises(ValueError, match=fragment):
            Network("net", {**BASE, **change})  # type: ignore[typeddict-item]

    assert list(named(run(program))) == []

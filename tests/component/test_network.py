"""Network: subnet arithmetic (pure) and every child resource under mocks."""

from __future__ import annotations

import json

import pytest

from components.network import Network, NetworkArgs, subnet_cidrs, validate_network
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
    # By zone ID, skipping use1-az3 (EKS refuses control-plane subnets there); no zone by name.
    for i, zone in enumerate(["use1-az1", "use1-az2", "use1-az4"]):
        public, private = r[f"net-public-{i}"].inputs, r[f"net-private-{i}"].inputs
        assert (public["availabilityZoneId"], private["availabilityZoneId"]) == (zone, zone)
        assert "availabilityZone" not in public and "availabilityZone" not in private
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


def test_subnets_go_to_the_zone_ids_asked_for(run: RunProgram) -> None:
    args: NetworkArgs = {**BASE, "availability_zone_ids": ["use1-az6", "use1-az2", "use1-az5"]}
    r = named(run(lambda: Network("net", args)))
    zones = [
        (r[f"net-public-{i}"].inputs["availabilityZoneId"], r[f"net-private-{i}"].inputs["availabilityZoneId"])
        for i in range(3)
    ]
    assert zones == [("use1-az6", "use1-az6"), ("use1-az2", "use1-az2"), ("use1-az5", "use1-az5")]


def test_zone_ids_are_the_regions(run: RunProgram) -> None:
    r = named(run(lambda: Network("net", {**BASE, "az_count": 2}), config={"aws:region": "eu-west-1"}))
    assert [r[f"net-private-{i}"].inputs["availabilityZoneId"] for i in range(2)] == ["euw1-az1", "euw1-az2"]


def test_a_zone_the_region_does_not_offer_fails_the_program(run: RunProgram) -> None:
    args: NetworkArgs = {**BASE, "az_count": 2, "availability_zone_ids": ["euw1-az1", "euw1-az2"]}
    with pytest.raises(Exception, match=r"not offered in this region.*use1-az1"):
        run(lambda: Network("net", args))


def test_eks_refused_zone_ids_are_refused_before_any_resource() -> None:
    problems = validate_network({**BASE, "availability_zone_ids": ["use1-az1", "use1-az3", "use1-az4"]})
    assert problems == [
        "availability_zone_ids: 'use1-az3': EKS refuses control-plane subnets in this zone "
        "(UnsupportedAvailabilityZoneException)"
    ]

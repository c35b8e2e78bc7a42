"""Network: a VPC for an EKS cluster, public and private subnets over N availability zones.

Children (``<name>-<suffix>``): ``vpc``, ``igw``, ``public-<i>`` and ``private-<i>``
subnets, ``public-rt`` (+ ``public-rta-<i>``), ``nat-eip-<i>`` and ``nat-<i>`` (one, or one
per AZ), ``private-rt-<i>`` (+ ``private-rta-<i>``); with endpoints ``s3-endpoint``,
``endpoints-sg`` and ``ecr-api-endpoint``, ``ecr-dkr-endpoint``, ``sts-endpoint``; with
flow logs ``flow-logs`` (log group), ``flow-logs-role`` (+ ``-policy``) and ``flow-log``.
"""

import ipaddress
from typing import Literal, NotRequired, TypedDict, get_args

import pulumi
import pulumi_aws as aws

from components.errors import refuse, with_defaults
from components.iam import document
from components.kms import account_key
from components.zones import choose_zone_ids, zone_id_problems

NatLayout = Literal["single", "perAz"]
"""``perAz``: no zone is a single point of failure; ``single``: one shared NAT gateway, cheaper (dev)."""
NAT_LAYOUTS: tuple[NatLayout, ...] = get_args(NatLayout)
INTERFACE_ENDPOINTS = ("ecr.api", "ecr.dkr", "sts")
"""Image pulls and IRSA token exchange stay inside the VPC."""


class NetworkArgs(TypedDict):
    """Arguments of :class:`Network`."""

    cidr: str
    """VPC IPv4 CIDR block, /20 or larger (e.g. 10.0.0.0/16)."""
    az_count: int
    """Availability zones to span (2-6)."""
    cluster_name: str
    """EKS cluster that uses the subnets (subnet discovery tags)."""
    availability_zone_ids: NotRequired[list[str]]
    """Zone IDs to place the subnets in, ``az_count`` of them (e.g. ``use1-az1``): zone names map to
    different physical zones per account, IDs do not. Default: the first ``az_count`` zone IDs the
    region offers without opt-in, leaving out ``components.zones.EKS_UNSUPPORTED_ZONE_IDS``."""
    nat_gateways: NotRequired[str]
    """``perAz`` (no AZ is a single point of failure) or ``single`` (cheaper, dev)."""
    vpc_endpoints: NotRequired[bool]
    """S3 gateway and ECR/STS interface endpoints."""
    flow_logs: NotRequired[bool]
    """VPC flow logs to CloudWatch Logs."""
    flow_log_retention_days: NotRequired[int]
    """Retention of the flow log group, in days."""
    protect: NotRequired[bool]
    """Protect (and retain on delete) the KMS key of the flow logs."""


class _Defaults(TypedDict):
    nat_gateways: NatLayout
    vpc_endpoints: bool
    flow_logs: bool
    flow_log_retention_days: int
    protect: bool


DEFAULTS: _Defaults = {
    "nat_gateways": "perAz",
    "vpc_endpoints": True,
    "flow_logs": True,
    "flow_log_retention_days": 90,
    "protect": True,
}
"""What each optional argument of :class:`Network` is when it is not given (the stack config's
``network`` section takes its defaults from here)."""


def subnet_cidrs(cidr: str, az_count: int) -> tuple[list[str], list[str]]:
    """(public, private) subnet CIDRs: the VPC is cut into 8 blocks; each private subnet takes a
    block (room for VPC-CNI pod IPs), the public subnets share the last block."""
    network = ipaddress.IPv4Network(cidr, strict=True)
    blocks = list(network.subnets(prefixlen_diff=3))
    public = list(blocks[-1].subnets(prefixlen_diff=3))[:az_count]
    private = blocks[:az_count]
    return [str(n) for n in public], [str(n) for n in private]


def validate_network(args: NetworkArgs) -> list[str]:
    """Everything wrong with the arguments (empty when valid)."""
    problems: list[str] = []
    try:
        network = ipaddress.IPv4Network(args["cidr"], strict=True)
        if network.prefixlen > 20:
            problems.append(f"cidr must be /20 or larger (got {args['cidr']})")
    except ValueError as exc:
        problems.append(f"cidr must be an IPv4 network such as 10.0.0.0/16 ({exc})")
    if not 2 <= args["az_count"] <= 6:
        problems.append(f"az_count must be 2-6 (got {args['az_count']})")
    if "availability_zone_ids" in args:
        problems += [
            f"availability_zone_ids: {p}" for p in zone_id_problems(args["availability_zone_ids"], args["az_count"])
        ]
    if (layout := with_defaults(args, DEFAULTS)["nat_gateways"]) not in NAT_LAYOUTS:
        problems.append(f"nat_gateways must be single or perAz (got {layout!r})")
    return problems


def flow_log_trust_policy(account_id: str) -> str:
    """Only the VPC flow logs service, acting for this account, may assume the role."""
    return document(
        {
            "Effect": "Allow",
            "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
        }
    )


def flow_log_role_policy(log_group_arn: str) -> str:
    """Write access to the flow log group only."""
    return document(
        {
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
            "Resource": f"{log_group_arn}:*",
        }
    )


class Network(pulumi.ComponentResource):
    """VPC, subnets, NAT, endpoints and flow logs for one EKS cluster."""

    vpc_id: pulumi.Output[str]
    """VPC ID."""
    public_subnet_ids: list[pulumi.Output[str]]
    """Public subnets, one per AZ (internet-facing load balancers, NAT gateways)."""
    private_subnet_ids: list[pulumi.Output[str]]
    """Private subnets, one per AZ (nodes, pods, internal load balancers)."""
    nat_gateway_count: int
    """NAT gateways created (1 or one per AZ)."""

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        refuse("Network", name, validate_network(args))
        super().__init__("mlops:index:Network", name, None, opts)
        settings = with_defaults(args, DEFAULTS)
        child = pulumi.ResourceOptions(parent=self)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        cluster_tag = {f"kubernetes.io/cluster/{args['cluster_name']}": "shared"}
        public_cidrs, private_cidrs = subnet_cidrs(args["cidr"], args["az_count"])
        # Zones that need no opt-in (Local and Wavelength Zones do), as IDs: the same physical zone
        # in every account, so a refused or under-supplied zone is refused by ID, not by a name.
        offered = aws.get_availability_zones_output(
            state="available",
            filters=[aws.GetAvailabilityZonesFilterArgs(name="opt-in-status", values=["opt-in-not-required"])],
            opts=invoke,
        ).zone_ids
        requested = args.get("availability_zone_ids")
        zones = offered.apply(lambda ids: choose_zone_ids(ids, args["az_count"], requested))

        vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=args["cidr"],
            enable_dns_support=True,
            enable_dns_hostnames=True,
            tags={"Name": f"{name}-vpc"},
            opts=child,
        )
        igw = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=vpc.id, tags={"Name": f"{name}-igw"}, opts=child)
        public_rt = self._route_table(
            f"{name}-public-rt",
            vpc,
            f"{name}-public",
            aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", gateway_id=igw.id),
        )
        public: list[aws.ec2.Subnet] = []
        private: list[aws.ec2.Subnet] = []
        for i in range(args["az_count"]):
            zone = zones.apply(lambda names, i=i: names[i])
            subnet = aws.ec2.Subnet(
                f"{name}-public-{i}",
                vpc_id=vpc.id,
                cidr_block=public_cidrs[i],
                availability_zone_id=zone,
                map_public_ip_on_launch=False,
                tags={"Name": f"{name}-public-{i}", "kubernetes.io/role/elb": "1", **cluster_tag},
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-public-rta-{i}", subnet_id=subnet.id, route_table_id=public_rt.id, opts=child
            )
            public.append(subnet)
            private.append(
                aws.ec2.Subnet(
                    f"{name}-private-{i}",
                    vpc_id=vpc.id,
                    cidr_block=private_cidrs[i],
                    availability_zone_id=zone,
                    tags={
                        "Name": f"{name}-private-{i}",
                        "kubernetes.io/role/internal-elb": "1",
                        **cluster_tag,
                    },
                    opts=child,
                )
            )

        per_az = settings["nat_gateways"] == "perAz"
        nats: list[aws.ec2.NatGateway] = []
        for i in range(args["az_count"] if per_az else 1):
            eip = aws.ec2.Eip(f"{name}-nat-eip-{i}", domain="vpc", tags={"Name": f"{name}-nat-{i}"}, opts=child)
            nats.append(
                aws.ec2.NatGateway(
                    f"{name}-nat-{i}",
                    allocation_id=eip.id,
                    subnet_id=public[i].id,
                    tags={"Name": f"{name}-nat-{i}"},
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[igw]),
                )
            )
        private_rts: list[aws.ec2.RouteTable] = []
        for i, subnet in enumerate(private):
            nat = nats[i if per_az else 0]
            table = self._route_table(
                f"{name}-private-rt-{i}",
                vpc,
                f"{name}-private-{i}",
                aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", nat_gateway_id=nat.id),
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-private-rta-{i}", subnet_id=subnet.id, route_table_id=table.id, opts=child
            )
            private_rts.append(table)

        if settings["vpc_endpoints"]:
            self._endpoints(name, args["cidr"], vpc, private, private_rts)
        if settings["flow_logs"]:
            self._flow_logs(name, vpc, settings["flow_log_retention_days"], settings["protect"])

        self.vpc_id = vpc.id
        self.public_subnet_ids = [s.id for s in public]
        self.private_subnet_ids = [s.id for s in private]
        self.nat_gateway_count = len(nats)
        self.register_outputs(
            {
                "vpcId": self.vpc_id,
                "publicSubnetIds": self.public_subnet_ids,
                "privateSubnetIds": self.private_subnet_ids,
            }
        )

    def _route_table(
        self, resource_name: str, vpc: aws.ec2.Vpc, tag: str, default_route: aws.ec2.RouteTableRouteArgs
    ) -> aws.ec2.RouteTable:
        """A route table of the VPC whose one route sends everything else to ``default_route``'s
        gateway: the internet gateway for public subnets, a NAT gateway for private ones."""
        return aws.ec2.RouteTable(
            resource_name,
            vpc_id=vpc.id,
            routes=[default_route],
            tags={"Name": tag},
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _endpoints(
        self,
        name: str,
        cidr: str,
        vpc: aws.ec2.Vpc,
        subnets: list[aws.ec2.Subnet],
        route_tables: list[aws.ec2.RouteTable],
    ) -> None:
        child = pulumi.ResourceOptions(parent=self)
        region = aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=self)).region
        aws.ec2.VpcEndpoint(
            f"{name}-s3-endpoint",
            vpc_id=vpc.id,
            service_name=pulumi.Output.concat("com.amazonaws.", region, ".s3"),
            vpc_endpoint_type="Gateway",
            route_table_ids=[t.id for t in route_tables],
            opts=child,
        )
        group = aws.ec2.SecurityGroup(
            f"{name}-endpoints-sg",
            vpc_id=vpc.id,
            description="HTTPS from inside the VPC to interface endpoints",
            ingress=[
                aws.ec2.SecurityGroupIngressArgs(
                    protocol="tcp",
                    from_port=443,
                    to_port=443,
                    cidr_blocks=[cidr],
                    description="HTTPS from the VPC",
                )
            ],
            opts=child,
        )
        for service in INTERFACE_ENDPOINTS:
            aws.ec2.VpcEndpoint(
                f"{name}-{service.replace('.', '-')}-endpoint",
                vpc_id=vpc.id,
                service_name=pulumi.Output.concat("com.amazonaws.", region, f".{service}"),
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                subnet_ids=[s.id for s in subnets],
                security_group_ids=[group.id],
                opts=child,
            )

    def _flow_logs(self, name: str, vpc: aws.ec2.Vpc, retention_days: int, protect: bool) -> None:
        child = pulumi.ResourceOptions(parent=self)
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id
        key = account_key(
            f"{name}-flow-logs-key", f"VPC flow logs of {name}", parent=self, protect=protect, for_logs=True
        )
        group = aws.cloudwatch.LogGroup(
            f"{name}-flow-logs", retention_in_days=retention_days, kms_key_id=key.arn, opts=child
        )
        role = aws.iam.Role(
            f"{name}-flow-logs-role", assume_role_policy=account.apply(flow_log_trust_policy), opts=child
        )
        aws.iam.RolePolicy(
            f"{name}-flow-logs-role-policy",
            role=role.id,
            policy=group.arn.apply(flow_log_role_policy),
            opts=child,
        )
        aws.ec2.FlowLog(
            f"{name}-flow-log",
            vpc_id=vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=group.arn,
            iam_role_arn=role.arn,
            opts=child,
        )

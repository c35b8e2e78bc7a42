"""Network rules: no world-open ingress, internal load balancers, no public IPs on nodes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs

from components.cidrs import BROADEST_PUBLIC_PREFIX, too_broad
from components.naming import INTERNET_FACING_ANNOTATION
from components.policies.readiness import metadata_annotations
from components.values import as_mapping, items

WORLD = ("0.0.0.0/0", "::/0")
PUBLIC_PORTS = [80, 443]
"""Ports a load balancer's security group may open to the world."""
LOAD_BALANCER_TAG = "mlops-platform/load-balancer"
"""Tag (value "true") marking a security group as an internet-facing load balancer's."""
SCHEME_ANNOTATION = "service.beta.kubernetes.io/aws-load-balancer-scheme"
LEGACY_INTERNAL_ANNOTATION = "service.beta.kubernetes.io/aws-load-balancer-internal"
ALB_SCHEME_ANNOTATION = "alb.ingress.kubernetes.io/scheme"


def _port(value: Any, default: int) -> int:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return default


def world_ingress(
    rule: Mapping[str, Any], cidr_keys: tuple[str, ...], broadest_prefix: int = BROADEST_PUBLIC_PREFIX
) -> str | None:
    """``0.0.0.0/0 tcp 22-22`` when the ingress rule admits the world, else None: more public
    address space than one ``/broadest_prefix`` in total (:func:`components.cidrs.too_broad`),
    so ``0.0.0.0/1`` + ``128.0.0.0/1`` is the world as ``0.0.0.0/0`` is."""
    cidrs = [
        str(c)
        for key in cidr_keys
        for c in ([rule.get(key)] if isinstance(rule.get(key), str) else items(rule.get(key)))
    ]
    if too_broad(cidrs, broadest_prefix) is None:
        return None
    open_to = [c for c in cidrs if c in WORLD] or [", ".join(cidrs)]
    protocol = str(rule.get("protocol", rule.get("ipProtocol", "-1")))
    low, high = _port(rule.get("fromPort"), 0), _port(rule.get("toPort"), 65535)
    if protocol in ("-1", "all"):
        low, high = 0, 65535
    return f"{open_to[0]} {protocol} {low}-{high}"


def _only_public_ports(opening: str, ports: list[int]) -> bool:
    low, high = (int(p) for p in opening.rsplit(" ", 1)[1].split("-"))
    return low == high and low in ports


def validate_no_world_ingress(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Security groups admit nothing from the world (0.0.0.0/0, ::/0, or pieces of them adding up
    to more than a /16 of public addresses), except 80/443 on a load balancer's group (tagged
    ``mlops-platform/load-balancer: "true"``)."""
    props = args.props
    if args.resource_type == "aws:ec2/securityGroup:SecurityGroup":
        rules = [as_mapping(r) for r in items(props.get("ingress"))]
        keys: tuple[str, ...] = ("cidrBlocks", "ipv6CidrBlocks")
    elif args.resource_type == "aws:ec2/securityGroupRule:SecurityGroupRule" and props.get("type") == "ingress":
        rules, keys = [props], ("cidrBlocks", "ipv6CidrBlocks")
    elif args.resource_type == "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule":
        rules, keys = [props], ("cidrIpv4", "cidrIpv6")
    else:
        return
    ports = [int(p) for p in args.get_config().get("publicPorts", PUBLIC_PORTS)]
    broadest = int(args.get_config().get("broadestPublicPrefix", BROADEST_PUBLIC_PREFIX))
    load_balancer = str(as_mapping(props.get("tags")).get(LOAD_BALANCER_TAG, "")).lower() == "true"
    for rule in rules:
        opening = world_ingress(rule, keys, broadest)
        if opening and not (load_balancer and _only_public_ports(opening, ports)):
            report_violation(
                f"ingress open to the world ({opening}); allow the VPC, a security group or known CIDRs "
                f"(a load balancer's group may open {', '.join(map(str, ports))} with tag {LOAD_BALANCER_TAG}=true)",
                None,
            )


def internet_facing(resource_type: str, props: Mapping[str, Any]) -> bool:
    """Whether a Service, Ingress or AWS load balancer faces the internet."""
    given = metadata_annotations(props)
    if resource_type == "kubernetes:core/v1:Service":
        if as_mapping(props.get("spec")).get("type") != "LoadBalancer":
            return False
        legacy_internal = str(given.get(LEGACY_INTERNAL_ANNOTATION, "")).lower() in ("true", "0.0.0.0/0")
        return given.get(SCHEME_ANNOTATION) != "internal" and not legacy_internal
    if resource_type == "kubernetes:networking.k8s.io/v1:Ingress":
        return given.get(ALB_SCHEME_ANNOTATION) == "internet-facing"
    if resource_type in ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer"):
        return props.get("internal") is not True
    return False


def validate_internal_load_balancers(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Load balancers are internal unless explicitly allowed (annotation or tag
    ``mlops-platform/internet-facing: allowed``)."""
    if not internet_facing(args.resource_type, args.props):
        return
    allowed = metadata_annotations(args.props).get(INTERNET_FACING_ANNOTATION) == "allowed" or (
        as_mapping(args.props.get("tags")).get(INTERNET_FACING_ANNOTATION) == "allowed"
    )
    if not (allowed and args.get_config().get("allowMarkedInternetFacing", True)):
        report_violation(
            "internet-facing load balancer; make it internal (scheme internal, internal: true), or mark the "
            f"decision with {INTERNET_FACING_ANNOTATION}: allowed (the endpoint's allow_internet_facing does)",
            None,
        )


def validate_no_public_ips(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Instances get no public IP; subnets do not hand them out on launch."""
    if args.resource_type == "aws:ec2/instance:Instance" and args.props.get("associatePublicIpAddress") is True:
        report_violation("the instance gets a public IP; reach it through a load balancer, SSM or a VPN", None)
    if args.resource_type == "aws:ec2/subnet:Subnet" and args.props.get("mapPublicIpOnLaunch") is True:
        report_violation("the subnet gives every instance launched in it a public IP (mapPublicIpOnLaunch)", None)

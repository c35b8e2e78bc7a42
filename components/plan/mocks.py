"""Pulumi mocks that answer like AWS would: consistent IDs, ARNs, URLs and endpoints.

Every value is derived from the resource type and name with a hash, never from a clock or
a random source, so two plans of the same program are identical.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast

import pulumi
import yaml

from components.naming import aws_partition
from components.project import SECRET_PLACEHOLDER

ACCOUNT_ID = "123456789012"
"""The account every offline plan pretends to run in."""


def digest(*parts: str, length: int = 17) -> str:
    """A stable lowercase hex string derived from ``parts``."""
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:length]


@dataclass(frozen=True)
class _Ctx:
    type_: str
    name: str
    inputs: dict[str, Any]
    region: str
    account: str

    def physical(self, key: str, max_length: int = 63) -> str:
        """The input ``key`` if set, else an autoname like the provider's (``name-1a2b3c4``)."""
        given = self.inputs.get(key)
        if isinstance(given, str) and given:
            return given
        prefix = self.inputs.get(f"{key}Prefix")
        stem = prefix if isinstance(prefix, str) and prefix else f"{self.name}-"
        return (stem + digest(self.type_, self.name, length=7))[:max_length]

    def hex_id(self, prefix: str) -> str:
        return f"{prefix}-{digest(self.type_, self.name)}"

    def arn(self, service: str, resource: str, *, regional: bool = True) -> str:
        region = self.region if regional else ""
        return f"arn:aws:{service}:{region}:{self.account}:{resource}"


Outputs = dict[str, Any]
_Handler = Callable[[_Ctx], tuple[str, Outputs]]


def _bucket(c: _Ctx) -> tuple[str, Outputs]:
    bucket = c.physical("bucket")
    return bucket, {
        "bucket": bucket,
        "arn": f"arn:aws:s3:::{bucket}",
        "bucketDomainName": f"{bucket}.s3.amazonaws.com",
        "bucketRegionalDomainName": f"{bucket}.s3.{c.region}.amazonaws.com",
        "region": c.region,
        "hostedZoneId": "Z3AQBSTGFYJSTF",
    }


def _kms_key(c: _Ctx) -> tuple[str, Outputs]:
    h = digest(c.type_, c.name, length=32)
    key_id = f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"
    return key_id, {"keyId": key_id, "arn": c.arn("kms", f"key/{key_id}")}


def _kms_alias(c: _Ctx) -> tuple[str, Outputs]:
    alias = c.physical("name", 256)
    return alias, {"name": alias, "arn": c.arn("kms", alias)}


def _iam(kind: str) -> _Handler:
    def handler(c: _Ctx) -> tuple[str, Outputs]:
        name = c.physical("name", 64)
        path = c.inputs.get("path") or "/"
        return name, {
            "name": name,
            "arn": c.arn("iam", f"{kind}{path}{name}", regional=False),
            "uniqueId": "AROA" + digest(c.type_, c.name).upper(),
        }

    return handler


def _oidc_provider(c: _Ctx) -> tuple[str, Outputs]:
    host = str(c.inputs.get("url", "oidc.example")).removeprefix("https://")
    arn = c.arn("iam", f"oidc-provider/{host}", regional=False)
    return arn, {"arn": arn}


def _ecr_repository(c: _Ctx) -> tuple[str, Outputs]:
    name = c.physical("name", 256)
    return name, {
        "name": name,
        "arn": c.arn("ecr", f"repository/{name}"),
        "registryId": c.account,
        "repositoryUrl": f"{c.account}.dkr.ecr.{c.region}.amazonaws.com/{name}",
    }


def _eks_cluster(c: _Ctx) -> tuple[str, Outputs]:
    name = c.physical("name", 100)
    oidc = digest(c.type_, c.name, length=32).upper()
    cert = base64.b64encode(f"offline-plan-ca-for-{name}".encode()).decode()
    vpc_config = dict(c.inputs.get("vpcConfig") or {})
    vpc_config["clusterSecurityGroupId"] = f"sg-{digest('cluster-sg', c.name)}"
    vpc_config["vpcId"] = f"vpc-{digest('cluster-vpc', c.name)}"
    return name, {
        "name": name,
        "arn": c.arn("eks", f"cluster/{name}"),
        "endpoint": f"https://{oidc}.gr7.{c.region}.eks.amazonaws.com",
        "certificateAuthority": {"data": cert},
        "identities": [{"oidcs": [{"issuer": f"https://oidc.eks.{c.region}.amazonaws.com/id/{oidc}"}]}],
        "platformVersion": "eks.1",
        "status": "ACTIVE",
        "vpcConfig": vpc_config,
    }


def _eks_node_group(c: _Ctx) -> tuple[str, Outputs]:
    cluster = str(c.inputs.get("clusterName", "cluster"))
    name = c.physical("nodeGroupName", 63)
    asg = f"eks-{name}-{digest(c.type_, c.name, length=8)}"
    return f"{cluster}:{name}", {
        "nodeGroupName": name,
        "arn": c.arn("eks", f"nodegroup/{cluster}/{name}/{digest(c.name, length=8)}"),
        "resources": [{"autoscalingGroups": [{"name": asg}], "remoteAccessSecurityGroupId": ""}],
        "status": "ACTIVE",
    }


def _ec2(prefix: str, resource: str) -> _Handler:
    def handler(c: _Ctx) -> tuple[str, Outputs]:
        ident = c.hex_id(prefix)
        return ident, {"arn": c.arn("ec2", f"{resource}/{ident}"), "ownerId": c.account}

    return handler


def _eip(c: _Ctx) -> tuple[str, Outputs]:
    ident = c.hex_id("eipalloc")
    octets = bytes.fromhex(digest(c.type_, c.name, length=4))
    return ident, {"allocationId": ident, "publicIp": f"198.51.{octets[0]}.{octets[1]}"}


def _launch_template(c: _Ctx) -> tuple[str, Outputs]:
    ident = c.hex_id("lt")
    return ident, {
        "arn": c.arn("ec2", f"launch-template/{ident}"),
        "latestVersion": 1,
        "defaultVersion": 1,
    }


def _named_arn(service: str, resource: str, key: str = "name", sep: str = "/") -> _Handler:
    def handler(c: _Ctx) -> tuple[str, Outputs]:
        name = c.physical(key, 256)
        return name, {
            key: name,
            "arn": c.arn(service, f"{resource}{sep}{name}" if resource else name),
        }

    return handler


def _sns_topic(c: _Ctx) -> tuple[str, Outputs]:
    name = c.physical("name", 256)
    arn = c.arn("sns", name)
    return arn, {"name": name, "arn": arn}


def _sqs_queue(c: _Ctx) -> tuple[str, Outputs]:
    """An SQS queue: its ID is its URL, as the provider's is."""
    name = c.physical("name", 80)
    url = f"https://sqs.{c.region}.amazonaws.com/{c.account}/{name}"
    return url, {"name": name, "arn": c.arn("sqs", name), "url": url}


def _docker_image(c: _Ctx) -> tuple[str, Outputs]:
    image = str(c.inputs.get("imageName", c.name))
    repo = image.rsplit(":", 1)[0] if ":" in image.rsplit("/", 1)[-1] else image
    sha = digest(c.type_, c.name, image, length=64)
    return f"{image}-{sha[:12]}", {"repoDigest": f"{repo}@sha256:{sha}", "imageName": image}


def _rds_instance(c: _Ctx) -> tuple[str, Outputs]:
    identifier = c.physical("identifier")
    address = f"{identifier}.c{digest('rds', c.name, length=11)}.{c.region}.rds.amazonaws.com"
    secret = {
        "secretArn": c.arn(
            "secretsmanager", f"secret:rds!db-{digest('rds-secret', c.name, length=32)}-{digest(c.name, length=6)}"
        ),
        "kmsKeyId": c.inputs.get("masterUserSecretKmsKeyId", ""),
        "secretStatus": "active",
    }
    return identifier, {
        "identifier": identifier,
        "arn": c.arn("rds", f"db:{identifier}"),
        "address": address,
        "endpoint": f"{address}:5432",
        "port": 5432,
        "masterUserSecrets": [secret] if c.inputs.get("manageMasterUserPassword") else [],
    }


def _random_password(c: _Ctx) -> tuple[str, Outputs]:
    length = int(c.inputs.get("length", 32))
    secret = (digest("password", c.name, length=64) * 2)[:length]
    return "none", {"result": secret, "bcryptHash": "$2a$10$" + digest("bcrypt", c.name, length=53)}


def _kubernetes(c: _Ctx) -> tuple[str, Outputs]:
    given = c.inputs.get("metadata")
    metadata: dict[str, Any] = dict(cast(dict[str, Any], given)) if isinstance(given, dict) else {}
    name = metadata.get("name") or c.name
    namespace = metadata.get("namespace")
    ident = f"{namespace}/{name}" if namespace else str(name)
    return ident, ({"metadata": {**metadata, "name": name}} if "kind" in c.inputs else {})


_HANDLERS: dict[str, _Handler] = {
    "aws:s3/bucket:Bucket": _bucket,
    "aws:kms/key:Key": _kms_key,
    "aws:kms/alias:Alias": _kms_alias,
    "aws:iam/role:Role": _iam("role"),
    "aws:iam/policy:Policy": _iam("policy"),
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": _oidc_provider,
    "aws:ecr/repository:Repository": _ecr_repository,
    "aws:eks/cluster:Cluster": _eks_cluster,
    "aws:eks/nodeGroup:NodeGroup": _eks_node_group,
    "aws:ec2/vpc:Vpc": _ec2("vpc", "vpc"),
    "aws:ec2/subnet:Subnet": _ec2("subnet", "subnet"),
    "aws:ec2/internetGateway:InternetGateway": _ec2("igw", "internet-gateway"),
    "aws:ec2/natGateway:NatGateway": _ec2("nat", "natgateway"),
    "aws:ec2/routeTable:RouteTable": _ec2("rtb", "route-table"),
    "aws:ec2/securityGroup:SecurityGroup": _ec2("sg", "security-group"),
    "aws:ec2/vpcEndpoint:VpcEndpoint": _ec2("vpce", "vpc-endpoint"),
    "aws:ec2/flowLog:FlowLog": _ec2("fl", "vpc-flow-log"),
    "aws:ec2/eip:Eip": _eip,
    "aws:ec2/launchTemplate:LaunchTemplate": _launch_template,
    "aws:cloudwatch/logGroup:LogGroup": _named_arn("logs", "log-group", sep=":"),
    "aws:cloudwatch/metricAlarm:MetricAlarm": _named_arn("cloudwatch", "alarm", sep=":"),
    "aws:sns/topic:Topic": _sns_topic,
    "aws:sqs/queue:Queue": _sqs_queue,
    "aws:cloudwatch/eventRule:EventRule": _named_arn("events", "rule"),
    "aws:eks/addon:Addon": _named_arn("eks", "addon", key="addonName"),
    "docker:index/image:Image": _docker_image,
    "random:index/randomPassword:RandomPassword": _random_password,
    "aws:rds/instance:Instance": _rds_instance,
    "aws:rds/subnetGroup:SubnetGroup": _named_arn("rds", "subgrp", sep=":"),
    "aws:rds/parameterGroup:ParameterGroup": _named_arn("rds", "pg", sep=":"),
}


class _KubernetesYamlLoader(yaml.SafeLoader):
    """YAML as the Kubernetes provider decodes it (sigs.k8s.io/yaml into JSON values): a date,
    ``1:20`` or ``=`` stays a string where PyYAML's YAML 1.1 would make a date, 80 or a value."""


_Construct = Callable[[Any, Any], Any]
"""A PyYAML constructor: (loader, node) -> value (PyYAML is untyped)."""


def _string_scalar(loader: Any, node: Any) -> Any:
    return loader.construct_scalar(node)


def _sexagesimal_as_string(number: _Construct) -> _Construct:
    def construct(loader: Any, node: Any) -> Any:
        return _string_scalar(loader, node) if ":" in str(node.value) else number(loader, node)

    return construct


for _tag in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:value"):
    _KubernetesYamlLoader.add_constructor(_tag, _string_scalar)
for _tag, _number in (
    ("tag:yaml.org,2002:int", yaml.SafeLoader.construct_yaml_int),
    ("tag:yaml.org,2002:float", yaml.SafeLoader.construct_yaml_float),
):
    _KubernetesYamlLoader.add_constructor(_tag, _sexagesimal_as_string(_number))


def _json_keys(value: Any) -> Any:
    """Mapping keys as JSON has them: strings (``1: x`` is ``"1": x``, as the provider gives it)."""
    if isinstance(value, dict):
        mapping = cast(dict[Any, Any], value)
        return {str(k).lower() if isinstance(k, bool) else str(k): _json_keys(v) for k, v in mapping.items()}
    if isinstance(value, list):
        return [_json_keys(v) for v in cast(list[Any], value)]
    return value


def decode_kubernetes_yaml(text: str) -> list[Any]:
    """``kubernetes:yaml:decode``: the objects of a multi-document YAML text, empty ones left out."""
    return [_json_keys(doc) for doc in yaml.load_all(text, Loader=_KubernetesYamlLoader) if doc is not None]


_ZONE_ID_WORDS = {
    "north": "n",
    "south": "s",
    "east": "e",
    "west": "w",
    "central": "c",
    "northeast": "ne",
    "southeast": "se",
    "northwest": "nw",
    "southwest": "sw",
    "gov": "g",
}


def zone_id_prefix(region: str) -> str:
    """The prefix of a region's zone IDs as AWS forms them (``us-east-1`` -> ``use1``,
    ``ap-southeast-2`` -> ``apse2``, ``us-gov-west-1`` -> ``usgw1``), so a plan's zones look like the
    region's; the real IDs come from DescribeAvailabilityZones at ``pulumi up``."""
    country, *words, number = region.split("-")
    return country + "".join(_ZONE_ID_WORDS.get(word, word[:1]) for word in words) + number


def _invoke_results(token: str, args: dict[str, Any], region: str, account: str) -> dict[str, Any]:
    if token == "kubernetes:yaml:decode":  # yaml.ConfigFile and ConfigGroup build their objects from it
        return {"result": decode_kubernetes_yaml(str(args.get("text", "")))}
    if token == "aws:index/getCallerIdentity:getCallerIdentity":
        return {
            "accountId": account,
            "arn": f"arn:aws:iam::{account}:user/offline-plan",
            "userId": "AIDAOFFLINEPLAN",
            "id": account,
        }
    if token == "aws:index/getRegion:getRegion":
        return {
            "name": region,
            "region": region,
            "id": region,
            "endpoint": f"ec2.{region}.amazonaws.com",
        }
    if token == "aws:index/getPartition:getPartition":
        partition = aws_partition(region)
        suffix = "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com"
        return {"partition": partition, "dnsSuffix": suffix, "id": partition}
    if token == "aws:index/getAvailabilityZones:getAvailabilityZones":
        letters = "abcdef"
        return {
            "names": [f"{region}{x}" for x in letters],
            "zoneIds": [f"{zone_id_prefix(region)}-az{i + 1}" for i in range(len(letters))],
            "id": region,
        }
    if token == "aws:ecr/getAuthorizationToken:getAuthorizationToken":
        return {
            "userName": "AWS",
            "password": digest("ecr-token", length=64),
            "proxyEndpoint": f"https://{account}.dkr.ecr.{region}.amazonaws.com",
            "authorizationToken": base64.b64encode(b"AWS:offline").decode(),
            "id": region,
        }
    if token == "aws:ssm/getParameter:getParameter":
        name = str(args.get("name", ""))
        return {"name": name, "value": f"ami-{digest('ssm', name)}", "type": "String", "id": name}
    return {}


STACK_REFERENCE = "pulumi:pulumi:StackReference"
ANY_STACK = "*"
"""Key of :class:`RecordingMocks` ``stack_outputs`` answering a StackReference to any stack."""


class UnknownStackError(Exception):
    """A program reads a stack whose outputs the plan was not given."""


def stack_reference_state(stack: str, stack_outputs: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """What the engine returns for a StackReference: the stack's outputs and which are secret."""
    outputs = stack_outputs.get(stack, stack_outputs.get(ANY_STACK))
    if outputs is None:
        given = ", ".join(sorted(stack_outputs)) or "none"
        raise UnknownStackError(
            f"the program reads stack {stack!r} (a StackReference), whose outputs this plan was not given "
            f"(given: {given}); pass --stack-outputs {stack}=PATH, PATH a plan.json of that stack"
        )
    return {
        "name": stack,
        "outputs": dict(outputs),
        "secretOutputNames": sorted(k for k, v in outputs.items() if v == SECRET_PLACEHOLDER),
    }


class RecordingMocks(pulumi.runtime.Mocks):
    """Mocks whose outputs look like the real cloud's, consistent for each resource type.

    ``stack_outputs`` answers StackReferences: stack name (or :data:`ANY_STACK`) -> its outputs.
    With ``preview``, a resource is answered as the first ``pulumi preview`` of an empty stack
    sees it: its inputs and nothing the cloud computes (no ID, ARN, endpoint or generated value),
    so everything derived from those is unknown. Reads (StackReferences) still answer: the engine
    reads them during a preview too.
    """

    def __init__(
        self,
        region: str = "us-east-1",
        account: str = ACCOUNT_ID,
        stack_outputs: Mapping[str, Mapping[str, Any]] | None = None,
        preview: bool = False,
    ) -> None:
        self.region = region
        self.account = account
        self.stack_outputs = dict(stack_outputs or {})
        self.preview = preview

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        inputs = cast(dict[str, Any], args.inputs)  # pyright: ignore[reportUnknownMemberType]
        ident, outputs = self.computed(args.typ, args.name, inputs)
        return ident, outputs if args.typ == STACK_REFERENCE else {**inputs, **outputs}

    def computed(self, type_: str, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """A new resource's ID and the outputs the cloud adds to its inputs (a StackReference's:
        its whole state)."""
        if type_ == STACK_REFERENCE:
            stack = str(inputs.get("name") or name)
            return stack, stack_reference_state(stack, self.stack_outputs)
        if self.preview:
            return "", {}
        ctx = _Ctx(type_, name, inputs, self.region, self.account)
        handler = _HANDLERS.get(type_)
        if handler is not None:
            return handler(ctx)
        if type_.startswith("kubernetes:"):
            return _kubernetes(ctx)
        return f"{name}-{digest(type_, name, length=8)}", {}

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        call_args = cast(dict[str, Any], args.args)  # pyright: ignore[reportUnknownMemberType]
        return _invoke_results(args.token, call_args, self.region, self.account), []

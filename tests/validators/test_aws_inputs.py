"""Every literal input the plans give an AWS resource, held against the two texts AWS and the
provider publish for it, never against our reading of them:

(a) the installed pulumi_aws SDK's docstring of that input (the provider schema's own text):
    "Valid values are `a`, `b`", "Valid values: `A`, `B`", "must be between 7 and 30";
(b) botocore's model of the *request* of the operation that creates the resource
    (:data:`OPERATIONS`): the member's enum, pattern, min/max, and the "Valid Values: a | b" of its
    documentation. A response shape's enum is another list (LifecycleSupportName held
    "open-source-rds-standard-support", which CreateDBInstance refuses).

The plans are dev, prod, the examples and the team programs under tests/programs (the
deliberately insecure program is left out: it exists to be refused). The coverage line
(inputs checked / inputs set) is printed on the terminal in every run.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore.model import ListShape, MapShape, Shape, StructureShape

from tests.conftest import ROOT, _stack_plan  # pyright: ignore[reportPrivateUsage]
from tests.stack.test_plan_command import MLOPS

pytestmark = pytest.mark.validators

OPERATIONS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "aws:autoscaling/tag:Tag": ("autoscaling", "CreateOrUpdateTags", ()),
    "aws:budgets/budget:Budget": ("budgets", "CreateBudget", ("Budget",)),
    "aws:cloudwatch/eventRule:EventRule": ("events", "PutRule", ()),
    "aws:cloudwatch/eventTarget:EventTarget": ("events", "PutTargets", ()),
    "aws:cloudwatch/logGroup:LogGroup": ("logs", "CreateLogGroup", ()),
    "aws:cloudwatch/metricAlarm:MetricAlarm": ("cloudwatch", "PutMetricAlarm", ()),
    "aws:ec2/eip:Eip": ("ec2", "AllocateAddress", ()),
    "aws:ec2/flowLog:FlowLog": ("ec2", "CreateFlowLogs", ()),
    "aws:ec2/launchTemplate:LaunchTemplate": ("ec2", "CreateLaunchTemplate", ("LaunchTemplateData",)),
    "aws:ec2/natGateway:NatGateway": ("ec2", "CreateNatGateway", ()),
    "aws:ec2/securityGroup:SecurityGroup": ("ec2", "CreateSecurityGroup", ()),
    "aws:ec2/subnet:Subnet": ("ec2", "CreateSubnet", ()),
    "aws:ec2/vpc:Vpc": ("ec2", "CreateVpc", ()),
    "aws:ec2/vpcEndpoint:VpcEndpoint": ("ec2", "CreateVpcEndpoint", ()),
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": ("ecr", "PutLifecyclePolicy", ()),
    "aws:ecr/repository:Repository": ("ecr", "CreateRepository", ()),
    "aws:eks/accessEntry:AccessEntry": ("eks", "CreateAccessEntry", ()),
    "aws:eks/accessPolicyAssociation:AccessPolicyAssociation": ("eks", "AssociateAccessPolicy", ()),
    "aws:eks/addon:Addon": ("eks", "CreateAddon", ()),
    "aws:eks/cluster:Cluster": ("eks", "CreateCluster", ()),
    "aws:eks/nodeGroup:NodeGroup": ("eks", "CreateNodegroup", ()),
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": ("iam", "CreateOpenIDConnectProvider", ()),
    "aws:iam/policy:Policy": ("iam", "CreatePolicy", ()),
    "aws:iam/role:Role": ("iam", "CreateRole", ()),
    "aws:iam/rolePolicy:RolePolicy": ("iam", "PutRolePolicy", ()),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": ("iam", "AttachRolePolicy", ()),
    "aws:kms/key:Key": ("kms", "CreateKey", ()),
    "aws:rds/instance:Instance": ("rds", "CreateDBInstance", ()),
    "aws:rds/parameterGroup:ParameterGroup": ("rds", "CreateDBParameterGroup", ()),
    "aws:rds/subnetGroup:SubnetGroup": ("rds", "CreateDBSubnetGroup", ()),
    "aws:s3/bucket:Bucket": ("s3", "CreateBucket", ()),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": (
        "s3",
        "PutBucketLifecycleConfiguration",
        ("LifecycleConfiguration",),
    ),
    "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration": (
        "s3",
        "PutObjectLockConfiguration",
        ("ObjectLockConfiguration",),
    ),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": ("s3", "PutBucketOwnershipControls", ()),
    "aws:s3/bucketPolicy:BucketPolicy": ("s3", "PutBucketPolicy", ()),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": (
        "s3",
        "PutPublicAccessBlock",
        ("PublicAccessBlockConfiguration",),
    ),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": (
        "s3",
        "PutBucketEncryption",
        ("ServerSideEncryptionConfiguration",),
    ),
    "aws:s3/bucketVersioning:BucketVersioning": ("s3", "PutBucketVersioning", ()),
    "aws:sns/topic:Topic": ("sns", "CreateTopic", ()),
    "aws:sns/topicPolicy:TopicPolicy": ("sns", "SetTopicAttributes", ()),
    "aws:sns/topicSubscription:TopicSubscription": ("sns", "Subscribe", ()),
    "aws:sqs/queue:Queue": ("sqs", "CreateQueue", ()),
    "aws:sqs/queuePolicy:QueuePolicy": ("sqs", "SetQueueAttributes", ()),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": (
        "ec2",
        "AuthorizeSecurityGroupIngress",
        (),
    ),
}
"""Resource type -> (botocore service, the operation that creates or sets it, the path inside its
request under which the resource's own inputs sit). Inputs are matched to request members by
name without case and underscores, then by :data:`RENAMED`."""

RENAMED: dict[str, dict[str, str]] = {
    "aws:rds/instance:Instance": {
        "identifierprefix": "DBInstanceIdentifier",
        "username": "MasterUsername",
        "parametergroupname": "DBParameterGroupName",
        "performanceinsightsenabled": "EnablePerformanceInsights",
        "performanceinsightskmskeyid": "PerformanceInsightsKMSKeyId",
        "enabledcloudwatchlogsexports": "EnableCloudwatchLogsExports",
        "instanceclass": "DBInstanceClass",
    },
    "aws:eks/nodeGroup:NodeGroup": {"nodegroupnameprefix": "nodegroupName", "nodegroupname": "nodegroupName"},
    "aws:eks/cluster:Cluster": {"vpcconfig": "resourcesVpcConfig"},
    "aws:kms/key:Key": {"enablekeyrotation": "", "deletionwindowindays": ""},
    "aws:ecr/repository:Repository": {"name": "repositoryName"},
    "aws:iam/role:Role": {"name": "RoleName", "nameprefix": "RoleName", "assumerolepolicy": "AssumeRolePolicyDocument"},
    "aws:iam/policy:Policy": {"name": "PolicyName", "policy": "PolicyDocument"},
    "aws:iam/rolePolicy:RolePolicy": {"name": "PolicyName", "role": "RoleName", "policy": "PolicyDocument"},
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": {"role": "RoleName"},
    "aws:rds/parameterGroup:ParameterGroup": {"family": "DBParameterGroupFamily", "name": "DBParameterGroupName"},
    "aws:rds/subnetGroup:SubnetGroup": {"name": "DBSubnetGroupName"},
    "aws:cloudwatch/logGroup:LogGroup": {"name": "logGroupName"},
    "aws:cloudwatch/metricAlarm:MetricAlarm": {"name": "AlarmName"},
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": {"repository": "repositoryName", "policy": "lifecyclePolicyText"},
    "aws:ec2/launchTemplate:LaunchTemplate": {"vpcsecuritygroupids": "SecurityGroupIds"},
}
"""Where the provider's input name is not the request member's, lowered without underscores; an
empty target marks a provider input that the create operation has no member for."""


@dataclass(frozen=True)
class Finding:
    """One literal input and the text it was held against."""

    program: str
    urn: str
    path: str
    value: Any
    source: str
    problem: str | None


# --- the plans ---------------------------------------------------------------------------------

PROGRAMS = ("examples/gpu-platform", "examples/tiny-program", "tests/programs/gpu-team", "tests/programs/team-folders")


def _plan(program: str, out: Path, *extra: str) -> dict[str, Any]:
    result = subprocess.run(
        [str(MLOPS), "plan", "--stack", "dev", "--program", program, "--out", str(out), *extra],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, (program, result.stderr)
    return json.loads((out / "plan.json").read_text())


@pytest.fixture(scope="module")
def plans(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    out = tmp_path_factory.mktemp("plans")
    found = {stack: json.loads(_stack_plan(stack)[1]) for stack in ("dev", "prod")}
    for program in PROGRAMS:
        found[program] = _plan(program, out / program.replace("/", "_"))
    platform = out / "examples_gpu-platform" / "plan.json"
    found["examples/app-team"] = _plan("examples/app-team", out / "app", "--stack-outputs", str(platform))
    return found


# --- (a) the provider's own text -----------------------------------------------------------------

_ARGS_REF = re.compile(r"ForwardRef\('(\w+Args)'\)")
_VALID = re.compile(
    r"[Vv]alid values(?: are| include)?:?\s+((?:`[^`]+`(?:,\s*|\s+or\s+|\s+and\s+|,\s*or\s+|,\s*and\s+)?)+)"
)
_MULTIPLE = re.compile(r"\s*(?:or\s+)?any multiple of `(\d+)`")
_ALSO_VALID = re.compile(r"((?:`[^`]+`[,\s]*(?:and\s+)?)+)are also valid")
_BETWEEN = re.compile(r"must be between `?(-?\d+)`? and `?(-?\d+)`?(,? inclusive)?(?! characters)(?!\s+length)")


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@cache
def args_class(type_token: str) -> Any:
    """The SDK's ``<Resource>Args`` of a type token (``aws:rds/instance:Instance``)."""
    module, resource = type_token.split(":")[1].split("/", maxsplit=1)[0], type_token.split(":")[2]
    return getattr(importlib.import_module(f"pulumi_aws.{module}"), f"{resource}Args")


def provider_doc(cls: Any, key: str) -> tuple[str, Any]:
    """The docstring of input ``key`` on ``cls`` and the Args class of its nested block, if any."""
    prop = getattr(cls, snake(key), None)
    if not isinstance(prop, property) or prop.fget is None:
        return "", None
    nested = _ARGS_REF.search(str(prop.fget.__annotations__.get("return", "")))
    module = importlib.import_module(cls.__module__.rsplit(".", 1)[0])
    return " ".join((prop.fget.__doc__ or "").split()), getattr(module, nested.group(1), None) if nested else None


def provider_rules(doc: str) -> list[tuple[str, Any]]:
    """The closed sets and ranges a docstring states, as ("values", [...]) / ("range", (lo, hi))."""
    rules: list[tuple[str, Any]] = []
    also = [v for group in _ALSO_VALID.findall(doc) for v in re.findall(r"`([^`]+)`", group)]
    for match in _VALID.finditer(doc):
        values = re.findall(r"`([^`]+)`", match.group(1)) + also
        multiple = _MULTIPLE.match(doc, match.end())
        rules.append(("values", (values, int(multiple.group(1)) if multiple else None)))
    for match in _BETWEEN.finditer(doc):
        rules.append(("range", (int(match.group(1)), int(match.group(2)))))
    return rules


def provider_problem(rule: tuple[str, Any], value: Any) -> str | None:
    kind, detail = rule
    if kind == "values":
        values, multiple_of = detail
        text = str(value).lower() if isinstance(value, bool) else str(value)
        if text in values or (multiple_of and isinstance(value, int | float) and value % multiple_of == 0):
            return None
        return f"not one of {values}" + (f" nor a multiple of {multiple_of}" if multiple_of else "")
    low, high = detail
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return None if low <= value <= high else f"outside {low}..{high}"


# --- (b) botocore's request shape ----------------------------------------------------------------


def _squash(name: str) -> str:
    return name.replace("_", "").lower()


def request_shape(type_token: str) -> StructureShape | None:
    if type_token not in OPERATIONS:
        return None
    service, operation, root = OPERATIONS[type_token]
    shape: Shape = botocore.session.get_session().get_service_model(service).operation_model(operation).input_shape
    for step in root:
        assert isinstance(shape, StructureShape)
        shape = shape.members[step]
    assert isinstance(shape, StructureShape)
    return shape


def member(shape: StructureShape, key: str, renamed: dict[str, str]) -> Shape | None:
    target = renamed.get(_squash(key))
    if target == "":
        return None
    by_name = {_squash(name): shape.members[name] for name in shape.members}
    return by_name.get(_squash(target or key))


def documented_values(shape: Shape) -> list[str]:
    text = re.sub(r"<[^>]+>", " ", getattr(shape, "documentation", "") or "")
    found = re.search(r"Valid Values:\s*(.+?)(?:Default:|$)", " ".join(text.split()))
    if not found or "|" not in found.group(1):
        return []
    return [v.strip() for v in found.group(1).split("|") if v.strip()]


def request_problems(shape: Shape, value: Any) -> list[str | None]:
    """One entry per constraint the request member states (None: it holds)."""
    problems: list[str | None] = []
    enum = getattr(shape, "enum", None) or documented_values(shape)
    if enum and isinstance(value, str):
        problems.append(None if value in enum else f"not one of {sorted(enum)}")
    meta = shape.metadata
    if shape.type_name == "string" and isinstance(value, str):
        if "min" in meta or "max" in meta:
            ok = meta.get("min", 0) <= len(value) <= meta.get("max", len(value))
            problems.append(None if ok else f"length {len(value)} outside {meta.get('min', 0)}..{meta.get('max')}")
        pattern = meta.get("pattern")
        if pattern:
            # A Java-only construct (\p{...}) is left unjudged: Python's re cannot read it.
            with contextlib.suppress(re.error):
                problems.append(None if re.fullmatch(pattern, value, re.S) else f"does not match {pattern}")
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if shape.type_name in ("integer", "long") and number and ("min" in meta or "max" in meta):
        ok = meta.get("min", value) <= value <= meta.get("max", value)
        problems.append(None if ok else f"outside {meta.get('min')}..{meta.get('max')}")
    return problems


# --- the walk ------------------------------------------------------------------------------------


def check_resource(program: str, resource: dict[str, Any]) -> Iterator[Finding]:
    """A Finding per (literal input, constraint); a literal with none yields one with no source."""
    type_token: str = resource["type"]
    renamed = RENAMED.get(type_token, {})
    yield from _walk(program, resource["urn"], "", resource["inputs"], args_class(type_token),
                     request_shape(type_token), renamed)  # fmt: skip


def _walk(
    program: str, urn: str, path: str, value: Any, cls: Any, shape: Shape | None, renamed: dict[str, str]
) -> Iterator[Finding]:
    if isinstance(value, dict):
        for raw_key, item in value.items():
            key = str(raw_key)
            doc, nested = provider_doc(cls, key) if cls is not None else ("", None)
            child: Shape | None = None
            if isinstance(shape, StructureShape):
                child = member(shape, key, renamed if not path else {})
            elif isinstance(shape, MapShape):
                child = shape.value
            sub = f"{path}.{key}" if path else key
            item_rules = provider_rules(doc) if doc and not isinstance(item, dict | list) else []
            yield from _leaf_or_walk(program, urn, sub, item, nested, child, item_rules)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            inner = shape.member if isinstance(shape, ListShape) else shape
            yield from _walk(program, urn, f"{path}[{index}]", item, cls, inner, {})


def _leaf_or_walk(
    program: str, urn: str, path: str, value: Any, cls: Any, shape: Shape | None, rules: list[tuple[str, Any]]
) -> Iterator[Finding]:
    if isinstance(value, list) and all(not isinstance(v, dict | list) for v in value):
        inner = shape.member if isinstance(shape, ListShape) else None
        for index, item in enumerate(value):
            yield from _leaf_or_walk(program, urn, f"{path}[{index}]", item, None, inner, rules)
        return
    if isinstance(value, dict | list):
        yield from _walk(program, urn, path, value, cls, shape, {})
        return
    found = False
    for rule in rules:
        found = True
        yield Finding(program, urn, path, value, "provider", provider_problem(rule, value))
    for problem in request_problems(shape, value) if shape is not None else []:
        found = True
        yield Finding(program, urn, path, value, "botocore", problem)
    if not found:
        yield Finding(program, urn, path, value, "", None)


def findings(plans: dict[str, dict[str, Any]]) -> list[Finding]:
    return [
        finding
        for program, plan in plans.items()
        for resource in plan["resources"]
        if resource["type"].startswith("aws:")
        and resource["custom"]
        and resource["type"] != "aws:index/provider:Provider"
        for finding in check_resource(program, resource)
    ]


# --- the tests -----------------------------------------------------------------------------------


def test_every_literal_aws_input_passes_the_provider_docs_and_the_request_shape(
    plans: dict[str, dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    every = findings(plans)
    wrong = sorted({f"{f.program} {f.urn} {f.path}={f.value!r}: {f.source}: {f.problem}" for f in every if f.problem})
    inputs = {(f.program, f.urn, f.path) for f in every}
    checked = {(f.program, f.urn, f.path) for f in every if f.source}
    by_source = {s: len({(f.program, f.urn, f.path) for f in every if f.source == s}) for s in ("provider", "botocore")}
    with capsys.disabled():
        print(
            f"\nAWS inputs checked: {len(checked)} of {len(inputs)} set, in {len(plans)} plans "
            f"(provider docs: {by_source['provider']}, botocore request shapes: {by_source['botocore']})"
        )
    assert wrong == []
    assert len(checked) * 4 >= len(inputs), "fewer than a quarter of the inputs met any rule: the walk lost its way"


def test_the_mapping_names_real_operations_and_covers_every_aws_type_the_plans_declare(
    plans: dict[str, dict[str, Any]],
) -> None:
    for type_token in OPERATIONS:
        assert request_shape(type_token) is not None and args_class(type_token) is not None
    declared = {
        r["type"]
        for plan in plans.values()
        for r in plan["resources"]
        if r["type"].startswith("aws:") and r["custom"] and r["type"] != "aws:index/provider:Provider"
    }
    unmapped = {"aws:ec2/internetGateway:InternetGateway", "aws:ec2/routeTable:RouteTable",
                "aws:ec2/routeTableAssociation:RouteTableAssociation"}  # fmt: skip
    assert sorted(declared - set(OPERATIONS) - unmapped) == []


@pytest.mark.parametrize(
    ("type_token", "inputs", "path", "source"),
    [
        # What CreateDBInstance refused on every first `pulumi up` (a response-shape value).
        ("aws:rds/instance:Instance", {"engineLifecycleSupport": "open-source-rds-standard-support"},
         "engineLifecycleSupport", "provider"),
        ("aws:rds/instance:Instance", {"engineLifecycleSupport": "open-source-rds-standard-support"},
         "engineLifecycleSupport", "botocore"),
        ("aws:eks/nodeGroup:NodeGroup", {"capacityType": "SPOTTY"}, "capacityType", "botocore"),
        ("aws:eks/nodeGroup:NodeGroup", {"scalingConfig": {"minSize": -1}}, "scalingConfig.minSize", "botocore"),
        ("aws:kms/key:Key", {"deletionWindowInDays": 3}, "deletionWindowInDays", "provider"),
        ("aws:eks/cluster:Cluster", {"tags": {"team": "x" * 257}}, "tags.team", "botocore"),
        ("aws:ec2/launchTemplate:LaunchTemplate", {"metadataOptions": {"httpTokens": "sometimes"}},
         "metadataOptions.httpTokens", "botocore"),
    ],
)  # fmt: skip
def test_the_check_refuses_what_the_api_refuses(
    type_token: str, inputs: dict[str, Any], path: str, source: str
) -> None:
    found = list(check_resource("test", {"type": type_token, "urn": "urn", "inputs": inputs}))
    assert [f.source for f in found if f.path == path and f.problem].count(source) >= 1, found

"""Karpenter's AWS side against what upstream publishes for the pinned version: its
getting-started CloudFormation template (vendored under tests/vendor/karpenter with its source)
lists the controller's IAM policies, the interruption queue and the EventBridge rules."""

from __future__ import annotations

import json
from functools import cache
from typing import Any, cast

import pytest
import yaml

from components import pins
from components.karpenter import INTERRUPTION_EVENTS, QUEUE_RETENTION_SECONDS, controller_policies, queue_policy
from components.node_group import NODE_POLICIES
from tests.conftest import ROOT

pytestmark = pytest.mark.validators

TEMPLATE = ROOT / "tests" / "vendor" / "karpenter" / "cloudformation.yaml"
VARIABLES = {
    "AWS::Partition": "aws",
    "AWS::Region": "us-east-1",
    "AWS::AccountId": "123456789012",
    "AWS::URLSuffix": "amazonaws.com",
    "ClusterName": "mlops-dev",
    "KarpenterNodeRole.Arn": "arn:aws:iam::123456789012:role/karpenter-node-role",
    "KarpenterInterruptionQueue.Arn": "arn:aws:sqs:us-east-1:123456789012:mlops-dev",
}
NOT_TAKEN = {"AmazonSSMManagedInstanceCore": "no SSM agent access to GPU nodes: nodes are reached through the API"}
"""Upstream's node-role policies this platform leaves out, with the reason."""


class _Loader(yaml.SafeLoader):
    """CloudFormation's short-form intrinsics (``!Sub``, ``!Ref``, ``!GetAtt``) as tagged strings."""


def _intrinsic(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    value = loader.construct_scalar(cast(yaml.ScalarNode, node))
    return {"tag": node.tag, "value": value}


for _tag in ("!Sub", "!Ref", "!GetAtt"):
    _Loader.add_constructor(_tag, _intrinsic)


def substituted(text: str) -> str:
    for name, value in VARIABLES.items():
        text = text.replace("${" + name + "}", value)
    assert "${" not in text, text
    return text


@cache
def template() -> dict[str, Any]:
    return cast(dict[str, Any], yaml.load(TEMPLATE.read_text(), Loader=_Loader))


def resources(kind: str) -> dict[str, dict[str, Any]]:
    return {name: r["Properties"] for name, r in template()["Resources"].items() if r["Type"] == kind}


def test_the_template_is_the_pinned_versions() -> None:
    header = TEMPLATE.read_text().splitlines()[:2]
    assert header[0].startswith("# Vendored from github.com/aws/karpenter-provider-aws commit")
    assert f"website/content/en/v{'.'.join(pins.chart('karpenter').version.split('.')[:2])}/" in header[1]


def test_controller_policies_are_upstreams_statement_for_statement() -> None:
    upstream = {
        name: json.loads(substituted(props["PolicyDocument"]["value"]))
        for name, props in resources("AWS::IAM::ManagedPolicy").items()
    }
    ours = controller_policies(
        VARIABLES["ClusterName"],
        VARIABLES["AWS::Region"],
        VARIABLES["AWS::AccountId"],
        VARIABLES["AWS::Partition"],
        VARIABLES["KarpenterNodeRole.Arn"],
        VARIABLES["KarpenterInterruptionQueue.Arn"],
    )
    assert ours == upstream


def test_interruption_queue_and_rules_are_upstreams() -> None:
    (queue,) = resources("AWS::SQS::Queue").values()
    assert (queue["MessageRetentionPeriod"], queue["SqsManagedSseEnabled"]) == (QUEUE_RETENTION_SECONDS, True)
    rules = {
        (props["EventPattern"]["source"][0], props["EventPattern"]["detail-type"][0])
        for props in resources("AWS::Events::Rule").values()
    }
    assert rules == set(INTERRUPTION_EVENTS.values())
    (policy,) = resources("AWS::SQS::QueuePolicy").values()
    arn = VARIABLES["KarpenterInterruptionQueue.Arn"]
    upstream = [{**s, "Resource": arn} for s in policy["PolicyDocument"]["Statement"]]
    for statement in upstream:  # YAML booleans where the JSON policy holds strings
        if "Condition" in statement:
            statement["Condition"] = {"Bool": {"aws:SecureTransport": "false"}}
    assert json.loads(queue_policy(arn))["Statement"] == upstream


def test_node_role_has_upstreams_policies_but_ssm() -> None:
    role = resources("AWS::IAM::Role")["KarpenterNodeRole"]
    upstream = {arn["value"].rsplit("/", 1)[-1] for arn in role["ManagedPolicyArns"]}
    assert upstream - set(NOT_TAKEN) == set(NODE_POLICIES)

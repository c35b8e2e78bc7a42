"""In-process policy evaluation and the pack's rules."""

from __future__ import annotations

import ast
import asyncio
import json
import subprocess
import sys
from typing import Any

import pytest
from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from components.plan.monitor import Registration
from components.plan.policy import check
from components.policies import CONFIG_DIR, POLICIES
from components.policies.settings import PackConfigError, enforcement_level, policy_config, resolve
from tests.conftest import ROOT

required_tags = next(p for p in POLICIES if p.name == "aws-required-tags")

pytestmark = pytest.mark.policy

PROVIDER = "urn:pulumi:dev::p::pulumi:providers:aws::aws"
TAGS = '{"tags": {"team": "ml", "cost-center": "cc", "environment": "dev"}}'


def reg(name: str, type_: str, inputs: dict[str, Any], provider: str | None = PROVIDER) -> Registration:
    return Registration(f"urn:pulumi:dev::p::{type_}::{name}", type_, name, True, None, provider, [], inputs)


def no_public_acl(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.props.get("acl") == "public-read":
        report("bucket is public", None)


async def async_check(args: ResourceValidationArgs, report: ReportViolation) -> None:
    await asyncio.sleep(0)
    if args.resource_type == "aws:s3/bucket:Bucket":
        report("async saw a bucket", None)


def test_resource_policies_see_props_and_levels_come_from_pack_config() -> None:
    policy = ResourceValidationPolicy("no-public-acl", "d", no_public_acl, EnforcementLevel.MANDATORY)
    resources = [
        reg("aws", "pulumi:providers:aws", {"defaultTags": TAGS}, None),
        reg("pub", "aws:s3/bucket:Bucket", {"acl": "public-read"}),
        reg("priv", "aws:s3/bucket:Bucket", {"acl": "private"}),
    ]
    [violation] = check([policy], resources, {}).violations
    assert (violation.policy, violation.enforcement_level, violation.message) == (
        "no-public-acl",
        "mandatory",
        "bucket is public",
    )
    assert violation.urn == resources[1].urn
    assert check([policy], resources, {"all": "advisory"}).violations[0].enforcement_level == "advisory"
    assert check([policy], resources, {"no-public-acl": {"enforcementLevel": "disabled"}}).violations == []


def test_async_and_stack_policies_are_awaited() -> None:
    seen: list[int] = []

    def count(args: StackValidationArgs, report: ReportViolation) -> None:
        seen.append(len(args.resources))
        report("stack-level", None)

    policies = [
        ResourceValidationPolicy("async", "d", async_check),
        StackValidationPolicy("count", "d", count),
    ]
    violations = check(policies, [reg("b", "aws:s3/bucket:Bucket", {})], {}).violations
    assert [(v.policy, v.enforcement_level, v.urn) for v in violations] == [
        ("async", "advisory", "urn:pulumi:dev::p::aws:s3/bucket:Bucket::b"),
        ("count", "advisory", None),
    ]
    assert seen == [1]


def test_required_tags_come_from_provider_default_tags_or_the_resource() -> None:
    provider = reg("aws", "pulumi:providers:aws", {"defaultTags": TAGS}, None)
    tagged_by_provider = reg("a", "aws:sqs/queue:Queue", {})
    tagged_itself = reg(
        "b",
        "aws:sqs/queue:Queue",
        {"tags": {"team": "t", "cost-center": "c", "environment": "e"}},
        provider=None,
    )
    untagged = reg("c", "aws:sqs/queue:Queue", {"tags": {"team": "t"}}, provider=None)
    not_aws = reg("d", "kubernetes:core/v1:Namespace", {}, provider=None)
    violations = check([required_tags], [provider, tagged_by_provider, tagged_itself, untagged, not_aws], {}).violations
    assert [(v.urn, v.message.split(" (")[0]) for v in violations] == [
        (untagged.urn, "missing required tags cost-center, environment")
    ]


def test_required_tags_are_configurable() -> None:
    config = {"aws-required-tags": {"requiredTags": ["owner"]}}
    assert policy_config(required_tags, config) == {"requiredTags": ["owner"]}
    assert policy_config(required_tags, {}) == {"requiredTags": ["team", "cost-center", "environment"]}
    [violation] = check([required_tags], [reg("q", "aws:sqs/queue:Queue", {}, None)], config).violations
    assert "missing required tags owner" in violation.message


def test_stack_pack_configs_set_the_levels() -> None:
    dev = json.loads((CONFIG_DIR / "dev.json").read_text())
    prod = json.loads((CONFIG_DIR / "prod.json").read_text())
    # The version-support rule is a warning everywhere: a version nearing its end is not a deploy blocker.
    warning = "eks-version-supported"
    # Hygiene the plan warns about in both stacks, which a stack makes mandatory in its pack config:
    # a workload on the default service account, an image from a registry nobody listed yet, a
    # bucket without lifecycle rules, a database without OS metrics are no open door.
    hygiene = {
        "k8s-default-service-account-unused",
        "k8s-approved-registries",
        "s3-bucket-lifecycle",
        "rds-enhanced-monitoring",
    }
    warnings = {warning, *hygiene}
    assert {enforcement_level(p, prod) for p in POLICIES if p.name not in warnings} == {EnforcementLevel.MANDATORY}
    assert {enforcement_level(p, prod) for p in POLICIES if p.name in warnings} == {EnforcementLevel.ADVISORY}
    # Dev enforces security and deploy readiness as prod does; it is looser only where a dev stack
    # should be: cost caps and version support advise, databases may go without deletion
    # protection, GPU pools may be spot, images need no digest, data need not be protected.
    looser = {"gpu-cost-capped", "eks-version-supported", *hygiene}
    # Dev's alarms may notify no one (nobody is paged for dev); prod's must reach someone.
    # One Prometheus and one Alertmanager are enough for a dev stack.
    off = {
        "stateful-resources-protected",
        "sns-alarm-topics-subscribed",
        "ec2-vpc-flow-logs",
        "monitoring-highly-available",
    }
    assert {p.name for p in POLICIES if enforcement_level(p, dev) is EnforcementLevel.DISABLED} == off
    levels = {p.name: enforcement_level(p, dev).value for p in POLICIES if p.name not in off}
    assert levels == {name: "advisory" if name in looser else "mandatory" for name in levels}
    by_name = {p.name: p for p in POLICIES}
    assert policy_config(by_name["gpu-spot-allowed"], dev)["allowSpot"] is True
    assert policy_config(by_name["gpu-spot-allowed"], prod)["allowSpot"] is False
    assert policy_config(by_name["rds-hardened"], dev)["requireDeletionProtection"] is False
    assert policy_config(by_name["rds-hardened"], prod)["requireDeletionProtection"] is True
    assert policy_config(by_name["k8s-pinned-images"], prod)["requireDigest"] is True
    assert policy_config(by_name["k8s-pinned-images"], dev)["requireDigest"] is False
    # Dev stacks are meant to be destroyed: unprotected data is expected there.
    assert enforcement_level(next(p for p in POLICIES if p.name == "stateful-resources-protected"), dev).value == (
        "disabled"
    )


def test_pack_config_resolves_as_the_cli_reconciles_it() -> None:
    """``ReconcilePolicyPackConfig`` (pulumi/pulumi v3.259.0, pkg/resource/analyzer/config.go): every
    policy with its own level and schema defaults, then the file's ``all``, then its own entry."""
    spot = next(p for p in POLICIES if p.name == "gpu-spot-allowed")
    tags = next(p for p in POLICIES if p.name == "aws-required-tags")
    resolved = resolve(
        [spot, tags],
        {
            "all": "advisory",
            "gpu-spot-allowed": {"allowSpot": True},
            "aws-required-tags": "disabled",
            "environments": [],
        },
    )
    assert resolved == {
        "gpu-spot-allowed": (EnforcementLevel.ADVISORY, {"allowSpot": True}),  # level from all, settings its own
        "aws-required-tags": (EnforcementLevel.DISABLED, {"requiredTags": ["team", "cost-center", "environment"]}),
    }
    assert resolve([spot], {})["gpu-spot-allowed"] == (EnforcementLevel.MANDATORY, {"allowSpot": False})


@pytest.mark.parametrize(
    ("config", "error"),
    [
        (
            {"gpu-spot-allowed": {"allowSpot": "yes"}},
            "prod.json: gpu-spot-allowed.allowSpot: 'yes' is not of type 'boolean'",
        ),
        ({"gpu-spot-allowed": "blocking"}, "prod.json: gpu-spot-allowed: enforcementLevel 'blocking' is not one of"),
        ({"gpu-spot-alowed": "mandatory"}, "prod.json: no policy named gpu-spot-alowed in this pack"),
        ({"gpu-spot-allowed": 1}, "prod.json: gpu-spot-allowed: 1 is not a valid value; must be a string or object"),
    ],
)
def test_pack_configs_the_cli_would_refuse_are_errors(config: dict[str, Any], error: str) -> None:
    with pytest.raises(PackConfigError) as raised:
        resolve(POLICIES, config, "policies/config/prod.json")
    assert error in str(raised.value)


def test_the_pack_imports_nothing_from_the_planner() -> None:
    """The CLI's plugin loads the pack and the library, never ``components.plan``; the planner
    depends on the pack, not the reverse."""
    code = (
        "import sys, runpy; import components.policies; "
        "print(sorted(m for m in sys.modules if m.startswith('components.plan')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
    for path in [*(ROOT / "components" / "policies").rglob("*.py"), *(ROOT / "policies").rglob("*.py")]:
        imports = [
            node.module if isinstance(node, ast.ImportFrom) else alias.name
            for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.Import | ast.ImportFrom)
            for alias in node.names
        ]
        assert not [m for m in imports if m and m.startswith("components.plan")], path

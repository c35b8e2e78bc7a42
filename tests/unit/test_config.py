"""Stack config validation: pure functions, no Pulumi runtime."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from components.errors import ConfigError, Problem
from infra.config import (
    Environment,
    load_platform_config,
    plaintext_credential_problems,
    secret_problems,
    secret_value_problems,
)
from tests.conftest import platform_raw

pytestmark = pytest.mark.unit

BASE: dict[str, Any] = {
    "environment": "prod",
    "tags": {"team": "ml", "cost-center": "cc-1", "environment": "prod"},
    "network": {"cidr": "10.0.0.0/16", "azCount": 3, "natGateways": "perAz", "flowLogs": True},
    "cluster": {"version": "1.33", "deployRoleArn": "arn:aws:iam::123456789012:role/ci-deploy"},
    "monitoring": {"retentionDays": 30, "alertEmails": ["oncall@example.com"]},
    "gpuPools": [
        {"name": "gpu", "instanceTypes": ["g5.xlarge"], "minSize": 1, "maxSize": 4},
        {"name": "large", "instanceTypes": ["p4d.24xlarge"], "minSize": 0, "maxSize": 2},
    ],
    "buckets": [{"name": "models"}, {"name": "datasets"}],
    "registries": [{"name": "serving"}],
    "endpoints": [
        {
            "name": "fraud",
            "runtime": "triton",
            "pool": "gpu",
            "bucket": "models",
            "modelPrefix": "models/fraud/",
            "modelVersion": "v1",
            "image": "nvcr.io/nvidia/tritonserver@sha256:" + "a" * 64,
            "replicas": 2,
        }
    ],
}


def with_change(path: str, value: Any) -> dict[str, Any]:
    """BASE with the value at a dotted path (``gpuPools.1.maxSize``) replaced or deleted."""
    raw = copy.deepcopy(BASE)
    *parents, last = path.split(".")
    node: Any = raw
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    key: Any = int(last) if last.isdigit() else last
    if value is DELETE:
        del node[key]
    else:
        node[key] = value
    return raw


DELETE = object()


def problems_of(raw: Any) -> list[Problem]:
    with pytest.raises(ConfigError) as info:
        load_platform_config(raw, "Pulumi.prod.yaml")
    return info.value.problems


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_real_stack_files_validate(stack: str) -> None:
    config = load_platform_config(platform_raw(stack), f"Pulumi.{stack}.yaml")
    assert config.environment is Environment(stack)


def test_base_is_valid_and_defaults_are_secure() -> None:
    config = load_platform_config(BASE, "x.yaml")
    assert config.cluster.endpoint_public_access is False
    assert config.network.nat_gateways == "perAz"
    assert config.gpu_pools[0].imds_hop_limit == 1
    assert config.gpu_pools[0].disk_size_gib == 100
    assert config.registries[0].pull_account_ids == []


INVALID = [
    # (change path, new value, expected key path, fragment of the message)
    ("gpuPools.1.maxSize", 0, "platform.gpuPools[1].maxSize", "greater than or equal to 1"),
    ("gpuPools.0.maxSize", 0, "platform.gpuPools[0].maxSize", "greater than or equal to 1"),
    ("gpuPools.1.minSize", 3, "platform.gpuPools[1].maxSize", "must be >= minSize (got 2 < 3)"),
    (
        "gpuPools.0.capacityType",
        "spot",
        "platform.gpuPools[0].capacityType",
        "'ON_DEMAND' or 'SPOT'",
    ),
    ("gpuPools.0.instanceTypes", [], "platform.gpuPools[0].instanceTypes", "at least 1 item"),
    (
        "gpuPools.0.instanceTypes",
        ["G5 xlarge"],
        "platform.gpuPools[0].instanceTypes[0]",
        "should match pattern",
    ),
    ("gpuPools.0.imdsHopLimit", 3, "platform.gpuPools[0].imdsHopLimit", "Input should be 1 or 2"),
    (
        "gpuPools.1.name",
        "gpu",
        "platform.gpuPools[1].name",
        "duplicate name 'gpu' (already used by gpuPools[0])",
    ),
    ("gpuPools.0.maxSzie", 3, "platform.gpuPools[0].maxSzie", "unknown key; allowed keys:"),
    ("environment", "staging", "platform.environment", "Input should be 'dev' or 'prod'"),
    ("tags.team", "", "platform.tags.team", "required, a non-empty string"),
    ("tags.cost-center", DELETE, "platform.tags.cost-center", "required"),
    ("tags.environment", "dev", "platform.tags.environment", "must equal environment 'prod'"),
    ("network.cidr", "10.0.0.1/16", "platform.network.cidr", "must be an IPv4 CIDR block"),
    ("network.cidr", "10.0.0.0/24", "platform.network.cidr", "must be /20 or larger"),
    ("network.azCount", 1, "platform.network.azCount", "greater than or equal to 2"),
    ("network.natGateways", "single", "platform.network.natGateways", "must be 'perAz' in prod"),
    ("network.flowLogs", False, "platform.network.flowLogs", "must be true in prod"),
    ("cluster.systemMinSize", 1, "platform.cluster.systemMinSize", "2 Prometheus and Alertmanager replicas each need"),
    ("cluster.version", "1.20", "platform.cluster.version", "must be one of 1.32, 1.33, 1.34, 1.35"),
    ("cluster.supportType", "FOREVER", "platform.cluster.supportType", "Input should be"),
    (
        "cluster.endpointPublicAccess",
        True,
        "platform.cluster.publicAccessCidrs",
        "required when endpointPublicAccess",
    ),
    (
        "cluster.publicAccessCidrs",
        ["10.1.0.0/16"],
        "platform.cluster.publicAccessCidrs",
        "only allowed with",
    ),
    (
        "cluster.adminRoleArns",
        ["arn:aws:iam::12:role/x"],
        "platform.cluster.adminRoleArns[0]",
        "should match",
    ),
    ("buckets.1.name", "Models_Bucket", "platform.buckets[1].name", "should match pattern"),
    (
        "buckets.0.noncurrentVersionDays",
        0,
        "platform.buckets[0].noncurrentVersionDays",
        "greater than or equal to 1",
    ),
    (
        "registries.0.pullAccountIds",
        ["*"],
        "platform.registries[0].pullAccountIds[0]",
        "never allowed",
    ),
    ("registries.0.name", "Serving", "platform.registries[0].name", "lowercase letters and digits"),
    ("registries.0.name", "s", "platform.registries[0].name", "must be 2-256 characters"),
    (
        "registries.0.keepTaggedImages",
        0,
        "platform.registries[0].keepTaggedImages",
        "greater than or equal to 1",
    ),
    (
        "registries.0.untaggedExpiryDays",
        -3,
        "platform.registries[0].untaggedExpiryDays",
        "greater than or equal to 1",
    ),
    (
        "registries.0.build",
        {"context": "app", "version": "latest"},
        "platform.registries[0].build.version",
        "never latest",
    ),
    ("buckets.0.bucketName", "my..bucket", "platform.buckets[0].bucketName", "two adjacent dots"),
    ("buckets.0.bucketName", "ab", "platform.buckets[0].bucketName", "3-63 characters"),
    ("buckets.0.bucketName", "192.168.5.4", "platform.buckets[0].bucketName", "IP address"),
    ("buckets.0.bucketName", "xn--models", "platform.buckets[0].bucketName", "reserved"),
    ("buckets.0.bucketName", "models-s3alias", "platform.buckets[0].bucketName", "reserved"),
    ("buckets.0.bucketName", "Models", "platform.buckets[0].bucketName", "only lowercase letters"),
    (
        "buckets.0.objectLockDays",
        0,
        "platform.buckets[0].objectLockDays",
        "greater than or equal to 1",
    ),
    (
        "buckets.0.abortMultipartDays",
        0,
        "platform.buckets[0].abortMultipartDays",
        "greater than or equal to 1",
    ),
    (
        "endpoints.0.runtime",
        "torchserve",
        "platform.endpoints[0].runtime",
        "'triton', 'vllm' or 'custom'",
    ),
    (
        "endpoints.0.pool",
        "missing",
        "platform.endpoints[0].pool",
        "unknown GPU pool 'missing'; defined: gpu, large",
    ),
    (
        "endpoints.0.bucket",
        "nope",
        "platform.endpoints[0].bucket",
        "unknown bucket 'nope'; defined: datasets, models",
    ),
    ("endpoints.0.image", "vllm/vllm-openai:latest", "platform.endpoints[0].image", "never latest"),
    ("endpoints.0.image", "@sha256:", "platform.endpoints[0].image", "is not a valid image reference"),
    ("endpoints.0.image", "repo@sha256:zzzz", "platform.endpoints[0].image", "is not a valid image reference"),
    (
        "endpoints.0.image",
        "My Repo@sha256:" + "a" * 64,
        "platform.endpoints[0].image",
        "is not a valid image reference",
    ),
    (
        "endpoints.0.image",
        "repo@sha256:" + "A" * 64,
        "platform.endpoints[0].image",
        "the digest must be sha256: and 64 lowercase hex digits",
    ),
    (
        "endpoints.0.image",
        "vllm/vllm-openai:v0.9.0",
        "platform.endpoints[0].image",
        "pinned by digest",
    ),
    ("endpoints.0.replicas", 1, "platform.endpoints[0].replicas", "must be >= 2 in prod"),
    (
        "endpoints.0.modelPrefix",
        "models/fraud",
        "platform.endpoints[0].modelPrefix",
        "should match pattern",
    ),
    (
        "monitoring.retentionDays",
        "a week",
        "platform.monitoring.retentionDays",
        'must be an integer, not a string ("a week")',
    ),
    # Strict types: booleans are not numbers, numbers are not strings, nor strings numbers.
    ("gpuPools.0.minSize", True, "platform.gpuPools[0].minSize", "must be an integer, not a boolean (true)"),
    ("gpuPools.0.maxSize", 4.0, "platform.gpuPools[0].maxSize", "must be an integer, not a number (4.0)"),
    ("gpuPools.0.maxSize", "4", "platform.gpuPools[0].maxSize", 'must be an integer, not a string ("4")'),
    ("gpuPools.0.imdsHopLimit", True, "platform.gpuPools[0].imdsHopLimit", "must be an integer (got true)"),
    ("cluster.logRetentionDays", 365.0, "platform.cluster.logRetentionDays", "must be an integer (got 365.0)"),
    ("network.flowLogs", 1, "platform.network.flowLogs", "must be true or false, not a number (1)"),
    ("network.vpcEndpoints", "yes", "platform.network.vpcEndpoints", 'must be true or false, not a string ("yes")'),
    ("cluster.version", 1.35, "platform.cluster.version", "must be a string (quote it in YAML), not a number (1.35)"),
    ("endpoints.0.cpu", 3, "platform.endpoints[0].cpu", "must be a string (quote it in YAML), not a number (3)"),
    (
        "monitoring.monthlyGpuBudgetUsd",
        True,
        "platform.monitoring.monthlyGpuBudgetUsd",
        "must be a number, not a boolean",
    ),
    ("gpuPools", {"name": "gpu"}, "platform.gpuPools", "must be a list, not a mapping"),
    # A key that is not a plain word is quoted, so each problem stays on one line.
    ("new\x1ekey", 1, 'platform["new\\u001ekey"]', "unknown key; allowed keys: buckets"),
    ("clusterr", {}, "platform.clusterr", "unknown key; allowed keys: buckets, cluster, endpoints"),
    (
        "gpuPools.0.instanceTypes",
        ["g5.xlarg"],
        "platform.gpuPools[0].instanceTypes[0]",
        "'g5.xlarg' does not exist",
    ),
    ("gpuPools.0.instanceTypes", ["m5.large"], "platform.gpuPools[0].instanceTypes[0]", "not an accelerated"),
    (
        "gpuPools.0.instanceTypes",
        ["g5.xlarge", "g5g.xlarge"],
        "platform.gpuPools[0].instanceTypes",
        "mixes arch",
    ),
    (
        "gpuPools.0.spotDiscount",
        0.5,
        "platform.gpuPools[0].spotDiscount",
        "only applies to capacityType SPOT",
    ),
    ("gpuPools.0.os", "ubuntu", "platform.gpuPools[0].os", "'al2023' or 'bottlerocket'"),
    ("cluster.systemMinSize", 5, "platform.cluster.systemMaxSize", "must be >= systemMinSize"),
    ("endpoints.0.gpus", 2, "platform.endpoints[0].gpus", "nodes have 1 accelerator(s)"),
    ("endpoints.0.cpu", "4", "platform.endpoints[0].cpu", "at most 3.5 on g5.xlarge"),
    ("endpoints.0.memory", "15Gi", "platform.endpoints[0].memory", "must fit 85% of g5.xlarge"),
    ("endpoints.0.modelId", "meta/llama", "platform.endpoints[0].modelId", "only for runtime vllm"),
    (
        "endpoints.0.loadBalancer",
        "internet-facing",
        "platform.endpoints[0].loadBalancer",
        "allowInternetFacing",
    ),
    (
        "endpoints.0.registry",
        "serving",
        "platform.endpoints[0].image",
        "set one of image or registry, not both",
    ),
    ("endpoints.0.cpu", "two", "platform.endpoints[0].cpu", "should match pattern"),
    (
        "cluster.publicAccessCidrs",
        ["203.0.113.0/24"],
        "platform.cluster.publicAccessCidrs[0]",
        "203.0.113.0/24 is a documentation range (RFC 5737): nobody connects from it",
    ),
    (
        "cluster.apiAccessCidrs",
        ["10.0.0.0/16", "52.94.76.0/22"],
        "platform.cluster.apiAccessCidrs[1]",
        "52.94.76.0/22 is not a private range",
    ),
    (
        "cluster.apiAccessCidrs",
        ["10.20.0.0/16", "10.30.0.0/16", "10.20.0.0/16"],
        "platform.cluster.apiAccessCidrs[2]",
        "10.20.0.0/16 is already apiAccessCidrs[0]: each range gets one security group rule",
    ),
    (
        "cluster.previewRoleArns",
        ["arn:aws:iam::123456789012:role/ci-deploy"],
        "platform.cluster.previewRoleArns",
        "also an admin, viewer or the deploy role: a role gets one access entry",
    ),
    (
        "network.availabilityZoneIds",
        ["use1-az1", "use1-az3", "use1-az4"],
        "platform.network.availabilityZoneIds",
        "'use1-az3': EKS refuses control-plane subnets",
    ),
    (
        "network.availabilityZoneIds",
        ["us-east-1a", "us-east-1b", "us-east-1c"],
        "platform.network.availabilityZoneIds",
        "is not an availability zone ID",
    ),
    (
        "network.availabilityZoneIds",
        ["use1-az1", "use1-az2"],
        "platform.network.availabilityZoneIds",
        "needs one zone ID per AZ: exactly 3",
    ),
]


@pytest.mark.parametrize(("change", "value", "path", "fragment"), INVALID, ids=[c[0] for c in INVALID])
def test_invalid_config_names_the_key_path(change: str, value: Any, path: str, fragment: str) -> None:
    problems = problems_of(with_change(change, value))
    matching = [p for p in problems if p.path == path]
    assert matching, f"no problem at {path}: {problems}"
    assert any(fragment in p.message for p in matching), matching


def test_every_problem_is_listed_in_one_message() -> None:
    raw = with_change("gpuPools.0.maxSize", -1)
    raw["network"]["azCount"] = 9
    raw["endpoints"][0]["gpus"] = 0
    with pytest.raises(ConfigError) as info:
        load_platform_config(raw, "Pulumi.prod.yaml")
    lines = str(info.value).splitlines()
    assert lines[0] == "invalid configuration (3 problems):"
    assert lines[1:] == [
        "Pulumi.prod.yaml: platform.network.azCount: Input should be less than or equal to 6 (got 9)",
        "Pulumi.prod.yaml: platform.gpuPools[0].maxSize: Input should be greater than or equal to 1 (got -1)",
        "Pulumi.prod.yaml: platform.endpoints[0].gpus: Input should be greater than or equal to 1 (got 0)",
    ]


def test_cross_section_problems_are_all_listed() -> None:
    raw = with_change("endpoints.0.pool", "nope")
    raw["gpuPools"][1]["minSize"] = 5
    problems = problems_of(raw)
    assert [p.path for p in problems] == [
        "platform.gpuPools[1].maxSize",
        "platform.endpoints[0].pool",
    ]


def test_missing_platform_object() -> None:
    assert problems_of(None) == [Problem("platform", "required: set `mlops-platform:platform` in the stack file")]


def test_render_uses_the_given_source() -> None:
    error = ConfigError("Pulumi.dev.yaml", [Problem("platform.x", "bad")])
    assert error.render("tests/data/bad.yaml").splitlines()[1] == "tests/data/bad.yaml: platform.x: bad"


def test_dev_allows_what_prod_forbids() -> None:
    raw = with_change("environment", "dev")
    raw["tags"]["environment"] = "dev"
    raw["network"]["natGateways"] = "single"
    raw["network"]["flowLogs"] = False
    raw["endpoints"][0]["replicas"] = 1
    raw["endpoints"][0]["image"] = "vllm/vllm-openai:v0.9.0"
    assert load_platform_config(raw, "Pulumi.dev.yaml").environment is Environment.DEV


def test_public_endpoint_open_to_world_is_refused_in_prod() -> None:
    raw = with_change("cluster.endpointPublicAccess", True)
    raw["cluster"]["publicAccessCidrs"] = ["0.0.0.0/0"]
    assert problems_of(raw) == [Problem("platform.cluster.publicAccessCidrs[0]", "0.0.0.0/0 is not allowed in prod")]


@pytest.mark.parametrize(
    "cidrs",
    [
        ["0.0.0.0/1", "128.0.0.0/1"],
        ["0.0.0.0/2", "64.0.0.0/2", "128.0.0.0/2", "192.0.0.0/2"],
        ["198.51.0.0/16", "203.0.0.0/16"],
        ["1.0.0.0/8"],
    ],
)
def test_public_endpoint_open_to_the_world_in_pieces_is_refused_in_prod(cidrs: list[str]) -> None:
    raw = with_change("cluster.endpointPublicAccess", True)
    raw["cluster"]["publicAccessCidrs"] = cidrs
    [problem] = problems_of(raw)
    assert problem.path == "platform.cluster.publicAccessCidrs"
    assert problem.message.startswith("may admit at most a /16 of public addresses in total in prod (")


@pytest.mark.parametrize(
    "cidrs", [["52.94.76.0/22", "3.5.140.0/22"], ["198.51.0.0/16", "198.51.0.0/17"], ["10.0.0.0/8", "1.2.0.0/16"]]
)
def test_known_public_ranges_are_accepted_in_prod(cidrs: list[str]) -> None:
    raw = with_change("cluster.endpointPublicAccess", True)
    raw["cluster"]["publicAccessCidrs"] = cidrs
    assert load_platform_config(raw, "Pulumi.prod.yaml").cluster.public_access_cidrs == cidrs


def test_build_context_must_exist_under_the_project_root(tmp_path: Path) -> None:
    raw = with_change("registries.0.build", {"context": "images/serving"})
    with pytest.raises(ConfigError) as info:
        load_platform_config(raw, "Pulumi.prod.yaml", root=tmp_path)
    [problem] = info.value.problems
    assert problem.path == "platform.registries[0].build.context"
    assert "must be a directory relative to the project root" in problem.message
    (tmp_path / "images" / "serving").mkdir(parents=True)
    (tmp_path / "images" / "serving" / "Dockerfile").write_text("FROM scratch\n")
    assert load_platform_config(raw, "Pulumi.prod.yaml", root=tmp_path).registries[0].build is not None


def test_a_build_context_the_file_system_refuses_is_a_config_error(tmp_path: Path) -> None:
    """A 300-character name is ENAMETOOLONG to the file system: a problem, not an OSError
    (found by the config fuzz test)."""
    [problem] = build_problems(tmp_path, {"context": "x" * 300})
    assert problem.path == "platform.registries[0].build.context"
    assert "must be a directory relative to the project root" in problem.message


def build_problems(root: Path, build: dict[str, str]) -> list[Problem]:
    raw = with_change("registries.0.build", build)
    with pytest.raises(ConfigError) as info:
        load_platform_config(raw, "Pulumi.prod.yaml", root=root)
    return info.value.problems


def test_build_contexts_and_dockerfiles_stay_inside_the_project(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "images" / "serving").mkdir(parents=True)
    (project / "images" / "serving" / "Dockerfile").write_text("FROM scratch\n")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "Dockerfile").write_text("FROM scratch\n")
    (project / "images" / "escape").symlink_to(tmp_path / "outside")
    (project / "images" / "serving" / "Linked.Dockerfile").symlink_to(tmp_path / "outside" / "Dockerfile")
    inside = f"must lie inside the project root {project.resolve()}"
    for context in ("/etc", "../..", "images/escape", "images/../../outside"):
        [problem] = build_problems(project, {"context": context})
        assert problem.path == "platform.registries[0].build.context"
        assert problem.message.startswith(f"{inside} ({context!r} is "), problem
    for dockerfile in ("/etc/passwd", "../../../outside/Dockerfile", "Linked.Dockerfile"):
        [problem] = build_problems(project, {"context": "images/serving", "dockerfile": dockerfile})
        assert problem.path == "platform.registries[0].build.dockerfile"
        assert problem.message.startswith(f"{inside} ({dockerfile!r} is "), problem
    [problem] = build_problems(project, {"context": "images/serving", "dockerfile": "Missing"})
    assert problem == Problem(
        "platform.registries[0].build.dockerfile", "must be a file in the build context (got 'Missing')"
    )


def test_enabled_receivers_need_their_secrets() -> None:
    raw = copy.deepcopy(BASE)
    raw["monitoring"] = {"slackChannel": "#ml-alerts", "pagerduty": True, "alertEmails": ["oncall@example.com"]}
    config = load_platform_config(raw, "Pulumi.prod.yaml")
    assert [p.path for p in secret_problems(config, set())] == [
        "mlops-platform:slackWebhookUrl",
        "mlops-platform:pagerdutyRoutingKey",
    ]
    assert secret_problems(config, {"slackWebhookUrl", "pagerdutyRoutingKey"}) == []
    assert secret_problems(load_platform_config(BASE, "Pulumi.prod.yaml"), set()) == []


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("eleven-char", "must have at least 12 characters, MLflow's minimum (got 11)"),
        ("password1234", "is the default password older MLflow releases shipped, which MLflow refuses"),
        ("twelve-chars ", "must not start or end with whitespace"),
        ("twelve\tchars!", "must not contain control characters"),
    ],
)
def test_a_registry_admin_password_mlflow_refuses_is_a_config_error(password: str, message: str) -> None:
    [problem] = secret_value_problems({"modelRegistryAdminPassword": password})
    assert problem.path == "mlops-platform:modelRegistryAdminPassword"
    assert problem.message.startswith(message) and password.strip() not in problem.message


def test_a_registry_admin_password_mlflow_accepts() -> None:
    assert secret_value_problems({"modelRegistryAdminPassword": "% :/@#?&=+ twelve"}) == []
    assert secret_value_problems({}) == []


def with_registry(**section: Any) -> dict[str, Any]:
    """BASE with a model registry, and its fraud endpoint serving the registry's champion."""
    raw = copy.deepcopy(BASE)
    raw["registries"] = [
        {"name": "serving"},
        {"name": "mlflow", "build": {"context": "images/mlflow", "baseImage": "mlflow"}},
    ]
    raw["modelRegistry"] = {"bucket": "models", "registry": "mlflow", **section}
    endpoint = raw["endpoints"][0]
    del endpoint["bucket"], endpoint["modelPrefix"], endpoint["modelVersion"]
    endpoint["model"] = {"registry": "mlflow", "name": "fraud", "alias": "champion", "version": 7}
    return raw


def test_a_registered_model_and_its_registry_validate() -> None:
    config = load_platform_config(with_registry(), "Pulumi.prod.yaml")
    assert config.model_registry is not None and config.model_registry.backups(config.is_prod) == 30
    assert config.endpoints[0].model is not None and config.endpoints[0].model.alias == "champion"
    assert config.endpoints[0].model.version == 7


def test_an_alias_alone_is_admitted_only_unpublished() -> None:
    raw = with_registry()
    del raw["endpoints"][0]["model"]["version"]
    assert problems_of(raw) == [
        Problem(
            "platform.endpoints[0].model.version",
            "required when published: pods never resolve alias 'champion'; pin it with "
            "`mlops promote --stack STACK --endpoint fraud`",
        )
    ]
    raw["endpoints"][0]["published"] = False  # no pod starts: the first deploy, before anything is champion
    raw["endpoints"][0]["canary"] = False  # a Deployment: publishing starts pods of the pinned template only
    assert load_platform_config(raw, "Pulumi.prod.yaml").endpoints[0].model is not None


def test_a_canary_pins_its_model_from_the_first_deploy() -> None:
    """A Rollout's first template is its stable one from creation, at zero replicas too, and
    publishing scales it up (components/delivery.py): unpublished or not, a canaried endpoint's
    template names a pinned registry version or a version directory of its prefix."""
    raw = with_registry()
    del raw["endpoints"][0]["model"]["version"]
    raw["endpoints"][0]["published"] = False
    [problem] = problems_of(raw)
    assert problem.path == "platform.endpoints[0].model.version"
    assert problem.message == (
        "a canaried endpoint serves a pinned version, published or not: Argo Rollouts makes the template it "
        "creates first the stable one, at zero replicas too, and publishing scales that template up, so every "
        "stable pod would resolve alias 'champion' when it starts; pin the version you will publish "
        "(mlops promote --stack STACK --endpoint fraud), or set canary: false (canary is on by default in prod)"
    )
    bucket = with_change("endpoints.0.modelVersion", DELETE)
    bucket["endpoints"][0]["published"] = False
    [problem] = problems_of(bucket)
    assert problem.path == "platform.endpoints[0].modelVersion"
    assert problem.message.startswith(
        "a canaried endpoint reads one version directory of its prefix (models/fraud/VERSION/), written once"
    )
    bucket["endpoints"][0]["canary"] = False  # a Deployment may still sync the bare prefix
    assert load_platform_config(bucket, "Pulumi.prod.yaml").endpoints[0].model_version is None
    for bad in ("../v1", "v1/", "", "v 1"):
        [wrong] = problems_of(with_change("endpoints.0.modelVersion", bad))
        assert wrong.path == "platform.endpoints[0].modelVersion", bad
    with_id = with_change("endpoints.0.modelId", "meta-llama/Llama-3.1-8B-Instruct")
    with_id["endpoints"][0]["runtime"] = "vllm"
    assert ("platform.endpoints[0].modelVersion", "not with modelId: it is a directory under modelPrefix") in [
        (p.path, p.message) for p in problems_of(with_id)
    ]
    # A Hugging Face model id is never pinned: both pods download the main branch when they start.
    del with_id["endpoints"][0]["modelVersion"]
    [hub] = problems_of(with_id)
    assert hub.path == "platform.endpoints[0].modelId"
    assert hub.message.startswith(
        "a canaried endpoint serves a pinned model, but vLLM downloads meta-llama/Llama-3.1-8B-Instruct from the "
        "Hugging Face Hub when each pod starts"
    )
    with_id["endpoints"][0]["canary"] = False
    assert load_platform_config(with_id, "Pulumi.prod.yaml").endpoints[0].model_id is not None


REGISTRY_INVALID: list[tuple[str, dict[str, Any], str, str]] = [
    ("unknown registry", {"endpoints.0.model.registry": "tracking"}, "platform.endpoints[0].model.registry",
     "unknown model registry 'tracking'; defined: mlflow"),
    ("neither version nor alias", {"endpoints.0.model.version": DELETE, "endpoints.0.model.alias": DELETE},
     "platform.endpoints[0].model", "needs version (and optionally the alias it pins)"),
    ("bucket too", {"endpoints.0.bucket": "models"}, "platform.endpoints[0].bucket",
     "not with model: the registered model is the model source"),
    ("password in plain config", {"modelRegistry.adminPassword": "hunter2hunter2"}, "platform.modelRegistry",
     "adminPassword: a password never goes in the platform object; set it with `pulumi config set --secret "
     "modelRegistryAdminPassword"),
    ("no backups", {"modelRegistry.backupRetentionDays": 0}, "platform.modelRegistry.backupRetentionDays",
     "must be >= 1: 0 turns off automated backups"),
    ("short backups in prod", {"modelRegistry.backupRetentionDays": 3}, "platform.modelRegistry.backupRetentionDays",
     "must be >= 7 in prod (got 3)"),
    ("single AZ in prod", {"modelRegistry.multiAz": False}, "platform.modelRegistry.multiAz", "must be true in prod"),
    ("one replica in prod", {"modelRegistry.replicas": 1}, "platform.modelRegistry.replicas", "must be >= 2 in prod"),
    ("tag in prod", {"modelRegistry.registry": DELETE}, "platform.modelRegistry.image", "must be pinned by digest"),
    ("unknown bucket", {"modelRegistry.bucket": "nope"}, "platform.modelRegistry.bucket", "unknown bucket 'nope'"),
    ("bad class", {"modelRegistry.instanceClass": "t4g.small"}, "platform.modelRegistry.instanceClass",
     "should match pattern"),
    ("no model source", {"endpoints.0.model": DELETE}, "platform.endpoints[0]",
     "needs bucket and modelPrefix, or model"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("change", "path", "fragment"), [c[1:] for c in REGISTRY_INVALID], ids=[c[0] for c in REGISTRY_INVALID]
)
def test_invalid_registry_config_names_the_key_path(change: dict[str, Any], path: str, fragment: str) -> None:
    raw = with_registry()
    for dotted, value in change.items():
        *parents, last = dotted.split(".")
        node: Any = raw
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        if value is DELETE:
            del node[last]
        else:
            node[last] = value
    problems = problems_of(raw)
    matching = [p for p in problems if p.path == path]
    assert matching, f"no problem at {path}: {problems}"
    assert any(fragment in p.message for p in matching), matching


@pytest.mark.parametrize(
    ("key", "credential"),
    [
        ("mlops-platform:slackWebhookUrl", True),
        ("mlops-platform:pagerdutyRoutingKey", True),
        ("mlops-platform:grafanaAdminPassword", True),
        ("mlops-platform:modelRegistryAdminPassword", True),
        ("team:db_password", True),
        ("aws:secretKey", True),
        ("aws:accessKey", True),
        ("aws:token", True),
        ("other:apiKey", True),
        ("aws:region", False),
        ("aws:skipCredentialsValidation", False),
        ("mlops-platform:platform", False),
    ],
)
def test_credentials_must_be_secrets(key: str, credential: bool) -> None:
    assert plaintext_credential_problems([key], lambda _key: True) == []
    problems = plaintext_credential_problems([key], lambda _key: False)
    assert problems == (
        [
            Problem(
                key,
                f"holds a credential, so it must be a secret: `pulumi config set --secret {key} <value>` "
                "(secure: in the stack file), never plaintext",
            )
        ]
        if credential
        else []
    )


@pytest.mark.parametrize("region", ["us-east-1", "eu-central-2", "cn-north-1", "us-gov-west-1", "eusc-de-east-1"])
def test_regions_of_every_partition_are_accepted(region: str) -> None:
    assert load_platform_config(with_change("region", region), "Pulumi.prod.yaml").region == region


@pytest.mark.parametrize("region", ["mars-north-9", "us-east-99", "US-EAST-1", "us-east-1 ", ""])
def test_made_up_regions_are_refused(region: str) -> None:
    assert problems_of(with_change("region", region)) == [
        Problem(
            "platform.region",
            "must be an AWS region botocore knows, e.g. us-east-1, eu-west-1, cn-north-1, us-gov-west-1 "
            f'(got "{region}")',
        )
    ]


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("errorSelector", 'status=~"5.."} or vector(1) or up{a="b"', "must be label matchers as inside a selector's"),
        ("errorSelector", 'status=~"("', "PromQL cannot parse it: illegal regex"),
        ("errorSelector", '__name__="up"', "not by __name__"),
        ("requestsMetric", "http_requests_total > 0 or vector(1)", "must be a Prometheus metric name"),
        ("requestsMetric", "http_requests_total\n", "must be a Prometheus metric name"),
        ("latencyHistogram", "bool", "not a PromQL keyword"),
        ("autoscalingMetric", "vllm:num_requests_waiting) or vector(1", "PromQL cannot parse it"),
        ("autoscalingTarget", "5 or 6", "must be a positive decimal number such as 10 or 0.5"),
        ("autoscalingTarget", "0", "must be a positive decimal number"),
    ],
)
def test_promql_and_keda_fields_are_parsed(key: str, value: str, message: str) -> None:
    raw = with_change(f"endpoints.0.{key}", value)
    raw["endpoints"][0]["maxReplicas"] = 4
    problems = [p for p in problems_of(raw) if p.path == f"platform.endpoints[0].{key}"]
    assert len(problems) == 1 and message in problems[0].message, problems


def test_promql_fields_that_parse_are_accepted() -> None:
    raw = with_change("endpoints.0.errorSelector", 'code=~"5..", method!="GET"')
    raw["endpoints"][0] |= {"requestsMetric": "app:requests_total", "autoscalingTarget": "0.5"}
    # Endpoint 0 is Triton: it scales on a gauge Triton exports (components/runtimes.py).
    metric = {"autoscalingMetric": "nv_inference_pending_request_count"}
    raw["endpoints"][0] |= {**metric, "maxReplicas": 4, "rollout": "replace"}
    endpoint = load_platform_config(raw, "Pulumi.prod.yaml").endpoints[0]
    assert (endpoint.error_selector, endpoint.autoscaling_target) == ('code=~"5..", method!="GET"', "0.5")


def test_cluster_access_is_named_in_config() -> None:
    raw = with_change("cluster.deployRoleArn", DELETE)
    [problem] = problems_of(raw)
    assert problem.path == "platform.cluster.deployRoleArn" and "required in prod" in problem.message
    dev = copy.deepcopy(raw)
    dev["environment"], dev["tags"]["environment"] = "dev", "dev"
    [nobody] = problems_of(dev)
    assert "only access entries reach the cluster" in nobody.message
    dev["cluster"]["adminRoleArns"] = ["arn:aws:iam::123456789012:role/admin"]
    config = load_platform_config(dev, "Pulumi.dev.yaml")
    assert config.cluster.creator_admin is False and config.cluster.view_role_arns == []


def large_model_endpoint(**change: Any) -> dict[str, Any]:
    """BASE with a 4-GPU LLM on one g6e.12xlarge pool: one pod fills a node."""
    raw = copy.deepcopy(BASE)
    raw["gpuPools"].append({"name": "llm", "instanceTypes": ["g6e.12xlarge"], "minSize": 0, "maxSize": 2})
    raw["endpoints"].append(
        {
            "name": "chat",
            "runtime": "vllm",
            "pool": "llm",
            "bucket": "models",
            "modelPrefix": "models/chat/",
            "modelVersion": "v1",
            "image": "vllm/vllm-openai@sha256:" + "b" * 64,
            "gpus": 4,
            "replicas": 2,
            "maxReplicas": 2,
            "cpu": "40",
            "memory": "300Gi",
            **change,
        }
    )
    raw["modelCopierRegistry"] = "copier"
    raw["registries"].append({"name": "copier", "build": {"context": "images/model-copier"}})
    return raw


def test_a_rollout_must_fit_the_pool_at_max_size() -> None:
    # Prod's old llm-chat: two 4-GPU pods on two 4-GPU nodes, and a surge pod with nowhere to go.
    [problem] = problems_of(large_model_endpoint())
    assert problem.path == "platform.endpoints[1].maxReplicas"
    assert "needs 3 pods of 4 GPU(s), but pool 'llm' holds 2 (2 nodes x 1 per node)" in problem.message
    assert "rollout: replace" in problem.message
    [unreachable] = problems_of(large_model_endpoint(maxReplicas=4, rollout="replace"))
    assert "maxReplicas 4 needs 4 pods" in unreachable.message
    # Replacing one pod at a time, or recreating (no canary then: it needs a stable pod serving), needs no spare node.
    for change in ({"rollout": "replace"}, {"rollout": "recreate", "canary": False}):
        assert (
            load_platform_config(large_model_endpoint(**change), "Pulumi.prod.yaml").endpoints[1].rollout
            == change["rollout"]
        )
    [bad] = problems_of(large_model_endpoint(rollout="blue-green"))
    assert bad.path == "platform.endpoints[1].rollout" and "'surge', 'replace' or 'recreate'" in bad.message


def test_prod_alerts_reach_someone() -> None:
    raw = copy.deepcopy(BASE)
    raw["monitoring"] = {"retentionDays": 30}
    assert problems_of(raw) == [
        Problem(
            "platform.monitoring",
            "prod needs an alert receiver: alertEmails, alertHttpsEndpoints, slackChannel or pagerduty",
        )
    ]
    # Slack reaches people through Alertmanager, but the CloudWatch alarms and the budget notify only the topic.
    raw["monitoring"]["slackChannel"] = "#ml-alerts"
    [problem] = problems_of(raw)
    assert problem.path == "platform.monitoring.alertEmails" and "do not subscribe" in problem.message
    raw["monitoring"]["alertHttpsEndpoints"] = ["https://events.pagerduty.com/integration/abc/enqueue"]
    assert load_platform_config(raw, "Pulumi.prod.yaml").monitoring.alert_https_endpoints
    raw["monitoring"]["alertHttpsEndpoints"] = ["http://hooks.example.com/x"]
    [plain] = problems_of(raw)
    assert plain.path == "platform.monitoring.alertHttpsEndpoints[0]"
    dev = with_change("environment", "dev")
    dev["tags"]["environment"], dev["monitoring"] = "dev", {}
    dev["endpoints"][0]["replicas"] = 1
    assert load_platform_config(dev, "Pulumi.dev.yaml").monitoring.alert_emails == []


def test_endpoints_are_published_unless_told() -> None:
    config = load_platform_config(BASE, "Pulumi.prod.yaml")
    assert config.endpoints[0].published is True
    raw = with_change("endpoints.0.published", False)
    assert load_platform_config(raw, "Pulumi.prod.yaml").endpoints[0].published is False


DEPLOY = "arn:aws:iam::123456789012:role/ci-deploy"
ADMIN = "arn:aws:iam::123456789012:role/admin"


@pytest.mark.parametrize(
    ("cluster", "path", "fragment"),
    [
        ({"adminRoleArns": [ADMIN, ADMIN]}, "platform.cluster.adminRoleArns", "already in adminRoleArns"),
        ({"viewRoleArns": [DEPLOY]}, "platform.cluster.deployRoleArn", "already in viewRoleArns"),
        ({"adminRoleArns": [ADMIN], "viewRoleArns": [ADMIN]}, "platform.cluster.viewRoleArns", "name it once"),
        ({"creatorAdmin": True}, "platform.cluster.deployRoleArn", "not with creatorAdmin"),
    ],
)
def test_a_principal_gets_one_access_entry(cluster: dict[str, Any], path: str, fragment: str) -> None:
    """EKS refuses a second access entry for one principal (409 ResourceInUseException)."""
    raw = copy.deepcopy(BASE)
    raw["cluster"] |= cluster
    [problem] = problems_of(raw)
    assert problem.path == path and fragment in problem.message, problem


def test_distinct_principals_each_get_an_entry() -> None:
    raw = copy.deepcopy(BASE)
    raw["cluster"] |= {"adminRoleArns": [ADMIN], "viewRoleArns": ["arn:aws:iam::123456789012:role/view"]}
    assert load_platform_config(raw, "Pulumi.prod.yaml").cluster.admin_role_arns == [ADMIN]


def test_zone_ids_by_id_are_accepted() -> None:
    config = load_platform_config(with_change("network.availabilityZoneIds", ["use1-az4", "use1-az1", "use1-az6"]), "x")
    assert config.network.availability_zone_ids == ["use1-az4", "use1-az1", "use1-az6"]


@pytest.mark.parametrize(
    ("change", "value", "path", "fragment"),
    [
        ("tags.team", "ml\x07", "platform.tags.team", "found '\\x07'"),
        ("tags.aws:owner", "me", 'platform.tags["aws:owner"]', "must not start with aws:"),
        ("tags.note", "a\nb", "platform.tags.note", "found '\\n'"),
        (
            "gpuPools.0.labels",
            {"a" * 40 + ".example.com/" + "x" * 30: "v"},
            "platform.gpuPools[0].labels." + "a" * 40 + ".example.com/" + "x" * 30,
            "at most 82 characters",
        ),
        (
            "gpuPools.0.taints",
            [{"key": "t" * 83, "effect": "NO_SCHEDULE"}],
            "platform.gpuPools[0].taints[0].key",
            "(got 83)",
        ),
        (
            "modelRegistry",
            {"name": "ml--flow", "bucket": "models"},
            "platform.modelRegistry.name",
            "two consecutive hyphens",
        ),
    ],
)
def test_what_aws_refuses_in_a_tag_or_name_is_a_config_error(change: str, value: Any, path: str, fragment: str) -> None:
    problems = problems_of(with_change(change, value))
    assert any(p.path == path and fragment in p.message for p in problems), problems


def test_rds_reserves_its_prefix_only_with_a_registry() -> None:
    assert load_platform_config(with_change("tags.rds:note", "x"), "x").tags["rds:note"] == "x"
    raw = with_change("tags.rds:note", "x")
    raw["modelRegistry"] = {"name": "mlflow", "bucket": "models"}
    assert any(p.path == 'platform.tags["rds:note"]' for p in problems_of(raw))


@pytest.mark.parametrize(
    ("environment", "change", "path", "message"),
    [
        (
            "dev",
            {"canary": True, "rollout": "recreate"},
            "platform.endpoints[0].rollout",
            "canary rolls out by surge or replace, not 'recreate' (every pod stopped first); or set canary: false",
        ),
        (
            "dev",
            {"canary": True, "rollout": "replace", "replicas": 1},
            "platform.endpoints[0].replicas",
            "canary with rollout replace needs replicas >= 2: the canary pod takes a stable pod's place, and 1 "
            "replica would leave no stable pod serving (use surge); or set canary: false",
        ),
        (
            "prod",
            {"rollout": "recreate"},
            "platform.endpoints[0].rollout",
            "canary rolls out by surge or replace, not 'recreate' (every pod stopped first) (canary is on by "
            "default in prod); or set canary: false",
        ),
    ],
)
def test_a_canary_without_a_stable_pod_is_refused(
    environment: str, change: dict[str, Any], path: str, message: str
) -> None:
    """A canary needs a stable pod serving next to it: named at its key path, with the way out."""
    raw = with_change("environment", environment)
    raw["tags"]["environment"] = environment
    raw["endpoints"][0] |= change
    assert [(p.path, p.message) for p in problems_of(raw)] == [(path, message)]


@pytest.mark.parametrize(
    "change",
    [{"canary": False, "rollout": "recreate"}, {"canary": True, "rollout": "surge", "replicas": 1, "maxReplicas": 1}],
)
def test_a_canary_next_to_a_stable_pod_or_none_is_accepted(change: dict[str, Any]) -> None:
    """No canary, or a surge canary next to a single stable pod (dev), is admitted."""
    raw = with_change("environment", "dev")
    raw["tags"]["environment"] = "dev"
    raw["endpoints"][0] |= change
    assert load_platform_config(raw, "Pulumi.dev.yaml").endpoints[0].rollout == change["rollout"]

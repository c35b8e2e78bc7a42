"""The platform contract: what infra/ exports, and an app team's program reading it through a
StackReference (PlatformStack) under the same mocks ``mlops plan --stack-outputs`` uses."""

from __future__ import annotations

import copy
import json
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from components import ModelServingEndpoint
from components.catalog import POOL_LABEL
from components.plan.cli import make_plan
from components.plan.mocks import UnknownStackError
from components.plan.monitor import SECRET_PLACEHOLDER
from components.platform_stack import CONTRACT_VERSION, PlatformStack, contract_problems
from infra.config import load_platform_config
from tests.conftest import RunProgram, named, platform_raw, stack_recording

PLATFORM = "acme/mlops-platform/prod"


def prod_outputs() -> dict[str, Any]:
    """The prod stack's outputs, as plan.json records them (secrets masked)."""
    return json.loads(json.dumps(stack_recording("prod").outputs))


def test_the_platform_exports_its_pools_buckets_and_what_it_serves() -> None:
    outputs = prod_outputs()
    contract = outputs["platform"]
    config = load_platform_config(platform_raw("prod"), "Pulumi.prod.yaml")
    assert contract["version"] == CONTRACT_VERSION and contract_problems(contract) == []
    assert contract["clusterName"] == config.cluster_name == outputs["clusterName"]
    assert set(contract["pools"]) == {pool.name for pool in config.gpu_pools}
    assert set(contract["buckets"]) == {bucket.name for bucket in config.buckets}
    assert contract["buckets"] == outputs["buckets"]
    assert set(contract["repositories"]) == {repo.name for repo in config.registries}
    assert {"monitoring.coreos.com", "keda.sh"} <= set(contract["crdGroups"])
    assert set(contract["metricsApis"]) == {"metrics.k8s.io", "external.metrics.k8s.io"}
    assert contract["monitoringNamespace"] == "monitoring"
    # The kubeconfig is exported on its own, plain (it holds no credential); nothing is a secret.
    assert json.loads(outputs["kubeconfig"])["users"][0]["user"]["exec"]["command"] == "aws"
    assert SECRET_PLACEHOLDER not in json.dumps(outputs)


def test_each_pool_entry_matches_its_node_group() -> None:
    recording = stack_recording("prod")
    resources = named(recording)
    for name, pool in prod_outputs()["platform"]["pools"].items():
        group = resources[f"{name}-node-group"].inputs
        assert pool["labels"] == group["labels"] and pool["taints"] == group["taints"]
        assert pool["instanceTypes"] == group["instanceTypes"] and pool["amiType"] == group["amiType"]
        assert pool["provisioner"] == "managed"


def test_a_karpenter_pool_entry_matches_its_node_pool() -> None:
    pools = stack_recording("dev").outputs["platform"]["pools"]
    template = named(stack_recording("dev"))["gpu-spot-node-pool"].inputs["spec"]["template"]
    entry = pools["gpu-spot"]
    assert entry["provisioner"] == "karpenter"
    assert entry["labels"] == template["metadata"]["labels"]
    assert [{**t, "effect": "NO_SCHEDULE"} for t in template["spec"]["taints"]] == entry["taints"]


def app_program(pool: str, **extra: Any) -> Any:
    def program() -> None:
        platform = PlatformStack(PLATFORM)
        tags = {"team": "fraud", "cost-center": "cc-1", "environment": "dev"}
        aws_provider = aws.Provider("aws", region="us-east-1", default_tags=aws.ProviderDefaultTagsArgs(tags=tags))
        opts = pulumi.ResourceOptions(providers={"aws": aws_provider, "kubernetes": platform.provider})
        ModelServingEndpoint(
            "scorer",
            {
                **platform.for_workloads(),
                "runtime": "vllm",
                "pool": platform.placement(pool),
                "bucket_name": platform.bucket_name("models"),
                "model_prefix": "models/scorer/",
                "model_policy": "{}",
                "max_replicas": 2,
                "autoscaling_metric": "vllm:num_requests_waiting",
                **extra,
            },
            opts,
        )

    return program


def test_an_app_endpoint_runs_on_the_platform_pool_with_its_identity(run: RunProgram) -> None:
    outputs = prod_outputs()
    contract = outputs["platform"]
    pool_name = sorted(contract["pools"])[0]
    pool = contract["pools"][pool_name]
    recording = run(app_program(pool_name), stack="dev", stack_outputs={PLATFORM: outputs})
    resources = named(recording)

    reference = resources["platform"]
    assert reference.type == "pulumi:pulumi:StackReference" and reference.inputs["name"] == PLATFORM
    assert reference.inputs["secretOutputNames"] == []
    assert resources["platform-kubernetes"].inputs["kubeconfig"] == outputs["kubeconfig"]

    spec = resources["scorer-deployment"].inputs["spec"]["template"]["spec"]
    assert spec["nodeSelector"] == {POOL_LABEL: pool["labels"][POOL_LABEL]}
    assert [(t["key"], t["value"]) for t in spec["tolerations"]] == [(t["key"], t["value"]) for t in pool["taints"]]
    assert pool["deviceResource"] in spec["containers"][0]["resources"]["limits"]
    assert f"s3://{contract['buckets']['models']}/models/scorer/" in json.dumps(spec["initContainers"])

    trust = json.loads(resources["scorer-role"].inputs["assumeRolePolicy"])
    assert trust["Statement"][0]["Principal"]["Federated"] == contract["oidcProviderArn"]
    # Everything in the app stack is on the platform's cluster, and it installs no CRDs itself.
    kubernetes = [r for r in recording.resources if r.type.startswith("kubernetes:")]
    assert kubernetes and {r.provider for r in kubernetes} == {resources["platform-kubernetes"].urn}
    assert not [r for r in recording.resources if r.type == "kubernetes:helm.sh/v3:Release"]


def test_the_pack_accepts_what_the_platform_serves_and_only_that(run: RunProgram) -> None:
    outputs = prod_outputs()
    pool = sorted(outputs["platform"]["pools"])[0]
    good = make_plan(run(app_program(pool), stack="dev", stack_outputs={PLATFORM: outputs}))
    assert good["violations"] == []

    without_keda = copy.deepcopy(outputs)
    contract = without_keda["platform"]
    contract["crdGroups"].remove("keda.sh")
    contract["metricsApis"].remove("external.metrics.k8s.io")
    del contract["monitoringNamespace"]
    plan = make_plan(run(app_program(pool), stack="dev", stack_outputs={PLATFORM: without_keda}))
    found = {(v["policy"], v["urn"].rsplit("::", 1)[-1]) for v in plan["violations"]}
    assert found == {
        ("k8s-custom-objects-after-crds", "scorer-scaled-object"),
        ("k8s-autoscaling-metrics-served", "scorer-scaled-object"),
    }


def test_a_request_the_platform_pools_cannot_serve_is_a_violation(run: RunProgram) -> None:
    outputs = copy.deepcopy(prod_outputs())
    pool = sorted(outputs["platform"]["pools"])[0]
    # The endpoint is checked against the contract's placement; the pack, against the pools' nodes.
    outputs["platform"]["pools"][pool]["instanceTypes"] = ["m7i.xlarge"]
    plan = make_plan(run(app_program(pool), stack="dev", stack_outputs={PLATFORM: outputs}))
    [violation] = [v for v in plan["violations"] if v["policy"] == "gpu-workloads-schedulable"]
    assert f"platform pool {pool}: its instance types have no nvidia.com/gpu" in violation["message"]


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (lambda o: o["platform"]["pools"].clear(), "has no GPU pool 'POOL' (it has: none)"),
        (lambda o: o["platform"]["buckets"].clear(), "has no bucket 'models' (it has: none)"),
        (lambda o: o.pop("platform"), "exports no 'platform' contract"),
        (lambda o: o["platform"].update(version=99), "contract version 99 is not the one this package reads (1)"),
        (lambda o: o["platform"].pop("oidcProviderArn"), "contract has no oidcProviderArn"),
    ],
)
def test_a_platform_without_what_the_app_needs_fails_with_its_name(run: RunProgram, change: Any, fragment: str) -> None:
    outputs = copy.deepcopy(prod_outputs())
    pool = sorted(outputs["platform"]["pools"])[0]
    change(outputs)
    with pytest.raises(Exception, match="platform stack acme/mlops-platform/prod: ") as raised:
        run(app_program(pool), stack="dev", stack_outputs={PLATFORM: outputs})
    assert fragment.replace("POOL", pool) in str(raised.value)


def test_an_endpoint_asking_more_than_the_platform_pool_has_fails(run: RunProgram) -> None:
    outputs = prod_outputs()
    pool = sorted(outputs["platform"]["pools"])[0]
    per_node = outputs["platform"]["pools"][pool]["acceleratorsPerNode"]
    with pytest.raises(Exception, match=rf"ModelServingEndpoint 'scorer': gpus must be 1\.\.{per_node} "):
        run(app_program(pool, gpus=per_node + 1), stack="dev", stack_outputs={PLATFORM: outputs})


def test_a_stack_the_plan_was_not_given_is_named(run: RunProgram) -> None:
    with pytest.raises(UnknownStackError, match=f"reads stack '{PLATFORM}'.*--stack-outputs {PLATFORM}=PATH"):
        run(app_program("gpu"), stack="dev", stack_outputs={"other/stack": {}})


def registered_app(namespace: str) -> Any:
    def program() -> None:
        platform = PlatformStack(PLATFORM)
        pool = sorted(prod_outputs()["platform"]["pools"])[0]
        ModelServingEndpoint(
            "scorer",
            {
                **platform.for_workloads(),
                "runtime": "vllm",
                "namespace": namespace,
                "pool": platform.placement(pool),
                "registered_model": platform.registered(
                    "fraud-detector", namespace=namespace, version=4, alias="champion"
                ),
            },
            pulumi.ResourceOptions(providers={"kubernetes": platform.provider}),
        )

    return program


def test_an_app_endpoint_serves_a_model_of_the_platform_registry(run: RunProgram) -> None:
    outputs = prod_outputs()
    registry = outputs["platform"]["modelRegistry"]
    namespace = registry["allowedNamespaces"][0]
    resources = named(run(registered_app(namespace), stack="dev", stack_outputs={PLATFORM: outputs}))
    spec = resources["scorer-deployment"].inputs["spec"]["template"]["spec"]
    [download] = spec["initContainers"]
    env = {e["name"]: e["value"] for e in download["env"]}
    assert env["MLFLOW_TRACKING_URI"] == registry["trackingUri"] and download["image"] == registry["image"]
    assert env["MODEL_URI"] == "models:/fraud-detector/4"
    volumes = {v["name"]: v for v in spec["volumes"]}
    assert volumes["registry-credentials"]["secret"]["secretName"] == registry["readerSecret"]


def test_a_namespace_the_platform_registry_does_not_admit_is_named(run: RunProgram) -> None:
    # The teams' namespaces are admitted with their teams (prod's teams: fraud, recsys).
    with pytest.raises(Exception, match="its model registry admits namespaces fraud, recsys, serving, not 'payments'"):
        run(registered_app("payments"), stack="dev", stack_outputs={PLATFORM: prod_outputs()})


def balanced_app(pool: str) -> Any:
    """An app endpoint behind an internal NLB, with the platform's controller."""

    def program() -> None:
        platform = PlatformStack(PLATFORM)
        tags = {"team": "fraud", "cost-center": "cc-1", "environment": "dev"}
        aws_provider = aws.Provider("aws", region="us-east-1", default_tags=aws.ProviderDefaultTagsArgs(tags=tags))
        ModelServingEndpoint(
            "scorer",
            {
                **platform.for_workloads(),
                "runtime": "vllm",
                "pool": platform.placement(pool),
                "bucket_name": platform.bucket_name("models"),
                "model_prefix": "models/scorer/",
                "model_policy": "{}",
                "load_balancer": "internal",
                "load_balancing": platform.load_balancing(),
            },
            pulumi.ResourceOptions(providers={"aws": aws_provider, "kubernetes": platform.provider}),
        )

    return program


def test_an_app_load_balancer_on_a_platform_without_the_controller_fails_with_its_name(run: RunProgram) -> None:
    outputs = prod_outputs()
    assert "loadBalancerController" not in outputs["platform"]
    pool = sorted(outputs["platform"]["pools"])[0]
    with pytest.raises(
        Exception, match="platform stack acme/mlops-platform/prod: runs no AWS Load Balancer Controller"
    ):
        run(balanced_app(pool), stack="dev", stack_outputs={PLATFORM: outputs})


def test_an_app_load_balancer_admits_the_platform_vpc_on_its_serving_port(run: RunProgram) -> None:
    outputs = copy.deepcopy(prod_outputs())
    outputs["platform"]["loadBalancerController"] = {"vpcCidr": "10.30.0.0/16"}
    pool = sorted(outputs["platform"]["pools"])[0]
    resources = named(run(balanced_app(pool), stack="dev", stack_outputs={PLATFORM: outputs}))
    rules = resources["scorer-network-policy"].inputs["spec"]["ingress"]
    assert rules[-1] == {
        "from": [{"ipBlock": {"cidr": "10.30.0.0/16"}}],
        "ports": [{"port": "http", "protocol": "TCP"}],
    }
    assert resources["scorer-service"].inputs["spec"]["type"] == "LoadBalancer"

"""ModelServingEndpoint under mocks: runtime defaults, scheduling, hardening, around it."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest

from components import pins
from components.catalog import Taint
from components.load_balancer_controller import LoadBalancing
from components.model_serving_endpoint import (
    AWS_CLI_IMAGE,
    ModelServingEndpoint,
    ModelServingEndpointArgs,
    PoolPlacement,
    registered_model,
)
from tests.conftest import RunProgram, crd_releases, named

pytestmark = pytest.mark.component

POOL: PoolPlacement = {
    "name": "gpu",
    "taints": [Taint("nvidia.com/gpu", "true", "NO_SCHEDULE"), Taint("dedicated", "llm", "NO_EXECUTE")],
    "device_resource": "nvidia.com/gpu",
    "accelerators_per_node": 4,
}
ISSUER = "oidc.eks.us-east-1.amazonaws.com/id/ABC"
BALANCING: LoadBalancing = {"vpc_cidr": "10.0.0.0/16", "releases": []}
"""What ``cluster.load_balancing()`` gives, for endpoints tested without a cluster."""
DIGEST = "123456789012.dkr.ecr.us-east-1.amazonaws.com/serving@sha256:" + "b" * 64


def args(runtime: str, **extra: Any) -> ModelServingEndpointArgs:
    base: dict[str, Any] = {
        "runtime": runtime,
        "image": DIGEST,
        "pool": POOL,
        "bucket_name": "models-bucket-1a2b3c4",
        "model_prefix": "models/fraud/",
        "model_policy": json.dumps({"Version": "2012-10-17", "Statement": []}),
        "oidc_provider_arn": f"arn:aws:iam::123456789012:oidc-provider/{ISSUER}",
        "oidc_issuer_url": f"https://{ISSUER}",
    }
    return {**base, **extra}  # type: ignore[return-value]


def deploy(run: RunProgram, endpoint_args: ModelServingEndpointArgs) -> dict[str, Any]:
    return {
        name: r.inputs | {"_r": r}
        for name, r in named(run(lambda: ModelServingEndpoint("ep", {**endpoint_args, "crds": crd_releases()}))).items()
    }


def pod(r: dict[str, Any]) -> dict[str, Any]:
    return r["ep-deployment"]["spec"]["template"]["spec"]


def test_triton_defaults(run: RunProgram) -> None:
    r = deploy(run, args("triton"))
    spec = pod(r)
    [server] = spec["containers"]
    # No command: the NGC entrypoint (CUDA forward-compatibility set-up) runs, then execs the args.
    assert "command" not in server and server["args"][0] == "tritonserver"
    assert "--model-repository=s3://models-bucket-1a2b3c4/models/fraud" in server["args"]
    assert [(p["name"], p["containerPort"]) for p in server["ports"]] == [
        ("http", 8000),
        ("grpc", 8001),
        ("metrics", 8002),
    ]
    assert server["readinessProbe"]["httpGet"] == {"path": "/v2/health/ready", "port": "http"}
    assert server["livenessProbe"]["httpGet"] == {"path": "/v2/health/live", "port": "http"}
    assert server["startupProbe"]["failureThreshold"] * server["startupProbe"]["periodSeconds"] == 1800
    assert "initContainers" not in spec  # Triton reads the model repository from S3 itself
    assert {"name": "shm", "emptyDir": {"medium": "Memory", "sizeLimit": "8Gi"}} in spec["volumes"]
    assert r["ep-service-monitor"]["spec"]["endpoints"] == [{"interval": "30s", "path": "/metrics", "port": "metrics"}]
    assert [p["name"] for p in r["ep-service"]["spec"]["ports"]] == ["http", "grpc", "metrics"]


def test_vllm_defaults_copy_the_model_from_s3(run: RunProgram) -> None:
    spec = pod(deploy(run, args("vllm", args=["--max-model-len", "8192"])))
    [server] = spec["containers"]
    assert "command" not in server  # the image's OpenAI-compatible server entrypoint
    assert server["args"] == [
        "/models/model",
        "--served-model-name",
        "ep",
        "--port",
        "8000",
        "--max-model-len",
        "8192",
    ]
    assert server["readinessProbe"]["httpGet"]["path"] == "/health"
    env = {e["name"]: e["value"] for e in server["env"]}
    assert env["HF_HOME"] == "/models/cache" and env["HOME"] == "/tmp"
    [copier] = spec["initContainers"]
    assert copier["image"] == AWS_CLI_IMAGE
    assert copier["args"] == [
        "s3",
        "sync",
        "--only-show-errors",
        "s3://models-bucket-1a2b3c4/models/fraud/",
        "/models/model",
    ]
    assert copier["securityContext"]["readOnlyRootFilesystem"] is True


def test_vllm_model_id_uses_the_cache_instead(run: RunProgram) -> None:
    spec = pod(deploy(run, args("vllm", model_id="Qwen/Qwen2.5-1.5B-Instruct")))
    assert spec["containers"][0]["args"][:3] == [
        "Qwen/Qwen2.5-1.5B-Instruct",
        "--served-model-name",
        "Qwen/Qwen2.5-1.5B-Instruct",
    ]
    assert "initContainers" not in spec


def test_custom_runtime_takes_its_port_paths_and_args(run: RunProgram) -> None:
    r = deploy(run, args("custom", port=9000, ready_path="/ready", live_path="/live", args=["serve"]))
    [server] = pod(r)["containers"]
    assert server["ports"] == [{"containerPort": 9000, "name": "http", "protocol": "TCP"}]
    assert server["readinessProbe"]["httpGet"] == {"path": "/ready", "port": "http"}
    assert server["livenessProbe"]["httpGet"] == {"path": "/live", "port": "http"}
    assert server["args"] == ["serve"]
    assert not any(v["name"] == "shm" for v in pod(r)["volumes"])


def test_pod_tolerates_and_selects_its_pool_and_requests_its_gpus(run: RunProgram) -> None:
    spec = pod(deploy(run, args("triton", gpus=2, cpu="8", memory="32Gi")))
    assert spec["nodeSelector"] == {"mlops-platform/pool": "gpu"}
    assert spec["tolerations"] == [
        {"effect": "NoSchedule", "key": "nvidia.com/gpu", "operator": "Equal", "value": "true"},
        {"effect": "NoExecute", "key": "dedicated", "operator": "Equal", "value": "llm"},
    ]
    resources = spec["containers"][0]["resources"]
    assert resources["limits"] == {"cpu": "8", "memory": "32Gi", "nvidia.com/gpu": "2"}
    assert resources["requests"] == resources["limits"]


def test_pods_are_hardened(run: RunProgram) -> None:
    spec = pod(deploy(run, args("vllm")))
    assert spec["securityContext"] == {
        "fsGroup": 10001,
        "runAsGroup": 10001,
        "runAsNonRoot": True,
        "runAsUser": 10001,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    assert spec["automountServiceAccountToken"] is False
    for container in spec["containers"] + spec["initContainers"]:
        context = container["securityContext"]
        assert context["readOnlyRootFilesystem"] is True and context["allowPrivilegeEscalation"] is False
        assert context["capabilities"] == {"drop": ["ALL"]} and context["runAsNonRoot"] is True
        assert {m["mountPath"] for m in container["volumeMounts"]} >= {"/tmp", "/models"}
    assert spec["terminationGracePeriodSeconds"] == 120


def test_identity_reads_only_its_prefix(run: RunProgram) -> None:
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{"Sid": "only-this"}]})
    r = deploy(run, args("triton", model_policy=policy, namespace="payments"))
    assert r["ep-role-policy"]["policy"] == policy
    trust = json.loads(r["ep-role"]["assumeRolePolicy"])["Statement"][0]["Condition"]["StringEquals"]
    assert trust["oidc.eks.us-east-1.amazonaws.com/id/ABC:sub"] == "system:serviceaccount:payments:ep"
    account = r["ep-service-account"]
    assert account["metadata"]["annotations"]["eks.amazonaws.com/role-arn"].startswith(
        "arn:aws:iam::123456789012:role/"
    )
    assert pod(r)["serviceAccountName"] == "ep"


def test_deployment_rolls_without_downtime_and_spreads_in_prod(run: RunProgram) -> None:
    r = deploy(run, args("triton", replicas=2, max_replicas=6, zone_spread=True))
    deployment = r["ep-deployment"]
    assert deployment["spec"]["strategy"] == {
        "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0},
        "type": "RollingUpdate",
    }
    # The HPA owns the replica count: the spec leaves it out (no ignore_changes, which would pin an
    # endpoint published later at zero replicas, where an HPA never scales it).
    assert "replicas" not in deployment["spec"]
    assert deployment["_r"].ignore_changes == []
    [spread] = pod(r)["topologySpreadConstraints"]
    assert spread["topologyKey"] == "topology.kubernetes.io/zone"
    hpa = r["ep-hpa"]["spec"]
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (2, 6)
    assert hpa["metrics"][0]["resource"]["name"] == "cpu"
    assert r["ep-pdb"]["spec"] == {
        "minAvailable": 1,
        "selector": {"matchLabels": {"app.kubernetes.io/instance": "ep", "app.kubernetes.io/name": "ep"}},
    }
    labels = r["ep-deployment"]["metadata"]["labels"]
    assert (
        labels["app.kubernetes.io/part-of"] == "mlops-platform"
        and labels["app.kubernetes.io/component"] == "model-server"
    )


@pytest.mark.parametrize(
    ("rollout", "strategy"),
    [
        ("replace", {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}}),
        ("recreate", {"type": "Recreate"}),
    ],
)
def test_rollouts_that_need_no_spare_node(run: RunProgram, rollout: str, strategy: dict[str, Any]) -> None:
    r = deploy(run, args("vllm", gpus=4, replicas=2, max_replicas=2, rollout=rollout))
    assert r["ep-deployment"]["spec"]["strategy"] == strategy


def test_an_unpublished_model_runs_no_pod_until_published(run: RunProgram) -> None:
    metric = {"autoscaling_metric": "vllm:num_requests_waiting", "replicas": 2, "max_replicas": 3}
    r = deploy(run, args("vllm", published=False, **metric))
    deployment = r["ep-deployment"]
    # The first pulumi up creates the bucket: no pod can load the model yet, so none starts, and
    # the Deployment is ready at once instead of timing out after 50 minutes.
    assert deployment["spec"]["replicas"] == 0
    annotations = deployment["metadata"]["annotations"]
    assert annotations["mlops-platform/model-published"] == "false"
    assert annotations["mlops-platform/model-uri"] == "s3://models-bucket-1a2b3c4/models/fraud/"
    # KEDA would scale it to its minimum: it is held at zero.
    assert r["ep-scaled-object"]["metadata"]["annotations"] == {"autoscaling.keda.sh/paused-replicas": "0"}
    published = deploy(run, args("vllm", **metric))
    # Published: the hold goes, and the replica count is KEDA's (it scales from zero to its minimum).
    assert "replicas" not in published["ep-deployment"]["spec"]
    assert "annotations" not in published["ep-scaled-object"]["metadata"]
    assert published["ep-deployment"]["metadata"]["annotations"]["mlops-platform/model-published"] == "true"
    # Without an autoscaler the flag flips the replica count itself.
    assert deploy(run, args("vllm", published=False))["ep-deployment"]["spec"]["replicas"] == 0
    assert deploy(run, args("vllm", replicas=2))["ep-deployment"]["spec"]["replicas"] == 2


def test_single_replica_has_no_hpa_or_pdb(run: RunProgram) -> None:
    r = deploy(run, args("vllm"))
    assert "ep-hpa" not in r and "ep-pdb" not in r
    assert r["ep-deployment"]["_r"].ignore_changes == []


def test_cpu_hpa_without_a_metric(run: RunProgram) -> None:
    r = deploy(run, args("triton", replicas=2, max_replicas=4))
    assert r["ep-hpa"]["spec"]["metrics"][0]["resource"]["name"] == "cpu"
    assert "ep-scaled-object" not in r


def test_keda_scales_on_a_prometheus_metric_after_its_crds(run: RunProgram) -> None:
    r = deploy(
        run,
        args(
            "vllm", replicas=2, max_replicas=4, autoscaling_metric="vllm:num_requests_waiting", autoscaling_target="5"
        ),
    )
    assert "ep-hpa" not in r  # KEDA owns the HPA it creates
    scaled = r["ep-scaled-object"]
    assert (scaled["apiVersion"], scaled["kind"]) == ("keda.sh/v1alpha1", "ScaledObject")
    spec = scaled["spec"]
    assert (spec["minReplicaCount"], spec["maxReplicaCount"]) == (2, 4)
    assert spec["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "ep"}
    [trigger] = spec["triggers"]
    assert trigger["type"] == "prometheus" and trigger["metricType"] == "AverageValue"
    assert trigger["metadata"] == {
        "serverAddress": "http://kube-prometheus-stack-prometheus.monitoring.svc:9090",
        "query": 'sum(vllm:num_requests_waiting{namespace="serving",service="ep"})',
        "threshold": "5",
    }
    deps = set(scaled["_r"].dependencies)
    assert {r["keda"]["_r"].urn, r["ep-deployment"]["_r"].urn} <= deps


def test_service_monitor_waits_for_the_crds(run: RunProgram) -> None:
    r = deploy(run, args("triton"))
    assert r["prometheus-operator-crds"]["_r"].urn in r["ep-service-monitor"]["_r"].dependencies


def test_await_covers_scale_up_pull_copy_and_startup(run: RunProgram) -> None:
    def timeout(endpoint: dict[str, Any]) -> int:
        return int(endpoint["ep-deployment"]["metadata"]["annotations"]["pulumi.com/timeoutSeconds"])

    # Triton reads S3 itself: node from zero (360) + image pull (420) + startup (1800).
    assert timeout(deploy(run, args("triton"))) == 360 + 420 + 1800
    # vLLM copies the model first (420 more), and a shorter startup budget shortens the wait.
    assert timeout(deploy(run, args("vllm", startup_seconds=600))) == 360 + 420 + 420 + 600


def test_runtime_images_default_to_the_pinned_releases(run: RunProgram) -> None:
    endpoint_args = args("vllm")
    del endpoint_args["image"]  # type: ignore[misc]
    [server] = pod(deploy(run, endpoint_args))["containers"]
    assert server["image"] == pins.image("vllm-openai")


def test_service_is_internal_unless_allowed(run: RunProgram) -> None:
    assert deploy(run, args("triton"))["ep-service"]["spec"]["type"] == "ClusterIP"
    internal = deploy(run, args("triton", load_balancer="internal", load_balancing=BALANCING))["ep-service"]
    assert internal["spec"]["type"] == "LoadBalancer"
    assert internal["metadata"]["annotations"]["service.beta.kubernetes.io/aws-load-balancer-scheme"] == "internal"


def test_network_policy_admits_callers_and_monitoring(run: RunProgram) -> None:
    policy = deploy(run, args("triton", allowed_namespaces=["payments"]))["ep-network-policy"]["spec"]
    serving, metrics = policy["ingress"]
    assert [f["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"] for f in serving["from"]] == [
        "payments",
        "serving",
    ]
    assert [p["port"] for p in serving["ports"]] == ["http", "grpc"]
    assert metrics["from"][0]["namespaceSelector"]["matchLabels"] == {"kubernetes.io/metadata.name": "monitoring"}
    assert metrics["ports"] == [{"port": "metrics", "protocol": "TCP"}]


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"runtime": "torchserve"}, "runtime must be one of triton, vllm, custom"),
        ({"image": "vllm/vllm-openai:latest"}, "never latest"),
        ({"image": "vllm/vllm-openai"}, "must be pinned"),
        ({"gpus": 8}, "gpus must be 1..4"),
        (
            {"pool": {**POOL, "taints": [{"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"}]}},
            r"pool taints\[0\] must be a components.catalog.Taint\(key, value, effect\), not dict",
        ),
        ({"model_prefix": "models/fraud"}, "must be a key prefix"),
        ({"load_balancer": "internet-facing"}, "needs allow_internet_facing"),
        ({"replicas": 3, "max_replicas": 2}, "replicas must be >= 1 and <= max_replicas"),
        ({"model_id": "x/y"}, "model_id is for the vllm runtime only"),
        ({"autoscaling_metric": "vllm num waiting", "max_replicas": 3}, "PromQL cannot parse it"),
        (
            {"autoscaling_metric": 'vllm:num_requests_waiting{x="y"} or vector(99)', "max_replicas": 3},
            "PromQL reads it as BinaryExpr",
        ),
        ({"autoscaling_target": "5) or vector(1"}, "autoscaling_target .* must be a positive decimal number"),
        ({"autoscaling_target": "-1"}, "must be a positive decimal number such as 10 or 0.5"),
        ({"autoscaling_metric": "vllm:num_requests_waiting"}, "autoscaling_metric needs max_replicas"),
        ({"runtime": "custom", "image": None}, "image is required for the custom runtime"),
        ({"rollout": "blue-green"}, "rollout must be one of surge, replace, recreate"),
    ],
)
def test_bad_arguments_declare_nothing(run: RunProgram, change: dict[str, Any], fragment: str) -> None:
    def program() -> None:
        with pytest.raises(ValueError, match=fragment):
            endpoint_args: dict[str, Any] = {**args("triton"), "crds": [], **change}
            ModelServingEndpoint("ep", {k: v for k, v in endpoint_args.items() if v is not None})  # type: ignore[arg-type]

    assert list(named(run(program))) == []


G5 = {**POOL, "accelerators_per_node": 1, "instance_types": ["g5.xlarge"]}  # 4 vCPUs, 16 GiB


@pytest.mark.parametrize(
    ("pool", "change", "fragments"),
    [
        (G5, {"cpu": "4"}, ["cpu must leave 0.5 CPU for the node: at most 3.5 on g5.xlarge (got 4) (pool 'gpu')"]),
        (G5, {"memory": "15Gi"}, ["memory must fit 85% of g5.xlarge's 16Gi (got 15Gi) (pool 'gpu')"]),
        (
            G5,
            {"cpu": "8", "memory": "64Gi", "gpus": 2},
            ["gpus must be 1..1", "cpu must leave 0.5 CPU", "memory must fit 85%"],  # every problem at once
        ),
        (G5, {"cpu": "two"}, ["cpu must be a Kubernetes CPU quantity such as 2 or 500m (got 'two')"]),
        (
            {**POOL, "taints": [{"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"}]},
            {},
            ["pool taints[0] must be a components.catalog.Taint(key, value, effect), not dict"],
        ),
        ({**POOL, "taints": [Taint("k", "v", "NoSchedule")]}, {}, ["pool taints[0] effect must be one of NO_SCHEDULE"]),
        ({**POOL, "accelerators_per_node": "4"}, {}, ["pool accelerators_per_node must be an integer >= 1 (got '4')"]),
        ({**POOL, "instance_types": "g5.xlarge"}, {}, ["pool instance_types must be a list of EC2 instance types"]),
    ],
)
@pytest.mark.parametrize("as_output", [False, True])
def test_the_pool_is_checked_plain_or_as_an_output(
    run: RunProgram, pool: dict[str, Any], change: dict[str, Any], fragments: list[str], as_output: bool
) -> None:
    """A placement the program knows is checked at once; another stack's (an Output) when known:
    either way every problem is named, typed, before the Deployment is declared."""

    def program() -> None:
        placement: Any = pulumi.Output.from_input(pool) if as_output else pool
        endpoint_args: Any = {**args("triton", pool=placement), **change, "crds": []}
        ModelServingEndpoint("ep", endpoint_args)

    # An Output's problems surface where the SDK re-raises what an apply raised.
    with pytest.raises(Exception if as_output else ValueError) as raised:
        run(program)
    for fragment in fragments:
        assert fragment in str(raised.value)


def test_a_registered_model_must_be_readable_from_the_endpoints_namespace(run: RunProgram) -> None:
    model = registered_model(
        "fraud",
        tracking_uri="http://mlflow.mlflow.svc:5000",
        client_image=DIGEST,
        credentials_secret="mlflow-reader",
        version=3,
        namespaces=["payments"],
    )
    endpoint_args: Any = {**args("triton", registered_model=model, namespace="serving"), "crds": []}
    for key in ("bucket_name", "model_prefix", "model_policy"):
        del endpoint_args[key]
    with pytest.raises(ValueError, match="namespace 'serving' holds no reader account of the model registry"):
        run(lambda: ModelServingEndpoint("ep", endpoint_args))
    assert (
        deploy(run, {**endpoint_args, "namespace": "payments"})["ep-deployment"]["metadata"]["namespace"] == "payments"
    )


def test_every_problem_of_an_endpoint_is_named_at_once(run: RunProgram) -> None:
    endpoint_args: Any = {
        **args("triton", pool=G5),
        "replicas": "2",  # a wrong type, named with the others
        "cpu": 2,  # not a quantity string
        "memory": "64Gi",
        "image": "repo@sha256:zzzz",
        "load_balancer": "public",
        "crds": [],
    }
    with pytest.raises(ValueError) as raised:
        run(lambda: ModelServingEndpoint("ep", endpoint_args))
    message = str(raised.value)
    for fragment in (
        "replicas must be an integer (got '2')",
        "image 'repo@sha256:zzzz' is not a valid image reference",
        "cpu must be a Kubernetes CPU quantity such as 2 or 500m (got 2)",
        "memory must fit 85% of g5.xlarge's 16Gi (got 64Gi)",
        "load_balancer must be none, internal or internet-facing (got 'public')",
    ):
        assert fragment in message


def test_a_canary_reads_a_pinned_model_published_or_not(run: RunProgram) -> None:
    """What a canaried pod downloads is part of its template: a registry version, or a version
    directory of the bucket prefix (Triton reads it from S3 itself, vLLM syncs it), so a new
    version is a new template, which the Rollout canaries; an alias or a bare prefix is refused."""
    alias_only = registered_model(
        "fraud", tracking_uri="http://mlflow:5000", client_image=DIGEST, credentials_secret="r", alias="champion"
    )
    registered: Any = {**args("triton", registered_model=alias_only, canary=True, published=False), "crds": []}
    for key in ("bucket_name", "model_prefix", "model_policy"):
        del registered[key]
    with pytest.raises(ValueError, match=r"registered_model version: a canaried endpoint serves a pinned version"):
        run(lambda: ModelServingEndpoint("ep", registered))
    with pytest.raises(ValueError, match=r"model_version: a canaried endpoint reads one version directory of its "):
        run(lambda: ModelServingEndpoint("ep", {**args("triton", canary=True), "crds": []}))
    hub: Any = {**args("vllm", canary=True, model_id="org/model"), "crds": []}
    with pytest.raises(ValueError, match=r"model_id: a canaried endpoint serves a pinned model, but vLLM downloads"):
        run(lambda: ModelServingEndpoint("ep", hub))
    with pytest.raises(ValueError, match=r"model_version must be one S3 key segment"):
        run(lambda: ModelServingEndpoint("ep", {**args("triton", model_version="../v1"), "crds": []}))

    triton = deploy(run, args("triton", canary=True, model_version="v8"))
    server = triton["ep-rollout"]["spec"]["template"]["spec"]["containers"][0]
    assert "--model-repository=s3://models-bucket-1a2b3c4/models/fraud/v8" in server["args"]
    assert triton["ep-rollout"]["metadata"]["annotations"]["mlops-platform/model-uri"] == (
        "s3://models-bucket-1a2b3c4/models/fraud/v8/"
    )
    vllm = deploy(run, args("vllm", canary=True, model_version="2024-07-23"))
    copier = vllm["ep-rollout"]["spec"]["template"]["spec"]["initContainers"][0]
    assert copier["args"][3] == "s3://models-bucket-1a2b3c4/models/fraud/2024-07-23/"
    # Without a canary the bare prefix is still admitted (a Deployment), and read as before.
    plain = pod(deploy(run, args("triton")))["containers"][0]["args"]
    assert "--model-repository=s3://models-bucket-1a2b3c4/models/fraud" in plain

"""ModelServingEndpoint: a GPU model server on Kubernetes (Triton, vLLM or a custom image).

The pod always tolerates and selects its pool, requests the pool's accelerator resource,
reads only its model prefix through an IRSA role, and runs hardened (non-root, read-only
root filesystem, no capabilities, seccomp RuntimeDefault).

Children (``<name>-<suffix>``): ``role`` (+ ``-policy``), ``service-account``,
``deployment``, ``service``, ``network-policy``, ``service-monitor`` and, when asked for,
``hpa`` (CPU) or ``scaled-object`` (KEDA, on a Prometheus metric), and ``pdb``.

Deploy readiness, by construction: the ServiceMonitor and ScaledObject depend on ``crds``
(the cluster's CRD releases); the Deployment's await (``pulumi.com/timeoutSeconds``) covers
a GPU node scaling up from zero, the image pull, the model copy and the startup budget.
"""

import asyncio
import re
from collections.abc import Awaitable, Mapping, Sequence
from typing import Any, NotRequired, TypedDict, TypeVar, cast

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components import catalog, delivery, pins, timings
from components.alerting import EndpointAlerts
from components.autoscaling import METRIC_TYPES, autoscaling_metric_problems, keda_trigger
from components.catalog import POOL_LABEL, Taint
from components.errors import ComponentError, argument_type_problems, declared_at, instance, well_typed
from components.gpu_node_pool import GpuNodePool
from components.iam import irsa_role
from components.load_balancer_controller import (
    LOAD_BALANCER_CLASS,
    NO_CLIENT_IP,
    TARGET_GROUP_ATTRIBUTES_ANNOTATION,
    LoadBalancing,
    load_balancer_ingress,
    load_balancing_problems,
)
from components.naming import (
    INTERNET_FACING_ANNOTATION,
    MODEL_PUBLISHED_ANNOTATION,
    MODEL_URI_ANNOTATION,
    aws_region_problems,
    key_prefix_problems,
    pinned_image_problems,
)
from components.pods import hardened, pod_security_context, zone_spread
from components.promql import metric_name_problems, threshold_problems
from components.runtimes import (
    MODEL_DIR,
    RUNTIMES,
    TRITON,
    VLLM,
    Port,
    Probe,
    runtime_spec,
)

T = TypeVar("T")
A = TypeVar("A")
ROLLOUTS = {
    "surge": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
    "replace": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}},
    "recreate": {"type": "Recreate"},
}
"""Deployment strategies: ``surge`` starts a new pod before stopping an old one (no capacity lost,
but the pool needs room for one more pod at the maximum replicas); ``replace`` stops one old pod
first (one replica's capacity lost during the rollout, no spare node needed); ``recreate`` stops
every pod first (downtime; for a single pod that fills a node)."""
PAUSED_REPLICAS_ANNOTATION = "autoscaling.keda.sh/paused-replicas"
"""KEDA holds a ScaledObject's target at this count while the annotation is set."""
AWS_CLI_IMAGE = pins.image("aws-cli")
"""Default image that copies a model from S3 before the server starts (an AWS CLI release);
prod passes a digest-pinned copy from its own registry (``copier_image``)."""
DEFAULT_IMAGES = {"triton": pins.image("tritonserver"), "vllm": pins.image("vllm-openai")}
"""Server image of each runtime when none is given (``custom`` needs one)."""
TAINT_EFFECTS = ("NO_SCHEDULE", "NO_EXECUTE", "PREFER_NO_SCHEDULE")
"""Taint effects in the EKS API spelling (:class:`~components.catalog.Taint`)."""
SHM_LIMIT = "8Gi"
REGISTRY_CREDENTIALS_DIR = "/run/mlflow-reader"
"""Where a registered model's downloader finds the registry account (its Secret, mounted)."""


class PoolPlacement(TypedDict):
    """Where an endpoint runs: what a :class:`GpuNodePool` exposes about its nodes."""

    name: str
    """Pool name (node label ``mlops-platform/pool``)."""
    taints: Sequence[Taint]
    """Taints of the pool's nodes; the pod tolerates each."""
    device_resource: str
    """Extended resource of the accelerator (``nvidia.com/gpu``)."""
    accelerators_per_node: int
    """Accelerators per node: the most one pod can request."""
    instance_types: NotRequired[Sequence[str]]
    """EC2 instance types of the nodes: CPU and memory requests must fit the smallest."""


class RegisteredModel(TypedDict):
    """A model version in a :class:`~components.model_registry.ModelRegistry`: the pinned
    ``version`` pods download, and optionally the ``alias`` it was promoted from
    (``registry.registered("fraud-detector", version=7, alias="champion")``)."""

    tracking_uri: pulumi.Input[str]
    """The registry's URL (``http://mlflow.mlflow.svc:5000``)."""
    name: str
    """Registered model name."""
    version: NotRequired[int]
    """Model version pods download (``models:/NAME/VERSION``); required once published."""
    alias: NotRequired[str]
    """Model alias, e.g. ``champion``: the intent ``mlops promote`` resolves into ``version``.
    Alone (no version) only while unpublished: pods would resolve it when they start."""
    client_image: pulumi.Input[str]
    """Image with the MLflow client that downloads it (the registry's own image)."""
    credentials_secret: str
    """Secret in the endpoint's namespace with the registry account (``username``, ``password``)."""
    namespaces: NotRequired[Sequence[str]]
    """The namespaces holding ``credentials_secret`` (those the registry admits): the endpoint's
    must be one of them, or its pods wait for a Secret that never comes."""


def registered_model(
    name: str,
    *,
    tracking_uri: pulumi.Input[str],
    client_image: pulumi.Input[str],
    credentials_secret: str,
    version: int | None = None,
    alias: str | None = None,
    namespaces: Sequence[str] | None = None,
) -> RegisteredModel:
    """A :class:`RegisteredModel` with the version or alias given (the registry's helpers,
    ``ModelRegistry.registered`` and ``PlatformStack.registered``, build it); ``namespaces``
    are those holding the registry's reader Secret (unchecked when None)."""
    model: RegisteredModel = {
        "tracking_uri": tracking_uri,
        "name": name,
        "client_image": client_image,
        "credentials_secret": credentials_secret,
    }
    if version is not None:
        model["version"] = version
    if alias is not None:
        model["alias"] = alias
    if namespaces is not None:
        model["namespaces"] = list(namespaces)
    return model


def model_uri(model: RegisteredModel) -> str:
    """The registry URI pods download: the pinned ``models:/NAME/VERSION``; ``models:/NAME@ALIAS``
    only for an unpinned alias, which :func:`model_source_problems` admits only unpublished."""
    if "version" in model:
        return f"models:/{model['name']}/{model['version']}"
    return f"models:/{model['name']}@{model.get('alias', '')}"


def registered_model_problems(model: RegisteredModel) -> list[str]:
    """What is wrong with a registered model reference."""
    if "version" not in model and "alias" not in model:
        return [f"registered_model {model.get('name')!r} needs a version (and optionally the alias it pins)"]
    version: object = model.get("version", 1)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        return [f"registered_model version must be an integer >= 1 (got {version!r})"]
    if "alias" in model and not re.match(r"^[A-Za-z0-9_-]{1,255}$", model["alias"]):
        return [f"registered_model alias must be letters, digits, _ or - (got {model['alias']!r})"]
    return []


class CanaryAnalysis(TypedDict):
    """What a canary is judged on: the same thresholds (and, for ``custom``, metrics) as the
    endpoint's alerts (:class:`~components.alerting.EndpointAlerts`)."""

    error_ratio: NotRequired[float]
    """Failed share of the canary's requests above which it fails (default 0.05)."""
    p95_latency_seconds: NotRequired[float]
    """p95 request latency above which it fails (Triton and custom; default 2 s)."""
    slo_seconds: NotRequired[Mapping[str, float]]
    """p95 thresholds by SLO signal (``ttft``, ``itl``, ``latency``, ``queue``), over the runtime's defaults."""
    requests_metric: NotRequired[str]
    """custom: request counter (default ``http_requests_total``)."""
    error_selector: NotRequired[str]
    """custom: label matchers selecting failed requests (default ``status=~"5.."``)."""
    latency_histogram: NotRequired[str]
    """custom: latency histogram in seconds (default ``http_request_duration_seconds``)."""


class ModelServingEndpointArgs(TypedDict):
    """Arguments of :class:`ModelServingEndpoint`."""

    runtime: str
    """``triton``, ``vllm`` or ``custom``."""
    crds: Sequence[k8s.helm.v3.Release]
    """What installs the ServiceMonitor and ScaledObject CRDs: the cluster's ``Cluster.crds``.
    The endpoint's custom objects depend on them, so a first ``pulumi up`` never applies one early.
    Empty when a platform stack installed them (``PlatformStack.for_workloads()``)."""
    image: NotRequired[pulumi.Input[str]]
    """Server image, pinned by version or digest (``latest`` is refused); default: the pinned
    release of the runtime (:data:`DEFAULT_IMAGES`); required for ``custom``."""
    pool: pulumi.Input[PoolPlacement]
    """The GPU pool that runs it: ``placement(pool)`` of a pool in this program, or
    ``PlatformStack.placement(name)`` of one in a platform stack (an Output, checked when known)."""
    bucket_name: NotRequired[pulumi.Input[str]]
    """Bucket holding the model (with ``model_prefix`` and ``model_policy``: ``bucket.model_source(prefix)``)."""
    model_prefix: NotRequired[str]
    """Key prefix of the model, e.g. ``models/fraud-detector/``."""
    model_policy: NotRequired[pulumi.Input[str]]
    """IAM policy JSON for the IRSA role: the bucket's read-only document for the prefix."""
    model_version: NotRequired[str]
    """The version directory under ``model_prefix`` pods read (``{model_prefix}{model_version}/``),
    written once: a new version is a new directory and a new pod template. Required with ``canary``;
    the role still reads the whole prefix, so stable pods restarting during a canary find theirs."""
    registered_model: NotRequired[RegisteredModel]
    """Serve a version or alias from a model registry instead of a bucket prefix: an init container
    downloads it with the namespace's registry account before the server starts."""
    oidc_provider_arn: pulumi.Input[str]
    """Cluster OIDC provider ARN."""
    oidc_issuer_url: pulumi.Input[str]
    """Cluster OIDC issuer URL."""
    namespace: NotRequired[str]
    """Namespace (default ``serving``); it must exist."""
    gpus: NotRequired[int]
    """Accelerators per pod (default 1)."""
    replicas: NotRequired[int]
    """Replicas, and the HPA minimum (default 1)."""
    max_replicas: NotRequired[int]
    """HPA maximum; no HPA without it."""
    cpu: NotRequired[str]
    """CPU request and limit (default ``2``)."""
    memory: NotRequired[str]
    """Memory request and limit (default ``8Gi``)."""
    model_id: NotRequired[str]
    """vLLM only: serve a model id (downloaded into the cache volume) instead of the S3 prefix."""
    served_model_name: NotRequired[str]
    """vLLM only: the model id clients ask for and the ``model_name`` label of its metrics
    (default: ``model_id``, else the endpoint's name; never the local path)."""
    hf_token_secret: NotRequired[str]
    """vLLM with ``model_id`` only: Secret in the endpoint's namespace whose key ``token`` is a
    Hugging Face access token, passed as ``HF_TOKEN`` (gated or private models)."""
    port: NotRequired[int]
    """custom only: container port (default 8000)."""
    ready_path: NotRequired[str]
    """custom only: readiness path (default ``/health``)."""
    live_path: NotRequired[str]
    """custom only: liveness path (default ``/health``)."""
    args: NotRequired[Sequence[str]]
    """Extra server arguments (custom: all of them)."""
    rollout: NotRequired[str]
    """How a change rolls out (:data:`ROLLOUTS`): ``surge`` (default), ``replace`` or ``recreate``."""
    published: NotRequired[bool]
    """Whether the model exists where the endpoint reads it (default True). False deploys the
    endpoint at zero replicas, its autoscaler held (HPA disabled at zero, KEDA paused), so a first
    ``pulumi up`` completes before anyone could publish the model; flip it once the model is there."""
    startup_seconds: NotRequired[int]
    """Time allowed for the model to load before liveness applies (default 1800)."""
    autoscaling_metric: NotRequired[str]
    """Scale on this signal of the endpoint's own series through a KEDA ScaledObject instead of a
    CPU HPA (:mod:`components.autoscaling`): a gauge (``vllm:num_requests_waiting``), a counter's
    rate (``rate(http_requests_total[2m])``) or a latency quantile
    (``histogram_quantile(0.95, rate(vllm:e2e_request_latency_seconds_bucket[2m]))``); a metric of the
    wrong type for its shape is refused. KEDA queries the monitoring namespace's Prometheus."""
    autoscaling_target: NotRequired[str]
    """Target of ``autoscaling_metric``: per replica for a gauge or rate, for the endpoint as a
    whole for a quantile (default ``"10"``)."""
    metric_types: NotRequired[Mapping[str, str]]
    """custom only: the Prometheus type (``counter``, ``gauge``, ``histogram``, ``summary``) of
    metrics the image exports, by exposed name (``{"queue_depth": "gauge"}``); the canary's
    ``requests_metric`` (a counter) and ``latency_histogram`` are declared already."""
    prometheus_url: NotRequired[str]
    """Prometheus KEDA queries (default: kube-prometheus-stack's in ``monitoring_namespace``)."""
    zone_spread: NotRequired[bool]
    """Spread replicas across zones (default False; the stack sets it in prod)."""
    disruption_budget: NotRequired[bool]
    """PodDisruptionBudget keeping one replica up (default: when replicas >= 2)."""
    load_balancer: NotRequired[str]
    """``none`` (default: ClusterIP), ``internal`` NLB or ``internet-facing`` NLB."""
    allow_internet_facing: NotRequired[bool]
    """Must be True for ``load_balancer: internet-facing``."""
    load_balancing: NotRequired[LoadBalancing]
    """The cluster's AWS Load Balancer Controller, which a ``load_balancer`` needs:
    ``cluster.load_balancing()`` or ``PlatformStack.load_balancing()``."""
    allowed_namespaces: NotRequired[Sequence[str]]
    """Namespaces whose pods may call the endpoint (its own is always allowed)."""
    monitoring_namespace: NotRequired[str]
    """Namespace of Prometheus, admitted to the metrics port (default ``monitoring``)."""
    region: NotRequired[pulumi.Input[str]]
    """AWS region the pods call (the model copy's S3 and STS): ``PlatformStack.for_workloads()``
    gives the platform's (an Output); without it, the region of the AWS provider in ``opts`` (or
    of the default provider, ``aws:region``). No region anywhere is an error."""
    copier_image: NotRequired[pulumi.Input[str]]
    """Image with the AWS CLI that copies the model from S3 (default :data:`AWS_CLI_IMAGE`)."""
    canary: NotRequired[bool]
    """Serve through an Argo Rollout (:mod:`components.delivery`) instead of a Deployment: a change
    starts as one canary pod, analysed on the endpoint's SLOs in Prometheus and rolled back on its
    own when they fail (default False; ``crds`` must then include the Argo Rollouts release:
    ``Cluster`` with ``argo_rollouts``). ``rollout`` picks surge or replace for the canary pod."""
    canary_analysis: NotRequired[CanaryAnalysis]
    """The thresholds the canary is judged on: the endpoint's alert thresholds (default: theirs)."""


def server_image(args: ModelServingEndpointArgs) -> pulumi.Input[str] | None:
    """The server image: the one given, else the runtime's pinned release (None for custom)."""
    return args.get("image", DEFAULT_IMAGES.get(args["runtime"]))


def validate_endpoint(given: ModelServingEndpointArgs) -> list[str]:
    """Everything wrong with the arguments (empty when valid), all at once: the checks below
    read the arguments of the declared types, the wrong-typed ones are named first."""
    problems = argument_type_problems(given, ModelServingEndpointArgs)
    args = cast(ModelServingEndpointArgs, well_typed(given, ModelServingEndpointArgs))
    if args["runtime"] not in RUNTIMES:
        problems.append(f"runtime must be one of {', '.join(RUNTIMES)} (got {args['runtime']!r})")
    if "crds" not in args:
        problems.append("crds is required: pass cluster.crds (the releases installing the CRDs it uses)")
    image = server_image(args)
    if image is None:
        problems.append("image is required for the custom runtime")
    elif isinstance(image, str):
        problems += pinned_image_problems(image)
    metric = args.get("autoscaling_metric")
    if metric is not None and args["runtime"] in RUNTIMES:
        problems += [
            f"autoscaling_metric: {p}"
            for p in autoscaling_metric_problems(args["runtime"], metric, declared_metric_types(args))
        ]
    problems += metric_types_problems(args)
    target = args.get("autoscaling_target")
    if target is not None:
        problems += [f"autoscaling_target {target!r} {p}" for p in threshold_problems(target)]
    if metric is not None and "max_replicas" not in args:
        problems.append("autoscaling_metric needs max_replicas")
    problems += model_source_problems(args) + region_problems(args)
    pool = args["pool"]
    if isinstance(pool, dict):  # an Output (another stack's pool) is checked once known
        problems += placement_problems(args, pool)
    elif not isinstance(pool, pulumi.Output):
        problems.append(
            "pool must be a PoolPlacement: placement(pool) or PlatformStack.placement(name) "
            f"(got {type(pool).__name__})"
        )
    replicas = args.get("replicas", 1)
    if replicas < 1 or args.get("max_replicas", replicas) < replicas:
        problems.append(f"replicas must be >= 1 and <= max_replicas (got {replicas}, {args.get('max_replicas')})")
    if args.get("rollout", "surge") not in ROLLOUTS:
        problems.append(f"rollout must be one of {', '.join(ROLLOUTS)} (got {args.get('rollout')!r})")
    problems += balancer_problems(args)
    problems += canary_problems(args)
    if "model_id" in args and args["runtime"] != "vllm":
        problems.append("model_id is for the vllm runtime only")
    if "served_model_name" in args and args["runtime"] != "vllm":
        problems.append("served_model_name is for the vllm runtime only")
    if "hf_token_secret" in args:
        secret = args["hf_token_secret"]
        if "model_id" not in args:
            problems.append("hf_token_secret needs model_id (a model downloaded from Hugging Face)")
        if not re.match(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$", secret):
            problems.append(f"hf_token_secret must be a Kubernetes Secret name (got {secret!r})")
    return problems


def declared_metric_types(args: ModelServingEndpointArgs) -> dict[str, str]:
    """A custom image's metric types: the canary's request counter and latency histogram (their
    defaults, which its alerts read too) and what ``metric_types`` declares."""
    analysis = args.get("canary_analysis", {})
    return {
        analysis.get("requests_metric", "http_requests_total"): "counter",
        analysis.get("latency_histogram", "http_request_duration_seconds"): "histogram",
        **args.get("metric_types", {}),
    }


def metric_types_problems(args: ModelServingEndpointArgs) -> list[str]:
    """``metric_types``: custom only, metric names mapped to a Prometheus type."""
    declared = args.get("metric_types")
    if declared is None:
        return []
    if args["runtime"] != "custom":
        return [f"metric_types is for the custom runtime only ({args['runtime']}'s come from its catalogue)"]
    problems: list[str] = []
    for name, kind in declared.items():
        problems += [f"metric_types {name!r} {p}" for p in metric_name_problems(name)]
        if kind not in METRIC_TYPES:
            problems.append(f"metric_types {name!r} must be one of {', '.join(METRIC_TYPES)} (got {kind!r})")
    return problems


def region_problems(args: ModelServingEndpointArgs) -> list[str]:
    """A region given as a string must be an AWS region; an Output (the platform's) is checked
    once known (:func:`checked_region`)."""
    region = args.get("region")
    return [f"region {region!r} {p}" for p in aws_region_problems(region)] if isinstance(region, str) else []


def balancer_problems(args: ModelServingEndpointArgs) -> list[str]:
    """A load balancer of a known scheme, internet-facing only when allowed, and its controller."""
    balancer = args.get("load_balancer", "none")
    problems: list[str] = []
    if balancer not in ("none", "internal", "internet-facing"):
        problems.append(f"load_balancer must be none, internal or internet-facing (got {balancer!r})")
    if balancer == "internet-facing" and not args.get("allow_internet_facing", False):
        problems.append("an internet-facing load balancer needs allow_internet_facing: True")
    return problems + load_balancing_problems(balancer, args.get("load_balancing"))


def canary_problems(args: ModelServingEndpointArgs) -> list[str]:
    """A canary needs a stable pod serving next to it (:func:`components.delivery.canary_rollout_problems`)
    and a pinned model in its template (:func:`components.delivery.canary_source_problem`)."""
    if not args.get("canary", False):
        return ["canary_analysis needs canary: True"] if "canary_analysis" in args else []
    problems = [
        message
        for _key, message in delivery.canary_rollout_problems(args.get("rollout", "surge"), args.get("replicas", 1))
    ]
    if "registered_model" in args:
        model = args["registered_model"]
        problem = delivery.canary_source_problem(
            "registered", "version" in model, alias=model.get("alias", ""), endpoint="NAME"
        )
        problems += [f"registered_model version: {problem}"] if problem else []
    elif "model_id" in args:
        problems.append(f"model_id: {delivery.canary_source_problem('hub', False, model_id=args['model_id'])}")
    elif "model_prefix" in args:
        problem = delivery.canary_source_problem("bucket", "model_version" in args, prefix=args["model_prefix"])
        problems += [f"model_version: {problem}"] if problem else []
    return problems


def canary_alerts(name: str, namespace: str, args: ModelServingEndpointArgs) -> EndpointAlerts:
    """The endpoint's alert thresholds, which its canary analysis applies to the canary pods."""
    return {"name": name, "namespace": namespace, "runtime": args["runtime"], **args.get("canary_analysis", {})}


def model_source_problems(args: ModelServingEndpointArgs) -> list[str]:
    """One model source: a bucket prefix (``bucket.model_source(prefix)``) or a registered model
    whose registry admits the endpoint's namespace."""
    problems: list[str] = []
    source = [key for key in ("bucket_name", "model_prefix", "model_policy") if key in args]
    if "registered_model" in args:
        if source:
            problems.append(f"registered_model replaces {', '.join(source)}: give one model source")
        problems += registered_model_problems(args["registered_model"])
        model = args["registered_model"]
        if "version" not in model and "alias" in model and args.get("published", True):
            problems.append(
                f"registered_model {model['name']}@{model['alias']} is not pinned: pods would resolve the alias "
                "when they start (a mixed-version fleet); pin its version (mlops promote) before publishing"
            )
        admitted = args["registered_model"].get("namespaces")
        namespace = args.get("namespace", "serving")
        if admitted is not None and namespace not in admitted:
            problems.append(
                f"namespace {namespace!r} holds no reader account of the model registry (it admits: "
                f"{', '.join(sorted(admitted)) or 'none'}); add it to the registry's allowed_namespaces"
            )
        if "model_id" in args:
            problems.append("model_id and registered_model are two model sources: give one")
    elif len(source) != 3:
        problems.append(
            "the model needs bucket_name, model_prefix and model_policy (bucket.model_source(prefix)), "
            "or registered_model"
        )
    else:
        problems += key_prefix_problems(args.get("model_prefix", ""))
    version = args.get("model_version")
    if version is not None and ("model_prefix" not in args or "model_id" in args):
        problems.append("model_version is a directory under model_prefix: it needs a bucket model source")
    elif version is not None and not MODEL_VERSION.fullmatch(version):
        problems.append(f"model_version must be one S3 key segment: letters, digits, '.', '_' or '-' (got {version!r})")
    return problems


MODEL_VERSION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
"""A version directory: one key segment, never ``..`` or a nested path."""


def model_read_prefix(args: ModelServingEndpointArgs) -> str:
    """The key prefix pods read: ``model_prefix``, or its ``model_version`` directory."""
    prefix = args.get("model_prefix", "")
    return f"{prefix}{args['model_version']}/" if "model_version" in args else prefix


def placement_problems(args: ModelServingEndpointArgs, pool: PoolPlacement) -> list[str]:
    """Whether the pod fits the pool: a well-typed placement, accelerators per pod within the
    pool's per node, and CPU and memory within its smallest node (when it names its types)."""
    if wrong := pool_placement_problems(pool):
        return wrong
    problems: list[str] = []
    gpus = args.get("gpus", 1)
    if not 1 <= gpus <= pool["accelerators_per_node"]:
        problems.append(
            f"gpus must be 1..{pool['accelerators_per_node']} (pool {pool['name']!r} nodes have "
            f"{pool['accelerators_per_node']}; got {gpus})"
        )
    fit = catalog.node_fit_problems(
        list(pool.get("instance_types", [])), args.get("cpu", "2"), args.get("memory", "8Gi")
    )
    problems += [f"{key} {problem} (pool {pool['name']!r})" for key, problem in fit]
    return problems


def pool_placement_problems(pool: object) -> list[str]:
    """What makes ``pool`` no :class:`PoolPlacement` (a hand-built one with dict taints, a
    string count, ...): named field by field instead of failing later inside the Deployment."""
    if not isinstance(pool, Mapping):
        return [f"pool must be a PoolPlacement mapping (got {type(pool).__name__})"]
    given = cast(Mapping[str, object], pool)
    problems: list[str] = []
    for key, kind in (("name", str), ("device_resource", str)):
        if not isinstance(given.get(key), kind):
            problems.append(f"pool {key} must be a string (got {given.get(key)!r})")
    count = given.get("accelerators_per_node")
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        problems.append(f"pool accelerators_per_node must be an integer >= 1 (got {count!r})")
    taints = given.get("taints")
    if not isinstance(taints, Sequence) or isinstance(taints, str):
        problems.append(f"pool taints must be a list of components.catalog.Taint (got {type(taints).__name__})")
    else:
        for index, taint in enumerate(cast(Sequence[object], taints)):
            if not isinstance(taint, Taint):
                problems.append(
                    f"pool taints[{index}] must be a components.catalog.Taint(key, value, effect), "
                    f"not {type(taint).__name__} ({taint!r})"
                )
            elif taint.effect not in TAINT_EFFECTS:
                problems.append(
                    f"pool taints[{index}] effect must be one of {', '.join(TAINT_EFFECTS)} (got {taint.effect!r})"
                )
    types = given.get("instance_types", [])
    if (
        not isinstance(types, Sequence)
        or isinstance(types, str)
        or not all(isinstance(t, str) for t in cast(Sequence[object], types))
    ):
        problems.append(f"pool instance_types must be a list of EC2 instance types (got {types!r})")
    return problems


def checked_placement(
    name: str, args: ModelServingEndpointArgs, pool: PoolPlacement, where: str | None = None
) -> PoolPlacement:
    """``pool`` once its value is known; raises :class:`ComponentError` (declared ``where``) when
    the endpoint does not fit it."""
    if problems := placement_problems(args, pool):
        raise ComponentError(instance("ModelServingEndpoint", name), problems, where)
    return pool


NO_REGION = (
    "region is unknown: spread PlatformStack.for_workloads() (the platform's), pass region, or give the "
    "AWS provider in opts a region (aws:region for the default provider)"
)


def checked_region(name: str, region: str, where: str | None) -> str:
    """``region`` once known; raises :class:`ComponentError` when it is missing or no AWS region."""
    if not region:
        raise ComponentError(instance("ModelServingEndpoint", name), [NO_REGION], where)
    if problems := aws_region_problems(region):
        raise ComponentError(instance("ModelServingEndpoint", name), [f"region {region!r} {problems[0]}"], where)
    return region


def attributed(value: pulumi.Input[T], name: str, where: str | None) -> pulumi.Input[T]:
    """``value``, whose failure to resolve (another stack's contract without that pool) is raised
    as this endpoint's :class:`ComponentError`: the program line that declared the endpoint, not
    the apply deep inside the SDK where the contract was read."""
    if not isinstance(value, pulumi.Output):
        return value
    output = cast(pulumi.Output[T], value)
    subject = instance("ModelServingEndpoint", name)

    async def attribute(awaitable: Awaitable[A]) -> A:
        try:
            return await awaitable
        except ComponentError as exc:
            if exc.subject == subject:
                raise
            raise ComponentError(subject, [str(exc)], where) from None
        except ValueError as exc:
            raise ComponentError(subject, [str(exc)], where) from None

    # A failed apply fails its resources, value, known and secret alike: each one carries the error.
    return pulumi.Output(
        asyncio.ensure_future(attribute(output.resources())),
        asyncio.ensure_future(attribute(cast(Awaitable[T], output.future()))),
        asyncio.ensure_future(attribute(output.is_known())),
        asyncio.ensure_future(attribute(output.is_secret())),
    )


def labels_for(name: str, runtime: str) -> dict[str, str]:
    """``app.kubernetes.io`` labels; the first two select the pods."""
    return {
        "app.kubernetes.io/name": name,
        "app.kubernetes.io/instance": name,
        "app.kubernetes.io/component": "model-server",
        "app.kubernetes.io/part-of": "mlops-platform",
        "app.kubernetes.io/managed-by": "pulumi",
        "mlops-platform/runtime": runtime,
    }


def selector_for(name: str) -> dict[str, str]:
    """The labels that select an endpoint's pods."""
    return {"app.kubernetes.io/name": name, "app.kubernetes.io/instance": name}


def served_model_name(name: str, args: ModelServingEndpointArgs) -> str:
    """The OpenAI model id of a vLLM endpoint: the one given, the Hugging Face id, else its name."""
    return args.get("served_model_name", args.get("model_id", name))


def server_args(name: str, args: ModelServingEndpointArgs, bucket: str) -> list[str]:
    """Arguments of the server container. The image's entrypoint always runs: NGC's
    ``nvidia_entrypoint.sh`` (Triton) does its CUDA forward-compatibility set-up and then
    ``exec "$@"``; vLLM's is ``vllm serve``."""
    extra = list(args.get("args", []))
    runtime = args["runtime"]
    if runtime == "triton":
        repository = (
            f"{MODEL_DIR}/model"
            if "registered_model" in args
            else f"s3://{bucket}/{model_read_prefix(args).rstrip('/')}"
        )
        return ["tritonserver", f"--model-repository={repository}", *TRITON.flags, *extra]
    if runtime == "vllm":
        model = args.get("model_id", f"{MODEL_DIR}/model")
        # The model is positional: `vllm serve` warns that --model will be removed. Request
        # logging is off by default since vLLM 0.10 (--enable-log-requests turns it on).
        return [model, "--served-model-name", served_model_name(name, args), *VLLM.flags, *extra]
    return extra


def copies_model(args: ModelServingEndpointArgs) -> bool:
    """vLLM and custom servers read the model from local disk, and a registered model is
    downloaded for any runtime: an init container copies it."""
    return "registered_model" in args or (args["runtime"] != "triton" and "model_id" not in args)


def pod_spec(
    name: str,
    args: ModelServingEndpointArgs,
    image: str,
    bucket: str,
    copier_image: str = AWS_CLI_IMAGE,
    pool: PoolPlacement | None = None,
) -> dict[str, Any]:
    """The pod template spec (plain values: the caller resolves image, bucket and, when it is an
    Output, the pool's placement)."""
    runtime = args["runtime"]
    spec = runtime_spec(
        runtime, args.get("port", 8000), args.get("ready_path", "/health"), args.get("live_path", "/health")
    )
    pool = pool if pool is not None else cast(PoolPlacement, args["pool"])
    gpus = args.get("gpus", 1)
    cpu, memory = args.get("cpu", "2"), args.get("memory", "8Gi")
    resources = {"cpu": cpu, "memory": memory, pool["device_resource"]: str(gpus)}
    region = args.get("region")
    if not isinstance(region, str):
        raise ValueError(f"pod_spec of {name}: the region must be resolved (got {region!r})")
    env = {"AWS_DEFAULT_REGION": region, **spec.env}
    container_args = server_args(name, args, bucket)
    startup_periods = max(1, args.get("startup_seconds", 1800) // 10)
    http = spec.ports[0].name
    server: dict[str, Any] = {
        "name": "server",
        "image": image,
        "imagePullPolicy": "Always",
        "args": container_args,
        "ports": [{"name": p.name, "containerPort": p.number, "protocol": "TCP"} for p in spec.ports],
        "env": [{"name": k, "value": v} for k, v in sorted(env.items())] + hf_token_env(args),
        "resources": {"requests": resources, "limits": resources},
        "startupProbe": {
            "httpGet": {"path": spec.ready_path, "port": http},
            "periodSeconds": 10,
            "timeoutSeconds": spec.startup_timeout_seconds,
            "failureThreshold": startup_periods,
        },
        "readinessProbe": probe(spec.ready_path, http, spec.readiness),
        "livenessProbe": probe(spec.live_path, http, spec.liveness),
        "volumeMounts": [
            *({"name": volume, "mountPath": path} for volume, path in spec.writable_paths),
            *([{"name": "shm", "mountPath": "/dev/shm"}] if spec.shared_memory else []),
        ],
    }
    volumes: list[dict[str, Any]] = [{"name": volume, "emptyDir": {}} for volume, _ in spec.writable_paths]
    if spec.shared_memory:
        volumes.append({"name": "shm", "emptyDir": {"medium": "Memory", "sizeLimit": SHM_LIMIT}})
    pod: dict[str, Any] = {
        "serviceAccountName": name,
        "automountServiceAccountToken": False,
        "securityContext": pod_security_context(),
        "nodeSelector": {POOL_LABEL: pool["name"]},
        "tolerations": [
            {"key": t.key, "operator": "Equal", "value": t.value, "effect": t.kubernetes_effect} for t in pool["taints"]
        ],
        "terminationGracePeriodSeconds": 120,
        "containers": [hardened(server)],
        "volumes": volumes,
    }
    if "registered_model" in args:
        pod["initContainers"] = [hardened(model_downloader(args["registered_model"], copier_image))]
        secret = {"secretName": args["registered_model"]["credentials_secret"], "defaultMode": 0o440}
        volumes.append({"name": "registry-credentials", "secret": secret})
    elif copies_model(args):
        pod["initContainers"] = [
            hardened(model_copier(copier_image, bucket, model_read_prefix(args), env["AWS_DEFAULT_REGION"]))
        ]
    if args.get("zone_spread", False):
        pod["topologySpreadConstraints"] = zone_spread(selector_for(name))
    return pod


def probe(path: str, port: str, timing: Probe) -> dict[str, Any]:
    """An HTTP probe with the runtime's timing (never the 1 s default timeout)."""
    return {
        "httpGet": {"path": path, "port": port},
        "periodSeconds": timing.period_seconds,
        "timeoutSeconds": timing.timeout_seconds,
        "failureThreshold": timing.failure_threshold,
    }


def hf_token_env(args: ModelServingEndpointArgs) -> list[dict[str, Any]]:
    """``HF_TOKEN`` from the Secret named by ``hf_token_secret`` (huggingface_hub reads it)."""
    if "hf_token_secret" not in args:
        return []
    return [{"name": "HF_TOKEN", "valueFrom": {"secretKeyRef": {"name": args["hf_token_secret"], "key": "token"}}}]


def model_copier(image: str, bucket: str, prefix: str, region: str) -> dict[str, Any]:
    """Init container copying ``s3://bucket/prefix`` into the model volume (IRSA credentials)."""
    return {
        "name": "copy-model",
        "image": image,
        "imagePullPolicy": "Always",
        "args": ["s3", "sync", "--only-show-errors", f"s3://{bucket}/{prefix}", f"{MODEL_DIR}/model"],
        "env": [{"name": "AWS_DEFAULT_REGION", "value": region}, {"name": "HOME", "value": "/tmp"}],
        "resources": {
            "requests": {"cpu": "500m", "memory": "512Mi"},
            "limits": {"cpu": "1", "memory": "1Gi"},
        },
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}, {"name": "models", "mountPath": MODEL_DIR}],
    }


def model_downloader(model: RegisteredModel, image: str) -> dict[str, Any]:
    """Init container downloading a registered model through the registry (``--serve-artifacts``:
    no S3 access needed) with the namespace's registry account, read from its mounted Secret."""
    login = " ".join(
        f'MLFLOW_TRACKING_{key.upper()}="$(cat {REGISTRY_CREDENTIALS_DIR}/{key})"' for key in ("username", "password")
    )
    return {
        "name": "download-model",
        "image": image,
        "imagePullPolicy": "Always",
        "command": ["sh", "-c"],
        "args": [f'{login} exec mlflow artifacts download --artifact-uri "$MODEL_URI" --dst-path {MODEL_DIR}/model'],
        "env": [
            {"name": "MODEL_URI", "value": model_uri(model)},
            {"name": "MLFLOW_TRACKING_URI", "value": model["tracking_uri"]},
            {"name": "HOME", "value": "/tmp"},
        ],
        "resources": {
            "requests": {"cpu": "500m", "memory": "512Mi"},
            "limits": {"cpu": "1", "memory": "2Gi"},
        },
        "volumeMounts": [
            {"name": "tmp", "mountPath": "/tmp"},
            {"name": "models", "mountPath": MODEL_DIR},
            {"name": "registry-credentials", "mountPath": REGISTRY_CREDENTIALS_DIR, "readOnly": True},
        ],
    }


def service_spec(name: str, runtime_ports: Sequence[Port], load_balancer: str) -> tuple[dict[str, str], dict[str, Any]]:
    """Annotations and spec of the Service: ClusterIP, or an NLB of the given scheme."""
    spec: dict[str, Any] = {
        "selector": selector_for(name),
        "ports": [{"name": p.name, "port": p.number, "targetPort": p.name, "protocol": "TCP"} for p in runtime_ports],
        "type": "ClusterIP",
    }
    annotations: dict[str, str] = {}
    if load_balancer != "none":
        spec["type"] = "LoadBalancer"
        spec["loadBalancerClass"] = LOAD_BALANCER_CLASS
        annotations = {
            "service.beta.kubernetes.io/aws-load-balancer-type": "external",
            "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type": "ip",
            "service.beta.kubernetes.io/aws-load-balancer-scheme": load_balancer,
            TARGET_GROUP_ATTRIBUTES_ANNOTATION: NO_CLIENT_IP,
        }
        if load_balancer == "internet-facing":  # only with allow_internet_facing: say so to the policy pack
            annotations[INTERNET_FACING_ANNOTATION] = "allowed"
    return annotations, spec


def network_policy_spec(
    name: str,
    *,
    ports: Sequence[Port],
    metrics_port: str,
    allowed: Sequence[str],
    namespace: str,
    monitoring: str,
    load_balancer_cidr: str | None = None,
) -> dict[str, Any]:
    """Ingress only from the allowed namespaces (serving ports) and monitoring (metrics port); behind a
    load balancer, from its addresses in ``load_balancer_cidr`` too (serving ports only)."""
    serving = [{"port": p.name, "protocol": "TCP"} for p in ports if p.name != "metrics"]
    callers = sorted({namespace, *allowed})
    balanced = [load_balancer_ingress(load_balancer_cidr, serving)] if load_balancer_cidr else []
    return {
        "podSelector": {"matchLabels": selector_for(name)},
        "policyTypes": ["Ingress"],
        "ingress": [
            {
                "from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": ns}}} for ns in callers],
                "ports": serving,
            },
            {
                "from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": monitoring}}}],
                "ports": [{"port": metrics_port, "protocol": "TCP"}],
            },
            *balanced,
        ],
    }


def service_monitor_spec(name: str, namespace: str, metrics_port: str, canary: bool) -> dict[str, Any]:
    """Scrapes every pod of the endpoint (stable and canary: the selector omits the pod-template
    hash); a canary's series carry that hash (``podTargetLabels``), which its analysis selects."""
    spec: dict[str, Any] = {
        "selector": {"matchLabels": selector_for(name)},
        "namespaceSelector": {"matchNames": [namespace]},
        "endpoints": [{"port": metrics_port, "path": "/metrics", "interval": "30s"}],
    }
    if canary:
        spec["podTargetLabels"] = [delivery.CANARY_HASH_LABEL]
    return spec


SCALE_DOWN = {"scaleDown": {"stabilizationWindowSeconds": 600}}
"""A new GPU node takes minutes: scale up at once, scale down slowly."""


def scale_target(name: str, args: ModelServingEndpointArgs) -> dict[str, str]:
    """What an autoscaler scales: the Deployment, or the Rollout (its ``scale`` subresource) of a canary."""
    if args.get("canary", False):
        return {"apiVersion": delivery.API_VERSION, "kind": "Rollout", "name": name}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}


def hpa_spec(name: str, args: ModelServingEndpointArgs) -> dict[str, Any]:
    """autoscaling/v2 HPA on CPU utilisation (the resource metrics API: EKS's metrics-server add-on)."""
    return {
        "scaleTargetRef": scale_target(name, args),
        "minReplicas": args.get("replicas", 1),
        "maxReplicas": args.get("max_replicas", args.get("replicas", 1)),
        "metrics": [
            {
                "type": "Resource",
                "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}},
            }
        ],
        "behavior": SCALE_DOWN,
    }


def prometheus_url(monitoring_namespace: str) -> str:
    """kube-prometheus-stack's Prometheus service (release ``kube-prometheus-stack``)."""
    return f"http://kube-prometheus-stack-prometheus.{monitoring_namespace}.svc:9090"


def scaled_object_spec(name: str, namespace: str, args: ModelServingEndpointArgs) -> dict[str, Any]:
    """KEDA ScaledObject: the endpoint's signal from Prometheus (:func:`components.autoscaling.keda_trigger`).

    KEDA creates and owns the HPA (``keda-hpa-<name>``) and serves the value through the
    external metrics API it registers.
    """
    query, metric_type = keda_trigger(args.get("autoscaling_metric", ""), f'namespace="{namespace}",service="{name}"')
    url = args.get("prometheus_url", prometheus_url(args.get("monitoring_namespace", "monitoring")))
    return {
        "scaleTargetRef": scale_target(name, args),
        "minReplicaCount": args.get("replicas", 1),
        "maxReplicaCount": args.get("max_replicas", args.get("replicas", 1)),
        "pollingInterval": 30,
        "cooldownPeriod": 300,
        "advanced": {"horizontalPodAutoscalerConfig": {"behavior": SCALE_DOWN}},
        "triggers": [
            {
                "type": "prometheus",
                "metricType": metric_type,
                "metadata": {
                    "serverAddress": url,
                    "query": query,
                    "threshold": args.get("autoscaling_target", "10"),
                },
            }
        ],
    }


def s3_uri(bucket: pulumi.Input[str], args: ModelServingEndpointArgs) -> pulumi.Input[str]:
    """Where a bucket-sourced model is read from (``s3://bucket/prefix``); empty for a model id."""
    if "model_id" in args or "model_prefix" not in args:
        return ""
    return pulumi.Output.concat("s3://", bucket, "/", model_read_prefix(args))


def deployment_spec(name: str, args: ModelServingEndpointArgs, template: pulumi.Input[Any]) -> dict[str, Any]:
    """The Deployment's spec: its rollout strategy, and its replicas unless an autoscaler owns them.

    An unpublished model runs no pod (``replicas: 0``). With an HPA or KEDA the published spec
    leaves ``replicas`` out, as Kubernetes advises for autoscaled workloads: the autoscaler owns it,
    and when the field is dropped (publishing) the API server (a Deployment) or the Argo Rollouts
    controller (a Rollout) resets it to 1, from which the autoscaler scales to its minimum.
    (``ignore_changes`` on replicas would keep an unpublished endpoint at zero forever: an HPA
    does not scale a Deployment at zero.)
    """
    spec: dict[str, Any] = {
        "selector": {"matchLabels": selector_for(name)},
        "strategy": ROLLOUTS[args.get("rollout", "surge")],
        "template": template,
    }
    if not args.get("published", True):
        spec["replicas"] = 0
    elif "max_replicas" not in args:
        spec["replicas"] = args.get("replicas", 1)
    return spec


def rollout_spec(name: str, args: ModelServingEndpointArgs, template: pulumi.Input[Any]) -> dict[str, Any]:
    """The Argo Rollout's spec: the Deployment's (replicas left to an autoscaler, zero while
    unpublished) with a canary strategy (:func:`components.delivery.canary_strategy`). A canary
    pod that is not available within the startup budget aborts the rollout
    (``progressDeadlineAbort``) instead of holding it paused forever."""
    spec = deployment_spec(name, args, template)
    del spec["strategy"]
    return {
        **spec,
        "strategy": delivery.canary_strategy(name, args.get("rollout", "surge")),
        "progressDeadlineSeconds": await_timeout_seconds(args),
        "progressDeadlineAbort": True,
    }


def await_timeout_seconds(args: ModelServingEndpointArgs) -> int:
    """How long ``pulumi up`` waits for the Deployment: scheduling (GPU node from zero, image
    pull, model copy) plus the startup budget, instead of pulumi-kubernetes' 10 minutes."""
    return timings.gpu_scheduling_allowance(copies_model(args)) + args.get("startup_seconds", 1800)


class ModelServingEndpoint(pulumi.ComponentResource):
    """A model server Deployment with its identity, Service, autoscaling and monitoring."""

    service_name: str
    """Name of the Service (``<name>.<namespace>.svc``)."""
    role_arn: pulumi.Output[str]
    """ARN of the IRSA role (reads the model prefix only)."""

    def __init__(self, name: str, args: ModelServingEndpointArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        where = declared_at()
        problems = validate_endpoint(args)
        if problems:
            raise ComponentError(instance("ModelServingEndpoint", name), problems, where)
        super().__init__("mlops:index:ModelServingEndpoint", name, None, opts)
        namespace = args.get("namespace", "serving")
        runtime = args["runtime"]
        spec = runtime_spec(runtime, args.get("port", 8000))
        labels = labels_for(name, runtime)
        child = pulumi.ResourceOptions(parent=self)
        # Plain dicts for the Kubernetes SDK's TypedDict inputs: the shapes are tested against the
        # upstream schemas (tests/validators), which is stricter than the SDK's types.
        meta: Any = {"name": name, "namespace": namespace, "labels": labels}

        role = irsa_role(
            f"{name}-role",
            oidc_provider_arn=args["oidc_provider_arn"],
            issuer_url=args["oidc_issuer_url"],
            namespace=namespace,
            service_account=name,
            policy=args.get("model_policy"),  # none for a registered model: the registry serves it
            parent=self,
        )
        account = k8s.core.v1.ServiceAccount(
            f"{name}-service-account",
            metadata=cast(Any, {**meta, "annotations": {"eks.amazonaws.com/role-arn": role.arn}}),
            automount_service_account_token=False,
            opts=child,
        )
        registered = args.get("registered_model")
        copier = registered["client_image"] if registered else args.get("copier_image", AWS_CLI_IMAGE)
        bucket = args.get("bucket_name", "")
        tracking = registered["tracking_uri"] if registered else ""

        def resolved(uri: str, region: str) -> ModelServingEndpointArgs:  # the registry's URL and the region known
            model: dict[str, Any] = {"registered_model": {**registered, "tracking_uri": uri}} if registered else {}
            return cast(ModelServingEndpointArgs, {**args, **model, "region": checked_region(name, region, where)})

        pool = attributed(args["pool"], name, where)
        region = attributed(self._region(args, name, where), name, where)
        template = pulumi.Output.all(server_image(args) or "", bucket, copier, pool, tracking, region).apply(
            lambda v: {
                "metadata": {"labels": labels},
                "spec": pod_spec(
                    name, resolved(v[4], v[5]), v[0], v[1], v[2], checked_placement(name, args, v[3], where)
                ),
            }
        )
        published = args.get("published", True)
        autoscaled = "max_replicas" in args
        served = {
            MODEL_URI_ANNOTATION: model_uri(registered) if registered else s3_uri(bucket, args),
            MODEL_PUBLISHED_ANNOTATION: str(published).lower(),
        }
        workload: pulumi.Resource
        if args.get("canary", False):
            workload = self._rollout(name, namespace, meta, served, args, template, account)
        else:
            workload = k8s.apps.v1.Deployment(
                f"{name}-deployment",
                metadata=cast(
                    Any,
                    {
                        **meta,
                        "annotations": {"pulumi.com/timeoutSeconds": str(await_timeout_seconds(args)), **served},
                    },
                ),
                spec=cast(Any, deployment_spec(name, args, template)),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[account]),
            )
        balancer = args.get("load_balancer", "none")
        balancing = args.get("load_balancing") if balancer != "none" else None
        annotations, service = service_spec(name, spec.ports, balancer)
        k8s.core.v1.Service(
            f"{name}-service",
            metadata=cast(Any, {**meta, "annotations": annotations}),
            spec=cast(Any, service),
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(balancing["releases"]) if balancing else []),
        )

        def policy(load_balancer_cidr: str | None) -> dict[str, Any]:
            return network_policy_spec(
                name,
                ports=spec.ports,
                metrics_port=spec.metrics_port,
                allowed=list(args.get("allowed_namespaces", [])),
                namespace=namespace,
                monitoring=args.get("monitoring_namespace", "monitoring"),
                load_balancer_cidr=load_balancer_cidr,
            )

        k8s.networking.v1.NetworkPolicy(
            f"{name}-network-policy",
            metadata=meta,
            spec=cast(
                Any, pulumi.Output.from_input(balancing["vpc_cidr"]).apply(policy) if balancing else policy(None)
            ),
            opts=child,
        )
        after_crds = pulumi.ResourceOptions(parent=self, depends_on=list(args["crds"]))
        if "autoscaling_metric" in args:
            # Unpublished, KEDA holds the Deployment at zero instead of scaling it to its minimum.
            paused = {} if published else {"annotations": {PAUSED_REPLICAS_ANNOTATION: "0"}}
            k8s.apiextensions.CustomResource(
                f"{name}-scaled-object",
                api_version="keda.sh/v1alpha1",
                kind="ScaledObject",
                metadata={**meta, **paused},
                spec=scaled_object_spec(name, namespace, args),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[*args["crds"], workload]),
            )
        elif autoscaled:
            # At zero replicas (unpublished) the HPA is disabled; it scales again once the Deployment runs.
            k8s.autoscaling.v2.HorizontalPodAutoscaler(
                f"{name}-hpa",
                metadata=meta,
                spec=cast(Any, hpa_spec(name, args)),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[workload]),
            )
        if args.get("disruption_budget", args.get("replicas", 1) >= 2):
            k8s.policy.v1.PodDisruptionBudget(
                f"{name}-pdb",
                metadata=meta,
                spec=cast(Any, {"minAvailable": 1, "selector": {"matchLabels": selector_for(name)}}),
                opts=child,
            )
        k8s.apiextensions.CustomResource(
            f"{name}-service-monitor",
            api_version="monitoring.coreos.com/v1",
            kind="ServiceMonitor",
            metadata={**meta, "labels": {**labels, "release": "kube-prometheus-stack"}},
            spec=service_monitor_spec(name, namespace, spec.metrics_port, args.get("canary", False)),
            opts=after_crds,
        )
        self.service_name = name
        self.role_arn = role.arn
        self.register_outputs({"roleArn": self.role_arn, "serviceName": name})

    def _region(self, args: ModelServingEndpointArgs, name: str, where: str | None) -> pulumi.Input[str]:
        """The region given (the platform's, through ``PlatformStack.for_workloads()``), else the
        AWS provider's: an explicit provider's ``region``, or the default provider's ``aws:region``."""
        if "region" in args:
            return args["region"]
        provider = self.get_provider("aws:iam/role:Role")
        if isinstance(provider, aws.Provider):
            return provider.region.apply(lambda r: r or "")
        region = pulumi.Config("aws").get("region")
        if region is None:
            raise ComponentError(instance("ModelServingEndpoint", name), [NO_REGION], where)
        return region

    def _rollout(
        self,
        name: str,
        namespace: str,
        meta: dict[str, Any],
        served: Mapping[str, pulumi.Input[str]],
        args: ModelServingEndpointArgs,
        template: pulumi.Input[Any],
        account: pulumi.Resource,
    ) -> pulumi.Resource:
        """The canary's AnalysisTemplate and the Rollout. pulumi-kubernetes waits for no custom
        resource unless asked (``metadata.ReadyCondition``: ``pulumi.com/waitFor``, or every object
        with ``PULUMI_K8S_AWAIT_ALL=true``); ``skipAwait`` keeps even that from holding ``pulumi up``
        on a Rollout paused for its canary or aborted: Argo Rollouts owns its progress and the
        ``RolloutAborted`` alert reports the outcome."""
        crds = list(args["crds"])
        url = args.get("prometheus_url", prometheus_url(args.get("monitoring_namespace", "monitoring")))
        analysis = k8s.apiextensions.CustomResource(
            f"{name}-analysis",
            api_version=delivery.API_VERSION,
            kind="AnalysisTemplate",
            metadata=meta,
            spec=delivery.analysis_template_spec(canary_alerts(name, namespace, args), url),
            opts=pulumi.ResourceOptions(parent=self, depends_on=crds),
        )
        return k8s.apiextensions.CustomResource(
            f"{name}-rollout",
            api_version=delivery.API_VERSION,
            kind="Rollout",
            metadata={**meta, "annotations": {"pulumi.com/skipAwait": "true", **served}},
            spec=rollout_spec(name, args, template),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*crds, account, analysis]),
        )


def placement(pool: GpuNodePool) -> PoolPlacement:
    """The placement of a :class:`GpuNodePool`: what its endpoints tolerate, select and request."""
    return {
        "name": pool.labels[POOL_LABEL],
        "taints": list(pool.taints),
        "device_resource": pool.device_resource,
        "accelerators_per_node": pool.accelerators_per_node,
        "instance_types": list(pool.instance_types),
    }

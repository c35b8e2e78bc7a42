"""What each model server runtime is, in one table: ports, health probes, the paths it writes,
the environment it needs, its fixed flags, the metrics it exports (with their Prometheus type) and
the SLO signals those metrics support.

The pod spec (:mod:`components.model_serving_endpoint`) and the alert rules
(:mod:`components.alerting`) read it, so a runtime's facts live here once (every metric a runtime
exports, with its type, is in :mod:`components.autoscaling`'s catalogue); a canary analysis
belongs on the same :attr:`RuntimeSpec.slo_signals`. The names and flags were read from the
pinned releases
(:data:`components.pins.IMAGES`), vendored under ``tests/vendor`` and checked there by
``tests/unit/test_runtimes.py``: vLLM 0.33.0 (``vllm/v1/metrics/loggers.py``,
``vllm/entrypoints/common/cli_args.py``) and Triton v2.71.0 (``src/command_line_parser.cc``,
``docs/user_guide/metrics.md``).
"""

from dataclasses import dataclass, field
from typing import Literal

MODEL_DIR = "/models"
"""Where the model volume is mounted (an init container copies the model there)."""
RUNTIMES = ("triton", "vllm", "custom")
RUNTIME_USER = "mlops"
"""Name the non-root UID runs as in ``USER``/``LOGNAME``: the images have no passwd entry for it,
and ``getpass.getuser()`` (PyTorch's inductor cache, for one) reads these before ``getpwuid``."""

LATENCY_ALERT = "EndpointLatencyP95High"
MetricType = Literal["counter", "gauge", "histogram", "summary"]


@dataclass(frozen=True)
class Port:
    """A named container port."""

    name: str
    number: int


@dataclass(frozen=True)
class Probe:
    """An HTTP probe's timing (the path comes from the runtime)."""

    period_seconds: int
    timeout_seconds: int
    failure_threshold: int


@dataclass(frozen=True)
class Metric:
    """A metric a runtime exports, by its exposed name (counters without ``_total``)."""

    name: str
    type: MetricType
    unit_scale: float = 1.0
    """Multiply by this to get seconds (Triton reports microseconds)."""


@dataclass(frozen=True)
class SloSignal:
    """A latency signal to alert and analyse on: the p95 of a histogram, or a summary's 0.95 quantile."""

    name: str
    """Short name (``ttft``): the key of an endpoint's threshold overrides."""
    alert: str
    """Name of the alert on it."""
    title: str
    metric: Metric
    threshold_seconds: float
    """Default p95 above which the signal is degraded."""


@dataclass(frozen=True)
class RuntimeSpec:
    """What a runtime listens on, how it reports health, what it writes and what it exports."""

    ports: tuple[Port, ...]
    ready_path: str
    live_path: str
    metrics_port: str
    """Name of the port that serves ``/metrics``."""
    shared_memory: bool
    """Needs a memory-backed ``/dev/shm`` (multi-process inference, NCCL)."""
    env: dict[str, str] = field(default_factory=dict[str, str])
    flags: tuple[str, ...] = ()
    """The server's fixed flags, after what it serves (the model or repository) and before the
    caller's ``args``; each is declared by the pinned release (``tests/unit/test_runtimes.py``)."""
    writable_paths: tuple[tuple[str, str], ...] = (("tmp", "/tmp"), ("models", MODEL_DIR))
    """``(volume, path)`` the server writes; the root filesystem is read-only, so each is an emptyDir."""
    readiness: Probe = Probe(period_seconds=5, timeout_seconds=5, failure_threshold=3)
    liveness: Probe = Probe(period_seconds=10, timeout_seconds=5, failure_threshold=3)
    startup_timeout_seconds: int = 5
    metrics: tuple[Metric, ...] = ()
    """Metrics the runtime exports (empty for ``custom``: they are the caller's)."""
    slo_signals: tuple[SloSignal, ...] = ()
    """The latency signals its default alerts (and the delivery analysis) use."""
    requests: Metric | None = None
    """Request counter (all outcomes)."""
    failures: Metric | None = None
    """Failed-request counter, when separate from :attr:`requests`."""

    def metric(self, name: str) -> Metric | None:
        """The exported metric called ``name``."""
        return next((m for m in self.metrics if m.name == name), None)


def _vllm_metrics() -> tuple[Metric, ...]:
    gauges = ("num_requests_running", "num_requests_waiting", "kv_cache_usage_perc")
    counters = ("request_success", "prompt_tokens", "generation_tokens", "num_preemptions")
    histograms = (
        "time_to_first_token_seconds",
        "inter_token_latency_seconds",
        "e2e_request_latency_seconds",
        "request_queue_time_seconds",
        "request_prefill_time_seconds",
        "request_decode_time_seconds",
    )
    return (
        *(Metric(f"vllm:{n}", "gauge") for n in gauges),
        *(Metric(f"vllm:{n}", "counter") for n in counters),
        *(Metric(f"vllm:{n}", "histogram") for n in histograms),
        # prometheus-fastapi-instrumentator's defaults (status grouped as 2xx/4xx/5xx).
        Metric("http_requests", "counter"),
        Metric("http_request_duration_seconds", "histogram"),
    )


VLLM_METRICS = _vllm_metrics()
TRITON_METRICS = (
    Metric("nv_inference_request_success", "counter"),
    Metric("nv_inference_request_failure", "counter"),
    Metric("nv_inference_count", "counter"),
    Metric("nv_inference_exec_count", "counter"),
    Metric("nv_inference_request_duration_us", "counter", 1e-6),
    Metric("nv_inference_queue_duration_us", "counter", 1e-6),
    Metric("nv_inference_pending_request_count", "gauge"),
    # Summaries need --metrics-config=summary_latencies=true (set in the server's arguments).
    Metric("nv_inference_request_summary_us", "summary", 1e-6),
    Metric("nv_inference_queue_summary_us", "summary", 1e-6),
)


def _named(metrics: tuple[Metric, ...], name: str) -> Metric:
    return next(m for m in metrics if m.name == name)


# The vLLM defaults: a healthy chat service answers its first token within a second or two under
# load and streams at 20+ tokens/s (50 ms between tokens); end-to-end time is no SLO for
# generation, it grows with every token asked for.
VLLM = RuntimeSpec(
    ports=(Port("http", 8000),),
    ready_path="/health",
    live_path="/health",
    metrics_port="http",
    shared_memory=True,
    env={
        # vLLM and its libraries write caches under HOME; the root filesystem is read-only.
        "HOME": "/tmp",
        "USER": RUNTIME_USER,
        "LOGNAME": RUNTIME_USER,
        "HF_HOME": f"{MODEL_DIR}/cache",
        "VLLM_CACHE_ROOT": "/tmp/vllm",
        "TORCHINDUCTOR_CACHE_DIR": "/tmp/torchinductor",
        "TRITON_CACHE_DIR": "/tmp/triton",
        "NUMBA_CACHE_DIR": "/tmp/numba",
        "VLLM_NO_USAGE_STATS": "1",
    },
    flags=("--port", "8000"),
    # /health waits on the engine: under a long prefill the event loop answers late. Restarting a
    # GPU pod costs minutes of capacity, so liveness tolerates a minute of slow answers.
    readiness=Probe(period_seconds=5, timeout_seconds=5, failure_threshold=3),
    liveness=Probe(period_seconds=10, timeout_seconds=10, failure_threshold=6),
    metrics=VLLM_METRICS,
    slo_signals=(
        SloSignal(
            "ttft",
            "EndpointTimeToFirstTokenHigh",
            "time to first token",
            _named(VLLM_METRICS, "vllm:time_to_first_token_seconds"),
            2.0,
        ),
        SloSignal(
            "itl",
            "EndpointInterTokenLatencyHigh",
            "inter-token latency",
            _named(VLLM_METRICS, "vllm:inter_token_latency_seconds"),
            0.1,
        ),
    ),
    requests=_named(VLLM_METRICS, "http_requests"),
)
TRITON = RuntimeSpec(
    ports=(Port("http", 8000), Port("grpc", 8001), Port("metrics", 8002)),
    ready_path="/v2/health/ready",
    live_path="/v2/health/live",
    metrics_port="metrics",
    shared_memory=True,
    env={"HOME": "/tmp", "USER": RUNTIME_USER, "LOGNAME": RUNTIME_USER},
    flags=(
        "--http-port=8000",
        "--grpc-port=8001",
        "--metrics-port=8002",
        "--strict-readiness=true",
        "--exit-on-error=true",
        # p95 latency alerts read Triton's latency summary.
        "--metrics-config=summary_latencies=true",
    ),
    metrics=TRITON_METRICS,
    slo_signals=(
        SloSignal(
            "latency",
            LATENCY_ALERT,
            "request latency",
            _named(TRITON_METRICS, "nv_inference_request_summary_us"),
            2.0,
        ),
        SloSignal(
            "queue", "EndpointQueueTimeHigh", "queue time", _named(TRITON_METRICS, "nv_inference_queue_summary_us"), 0.5
        ),
    ),
    requests=_named(TRITON_METRICS, "nv_inference_request_success"),
    failures=_named(TRITON_METRICS, "nv_inference_request_failure"),
)


def custom_latency_signal(histogram: str) -> SloSignal:
    """A custom server's one latency signal: its request latency histogram in seconds."""
    return SloSignal("latency", LATENCY_ALERT, "request latency", Metric(histogram, "histogram"), 2.0)


def runtime_spec(
    runtime: str, port: int = 8000, ready_path: str = "/health", live_path: str = "/health"
) -> RuntimeSpec:
    """The table entry of a runtime; ``custom`` takes its port and health paths from the caller."""
    if runtime == "triton":
        return TRITON
    if runtime == "vllm":
        return VLLM
    if runtime == "custom":
        return RuntimeSpec(
            ports=(Port("http", port),),
            ready_path=ready_path,
            live_path=live_path,
            metrics_port="http",
            shared_memory=False,
            env={"HOME": "/tmp", "USER": RUNTIME_USER, "LOGNAME": RUNTIME_USER},
        )
    raise ValueError(f"runtime must be one of {', '.join(RUNTIMES)} (got {runtime!r})")

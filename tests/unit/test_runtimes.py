"""The runtime table and the pod specs, read against the pinned releases' own sources
(tests/vendor/vllm-0.33.0, tests/vendor/triton-v2.71.0; see their SOURCE.md)."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from components.catalog import Taint
from components.model_serving_endpoint import ModelServingEndpointArgs, pod_spec, validate_endpoint
from components.runtimes import TRITON, VLLM

VENDOR = Path(__file__).parents[1] / "vendor"
VLLM_SRC = VENDOR / "vllm-0.33.0" / "vllm"
TRITON_SRC = VENDOR / "triton-v2.71.0"
POOL: Any = {
    "name": "gpu",
    "taints": [Taint("nvidia.com/gpu", "true", "NO_SCHEDULE")],
    "device_resource": "nvidia.com/gpu",
    "accelerators_per_node": 1,
}


def endpoint(runtime: str, **extra: Any) -> ModelServingEndpointArgs:
    base: dict[str, Any] = {
        "runtime": runtime,
        "crds": [],
        "pool": POOL,
        "bucket_name": "b",
        "model_prefix": "models/x/",
        "model_policy": "{}",
        "oidc_provider_arn": "arn",
        "oidc_issuer_url": "https://issuer",
        "region": "us-east-1",
    }
    return {**base, **extra}  # type: ignore[return-value]


def server(runtime: str, **extra: Any) -> dict[str, Any]:
    return pod_spec("chat", endpoint(runtime, **extra), "image:1", "b")["containers"][0]


def vllm_flags() -> set[str]:
    """Every option the pinned `vllm serve` parser declares: add_argument strings, and the
    FrontendArgs dataclass fields (turned into --kebab-case flags by get_kwargs)."""
    flags: set[str] = set()
    for path in (VLLM_SRC / "engine/arg_utils.py", VLLM_SRC / "entrypoints/common/cli_args.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith("--"):
                flags.add(node.value)
            if isinstance(node, ast.ClassDef) and node.name.endswith("FrontendArgs"):
                for item in node.body:
                    if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                        flags.add("--" + item.target.id.replace("_", "-"))
    return flags


def vllm_metric_types() -> dict[str, str]:
    """name -> prometheus type of every vllm: metric the pinned v1 loggers declare."""
    kinds = {"_gauge_cls": "gauge", "_counter_cls": "counter", "_histogram_cls": "histogram"}
    found: dict[str, str] = {}
    for node in ast.walk(ast.parse((VLLM_SRC / "v1/metrics/loggers.py").read_text())):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in kinds:
            for kw in node.keywords:
                if kw.arg == "name" and isinstance(kw.value, ast.Constant):
                    found[str(kw.value.value)] = kinds[node.func.attr]
    return found


def test_vllm_model_is_positional_with_a_served_name_and_every_flag_exists() -> None:
    args = server("vllm")["args"]
    # The pinned parser's positional slot; `--model` is rewritten with a removal warning.
    assert '"model_tag"' in (VLLM_SRC / "entrypoints/common/cli_args.py").read_text()
    assert "will be removed" in (VLLM_SRC / "utils/argparse_utils.py").read_text()
    assert args[0] == "/models/model" and "--model" not in args
    assert args[args.index("--served-model-name") + 1] == "chat"
    flags = vllm_flags()
    assert {"--served-model-name", "--port", "--max-model-len"} <= flags
    assert [a for a in args if a.startswith("--") and a not in flags] == []


def test_vllm_table_metrics_are_the_pinned_names_and_types() -> None:
    declared = vllm_metric_types()
    ours = {m.name: m.type for m in VLLM.metrics if m.name.startswith("vllm:")}
    assert {name: declared.get(name) for name in ours} == ours
    assert {s.metric.name for s in VLLM.slo_signals} == {
        "vllm:time_to_first_token_seconds",
        "vllm:inter_token_latency_seconds",
    }


def test_triton_flags_exist_and_the_image_entrypoint_runs() -> None:
    source = (TRITON_SRC / "command_line_parser.cc").read_text()
    options = set(re.findall(r'\{OPTION_\w+,\s*"([a-z-]+)"', source))
    container = server("triton")
    assert "command" not in container and container["args"][0] == "tritonserver"
    used = {a.split("=")[0].removeprefix("--") for a in container["args"][1:]}
    assert used <= options, used - options
    # The image's entrypoint hands the pod's args over unchanged.
    done = subprocess.run(
        ["bash", str(TRITON_SRC / "nvidia_entrypoint.sh"), "echo", *container["args"]],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    assert done.stdout.strip().endswith(" ".join(container["args"]))


def test_triton_table_metrics_are_documented_with_their_kinds() -> None:
    doc = (TRITON_SRC / "metrics.md").read_text()
    summaries = doc[doc.index("#### Summaries") :] if "#### Summaries" in doc else doc
    for metric in TRITON.metrics:
        assert f"`{metric.name}`" in doc, metric.name
        if metric.type == "summary":
            assert f"`{metric.name}`" in summaries
    assert "--metrics-config=summary_latencies=true" in server("triton")["args"]


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"), reason="needs root to become UID 10001")
def test_vllm_env_names_a_user_for_a_uid_without_passwd_entry() -> None:
    """getpass.getuser() (PyTorch's inductor cache dir) raises KeyError for UID 10001 unless
    USER/LOGNAME name it: run it as that UID with the pod's environment."""
    env = {e["name"]: e["value"] for e in server("vllm")["env"] if "value" in e}
    check = ["setpriv", "--reuid", "10001", "--regid", "10001", "--clear-groups", "python3", "-c"]
    script = "import getpass; print(getpass.getuser())"
    path = {"PATH": "/usr/bin:/bin"}
    bare = subprocess.run([*check, script], env=path, capture_output=True, text=True, check=False, timeout=30)
    assert "KeyError" in bare.stderr  # the failure the pod would have without them
    ok = subprocess.run([*check, script], env={**path, **env}, capture_output=True, text=True, check=False, timeout=30)
    assert ok.returncode == 0 and ok.stdout.strip() == "mlops"
    assert env["TORCHINDUCTOR_CACHE_DIR"].startswith("/tmp/")


def test_probes_allow_a_busy_server_time_to_answer() -> None:
    container = server("vllm")
    for kind in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[kind]["timeoutSeconds"] >= 5, kind
    live = container["livenessProbe"]
    assert live["periodSeconds"] * live["failureThreshold"] >= 60


def test_gated_models_read_the_token_from_a_secret() -> None:
    container = server("vllm", model_id="meta-llama/Llama-3.1-8B-Instruct", hf_token_secret="hf-token")
    assert {"name": "HF_TOKEN", "valueFrom": {"secretKeyRef": {"name": "hf-token", "key": "token"}}} in container["env"]
    assert container["args"][:3] == ["meta-llama/Llama-3.1-8B-Instruct", "--served-model-name", container["args"][0]]
    assert any("hf_token_secret needs model_id" in p for p in validate_endpoint(endpoint("vllm", hf_token_secret="t")))
    bad = validate_endpoint(endpoint("vllm", model_id="m", hf_token_secret="Not_A_Name"))
    assert any("Kubernetes Secret name" in p for p in bad)


def test_keda_metric_must_be_a_gauge_the_runtime_exports() -> None:
    base = {"max_replicas": 3}
    assert validate_endpoint(endpoint("vllm", autoscaling_metric="vllm:num_requests_waiting", **base)) == []
    [counter] = validate_endpoint(endpoint("vllm", autoscaling_metric="vllm:request_success_total", **base))
    assert "is a counter (it only grows): autoscale on its rate" in counter
    [unknown] = validate_endpoint(endpoint("vllm", autoscaling_metric="vllm:num_requests_queued", **base))
    assert "is not a metric the vllm runtime exports" in unknown


def test_the_tables_flags_and_writable_paths_are_what_the_pods_get() -> None:
    """The fixed flags come from the table (and the pinned parsers declare them); every path the
    table says the server writes is an emptyDir mounted at that path."""
    options = set(re.findall(r'\{OPTION_\w+,\s*"([a-z-]+)"', (TRITON_SRC / "command_line_parser.cc").read_text()))
    assert {f.split("=")[0].removeprefix("--") for f in TRITON.flags} <= options
    assert {f for f in VLLM.flags if f.startswith("--")} <= vllm_flags()
    for runtime, spec in (("triton", TRITON), ("vllm", VLLM)):
        container = server(runtime)
        args = container["args"]
        start = args.index(spec.flags[0])
        assert tuple(args[start : start + len(spec.flags)]) == spec.flags
        mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
        assert all(mounts.get(path) == volume for volume, path in spec.writable_paths), mounts
        volumes = {v["name"]: v for v in pod_spec("chat", endpoint(runtime), "image:1", "b")["volumes"]}
        assert all(volumes[volume]["emptyDir"] == {} for volume, _ in spec.writable_paths)

"""The model registry against real servers: the prod plan's start script, server arguments and
metrics sidecar run the pinned MLflow (``.venv-mlflow``, built by ``make mlflow-env``) against a
private PostgreSQL cluster with SSL and moto's S3 server. A data scientist logs and promotes
models with the README's snippets, each endpoint's init container downloads them as its
namespace's account, Prometheus's view is scraped, and the passwords rotate.

What cannot run here is replaced, and each replacement is named where it is made: RDS by the
local cluster, S3 and IRSA by moto and fixed keys, the Service's DNS name and ports by
localhost and free ports, and the pod's volumes by directories (their mount paths rebased).
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import yaml

from components import pins
from components.model_registry import DB_NAME, DB_USER, reader_name
from components.plan import document
from components.plan.runner import StackConfig, read_stack_file, run_program_dir
from tests.conftest import PROJECT, ROOT, stack_file, stack_recording

pytestmark = pytest.mark.validators

MLFLOW_VENV = ROOT / ".venv-mlflow"
SNIPPET = re.compile(r"<!-- snippet: registry (\w+) -->\n```\w+\n(.*?)```", re.DOTALL)
"""The README's data-scientist snippets (tests/stack/test_docs.py knows the marker too)."""
DB_PASSWORD = "Rds%:/@#?&=+ pass%41word"
"""What an RDS-managed password may hold: every character a URI or ConfigParser treats specially."""
SERVING = "serving"
"""The namespace of the endpoints (its reader account downloads the models)."""


def readme_snippets() -> dict[str, str]:
    """The README's data-scientist snippets by marker: the test runs them as written."""
    return dict(SNIPPET.findall((ROOT / "README.md").read_text()))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def postgres_bin() -> Path | None:
    """Debian's PostgreSQL server binaries (not on PATH), or whatever ``initdb`` PATH has."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


@dataclass
class Processes:
    """Every process the test starts, each in its own session, stopped by its process group."""

    logs: Path
    started: list[subprocess.Popen[bytes]] = field(default_factory=list[subprocess.Popen[bytes]])

    def start(self, name: str, command: list[str], **options: Any) -> subprocess.Popen[bytes]:
        log = (self.logs / f"{name}.log").open("ab")
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, **options)
        self.started.append(process)
        return process

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")[-4000:]

    def stop(self, process: subprocess.Popen[bytes]) -> None:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:  # MLflow's server takes ~20 s to drain under load: no test needs that
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        # Workers the server forked share its process group: none may outlive it.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)

    def stop_all(self) -> None:
        for process in reversed(self.started):
            self.stop(process)


def wait_for(what: str, check: Any, process: subprocess.Popen[bytes], log: str, processes: Processes) -> None:
    deadline = time.monotonic() + 180  # two cores shared by busy neighbours can be that slow
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{what} exited with {process.returncode}:\n{processes.log(log)}")
        if check():
            return
        time.sleep(0.2)
    pytest.fail(f"{what} not ready in 180 s:\n{processes.log(log)}")


def http(
    url: str, *, auth: tuple[str, str] | None = None, method: str = "GET", body: Any = None, host: str | None = None
) -> tuple[int, bytes]:
    """Status and body of one request (an HTTP error status is an answer, not an exception)."""
    headers = {"Content-Type": "application/json"}
    if auth is not None:
        headers["Authorization"] = "Basic " + base64.b64encode(":".join(auth).encode()).decode()
    if host is not None:
        headers["Host"] = host
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except OSError:
        return 0, b""


def answers(url: str, **options: Any) -> bool:
    return http(url, **options)[0] == 200


# --- the servers the registry needs -------------------------------------------------------


@pytest.fixture(scope="module")
def mlflow_python() -> Path:
    """The pinned MLflow's interpreter (``make mlflow-env`` builds or rebuilds it)."""
    python = MLFLOW_VENV / "bin" / "python"

    def version() -> str:
        if not python.exists():
            return ""
        return subprocess.run(
            [
                python,
                "-c",
                "import flask_wtf, prometheus_flask_exporter, moto, psycopg, mlflow; print(mlflow.__version__)",
            ],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()

    if version() != pins.MLFLOW_VERSION:
        subprocess.run(["make", "-s", "mlflow-env"], cwd=ROOT, check=True, timeout=900)
    assert version() == pins.MLFLOW_VERSION
    return python


@pytest.fixture(scope="module")
def processes() -> Iterator[Processes]:
    logs = Path(tempfile.mkdtemp(prefix="mlflow-live-logs-"))
    running = Processes(logs)
    try:
        yield running
    finally:
        running.stop_all()
        shutil.rmtree(logs, ignore_errors=True)


@dataclass(frozen=True)
class Database:
    host: str
    port: int
    username: str
    password: str


@pytest.fixture(scope="module")
def database(processes: Processes) -> Iterator[Database]:
    """A private PostgreSQL cluster as RDS runs it for the registry: SSL required
    (``rds.force_ssl``), the master user with a punctuated password, the database ``mlflow``."""
    binaries = postgres_bin()
    if binaries is None:
        pytest.skip("PostgreSQL is not installed (Debian: apt-get install postgresql; `make test` does it)")
    # PostgreSQL refuses to run as root: as root, the cluster belongs to nobody.
    owner: dict[str, Any] = {}
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        owner = {"user": nobody.pw_uid, "group": nobody.pw_gid, "extra_groups": []}
    directory = Path(tempfile.mkdtemp(prefix="mlflow-live-pg-"))  # /tmp: traversable by nobody
    server: subprocess.Popen[bytes] | None = None
    try:
        (directory / "password").write_text(DB_PASSWORD + "\n")
        if owner:
            for path in (directory, directory / "password"):
                os.chown(path, owner["user"], owner["group"])
        run_as = {"capture_output": True, **owner}
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
             "-keyout", str(directory / "server.key"), "-out", str(directory / "server.crt")],
            check=True, **run_as,
        )  # fmt: skip
        subprocess.run(
            [binaries / "initdb", "-D", directory / "data", "-U", DB_USER, f"--pwfile={directory / 'password'}",
             "--auth=scram-sha-256", "--no-locale", "-E", "UTF8", "--no-sync"],
            check=True, **run_as,
        )  # fmt: skip
        # SSL or nothing over TCP, as rds.force_ssl=1.
        (directory / "data" / "pg_hba.conf").write_text(
            "local all all scram-sha-256\nhostssl all all 127.0.0.1/32 scram-sha-256\n"
        )
        port = free_port()
        server = processes.start(
            "postgres",
            [str(binaries / "postgres"), "-D", str(directory / "data"), "-p", str(port), "-k", str(directory),
             "-c", "listen_addresses=127.0.0.1", "-c", "ssl=on", "-c", f"ssl_cert_file={directory / 'server.crt'}",
             "-c", f"ssl_key_file={directory / 'server.key'}", "-c", "fsync=off"],
            **owner,
        )  # fmt: skip
        client = {**os.environ, "PGPASSWORD": DB_PASSWORD, "PGSSLMODE": "require"}
        ready = [str(binaries / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(port)]
        wait_for(
            "PostgreSQL", lambda: subprocess.run(ready, check=False).returncode == 0, server, "postgres", processes
        )
        subprocess.run(
            [binaries / "createdb", "-h", "127.0.0.1", "-p", str(port), "-U", DB_USER, DB_NAME],
            env=client, check=True, capture_output=True,
        )  # fmt: skip
        yield Database("127.0.0.1", port, DB_USER, DB_PASSWORD)
    finally:
        if server is not None:
            processes.stop(server)
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="module")
def s3(mlflow_python: Path, processes: Processes) -> str:
    """moto's server standing in for S3 (the registry writes artifacts through its IRSA role)."""
    port = free_port()
    server = processes.start("moto", [str(mlflow_python.parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)])
    url = f"http://127.0.0.1:{port}"
    wait_for("moto", lambda: answers(f"{url}/moto-api/"), server, "moto", processes)
    return url


# --- the plan -------------------------------------------------------------------------------


def endpoints_plan() -> dict[str, dict[str, Any]]:
    """Manifests of the prod stack with the README's endpoints: prod's own, their model taken
    from the registry as the README shows, plus the ones prod does not have."""
    config = read_stack_file(stack_file("prod"), PROJECT)
    platform = json.loads(config.values[f"{PROJECT}:platform"])
    readme = yaml.safe_load(readme_snippets()["endpoints"])["endpoints"]
    by_name = {e["name"]: e for e in platform["endpoints"]}
    for endpoint in readme:
        if endpoint["name"] in by_name:
            kept = {
                k: v
                for k, v in by_name[endpoint["name"]].items()
                if k not in ("bucket", "modelPrefix", "modelVersion", "model")
            }
            by_name[endpoint["name"]] = {**kept, **endpoint}
        else:
            by_name[endpoint["name"]] = endpoint
    platform["endpoints"] = list(by_name.values())
    values = {**config.values, f"{PROJECT}:platform": json.dumps(platform)}
    changed = StackConfig(source=config.source, values=values, secret_keys=config.secret_keys)
    return document.manifests(run_program_dir(ROOT / "infra", stack="prod", config=changed, project=PROJECT).resources)


def manifest(manifests: Mapping[str, dict[str, Any]], kind: str, namespace: str, name: str) -> dict[str, Any]:
    [found] = [
        m
        for m in manifests.values()
        if m["kind"] == kind and m["metadata"]["name"] == name and m["metadata"].get("namespace") == namespace
    ]
    return found


def container(pod: Mapping[str, Any], name: str, init: bool = False) -> dict[str, Any]:
    [found] = [c for c in pod["initContainers" if init else "containers"] if c["name"] == name]
    return found


class PodFiles:
    """A pod's filesystem as its containers see their volumes: each mount path (and the
    directories above it, like ``SECRETS_DIR``) rebased under ``root``."""

    def __init__(self, root: Path, pod: Mapping[str, Any]) -> None:
        self.root = root
        self.fs = root / "fs"
        containers = [*pod.get("initContainers", []), *pod["containers"]]
        self.mounts = {m["mountPath"]: m["name"] for c in containers for m in c["volumeMounts"]}
        for path, volume in self.mounts.items():
            assert [p for p, v in self.mounts.items() if v == volume] == [path], "one path per volume"
            (self.fs / path.lstrip("/")).mkdir(parents=True, exist_ok=True)
        paths = {*self.mounts, *(str(p) for m in self.mounts for p in PurePosixPath(m).parents if len(p.parts) > 2)}
        self.pattern = re.compile(
            "|".join(rf"(?<![\w./-]){re.escape(p)}(?![\w.-])" for p in sorted(paths, key=len, reverse=True))
        )

    def write(self, volume: str, files: Mapping[str, str]) -> None:
        [path] = [p for p, v in self.mounts.items() if v == volume]
        for name, text in files.items():
            (self.fs / path.lstrip("/") / name).write_text(text)

    def rebase(self, text: str) -> str:
        return self.pattern.sub(lambda m: f"{self.fs}{m.group(0)}", text)

    def path(self, path: str) -> Path:
        return Path(self.rebase(path))

    def env(self, spec: Mapping[str, Any], python: Path) -> dict[str, str]:
        """A container's environment, paths rebased; the image has python and mlflow on PATH,
        here they come from the pinned MLflow's environment."""
        env = {e["name"]: self.rebase(e["value"]) for e in spec["env"]}
        return {"PATH": f"{python.parent}:/usr/bin:/bin", "LANG": "C.UTF-8", **env}

    def command(self, spec: Mapping[str, Any], python: Path) -> list[str]:
        parts = [*spec.get("command", []), *spec.get("args", [])]
        return [str(python) if part == "python" else self.rebase(part) for part in parts]


@dataclass
class Registry:
    """The registry's server and metrics sidecar as the prod plan renders them."""

    python: Path
    files: PodFiles
    pod: dict[str, Any]
    database: Database
    s3: str
    processes: Processes
    port: int = field(default_factory=free_port)
    metrics_port: int = field(default_factory=free_port)
    server: subprocess.Popen[bytes] | None = None
    sidecar: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://localhost:{self.port}"

    def start(self) -> None:
        spec = container(self.pod, "server")
        env = self.files.env(spec, self.python)
        port = next(p["containerPort"] for p in spec["ports"] if p["name"] == "http")
        # The Service's DNS name and port: localhost and a free port, never all interfaces.
        args = [
            {"--host=0.0.0.0": "--host=127.0.0.1", f"--port={port}": f"--port={self.port}"}.get(a, a)
            for a in env["MLFLOW_ARGS"].split("\x1f")
        ]
        assert f"--port={self.port}" in args and "--host=127.0.0.1" in args
        env |= {
            "MLFLOW_ARGS": "\x1f".join(args),
            # RDS: the local cluster.
            "DB_HOST": self.database.host,
            "DB_PORT": str(self.database.port),
            # S3 through IRSA: moto, with keys it accepts.
            "MLFLOW_S3_ENDPOINT_URL": self.s3,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
        }
        self.server = self.processes.start("server", self.files.command(spec, self.python), env=env)
        probe = spec["readinessProbe"]["httpGet"]
        host = {h["name"]: h["value"] for h in probe["httpHeaders"]}["Host"]
        url = f"http://127.0.0.1:{self.port}{probe['path']}"
        wait_for("mlflow server", lambda: answers(url, host=host), self.server, "server", self.processes)

    def stop(self) -> None:
        if self.server is not None:
            self.processes.stop(self.server)
            self.server = None

    def start_metrics(self) -> str:
        spec = container(self.pod, "metrics")
        env = self.files.env(spec, self.python)
        # Its address and the server's port: localhost and the free ports chosen here.
        env |= {
            "METRICS_HOST": "127.0.0.1",
            "METRICS_PORT": str(self.metrics_port),
            "SERVER_HEALTH_URL": re.sub(r":\d+/", f":{self.port}/", env["SERVER_HEALTH_URL"]),
        }
        self.sidecar = self.processes.start("metrics", self.files.command(spec, self.python), env=env)
        url = f"http://127.0.0.1:{self.metrics_port}/"
        wait_for("metrics sidecar", lambda: http(url)[0] != 0, self.sidecar, "metrics", self.processes)
        return f"http://127.0.0.1:{self.metrics_port}"


@dataclass
class Accounts:
    admin: str = field(default_factory=lambda: "admin %pass " + secrets.token_urlsafe(12))
    reader: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    scientist: str = field(default_factory=lambda: secrets.token_urlsafe(24))

    def write(self, files: PodFiles) -> None:
        """The mounted Secrets' files, as kubelet writes them from the Secrets."""
        files.write("admin", {"password": self.admin})
        files.write("readers", {reader_name(SERVING): self.reader})


@pytest.fixture(scope="module")
def prod() -> dict[str, dict[str, Any]]:
    return document.manifests(stack_recording("prod").resources)


@pytest.fixture(scope="module")
def registry(
    prod: dict[str, dict[str, Any]], mlflow_python: Path, database: Database, s3: str, processes: Processes
) -> Iterator[Registry]:
    deployment = manifest(prod, "Deployment", "mlflow", "mlflow")
    pod = deployment["spec"]["template"]["spec"]
    root = Path(tempfile.mkdtemp(prefix="mlflow-live-pod-"))
    try:
        files = PodFiles(root, pod)
        start = next(v for v in pod["volumes"] if v["name"] == "start")["configMap"]["name"]
        files.write("start", manifest(prod, "ConfigMap", "mlflow", start)["data"])
        # The db-credentials init container's output: the RDS secret's JSON (Secrets Manager
        # is not reachable here; its command is checked by the component tests).
        files.write(
            "db", {"credentials.json": json.dumps({"username": database.username, "password": database.password})}
        )
        files.write("flask", {"secret-key": secrets.token_urlsafe(48)})
        server = container(pod, "server")
        bucket = re.search(r"--artifacts-destination=s3://([^/\x1f]+)", str(server["env"]))
        assert bucket is not None
        assert http(f"{s3}/{bucket.group(1)}", method="PUT")[0] == 200  # the artifact bucket
        running = Registry(mlflow_python, files, pod, database, s3, processes)
        yield running
        running.stop()
        if running.sidecar is not None:
            processes.stop(running.sidecar)
    finally:
        shutil.rmtree(root, ignore_errors=True)


# --- the test -------------------------------------------------------------------------------


def rule_metrics(prod: Mapping[str, dict[str, Any]]) -> set[str]:
    rules = manifest(prod, "PrometheusRule", "mlflow", "model-registry")["spec"]["groups"][0]["rules"]
    return {name for rule in rules for name in re.findall(r"([a-zA-Z_:][a-zA-Z0-9_:]*)\{", rule["expr"])}


def scraped_names(text: str) -> set[str]:
    return {m for m in re.findall(r"^# TYPE (\S+) ", text, re.MULTILINE)} | {
        m for m in re.findall(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]", text, re.MULTILINE)
    }


def run_snippets(python: Path, registry: Registry, account: tuple[str, str], work: Path) -> None:
    """The README's snippets, verbatim, each in a directory holding the files it names."""
    snippets = readme_snippets()
    inputs: dict[str, dict[str, str]] = {
        "triton": {"model.onnx": "an exported model"},
        "vllm": {
            "qwen2.5-1.5b-instruct/config.json": json.dumps({"architectures": ["Qwen2ForCausalLM"]}),
            "qwen2.5-1.5b-instruct/tokenizer.json": "{}",
            "qwen2.5-1.5b-instruct/model.safetensors": "weights",
        },
        "custom": {"scorer/model.pkl": "a pickle", "scorer/schema.json": "{}"},
    }
    runner = ["import os"]
    for runtime, files in inputs.items():
        for name, text in files.items():
            (work / runtime / name).parent.mkdir(parents=True, exist_ok=True)
            (work / runtime / name).write_text(text)
        runner.append(f"os.chdir({str(work / runtime)!r})")
        runner.append(f"exec(compile({snippets[runtime]!r}, 'README {runtime} snippet', 'exec'), {{}})")
    env = {
        "PATH": f"{python.parent}:/usr/bin:/bin",
        "HOME": str(work),
        "MLFLOW_TRACKING_URI": registry.url,
        "MLFLOW_TRACKING_USERNAME": account[0],
        "MLFLOW_TRACKING_PASSWORD": account[1],
        "MLFLOW_DISABLE_TELEMETRY": "true",
    }
    result = subprocess.run(
        [python, "-c", "\n".join(runner)], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr[-4000:]


def download(registry: Registry, pod: Mapping[str, Any], root: Path, reader: str) -> tuple[PodFiles, dict[str, Any]]:
    """An endpoint's init container as the plan renders it (command and environment), as its
    namespace's account."""
    files = PodFiles(root, pod)
    spec = container(pod, "download-model", init=True)
    secret = next(v for v in pod["volumes"] if v["name"] == "registry-credentials")["secret"]["secretName"]
    assert secret == "mlflow-reader"  # the Secret the registry gives the serving namespace
    files.write("registry-credentials", {"username": reader_name(SERVING), "password": reader})
    env = files.env(spec, registry.python)
    # The registry's Service DNS name: the local server.
    assert env["MLFLOW_TRACKING_URI"] == "http://mlflow.mlflow.svc:5000"
    env["MLFLOW_TRACKING_URI"] = registry.url
    return files, {"command": files.command(spec, registry.python), "env": env}


def served_pod(manifests: Mapping[str, dict[str, Any]], name: str) -> dict[str, Any]:
    """The pod spec an endpoint serves with: its Deployment's, or its Rollout's when it is canaried
    (prod's default)."""
    [found] = [
        m
        for m in manifests.values()
        if m["kind"] in ("Deployment", "Rollout")
        and m["metadata"]["name"] == name
        and m["metadata"].get("namespace") == SERVING
    ]
    return found["spec"]["template"]["spec"]


def check_downloads(registry: Registry, prod: Mapping[str, dict[str, Any]], reader: str) -> None:
    """Each endpoint's init container as planned, as the serving namespace's reader account; the
    files land where each server's arguments look."""
    planned = endpoints_plan()
    pods = {name: served_pod(planned, name) for name in ("llm-chat", "scorer")}
    # Prod's own stack file, once `mlops promote` pinned its champion (check_promotion).
    pods["fraud-detector"] = served_pod(prod, "fraud-detector")
    assert container(pods["fraud-detector"], "download-model", init=True)["env"][0] == {
        "name": "MODEL_URI",
        "value": "models:/fraud-detector/1",
    }
    assert pods["fraud-detector"] == served_pod(planned, "fraud-detector")
    runs = {name: download(registry, pod, registry.files.root / name, reader) for name, pod in pods.items()}
    started = {name: registry.processes.start(f"download-{name}", **run) for name, (_, run) in runs.items()}
    for name, process in started.items():
        assert process.wait(timeout=180) == 0, registry.processes.log(f"download-{name}")
    triton = container(pods["fraud-detector"], "server")
    repository = next(a.split("=", 1)[1] for a in triton["args"] if a.startswith("--model-repository="))
    model = runs["fraud-detector"][0].path(repository) / "fraud-detector"
    assert 'name: "fraud-detector"' in (model / "config.pbtxt").read_text()
    assert (model / "1" / "model.onnx").read_text() == "an exported model"
    vllm = container(pods["llm-chat"], "server")
    weights = runs["llm-chat"][0].path(vllm["args"][0])  # vLLM takes the model positionally
    assert {p.name for p in weights.iterdir()} == {"config.json", "tokenizer.json", "model.safetensors"}
    custom = container(pods["scorer"], "server")
    served = runs["scorer"][0].path(custom["args"][custom["args"].index("--model-dir") + 1])
    assert (served / "model.pkl").read_text() == "a pickle" and (served / "schema.json").exists()


def mlops_promote(stack: Path, env: Mapping[str, str], *extra: str) -> subprocess.CompletedProcess[str]:
    """``mlops promote`` of prod's fraud-detector as a workflow runs it: the console script, the
    registry's URL and an account in the environment."""
    command = [str(ROOT / ".venv" / "bin" / "mlops"), "promote", "--stack", "prod", "--endpoint", "fraud-detector"]
    return subprocess.run(
        [*command, "--config", str(stack), *extra],
        env={"PATH": "/usr/bin:/bin", "MLFLOW_DISABLE_TELEMETRY": "true", **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )


def check_promotion(registry: Registry, admin: tuple[str, str], scientist: tuple[str, str], work: Path) -> Path:
    """The alias moves in the live registry; `mlops promote` follows it into a copy of prod's stack
    file, one line at a time, and refuses (status 2, one line, file untouched) what it cannot pin.
    Returns the stack file pinned to version 1 (what check_downloads plans)."""
    api = f"{registry.url}/api/2.0/mlflow"
    work.mkdir(parents=True, exist_ok=True)
    stack = work / "Pulumi.prod.yaml"
    # Prod's file as it was before its first promotion: the alias alone (a canary refuses to plan
    # so, which is why `mlops promote` runs before the endpoint's first deploy).
    alias = "          alias: champion\n"
    original = stack_file("prod").read_text().replace(f"{alias}          version: 1\n", alias)
    assert "version: 1" not in original
    stack.write_text(original)
    env = {
        "MLFLOW_TRACKING_URI": registry.url,
        "MLFLOW_TRACKING_USERNAME": scientist[0],
        "MLFLOW_TRACKING_PASSWORD": scientist[1],
    }
    first = mlops_promote(stack, env)
    assert (first.returncode, first.stderr) == (0, ""), first.stderr
    assert first.stdout == f"fraud-detector: unpinned -> v1 (fraud-detector@champion); {stack} updated\n"
    pinned = stack.read_text()
    assert pinned == original.replace(alias, f"{alias}          version: 1\n") == stack_file("prod").read_text()
    snapshot = work / "pinned-v1.yaml"
    snapshot.write_text(pinned)

    # The data scientist registers version 2 and moves champion: the next run pins it.
    move = (
        "import mlflow\nclient = mlflow.MlflowClient()\n"
        "first = client.get_model_version('fraud-detector', '1')\n"
        "version = client.create_model_version('fraud-detector', first.source, first.run_id)\n"
        "client.set_registered_model_alias('fraud-detector', 'champion', version.version)\n"
    )
    moved = subprocess.run(
        [registry.python, "-c", move],
        env={"PATH": f"{registry.python.parent}:/usr/bin:/bin", "HOME": str(work), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert moved.returncode == 0, moved.stderr[-3000:]
    second = mlops_promote(stack, env)
    assert second.returncode == 0 and second.stdout.startswith("fraud-detector: v1 -> v2 (fraud-detector@champion);")
    assert stack.read_text() == pinned.replace("version: 1\n", "version: 2\n")
    assert mlops_promote(stack, env).stdout.startswith("fraud-detector: v2 already pinned")

    def refused(result: subprocess.CompletedProcess[str], fragment: str) -> None:
        assert result.returncode == 2 and result.stdout == "", result
        assert result.stderr.count("\n") == 1 and fragment in result.stderr, result.stderr
        assert stack.read_text() == pinned.replace("version: 1\n", "version: 2\n")  # untouched

    # Version 2 is deleted (and with it the alias): the alias no longer resolves, the version neither.
    assert http(f"{api}/model-versions/delete", auth=admin, method="DELETE",
                body={"name": "fraud-detector", "version": "2"})[0] == 200  # fmt: skip
    refused(mlops_promote(stack, env), "mlops promote: fraud-detector@champion: no such alias in the registry")
    refused(
        mlops_promote(stack, env, "--version", "2"),
        "mlops promote: fraud-detector version 2: no such version in the registry",
    )
    # A wrong password (401) and an account the model is closed to (403).
    refused(mlops_promote(stack, {**env, "MLFLOW_TRACKING_PASSWORD": "wrong-password-0"}), "registry answered 401")
    outsider = ("outsider", secrets.token_urlsafe(24))
    assert http(f"{api}/users/create", auth=admin, method="POST",
                body={"username": outsider[0], "password": outsider[1]})[0] == 200  # fmt: skip
    closed = {
        "username": outsider[0],
        "resource_type": "registered_model",
        "resource_id": "fraud-detector",
        "permission": "DENY",  # the pinned MLflow grants DENY on a resource (NO_PERMISSIONS is not grantable)
    }
    grant = f"{registry.url}/api/3.0/mlflow/users/permissions/grant"  # the pinned MLflow's auth client
    status, body = http(grant, auth=admin, method="POST", body=closed)
    assert status == 200, body
    outside = {**env, "MLFLOW_TRACKING_USERNAME": outsider[0], "MLFLOW_TRACKING_PASSWORD": outsider[1]}
    refused(mlops_promote(stack, outside, "--version", "1"), "registry answered 403 (forbidden)")
    # A manual rollback to a version that exists: one line back.
    back = mlops_promote(stack, env, "--version", "1")
    assert back.returncode == 0 and back.stdout.startswith("fraud-detector: v2 -> v1 (fraud-detector);")
    assert stack.read_text() == pinned
    # The data scientist points champion back at version 1, as the README's snippet left it.
    back_alias = {"name": "fraud-detector", "alias": "champion", "version": "1"}
    assert http(f"{api}/registered-models/alias", auth=scientist, method="POST", body=back_alias)[0] == 200
    assert mlops_promote(stack, env).stdout.startswith("fraud-detector: v1 already pinned (fraud-detector@champion)")
    return snapshot


def check_scrape(registry: Registry, prod: Mapping[str, dict[str, Any]], metrics: str, reader: tuple[str, str]) -> str:
    """Scrape as the ServiceMonitor does (its port and path, no credentials): every metric of the
    registry's rules is there. Returns the URL scraped."""
    monitor = manifest(prod, "ServiceMonitor", "mlflow", "mlflow")["spec"]["endpoints"]
    assert monitor == [{"port": "metrics", "path": "/metrics", "interval": "30s"}]
    status, scraped = http(metrics + monitor[0]["path"])
    assert status == 200, scraped
    text = scraped.decode()
    wanted = rule_metrics(prod) - {"up"}  # `up` is Prometheus's own: 1 for the scrape that answered 200
    # Every other name is the pinned MLflow's: its exporter's prefix, read from its source.
    [exporter] = (registry.python.parent.parent / "lib").glob(
        "python3*/site-packages/mlflow/server/prometheus_exporter.py"
    )
    prefix = re.search(r'defaults_prefix="(\w+)"', exporter.read_text())
    assert prefix is not None and wanted and all(m.startswith(f"{prefix.group(1)}_") for m in wanted)
    assert wanted <= scraped_names(text), text[:3000]
    assert re.search(r'^mlflow_http_request_total\{[^}]*status="200"', text, re.MULTILINE)  # the rule's label
    # The server's own /metrics stays behind basic auth, closed to a reader.
    assert http(f"{registry.url}/metrics", auth=reader)[0] == 403
    return metrics + monitor[0]["path"]


def test_the_registry_runs_as_planned_against_real_servers(registry: Registry, prod: dict[str, dict[str, Any]]) -> None:
    accounts = Accounts()
    accounts.write(registry.files)
    registry.start()
    metrics = registry.start_metrics()
    admin = ("admin", accounts.admin)
    api = f"{registry.url}/api/2.0/mlflow"

    # A data scientist's account, made by the admin; the README's snippets log and promote.
    scientist = {"username": "data-scientist", "password": accounts.scientist}
    status, body = http(f"{api}/users/create", auth=admin, method="POST", body=scientist)
    assert status == 200, body
    run_snippets(registry.python, registry, ("data-scientist", accounts.scientist), registry.files.root / "scientist")
    pinned = check_promotion(registry, admin, ("data-scientist", accounts.scientist), registry.files.root / "promotion")
    promoted = read_stack_file(pinned, PROJECT)
    prod = document.manifests(run_program_dir(ROOT / "infra", stack="prod", config=promoted, project=PROJECT).resources)
    check_downloads(registry, prod, accounts.reader)

    # A reader reads, but cannot move an alias or delete a version.
    reader = (reader_name(SERVING), accounts.reader)
    assert answers(f"{api}/registered-models/alias?name=fraud-detector&alias=champion", auth=reader)
    move = {"name": "fraud-detector", "alias": "champion", "version": "1"}
    assert http(f"{api}/registered-models/alias", auth=reader, method="POST", body=move)[0] == 403
    delete = {"name": "fraud-detector", "version": "1"}
    assert http(f"{api}/model-versions/delete", auth=reader, method="DELETE", body=delete)[0] == 403

    scrape = check_scrape(registry, prod, metrics, reader)
    # The server stops: the scrape fails, so `up` is 0 and ModelRegistryDown fires.
    registry.stop()
    assert http(scrape)[0] == 503

    # New passwords in the Secrets, a restart: the new ones log in, the old ones no longer.
    old = accounts
    accounts = Accounts(scientist=old.scientist)
    accounts.write(registry.files)
    registry.start()
    assert answers(f"{api}/users/get?username=admin", auth=("admin", accounts.admin))
    assert http(f"{api}/users/get?username=admin", auth=admin)[0] == 401
    assert answers(f"{api}/registered-models/get?name=llm-chat", auth=(reader[0], accounts.reader))
    assert http(f"{api}/registered-models/get?name=llm-chat", auth=reader)[0] == 401
    assert http(scrape)[0] == 200

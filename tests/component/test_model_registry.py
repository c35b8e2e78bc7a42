"""ModelRegistry under mocks: every child's inputs, and endpoints serving a registered model."""

from __future__ import annotations

import configparser
import json
import os
import re
import subprocess
import sys
import urllib.parse
from pathlib import Path
from typing import Any

import pulumi
import pytest

from components import ModelRegistry, ModelServingEndpoint, pins
from components.catalog import POOL_LABEL, Taint
from components.cluster import SYSTEM_POOL
from components.errors import ConfigError
from components.load_balancer_controller import LoadBalancing
from components.model_registry import METRICS_PORT, METRICS_SCRIPT, START_SCRIPT, ModelRegistryArgs, server_args
from components.naming import MODEL_URI_ANNOTATION
from components.plan.monitor import SECRET_PLACEHOLDER
from components.plan.runner import StackConfig, read_stack_file, run_program_dir
from tests.conftest import ROOT, RunProgram, named

ARTIFACT_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "Artifacts", "Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/mlflow/*"}
        ],
    }
)


BALANCING: LoadBalancing = {"vpc_cidr": "10.0.0.0/16", "releases": []}
"""What ``cluster.load_balancing()`` gives, for a registry tested without a cluster."""


def registry_args(**extra: Any) -> ModelRegistryArgs:
    args: dict[str, Any] = {
        "crds": [],
        "oidc_provider_arn": "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/X",
        "oidc_issuer_url": "https://oidc.eks.us-east-1.amazonaws.com/id/X",
        "vpc_id": "vpc-0123456789abcdef0",
        "subnet_ids": ["subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb"],
        "node_security_group_id": "sg-0nodes",
        "bucket_name": "models-bucket",
        "artifact_prefix": "mlflow/",
        "artifact_policy": ARTIFACT_POLICY,
        "allowed_namespaces": ["serving"],
        "alarm_topic_arn": "arn:aws:sns:us-east-1:123456789012:alerts",
        **extra,
    }
    return args  # type: ignore[return-value]


def deploy(run: RunProgram, args: ModelRegistryArgs) -> dict[str, Any]:
    def program() -> None:
        ModelRegistry("mlflow", args)

    return named(run(program))


def pod(resources: dict[str, Any]) -> dict[str, Any]:
    return resources["mlflow-deployment"].inputs["spec"]["template"]["spec"]


def test_database_is_private_encrypted_and_has_no_password_in_the_state(run: RunProgram) -> None:
    resources = deploy(run, registry_args())
    db = resources["mlflow-db"].inputs
    key_arn = resources["mlflow-db-key"]
    assert db["engine"] == "postgres" and db["engineVersion"] == pins.POSTGRES_MAJOR
    assert db["engineLifecycleSupport"] == "open-source-rds-extended-support-disabled"
    assert db["storageEncrypted"] is True and db["storageType"] == "gp3"
    assert db["kmsKeyId"].startswith("arn:aws:kms:") and key_arn.type == "aws:kms/key:Key"
    assert db["kmsKeyId"] == db["masterUserSecretKmsKeyId"] == db["performanceInsightsKmsKeyId"]
    assert db["manageMasterUserPassword"] is True and "password" not in db
    assert db["publiclyAccessible"] is False and db["performanceInsightsEnabled"] is True
    assert db["vpcSecurityGroupIds"] and db["dbSubnetGroupName"]
    # Protected by default: deletion protection, a final snapshot, protect and retain.
    assert db["deletionProtection"] is True and db["skipFinalSnapshot"] is False and db["finalSnapshotIdentifier"]
    assert resources["mlflow-db"].protect and resources["mlflow-db"].retain_on_delete
    assert db["backupRetentionPeriod"] == 7 and db["multiAz"] is False
    params = {p["name"]: p["value"] for p in resources["mlflow-db-parameters"].inputs["parameters"]}
    assert params["rds.force_ssl"] == "1"
    assert resources["mlflow-db-parameters"].inputs["family"] == f"postgres{pins.POSTGRES_MAJOR}"


def test_the_database_sends_enhanced_monitoring_through_a_role_only_rds_assumes(run: RunProgram) -> None:
    resources = deploy(run, registry_args())
    db = resources["mlflow-db"].inputs
    role = resources["mlflow-db-monitoring-role"]
    assert db["monitoringInterval"] == 60 and db["monitoringRoleArn"].startswith("arn:aws:iam::")
    assert role.urn in resources["mlflow-db"].dependencies
    [statement] = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert statement["Principal"] == {"Service": "monitoring.rds.amazonaws.com"}
    attachment = resources["mlflow-db-monitoring-role-AmazonRDSEnhancedMonitoringRole"].inputs
    assert attachment["policyArn"] == "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"


def test_only_the_cluster_nodes_reach_the_database(run: RunProgram) -> None:
    resources = deploy(run, registry_args())
    rules = [r for r in resources.values() if r.type == "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"]
    assert [(r.inputs["referencedSecurityGroupId"], r.inputs["fromPort"], r.inputs["toPort"]) for r in rules] == [
        ("sg-0nodes", 5432, 5432)
    ]
    assert not any("cidrIpv4" in r.inputs for r in rules)
    group = resources["mlflow-db-security-group"].inputs
    assert "ingress" not in group and group["vpcId"] == "vpc-0123456789abcdef0"


def test_unprotected_dev_database_can_be_deleted(run: RunProgram) -> None:
    resources = deploy(run, registry_args(protect=False, backup_retention_days=1))
    db = resources["mlflow-db"]
    assert db.inputs["deletionProtection"] is False and db.inputs["skipFinalSnapshot"] is True
    assert "finalSnapshotIdentifier" not in db.inputs and not db.protect
    assert db.inputs["backupRetentionPeriod"] == 1


def test_role_reads_the_database_secret_and_writes_only_its_prefix(run: RunProgram) -> None:
    resources = deploy(run, registry_args())
    policy = json.loads(resources["mlflow-role-policy"].inputs["policy"])
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    assert by_sid["Artifacts"]["Resource"] == "arn:aws:s3:::b/mlflow/*"
    assert by_sid["ReadDatabaseSecret"]["Action"] == "secretsmanager:GetSecretValue"
    assert by_sid["ReadDatabaseSecret"]["Resource"] != "*"
    assert by_sid["DecryptDatabaseSecret"]["Resource"] == resources["mlflow-db"].inputs["kmsKeyId"]
    trust = json.loads(resources["mlflow-role"].inputs["assumeRolePolicy"])
    condition = json.dumps(trust["Statement"][0]["Condition"])
    assert "system:serviceaccount:mlflow:mlflow" in condition


def test_server_serves_artifacts_with_auth_and_metrics_and_no_credentials_in_the_manifest(run: RunProgram) -> None:
    resources = deploy(run, registry_args())
    spec = pod(resources)
    [server, sidecar] = spec["containers"]
    env = {e["name"]: e.get("value") for e in server["env"]}
    args = env["MLFLOW_ARGS"].split("\x1f")
    assert args == server_args("models-bucket", "mlflow/", "mlflow")
    assert {"--serve-artifacts", "--app-name=basic-auth", "--expose-prometheus=/tmp/prometheus"} <= set(args)
    assert "--artifacts-destination=s3://models-bucket/mlflow" in args
    assert server["image"] == pins.image("mlflow")
    # No credential in any container's environment: the database secret is fetched at start
    # through the IRSA role, the admin password is a mounted Secret.
    for container in [*spec["initContainers"], server, sidecar]:
        for variable in container["env"]:
            assert not re.search("PASSWORD|SECRET$|TOKEN", variable["name"]), variable
            assert "valueFrom" not in variable
    [init] = spec["initContainers"]
    assert "secretsmanager get-secret-value" in init["args"][0] and env["DB_HOST"]
    # What the start script reads is mounted where it reads it.
    mounts = {m["mountPath"] for m in server["volumeMounts"]}
    assert {"/run/mlflow/db", "/run/mlflow/admin", "/run/mlflow/readers", "/etc/mlflow"} <= mounts
    for part in ('run / "db" / "credentials.json"', 'run / "admin" / "password"', 'run / "readers"'):
        assert part in START_SCRIPT
    assert server["command"] == ["python", "/etc/mlflow/start.py"]
    compile(START_SCRIPT, "start.py", "exec")  # the entry point is valid Python
    assert resources["mlflow-admin"].inputs["stringData"] == SECRET_PLACEHOLDER


def test_server_pod_is_hardened_probed_and_on_system_nodes(run: RunProgram) -> None:
    spec = pod(deploy(run, registry_args()))
    assert spec["nodeSelector"] == {POOL_LABEL: SYSTEM_POOL} and spec["automountServiceAccountToken"] is False
    for container in [*spec["containers"], *spec["initContainers"]]:
        context = container["securityContext"]
        assert (
            context["runAsNonRoot"]
            and context["readOnlyRootFilesystem"]
            and context["capabilities"] == {"drop": ["ALL"]}
        )
        assert container["resources"]["limits"]
    server = spec["containers"][0]
    assert {"startupProbe", "readinessProbe", "livenessProbe"} <= set(server)
    assert server["readinessProbe"]["httpGet"]["path"] == "/health"


def test_two_replicas_get_a_budget_and_zone_spread(run: RunProgram) -> None:
    one = deploy(run, registry_args())
    assert "mlflow-pdb" not in one and "topologySpreadConstraints" not in pod(one)
    two = deploy(run, registry_args(replicas=2))
    assert two["mlflow-deployment"].inputs["spec"]["replicas"] == 2
    assert two["mlflow-pdb"].inputs["spec"]["minAvailable"] == 1
    assert pod(two)["topologySpreadConstraints"][0]["topologyKey"] == "topology.kubernetes.io/zone"


def test_network_policy_admits_allowed_namespaces_to_the_server_and_monitoring_to_the_metrics(
    run: RunProgram,
) -> None:
    resources = deploy(run, registry_args(allowed_namespaces=["serving", "research"]))
    rules = resources["mlflow-network-policy"].inputs["spec"]["ingress"]
    sources = {
        rule["ports"][0]["port"]: {
            f["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"] for f in rule["from"]
        }
        for rule in rules
    }
    assert sources == {"http": {"serving", "research", "mlflow"}, "metrics": {"monitoring"}}


def test_service_is_cluster_ip_unless_an_internal_balancer_is_asked_for(run: RunProgram) -> None:
    assert deploy(run, registry_args())["mlflow-service"].inputs["spec"]["type"] == "ClusterIP"
    service = deploy(run, registry_args(load_balancer="internal", load_balancing=BALANCING))["mlflow-service"].inputs
    assert service["spec"]["type"] == "LoadBalancer"
    assert service["metadata"]["annotations"]["service.beta.kubernetes.io/aws-load-balancer-scheme"] == "internal"


def test_each_caller_namespace_gets_its_own_reader_account(run: RunProgram) -> None:
    resources = deploy(run, registry_args(allowed_namespaces=["serving", "research"]))
    for namespace in ("serving", "research"):
        secret = resources[f"mlflow-reader-{namespace}"].inputs
        assert secret["metadata"] == {**secret["metadata"], "name": "mlflow-reader", "namespace": namespace}
    # Prometheus needs no account: it scrapes the metrics sidecar, which only its namespace reaches.
    assert "mlflow-reader-monitoring-password" not in resources and "mlflow-metrics-credentials" not in resources


def test_prometheus_scrapes_the_metrics_sidecar_outside_basic_auth(run: RunProgram) -> None:
    resources = deploy(run, registry_args(load_balancer="internal", load_balancing=BALANCING))
    monitor = resources["mlflow-service-monitor"].inputs["spec"]
    assert monitor["endpoints"] == [{"port": "metrics", "path": "/metrics", "interval": "30s"}]
    service = resources["mlflow-metrics-service"].inputs
    assert service["metadata"]["name"] == "mlflow-metrics" and service["spec"]["type"] == "ClusterIP"
    assert monitor["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    assert (
        not monitor["selector"]["matchLabels"].items()
        <= resources["mlflow-service"].inputs["metadata"]["labels"].items()
    )
    assert [p["name"] for p in resources["mlflow-service"].inputs["spec"]["ports"]] == ["http"]  # not on the NLB
    [_, sidecar] = pod(resources)["containers"]
    assert sidecar["command"] == ["python", "/etc/mlflow/metrics.py"]
    assert resources["mlflow-start-script"].inputs["data"]["metrics.py"] == METRICS_SCRIPT
    assert {"name": "metrics", "containerPort": METRICS_PORT, "protocol": "TCP"} in sidecar["ports"]
    rules = resources["mlflow-rules"].inputs["spec"]["groups"][0]["rules"]
    assert all('service="mlflow-metrics"' in rule["expr"] for rule in rules)


def test_every_replica_shares_one_generated_flask_secret_key(run: RunProgram) -> None:
    resources = deploy(run, registry_args(replicas=2))
    secret = resources["mlflow-flask-secret-key"].inputs
    assert secret["metadata"]["name"] == "mlflow-flask-secret-key" and secret["stringData"] == SECRET_PLACEHOLDER
    assert resources["mlflow-flask-secret-key"].type == "kubernetes:core/v1:Secret"
    volumes = {v["name"]: v for v in pod(resources)["volumes"]}
    assert volumes["flask"]["secret"]["secretName"] == "mlflow-flask-secret-key"


@pytest.mark.parametrize(
    ("password", "fragment"),
    [
        ("short-pass", "admin_password must have at least 12 characters"),
        ("password1234", "admin_password is the default password older MLflow releases shipped"),
        (" padded-password ", "admin_password must not start or end with whitespace"),
        ("two\nline-password", "admin_password must not contain control characters"),
    ],
)
def test_an_admin_password_mlflow_refuses_declares_nothing(run: RunProgram, password: str, fragment: str) -> None:
    def program() -> None:
        ModelRegistry("mlflow", registry_args(admin_password=password))

    with pytest.raises(ValueError, match=re.escape(fragment)) as raised:
        run(program)
    assert password.strip() not in str(raised.value)  # never echoed


def test_custom_objects_wait_for_the_crds_and_alarms_reach_the_topic(run: RunProgram) -> None:
    def program() -> None:
        crds = pulumi.CustomResource("test:index:Crds", "crds")
        ModelRegistry("mlflow", registry_args(crds=[crds]))  # type: ignore[list-item]

    resources = named(run(program))
    for child in ("mlflow-service-monitor", "mlflow-rules"):
        assert resources["crds"].urn in resources[child].dependencies
    alarms = {r.name: r.inputs for r in resources.values() if r.type == "aws:cloudwatch/metricAlarm:MetricAlarm"}
    assert set(alarms) == {"mlflow-db-alarm-cpu", "mlflow-db-alarm-storage", "mlflow-db-alarm-connections"}
    assert {a["metricName"] for a in alarms.values()} == {"CPUUtilization", "FreeStorageSpace", "DatabaseConnections"}
    assert all(a["alarmActions"] == ["arn:aws:sns:us-east-1:123456789012:alerts"] for a in alarms.values())
    assert alarms["mlflow-db-alarm-storage"]["threshold"] == 20 * 1024**3 // 10


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"backup_retention_days": 0}, "backup_retention_days must be 1..35"),
        ({"storage_gib": 200, "max_storage_gib": 100}, "storage_gib must be >= 20 and <= max_storage_gib"),
        ({"image": "ghcr.io/mlflow/mlflow:latest"}, "latest"),
        ({"load_balancer": "internet-facing"}, "load_balancer must be none or internal"),
        ({"replicas": True}, "replicas must be an integer"),
    ],
)
def test_bad_arguments_declare_nothing(run: RunProgram, change: dict[str, Any], fragment: str) -> None:
    def program() -> None:
        ModelRegistry("mlflow", registry_args(**change))

    with pytest.raises(ValueError, match=re.escape(fragment)):
        run(program)


def endpoint_on_registry(runtime: str, **registered: Any) -> Any:
    def program() -> None:
        registry = ModelRegistry("mlflow", registry_args())
        ModelServingEndpoint(
            "fraud",
            {
                "crds": [],
                "runtime": runtime,
                "oidc_provider_arn": "arn:aws:iam::123456789012:oidc-provider/x",
                "oidc_issuer_url": "https://x",
                "registered_model": registry.registered("fraud-detector", **registered),
                "pool": {
                    "name": "gpu",
                    "taints": [Taint("nvidia.com/gpu", "true", "NO_SCHEDULE")],
                    "device_resource": "nvidia.com/gpu",
                    "accelerators_per_node": 1,
                },
            },
        )

    return program


@pytest.mark.parametrize("runtime", ["triton", "vllm"])
def test_an_endpoint_serves_the_version_its_alias_was_pinned_to(run: RunProgram, runtime: str) -> None:
    resources = named(run(endpoint_on_registry(runtime, version=3, alias="champion")))
    deployment = resources["fraud-deployment"].inputs
    # The alias is the intent; the pod downloads the pinned version, whatever the alias says now.
    assert deployment["metadata"]["annotations"][MODEL_URI_ANNOTATION] == "models:/fraud-detector/3"
    spec = deployment["spec"]["template"]["spec"]
    [download] = spec["initContainers"]
    assert download["image"] == pins.image("mlflow")
    assert 'exec mlflow artifacts download --artifact-uri "$MODEL_URI" --dst-path /models/model' in download["args"][0]
    env = {e["name"]: e["value"] for e in download["env"]}
    assert env["MODEL_URI"] == "models:/fraud-detector/3"
    assert env["MLFLOW_TRACKING_URI"] == "http://mlflow.mlflow.svc:5000"
    # The registry account is a mounted Secret, read when the container starts, never an env value.
    assert 'MLFLOW_TRACKING_PASSWORD="$(cat /run/mlflow-reader/password)"' in download["args"][0]
    volumes = {v["name"]: v for v in spec["volumes"]}
    assert volumes["registry-credentials"]["secret"]["secretName"] == "mlflow-reader"
    if runtime == "triton":
        assert "--model-repository=/models/model" in spec["containers"][0]["args"]
    # The registry serves the artifacts: the endpoint's role has no S3 policy at all.
    assert "fraud-role-policy" not in resources
    timeout = int(deployment["metadata"]["annotations"]["pulumi.com/timeoutSeconds"])
    assert timeout >= 360 + 420 + 420  # node from zero, image pull and the model download


def test_a_registered_version_and_a_bad_reference(run: RunProgram) -> None:
    resources = named(run(endpoint_on_registry("vllm", version=7)))
    annotations = resources["fraud-deployment"].inputs["metadata"]["annotations"]
    assert annotations[MODEL_URI_ANNOTATION] == "models:/fraud-detector/7"
    with pytest.raises(ValueError, match="needs a version"):
        run(endpoint_on_registry("vllm"))
    with pytest.raises(ValueError, match=r"fraud-detector@champion is not pinned: pods would resolve the alias"):
        run(endpoint_on_registry("vllm", alias="champion"))


STUB_PSYCOPG = """
import json, os
def _log(*entry): open(os.environ["STUB_LOG"], "a").write(json.dumps(entry) + "\\n")
class _Result:
    def fetchone(self): return None
class _Connection:
    def __enter__(self): return self
    def __exit__(self, *exc): return False
    def execute(self, sql, params=()): _log("sql", sql, list(params)); return _Result()
def connect(**options): _log("connect", options); return _Connection()
"""
STUB_STORE = """
import json, os
def _log(*entry): open(os.environ["STUB_LOG"], "a").write(json.dumps(entry) + "\\n")
class SqlAlchemyStore:
    def init_db(self, uri): _log("init_db", uri)
    def has_user(self, name): return name == "admin"
    def update_user(self, name, password=None): _log("update_user", name, password)
    def create_user(self, name, password, is_admin=False): _log("create_user", name, password, is_admin)
"""
STUB_SERVER = """
import json, os, sys
keys = ("MLFLOW_BACKEND_STORE_URI", "MLFLOW_AUTH_CONFIG_PATH", "MLFLOW_FLASK_SERVER_SECRET_KEY")
open(os.environ["STUB_LOG"], "a").write(json.dumps(["exec", sys.argv[1:], {k: os.environ[k] for k in keys}]) + "\\n")
"""


def test_the_start_script_builds_the_database_uris_and_accounts_from_the_mounted_files(
    run: RunProgram, tmp_path: Path
) -> None:
    """START_SCRIPT under the pod's own environment, MLflow and psycopg stubbed: what it connects
    with, the URIs it hands MLflow, the accounts it writes, the server it execs."""
    server = pod(deploy(run, registry_args()))["containers"][0]
    env = {e["name"]: e["value"] for e in server["env"]}
    secrets = tmp_path / "run"
    for part in ("db", "admin", "flask", "readers/..data"):
        (secrets / part).mkdir(parents=True)
    password = "p%2F@:/#?x%s"  # what an RDS-generated password may hold, percent signs included
    (secrets / "db" / "credentials.json").write_text(json.dumps({"username": "mlflow_admin", "password": password}))
    (secrets / "admin" / "password").write_text("the-admin-%password\n")
    (secrets / "flask" / "secret-key").write_text("the-flask-secret-key\n")
    (secrets / "readers" / "reader-serving").write_text("the-reader-password\n")
    stubs, binaries, home = tmp_path / "stubs", tmp_path / "bin", tmp_path / "home"
    (stubs / "mlflow" / "server" / "auth").mkdir(parents=True)
    for package in ("mlflow", "mlflow/server", "mlflow/server/auth"):
        (stubs / package / "__init__.py").write_text("")
    (stubs / "psycopg.py").write_text(STUB_PSYCOPG)
    (stubs / "mlflow" / "server" / "auth" / "sqlalchemy_store.py").write_text(STUB_STORE)
    binaries.mkdir()
    home.mkdir()
    (binaries / "mlflow").write_text(f"#!{sys.executable}\n{STUB_SERVER}")
    (binaries / "mlflow").chmod(0o755)
    (tmp_path / "start.py").write_text(START_SCRIPT)
    log = tmp_path / "log.jsonl"
    result = subprocess.run(
        [sys.executable, str(tmp_path / "start.py")],
        env={
            **env,
            "SECRETS_DIR": str(secrets),
            "HOME": str(home),
            "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prometheus"),
            "PATH": f"{binaries}:{os.environ['PATH']}",
            "PYTHONPATH": str(stubs),
            "STUB_LOG": str(log),
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    calls = {entry[0]: entry[1:] for entry in entries}
    assert calls["connect"][0] | {"password": "?"} == {
        "host": env["DB_HOST"], "port": "5432", "user": "mlflow_admin", "password": "?",
        "dbname": "mlflow", "sslmode": "require", "autocommit": True,
    }  # fmt: skip
    assert calls["connect"][0]["password"] == password
    assert ["sql", 'CREATE DATABASE "mlflow_auth"', []] in entries

    def parsed(uri: str) -> tuple[str, str, str]:
        parts = urllib.parse.urlsplit(uri)
        return parts.path, urllib.parse.unquote(parts.password or ""), parts.query

    [exec_args, exec_env] = calls["exec"]
    assert parsed(calls["init_db"][0]) == ("/mlflow_auth", password, "sslmode=require")
    assert parsed(exec_env["MLFLOW_BACKEND_STORE_URI"]) == ("/mlflow", password, "sslmode=require")
    assert exec_args == ["server", *server_args("models-bucket", "mlflow/", "mlflow")]
    assert ["update_user", "admin", "the-admin-%password"] in entries
    assert exec_env["MLFLOW_FLASK_SERVER_SECRET_KEY"] == "the-flask-secret-key"
    assert ["create_user", "reader-serving", "the-reader-password", False] in entries
    assert not [e for e in entries if e[0] == "create_user" and e[1].startswith(".")]
    ini = Path(exec_env["MLFLOW_AUTH_CONFIG_PATH"])
    assert ini.parent.parent == home and ini.stat().st_mode & 0o777 == 0o600
    auth = configparser.ConfigParser()  # as MLflow reads it: % interpolation on
    auth.read(ini)
    assert dict(auth["mlflow"]) | {"database_uri": "?"} == {
        "default_permission": "READ", "database_uri": "?", "admin_username": "admin",
        "admin_password": "the-admin-%password",
        "authorization_function": "mlflow.server.auth:authenticate_request_basic_auth",
        "auth_cache_ttl_seconds": "60",
    }  # fmt: skip
    assert auth["mlflow"]["database_uri"] == calls["init_db"][0]


def test_the_stack_refuses_an_admin_password_mlflow_would_refuse_before_declaring_anything() -> None:
    config = read_stack_file(ROOT / "Pulumi.prod.yaml", "mlops-platform")
    key = "mlops-platform:modelRegistryAdminPassword"
    short = StackConfig(config.source, {**config.values, key: "too-short"}, [*config.secret_keys, key])
    with pytest.raises(ConfigError, match=f"{key}: must have at least 12 characters") as raised:
        run_program_dir(ROOT / "infra", stack="prod", config=short, project="mlops-platform")
    assert "too-short" not in str(raised.value)

"""ModelRegistry: an MLflow tracking server and model registry on the cluster, backed by RDS.

The server runs with ``--serve-artifacts`` (clients need no S3 credentials), the basic-auth app
(admin password from secret config, reader accounts per allowed namespace, a generated CSRF key
shared by every replica) and Prometheus metrics, served by a sidecar on a port of their own
that only the monitoring namespace may reach (behind basic auth only an admin could scrape).
Its database is RDS for PostgreSQL in the private subnets: encrypted with its own KMS key,
reachable only from the cluster's nodes, the master password managed by RDS in Secrets Manager.
The pod reads that secret at start through its IRSA role (an init container writes it to a
memory volume); no password is in the config, the state or the manifests.

Children (``<name>-<suffix>``): ``db-key``, ``db-subnets``, ``db-security-group``
(+ ``-from-nodes``), ``db-parameters``, ``db``, ``db-alarm-{cpu,storage,connections}``,
``role`` (+ ``-policy``), ``namespace``, ``service-account``, ``admin``, ``readers``,
``reader-<namespace>`` (password and Secret), ``flask-key`` (generated) and ``flask-secret-key`` (its Secret),
``start-script``, ``deployment``, ``service``, ``metrics-service``, ``network-policy``, ``pdb``
(two replicas or more), ``service-monitor`` and ``rules``.
"""

import json
from collections.abc import Sequence
from typing import Any, Literal, NotRequired, TypedDict, cast, get_args

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pulumi_random as random

from components import pins, timings
from components.alerting import registry_rules
from components.catalog import POOL_LABEL
from components.cluster import SYSTEM_POOL
from components.errors import checked_arguments, refuse, with_defaults
from components.iam import document, irsa_role, service_role
from components.isolation import registry_policy_specs
from components.kms import account_key
from components.load_balancer_controller import LoadBalancing, load_balancer_ingress, load_balancing_problems
from components.model_serving_endpoint import Port, RegisteredModel, registered_model, selector_for, service_spec
from components.naming import mlflow_password_problems, pinned_image_problems
from components.pods import hardened, pod_security_context, zone_spread
from components.team import declare_network_policies

PORT = 5000
METRICS_PORT = 5001
"""The metrics sidecar's port: outside basic auth, admitted only from the monitoring namespace."""
METRICS_SERVICE = "mlflow-metrics"
"""The ClusterIP Service Prometheus scrapes (never behind the registry's load balancer)."""
DB_NAME = "mlflow"
AUTH_DB_NAME = "mlflow_auth"
DB_USER = "mlflow_admin"
SECRETS_DIR = "/run/mlflow"
READER_SECRET = "mlflow-reader"
"""The Secret (``username``, ``password``) each namespace the registry admits gets."""
FLASK_SECRET = "mlflow-flask-secret-key"
"""The generated Secret (``secret-key``) basic auth signs its CSRF tokens with: MLflow refuses to
start without ``MLFLOW_FLASK_SERVER_SECRET_KEY``, and every replica and worker must share it."""
METRICS_DIR = "/tmp/prometheus"
"""``PROMETHEUS_MULTIPROC_DIR``: the server's workers write their metrics there (the shared
``tmp`` volume), the metrics sidecar reads them."""
START_SCRIPT = '''"""Start MLflow with credentials read from files (written by the init container and mounted
Secrets), so none is in the manifest: the database URI reaches the server in its environment."""
import configparser, json, os, pathlib, shutil, urllib.parse

# Metrics of workers that are gone would linger; MLflow's modules record metrics on import, so the
# directory is emptied before the first of them loads.
shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"])

import psycopg
from mlflow.server.auth.sqlalchemy_store import SqlAlchemyStore

run = pathlib.Path(os.environ["SECRETS_DIR"])
db = json.loads((run / "db" / "credentials.json").read_text())
host, port = os.environ["DB_HOST"], os.environ["DB_PORT"]
with psycopg.connect(host=host, port=port, user=db["username"], password=db["password"],
                     dbname=os.environ["DB_NAME"], sslmode="require", autocommit=True) as conn:
    if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (os.environ["AUTH_DB_NAME"],)).fetchone() is None:
        conn.execute(f'CREATE DATABASE "{os.environ["AUTH_DB_NAME"]}"')
user, password = (urllib.parse.quote(db[k], safe="") for k in ("username", "password"))


def database_uri(name):  # the password is percent-encoded: never format the URI with %
    return f"postgresql+psycopg://{user}:{password}@{host}:{port}/{name}?sslmode=require"


auth_uri = database_uri(os.environ["AUTH_DB_NAME"])
admin_password = (run / "admin" / "password").read_text().strip()
auth = {
    "default_permission": "READ",
    "database_uri": auth_uri,
    "admin_username": "admin",
    "admin_password": admin_password,
    "authorization_function": "mlflow.server.auth:authenticate_request_basic_auth",
    # Without a cache every request hashes its password (PBKDF2) again. Rotation restarts the
    # pods, so a cached credential outlives its change only when changed through the API, and
    # then by 60 s at most, on other workers.
    "auth_cache_ttl_seconds": "60",
}
# MLflow reads the file with ConfigParser's default interpolation: a literal % is written %%.
config = configparser.ConfigParser(interpolation=None)
config["mlflow"] = {key: value.replace("%", "%%") for key, value in auth.items()}
ini = pathlib.Path(os.environ["HOME"]) / "auth" / "basic_auth.ini"  # HOME is the pod's /tmp volume
ini.parent.mkdir(mode=0o700, exist_ok=True)
with os.fdopen(os.open(ini, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
    config.write(f)
store = SqlAlchemyStore()
store.init_db(auth_uri)
accounts = {"admin": admin_password}
accounts |= {p.name: p.read_text().strip() for p in (run / "readers").iterdir() if not p.name.startswith(".")}
for name, secret in accounts.items():  # passwords rotate with the Secrets
    if store.has_user(name):
        store.update_user(name, password=secret)
    else:
        store.create_user(name, secret, is_admin=name == "admin")
os.environ |= {"MLFLOW_BACKEND_STORE_URI": database_uri(os.environ["DB_NAME"]), "MLFLOW_AUTH_CONFIG_PATH": str(ini)}
if "MLFLOW_FLASK_SERVER_SECRET_KEY" not in os.environ:  # basic auth's CSRF key: one Secret for all replicas
    os.environ["MLFLOW_FLASK_SERVER_SECRET_KEY"] = (run / "flask" / "secret-key").read_text().strip()
os.execvp("mlflow", ["mlflow", "server", *os.environ["MLFLOW_ARGS"].split("\\x1f")])
'''
"""Entry point of the server container (a ConfigMap), run by the image's Python."""
METRICS_SCRIPT = '''"""Serve the server's Prometheus metrics on a port of their own, outside basic auth (where
/metrics answers 403 to every account but an admin): the workers' files, merged. A scrape fails
(503) while the server's /health does, so Prometheus's `up` is the server's."""
import os
import urllib.request
from wsgiref.simple_server import WSGIRequestHandler, make_server

from prometheus_client import CollectorRegistry, make_wsgi_app
from prometheus_client.multiprocess import MultiProcessCollector


class Quiet(WSGIRequestHandler):
    def log_message(self, format, *args):  # one line per scrape is noise
        pass


os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)
registry = CollectorRegistry()
MultiProcessCollector(registry)
metrics = make_wsgi_app(registry)


def app(environ, start_response):
    try:
        urllib.request.urlopen(os.environ["SERVER_HEALTH_URL"], timeout=5).close()
    except OSError as error:  # refused, timed out, or an HTTP error status
        start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
        return [f"the server's health check fails: {error}\\n".encode()]
    return metrics(environ, start_response)


address = (os.environ["METRICS_HOST"], int(os.environ["METRICS_PORT"]))
make_server(*address, app, handler_class=Quiet).serve_forever()
'''
"""Entry point of the metrics sidecar (the same ConfigMap and image)."""


class ModelRegistryArgs(TypedDict):
    """Arguments of :class:`ModelRegistry`."""

    crds: Sequence[k8s.helm.v3.Release]
    """What installs the ServiceMonitor and PrometheusRule CRDs: ``Cluster.crds``."""
    oidc_provider_arn: pulumi.Input[str]
    """Cluster OIDC provider ARN (the server's IRSA role trusts it)."""
    oidc_issuer_url: pulumi.Input[str]
    """Cluster OIDC issuer URL."""
    vpc_id: pulumi.Input[str]
    """VPC of the database."""
    subnet_ids: Sequence[pulumi.Input[str]]
    """Private subnets of the database (two zones at least)."""
    node_security_group_id: pulumi.Input[str]
    """Security group of the cluster's nodes: the only source admitted to the database (5432)."""
    bucket_name: pulumi.Input[str]
    """Artifact bucket."""
    artifact_prefix: str
    """Key prefix of the artifacts, e.g. ``mlflow/``."""
    artifact_policy: pulumi.Input[str]
    """IAM policy JSON: read-write on the prefix (``ArtifactBucket.policy_document(prefix, READ_WRITE)``)."""
    admin_password: NotRequired[pulumi.Input[str]]
    """Password of MLflow's ``admin`` account (a secret; never in the plan): 12 characters or more,
    MLflow's minimum, without surrounding whitespace or control characters; default: generated,
    and given as the ``admin_password`` output."""
    namespace: NotRequired[str]
    """Namespace it creates and runs in."""
    image: NotRequired[pulumi.Input[str]]
    """MLflow image with PostgreSQL drivers. The default is the pinned ``-full`` release; prod passes a
    digest-pinned copy from its own registry."""
    copier_image: NotRequired[pulumi.Input[str]]
    """Image with the AWS CLI that reads the database secret."""
    replicas: NotRequired[int]
    """Server replicas. Two or more get a PodDisruptionBudget and zone spread."""
    allowed_namespaces: NotRequired[Sequence[str]]
    """Namespaces whose pods may call it; each gets a reader account in Secret ``mlflow-reader``."""
    monitoring_namespace: NotRequired[str]
    """Namespace of Prometheus, the only one admitted to the metrics port."""
    load_balancer: NotRequired[str]
    """``none`` (a ClusterIP Service) or ``internal`` (an internal NLB)."""
    load_balancing: NotRequired[LoadBalancing]
    """The cluster's AWS Load Balancer Controller, which ``load_balancer: internal`` needs
    (``cluster.load_balancing()``)."""
    instance_class: NotRequired[str]
    """RDS instance class."""
    storage_gib: NotRequired[int]
    """Allocated gp3 storage in GiB, 20 or more."""
    max_storage_gib: NotRequired[int]
    """Storage autoscaling ceiling in GiB."""
    backup_retention_days: NotRequired[int]
    """Automated backup retention in days, 1-35."""
    multi_az: NotRequired[bool]
    """A standby in another zone (prod sets it)."""
    alarm_topic_arn: NotRequired[pulumi.Input[str]]
    """SNS topic for the database alarms (CPU, free storage, connections)."""
    region: NotRequired[str]
    """AWS region."""
    protect: NotRequired[bool]
    """Protect and retain the database and its key, with deletion protection and a final
    snapshot (default True)."""


RegistryLoadBalancer = Literal["none", "internal"]
"""``none``: a ClusterIP Service; ``internal``: an internal NLB (never internet-facing)."""


class _Defaults(TypedDict):
    namespace: str
    image: pulumi.Input[str]
    copier_image: pulumi.Input[str]
    replicas: int
    allowed_namespaces: Sequence[str]
    monitoring_namespace: str
    load_balancer: RegistryLoadBalancer
    instance_class: str
    storage_gib: int
    max_storage_gib: int
    backup_retention_days: int
    multi_az: bool
    region: str
    protect: bool


DEFAULTS: _Defaults = {
    "namespace": "mlflow",
    "image": pins.image("mlflow"),
    "copier_image": pins.image("aws-cli"),
    "replicas": 1,
    "allowed_namespaces": (),
    "monitoring_namespace": "monitoring",
    "load_balancer": "none",
    "instance_class": "db.t4g.small",
    "storage_gib": 20,
    "max_storage_gib": 100,
    "backup_retention_days": 7,
    "multi_az": False,
    "region": "us-east-1",
    "protect": True,
}
"""What each optional argument of :class:`ModelRegistry` is when it is not given (the stack config's
``modelRegistry`` section takes its defaults from here; prod's own are in ``infra/config.py``)."""
LOAD_BALANCERS: tuple[RegistryLoadBalancer, ...] = get_args(RegistryLoadBalancer)
MIN_STORAGE_GIB = 20
"""RDS for PostgreSQL's smallest gp3 allocation."""
MAX_BACKUP_RETENTION_DAYS = 35
ENHANCED_MONITORING_SECONDS = 60
"""Enhanced Monitoring's interval: the longest CreateDBInstance allows (0, 1, 5, 10, 15, 30, 60), so
the fewest CloudWatch Logs bytes."""
MAX_CONNECTIONS = {"micro": 80, "small": 170, "medium": 400, "large": 800}
"""RDS PostgreSQL's default ``max_connections`` (LEAST(DBInstanceClassMemory/9531392, 5000)) by size."""


def validate_registry(given: ModelRegistryArgs) -> list[str]:
    """Everything wrong with the arguments (empty when valid), all at once: the wrong-typed ones
    are named first, the checks below read the rest."""
    problems, args, settings = checked_arguments(given, ModelRegistryArgs, DEFAULTS)
    image = settings["image"]
    if isinstance(image, str):
        problems += pinned_image_problems(image)
    backups = settings["backup_retention_days"]
    if not 1 <= backups <= MAX_BACKUP_RETENTION_DAYS:
        problems.append(f"backup_retention_days must be 1..{MAX_BACKUP_RETENTION_DAYS} (got {backups})")
    storage, ceiling = settings["storage_gib"], settings["max_storage_gib"]
    if not MIN_STORAGE_GIB <= storage <= ceiling:
        problems.append(f"storage_gib must be >= {MIN_STORAGE_GIB} and <= max_storage_gib (got {storage}, {ceiling})")
    if settings["load_balancer"] not in LOAD_BALANCERS:
        problems.append(f"load_balancer must be none or internal (got {settings['load_balancer']!r})")
    problems += load_balancing_problems(settings["load_balancer"], args.get("load_balancing"))
    if not args["artifact_prefix"].endswith("/") or args["artifact_prefix"].startswith("/"):
        problems.append(f"artifact_prefix must end with / and not start with one (got {args['artifact_prefix']!r})")
    if settings["replicas"] < 1:
        problems.append(f"replicas must be >= 1 (got {settings['replicas']})")
    password = args.get("admin_password")
    if isinstance(password, str):
        problems += [f"admin_password {p}" for p in mlflow_password_problems(password)]
    return problems


def checked_admin_password(name: str, password: str) -> str:
    """The admin password, once known, if MLflow accepts it (raises otherwise)."""
    if problems := mlflow_password_problems(password):
        raise ValueError(f"ModelRegistry {name}: admin_password " + "; ".join(problems))
    return password


def tracking_uri(namespace: str) -> str:
    """The in-cluster URL of a registry's server."""
    return f"http://mlflow.{namespace}.svc:{PORT}"


def server_args(bucket: str, prefix: str, namespace: str) -> list[str]:
    """``mlflow server`` arguments (joined by the start script)."""
    return [
        "--app-name=basic-auth",
        "--host=0.0.0.0",
        f"--port={PORT}",
        "--serve-artifacts",
        f"--artifacts-destination=s3://{bucket}/{prefix.rstrip('/')}",
        f"--expose-prometheus={METRICS_DIR}",
        # Host-header check (MLflow 3.5+): the Service names, and pod IPs for probes and Prometheus.
        f"--allowed-hosts=mlflow.{namespace}.svc:*,mlflow.{namespace}.svc.cluster.local:*,localhost:*,10.*,172.*,192.168.*",
        "--workers=2",
    ]


def reader_name(namespace: str) -> str:
    """The MLflow account of a caller namespace."""
    return f"reader-{namespace}"


def pod_spec(
    name: str, args: ModelRegistryArgs, *, image: str, copier: str, bucket: str, secret_arn: str, host: str
) -> dict[str, Any]:
    """The server's pod: an init container fetching the database secret, the server, probes."""
    settings = with_defaults(args, DEFAULTS)
    namespace, region = settings["namespace"], settings["region"]
    probe = {"path": "/health", "port": "http", "httpHeaders": [{"name": "Host", "value": f"localhost:{PORT}"}]}
    pod: dict[str, Any] = {
        "serviceAccountName": "mlflow",
        "automountServiceAccountToken": False,
        "securityContext": pod_security_context(),
        "nodeSelector": {POOL_LABEL: SYSTEM_POOL},
        "initContainers": [
            hardened(
                {
                    "name": "db-credentials",
                    "image": copier,
                    "imagePullPolicy": "Always",
                    "command": ["sh", "-c"],
                    "args": [
                        'aws secretsmanager get-secret-value --secret-id "$SECRET_ARN" --query SecretString '
                        f"--output text > {SECRETS_DIR}/db/credentials.json"
                    ],
                    "env": [
                        {"name": "SECRET_ARN", "value": secret_arn},
                        {"name": "AWS_DEFAULT_REGION", "value": region},
                        {"name": "HOME", "value": "/tmp"},
                    ],
                    "resources": {
                        "requests": {"cpu": "100m", "memory": "128Mi"},
                        "limits": {"cpu": "500m", "memory": "256Mi"},
                    },
                    "volumeMounts": [
                        {"name": "db", "mountPath": f"{SECRETS_DIR}/db"},
                        {"name": "tmp", "mountPath": "/tmp"},
                    ],
                }
            )
        ],
        "containers": [
            hardened(
                {
                    "name": "server",
                    "image": image,
                    "imagePullPolicy": "Always",
                    "command": ["python", "/etc/mlflow/start.py"],
                    "ports": [{"name": "http", "containerPort": PORT, "protocol": "TCP"}],
                    "env": [
                        {"name": "SECRETS_DIR", "value": SECRETS_DIR},
                        {"name": "DB_HOST", "value": host},
                        {"name": "DB_PORT", "value": "5432"},
                        {"name": "DB_NAME", "value": DB_NAME},
                        {"name": "AUTH_DB_NAME", "value": AUTH_DB_NAME},
                        {
                            "name": "MLFLOW_ARGS",
                            "value": "\x1f".join(server_args(bucket, args["artifact_prefix"], namespace)),
                        },
                        {"name": "AWS_DEFAULT_REGION", "value": region},
                        {"name": "HOME", "value": "/tmp"},
                        {"name": "PROMETHEUS_MULTIPROC_DIR", "value": METRICS_DIR},
                        # No usage data leaves the registry (MLflow sends it by default).
                        {"name": "MLFLOW_DISABLE_TELEMETRY", "value": "true"},
                    ],
                    "resources": {
                        "requests": {"cpu": "500m", "memory": "1Gi"},
                        "limits": {"cpu": "2", "memory": "2Gi"},
                    },
                    "startupProbe": {"httpGet": probe, "periodSeconds": 10, "failureThreshold": 30},
                    "readinessProbe": {"httpGet": probe, "periodSeconds": 10, "failureThreshold": 3},
                    "livenessProbe": {"httpGet": probe, "periodSeconds": 20, "failureThreshold": 3},
                    "volumeMounts": [
                        {"name": "tmp", "mountPath": "/tmp"},
                        {"name": "db", "mountPath": f"{SECRETS_DIR}/db", "readOnly": True},
                        {"name": "admin", "mountPath": f"{SECRETS_DIR}/admin", "readOnly": True},
                        {"name": "readers", "mountPath": f"{SECRETS_DIR}/readers", "readOnly": True},
                        {"name": "flask", "mountPath": f"{SECRETS_DIR}/flask", "readOnly": True},
                        {"name": "start", "mountPath": "/etc/mlflow", "readOnly": True},
                    ],
                }
            ),
            hardened(metrics_container(image)),
        ],
        "volumes": [
            {"name": "tmp", "emptyDir": {}},
            {"name": "db", "emptyDir": {"medium": "Memory", "sizeLimit": "1Mi"}},
            # Mode 0440: kubelet gives Secret files the pod's fsGroup, the group the server runs in.
            {"name": "admin", "secret": {"secretName": "mlflow-admin", "defaultMode": 0o440}},
            {"name": "readers", "secret": {"secretName": "mlflow-readers", "defaultMode": 0o440}},
            {"name": "flask", "secret": {"secretName": FLASK_SECRET, "defaultMode": 0o440}},
            {"name": "start", "configMap": {"name": "mlflow-start"}},
        ],
    }
    if settings["replicas"] >= 2:
        pod["topologySpreadConstraints"] = zone_spread(selector_for(name))
    return pod


def metrics_container(image: str) -> dict[str, Any]:
    """The sidecar serving the workers' metrics on :data:`METRICS_PORT` (no account needed: only
    the monitoring namespace may reach that port)."""
    # A TCP probe: /metrics fails on purpose while the server is unhealthy, which is no reason
    # to restart the sidecar.
    probe = {"tcpSocket": {"port": "metrics"}, "periodSeconds": 10, "failureThreshold": 3}
    return {
        "name": "metrics",
        "image": image,
        "imagePullPolicy": "Always",
        "command": ["python", "/etc/mlflow/metrics.py"],
        "ports": [{"name": "metrics", "containerPort": METRICS_PORT, "protocol": "TCP"}],
        "env": [
            {"name": "PROMETHEUS_MULTIPROC_DIR", "value": METRICS_DIR},
            {"name": "METRICS_HOST", "value": "0.0.0.0"},
            {"name": "METRICS_PORT", "value": str(METRICS_PORT)},
            {"name": "SERVER_HEALTH_URL", "value": f"http://localhost:{PORT}/health"},
            {"name": "HOME", "value": "/tmp"},
        ],
        "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"cpu": "200m", "memory": "128Mi"}},
        "readinessProbe": probe,
        "livenessProbe": {**probe, "periodSeconds": 20},
        "volumeMounts": [
            {"name": "tmp", "mountPath": "/tmp"},
            {"name": "start", "mountPath": "/etc/mlflow", "readOnly": True},
        ],
    }


def network_policy_spec(
    name: str, allowed: Sequence[str], namespace: str, monitoring: str, load_balancer_cidr: str | None = None
) -> dict[str, Any]:
    """Ingress on the server port from the allowed namespaces and its own; on the metrics port
    from the monitoring namespace only (that port has no authentication); behind a load balancer, on the
    server port from its addresses in ``load_balancer_cidr`` too."""
    server = [{"port": "http", "protocol": "TCP"}]
    balanced = [load_balancer_ingress(load_balancer_cidr, server)] if load_balancer_cidr else []

    def namespaces(names: Sequence[str]) -> list[dict[str, Any]]:
        return [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": ns}}} for ns in names]

    return {
        "podSelector": {"matchLabels": selector_for(name)},
        "policyTypes": ["Ingress"],
        "ingress": [
            {"from": namespaces(sorted({namespace, *allowed})), "ports": server},
            {"from": namespaces([monitoring]), "ports": [{"port": "metrics", "protocol": "TCP"}]},
            *balanced,
        ],
    }


def secret_access_policy(secret_arn: str, key_arn: str) -> dict[str, Any]:
    """Read the database's master-user secret, and decrypt it with its key."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ReadDatabaseSecret",
                "Effect": "Allow",
                "Action": "secretsmanager:GetSecretValue",
                "Resource": secret_arn,
            },
            {"Sid": "DecryptDatabaseSecret", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": key_arn},
        ],
    }


def merged_policy(artifacts: str, secret: dict[str, Any]) -> str:
    """The artifact prefix's statements and the secret's, in one document."""
    statements = [*json.loads(artifacts)["Statement"], *secret["Statement"]]
    return document(*statements)


class ModelRegistry(pulumi.ComponentResource):
    """MLflow tracking server and model registry on the cluster, with an RDS PostgreSQL store."""

    tracking_uri: str
    """In-cluster URL of the server (``http://mlflow.<namespace>.svc:5000``)."""
    namespace: str
    """Namespace of the server."""
    image: pulumi.Input[str]
    """The MLflow image it runs (endpoints resolve registered models with the same client)."""
    reader_secret: str
    """Name of the Secret (``username``, ``password``) each allowed namespace gets."""
    allowed_namespaces: list[str]
    """The namespaces admitted, each with its reader account."""
    db_endpoint: pulumi.Output[str]
    """The database's address."""
    db_secret_arn: pulumi.Output[str]
    """ARN of the RDS-managed master-user secret."""
    role_arn: pulumi.Output[str]
    """ARN of the server's IRSA role."""
    admin_password: pulumi.Output[str]
    """Password of MLflow's ``admin`` account (a secret)."""

    def __init__(self, name: str, args: ModelRegistryArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        refuse("ModelRegistry", name, validate_registry(args))
        super().__init__("mlops:index:ModelRegistry", name, None, opts)
        settings = with_defaults(args, DEFAULTS)
        namespace = settings["namespace"]
        allowed = sorted(set(settings["allowed_namespaces"]))
        child = pulumi.ResourceOptions(parent=self)
        self.namespace = namespace
        self.tracking_uri = tracking_uri(namespace)
        self.image = settings["image"]
        self.reader_secret = READER_SECRET
        self.allowed_namespaces = allowed

        db, key, secret_arn = self._database(name, args, settings)
        self.db_endpoint = db.address
        self.db_secret_arn = secret_arn
        if "alarm_topic_arn" in args:
            self._alarms(name, db, settings, args["alarm_topic_arn"])

        policy = pulumi.Output.all(args["artifact_policy"], secret_arn, key.arn).apply(
            lambda v: merged_policy(v[0], secret_access_policy(v[1], v[2]))
        )
        role = irsa_role(
            f"{name}-role",
            oidc_provider_arn=args["oidc_provider_arn"],
            issuer_url=args["oidc_issuer_url"],
            namespace=namespace,
            service_account="mlflow",
            policy=policy,
            parent=self,
        )
        self.role_arn = role.arn
        labels = {
            **selector_for(name),
            "app.kubernetes.io/component": "model-registry",
            "app.kubernetes.io/part-of": "mlops-platform",
        }
        given = args.get("admin_password")
        if given is None:
            given = random.RandomPassword(f"{name}-admin-password", length=32, special=False, opts=child).result
        # A plain password was checked above; a secret one is checked when known, before the
        # Secret holding it is created (a refused password would crash-loop the server).
        self.admin_password = pulumi.Output.secret(given).apply(lambda p: checked_admin_password(name, p))
        ns = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata={"name": namespace, "labels": {"pod-security.kubernetes.io/enforce": "restricted"}},
            opts=child,
        )
        in_ns = pulumi.ResourceOptions(parent=self, depends_on=[ns])
        # Default deny besides the server's own ingress policy: out only DNS, AWS APIs and the database.
        declare_network_policies(registry_policy_specs(), namespace, lambda suffix: f"{name}-{suffix}", in_ns)
        meta: dict[str, Any] = {"namespace": namespace, "labels": labels}

        def metadata(object_name: str, **extra: Any) -> Any:  # the SDK's TypedDict, as plain data
            return {**meta, "name": object_name, **extra}

        account = k8s.core.v1.ServiceAccount(
            f"{name}-service-account",
            metadata=cast(Any, {**meta, "name": "mlflow", "annotations": {"eks.amazonaws.com/role-arn": role.arn}}),
            automount_service_account_token=False,
            opts=in_ns,
        )
        admin = k8s.core.v1.Secret(
            f"{name}-admin",
            metadata=metadata("mlflow-admin"),
            string_data={"password": self.admin_password},
            opts=in_ns,
        )
        # One MLflow account per caller namespace (Prometheus needs none: see metrics_container).
        passwords = {
            ns_name: random.RandomPassword(
                f"{name}-reader-{ns_name}-password", length=32, special=False, opts=child
            ).result
            for ns_name in allowed
        }
        readers = k8s.core.v1.Secret(
            f"{name}-readers",
            metadata=metadata("mlflow-readers"),
            string_data={reader_name(ns_name): password for ns_name, password in passwords.items()},
            opts=in_ns,
        )
        for ns_name in allowed:
            k8s.core.v1.Secret(
                f"{name}-reader-{ns_name}",
                metadata={"name": self.reader_secret, "namespace": ns_name, "labels": labels},
                string_data={"username": reader_name(ns_name), "password": passwords[ns_name]},
                opts=child,
            )
        flask_key = random.RandomPassword(f"{name}-flask-key", length=64, special=False, opts=child)
        flask = k8s.core.v1.Secret(
            f"{name}-flask-secret-key",
            metadata=metadata(FLASK_SECRET),
            string_data={"secret-key": flask_key.result},
            opts=in_ns,
        )
        start = k8s.core.v1.ConfigMap(
            f"{name}-start-script",
            metadata=metadata("mlflow-start"),
            data={"start.py": START_SCRIPT, "metrics.py": METRICS_SCRIPT},
            opts=in_ns,
        )
        replicas = settings["replicas"]
        template = pulumi.Output.all(
            self.image, settings["copier_image"], args["bucket_name"], secret_arn, db.address
        ).apply(
            lambda v: {
                "metadata": {"labels": labels},
                "spec": pod_spec(name, args, image=v[0], copier=v[1], bucket=v[2], secret_arn=v[3], host=v[4]),
            }
        )
        k8s.apps.v1.Deployment(
            f"{name}-deployment",
            metadata=cast(
                Any,
                {
                    **meta,
                    "name": "mlflow",
                    "annotations": {"pulumi.com/timeoutSeconds": str(timings.REGISTRY_AWAIT_SECONDS)},
                },
            ),
            spec=cast(
                Any,
                {
                    "replicas": replicas,
                    "selector": {"matchLabels": selector_for(name)},
                    "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}},
                    "template": template,
                },
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[account, admin, readers, flask, start, db]),
        )
        self._server_service(name, settings, args.get("load_balancing"), meta, ns)
        if replicas >= 2:
            k8s.policy.v1.PodDisruptionBudget(
                f"{name}-pdb",
                metadata=metadata("mlflow"),
                spec=cast(Any, {"minAvailable": 1, "selector": {"matchLabels": selector_for(name)}}),
                opts=in_ns,
            )
        self._monitoring(name, namespace, labels, ns, args["crds"])
        self.register_outputs({"trackingUri": self.tracking_uri, "roleArn": self.role_arn, "dbEndpoint": db.address})

    def _server_service(
        self,
        name: str,
        settings: _Defaults,
        load_balancing: LoadBalancing | None,
        meta: dict[str, Any],
        ns: pulumi.Resource,
    ) -> None:
        """The server's Service (an internal NLB when asked for) and the NetworkPolicy admitting its callers."""
        namespace, allowed = settings["namespace"], self.allowed_namespaces
        monitoring = settings["monitoring_namespace"]
        in_ns = pulumi.ResourceOptions(parent=self, depends_on=[ns])
        balancer = settings["load_balancer"]
        balancing = load_balancing if balancer != "none" else None
        annotations, service = service_spec(name, (Port("http", PORT),), balancer)
        k8s.core.v1.Service(
            f"{name}-service",
            metadata=cast(Any, {**meta, "name": "mlflow", "annotations": annotations}),
            spec=cast(Any, service),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[ns, *balancing["releases"]] if balancing else [ns]),
        )
        spec = (
            pulumi.Output.from_input(balancing["vpc_cidr"]).apply(
                lambda cidr: network_policy_spec(name, allowed, namespace, monitoring, cidr)
            )
            if balancing
            else network_policy_spec(name, allowed, namespace, monitoring)
        )
        k8s.networking.v1.NetworkPolicy(
            f"{name}-network-policy", metadata=cast(Any, {**meta, "name": "mlflow"}), spec=cast(Any, spec), opts=in_ns
        )

    def _monitoring(
        self,
        name: str,
        namespace: str,
        labels: dict[str, str],
        ns: k8s.core.v1.Namespace,
        crds: Sequence[k8s.helm.v3.Release],
    ) -> None:
        """The metrics Service, its ServiceMonitor and the alert rules."""
        meta: dict[str, Any] = {"namespace": namespace, "labels": labels}
        in_ns = pulumi.ResourceOptions(parent=self, depends_on=[ns])
        metrics_labels = {**labels, "app.kubernetes.io/component": "model-registry-metrics"}
        k8s.core.v1.Service(
            f"{name}-metrics-service",
            metadata=cast(Any, {**meta, "name": METRICS_SERVICE, "labels": metrics_labels}),
            spec=cast(Any, service_spec(name, (Port("metrics", METRICS_PORT),), "none")[1]),
            opts=in_ns,
        )
        after_crds = pulumi.ResourceOptions(parent=self, depends_on=[*crds, ns])
        k8s.apiextensions.CustomResource(
            f"{name}-service-monitor",
            api_version="monitoring.coreos.com/v1",
            kind="ServiceMonitor",
            metadata={**meta, "name": "mlflow", "labels": {**labels, "release": "kube-prometheus-stack"}},
            spec={
                "selector": {"matchLabels": metrics_labels},
                "namespaceSelector": {"matchNames": [namespace]},
                "endpoints": [{"port": "metrics", "path": "/metrics", "interval": "30s"}],
            },
            opts=after_crds,
        )
        k8s.apiextensions.CustomResource(
            f"{name}-rules",
            api_version="monitoring.coreos.com/v1",
            kind="PrometheusRule",
            metadata={**meta, "name": "model-registry", "labels": {**labels, "release": "kube-prometheus-stack"}},
            spec={"groups": [registry_rules(namespace, METRICS_SERVICE)]},
            opts=after_crds,
        )

    def registered(self, model: str, *, version: int | None = None, alias: str | None = None) -> RegisteredModel:
        """A model version (or alias) of this registry for ``ModelServingEndpointArgs.registered_model``;
        the endpoint's namespace must be one of ``allowed_namespaces`` (it holds the reader account)."""
        return registered_model(
            model,
            tracking_uri=self.tracking_uri,
            client_image=self.image,
            credentials_secret=self.reader_secret,
            version=version,
            alias=alias,
            namespaces=self.allowed_namespaces,
        )

    def _database(
        self, name: str, args: ModelRegistryArgs, settings: _Defaults
    ) -> tuple[aws.rds.Instance, aws.kms.Key, pulumi.Output[str]]:
        """The RDS instance, its key, subnets, security group and parameters; and its secret's ARN."""
        protect = settings["protect"]
        child = pulumi.ResourceOptions(parent=self)
        stateful = pulumi.ResourceOptions(parent=self, protect=protect, retain_on_delete=protect)
        key = account_key(
            f"{name}-db-key",
            "Encrypts the model registry database, its secret and insights",
            parent=self,
            protect=protect,
        )
        subnets = aws.rds.SubnetGroup(f"{name}-db-subnets", subnet_ids=list(args["subnet_ids"]), opts=child)
        group = aws.ec2.SecurityGroup(
            f"{name}-db-security-group",
            description="Model registry database: PostgreSQL from the cluster nodes only",
            vpc_id=args["vpc_id"],
            opts=child,
        )
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-db-security-group-from-nodes",
            security_group_id=group.id,
            referenced_security_group_id=args["node_security_group_id"],
            ip_protocol="tcp",
            from_port=5432,
            to_port=5432,
            description="PostgreSQL from the cluster nodes",
            opts=child,
        )
        parameters = aws.rds.ParameterGroup(
            f"{name}-db-parameters",
            family=f"postgres{pins.POSTGRES_MAJOR}",
            parameters=[
                {"name": "rds.force_ssl", "value": "1"},
                {"name": "log_min_duration_statement", "value": "1000"},
            ],
            opts=child,
        )
        # Enhanced Monitoring (OS metrics every minute to CloudWatch Logs): what the host does when
        # the engine's own metrics look fine (FSBP RDS.6).
        monitoring_role = service_role(
            f"{name}-db-monitoring-role",
            "monitoring.rds.amazonaws.com",
            ["service-role/AmazonRDSEnhancedMonitoringRole"],
            parent=self,
        )
        db = aws.rds.Instance(
            f"{name}-db",
            identifier_prefix=f"{name}-",
            engine="postgres",
            engine_version=pins.POSTGRES_MAJOR,
            # No paid Extended Support: CreateDBInstance takes only the two values its request
            # shape lists ("standard-support" is a value of responses, refused on create).
            engine_lifecycle_support="open-source-rds-extended-support-disabled",
            auto_minor_version_upgrade=True,
            instance_class=settings["instance_class"],
            allocated_storage=settings["storage_gib"],
            max_allocated_storage=settings["max_storage_gib"],
            storage_type="gp3",
            storage_encrypted=True,
            kms_key_id=key.arn,
            db_name=DB_NAME,
            username=DB_USER,
            manage_master_user_password=True,
            master_user_secret_kms_key_id=key.arn,
            db_subnet_group_name=subnets.name,
            vpc_security_group_ids=[group.id],
            parameter_group_name=parameters.name,
            publicly_accessible=False,
            multi_az=settings["multi_az"],
            backup_retention_period=settings["backup_retention_days"],
            copy_tags_to_snapshot=True,
            deletion_protection=protect,
            skip_final_snapshot=not protect,
            final_snapshot_identifier=f"{name}-final" if protect else None,
            performance_insights_enabled=True,
            performance_insights_kms_key_id=key.arn,
            performance_insights_retention_period=7,
            monitoring_interval=ENHANCED_MONITORING_SECONDS,
            monitoring_role_arn=monitoring_role.arn,
            enabled_cloudwatch_logs_exports=["postgresql", "upgrade"],
            opts=pulumi.ResourceOptions.merge(
                stateful, pulumi.ResourceOptions(custom_timeouts=pulumi.CustomTimeouts(create="60m", update="80m"))
            ),
        )
        secret_arn = db.master_user_secrets.apply(lambda s: (s[0].secret_arn or "") if s else "")
        return db, key, secret_arn

    def _alarms(self, name: str, db: aws.rds.Instance, settings: _Defaults, topic: pulumi.Input[str]) -> None:
        size = settings["instance_class"].rsplit(".", 1)[-1]
        storage_bytes = settings["storage_gib"] * 1024**3
        alarms = {
            "cpu": ("CPUUtilization", "GreaterThanThreshold", 80, "Database CPU above 80% for 15 minutes"),
            "storage": (
                "FreeStorageSpace",
                "LessThanThreshold",
                storage_bytes // 10,
                "Database free storage below 10% of its allocation: storage autoscaling may be at its ceiling",
            ),
            "connections": (
                "DatabaseConnections",
                "GreaterThanThreshold",
                int(MAX_CONNECTIONS.get(size, 800) * 0.8),
                "Database connections above 80% of max_connections",
            ),
        }
        for suffix, (metric, operator, threshold, description) in alarms.items():
            aws.cloudwatch.MetricAlarm(
                f"{name}-db-alarm-{suffix}",
                alarm_description=f"Model registry: {description}.",
                namespace="AWS/RDS",
                metric_name=metric,
                dimensions={"DBInstanceIdentifier": db.identifier},
                statistic="Average",
                period=300,
                evaluation_periods=3,
                threshold=threshold,
                comparison_operator=operator,
                treat_missing_data="notBreaching",
                alarm_actions=[topic],
                ok_actions=[topic],
                opts=pulumi.ResourceOptions(parent=self),
            )

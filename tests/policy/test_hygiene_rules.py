"""The rules both stacks run as warnings (a workload on the default service account, an image
from a registry nobody approved, a bucket without lifecycle rules, a database without OS
metrics), made mandatory as a stack's pack config would: each mistake is refused by exactly its
rule, through ``mlops plan``'s evaluator and the plugin over gRPC alike, and the same resources
done right pass."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi_kubernetes as k8s
import pytest

from components.pins import IMAGES
from components.policies import CONFIG_DIR
from components.policies.cis import APPROVED_REGISTRIES, approved, repository_of
from components.policies.settings import read_pack_config
from tests.conftest import RunProgram
from tests.policy.insecure_programs import DIGEST, _bucket, _container, _database, _deployment, _opts, _workload
from tests.policy.test_protocol import Plugin, agree_under, mandatory, plugin

pytestmark = pytest.mark.policy
__all__ = ["plugin"]  # the module-scoped plugin fixture, shared with test_protocol

HYGIENE = (
    "k8s-default-service-account-unused",
    "k8s-approved-registries",
    "s3-bucket-lifecycle",
    "rds-enhanced-monitoring",
)
SHA = "@sha256:" + "b" * 64
LOOKALIKE = "evil.example/x.dkr.ecr.a.amazonaws.com/i" + SHA
"""Not an ECR repository: a host whose path only looks like one."""


def _default_account(automount: bool | None) -> Callable[[], None]:
    """The namespace's ``default`` ServiceAccount as a program declares it (adopted), with ``automount``."""
    return lambda: k8s.core.v1.ServiceAccount(
        "default-account", metadata={"name": "default", "namespace": "serving"},
        automount_service_account_token=automount, opts=_opts(),
    )  # fmt: skip


def _default_account_patch(automount: bool | None) -> Callable[[], None]:
    """A patch of the live ``default`` ServiceAccount: what it does not set stays as it is."""
    return lambda: k8s.core.v1.ServiceAccountPatch(
        "default-account", metadata={"name": "default", "namespace": "serving", "labels": {"team": "ml"}},
        automount_service_account_token=automount, opts=_opts(),
    )  # fmt: skip


MISTAKES: dict[str, tuple[Callable[[], None], str]] = {
    "deployment-mounts-the-default-token": (
        _deployment({"automountServiceAccountToken": True}), "k8s-default-service-account-unused"),
    "cronjob-names-the-default-account": (
        _workload("CronJob", {"serviceAccountName": "default"}), "k8s-default-service-account-unused"),
    "default-account-turns-automount-on": (_default_account(True), "k8s-default-service-account-unused"),
    "default-account-patch-turns-automount-on": (_default_account_patch(True), "k8s-default-service-account-unused"),
    "image-of-a-docker-hub-user": (_deployment(image="someuser/miner" + SHA), "k8s-approved-registries"),
    "image-of-an-unknown-registry": (_deployment(image="registry.example/app" + SHA), "k8s-approved-registries"),
    "init-image-of-a-lookalike-host": (
        _deployment({"initContainers": [_container(name="init", image=LOOKALIKE)]}),
        "k8s-approved-registries"),
    "bucket-without-lifecycle": (_bucket(lifecycle=None), "s3-bucket-lifecycle"),
    "bucket-with-a-disabled-lifecycle": (_bucket(lifecycle="Disabled"), "s3-bucket-lifecycle"),
    "default-account-declared-without-automount": (_default_account(None), "k8s-default-service-account-unused"),
    "database-without-enhanced-monitoring": (_database(monitoring_interval=0), "rds-enhanced-monitoring"),
}  # fmt: skip

DONE_RIGHT: dict[str, Callable[[], None]] = {
    "deployment-with-its-own-account": _deployment(
        {"serviceAccountName": "scorer", "automountServiceAccountToken": True}
    ),
    "job-on-the-default-account-without-a-token": _workload("Job", {"automountServiceAccountToken": False}),
    "default-account-closed": _default_account(False),
    "default-account-patch-leaving-automount-alone": _default_account_patch(None),
    "images-from-ecr-and-docker-official": _deployment(
        {"initContainers": [_container(name="init", image="busybox:1.37" + SHA)]}, image=DIGEST
    ),
    "bucket-with-lifecycle": _bucket(),
    "database-with-enhanced-monitoring": _database(),
}


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Prod's pack config with the hygiene rules mandatory."""
    config: dict[str, Any] = {**read_pack_config(CONFIG_DIR / "prod.json"), **dict.fromkeys(HYGIENE, "mandatory")}
    path = tmp_path_factory.mktemp("pack") / "strict.json"
    path.write_text(json.dumps(config))
    return path


def both_paths(plugin: Plugin, run: RunProgram, program: Callable[[], None], pack_config_file: Path) -> set[str]:
    """Mandatory rules the plugin refuses the prod program for, asserted equal to ``mlops plan``'s."""
    return mandatory(agree_under(plugin, run(program, stack="prod"), pack_config_file))


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_each_mistake_is_refused_by_its_rule(plugin: Plugin, run: RunProgram, strict: Path, mistake: str) -> None:
    program, rule = MISTAKES[mistake]
    assert both_paths(plugin, run, program, strict) == {rule}


@pytest.mark.parametrize("name", sorted(DONE_RIGHT))
def test_the_same_resources_done_right_pass(plugin: Plugin, run: RunProgram, strict: Path, name: str) -> None:
    assert both_paths(plugin, run, DONE_RIGHT[name], strict) == set()


def test_prod_warns_about_them_without_refusing(plugin: Plugin, run: RunProgram) -> None:
    program, rule = MISTAKES["image-of-a-docker-hub-user"]
    found = agree_under(plugin, run(program, stack="prod"), CONFIG_DIR / "prod.json")
    assert mandatory(found) == set()
    assert {policy for kind, policy, _, _ in found if kind == "violation"} == {f"{rule}@advisory"}


def test_a_stack_narrows_the_registries(plugin: Plugin, run: RunProgram, tmp_path: Path) -> None:
    """Prod pulls everything through its own ECR: a narrowed list refuses Docker Official Images."""
    narrowed = tmp_path / "narrowed.json"
    only_ecr = {
        "enforcementLevel": "mandatory",
        "allowedRegistries": ["123456789012.dkr.ecr.us-east-1.amazonaws.com/*"],
    }
    narrowed.write_text(json.dumps({**read_pack_config(CONFIG_DIR / "prod.json"), "k8s-approved-registries": only_ecr}))
    program = DONE_RIGHT["images-from-ecr-and-docker-official"]
    assert both_paths(plugin, run, program, narrowed) == {"k8s-approved-registries"}


@pytest.mark.parametrize(
    ("image", "repository"),
    [
        ("nginx:1.27", "docker.io/library/nginx"),
        ("docker.io/nginx:1.27", "docker.io/library/nginx"),
        ("index.docker.io/library/nginx:1.27", "docker.io/library/nginx"),
        ("PUBLIC.ECR.AWS/eks/x:1", "public.ecr.aws/eks/x"),
        ("Evilhost/x:1", "evilhost/x"),  # an upper-case first component is a host, never Docker Hub's
        ("vllm/vllm-openai:v1.0.0", "docker.io/vllm/vllm-openai"),
        ("localhost:5000/app:1", "localhost:5000/app"),
        ("ghcr.io/mlflow/mlflow" + SHA, "ghcr.io/mlflow/mlflow"),
        (
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1@" + SHA[1:],
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/app",
        ),
    ],
)
def test_images_resolve_as_the_runtime_resolves_them(image: str, repository: str) -> None:
    assert repository_of(image) == repository


def test_every_pinned_image_is_approved_by_default() -> None:
    """The platform's own pins (components/pins.py) never trip the default list."""
    refused = [
        p.ref for p in IMAGES.values() if not any(approved(repository_of(p.ref), a) for a in APPROVED_REGISTRIES)
    ]
    assert refused == []
    assert not approved("docker.io/someuser/miner", "docker.io/library/*")

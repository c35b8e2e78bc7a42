"""ContainerRegistry under mocks: repositories, lifecycle, pull policy, image build."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from components.container_registry import ContainerRegistry, ContainerRegistryArgs, context_hash
from tests.conftest import RunProgram, named

pytestmark = pytest.mark.component

ACCOUNT = "123456789012"


def test_repositories_are_immutable_scanned_encrypted_and_expire(run: RunProgram) -> None:
    r = named(
        run(
            lambda: ContainerRegistry(
                "registry",
                {
                    "repositories": [
                        {"name": "serving", "keep_tagged_images": 5, "untagged_expiry_days": 2},
                        {"name": "team/training"},
                    ]
                },
            )
        )
    )
    assert set(r) == {
        "registry", "registry-key", "registry-serving-repository", "registry-serving-lifecycle",
        "registry-team-training-repository", "registry-team-training-lifecycle",
    }  # fmt: skip
    key_arn = r["registry-key"].urn
    for stem, name in (("serving", "serving"), ("team-training", "team/training")):
        repo = r[f"registry-{stem}-repository"]
        assert repo.parent == r["registry"].urn
        assert repo.inputs["name"] == name
        assert repo.inputs["imageTagMutability"] == "IMMUTABLE"
        assert repo.inputs["imageScanningConfiguration"] == {"scanOnPush": True}
        [encryption] = repo.inputs["encryptionConfigurations"]
        assert encryption["encryptionType"] == "KMS"
        assert encryption["kmsKey"].startswith(f"arn:aws:kms:us-east-1:{ACCOUNT}:key/")
        assert key_arn in repo.dependencies
        assert "forceDelete" not in repo.inputs
        assert (repo.protect, repo.retain_on_delete) == (True, True)
    rules = json.loads(r["registry-serving-lifecycle"].inputs["policy"])["rules"]
    assert [(x["rulePriority"], x["selection"]["tagStatus"], x["selection"]["countNumber"]) for x in rules] == [
        (1, "untagged", 2),
        (2, "tagged", 5),
    ]
    assert rules[1]["selection"]["tagPatternList"] == ["*"]
    assert all(x["action"] == {"type": "expire"} for x in rules)
    defaults = json.loads(r["registry-team-training-lifecycle"].inputs["policy"])["rules"]
    assert [x["selection"]["countNumber"] for x in defaults] == [7, 30]
    assert r["registry-serving-lifecycle"].inputs["repository"] == "serving"


def test_pull_policy_names_accounts_only(run: RunProgram) -> None:
    r = named(
        run(
            lambda: ContainerRegistry(
                "registry",
                {
                    "repositories": [{"name": "serving", "pull_account_ids": ["210987654321", "111111111111"]}],
                    "protect": False,
                },
            )
        )
    )
    [statement] = json.loads(r["registry-serving-pull-policy"].inputs["policy"])["Statement"]
    assert statement["Principal"] == {"AWS": ["arn:aws:iam::111111111111:root", "arn:aws:iam::210987654321:root"]}
    assert statement["Action"] == [
        "ecr:BatchCheckLayerAvailability",
        "ecr:BatchGetImage",
        "ecr:GetDownloadUrlForLayer",
    ]
    assert r["registry-serving-repository"].protect is False


def test_image_build_pushes_a_content_tag_and_exposes_the_digest(run: RunProgram, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM python:3.12-slim\nCOPY app.py /app.py\n")
    (tmp_path / "app.py").write_text("print('serve')\n")
    seen: dict[str, Any] = {}

    def program() -> None:
        registry = ContainerRegistry(
            "registry", {"repositories": [{"name": "serving", "build": {"context": str(tmp_path)}}]}
        )
        registry.image_refs["serving"].apply(lambda ref: seen.update(ref=ref))

    r = named(run(program))
    image = r["registry-serving-image"]
    tag = context_hash(tmp_path)
    url = f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/serving"
    assert image.type == "docker:index/image:Image"
    assert image.inputs["imageName"] == f"{url}:{tag}"
    assert image.inputs["build"] == {
        "context": str(tmp_path), "dockerfile": str(tmp_path / "Dockerfile"), "platform": "linux/amd64"
    }  # fmt: skip
    assert image.inputs["registry"]["password"] == "[secret]"
    assert image.inputs["registry"]["server"] == f"https://{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com"
    assert seen["ref"].startswith(f"{url}@sha256:") and len(seen["ref"].split("@sha256:")[1]) == 64


def test_context_hash_follows_content(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("one")
    first = context_hash(tmp_path)
    assert first == context_hash(tmp_path) and len(first) == 12
    (tmp_path / "a.txt").write_text("two")
    assert context_hash(tmp_path) != first


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"repositories": [{"name": "Serving"}]}, "lowercase letters and digits"),
        ({"repositories": [{"name": "a"}]}, "2-256 characters"),
        ({"repositories": [{"name": "serving", "pull_account_ids": ["*"]}]}, "never '\\*'"),
        ({"repositories": [{"name": "serving", "keep_tagged_images": 0}]}, "must be > 0"),
        ({"repositories": [{"name": "serving", "untagged_expiry_days": 0}]}, "must be > 0"),
        ({"repositories": [{"name": "x1"}, {"name": "x1"}]}, "must be unique"),
        (
            {"repositories": [{"name": "serving", "build": {"context": ".", "version": "latest"}}]},
            "'latest' is refused",
        ),
        ({"repositories": [{"name": "serving", "build": {"context": "/no/such/dir"}}]}, "is not a directory"),
    ],
)
def test_bad_arguments_fail_before_any_resource(run: RunProgram, args: ContainerRegistryArgs, message: str) -> None:
    def program() -> None:
        with pytest.raises(ValueError, match=message):
            ContainerRegistry("registry", args)

    assert list(named(run(program))) == []


def test_context_hash_never_reads_what_a_symlink_points_to(tmp_path: Path) -> None:
    context, outside = tmp_path / "context", tmp_path / "secret"
    context.mkdir()
    outside.write_text("one")
    (context / "Dockerfile").write_text("FROM scratch\n")
    (context / "link").symlink_to(outside)
    first = context_hash(context)
    outside.write_text("two")  # the builder sends the link, not its target: same tag
    assert context_hash(context) == first
    (context / "link").unlink()
    (context / "link").symlink_to(tmp_path / "elsewhere")
    assert context_hash(context) != first

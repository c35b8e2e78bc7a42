"""Image references by the OCI distribution grammar (components/naming.py), table-style."""

from __future__ import annotations

import time

import pytest

from components import pins
from components.naming import image_digest, image_reference_problems, pinned_image_problems

pytestmark = pytest.mark.unit

HEX = "0123456789abcdef" * 4
ECR = "123456789012.dkr.ecr.us-east-1.amazonaws.com/ranker"


@pytest.mark.parametrize(
    ("image", "digest"),
    [
        ("nvcr.io/nvidia/tritonserver:25.05-py3", None),
        ("vllm/vllm-openai:v0.9.0", None),
        ("localhost:5000/team/model_server__x:1", None),
        ("[::1]:5000/x:1", None),
        (f"{ECR}@sha256:{HEX}", f"sha256:{HEX}"),
        (f"{ECR}:1.2@sha256:{HEX}", f"sha256:{HEX}"),
        *[(pins.image(name), None) for name in sorted(pins.IMAGES)],
    ],
)
def test_valid_references(image: str, digest: str | None) -> None:
    assert image_reference_problems(image) == []
    assert pinned_image_problems(image) == []
    assert image_digest(image) == digest


@pytest.mark.parametrize(
    "image",
    [
        "@sha256:",
        f"@sha256:{HEX}",
        "repo@sha256:zzzz",
        "repo@sha256:" + "a" * 63,
        "Repo:1",
        "my repo:1",
        "repo:1 ",
        "repo:-1",
        "repo::1",
        "/repo:1",
        "repo/:1",
        "repo:" + "1" * 129,
        "a" * 256 + ":1",
        "ünïcode:1",
        "repo:1\n",
        "",
    ],
)
def test_invalid_references(image: str) -> None:
    [problem] = image_reference_problems(image)
    assert problem.startswith(f"image {image!r}")
    assert pinned_image_problems(image) == [problem]
    assert image_digest(image) is None


@pytest.mark.parametrize(
    "image", [f"repo@sha256:{HEX.upper()}", f"repo@sha512:{HEX}{HEX}", f"repo@md5:{HEX[:32]}", f"repo@sha256:{HEX}0"]
)
def test_a_digest_is_sha256_with_64_lowercase_hex_digits(image: str) -> None:
    assert image_reference_problems(image) == [
        f"image {image!r}: the digest must be sha256: and 64 lowercase hex digits"
    ]
    assert image_digest(image) is None


@pytest.mark.parametrize("image", ["repo", "repo:latest", "registry:5000/repo"])
def test_unpinned_references(image: str) -> None:
    assert image_reference_problems(image) == []
    assert pinned_image_problems(image)[0].endswith("never latest")


@pytest.mark.parametrize("text", ["a-" * 5000 + "!", "a." * 5000 + "/!", "a" * 100_000, "a/" * 5000 + "@sha256:"])
def test_hostile_references_are_refused_quickly(text: str) -> None:
    started = time.perf_counter()
    assert image_reference_problems(text)
    assert time.perf_counter() - started < 0.1

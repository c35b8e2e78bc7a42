"""`make setup` leaves an environment that plans at full speed."""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

SDK_MODULES = [
    "pulumi",
    "pulumi.runtime.mocks",
    "pulumi_aws",
    "pulumi_aws.eks.cluster",
    "pulumi_aws.s3.bucket",
    "pulumi_kubernetes",
    "pulumi_kubernetes.apps.v1.Deployment",
    "pulumi_policy",
    "pydantic",
]


@pytest.mark.parametrize("module", SDK_MODULES)
def test_sdks_have_bytecode_compiled_at_install(module: str) -> None:
    # PYTHONDONTWRITEBYTECODE=1 is set on our machines and in CI, so an import never writes a
    # .pyc: one that exists was compiled by the installer (uv --compile-bytecode).
    source = importlib.import_module(module).__file__
    assert source is not None
    cached = Path(importlib.util.cache_from_source(source))
    assert cached.is_file(), f"{module}: no bytecode at {cached}; run make setup (uv sync --compile-bytecode)"

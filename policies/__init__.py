"""The mlops-platform CrossGuard policy pack: rules in :mod:`policies.rules`.

``policies/__main__.py`` serves them to the Pulumi CLI; ``mlops plan`` evaluates the same
list in-process with the same per-stack config files in :data:`CONFIG_DIR`.
"""

from pathlib import Path

from policies.rules import POLICIES

CONFIG_DIR = Path(__file__).parent / "config"
"""Per-stack policy pack config files (``dev.json``, ``prod.json``)."""

__all__ = ["CONFIG_DIR", "POLICIES"]

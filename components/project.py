"""What the stack program (``infra/``) and the offline planner both need to know about a Pulumi
project on disk. Neither owns it: the program runs under the Pulumi CLI without the planner, and
the planner plans programs that never import ``infra``.
"""

from __future__ import annotations

from pathlib import Path

SECRET_PLACEHOLDER = "[secret]"
"""What a ``secure:`` stack value reads offline: the planner cannot decrypt it, so a program must
not judge it as the value."""

PROJECT_FILE = "Pulumi.yaml"


def project_file(start: Path) -> Path | None:
    """The nearest ``Pulumi.yaml`` at or above ``start``, or None when there is none."""
    for directory in [start, *start.resolve().parents]:
        candidate = directory / PROJECT_FILE
        if candidate.is_file():
            return candidate
    return None


def project_root(start: Path) -> Path:
    """The directory of the nearest ``Pulumi.yaml`` at or above ``start``; stack files and build
    contexts are relative to it. Raises FileNotFoundError when there is none."""
    found = project_file(start)
    if found is None:
        raise FileNotFoundError(f"{start}: no {PROJECT_FILE} in this directory or above it")
    return found.parent

"""Errors the package raises for bad input, before any resource is declared."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a configuration: where it is and what is allowed there."""

    path: str
    """Key path inside the configuration, e.g. ``platform.gpuPools[1].maxSize``."""
    message: str
    """What is wrong and what is allowed, e.g. ``must be >= minSize (got 0 < 2)``."""


class ConfigError(pulumi.RunError):
    """A configuration that cannot be deployed, with every problem found in it.

    It derives from :class:`pulumi.RunError`, so under ``pulumi up`` the CLI prints the
    message without a Python traceback; ``mlops plan`` prints it and exits with status 2.
    """

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = list(dict.fromkeys(problems))
        super().__init__(self.render())

    def render(self, source: str | None = None) -> str:
        """The message, one line a problem, each prefixed with the file name."""
        prefix = source if source is not None else self.source
        count = len(self.problems)
        head = f"invalid configuration ({count} problem{'s' if count != 1 else ''}):"
        lines = [f"{prefix}: {p.path}: {p.message}" for p in self.problems]
        return "\n".join([head, *lines])

"""The Pulumi SDK versions the offline planner was verified against, and the check of what is installed.

The planner leans on SDK internals: ``pulumi.runtime._callbacks._CallbackServicer`` (transforms),
``pulumi.resource._get_stack_trace`` (skipped while a program runs) and
``pulumi_policy.policy._NotApplicableError``. A release outside the range below may change them
without notice, so ``mlops`` refuses to plan with one rather than write a wrong plan.

Measured on 2026-12-07 (PyPI releases, ``mlops plan --stack dev`` compared byte for byte with the
locked versions' plan, then the planner's tests, ``.ci/sdk-range``):

- pulumi 3.259.0 and older plan every URN as ``urn:pulumi:stack::project::...``: ``set_mocks`` with
  our monitor ignores the project and stack names. 3.260.0 is the first release whose plan is
  identical.
- pulumi-policy 1.17.0 has no ``_NotApplicableError`` (added in v1.18.0, pulumi/pulumi-policy#411,
  read in the v1.18.0 tag's ``sdk/python/lib/pulumi_policy/policy.py``).
- The newest releases, pulumi 3.272.0 and pulumi-policy 1.21.0, are the ones uv.lock pins.

pyproject.toml's dependencies say the same ranges; tests/unit/test_sdk_versions.py holds them equal.
This module imports only the standard library: it runs before anything imports the SDK.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Callable, Mapping

VERIFIED: Mapping[str, tuple[str, str]] = {
    "pulumi": ("3.260.0", "3.273"),
    "pulumi-policy": ("1.18.0", "1.22"),
}
"""Distribution name -> (lowest release verified, first release not verified): pyproject's
``>=lowest,<first`` (the patch releases of the newest verified minor are allowed)."""


def release(version: str) -> tuple[int, ...]:
    """The numeric release of a version string: ``"3.272.0"`` -> ``(3, 272, 0)``.

    The release numbers end at the first character that is not a digit or a dot, so a
    pre-release (``3.273.0rc1``) or a local build (``3.272.0+dev``) counts as its release.
    """
    numbers: list[int] = []
    for part in version.split("."):
        digits = part[: len(part) - len(part.lstrip("0123456789"))]
        if not digits:
            break
        numbers.append(int(digits))
        if digits != part:
            break
    return tuple(numbers)


def specifier(name: str) -> str:
    """The requirement pyproject.toml writes for ``name``, e.g. ``>=3.260.0,<3.273``."""
    lowest, first_unverified = VERIFIED[name]
    return f">={lowest},<{first_unverified}"


def problems(installed: Callable[[str], str] = importlib.metadata.version) -> list[str]:
    """What is installed outside :data:`VERIFIED`, one sentence each; empty when all is in range.

    ``installed`` maps a distribution name to its version (the default reads the environment's
    metadata). A distribution that is not installed is a problem too.
    """
    found: list[str] = []
    for name, (lowest, first_unverified) in VERIFIED.items():
        wanted = f"mlops was verified with {name}{specifier(name)}; install a version in that range"
        try:
            version = installed(name)
        except importlib.metadata.PackageNotFoundError:
            found.append(f"{name} is not installed, and {wanted}")
            continue
        if not release(lowest) <= release(version) < release(first_unverified):
            found.append(f"{name} {version} is installed, but {wanted}")
    return found

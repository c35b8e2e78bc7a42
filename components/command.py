"""The ``mlops`` console command's entry point: check the SDK versions, then run the command.

The check comes first because importing the planner already reaches into SDK internals; with an
unverified pulumi or pulumi-policy that import may fail with a traceback, or worse, succeed and
write a wrong plan (see :mod:`components.sdk_versions`).
"""

from __future__ import annotations

import sys
from typing import NoReturn

from components import sdk_versions

EXIT_INVALID = 2
"""The planner's status for invalid input or a program error (``components.plan.cli``)."""


def run() -> NoReturn:
    """Refuse an unverified SDK with one line a problem and status 2; otherwise run ``mlops``."""
    problems = sdk_versions.problems()
    if problems:
        print("\n".join(f"mlops: {problem}" for problem in problems), file=sys.stderr)
        raise SystemExit(EXIT_INVALID)
    # Imported here, after the check: this import is what an unverified SDK may break.
    from components.plan.cli import run as run_command  # noqa: PLC0415

    run_command()

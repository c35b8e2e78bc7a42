"""Offline planning: run a Pulumi program under mocks, check policies, write ``plan.json``."""

from components import sdk_versions

# The planner's modules reach into SDK internals: refuse an SDK they were not verified with before
# any of them is imported (the ``mlops`` command checks first, to say so in one line).
_unverified = sdk_versions.problems()
if _unverified:
    raise ImportError("; ".join(_unverified))

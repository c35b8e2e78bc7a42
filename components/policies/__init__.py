"""The mlops-platform CrossGuard policy pack: the rules in :mod:`components.policies.pack`.

The Pulumi CLI runs it as a plugin (``policies/`` in this repository, ``plugin/`` beside this
module in the wheel: both call :func:`serve`); ``mlops plan`` evaluates the same list in-process
with the same per-stack config files in :data:`CONFIG_DIR`. Nothing here imports the planner.
"""

from components.policies.pack import POLICIES, serve
from components.policies.settings import CONFIG_DIR, PLUGIN_DIR

__all__ = ["CONFIG_DIR", "PLUGIN_DIR", "POLICIES", "serve"]

"""The mlops-platform CrossGuard policy pack: the rules in :mod:`policies.pack`.

``policies/__main__.py`` serves them to the Pulumi CLI; ``mlops plan`` evaluates the same
list in-process with the same per-stack config files in :data:`CONFIG_DIR`.
"""

from policies.pack import CONFIG_DIR, POLICIES

__all__ = ["CONFIG_DIR", "POLICIES"]

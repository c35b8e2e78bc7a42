"""The components as a Pulumi component provider, for programs in other languages.

``PulumiPlugin.yaml`` at the repository root points the Pulumi CLI at ``plugin/``, which calls
:func:`main`: a TypeScript, Go, C# or YAML program runs ``pulumi package add <this repository>``
and gets an SDK generated from the schema Pulumi infers from the components' type annotations
(their TypedDict arguments and annotated outputs, the docstrings as descriptions).
"""

import pulumi
from pulumi.provider.experimental import component_provider_host

import components

PROVIDER_NAME = "mlops"
"""The package name: the components' type tokens are ``mlops:index:<ClassName>``."""


def exported() -> list[type[pulumi.ComponentResource]]:
    """Every component the package exports."""
    return [getattr(components, name) for name in components.COMPONENTS]


def main() -> None:
    """Serve the components (blocks; the Pulumi CLI starts and stops it)."""
    component_provider_host(exported(), PROVIDER_NAME)

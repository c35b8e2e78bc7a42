"""Helm releases of the charts pinned in :mod:`components.pins`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import pulumi
import pulumi_kubernetes as k8s

from components import pins, timings


def pinned_release(
    resource_name: str,
    chart: str,
    *,
    namespace: str,
    values: pulumi.Input[Mapping[str, Any]],
    opts: pulumi.ResourceOptions,
    create_namespace: bool = False,
    skip_crds: bool = False,
) -> k8s.helm.v3.Release:
    """A Helm v3 release of a pinned chart, named after the chart, rolled back if it is not ready
    within its chart's timeout (:func:`components.timings.helm_release`, instead of the provider's 300 s).
    A chart in an OCI registry is named by its full ``oci://`` reference (Helm takes no
    repository URL for those)."""
    pinned = pins.chart(chart)
    oci = pinned.repository.startswith("oci://")
    return k8s.helm.v3.Release(
        resource_name,
        name=pinned.name,
        chart=f"{pinned.repository}/{pinned.name}" if oci else pinned.name,
        version=pinned.version,
        repository_opts=None if oci else k8s.helm.v3.RepositoryOptsArgs(repo=pinned.repository),
        namespace=namespace,
        create_namespace=create_namespace or None,
        skip_crds=skip_crds or None,
        values=cast(Any, values),
        atomic=True,
        timeout=timings.helm_release(pinned.name).timeout,
        opts=opts,
    )

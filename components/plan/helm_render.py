"""Every Helm release of a plan rendered by a real ``helm template``: what its chart deploys.

A ``helm.v3.Release`` registers as one resource holding values; what runs is decided by the chart's
templates. So ``mlops plan`` renders each release as ``helm install`` would (the pinned chart version,
the recorded values, its namespace, the cluster's ``--kube-version``, ``--api-versions`` of the CRDs the
releases it depends on install, CRDs from ``crds/`` unless ``skipCrds``, hooks kept, test hooks left out)
and writes the objects to ``manifests/<release>/``.

Chart sources, first found: a directory ``<dir>/<chart>/`` whose ``Chart.yaml`` has the pinned version, a
``<dir>/<chart>/<chart>-<version>.tgz`` or ``<dir>/<chart>-<version>.tgz``, for each ``dir`` of ``--charts``
then the repository's vendored ``tests/vendor/charts``; else the chart's repository or OCI registry
through ``helm pull``, when the network allows. Without Helm, or when no source can be reached, the
release is listed in ``unexpanded`` with the reason. A chart that fails to render with our values (a
template error, a missing dependency, values its ``values.schema.json`` refuses, or, for a chart without a
schema, a key its ``values.yaml`` does not define: :mod:`components.plan.chart_values`) is bad input:
:class:`RenderError`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import yaml

from components import pins
from components.plan.chart_values import read as read_chart_values
from components.plan.chart_values import unknown_keys
from components.plan.monitor import UNKNOWN_PLACEHOLDER, Registration

RELEASE_TYPE = "kubernetes:helm.sh/v3:Release"
CLUSTER_TYPE = "aws:eks/cluster:Cluster"
HELM_ENV = "MLOPS_HELM"
"""Names the Helm binary to use instead of ``.tools/helm/helm`` or ``helm`` on PATH."""
VENDORED_CHARTS = Path("tests") / "vendor" / "charts"
"""Chart sources vendored at their tags, relative to the project root (each with a SOURCE file)."""
_HELM_TIMEOUT = 120
"""Seconds one ``helm template`` or ``helm pull`` may take: a hung registry must not hang the plan."""
_SOURCE_COMMENT = re.compile(r"^# Source: (.+)$", re.MULTILINE)
_DOCUMENT_SEPARATOR = re.compile(r"^---\s*$", re.MULTILINE)


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """YAML 1.1 safe loading without PyYAML's ``=`` "value" tag, which nothing constructs: a plain ``=``
    is a string to Kubernetes (the Prometheus CRDs' ``enum: [=, !=, =~, !~]``)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:value"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class RenderError(Exception):
    """A chart that does not render with the release's values: the plan's input is wrong."""


@dataclass(frozen=True)
class Helm:
    """The Helm binary a plan renders with."""

    path: str
    version: str
    """``helm version --short``, e.g. ``v4.3.1+gc0d08d0``."""


@dataclass(frozen=True)
class Rendered:
    """One object a release renders."""

    obj: dict[str, Any]
    template: str
    """The chart file it came from (Helm's ``# Source:`` line)."""


@dataclass
class Release:
    """A planned release and what rendering it gave."""

    registration: Registration
    chart: str
    version: str
    name: str
    namespace: str
    source: str = ""
    """Where the chart was read: a directory, a .tgz, or the repository it was pulled from."""
    objects: list[Rendered] = field(default_factory=list[Rendered])
    unexpanded: str | None = None
    """Why it was not rendered (no Helm, no reachable chart, values only a deployment knows)."""


@dataclass(frozen=True)
class Rendering:
    """Every release of a plan, and the Helm used (None when none was found)."""

    helm: Helm | None
    releases: list[Release]


def find_helm(root: Path, environ: Mapping[str, str]) -> Helm | None:
    """``$MLOPS_HELM``, else the project's ``.tools/helm/helm`` (``make helm``), else ``helm`` on PATH;
    None when there is none. A ``$MLOPS_HELM`` that does not run is an error, not a silent fallback."""
    given = environ.get(HELM_ENV)
    candidates = [given] if given else [str(root / ".tools" / "helm" / "helm"), shutil.which("helm")]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK) and Path(candidate).is_file():
            done = _run([candidate, "version", "--short"])
            if done.returncode == 0 and done.stdout.startswith(("v3.", "v4.")):
                return Helm(candidate, done.stdout.strip())
            if given:
                raise RenderError(f"{HELM_ENV}={given}: `helm version` failed: {_one_line(done.stderr)}")
        elif given:
            raise RenderError(f"{HELM_ENV}={given}: not an executable file")
    return None


def chart_dirs(root: Path, given: Sequence[Path]) -> list[Path]:
    """Where chart sources are looked for, in order: ``--charts`` directories, then the vendored ones."""
    return [*given, root / VENDORED_CHARTS]


def local_chart(chart: str, version: str, dirs: Iterable[Path]) -> Path | None:
    """The first chart directory or archive of ``chart`` at ``version`` in ``dirs``."""
    for directory in dirs:
        own = directory / chart
        meta = own / "Chart.yaml"
        if (
            meta.is_file()
            and str(cast(dict[str, Any], yaml.safe_load(meta.read_text()) or {}).get("version")) == version
        ):
            return own
        for archive in (own / f"{chart}-{version}.tgz", directory / f"{chart}-{version}.tgz"):
            if archive.is_file():
                return archive
    return None


def pull(helm: Helm, pinned: pins.Chart, into: Path) -> tuple[Path | None, str]:
    """Fetch the pinned chart from its repository or OCI registry: the archive, or None and Helm's reason."""
    if pinned.repository.startswith("oci://"):
        command = [helm.path, "pull", f"{pinned.repository}/{pinned.name}", "--version", pinned.version]
    else:
        command = [helm.path, "pull", pinned.name, "--repo", pinned.repository, "--version", pinned.version]
    done = _run([*command, "-d", str(into)])
    archives = sorted(into.glob(f"{pinned.name}-*.tgz"))
    if done.returncode or not archives:
        return None, _one_line(done.stderr) or "helm pull wrote no chart"
    return archives[0], ""


def kube_version(resources: Sequence[Registration]) -> str:
    """The Kubernetes version Helm renders for: the EKS cluster's, else the platform default."""
    for resource in resources:
        if resource.type == CLUSTER_TYPE and isinstance(resource.inputs.get("version"), str):
            return str(resource.inputs["version"])
    return pins.DEFAULT_KUBERNETES_VERSION


def depends_on(resources: Sequence[Registration]) -> dict[str, set[str]]:
    """URN -> every URN it waits for at ``pulumi up``: its dependencies, the descendants of those that
    are components (depending on a component waits for all its children), and theirs, transitively."""
    children: dict[str, list[str]] = {}
    for resource in resources:
        if resource.parent:
            children.setdefault(resource.parent, []).append(resource.urn)
    by_urn = {r.urn: r for r in resources}
    closure: dict[str, set[str]] = {}

    def subtree(urn: str) -> list[str]:
        found: list[str] = []
        stack = [urn]
        while stack:
            here = stack.pop()
            found.append(here)
            stack += children.get(here, [])
        return found

    def waits_for(urn: str, visiting: frozenset[str]) -> set[str]:
        if urn in closure:
            return closure[urn]
        resource = by_urn.get(urn)
        found: set[str] = set()
        for dependency in resource.dependencies if resource else []:
            for reached in subtree(dependency):
                if reached not in found and reached not in visiting:
                    found.add(reached)
                    found |= waits_for(reached, visiting | {urn})
        closure[urn] = found
        return found

    return {r.urn: waits_for(r.urn, frozenset()) for r in resources if r.type == RELEASE_TYPE}


def crd_api_versions(objects: Iterable[Rendered]) -> set[str]:
    """``group/version`` and ``group/version/Kind`` of every served version of the rendered CRDs, as
    ``helm template --api-versions`` takes them (``.Capabilities.APIVersions.Has``)."""
    found: set[str] = set()
    for item in objects:
        if item.obj.get("kind") != "CustomResourceDefinition":
            continue
        spec = cast(dict[str, Any], item.obj.get("spec") or {})
        kind = cast(dict[str, Any], spec.get("names") or {}).get("kind")
        for version in cast(list[dict[str, Any]], spec.get("versions") or []):
            if version.get("served", True):
                found.add(f"{spec.get('group')}/{version.get('name')}")
                found.add(f"{spec.get('group')}/{version.get('name')}/{kind}")
    return found


def has_unknown(value: Any) -> bool:
    """Whether a recorded value holds something only the deployment knows (a first preview)."""
    if isinstance(value, dict):
        return any(has_unknown(v) for v in cast(dict[str, Any], value).values())
    if isinstance(value, list):
        return any(has_unknown(v) for v in cast(list[Any], value))
    return value == UNKNOWN_PLACEHOLDER


def parse(stdout: str) -> list[Rendered]:
    """``helm template`` output as objects with the chart file each came from; empty documents dropped."""
    rendered: list[Rendered] = []
    for chunk in _DOCUMENT_SEPARATOR.split(stdout):
        source = _SOURCE_COMMENT.search(chunk)
        for doc in yaml.load_all(chunk, Loader=_Loader):
            if isinstance(doc, dict) and doc:
                rendered.append(Rendered(cast(dict[str, Any], doc), source.group(1) if source else ""))
    return rendered


def template_command(
    helm: Helm, release: Release, chart: Path, values: Path, kube: str, apis: Iterable[str]
) -> list[str]:
    """The ``helm template`` of one release, as ``helm install`` would apply it."""
    command = [helm.path, "template", release.name, str(chart), "--namespace", release.namespace]
    command += ["--values", str(values), "--kube-version", kube, "--skip-tests"]
    if not release.registration.inputs.get("skipCrds"):
        command.append("--include-crds")
    for api in sorted(apis):
        command += ["--api-versions", api]
    return command


def releases_of(resources: Sequence[Registration]) -> list[Release]:
    """The planned releases, in the recording's order."""
    found: list[Release] = []
    for resource in resources:
        if resource.type != RELEASE_TYPE:
            continue
        inputs = resource.inputs
        chart = str(inputs.get("chart", "")).rsplit("/", 1)[-1]  # oci://registry/path/<chart>
        found.append(
            Release(
                resource,
                chart,
                str(inputs.get("version", "")),
                str(inputs.get("name") or resource.name),
                str(inputs.get("namespace") or "default"),
            )
        )
    return found


def render(resources: Sequence[Registration], helm: Helm | None, dirs: Sequence[Path]) -> Rendering:
    """Render every release of a recording; a release waits for the releases it depends on, whose CRDs
    it then sees as ``--api-versions`` (as a real install sees them in the cluster)."""
    releases = releases_of(resources)
    if helm is None:
        for release in releases:
            release.unexpanded = (
                f"no Helm found ({HELM_ENV}, .tools/helm/helm from `make helm`, or helm on PATH): "
                "judged by its values only"
            )
        return Rendering(None, releases)
    waits = depends_on(resources)
    by_urn = {r.registration.urn: r for r in releases}
    kube = kube_version(resources)
    done: set[str] = set()
    with tempfile.TemporaryDirectory(prefix="mlops-helm-") as scratch, ThreadPoolExecutor(max_workers=2) as pool:
        while len(done) < len(releases):
            ready = [
                r
                for r in releases
                if r.registration.urn not in done and all(u in done for u in waits[r.registration.urn] if u in by_urn)
            ]
            if not ready:  # a cycle cannot be declared in Pulumi; render the rest without order
                ready = [r for r in releases if r.registration.urn not in done]
            jobs: list[Future[None]] = []
            for release in ready:
                apis = crd_api_versions(
                    item for u in waits[release.registration.urn] if u in by_urn for item in by_urn[u].objects
                )
                jobs.append(pool.submit(_render_one, helm, release, dirs, kube, apis, Path(scratch)))
            for job in jobs:
                job.result()
            done |= {r.registration.urn for r in ready}
    return Rendering(helm, releases)


def _render_one(helm: Helm, release: Release, dirs: Sequence[Path], kube: str, apis: set[str], scratch: Path) -> None:
    values: Any = release.registration.inputs.get("values") or {}
    if has_unknown(values):
        release.unexpanded = (
            "its values hold what only the deployment knows (a first preview): judged by its values only"
        )
        return
    work = Path(tempfile.mkdtemp(dir=scratch))
    chart = local_chart(release.chart, release.version, dirs)
    if chart is None:
        if release.chart not in pins.CHARTS:
            release.unexpanded = f"chart {release.chart} {release.version} is in no chart directory and not pinned"
            return
        chart, reason = pull(helm, pins.chart(release.chart), work)
        if chart is None:
            looked = ", ".join(str(d) for d in dirs)
            release.unexpanded = (
                f"chart {release.chart} {release.version} is in no chart directory ({looked}) "
                f"and its repository cannot be reached: {reason}"
            )
            return
        release.source = pins.chart(release.chart).repository
    else:
        release.source = str(chart)
    values_file = work / "values.json"
    values_file.write_text(json.dumps(values))
    done = _run(template_command(helm, release, chart, values_file, kube, apis))
    if done.returncode:
        raise RenderError(
            f"Helm release {release.name} ({release.registration.name}): chart {release.chart} {release.version} "
            f"({release.source}) does not render with its values: {_one_line(done.stderr)}"
        )
    chart_values = read_chart_values(release.chart, chart)
    if not chart_values.has_schema and (ignored := unknown_keys(chart_values, values)):
        raise RenderError(
            f"Helm release {release.name} ({release.registration.name}): chart {release.chart} {release.version} "
            f"({release.source}) defines no value {', '.join(ignored)} (its values.yaml; Helm would ignore "
            "them silently)"
        )
    release.objects = parse(done.stdout)


def _run(command: list[str]) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(command, capture_output=True, text=True, check=False, timeout=_HELM_TIMEOUT)
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(command, 124, "", f"timed out after {_HELM_TIMEOUT} s")


def _one_line(text: str) -> str:
    return "; ".join(line.strip() for line in text.splitlines() if line.strip())

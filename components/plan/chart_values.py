"""Values a release sets that its chart does not define: Helm ignores a misspelt or renamed key without a
word, so ``mlops plan`` refuses it before rendering.

A chart that ships ``values.schema.json`` is checked by Helm itself against its schema; any other is checked
here against the keys of its ``values.yaml`` (and each bundled subchart's, under the subchart's name),
from a chart directory or ``.tgz`` alike.
"""

from __future__ import annotations

import re
import tarfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, cast

import yaml

FREE_FORM: dict[tuple[str, str], str] = {
    ("kube-prometheus-stack", "alertmanager.config"): "the Alertmanager configuration file, passed through whole",
    ("cluster-autoscaler", "extraArgs"): "command-line flags, passed through (each of ours is defined in "
    "cluster-autoscaler/config/flags/flags.go at tag cluster-autoscaler-1.35.2)",
    ("karpenter", "nodeSelector"): "a node selector: any labels (the chart's default holds one, kubernetes.io/os)",
}
"""Values that are documents of their own, not chart settings (with the reason)."""

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader where PyYAML has it: kube-prometheus-stack's values are 5,000 lines."""
COMMENTED_KEY = re.compile(r"^\s*#\s*([A-Za-z][\w.-]*):", re.MULTILINE)
"""A key a chart documents as a commented-out example (``# storageClassName: default``)."""


@dataclass(frozen=True)
class ChartValues:
    """What a chart's values files define."""

    chart: str
    values: dict[str, Any]
    """``values.yaml``, each bundled subchart's merged under its name."""
    documented: frozenset[str]
    """Keys its values files show as commented-out examples."""
    has_schema: bool
    """Whether it ships ``values.schema.json`` (Helm validates against it)."""


def merged(base: Any, over: Any) -> Any:
    """``over`` laid on ``base`` as Helm merges values: maps key by key, anything else replaced."""
    if isinstance(base, dict) and isinstance(over, dict):
        out: dict[str, Any] = dict(cast(dict[str, Any], base))
        for key, value in cast(dict[str, Any], over).items():
            out[key] = merged(out.get(key), value)
        return out
    return cast(Any, over if over is not None else base)


def _files(source: Path) -> dict[str, str]:
    """``values.yaml``, ``charts/<sub>/values.yaml`` and ``values.schema.json`` of a chart directory or
    archive, by their path inside the chart."""
    wanted = re.compile(r"(charts/[^/]+/)?(values\.yaml|values\.schema\.json)")
    found: dict[str, str] = {}
    if source.is_dir():
        for path in [source / "values.yaml", source / "values.schema.json", *source.glob("charts/*/values.yaml")]:
            if path.is_file():
                found[path.relative_to(source).as_posix()] = path.read_text()
        return found
    with tarfile.open(source) as archive:
        for member in archive.getmembers():
            inside = PurePosixPath(*PurePosixPath(member.name).parts[1:]).as_posix()  # <chart>/...
            if member.isfile() and wanted.fullmatch(inside):
                extracted = archive.extractfile(member)
                if extracted is not None:
                    found[inside] = extracted.read().decode()
    return found


def read(chart: str, source: Path) -> ChartValues:
    """The values a chart source defines."""
    files = _files(source)
    values = cast(dict[str, Any], yaml.load(files.get("values.yaml", ""), Loader=_LOADER) or {})
    for path, text in sorted(files.items()):
        if path.startswith("charts/") and path.endswith("values.yaml"):
            name = path.split("/")[1]
            values[name] = merged(yaml.load(text, Loader=_LOADER) or {}, values.get(name))
    documented = frozenset(
        key for path, text in files.items() if path.endswith(".yaml") for key in COMMENTED_KEY.findall(text)
    )
    return ChartValues(chart, values, documented, "values.schema.json" in files)


def unknown_keys(chart: ChartValues, ours: Any) -> list[str]:
    """Key paths in the values ``ours`` that the chart's values do not define. Below an empty map, a list
    or a null default the chart takes anything (it documents those as free-form), and so below
    :data:`FREE_FORM`."""
    return _unknown(chart, ours, chart.values, "")


def _unknown(chart: ChartValues, ours: Any, theirs: Any, path: str) -> list[str]:
    if not isinstance(ours, dict) or not isinstance(theirs, dict) or not theirs:
        return []
    if (chart.chart, path) in FREE_FORM:
        return []
    missing: list[str] = []
    for key, value in cast(dict[str, Any], ours).items():
        here = f"{path}.{key}" if path else key
        known = cast(dict[str, Any], theirs)
        if key not in known:
            if isinstance(value, dict) or key not in chart.documented:
                missing.append(here)
        else:
            missing += _unknown(chart, value, known[key], here)
    return missing

"""Write ``components/plan/replacements.py`` from the vendored replacement extracts.

Terraform-bridged providers (terraform-provider-aws, terraform-provider-random) name inputs in
snake_case per Terraform resource; a plan names them as the Pulumi SDK does (camelCase, a
repeated block pluralised: ``encryption_configuration`` is ``encryptionConfigurations``, and
indexed when the SDK types it as a list: ``ebsBlockDevices[*].volumeSize``). Each
name is checked against the installed SDK's ``<Resource>Args`` (a nested one against its block's
args class) so a renamed input fails here instead of silently never matching. pulumi-docker is
native (its extract says which inputs replace: none). pulumi-kubernetes' table is per
group/version/kind and already in the object's own field names.

Run: ``.venv/bin/python tools/gen_replacements.py`` (``--check`` exits 1 when the file is stale).
"""

from __future__ import annotations

import collections.abc
import importlib
import inspect
import json
import sys
import typing
from pathlib import Path
from typing import Any, ForwardRef

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "tests/vendor"
EXTRACT = VENDOR / "terraform-provider-aws/force_new.json"
BRIDGED = [EXTRACT, VENDOR / "terraform-provider-random/force_new.json", VENDOR / "pulumi-docker/force_new.json"]
"""Extracts keyed by provider resource, each entry naming the Pulumi tokens it covers."""
KUBERNETES = VENDOR / "pulumi-kubernetes/force_new.json"
TARGET = ROOT / "components/plan/replacements.py"
LINE_LENGTH = 120
"""ruff's line length (pyproject.toml): the module is written as ``ruff format`` leaves it."""


def _literal(value: str | int | bool) -> str:
    """A schema default as Python source (``"SYMMETRIC_DEFAULT"``, ``64512``, ``True``)."""
    return json.dumps(value) if isinstance(value, str) else repr(value)


def camel(snake: str) -> str:
    """``service_ipv4_cidr`` -> ``serviceIpv4Cidr``."""
    head, *rest = snake.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def sdk_inputs(token: str) -> dict[str, Any]:
    """The snake_case input names of the Pulumi resource with type ``token`` in its installed SDK
    (``aws:rds/instance:Instance`` is ``pulumi_aws.rds.Instance``, ``random:index/...`` a class of
    ``pulumi_random`` itself), each with its type annotation."""
    provider, module_path, class_name = token.split(":")
    submodule = module_path.split("/")[0]
    package = importlib.import_module(f"pulumi_{provider}" + ("" if submodule == "index" else f".{submodule}"))
    # Where a nested block's type already has the name ``<Resource>Args`` (the legacy Bucket's
    # ``versioning`` block is ``BucketVersioningArgs``), Pulumi's codegen names the resource's own
    # args ``<Resource>InitArgs``.
    resource_module = importlib.import_module(getattr(package, class_name).__module__)
    args = getattr(resource_module, f"{class_name}InitArgs", None) or getattr(resource_module, f"{class_name}Args")
    return _parameters(args)


def _parameters(args: type) -> dict[str, Any]:
    """An SDK args class's ``__init__`` parameters and their annotations (the nested types are
    forward references to classes of the same module)."""
    module = sys.modules[args.__module__]
    return {
        name: (parameter.annotation, module)
        for name, parameter in inspect.signature(args.__init__).parameters.items()
        if name not in ("self", "__self__")
    }


def block_type(annotation: Any) -> tuple[bool, str | None]:
    """Whether an input annotated ``annotation`` is a list (``Input[Sequence[Input[X]]]``: a block
    the bridge keeps as a list, which a plan indexes) and the name of its block's args class ``X``
    (None for a plain value). A block limited to one item the bridge flattens into an object: ``Input[X]``."""
    if isinstance(annotation, ForwardRef):
        return False, annotation.__forward_arg__
    if isinstance(annotation, str):
        return False, annotation.strip("'\"")
    listed, name = typing.get_origin(annotation) is collections.abc.Sequence, None
    for argument in typing.get_args(annotation):
        inner_listed, inner_name = block_type(argument)
        listed, name = listed or inner_listed, name or inner_name
    return listed, name


def pulumi_path(tf_path: str, inputs: dict[str, Any], token: str, renamed: dict[str, str] | None = None) -> str:
    """The plan's path for a Terraform attribute path of resource ``token``; ``renamed`` gives the
    top-level names the Pulumi provider maps to another input name (``topic_arn`` is ``topic``).
    A block the SDK types as a list gets ``[*]`` (``ebsBlockDevices[*].volumeSize``): a plan
    writes the list index there."""
    top, *nested = tf_path.split(".")
    top = (renamed or {}).get(top, top)
    if top in inputs:
        name = top
    elif f"{top}s" in inputs:
        name = f"{top}s"
    else:
        raise SystemExit(f"{EXTRACT.name}: {token} has no input {top!r} in the installed SDK")
    parts, fields = [camel(name)], inputs
    for part in nested:
        annotation, module = fields[name]
        listed, block = block_type(annotation)
        if listed:
            parts[-1] += "[*]"
        fields = _parameters(getattr(module, block)) if block else {}
        name = part if part in fields or f"{part}s" not in fields else f"{part}s"
        if fields and name not in fields:
            raise SystemExit(
                f"{EXTRACT.name}: {token} has no input {part!r} under {'.'.join(parts)} in the installed SDK"
            )
        parts.append(camel(name))
    return ".".join(parts)


Row = tuple[str, str, tuple[str, ...]]
"""A token, the comment naming where its facts come from, and the paths that replace it."""


def bridged_rows(extract: dict[str, Any]) -> list[Row]:
    """One row per token of a bridged or native provider's extract (its comment: repository, file)."""
    rows: list[Row] = []
    for entry in extract["resources"].values():
        for token in entry["tokens"]:
            inputs = sdk_inputs(token) if entry["force_new"] else {}
            # An attribute of the copy read that the bridged version no longer has (the copy is older).
            gone: list[str] = entry.get("not_in_sdk", [])
            if kept := [name for name in gone if name in inputs]:
                raise SystemExit(f"{EXTRACT.name}: {token} has {kept} again: move them back into force_new")
            forcing = [p for p in entry["force_new"] if p.split(".")[0] not in gone]
            paths = {pulumi_path(p, inputs, token, entry.get("renamed")) for p in forcing}
            rows.append((token, f"{extract['source'].rsplit('/', 1)[-1]} {entry['file']}", tuple(sorted(paths))))
    return rows


def kubernetes_rows(extract: dict[str, Any]) -> list[Row]:
    """One row per kind of pulumi-kubernetes' table (its own fields and every kind's identity), the
    ConfigMap and Secret as the provider's default configuration replaces them, and the Helm release."""
    identity: list[str] = extract["every_kind"]
    kinds: dict[str, list[str]] = dict(extract["kinds"])
    kinds["core/v1:ConfigMap"] = extract["configmap_immutable_by_default"]
    kinds["core/v1:Secret"] = extract["secret_immutable_by_default"]
    rows: list[Row] = [
        (f"kubernetes:{kind}", "pulumi-kubernetes provider/pkg/provider/diff.go", tuple(sorted({*identity, *fields})))
        for kind, fields in kinds.items()
    ]
    release = extract["helm_release"]
    rows.append((release["token"], f"pulumi-kubernetes {release['file']}", tuple(sorted(release["force_new"]))))
    return rows


def render(extract: dict[str, Any] | None = None) -> str:
    """The generated module's text (``extract`` replaces the vendored AWS extract, for tests)."""
    extracts = [extract or _read(EXTRACT), *(_read(path) for path in BRIDGED[1:])]
    kubernetes = _read(KUBERNETES)
    rows = sorted(row for e in extracts for row in bridged_rows(e)) + sorted(kubernetes_rows(kubernetes))
    lines = [
        '"""Inputs each resource type can only change by being replaced. Generated by',
        "tools/gen_replacements.py from tests/vendor/*/force_new.json (ForceNew and RequiresReplace in the",
        "Terraform providers' schemas, pulumi-kubernetes' replacement table, pulumi-docker's Diff; checked",
        f"{extracts[0]['checked']}): do not edit.",
        '"""',
        "",
        "KUBERNETES_EVERY_KIND: tuple[str, ...] = (",
        *(f"    {json.dumps(path)}," for path in kubernetes["every_kind"]),
        ")",
        '"""What replaces any Kubernetes object, a custom resource included (pulumi-kubernetes, diff.go)."""',
        "",
        "REPLACE_ON_CHANGE: dict[str, tuple[str, ...]] = {",
    ]
    for token, source, paths in rows:
        lines.append(f"    # {source}")
        # As ruff formats it: an empty or one-element tuple on one line when it fits.
        one_line = f"    {json.dumps(token)}: ({''.join(f'{json.dumps(p)},' for p in paths)}),"
        if len(paths) <= 1 and len(one_line) <= LINE_LENGTH:
            lines.append(one_line)
            continue
        lines.append(f"    {json.dumps(token)}: (")
        lines += [f"        {json.dumps(path)}," for path in paths]
        lines.append("    ),")
    lines.append("}")
    lines += ["", "SCHEMA_DEFAULTS: dict[str, dict[str, str | int | bool]] = {"]
    for token, defaults in sorted(default_rows(extracts)):
        lines.append(f"    {json.dumps(token)}: {{")
        lines += [f"        {json.dumps(path)}: {_literal(value)}," for path, value in sorted(defaults.items())]
        lines.append("    },")
    lines += [
        "}",
        '"""The schema default of a forcing input the provider fills in when it is left out: absent and the',
        'default are the same inputs (aws_kms_key key_usage ENCRYPT_DECRYPT)."""',
    ]
    return "\n".join(lines) + "\n"


def default_rows(extracts: list[dict[str, Any]]) -> list[tuple[str, dict[str, str | int | bool]]]:
    """Per token, the plan paths of the forcing inputs whose schema ``Default`` an extract records."""
    rows: list[tuple[str, dict[str, str | int | bool]]] = []
    for extract in extracts:
        for entry in extract["resources"].values():
            defaults: dict[str, str | int | bool] = entry.get("defaults", {})
            if unknown := sorted(set(defaults) - set(entry["force_new"])):
                raise SystemExit(f"{EXTRACT.name}: defaults of {unknown} that are not ForceNew")
            tokens: list[str] = entry["tokens"] if defaults else []
            renamed: dict[str, str] = entry.get("renamed", {})
            for token in tokens:
                inputs = sdk_inputs(token)
                rows.append((token, {pulumi_path(k, inputs, token, renamed): v for k, v in defaults.items()}))
    return rows


def _read(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def main(argv: list[str]) -> int:
    """Write the module, or with ``--check`` report whether it is current."""
    text = render()
    if "--check" in argv:
        if TARGET.read_text(encoding="utf-8") != text:
            print(f"{TARGET.relative_to(ROOT)} is stale: run tools/gen_replacements.py", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

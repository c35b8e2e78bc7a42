"""Compare two plans: what a change adds, removes and changes, and which data it destroys.

A resource is matched by URN, or through the new plan's ``aliases`` (a child inherits its
parent's), so a refactor with aliases is a change, not a delete and a create. A change in an
input the provider can only apply by replacing the resource (``components/plan/replacements.py``,
generated from the providers' own replacement rules) is a replacement. A *destruction* is a
resource whose replacement loses data (``LOSES_DATA_ON_REPLACE``: buckets, KMS keys, registries,
the cluster, databases, queues, log groups, volumes, a StatefulSet with volume claims) or a
protected one that the new plan removes, renames without an alias, or replaces. A *refused*
change is one the engines would carry out unsafely: a canary Rollout published together with a
change of its pod template (:func:`components.delivery.publication_problem`). Input values that
are or look secret are masked.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from components import delivery
from components.naming import MODEL_PUBLISHED_ANNOTATION, MODEL_URI_ANNOTATION
from components.plan.inputs import MAX_DEPTH, json_depth
from components.plan.monitor import STACK_TYPE, qualified_type
from components.plan.replacements import KUBERNETES_EVERY_KIND, REPLACE_ON_CHANGE, SCHEMA_DEFAULTS
from components.policies.rules import STATEFUL_SET, loses_data_on_replace
from components.project import SECRET_PLACEHOLDER
from components.values import as_mapping


def forcing_inputs(type_: str) -> tuple[str, ...] | None:
    """The input paths that replace a resource of ``type_``, or None when nothing is known of it:
    its provider's table, and for a Kubernetes kind outside pulumi-kubernetes' table (a custom
    resource) the name and namespace that replace every object."""
    if type_ in REPLACE_ON_CHANGE:
        return REPLACE_ON_CHANGE[type_]
    return KUBERNETES_EVERY_KIND if type_.startswith("kubernetes:") else None


def _default_written_out(old: Any, new: Any, default: Any) -> bool:
    """Whether one side leaves the input out and the other writes its schema default (values of
    any JSON shape: a hostile plan may hold a list where a string belongs)."""
    return (old is None and new == default) or (new is None and old == default)


def forces_replacement(path: str, forcing: tuple[str, ...]) -> bool:
    """Whether a changed input path is, or lies inside, one of the ``forcing`` paths (``[*]`` in
    one stands for any list index: ``spec.containers[*].image`` forces ``spec.containers[1].image``;
    a forcing input holding a JSON document is forced by a change inside it, ``policy(json)...``)."""
    return any(_forcing_pattern(f).match(path) for f in forcing)


@functools.cache
def _forcing_pattern(forcing: str) -> re.Pattern[str]:
    body = r"\[\d+\]".join(re.escape(part) for part in forcing.split("[*]"))
    return re.compile(rf"{body}(?:$|[.\[(])")


_SECRET_NAME = re.compile(r"(password|secret|token|private_?key|credential)", re.IGNORECASE)
_SHOWN = 120
"""Characters of a changed value shown in the text report."""


@dataclass(frozen=True)
class FieldChange:
    """One input that differs, by path (``tags.team``, ``vpcConfig.subnetIds``)."""

    path: str
    old: Any
    new: Any


@dataclass(frozen=True)
class Change:
    """A resource in both plans whose inputs or options differ."""

    urn: str
    type: str
    old_urn: str
    fields: list[FieldChange]
    replaced_by: list[str]
    """Changed inputs that force the provider to replace the resource."""
    no_facts: bool = False
    """Inputs changed on a type with no replacement facts: the change may replace it."""


@dataclass(frozen=True)
class Destruction:
    """A stateful or protected resource the change would delete or replace."""

    urn: str
    type: str
    what: str
    reason: str
    way_out: str
    """How to make the change and keep what the resource holds (an alias, ignore_changes, a copy)."""


@dataclass
class Diff:
    """Everything that differs between two plans."""

    added: list[str] = field(default_factory=list[str])
    removed: list[str] = field(default_factory=list[str])
    changed: list[Change] = field(default_factory=list[Change])
    destroyed: list[Destruction] = field(default_factory=list[Destruction])
    refused: list[str] = field(default_factory=list[str])
    """Why each refused change is refused, with what to do instead (one line each)."""

    def as_json(self) -> dict[str, Any]:
        """``diff.json``: the same content, secrets masked."""
        return {
            "added": self.added,
            "removed": self.removed,
            "changed": [
                {
                    "urn": c.urn,
                    "oldUrn": c.old_urn,
                    "type": c.type,
                    "action": "replace" if c.replaced_by else "update",
                    "replacedBy": c.replaced_by,
                    "noReplacementFacts": c.no_facts,
                    "fields": [{"path": f.path, "old": f.old, "new": f.new} for f in c.fields],
                }
                for c in self.changed
            ],
            "destroyed": [
                {"urn": d.urn, "type": d.type, "what": d.what, "reason": d.reason, "wayOut": d.way_out}
                for d in self.destroyed
            ],
            "refused": self.refused,
        }


def _resources(plan: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    items = cast(list[dict[str, Any]], plan.get("resources") or [])
    return {r["urn"]: r for r in items if r.get("type") != STACK_TYPE}


def effective_aliases(resources: Mapping[str, Mapping[str, Any]]) -> dict[str, set[str]]:
    """Per URN, every earlier URN it answers to: its own aliases and, as the engine derives
    them, its URN under each alias of its parent (same name, the parent's old type chain)."""
    found: dict[str, set[str]] = {}

    def of(urn: str) -> set[str]:
        if urn in found:
            return found[urn]
        found[urn] = set()
        resource = resources[urn]
        aliases = set(cast(list[str], resource.get("options", {}).get("aliases") or []))
        parent = resource.get("parent")
        if isinstance(parent, str) and parent in resources:
            stem, _, name = urn.rpartition("::")
            type_ = stem.split("::")[2].rsplit("$", 1)[-1]
            for parent_alias in of(parent):
                stack, project = parent_alias.split("::")[:2]
                aliases.add(f"{stack}::{project}::{qualified_type(parent_alias, type_)}::{name}")
        found[urn] = aliases
        return aliases

    for urn in resources:
        of(urn)
    return found


def compare(old_plan: Mapping[str, Any], new_plan: Mapping[str, Any]) -> Diff:
    """What changes from ``old_plan`` to ``new_plan`` (two ``plan.json`` documents)."""
    old, new = _resources(old_plan), _resources(new_plan)
    matched: dict[str, str] = {urn: urn for urn in new if urn in old}
    for urn, aliases in effective_aliases(new).items():
        if urn not in matched:
            earlier = sorted(a for a in aliases if a in old and a not in new)
            if earlier:
                matched[urn] = earlier[0]
    diff = Diff()
    diff.added = sorted(urn for urn in new if urn not in matched)
    diff.removed = sorted(set(old) - set(matched.values()))
    for urn, old_urn in sorted(matched.items()):
        change = _change(old[old_urn], new[urn])
        if change is not None:
            diff.changed.append(change)
    diff.destroyed = _destructions(diff, old, new)
    diff.refused = _refusals(diff, new)
    return diff


ROLLOUT = "kubernetes:argoproj.io/v1alpha1:Rollout"


def _refusals(diff: Diff, new: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Rollouts that the change publishes while it changes their pod template."""
    found: list[str] = []
    for change in diff.changed:
        if change.type != ROLLOUT:
            continue
        fields = {f.path: f for f in change.fields}
        flag = fields.get(f"metadata.annotations.{MODEL_PUBLISHED_ANNOTATION}")
        published = (str(flag.old).lower(), str(flag.new).lower()) if flag else ("", "")
        template = any(path.startswith("spec.template.") for path in fields)
        metadata = as_mapping(as_mapping(new[change.urn].get("inputs")).get("metadata"))
        problem = delivery.publication_problem(
            str(metadata.get("namespace", "default")), str(metadata.get("name", "")), published, template
        )
        if problem:
            found.append(problem)
    return found


def _change(old: Mapping[str, Any], new: Mapping[str, Any]) -> Change | None:
    old_options, new_options = old.get("options", {}), new.get("options", {})
    # The engine keeps the old value of an input the new plan's ignoreChanges names (or one inside it).
    ignored = tuple(cast(list[str], new_options.get("ignoreChanges") or []))
    # The provider fills in a left-out input's schema default: leaving it out and writing the default agree.
    defaults = SCHEMA_DEFAULTS.get(new["type"], {})
    inputs = [
        f
        for f in _field_changes("", old.get("inputs", {}), new.get("inputs", {}))
        if not forces_replacement(f.path, ignored)
        and not (f.path in defaults and _default_written_out(f.old, f.new, defaults[f.path]))
    ]
    fields = list(inputs)
    for option in ("protect", "retainOnDelete", "deleteBeforeReplace", "ignoreChanges"):
        if old_options.get(option) != new_options.get(option):
            fields.append(FieldChange(f"options.{option}", old_options.get(option), new_options.get(option)))
    if old["urn"] != new["urn"]:
        fields.append(FieldChange("urn", old["urn"], new["urn"]))
    if not fields:
        return None
    forcing = forcing_inputs(new["type"])
    replaced_by = sorted({f.path for f in inputs if forces_replacement(f.path, forcing or ())})
    return Change(new["urn"], new["type"], old["urn"], fields, replaced_by, forcing is None and bool(inputs))


def _field_changes(path: str, old: Any, new: Any) -> Iterator[FieldChange]:
    if old == new:
        return
    if (old is None and isinstance(new, dict)) or (new is None and isinstance(old, dict)):
        # A block added or removed changes each input inside it: one of them may force a replacement.
        old, new = cast(dict[str, Any], old or {}), cast(dict[str, Any], new or {})
    if isinstance(old, dict) and isinstance(new, dict):
        old_map, new_map = cast(dict[str, Any], old), cast(dict[str, Any], new)
        for key in sorted(set(old_map) | set(new_map)):
            yield from _field_changes(f"{path}.{key}" if path else key, old_map.get(key), new_map.get(key))
        return
    if isinstance(old, list) and isinstance(new, list) and len(cast(list[Any], old)) == len(cast(list[Any], new)):
        for index, (before, after) in enumerate(zip(cast(list[Any], old), cast(list[Any], new), strict=True)):
            yield from _field_changes(f"{path}[{index}]", before, after)
        return
    old_doc, new_doc = _json_document(old), _json_document(new)
    if old_doc is not None and new_doc is not None:  # an IAM policy, a dashboard: diff the document
        yield from _field_changes(f"{path}(json)", old_doc, new_doc)
        return
    secret = SECRET_PLACEHOLDER in (old, new) or bool(_SECRET_NAME.search(path.rsplit(".", 1)[-1]))
    yield FieldChange(path, SECRET_PLACEHOLDER if secret else old, SECRET_PLACEHOLDER if secret else new)


def _json_document(value: Any) -> Any:
    if not isinstance(value, str) or not value.lstrip().startswith(("{", "[")) or json_depth(value) > MAX_DEPTH:
        return None
    try:
        return json.loads(value)
    except ValueError:
        return None


def _destructions(
    diff: Diff, old: Mapping[str, Mapping[str, Any]], new: Mapping[str, Mapping[str, Any]]
) -> list[Destruction]:
    found: list[Destruction] = []
    for urn in diff.removed:
        resource = old[urn]
        options = resource.get("options", {})
        # The engine deletes a removed resource as its state says: one deployed with
        # retainOnDelete (and not protected) is left in place, its data with it.
        if not _precious(resource) or (options.get("retainOnDelete") and not options.get("protect")):
            continue
        successors = [u for u in diff.added if new[u]["type"] == resource["type"]]
        retyped = [u for u in diff.added if new[u]["name"] == resource["name"] and new[u]["type"] != resource["type"]]
        if successors:
            reason = f"removed; if it is now {new[successors[0]]['name']!r}, that is a rename"
            out = f"add aliases=[pulumi.Alias(urn={urn!r})] to keep it"
        elif retyped:
            # Same name, another type: the engine deletes the old resource and creates the new one
            # unless the new one answers to the old type.
            reason = f"removed; {resource['name']!r} is now of type {new[retyped[0]]['type']}, a delete and a create"
            out = f"add aliases=[pulumi.Alias(type_={resource['type']!r})] to the new resource to keep it"
        else:
            reason = "removed"
            out = (
                "keep it in the program, or to let it go set retain_on_delete=True first "
                "(it then stays, outside the stack)"
            )
        found.append(Destruction(urn, resource["type"], _what(resource), f"{reason}: {out}", out))
    for change in diff.changed:
        if change.replaced_by and _precious(old[change.old_urn]):
            out = way_out(change.type, change.replaced_by)
            reason = f"replaced: {', '.join(change.replaced_by)} cannot change in place; {out}"
            found.append(Destruction(change.urn, change.type, _what(old[change.old_urn]), reason, out))
        elif change.no_facts and _holds(old[change.old_urn]) is not None:
            changed = [f.path for f in change.fields if not f.path.startswith("options.") and f.path != "urn"]
            out = way_out(change.type, changed)
            reason = f"may be replaced: {NO_FACTS}, and {', '.join(changed)} changed; {out}"
            found.append(Destruction(change.urn, change.type, _what(old[change.old_urn]), reason, out))
    return found


NO_FACTS = "no replacement facts for this type: a change may replace it"
"""What the diff says of a changed resource whose type ``components/plan/replacements.py`` lacks."""


_MOVE_THE_DATA = {
    "aws:rds/instance:Instance": "snapshot the instance and create the new one with "
    "snapshotIdentifier=<the snapshot> under another name, then switch over",
    "aws:rds/cluster:Cluster": "snapshot the cluster and restore it with snapshotIdentifier=<the snapshot> "
    "under another name, then switch over",
    "aws:ebs/volume:Volume": "snapshot the volume and create the new one with snapshotId=<the snapshot>",
    "aws:efs/fileSystem:FileSystem": "back the file system up (AWS Backup) and restore it into the new one",
    "aws:s3/bucket:Bucket": "create the new bucket under another name, copy the objects (aws s3 sync), then "
    "switch over",
    "aws:s3/bucketV2:BucketV2": "create the new bucket under another name, copy the objects (aws s3 sync), then "
    "switch over",
    "aws:ecr/repository:Repository": "create the new repository under another name and push the images the "
    "deployments pull to it, then switch over",
    "aws:kms/key:Key": "create the new key beside the old one, re-encrypt what the old key protects, and only then "
    "remove the old key",
    "aws:sqs/queue:Queue": "create the new queue under another name, move the consumers, and drain the old one",
    "aws:cloudwatch/logGroup:LogGroup": "export the retained logs to S3 (CreateExportTask) before the old group goes",
    "aws:secretsmanager/secret:Secret": "create the new secret under another name and copy the current value into it",
    "kubernetes:core/v1:PersistentVolumeClaim": "take a VolumeSnapshot and create the new claim with "
    "dataSource=<the snapshot>",
    "kubernetes:apps/v1:StatefulSet": "take a VolumeSnapshot of each claim, and create the new set's claims from them",
}
"""For each type whose replacement loses data, how to carry the data over when the change must apply."""


def way_out(type_: str, replaced_by: list[str]) -> str:
    """How to make the change without losing what the resource holds."""
    # ignoreChanges takes property paths (``spec.storageClassName``, ``rules[0].id``), but not a
    # path inside a JSON document held as a string: that ignores the whole input.
    keep = ", ".join(dict.fromkeys(repr(path.split("(json)")[0]) for path in replaced_by))
    advice = (
        f"keep the old value, or if the live resource must stay as it is add "
        f"ignore_changes=[{keep}] (the new value then never applies)"
    )
    move = _MOVE_THE_DATA.get("kubernetes:apps/v1:StatefulSet" if STATEFUL_SET.fullmatch(type_) else type_)
    if move:
        advice += f"; to move the data, {move}"
    return advice


def _precious(resource: Mapping[str, Any]) -> bool:
    return _holds(resource) is not None or bool(resource.get("options", {}).get("protect"))


def _holds(resource: Mapping[str, Any]) -> str | None:
    return loses_data_on_replace(resource["type"], cast(Mapping[str, Any], resource.get("inputs") or {}))


def _what(resource: Mapping[str, Any]) -> str:
    kind = _holds(resource) or resource["type"]
    protected = " (protected)" if resource.get("options", {}).get("protect") else ""
    return f"{kind} {resource['name']}{protected}"


_VERSION_URI = re.compile(r"models:/(?P<name>[^/@]+)/(?P<version>\d+)")


def model_versions(diff: Diff) -> list[str]:
    """What serves differently: one line per endpoint whose model URI changed, the reviewer's
    summary of a promotion (``fraud-detector: v7 -> v8``)."""
    lines: list[str] = []
    for change in diff.changed:
        for f in change.fields:
            if f.path != f"metadata.annotations.{MODEL_URI_ANNOTATION}":
                continue
            old, new = _VERSION_URI.fullmatch(str(f.old)), _VERSION_URI.fullmatch(str(f.new))
            if old and new and old["name"] == new["name"]:
                lines.append(f"{new['name']}: v{old['version']} -> v{new['version']}")
            else:
                lines.append(f"{_short(change.urn)}: {f.old} -> {f.new}")
    return lines


def render_text(diff: Diff, old_label: str) -> str:
    """The report ``mlops plan --compare`` prints."""
    lines = [
        f"\nCompared with {old_label}: {len(diff.added)} to add, {len(diff.removed)} to remove, "
        f"{len(diff.changed)} to change ({sum(1 for c in diff.changed if c.replaced_by)} by replacing)"
    ]
    lines += [f"  model {line}" for line in model_versions(diff)]
    lines += [f"  + {_short(urn)}" for urn in diff.added]
    lines += [f"  - {_short(urn)}" for urn in diff.removed]
    for change in diff.changed:
        forced = set(change.replaced_by)
        note = " (replace)" if forced else f" ({NO_FACTS})" if change.no_facts else ""
        lines.append(f"  {'+-' if forced else '~'} {_short(change.urn)}{note}")
        lines += [
            f"      {f.path}: {_shown(f.old)} -> {_shown(f.new)}{' (forces replacement)' if f.path in forced else ''}"
            for f in change.fields
        ]
    lines += [f"REFUSED: {reason}" for reason in diff.refused]
    if diff.destroyed:
        lines.append(f"DESTROYS {len(diff.destroyed)} stateful or protected resource(s):")
        lines += [f"  ! {d.what}: {d.reason}" for d in diff.destroyed]
    else:
        lines.append("Destroys no stateful or protected resource.")
    return "\n".join(lines) + "\n"


def _short(urn: str) -> str:
    stem, _, name = urn.rpartition("::")
    return f"{stem.rsplit('::', 1)[-1].rsplit('$', 1)[-1]} {name}"


def _shown(value: Any) -> str:
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."

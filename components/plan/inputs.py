"""Reading the files ``mlops plan`` is given, as untrusted input: bounded in size and depth.

A stack file is YAML but its values reach the program as JSON, so only what JSON can say is
accepted: mappings with string keys, lists, strings, finite numbers, booleans and null. YAML's
other types (dates, ``!!set``, ``!!binary``, ``!!omap``), aliases (their expansion is unbounded:
the "billion laughs"), merge keys and duplicate keys (the last one would silently win) are
refused with the line and key path. Every refusal is a :class:`InputError` of one line.
"""

from __future__ import annotations

import json
import math
import re
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import yaml
from yaml._yaml import CParser
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.events import AliasEvent, Event
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import Resolver

MAX_YAML_BYTES = 256 * 1024
"""Largest stack or project file read (256 KiB; the prod stack file is 3 KB)."""
MAX_PLAN_BYTES = 64 * 1024 * 1024
"""Largest plan.json read (64 MiB; the prod plan is 0.4 MB, a 2,333-resource plan 10 MB)."""
MAX_DEPTH = 64
"""Deepest nesting of mappings and lists accepted in a stack or plan file."""
MAX_INT_DIGITS = 30
"""Longest integer literal accepted (more than any config value needs; Python refuses 4,300+)."""

_JSON_TAGS = {
    "tag:yaml.org,2002:str": "a string",
    "tag:yaml.org,2002:int": "an integer",
    "tag:yaml.org,2002:float": "a number",
    "tag:yaml.org,2002:bool": "a boolean",
    "tag:yaml.org,2002:null": "null",
}
_TAG_NAMES = {
    "tag:yaml.org,2002:timestamp": "a date or timestamp",
    "tag:yaml.org,2002:binary": "binary data (!!binary)",
    "tag:yaml.org,2002:set": "a set (!!set)",
    "tag:yaml.org,2002:omap": "an ordered map (!!omap)",
    "tag:yaml.org,2002:pairs": "a list of pairs (!!pairs)",
    "tag:yaml.org,2002:merge": "a merge key (<<)",
    "tag:yaml.org,2002:value": "a value key (=)",
}


_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_:/-]+$")


class InputError(ValueError):
    """An input file that is refused; the message is one line naming the file (and line)."""


def read_bytes(path: Path, limit: int) -> bytes:
    """The content of ``path``, a regular file (a device such as ``/dev/zero`` would never end,
    a pipe would block), refused when larger than ``limit`` bytes (never reads more)."""
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            raise InputError(f"{path}: not a regular file; a device, pipe or directory is never read")
        with path.open("rb") as stream:
            data = stream.read(limit + 1)
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if len(data) > limit:
        raise InputError(f"{path}: larger than {_size(limit)}; refused")
    return data


def read_yaml_mapping(path: Path) -> dict[str, Any]:
    """A YAML file whose top level is a mapping (empty file: ``{}``), JSON types only."""
    data = parse_yaml(read_bytes(path, MAX_YAML_BYTES), str(path))
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InputError(f"{path}: must be a YAML mapping")
    return cast(dict[str, Any], data)


def parse_yaml(data: bytes | str, source: str) -> Any:
    """One YAML document as JSON values; :class:`InputError` naming ``source`` otherwise."""
    try:
        loader = _BoundedLoader(data, source)
    except yaml.reader.ReaderError as exc:  # the reader decodes at once
        raise InputError(f"{source}: not valid YAML: {exc.reason} at byte {exc.position}") from None
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check(loader, node, "", source)
        return loader.construct_document(node)  # pyright: ignore[reportUnknownMemberType]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{source}:{mark.line + 1}" if mark is not None else source
        raise InputError(f"{where}: not valid YAML: {exc.problem or exc.context}") from None
    except yaml.reader.ReaderError as exc:
        raise InputError(f"{source}: not valid YAML: {exc.reason} at byte {exc.position}") from None
    except yaml.YAMLError as exc:
        raise InputError(f"{source}: not valid YAML: {_one_line(str(exc))}") from None
    finally:
        loader.dispose()


def read_json(path: Path, limit: int = MAX_PLAN_BYTES) -> Any:
    """A JSON file, at most ``limit`` bytes and :data:`MAX_DEPTH` deep, duplicate keys refused."""
    data = read_bytes(path, limit)
    if json_depth(data) > MAX_DEPTH:
        raise InputError(f"{path}: nested more than {MAX_DEPTH} levels deep; refused")
    try:
        return json.loads(data, object_pairs_hook=_unique_pairs, parse_constant=_no_constant)
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:{exc.lineno}: not JSON: {exc.msg} (column {exc.colno})") from None
    except ValueError as exc:
        raise InputError(f"{path}: not JSON: {exc}") from None


def json_depth(data: bytes | str) -> int:
    """How deep brackets nest in a JSON text (strings skipped): checked before parsing, since
    Python's parser recurses once per level."""
    text = data.encode() if isinstance(data, str) else data
    depth = deepest = 0
    in_string = escaped = False
    for byte in text:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x7B, 0x5B):  # { [
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x7D, 0x5D):
            depth -= 1
    return deepest


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise ValueError(f"duplicate key {json.dumps(key)}")
        found[key] = value
    return found


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number")


class _BoundedLoader(Composer, CParser, SafeConstructor, Resolver):
    """PyYAML's safe loader on libyaml's parser (ten times faster than PyYAML's own), with its
    Python composer refusing aliases and nesting deeper than :data:`MAX_DEPTH` as it goes: the
    composer recurses once per level, and libyaml parses no further than it is asked."""

    def __init__(self, stream: bytes | str, source: str) -> None:
        CParser.__init__(self, stream)
        Composer.__init__(self)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)
        self.source = source
        self._depth = 0

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        event = cast(Event, self.peek_event())  # pyright: ignore[reportUnknownMemberType]
        where = f"{self.source}:{event.start_mark.line + 1}" if event.start_mark else self.source
        if isinstance(event, AliasEvent):
            raise InputError(f"{where}: aliases (*{event.anchor}) are not allowed; write the value out")
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise InputError(f"{where}: nested more than {MAX_DEPTH} levels deep; refused")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _check(loader: _BoundedLoader, node: Node, path: str, source: str) -> None:
    """Refuse what JSON cannot say, duplicate keys and non-string keys, by line and key path."""
    where = f"{source}:{node.start_mark.line + 1}: {path or '(top level)'}"
    if isinstance(node, ScalarNode):
        tag = str(node.tag)
        if tag not in _JSON_TAGS:
            kind = _TAG_NAMES.get(tag, f"a value tagged {tag}")
            raise InputError(
                f"{where}: {kind} is not allowed; values are strings, numbers, booleans, null, lists "
                "and mappings (quote it to make it a string)"
            )
        value = str(node.value)
        if tag.endswith(":int") and len(value.lstrip("+-")) > MAX_INT_DIGITS:
            raise InputError(f"{where}: integer of more than {MAX_INT_DIGITS} digits; refused")
        if tag.endswith(":float") and not math.isfinite(loader.construct_yaml_float(node)):
            raise InputError(f"{where}: {value} is not allowed; numbers must be finite")
        return
    if isinstance(node, SequenceNode):
        if str(node.tag) != "tag:yaml.org,2002:seq":
            raise InputError(f"{where}: {_TAG_NAMES.get(str(node.tag), f'a list tagged {node.tag}')} is not allowed")
        for index, item in enumerate(cast(list[Node], node.value)):
            _check(loader, item, f"{path}[{index}]", source)
        return
    if isinstance(node, MappingNode):
        if str(node.tag) != "tag:yaml.org,2002:map":
            kind = _TAG_NAMES.get(str(node.tag), f"a mapping tagged {node.tag}")
            raise InputError(f"{where}: {kind} is not allowed")
        for key, value in _keys(node, path or "(top level)", source):
            _check(loader, value, f"{path}{_key_part(key)}" if path else _key_part(key).lstrip("."), source)


def _key_part(key: str) -> str:
    """``.key``, or ``["odd key"]`` JSON-quoted, so a path stays one readable line."""
    return f".{key}" if _PLAIN_KEY.match(key) else f"[{json.dumps(key)}]"


def _keys(node: MappingNode, path: str, source: str) -> Iterator[tuple[str, Node]]:
    first: dict[str, int] = {}
    for key_node, value_node in cast(list[tuple[Node, Node]], node.value):
        line = key_node.start_mark.line + 1
        where = f"{source}:{line}: {path}"
        if not isinstance(key_node, ScalarNode) or str(key_node.tag) != "tag:yaml.org,2002:str":
            if str(key_node.tag) == "tag:yaml.org,2002:merge":
                raise InputError(f"{where}: merge keys (<<) are not allowed; write the keys out")
            kind = _JSON_TAGS.get(str(key_node.tag), "a list, mapping or tagged value")
            raise InputError(f"{where}: keys must be strings, not {kind} (quote the key)")
        key = str(key_node.value)
        if key in first:
            raise InputError(
                f"{where}: duplicate key {json.dumps(key)}, first at line {first[key]}; the last one would silently win"
            )
        first[key] = line
        yield key, value_node


def _size(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MiB" if limit >= 1024 * 1024 else f"{limit // 1024} KiB"


def _one_line(text: str) -> str:
    return "; ".join(line.strip() for line in text.splitlines() if line.strip())

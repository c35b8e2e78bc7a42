"""Kubernetes manifests as block YAML, written directly.

A plan writes one file per Kubernetes object (1,624 on the 200-endpoint bench stack), and
PyYAML's dumper, even with libyaml's emitter, spent a third of a second on them in Python-level
representers and resolver calls. A manifest is JSON-shaped (mappings with string keys, lists,
strings, numbers, booleans, null), so its YAML needs few rules: PyYAML's block layout (keys
sorted, two-space indent, a list under a key at the key's indent), and for each string the
plainest style ``yaml.safe_load`` reads back as that same string. Anything else (a key PyYAML
would have to write as a complex key, an unexpected type) goes to PyYAML. The loader is the
judge: ``tests/unit/test_manifest_yaml.py`` reads every generated manifest and random documents
back, and the validators (kubeconform, checkov) read the files.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable
from typing import Any, cast

import yaml
from yaml.nodes import ScalarNode

_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
_RESOLVER = yaml.resolver.Resolver()
_STR_TAG = "tag:yaml.org,2002:str"

_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")
"""Characters that cannot begin a plain scalar (``-``, ``?`` and ``:`` can, before a non-space)."""
_READ_AS_NOT_A_STRING = re.compile(
    r"[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)(?:[eE][-+]?[0-9]+)?"  # 08, 1e3, +1e3, .5e3, 1_000
    r"|[-+]?0[bBoOxX][0-9a-fA-F_]+|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)|[yYnN]"
)
"""Plain scalars YAML 1.2 readers and go-yaml (kubectl) read as numbers or booleans where
PyYAML's YAML 1.1 resolver reads a string (``08``, ``0o17``, ``1e3``, ``y``): quoted too."""
_SINGLE = re.compile(r"[\x20-\x7e]*")
"""Strings a single-quoted scalar holds as they are: printable ASCII (anything else is escaped in
double quotes, so a manifest is ASCII whatever the locale, as PyYAML writes it)."""
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r", "\0": "\\0"}
_MAX_KEY = 128
"""PyYAML writes a longer key as a complex (``? ``) key: leave those documents to it."""


class _UnusualError(Exception):
    """A value outside the JSON shapes this writer knows: the document goes to PyYAML."""


@functools.lru_cache(maxsize=65536)
def _scalar(text: str) -> str:
    """``text`` as the plainest YAML scalar that loads back as this string."""
    if _plain(text):
        return text
    if _SINGLE.fullmatch(text) and text.strip(" ") == text:
        return "'" + text.replace("'", "''") + "'"
    return '"' + "".join(_escape(c) for c in text) + '"'


def _plain(text: str) -> bool:
    """Whether ``text`` reads back as itself unquoted, in block context: printable ASCII; no
    indicator first (``-``, ``?``, ``:`` only before a word); no ``: `` or `` #`` inside, no ``:``
    last, no space first or last; not a document marker; and a string to PyYAML's resolver
    (not ``true``, ``1.5``, ``010``, ``1:20``, ``2026-12-04``, ``~``...)."""
    if not text or not text.isascii() or not text.isprintable() or text.strip(" ") != text:
        return False
    first, second = text[0], text[1:2]
    if first in _INDICATORS and not (first in "-?:" and second not in ("", " ")):
        return False
    if ": " in text or " #" in text or text.endswith(":") or text.startswith(("---", "...")):
        return False
    return not _READ_AS_NOT_A_STRING.fullmatch(text) and _implicit_tag(text) == _STR_TAG


def _implicit_tag(text: str) -> str:
    """The tag PyYAML's resolver gives ``text`` as a plain scalar (``true`` is a bool, ``010`` an int)."""
    resolve = cast(Callable[[type, str, tuple[bool, bool]], str], _RESOLVER.resolve)  # pyright: ignore[reportUnknownMemberType]
    return resolve(ScalarNode, text, (True, False))


def _escape(char: str) -> str:
    if char in _ESCAPES:
        return _ESCAPES[char]
    code = ord(char)
    if 0x20 <= code <= 0x7E:
        return char
    if code <= 0xFF:
        return f"\\x{code:02X}"
    return f"\\u{code:04X}" if code <= 0xFFFF else f"\\U{code:08X}"


def _atom(value: Any) -> str:
    """A scalar value's YAML text (strings, numbers, booleans, null)."""
    if isinstance(value, str):
        return _scalar(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        text = repr(value).lower()
        return text.replace("e", ".0e", 1) if "." not in text and "e" in text else text  # as PyYAML
    raise _UnusualError(type(value).__name__)


def _lines(value: Any, indent: int) -> list[str]:
    """A non-empty mapping or list as block lines at ``indent``."""
    pad = " " * indent
    lines: list[str] = []
    if isinstance(value, dict):
        mapping = cast(dict[Any, Any], value)
        for key in sorted(mapping):
            written = _scalar(key) if isinstance(key, str) else ""
            if not written or len(written) > _MAX_KEY:  # as written: escapes make a key longer
                raise _UnusualError("key")
            head, item = f"{pad}{written}:", mapping[key]
            if isinstance(item, dict) and item:
                lines += [head, *_lines(item, indent + 2)]
            elif isinstance(item, list) and item:
                lines += [head, *_lines(item, indent)]  # PyYAML: a list under a key at the key's indent
            else:
                lines.append(f"{head} {_empty_or_atom(item)}")
        return lines
    for item in cast(list[Any], value):
        if isinstance(item, (dict, list)) and item:
            nested = _lines(item, indent + 2)
            lines += [f"{pad}- {nested[0][indent + 2 :]}", *nested[1:]]
        else:
            lines.append(f"{pad}- {_empty_or_atom(item)}")
    return lines


def _empty_or_atom(value: Any) -> str:
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    return _atom(value)


def dumps(obj: dict[str, Any]) -> str:
    """``obj`` (a Kubernetes object) as a YAML document, keys sorted."""
    try:
        return "\n".join(_lines(obj, 0)) + "\n" if obj else "{}\n"
    except _UnusualError:
        return yaml.dump(obj, Dumper=_DUMPER, sort_keys=True, default_flow_style=False)

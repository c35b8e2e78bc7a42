"""``plan.json``'s text, written directly: exactly ``json.dumps(value, indent=2, sort_keys=True)``.

With ``indent``, the standard library leaves its C encoder for a pure-Python one whose nested
generators hand every chunk up through each level: 0.17 s for the 7 MB plan of the 200-endpoint
bench stack. One recursive pass appending to a list writes the same bytes in 0.09 s; the
strings go through the C encoder as before. A value outside JSON's shapes (a non-string key,
a NaN, a tuple) goes to ``json.dumps`` itself; ``tests/unit/test_json_text.py`` compares the two.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from json.encoder import encode_basestring_ascii
from typing import Any


class _UnusualError(Exception):
    """A value this writer leaves to ``json.dumps``."""


def dumps(value: Any) -> str:
    """``json.dumps(value, indent=2, sort_keys=True)``."""
    out: list[str] = []
    try:
        _write(value, "", out.append)
    except (_UnusualError, TypeError):  # TypeError: keys sorted() cannot order
        return json.dumps(value, indent=2, sort_keys=True)
    return "".join(out)


def _write(value: Any, pad: str, emit: Callable[[str], None]) -> None:
    """``value`` at indent ``pad``: a mapping with its keys sorted, a list, one entry a line."""
    kind = type(value)  # pyright: ignore[reportUnknownVariableType] (exact types: a str subclass, an enum, goes to json.dumps)
    if kind is str:
        emit(encode_basestring_ascii(value))
    elif kind is dict or kind is list:
        if not value:
            emit("{}" if kind is dict else "[]")
            return
        inner = pad + "  "
        separator = ",\n" + inner
        if kind is dict:
            emit("{\n" + inner)
            for index, key in enumerate(sorted(value)):
                if type(key) is not str:
                    raise _UnusualError(repr(key))
                emit((separator if index else "") + encode_basestring_ascii(key) + ": ")
                _write(value[key], inner, emit)
            emit("\n" + pad + "}")
        else:
            emit("[\n" + inner)
            for index, item in enumerate(value):  # pyright: ignore[reportUnknownVariableType, reportUnknownArgumentType]
                if index:
                    emit(separator)
                _write(item, inner, emit)
            emit("\n" + pad + "]")
    elif value is True or value is False or value is None:
        emit("true" if value else "false" if value is False else "null")
    elif kind is int:
        emit(int.__repr__(value))
    elif kind is float and math.isfinite(value):
        emit(float.__repr__(value))
    else:
        raise _UnusualError(repr(value))

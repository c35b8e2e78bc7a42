"""``python -m tools.readme_config``: rewrite the README's stack-configuration table from the
pydantic models of :mod:`infra.config` (keys, allowed values, defaults) and its
:data:`~infra.config.SECTION_RULES` (the rules across fields)."""

from __future__ import annotations

import json
import re
import sys
import types
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from infra.config import SECTION_RULES, PlatformConfig
from tools.sections import with_marked_section

README = Path(__file__).resolve().parents[1] / "README.md"
SECTION = "config"
"""The README's ``<!-- config:start -->`` ... ``<!-- config:end -->`` markers."""


def _bare(annotation: Any) -> Any:
    """The type without ``Annotated`` and without ``| None``."""
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    if get_origin(annotation) in (Union, types.UnionType):
        kept = [a for a in get_args(annotation) if a is not type(None)]
        return _bare(kept[0]) if len(kept) == 1 else annotation
    return annotation


def _model(annotation: Any) -> tuple[type[BaseModel] | None, bool]:
    """The model a field holds and whether it holds a list of them."""
    bare = _bare(annotation)
    if get_origin(bare) is list:
        inner = _bare(get_args(bare)[0])
        return (inner, True) if isinstance(inner, type) and issubclass(inner, BaseModel) else (None, False)
    return (bare, False) if isinstance(bare, type) and issubclass(bare, BaseModel) else (None, False)


def _allowed(annotation: Any) -> list[str]:
    """A closed set's values: a ``Literal``'s or a ``StrEnum``'s."""
    bare = _bare(annotation)
    if get_origin(bare) is Literal:
        return [str(v) for v in get_args(bare)]
    if isinstance(bare, type) and issubclass(bare, Enum):
        return [str(member.value) for member in bare]
    return []


_DESCRIBED_DEFAULT = re.compile(r"(?:^|[.;]\s+)[Dd]efault(?::| is)? (.+?)\.(?:\s|$)")
"""A default that depends on the environment or on other keys, as the field's description says it."""


def _default(field: FieldInfo, described: bool = True) -> str | None:
    """The default as the stack file would spell it, in backticks; with ``described``, what the
    description says when it depends on the environment or other keys; None for none, or an empty one."""
    if field.is_required():
        return None
    value = field.get_default(call_default_factory=True)
    if isinstance(value, Enum):
        value = value.value
    if value is None and not described:
        return None
    if value is None:
        found = _DESCRIBED_DEFAULT.search(field.description or "")
        return found.group(1) if found else None
    if value in ([], {}, "") or isinstance(value, BaseModel):
        return None
    return f"`{value if isinstance(value, str) else json.dumps(value)}`"


def _details(field: FieldInfo, described: bool = True) -> str:
    """`` (allowed values, default)``, or nothing."""
    details = ["/".join(f"`{v}`" for v in _allowed(field.annotation))] if _allowed(field.annotation) else []
    if (default := _default(field, described)) is not None:
        details.append(f"default {default}")
    return f" ({', '.join(details)})" if details else ""


def _key(name: str, field: FieldInfo, path: str) -> str:
    """``key`` with its allowed values and default, or its nested keys."""
    key = field.alias or name
    model, _ = _model(field.annotation)
    if model is None:
        return f"`{key}`{_details(field)}"
    if f"{path}.{key}" in SECTION_RULES:
        return f"`{key}` (below)"
    return f"`{key}` ({', '.join(_keys(model, f'{path}.{key}'))})"


def _keys(model: type[BaseModel], path: str) -> list[str]:
    return [_key(name, field, path) for name, field in model.model_fields.items()]


def _rows(model: type[BaseModel], prefix: str) -> list[tuple[str, str]]:
    """(section, keys) for every field of ``model`` that is a section of the table."""
    rows: list[tuple[str, str]] = []
    for name, field in model.model_fields.items():
        path = f"{prefix}{field.alias or name}"
        section, many = _model(field.annotation)
        if section is None:
            # A key of its own: its description, which says any default that depends on others.
            rows.append((path, f"{(field.description or '').rstrip('.')}{_details(field, described=False)}"))
            continue
        path += "[]" if many else ""
        rows.append((path, ", ".join(_keys(section, path))))
        rows += [row for row in _rows(section, f"{path}.") if row[0] in SECTION_RULES]
    return rows


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def table() -> str:
    """The stack-configuration table: every section, its keys and the rules across its fields."""
    rows = _rows(PlatformConfig, "")
    sections = [section for section, _ in rows]
    if missing := sorted(set(sections) - set(SECTION_RULES)):
        raise SystemExit(f"infra/config.py SECTION_RULES: no rules for {', '.join(missing)}")
    if unknown := sorted(set(SECTION_RULES) - set(sections)):
        raise SystemExit(f"infra/config.py SECTION_RULES: no section {', '.join(unknown)}")
    lines = ["| section | keys (allowed values, default) | rules across fields |", "|---|---|---|"]
    lines += [f"| `{section}` | {_cell(keys)} | {_cell(SECTION_RULES[section])} |" for section, keys in rows]
    return "\n".join(lines)


def main() -> None:
    """Replace the README's stack-configuration table."""
    README.write_text(with_marked_section(README.read_text(), SECTION, table()))
    print(f"{README}: {len(SECTION_RULES)} sections", file=sys.stderr)


if __name__ == "__main__":
    main()

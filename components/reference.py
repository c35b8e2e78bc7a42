"""The components' reference (``docs/components.md``), generated from the code.

Every exported component: its docstring, its arguments (the TypedDicts of its module: name,
type as written, required or not, the field's docstring) and its outputs (the class's
annotated attributes and their docstrings). ``python -m components.reference`` rewrites the
file; a test keeps it in sync. The README's generated sections (between ``<!-- NAME:start -->``
markers) are read and rewritten with :func:`marked_section` and :func:`with_marked_section`.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, is_typeddict

import components

DOCS = Path(__file__).resolve().parents[1] / "docs" / "components.md"


@dataclass(frozen=True)
class Field:
    """One documented argument or output."""

    name: str
    annotation: str
    required: bool
    doc: str


def fields(cls: type) -> list[Field]:
    """The annotated attributes of a class body, each with the docstring that follows it."""
    body = ast.parse(inspect.getsource(cls)).body[0]
    if not isinstance(body, ast.ClassDef):
        return []
    found: list[Field] = []
    statements = body.body
    for index, node in enumerate(statements):
        if not (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)):
            continue
        following = statements[index + 1] if index + 1 < len(statements) else None
        doc = ""
        if isinstance(following, ast.Expr) and isinstance(following.value, ast.Constant):
            doc = " ".join(str(following.value.value).split())
        annotation = ast.unparse(node.annotation)
        required = not annotation.startswith("NotRequired[")
        if not required:
            annotation = annotation.removeprefix("NotRequired[").removesuffix("]")
        found.append(Field(node.target.id, annotation, required, doc))
    return found


def _first_paragraph(obj: Any) -> str:
    return " ".join((inspect.getdoc(obj) or "").split("\n\n", 1)[0].split())


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render() -> str:
    """The reference as Markdown."""
    names = [n for n in components.__all__ if not n.endswith("Args")]
    lines = [
        "# Component reference",
        "",
        "Generated from the code by `python -m components.reference`; do not edit by hand.",
        "",
    ]
    for name in names:
        component = getattr(components, name)
        module = importlib.import_module(component.__module__)
        lines += [f"## {name}", "", f"`{component.__module__}` · type token `mlops:index:{name}`", ""]
        lines += [_first_paragraph(component), ""]
        typed_dicts = [
            value
            for key, value in vars(module).items()
            if is_typeddict(value) and value.__module__ == module.__name__ and not key.startswith("_")
        ]
        for args in typed_dicts:
            lines += [f"### `{args.__name__}`", "", _first_paragraph(args), ""]
            lines += ["| argument | type | required | description |", "|---|---|---|---|"]
            lines += [
                f"| `{f.name}` | `{_cell(f.annotation)}` | {'yes' if f.required else 'no'} | {_cell(f.doc)} |"
                for f in fields(args)
            ]
            lines.append("")
        outputs = fields(component)
        if outputs:
            lines += ["### Outputs", "", "| attribute | type | description |", "|---|---|---|"]
            lines += [f"| `{f.name}` | `{_cell(f.annotation)}` | {_cell(f.doc)} |" for f in outputs]
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _markers(name: str) -> tuple[str, str]:
    return f"<!-- {name}:start -->", f"<!-- {name}:end -->"


def marked_section(text: str, name: str) -> str:
    """The text between ``<!-- NAME:start -->`` and ``<!-- NAME:end -->`` (a generated part of
    the README), stripped."""
    start, end = _markers(name)
    return text.split(start, 1)[1].split(end, 1)[0].strip()


def with_marked_section(text: str, name: str, body: str) -> str:
    """``text`` with the part between its ``NAME`` markers replaced by ``body``."""
    start, end = _markers(name)
    head, rest = text.split(start, 1)
    return f"{head}{start}\n{body}\n{end}{rest.split(end, 1)[1]}"


def main() -> None:
    """Rewrite ``docs/components.md``."""
    DOCS.parent.mkdir(exist_ok=True)
    DOCS.write_text(render())
    print(f"wrote {DOCS}", file=sys.stderr)


if __name__ == "__main__":
    main()

"""The components' reference (``docs/components.md``), generated from the code.

Every exported component: its docstring, its arguments (the TypedDicts of its module: name,
type as written, required or not, the field's docstring) and its outputs (the class's
annotated attributes and their docstrings). ``python -m tools.reference`` rewrites the
file; a test keeps it in sync.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from types import ModuleType
from typing import Any, cast, is_typeddict

import components
from components import pins

DOCS = Path(__file__).resolve().parents[1] / "docs" / "components.md"
"""The reference this module writes, in the checkout it runs from."""


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


def default_cell(value: object) -> str:
    """A component default as the reference shows it: JSON, a sequence as a list, a pinned image by
    its pin's name (the version is written only in components/pins.py)."""
    pinned = {image.ref: name for name, image in pins.IMAGES.items()}
    if isinstance(value, str) and value in pinned:
        return f"pin `{pinned[value]}`"
    plain = list(cast(tuple[object, ...], value)) if isinstance(value, tuple) else value
    return f"`{_cell(json.dumps(plain))}`"


def _typed_dicts(module: ModuleType) -> list[str]:
    """A table of each TypedDict defined in ``module``. A component that keeps its defaults in a
    module-level ``DEFAULTS`` mapping gets a default column, read from that mapping."""
    lines: list[str] = []
    defaults = cast(dict[str, object] | None, getattr(module, "DEFAULTS", None))
    for key, value in vars(module).items():
        if not (is_typeddict(value) and value.__module__ == module.__name__ and not key.startswith("_")):
            continue
        documented = fields(value)
        shown = defaults if defaults is not None and set(defaults) <= {f.name for f in documented} else None
        columns = ["argument", "type", "required", *(["default"] if shown is not None else []), "description"]
        lines += [f"### `{value.__name__}`", "", _first_paragraph(value), ""]
        lines += ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
        for f in documented:
            cells = [f"`{f.name}`", f"`{_cell(f.annotation)}`", "yes" if f.required else "no"]
            if shown is not None:
                cells.append(default_cell(shown[f.name]) if f.name in shown else "")
            lines.append("| " + " | ".join([*cells, _cell(f.doc)]) + " |")
        lines.append("")
    return lines


def _outputs(cls: type) -> list[str]:
    outputs = fields(cls)
    if not outputs:
        return []
    lines = ["### Outputs", "", "| attribute | type | description |", "|---|---|---|"]
    lines += [f"| `{f.name}` | `{_cell(f.annotation)}` | {_cell(f.doc)} |" for f in outputs]
    return [*lines, ""]


def _function_nodes(obj: Any) -> dict[str, ast.FunctionDef]:
    """The function definitions of a class body (or the function itself), by name, as written."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(obj))).body[0]
    body = tree.body if isinstance(tree, ast.ClassDef) else [tree]
    return {node.name: node for node in body if isinstance(node, ast.FunctionDef)}


def signature(node: ast.FunctionDef) -> str:
    """``(arguments)`` of a definition as written, without ``self``."""
    arguments = node.args
    if arguments.args and arguments.args[0].arg == "self":
        arguments = ast.arguments(
            posonlyargs=arguments.posonlyargs,
            args=arguments.args[1:],
            vararg=arguments.vararg,
            kwonlyargs=arguments.kwonlyargs,
            kw_defaults=arguments.kw_defaults,
            kwarg=arguments.kwarg,
            defaults=arguments.defaults,
        )
    return f"({ast.unparse(arguments)})"


def returns(node: ast.FunctionDef) -> str:
    """The return annotation as written (``pulumi.Output[str]`` or a plain type)."""
    return ast.unparse(node.returns) if node.returns is not None else "None"


def _methods(cls: type) -> list[str]:
    """A table of the public methods and properties of ``cls``: signature, return type, summary."""
    nodes = _function_nodes(cls)
    public = [
        (n, m) for n, m in vars(cls).items() if not n.startswith("_") and (callable(m) or isinstance(m, property))
    ]
    if not public:
        return []
    lines = ["### Methods and properties", "", "| name | returns | description |", "|---|---|---|"]
    for name, member in public:
        target = cast(Callable[..., Any], member.fget if isinstance(member, property) else member)
        node = nodes[name]
        shown = name if isinstance(member, property) else f"{name}{signature(node)}"
        lines.append(f"| `{_cell(shown)}` | `{_cell(returns(node))}` | {_cell(_first_paragraph(target))} |")
    return [*lines, ""]


def _constructor(cls: type) -> list[str]:
    """How a helper class (not a component) is constructed, with its ``__init__`` docstring."""
    node = _function_nodes(cls)["__init__"]
    doc = " ".join((inspect.getdoc(vars(cls)["__init__"]) or "").split())
    return ["```", f"{cls.__name__}{signature(node)}", "```", "", doc, ""]


def _helpers() -> list[str]:
    """The package's exports that are not components: how to import and call each."""
    lines = [
        "## Helpers",
        "",
        "Exported by `components` beside the components (`from components import PlatformStack, placement, Taint`).",
        "",
        "| name | kind | module | description |",
        "|---|---|---|---|",
    ]
    for name in sorted(components.HELPERS, key=str.lower):
        value = getattr(components, name)
        if inspect.isfunction(value):
            node = _function_nodes(value)[name]
            kind = f"function `{_cell(name + signature(node))} -> {_cell(returns(node))}`"
        elif is_typeddict(value):
            kind = "TypedDict (a plain dict)"
        elif isinstance(value, type) and issubclass(value, Enum):
            kind = "enum: " + ", ".join(f"`{m.name}`" for m in value)
        else:
            kind = "class"
        lines.append(f"| `{name}` | {kind} | `{value.__module__}` | {_cell(_first_paragraph(value))} |")
    lines.append("")
    taint = components.Taint
    lines += [f"### `{taint.__name__}`", "", _first_paragraph(taint), ""]
    lines += [f"`{taint.__name__}(key, value, effect)`, a frozen dataclass:", ""]
    lines += ["| field | type | description |", "|---|---|---|"]
    lines += [f"| `{f.name}` | `{_cell(f.annotation)}` | {_cell(f.doc)} |" for f in fields(taint)]
    return [*lines, "", *_methods(taint)]


def render() -> str:
    """The reference as Markdown."""
    names = components.COMPONENTS
    lines = [
        "# Component reference",
        "",
        "Generated from the code by `python -m tools.reference`; do not edit by hand.",
        "",
    ]
    for name in names:
        component = getattr(components, name)
        module = importlib.import_module(component.__module__)
        lines += [f"## {name}", "", f"`{component.__module__}` · type token `mlops:index:{name}`", ""]
        lines += [_first_paragraph(component), ""]
        lines += _typed_dicts(module)
        lines += _outputs(component)
        lines += _methods(component)
    lines += _helpers()
    platform = importlib.import_module("components.platform_stack")
    lines += ["## Platform contract", "", f"`{platform.__name__}` (a helper, not a component)", ""]
    lines += [_first_paragraph(platform), ""]
    lines += ["### `PlatformStack`", "", _first_paragraph(platform.PlatformStack), ""]
    lines += _constructor(platform.PlatformStack)
    lines += _outputs(platform.PlatformStack) + _methods(platform.PlatformStack) + _typed_dicts(platform)
    lines += ["### Functions", "", "| name | description |", "|---|---|"]
    lines += [
        f"| `{name}` | {_cell(_first_paragraph(value))} |"
        for name, value in vars(platform).items()
        if inspect.isfunction(value) and value.__module__ == platform.__name__ and not name.startswith("_")
    ]
    return "\n".join(lines).rstrip() + "\n"


def main() -> None:
    """Rewrite ``docs/components.md``."""
    DOCS.parent.mkdir(exist_ok=True)
    DOCS.write_text(render())
    print(f"wrote {DOCS}", file=sys.stderr)


if __name__ == "__main__":
    main()

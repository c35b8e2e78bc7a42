"""Errors the package raises for bad input, before any resource is declared."""

from __future__ import annotations

import functools
import inspect
import sysconfig
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NotRequired, Required, TypeVar, cast, get_args, get_origin

import pulumi

_LIBRARIES = (
    Path(__file__).resolve().parent,
    Path(pulumi.__file__).resolve().parent,
    Path(sysconfig.get_paths()["stdlib"]).resolve(),
)
"""Code a program calls into or runs under (runpy, asyncio): a location inside it is never the user's."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a configuration: where it is and what is allowed there."""

    path: str
    """Key path inside the configuration, e.g. ``platform.gpuPools[1].maxSize``."""
    message: str
    """What is wrong and what is allowed, e.g. ``must be >= minSize (got 0 < 2)``."""


class ConfigError(pulumi.RunError):
    """A configuration that cannot be deployed, with every problem found in it.

    It derives from :class:`pulumi.RunError`, so under ``pulumi up`` the CLI prints the
    message without a Python traceback; ``mlops plan`` prints it and exits with status 2.
    """

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = list(dict.fromkeys(problems))
        super().__init__(self.render())

    def render(self, source: str | None = None) -> str:
        """The message, one line a problem, each prefixed with the file name."""
        prefix = source if source is not None else self.source
        count = len(self.problems)
        head = f"invalid configuration ({count} problem{'s' if count != 1 else ''}):"
        lines = [f"{prefix}: {p.path}: {p.message}" for p in self.problems]
        return "\n".join([head, *lines])


class ComponentError(ValueError):
    """A component instance that cannot be declared, and where the program declared it.

    Raised at construction, or inside an ``apply`` once an input (another stack's pool) is
    known, when the program's own frame is long gone: so the component records its caller's
    ``FILE:LINE`` (:func:`declared_at`) when it is constructed. ``mlops plan`` prints
    ``FILE:LINE: Component 'name': problem``; the message alone names the instance.
    """

    def __init__(self, subject: str, problems: Sequence[str], where: str | None) -> None:
        self.subject = subject
        """What failed: ``ModelServingEndpoint 'scorer'``, ``platform stack acme/platform/prod``."""
        self.problems = list(problems)
        self.where = where
        """``path:line`` of the call that declared the instance (None when unknown)."""
        super().__init__(f"{subject}: " + "; ".join(self.problems))


def instance(component: str, name: str) -> str:
    """How an error names a component instance: ``ModelServingEndpoint 'scorer'``."""
    return f"{component} {name!r}"


def declared_at() -> str | None:
    """``path:line`` of the innermost caller outside this package and the Pulumi SDK: the line of
    the user's program (or of their own helper module) that is declaring a component."""
    frame = inspect.currentframe()
    while frame is not None:
        path = Path(frame.f_code.co_filename).resolve()
        if not frame.f_code.co_filename.startswith("<") and not any(path.is_relative_to(d) for d in _LIBRARIES):
            return f"{path}:{frame.f_lineno}"
        frame = frame.f_back
    return None


_SCALARS: dict[str, tuple[str, tuple[type, ...]]] = {
    "int": ("an integer", (int,)),
    "float": ("a number", (int, float)),
    "bool": ("True or False", (bool,)),
}


@functools.cache
def _scalar_fields(args_type: type) -> dict[str, tuple[str, tuple[type, ...]]]:
    # The annotations as written: objects in modules without ``from __future__ import
    # annotations`` (the components, for schema inference), strings or ForwardRefs elsewhere;
    # evaluating strings would need names (pulumi.Input's parameters) only type checkers import.
    fields: dict[str, tuple[str, tuple[type, ...]]] = {}
    for key, written in args_type.__annotations__.items():
        hint = get_args(written)[0] if get_origin(written) in (NotRequired, Required) else written
        if isinstance(hint, type):
            text = hint.__name__
        else:
            text = str(getattr(hint, "__forward_arg__", hint))
            if text.startswith(("NotRequired[", "Required[")):
                text = text.split("[", 1)[1].removesuffix("]")
        if text in _SCALARS:
            fields[key] = _SCALARS[text]
    return fields


def argument_type_problems(args: Mapping[str, object], args_type: type) -> list[str]:
    """Arguments whose value is not of the ``int``, ``float`` or ``bool`` type that the
    component's TypedDict ``args_type`` declares: ``True`` is not 1, ``"2"`` is not 2."""
    return [f"{key} must be {wanted} (got {args[key]!r})" for key, wanted in _wrong_types(args, args_type)]


def well_typed(args: Mapping[str, object], args_type: type) -> dict[str, object]:
    """``args`` without the arguments :func:`argument_type_problems` names, so a component can
    check the rest too and report every problem at once."""
    wrong = {key for key, _ in _wrong_types(args, args_type)}
    return {key: value for key, value in args.items() if key not in wrong}


def refuse(component: str, name: str, problems: Sequence[str]) -> None:
    """Raise one ValueError naming every problem of a component's arguments, before the component
    declares anything: ``Cluster eks: version must be one of ...; system_min_size must be ...``."""
    if problems:
        raise ValueError(f"{component} {name}: " + "; ".join(problems))


Defaults = TypeVar("Defaults", bound=Mapping[str, object])


def with_defaults(args: Mapping[str, object], defaults: Defaults) -> Defaults:
    """The settings a component reads: each key of ``defaults`` with the value the caller gave, or
    the default when the caller gave none. A component keeps its defaults in this one mapping, and
    the stack config takes its own defaults from it."""
    return cast(Defaults, {key: args.get(key, value) for key, value in defaults.items()})


Args = TypeVar("Args", bound=Mapping[str, object])


def checked_arguments(given: Args, args_type: type, defaults: Defaults) -> tuple[list[str], Args, Defaults]:
    """The first step of a component's validator: the problems of the wrong-typed arguments, the
    arguments without them (so the other checks can read the rest), and the settings with defaults."""
    problems = argument_type_problems(given, args_type)
    args = cast(Args, well_typed(given, args_type))
    return problems, args, with_defaults(args, defaults)


def _wrong_types(args: Mapping[str, object], args_type: type) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for key, (wanted, types) in _scalar_fields(args_type).items():
        value = args.get(key)
        if key not in args or value is None:
            continue
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            found.append((key, wanted))
    return found

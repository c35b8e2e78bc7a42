"""``mlops plan``: render a stack offline, check it against the policy pack, write the plan.

Exit status: 0 no mandatory violation, 1 mandatory violations, 2 invalid input or a program
error (with ``--compare``, and ``mlops diff``: also a refused change, a canary published with a
new pod template), 3 (likewise) the change destroys a stateful or protected resource, 130
interrupted. :func:`main` alone turns failures into statuses: whatever goes wrong
prints one line naming the file (an invalid configuration one line per problem), never a
traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import os
import re
import shutil
import signal
import sys
import tempfile
import time
import traceback
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn, cast

from pulumi_policy import StackValidationPolicy

from components import cost, pins, promote
from components.errors import ComponentError, ConfigError
from components.plan import deploy, diff, document, helm_render, redact
from components.plan.inputs import read_json
from components.plan.mocks import ANY_STACK, UnknownStackError
from components.plan.policy import PolicyError, check
from components.plan.runner import (
    PlanError,
    Recording,
    StackConfig,
    StackOutputs,
    find_project,
    rare_gc,
    read_stack_file,
    run_program_dir,
)
from components.policies import CONFIG_DIR, PLUGIN_DIR, POLICIES
from components.policies.settings import read_pack_config, resolve
from components.promote import PromoteError

EXIT_OK, EXIT_VIOLATIONS, EXIT_INVALID, EXIT_DESTROYS = 0, 1, 2, 3
EXIT_INTERRUPTED = 130
"""128 + SIGINT, as a shell reports a command stopped by Ctrl-C."""
_MAX_LINE = 1000
"""Characters of an error line printed; a hostile value must not flood the terminal."""
_MAX_PROBLEMS = 50
"""Problems of an invalid configuration printed; the head line counts them all."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        """A usage error in one line, status 2 (argparse prints the usage text as well)."""
        self.exit(EXIT_INVALID, f"{self.prog}: {_one_line(message)} (see {self.prog} --help)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="mlops", description="mlops-platform tools.")
    commands = parser.add_subparsers(dest="command", required=True)
    plan = commands.add_parser(
        "plan",
        help="render a stack offline (Pulumi mocks), evaluate the policy pack, write plan.json",
        description="Render a stack offline under Pulumi mocks, evaluate the policy pack "
        "in-process and write plan.json, manifests/ and graph.mmd.",
    )
    plan.add_argument(
        "--stack", required=True, help="stack name, e.g. dev or prod (letters, digits, '-', '_', '.'; at most 100)"
    )
    plan.add_argument(
        "--policy-config",
        type=Path,
        metavar="FILE",
        help="policy pack config to evaluate with (default: policies/config/<stack>.json; required for other stacks)",
    )
    plan.add_argument("--config", type=Path, help="stack file to plan (default: Pulumi.<stack>.yaml)")
    plan.add_argument(
        "--program",
        type=Path,
        default=Path("infra"),
        help="Pulumi Python program directory (default: infra)",
    )
    plan.add_argument("--out", type=Path, help="output directory (default: build/plan/<stack>)")
    plan.add_argument(
        "--preview",
        action="store_true",
        help="render what the first `pulumi preview` of an empty stack sees: IDs, ARNs, endpoints and "
        "generated values unknown; policies that read one are listed as not run (advisory)",
    )
    plan.add_argument("--format", choices=("text", "json"), default="text", help="what to print")
    plan.add_argument(
        "--charts",
        type=Path,
        action="append",
        default=[],
        metavar="DIR",
        help="a directory of Helm chart sources (<chart>/ or <chart>-<version>.tgz) to render the releases from, "
        "before tests/vendor/charts and the charts' repositories; repeatable. Helm: $MLOPS_HELM, "
        ".tools/helm/helm (make helm) or helm on PATH",
    )
    plan.add_argument(
        "--compare",
        type=Path,
        metavar="OLD",
        help="an earlier plan.json (or its directory): list what this plan adds, removes and changes, "
        "write diff.json, exit 3 if it deletes or replaces a stateful or protected resource, "
        "exit 2 if it publishes a canary endpoint together with a new pod template (do it in two changes)",
    )
    plan.add_argument(
        "--stack-outputs",
        action="append",
        default=[],
        metavar="[STACK=]PLAN",
        help="answer the program's StackReferences to STACK (without STACK=: to any stack) with the outputs "
        "of PLAN, a plan.json (or its directory) of that stack, e.g. build/plan/prod/plan.json; repeatable",
    )
    compare = commands.add_parser(
        "diff",
        help="compare two plan.json files (exit 3 if the change destroys stateful or protected resources, "
        "2 if it publishes a canary endpoint together with a new pod template)",
        description="List what NEW adds, removes and changes against OLD, and which stateful or protected "
        "resources it would delete or replace.",
    )
    compare.add_argument("old", type=Path, help="the earlier plan.json (or its directory)")
    compare.add_argument("new", type=Path, help="the later plan.json (or its directory)")
    compare.add_argument("--format", choices=("text", "json"), default="text", help="what to print")
    promoting = commands.add_parser(
        "promote",
        help="pin the version an endpoint's registry alias points at into the stack file (one line changes)",
        description="Resolve an endpoint's model.alias against the live MLflow registry (MLFLOW_TRACKING_URI and "
        "its credentials from the environment, as the MLflow client reads them) and write the version into "
        "model.version of the stack file, keeping every other byte; exit 2 when the alias or version is "
        "missing, the registry refuses or cannot be reached, or the file cannot be written.",
    )
    promoting.add_argument("--stack", required=True, help="stack name, e.g. dev or prod")
    promoting.add_argument(
        "--endpoint", help="endpoint name (endpoints[].name; default: every endpoint whose model names an alias)"
    )
    promoting.add_argument(
        "--version", type=int, help="pin this version instead of resolving the alias (a manual promote or rollback)"
    )
    promoting.add_argument("--config", type=Path, help="stack file to edit (default: Pulumi.<stack>.yaml)")
    promoting.add_argument(
        "--program", type=Path, default=Path("infra"), help="Pulumi Python program directory (default: infra)"
    )
    pack = commands.add_parser(
        "policy-pack",
        help="print the installed policy pack's directory (for pulumi preview --policy-pack)",
        description="Print the directory of the policy pack this package installs, or with --config STACK "
        "the pack config file of that stack (for --policy-pack-config).",
    )
    pack.add_argument("--config", metavar="STACK", help="print the pack config file of STACK (dev, prod) instead")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``mlops`` console command; the exit-status contract is kept here, in
    one place: one line on stderr for any failure, never a traceback."""
    args = _parser().parse_args(argv)
    # A program that fails part-way leaves the SDK's coroutines unawaited; its error says why.
    warnings.filterwarnings("ignore", "coroutine .* was never awaited", RuntimeWarning)
    command = f"mlops {args.command}"
    try:
        if args.command == "diff":
            return diff_command(args.old, args.new, args.format)
        if args.command == "policy-pack":
            return policy_pack_command(args.config)
        if args.command == "promote":
            return promote_command(args.stack, args.endpoint, args.version, args.config, args.program)
        return plan_command(
            args.stack,
            args.program,
            args.config,
            args.out,
            args.format,
            args.compare,
            read_stack_outputs(args.stack_outputs),
            args.preview,
            args.policy_config,
            args.charts,
        )
    except KeyboardInterrupt:
        _fail(command, "interrupted; the previous output is left as it was")
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # the reader went away (``mlops plan | head``); the files are written
        _stdout_lost(command)
    except ConfigError as exc:
        head, *problems = exc.render().split("\n")
        shown = [_one_line(line) for line in problems[:_MAX_PROBLEMS]]
        if len(problems) > _MAX_PROBLEMS:
            shown.append(f"{exc.source}: ... and {len(problems) - _MAX_PROBLEMS} more problems")
        print("\n".join([head, *shown]), file=sys.stderr)
    except (ValueError, PlanError, PromoteError) as exc:
        _fail(command, str(exc))
    except RecursionError:
        _fail(command, f"{_inputs(args)}: nested too deeply to process")
    except MemoryError:
        _fail(command, f"{_inputs(args)}: out of memory")
    except Exception as exc:  # a bug of ours: still one line, naming what was being read
        _fail(command, f"{_inputs(args)}: internal error: {type(exc).__name__}: {exc}")
    return EXIT_INVALID


def run() -> NoReturn:
    """The ``mlops`` console command: :func:`main`, then exit without the interpreter's teardown.

    A plan leaves hundreds of MB of small objects (the recording, the SDK's outputs); freeing
    them one by one took 1.3 s of an 8.4 s plan of 2,387 resources, after everything was
    written. So, as mypy's ``hard_exit`` does, flush the standard streams and leave with
    ``os._exit``: the plan's files are closed by then, and nothing else waits for exit.
    """
    code = main()
    try:
        sys.stdout.flush()
    except OSError:  # what was left in the buffer: the reader went away before it
        _stdout_lost("mlops")
        code = code or EXIT_INVALID
    with contextlib.suppress(OSError):
        sys.stderr.flush()
    os._exit(code)


def _stdout_lost(command: str) -> None:
    """Say once that standard output was closed before all of it was read, and send the rest
    of it nowhere (Python's advice for SIGPIPE), so no later write or flush fails again."""
    with contextlib.suppress(OSError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    _fail(command, "standard output was closed before all of it was read (Broken pipe)")


def _fail(command: str, message: str) -> None:
    print(f"{command}: {_one_line(message)}", file=sys.stderr)


def _one_line(text: str) -> str:
    line = "; ".join(part.strip() for part in text.splitlines() if part.strip())
    return line if len(line) <= _MAX_LINE else line[: _MAX_LINE - 3] + "..."


def _inputs(args: argparse.Namespace) -> str:
    if args.command == "diff":
        return f"{args.old}, {args.new}"
    return str(args.config or f"Pulumi.{args.stack}.yaml")


STACK_NAME = re.compile(r"[A-Za-z0-9_.-]{1,100}")
"""A stack name as the Pulumi CLI accepts it (``ParseStackName``, pulumi/pulumi
``sdk/go/common/tokens/stack_name.go``, read 2026-12-04 at 1b5949891b)."""


def stack_name_problem(stack: str) -> str | None:
    """Why ``stack`` cannot name a stack here, or None: Pulumi's grammar, and not ``.`` or
    ``..`` (the name becomes a file and directory name: ``build/plan/<stack>``)."""
    if not STACK_NAME.fullmatch(stack):
        return (
            f"--stack {stack!r}: a stack name is 1 to 100 letters, digits, '-', '_' or '.' "
            "(Pulumi's grammar; org/project/stack is not accepted here)"
        )
    if stack in (".", ".."):
        return f"--stack {stack!r}: names a directory; choose another stack name"
    return None


def plan_command(
    stack: str,
    program: Path,
    config_file: Path | None,
    out: Path | None,
    fmt: str,
    compare: Path | None = None,
    stack_outputs: StackOutputs | None = None,
    preview: bool = False,
    policy_config: Path | None = None,
    charts: Sequence[Path] = (),
) -> int:
    """Plan ``program`` for ``stack``, write the files, print a summary; returns the exit status.
    ``stack_outputs`` answer the program's StackReferences (:func:`read_stack_outputs`);
    ``policy_config`` is the pack config (default: the stack's file in ``policies/config``);
    ``charts`` are directories of chart sources for rendering the Helm releases (:mod:`components.plan.helm_render`)."""
    started = time.perf_counter()
    if problem := stack_name_problem(stack):
        raise PlanError(problem)
    pack_config = policy_config_file(stack, policy_config)
    old_plan = read_plan(compare) if compare is not None else None
    project, root = find_project(program)
    config = _stack_config(stack, program, root, config_file, project)
    try:
        recording = run_program_dir(
            program, stack=stack, config=config, project=project, stack_outputs=stack_outputs, preview=preview
        )
    except ConfigError as exc:
        raise ConfigError(config.source, exc.problems) from None
    except PlanError:
        raise
    except UnknownStackError as exc:
        raise PlanError(f"{program}: {exc}") from None
    except Exception as exc:
        raise PlanError(program_error(program, exc)) from None
    except SystemExit as exc:  # the program's own sys.exit(): its status is not ours to return
        raise PlanError(f"{program}: the program exited (status {exc.code}) before it was planned") from None
    try:
        rendering = helm_render.render(
            recording.resources, helm_render.find_helm(root, os.environ), helm_render.chart_dirs(root, charts)
        )
    except helm_render.RenderError as exc:
        raise PlanError(str(exc)) from None
    with rare_gc():  # the recording is most of the heap now, and it only grows until we exit
        plan = make_plan(recording, pack_config, rendering)
        changes = diff.compare(old_plan, plan) if old_plan is not None else None
        out_dir = out or Path("build") / "plan" / stack
        plan_json = write_plan(plan, recording, out_dir, changes, rendering)
    if fmt == "json":
        sys.stdout.write(plan_json)
    else:
        sys.stdout.write(document.render_text(plan))
        if changes is not None:
            sys.stdout.write(diff.render_text(changes, str(compare)))
        elapsed = time.perf_counter() - started
        written = "plan.json, manifests/, graph.mmd" + (", diff.json" if changes is not None else "")
        print(f"\nWrote {out_dir}/{written} in {elapsed:.1f} s")
    if changes is not None and changes.refused:
        raise PlanError(_refusal(config.source, changes))
    if changes is not None and changes.destroyed:
        return EXIT_DESTROYS
    mandatory = [v for v in plan["violations"] if v["enforcementLevel"] == "mandatory"]
    return EXIT_VIOLATIONS if mandatory else EXIT_OK


def diff_command(old: Path, new: Path, fmt: str) -> int:
    """Compare two plan files; exit 3 when the change destroys a stateful or protected resource,
    2 (:class:`PlanError`) when it is refused (:attr:`components.plan.diff.Diff.refused`)."""
    changes = diff.compare(read_plan(old), read_plan(new))
    if fmt == "json":
        sys.stdout.write(document.dumps_plan(changes.as_json()))
    else:
        sys.stdout.write(diff.render_text(changes, str(old)).lstrip("\n"))
    if changes.refused:
        raise PlanError(_refusal(str(new), changes))
    return EXIT_DESTROYS if changes.destroyed else EXIT_OK


def _refusal(source: str, changes: diff.Diff) -> str:
    """The one line of a refused change (exit 2): the file that makes it, the first reason, and how
    many more the report lists."""
    more = len(changes.refused) - 1
    return f"{source}: {changes.refused[0]}" + (f" (and {more} more refused change(s) listed above)" if more else "")


def promote_command(
    stack: str, endpoint: str | None, version: int | None, config_file: Path | None, program: Path
) -> int:
    """Pin the model version of ``endpoint`` (default: of every endpoint following an alias) in
    the stack file and print one line per endpoint saying what changed."""
    if problem := stack_name_problem(stack):
        raise PlanError(problem)
    if version is not None and (version < 1 or endpoint is None):
        raise PlanError(f"--version {version}: give --endpoint too, and a model version (an integer >= 1)")
    project, root = find_project(program)
    path = config_file if config_file is not None else _relative(root / f"Pulumi.{stack}.yaml")
    key = f"{project}:platform"
    endpoints = (
        [endpoint] if endpoint is not None else promote.promoted_endpoints(promote.read_text(path)[1], key, str(path))
    )
    for name in endpoints:
        print(promote.promote(path, key, name, os.environ, version).summary(str(path)))
    return EXIT_OK


def policy_pack_command(stack: str | None) -> int:
    """Print the installed pack's directory, or a stack's pack config file."""
    if stack is None:
        print(PLUGIN_DIR)
        return EXIT_OK
    config = CONFIG_DIR / f"{stack}.json"
    if not config.is_file():
        known = ", ".join(sorted(p.stem for p in CONFIG_DIR.glob("*.json")))
        raise PlanError(f"--config {stack}: no pack config for that stack (this package has: {known})")
    print(config)
    return EXIT_OK


def policy_config_file(stack: str, given: Path | None) -> Path:
    """The pack config a plan of ``stack`` is evaluated with: ``given``, else the stack's own;
    a stack without one is refused (dev's or prod's settings must never be lost silently)."""
    if given is not None:
        if not given.is_file():
            raise PlanError(f"--policy-config {given}: no such file")
        resolve(POLICIES, read_json(given, _MAX_PACK_CONFIG_BYTES), str(given))  # refused as the CLI refuses it
        return given
    own = CONFIG_DIR / f"{stack}.json"
    if not own.is_file():
        known = ", ".join(sorted(p.stem for p in CONFIG_DIR.glob("*.json")))
        raise PlanError(
            f"{own}: no policy config for stack {stack!r} (there are: {known}); "
            "name one with --policy-config FILE, e.g. --policy-config policies/config/prod.json"
        )
    return own


_MAX_PACK_CONFIG_BYTES = 1024 * 1024
_URN = re.compile(r"^urn:pulumi:[^:]+::[^:]+::[^:$]+(:[^:$]+)*(\$[^:$]+(:[^:$]+)*)*::", re.ASCII)


def read_plan(path: Path) -> dict[str, Any]:
    """A ``plan.json`` (or the directory holding one), checked to be a plan: every field
    :mod:`components.plan.diff` reads has its type, every URN its shape, no URN twice."""
    file = path / "plan.json" if path.is_dir() else path
    data: Any = read_json(file)
    if not isinstance(data, dict) or not isinstance(cast(dict[str, Any], data).get("resources"), list):
        raise PlanError(f"{file}: not a plan.json (no resources list)")
    plan = cast(dict[str, Any], data)
    if problem := _plan_problem(plan):
        raise PlanError(f"{file}: {problem}")
    return plan


def _plan_problem(plan: dict[str, Any]) -> str | None:
    if "outputs" in plan and not isinstance(plan["outputs"], dict):
        return "outputs: must be an object"
    seen: set[str] = set()
    for index, item in enumerate(cast(list[Any], plan["resources"])):
        where = f"resources[{index}]"
        if not isinstance(item, dict):
            return f"{where}: must be an object"
        resource = cast(dict[str, Any], item)
        for key, wanted in (("urn", "a URN"), ("type", "a string"), ("name", "a string")):
            if not isinstance(resource.get(key), str):
                return f"{where}.{key}: must be {wanted} (got {_shown(resource.get(key))})"
        if not _URN.match(resource["urn"]):
            return f"{where}.urn: must be urn:pulumi:<stack>::<project>::<type>::<name> (got {_shown(resource['urn'])})"
        if resource["urn"] in seen:
            return f"{where}.urn: {resource['urn']} appears twice"
        seen.add(resource["urn"])
        if resource.get("parent") is not None and not isinstance(resource["parent"], str):
            return f"{where}.parent: must be a URN or null (got {_shown(resource['parent'])})"
        if not isinstance(resource.get("inputs", {}), dict):
            return f"{where}.inputs: must be an object"
        options: Any = resource.get("options", {})
        if not isinstance(options, dict):
            return f"{where}.options: must be an object"
        if problem := _options_problem(cast(dict[str, Any], options), f"{where}.options"):
            return problem
    return None


def _options_problem(options: dict[str, Any], where: str) -> str | None:
    for key in ("protect", "retainOnDelete", "deleteBeforeReplace"):
        if not isinstance(options.get(key, False), bool):
            return f"{where}.{key}: must be true or false (got {_shown(options[key])})"
    for key in ("ignoreChanges", "aliases"):
        values: Any = options.get(key, [])
        if not isinstance(values, list) or not all(isinstance(v, str) for v in cast(list[Any], values)):
            return f"{where}.{key}: must be a list of strings (got {_shown(values)})"
    for alias in cast(list[str], options.get("aliases", [])):
        if not _URN.match(alias):
            return f"{where}.aliases: {_shown(alias)} is not a URN (urn:pulumi:<stack>::<project>::<type>::<name>)"
    return None


def _shown(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."


def program_error(program: Path, exc: Exception) -> str:
    """The one line a failed program gets, at the ``FILE:LINE`` of the user's code that caused it:
    where a component instance was declared (:class:`~components.errors.ComponentError`, also when
    it failed inside an apply), else the innermost frame of the program's own files, else the
    program directory."""
    failed = _component_error(exc)
    if failed is not None:
        return f"{_location(failed.where) or _program_frame(exc, program) or program}: {failed}"
    where = _program_frame(exc, program) or program
    return f"{where}: the program failed: {type(exc).__name__}: {root_cause(exc)}"


def _component_error(exc: BaseException) -> ComponentError | None:
    """The component's own error, under the SDK's "While processing resource ..." wrappers
    (each raised ``from`` the one it wraps)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ComponentError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def _location(where: str | None) -> str | None:
    if where is None:
        return None
    path, _, line = where.rpartition(":")
    return f"{_relative(Path(path))}:{line}"


def _program_frame(exc: BaseException, program: Path) -> str | None:
    """``FILE:LINE`` of the innermost traceback frame in a file under the program's directory."""
    root = program.resolve()
    found: str | None = None
    for frame, line in traceback.walk_tb(exc.__traceback__):
        path = Path(frame.f_code.co_filename).resolve()
        if path.is_relative_to(root):
            found = f"{_relative(path)}:{line}"
    return found


def root_cause(exc: Exception) -> str:
    """The message of what went wrong first: the SDK wraps an error raised inside an apply in
    one "While processing ..." line per resource and input it passed through."""
    return str(exc).rsplit(" has risen: ", 1)[-1]


def read_stack_outputs(specs: Sequence[str]) -> dict[str, dict[str, Any]]:
    """``[STACK=]PLAN`` arguments -> stack name (``*`` without STACK=) -> that plan's outputs."""
    found: dict[str, dict[str, Any]] = {}
    for spec in specs:
        stack, given, path = spec.partition("=")  # stack names have no "="
        if not given:
            stack, path = "", spec
        key = stack or ANY_STACK
        if key in found:
            raise PlanError(f"--stack-outputs: {key if stack else 'a PLAN without STACK='} given twice")
        outputs = read_plan(Path(path)).get("outputs")
        if not isinstance(outputs, dict):
            raise PlanError(f"{path}: a plan.json without outputs")
        found[key] = cast(dict[str, Any], outputs)
    return found


def make_plan(
    recording: Recording, policy_config: Path | None = None, rendering: helm_render.Rendering | None = None
) -> dict[str, Any]:
    """Evaluate the policy pack for the recording's stack (under the pack config file ``policy_config``,
    by default the stack's ``policies/config/<stack>.json``) and build ``plan.json``, secret values
    masked in the pack's messages (:mod:`components.plan.redact`)."""
    source = policy_config or CONFIG_DIR / f"{recording.stack}.json"
    try:
        evaluation = check(POLICIES, recording.resources, read_pack_config(source), recording.config, str(source))
    except PolicyError as exc:
        raise PlanError(f"the policy pack failed: {exc}") from None
    stack_policies = {p.name for p in POLICIES if isinstance(p, StackValidationPolicy)}
    return document.build_plan(
        recording,
        redact.redact(evaluation, recording.resources, stack_policies),
        cost.estimate(((r.type, r.name, r.inputs) for r in recording.resources), pins.today()),
        deploy.estimate(recording.resources),
        rendering,
    )


def write_plan(
    plan: dict[str, Any],
    recording: Recording,
    out_dir: Path,
    changes: diff.Diff | None = None,
    rendering: helm_render.Rendering | None = None,
) -> str:
    """Write ``plan.json``, ``graph.mmd``, ``manifests/`` (and ``diff.json`` when ``changes`` are
    given) as a new ``out_dir``, all at once; returns the text of ``plan.json``.

    Everything is written to a temporary sibling directory first and renamed into place, so
    an interrupted or failed plan leaves the previous output whole, and plans of different
    stacks (different directories) can run at the same time.
    """
    _check_replaceable(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".new", dir=out_dir.parent))
    try:
        plan_json = document.dumps_plan(plan)
        (staging / "plan.json").write_text(plan_json)
        (staging / "graph.mmd").write_text(document.mermaid(recording.resources))
        if changes is not None:
            (staging / "diff.json").write_text(document.dumps_plan(changes.as_json()))
        manifest_dir = staging / "manifests"
        manifest_dir.mkdir()
        for name, obj in document.manifests(recording.resources).items():
            (manifest_dir / name).write_text(document.dumps_manifest(obj))
        for release in rendering.releases if rendering else []:
            if release.unexpanded is None:
                (manifest_dir / release.registration.name).mkdir()
            for name, item in document.release_files(release).items():
                (manifest_dir / release.registration.name / name).write_text(document.dumps_manifest(item.obj))
        _swap_in(staging, out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return plan_json


def _check_replaceable(out_dir: Path) -> None:
    """Refuse to replace a directory that is neither empty nor an earlier plan's output."""
    if out_dir.resolve() in (Path.cwd(), *Path.cwd().parents):
        raise PlanError(f"{out_dir}: is the working directory or above it; choose another --out")
    # Anything but a directory (a file, a device such as /dev/null, a pipe, a dangling link) would
    # be renamed away and replaced: never.
    not_a_directory = os.path.lexists(out_dir) and not out_dir.is_dir()
    if not_a_directory or (out_dir.is_dir() and any(out_dir.iterdir()) and not (out_dir / "plan.json").is_file()):
        raise PlanError(f"{out_dir}: exists and is not a plan output directory (no plan.json); choose another --out")


def _swap_in(staging: Path, out_dir: Path) -> None:
    """Rename ``staging`` to ``out_dir``, moving the old one aside first; Ctrl-C waits until both
    renames are done, so ``out_dir`` is never missing after an interrupt."""
    retired = out_dir.parent / f"{staging.name.removesuffix('.new')}.old"
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        for _ in range(10):  # another plan of the same directory may swap in between
            with contextlib.suppress(FileNotFoundError):
                out_dir.rename(retired)
            try:
                staging.rename(out_dir)
                break
            except OSError as exc:
                if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                    raise
        else:
            raise PlanError(f"{out_dir}: another process keeps replacing it")
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
        shutil.rmtree(retired, ignore_errors=True)


def _stack_config(stack: str, program: Path, root: Path, config_file: Path | None, project: str) -> StackConfig:
    if config_file is not None:
        return read_stack_file(config_file, project)
    for candidate in (program / f"Pulumi.{stack}.yaml", root / f"Pulumi.{stack}.yaml"):
        if candidate.is_file():
            return read_stack_file(_relative(candidate), project)
    return StackConfig(source=f"Pulumi.{stack}.yaml")


def _relative(path: Path) -> Path:
    try:
        return path.resolve().relative_to(Path.cwd())
    except ValueError:
        return path


if __name__ == "__main__":
    run()

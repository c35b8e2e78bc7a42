"""A mock resource monitor that records every registration with its graph and options."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from google.protobuf import json_format, struct_pb2
from pulumi.runtime.mocks import MockMonitor
from pulumi.runtime.proto import resource_pb2

from components.plan import transforms
from components.project import SECRET_PLACEHOLDER

if TYPE_CHECKING:  # mocks.py imports this module's placeholders
    from components.plan.mocks import RecordingMocks

# Signature keys of Pulumi's wire format (sdk/python/lib/pulumi/runtime/rpc.py).
_SIG = "4dabf18193072939515e22adb298388d"
_SECRET = "1b47061264138c4ac30d75fd1eb44270"
_RESOURCE_REF = "5cf8f73096256a8f31e491e813e4eb8e"
_ASSET = "c44067f5952c0a294b673a41bacd8c17"
_ARCHIVE = "0def7320c3a5731c473e5ecbe6d01bc7"
_UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

UNKNOWN_PLACEHOLDER = "[unknown]"
"""A value only the deployment will know (a first preview's IDs, ARNs, generated passwords)."""


@dataclass
class Registration:
    """One resource as the program declared it."""

    urn: str
    type: str
    name: str
    custom: bool
    parent: str | None
    provider: str | None
    dependencies: list[str]
    inputs: dict[str, Any]
    protect: bool = False
    retain_on_delete: bool = False
    ignore_changes: list[str] = field(default_factory=list[str])
    delete_before_replace: bool = False
    aliases: list[str] = field(default_factory=list[str])
    """URNs this resource was known by before (``aliases=``): not a delete and a create."""
    wire_inputs: dict[str, Any] | None = None
    """The inputs as the engine sends them to a policy pack's ``Analyze`` (:func:`engine_form`);
    ``inputs`` when not given."""
    wire_outputs: dict[str, Any] | None = None
    """The outputs as the engine sends them to ``AnalyzeStack``: a custom resource's state, a
    component's registered outputs; the wire inputs when not given."""
    read: bool = False
    """Read, not managed (``get``, StackReference): the engine analyzes neither way."""
    remote: bool = False
    """A component its provider builds (``yaml.v2.ConfigGroup``, ``helm.v4.Chart``): what is
    inside exists only at ``pulumi up``, where the engine registers it and the pack judges it."""

    @property
    def analyzed_inputs(self) -> dict[str, Any]:
        """What ``Analyze`` receives."""
        return self.inputs if self.wire_inputs is None else self.wire_inputs

    @property
    def analyzed_outputs(self) -> dict[str, Any]:
        """What ``AnalyzeStack`` receives."""
        return self.analyzed_inputs if self.wire_outputs is None else self.wire_outputs


def engine_form(value: Any) -> Any:
    """An SDK wire value as the engine forwards it to a policy pack (``MarshalOptions{KeepUnknowns,
    KeepSecrets}``, no KeepResources): secrets and unknowns kept, a resource reference replaced by
    its ID (unknown while the ID is) or, for a component, its URN."""
    if isinstance(value, dict):
        value = cast(dict[str, Any], value)
        if value.get(_SIG) == _RESOURCE_REF:
            ident = value.get("id")
            return ident if isinstance(ident, str) and ident else value.get("urn")
        return {k: engine_form(v) for k, v in value.items()}
    if isinstance(value, list):
        return [engine_form(v) for v in cast(list[Any], value)]
    return value


def plain(value: Any) -> Any:
    """Wire-format value -> JSON-able value: secrets masked, references as URNs, whole numbers
    as integers (the wire has only doubles)."""
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    if isinstance(value, dict):
        value = cast(dict[str, Any], value)
        sig = value.get(_SIG)
        if sig == _SECRET:
            return SECRET_PLACEHOLDER
        if sig == _RESOURCE_REF:
            return value.get("urn")
        if sig == _ASSET:
            return {"asset": value.get("path") or value.get("uri") or "<text>"}
        if sig == _ARCHIVE:
            return {"archive": value.get("path") or value.get("uri") or "<assets>"}
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in cast(list[Any], value)]
    if value == _UNKNOWN:
        return UNKNOWN_PLACEHOLDER
    return value


def is_secret(value: Any) -> bool:
    """Whether a wire-format value is a secret wrapper."""
    return isinstance(value, dict) and cast(dict[str, Any], value).get(_SIG) == _SECRET


def secret_outputs(inputs: dict[str, Any], outputs: dict[str, Any], names: Iterable[str]) -> dict[str, Any]:
    """``outputs`` with the state's properties (computed outputs over inputs) named in
    ``additionalSecretOutputs`` made secrets, as the engine marks them (a RandomPassword's ``result``)."""
    marked: dict[str, Any] = {}
    for name in names:
        source = outputs if name in outputs else inputs
        if name in source and not is_secret(source[name]):
            marked[name] = {_SIG: _SECRET, "value": source[name]}
    return {**outputs, **marked} if marked else outputs


def secret_strings(value: Any, inside: bool = False) -> Iterator[str]:
    """The strings a wire-format value holds inside secret wrappers, a secret object's or list's
    strings included (numbers and booleans are not strings: see :mod:`components.plan.redact`)."""
    if is_secret(value):
        yield from secret_strings(value.get("value"), True)
    elif isinstance(value, dict):
        for item in cast(dict[str, Any], value).values():
            yield from secret_strings(item, inside)
    elif isinstance(value, list):
        for item in cast(list[Any], value):
            yield from secret_strings(item, inside)
    elif inside and isinstance(value, str):
        yield value


STACK_TYPE = "pulumi:pulumi:Stack"


def qualified_type(parent: str | None, type_: str) -> str:
    """A child's type chain in its URN: the parent's chain, ``$``, its own type (children of the
    stack, or of no parent, have only their own)."""
    parent_type = parent.split("::")[2] if parent else STACK_TYPE
    return type_ if parent_type.endswith(STACK_TYPE) else f"{parent_type}${type_}"


def alias_urns(request: Any, urn: str, parent: str | None) -> list[str]:
    """The URNs a registration's aliases stand for, computed as the engine does from each alias
    spec's name, type, stack, project and parent (a field left out keeps the resource's own)."""
    stack, project = urn.removeprefix("urn:pulumi:").split("::")[:2]
    found = list(request.aliasURNs)
    for alias in request.aliases:
        if alias.WhichOneof("alias") == "urn":
            found.append(alias.urn)
            continue
        spec = alias.spec
        alias_parent = None if spec.noParent else (spec.parentUrn or parent)
        qualified = qualified_type(alias_parent, spec.type or request.type)
        found.append(
            f"urn:pulumi:{spec.stack or stack}::{spec.project or project}::{qualified}::{spec.name or request.name}"
        )
    return sorted(set(found) - {urn})


def provider_urn(reference: str) -> str | None:
    """A provider reference is ``URN::ID``; keep the URN."""
    return reference.rsplit("::", 1)[0] if reference else None


class DuplicateUrnError(Exception):
    """Two registrations of one URN (same type, name and parent type), which the engine refuses."""


class GraphMonitor(MockMonitor):
    """Records each ``RegisterResource`` call, then answers it like the stock mock monitor."""

    def __init__(self, mocks: RecordingMocks) -> None:
        super().__init__(mocks)
        self.recording_mocks = mocks
        self.registrations: dict[str, Registration] = {}
        self._own_transforms: dict[str, list[Any]] = {}
        """Each resource's own ``transforms=`` callbacks: its descendants run them too."""
        self._stack_transforms_registered: list[Any] = []
        """``register_resource_transform`` callbacks, in order."""
        self._invoke_transforms_registered: list[Any] = []
        """``register_invoke_transform`` callbacks, in order."""

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        """URNs as the engine makes them: children of the root stack get no type prefix."""
        if parent.split("::")[-2:-1] == ["pulumi:pulumi:Stack"]:
            parent = ""
        return super().make_urn(parent, type_, name)

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        """Record the registration and answer it as the stock mock monitor does: the resource's
        state is its inputs plus what the mocks compute.

        The stock monitor deserializes the inputs into SDK values, and serializes the state
        back on an event loop of its own in the worker thread; that round trip gave the same
        properties and took a seventh of a 2,387-resource plan. Here the state is the request's
        properties, as sent, updated with the computed outputs (plain JSON values)."""
        # The SDK's mock monitor and its messages are untyped.
        urn = self.make_urn(request.parent, request.type, request.name)
        if urn in self.registrations:
            # The engine's own words (pkg/diag/errors.go GetDuplicateResourceURNError, raised by the step
            # generator): it stops the update here.
            raise DuplicateUrnError(f"Duplicate resource URN '{urn}'; try giving it a unique name")
        if request.transforms:
            self._own_transforms[urn] = list(request.transforms)
        request = transforms.run(request, self._transforms_of(urn, request.parent or None))
        inputs = json_format.MessageToDict(request.object, preserving_proto_field_name=True)
        if request.type == STACK_TYPE:
            response = resource_pb2.RegisterResourceResponse(urn=urn)  # pyright: ignore[reportAttributeAccessIssue]
            outputs: dict[str, Any] = {}
        else:
            ident, outputs = self.recording_mocks.computed(request.type, request.name, inputs)
            outputs = secret_outputs(inputs, outputs, request.additionalSecretOutputs)
            properties = struct_pb2.Struct()
            properties.CopyFrom(request.object)
            properties.update(outputs)
            state = {**inputs, **outputs}
            self.resources[urn] = MockMonitor.ResourceRegistration(urn, ident, state)
            response = resource_pb2.RegisterResourceResponse(  # pyright: ignore[reportAttributeAccessIssue]
                urn=urn, id=ident, object=properties
            )
        dependencies = set(request.dependencies)
        for deps in request.propertyDependencies.values():
            dependencies.update(deps.urns)
        parent = request.parent or None
        dependencies.discard(parent or "")
        wire_inputs = engine_form(inputs)
        self.registrations[response.urn] = Registration(
            urn=response.urn,
            type=request.type,
            name=request.name,
            custom=bool(request.custom),
            parent=parent,
            provider=provider_urn(request.provider),
            dependencies=sorted(dependencies),
            inputs=plain(inputs),
            protect=bool(request.protect),
            retain_on_delete=bool(request.retainOnDelete),
            ignore_changes=sorted(request.ignoreChanges),
            delete_before_replace=bool(request.deleteBeforeReplace),
            aliases=alias_urns(request, response.urn, parent),
            wire_inputs=wire_inputs,
            # The state, inputs and outputs; a component's come with RegisterResourceOutputs.
            wire_outputs={**wire_inputs, **engine_form(outputs)} if request.custom else {},
            remote=bool(request.remote),
        )
        return response

    def _transforms_of(self, urn: str, parent: str | None) -> list[Any]:
        """The transforms the engine runs on a registration, in its order: the resource's own,
        each ancestor's own, then the stack's registered so far."""
        callbacks = list(self._own_transforms.get(urn, []))
        while parent is not None:
            callbacks += self._own_transforms.get(parent, [])
            ancestor = self.registrations.get(parent)
            parent = ancestor.parent if ancestor is not None else None
        return callbacks + self._stack_transforms_registered

    def RegisterStackTransform(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        """A ``register_resource_transform`` callback: every later registration runs it."""
        self._stack_transforms_registered.append(request)
        return super().RegisterStackTransform(request)  # pyright: ignore[reportUnknownMemberType]

    def RegisterStackInvokeTransform(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        """A ``register_invoke_transform`` callback: every later invoke runs it."""
        self._invoke_transforms_registered.append(request)
        return super().RegisterStackInvokeTransform(request)  # pyright: ignore[reportUnknownMemberType]

    def Invoke(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        """An invoke (a data source's call) after the stack's invoke transforms, as the engine runs it."""
        request = transforms.run_on_invoke(request, self._invoke_transforms_registered)
        return super().Invoke(request)  # pyright: ignore[reportUnknownMemberType]

    def RegisterResourceOutputs(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        """A component's (or the stack's) outputs: what ``AnalyzeStack`` sees of it."""
        registration = self.registrations.get(request.urn)
        if registration is not None:
            outputs = json_format.MessageToDict(request.outputs, preserving_proto_field_name=True)
            registration.wire_outputs = engine_form(outputs)
        return super().RegisterResourceOutputs(request)  # pyright: ignore[reportUnknownMemberType]

    def ReadResource(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        """A read (``get`` or StackReference) is in the stack too, with the state it read."""
        response = super().ReadResource(request)  # pyright: ignore[reportUnknownMemberType]
        parent = request.parent or None
        state = json_format.MessageToDict(response.properties, preserving_proto_field_name=True)
        self.registrations[response.urn] = Registration(
            urn=response.urn,
            type=request.type,
            name=request.name,
            custom=True,
            parent=parent,
            provider=provider_urn(request.provider),
            dependencies=sorted(set(request.dependencies) - {parent or ""}),
            inputs=plain(state),
            read=True,
        )
        return response

"""Resource and invoke transforms (``transforms=``, ``register_resource_transform``,
``register_invoke_transform``) run as the engine runs them.

A program's transforms are callbacks the engine calls before it registers a resource
(``pkg/resource/deploy/source_eval.go``, ``RegisterResource``, pulumi v3.259.0): first the
resource's own, then each ancestor's own, then the stack transforms registered so far; each gets
the properties and options the previous one returned, and the resource is registered, checked by
a policy pack and created with the last ones. The stock mock monitor never calls them, so a plan
would judge what the program wrote, not what the engine registers. Invoke transforms (the stack's,
in order) change a data source's arguments before it is called. Here each callback is invoked
through the SDK's own callback server code, on the program's event loop, as the engine's gRPC
call would; legacy ``transformations=`` need nothing: the SDK applies them before it registers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from pulumi.runtime._callbacks import _CallbackServicer  # pyright: ignore[reportPrivateUsage]
from pulumi.runtime.proto import alias_pb2, resource_pb2

# The SDK's protobuf modules are untyped: requests and options are ``Any`` here.


def options_of(request: Any) -> Any:
    """The ``TransformResourceOptions`` the engine builds from a registration (the options a
    transform can read and replace); alias URNs become URN aliases, as the engine merges them."""
    options = resource_pb2.TransformResourceOptions(  # pyright: ignore[reportAttributeAccessIssue]
        depends_on=list(request.dependencies),
        ignore_changes=list(request.ignoreChanges),
        replace_on_changes=list(request.replaceOnChanges),
        version=request.version,
        aliases=[*(alias_pb2.Alias(urn=urn) for urn in request.aliasURNs), *request.aliases],  # pyright: ignore[reportAttributeAccessIssue]
        provider=request.provider,
        providers=dict(request.providers),
        plugin_download_url=request.pluginDownloadURL,
        additional_secret_outputs=list(request.additionalSecretOutputs),
        deleted_with=request.deletedWith,
    )
    if request.HasField("protect"):
        options.protect = request.protect
    if request.HasField("retainOnDelete"):
        options.retain_on_delete = request.retainOnDelete
    if request.deleteBeforeReplaceDefined:
        options.delete_before_replace = request.deleteBeforeReplace
    if request.HasField("customTimeouts"):
        options.custom_timeouts.CopyFrom(request.customTimeouts)
    return options


def transformed(request: Any, properties: Any, options: Any) -> Any:
    """``request`` as the engine goes on with it after the transforms: their properties, and the
    options they returned (protection, aliases, provider and the rest). Its dependencies are
    rebuilt from the options only when the resource has transforms of its own, as the engine
    does (the properties a transform returns carry no output values here, so no property
    dependencies); an ancestor's or the stack's transforms leave them as the program sent them."""
    result: Any = resource_pb2.RegisterResourceRequest()  # pyright: ignore[reportAttributeAccessIssue]
    result.CopyFrom(request)
    result.object.CopyFrom(properties)
    for field in ("ignoreChanges", "replaceOnChanges", "aliases", "aliasURNs", "providers"):
        result.ClearField(field)
    if request.transforms:
        result.ClearField("dependencies")
        result.ClearField("propertyDependencies")
        result.dependencies.extend(options.depends_on)
    result.ignoreChanges.extend(options.ignore_changes)
    result.replaceOnChanges.extend(options.replace_on_changes)
    result.aliases.extend(options.aliases)
    result.providers.update(options.providers)
    result.provider = options.provider
    result.version = options.version
    result.deletedWith = options.deleted_with
    result.ClearField("protect")
    if options.HasField("protect"):
        result.protect = options.protect
    result.ClearField("retainOnDelete")
    if options.HasField("retain_on_delete"):
        result.retainOnDelete = options.retain_on_delete
    result.deleteBeforeReplaceDefined = options.HasField("delete_before_replace")
    result.deleteBeforeReplace = options.delete_before_replace
    return result


def run_on_invoke(request: Any, callbacks: Sequence[Any]) -> Any:
    """Run ``register_invoke_transform`` callbacks on an invoke (a data source's call), in order,
    and return the request the engine goes on with: their arguments and provider."""
    if not callbacks:
        return request
    options = resource_pb2.TransformInvokeOptions(  # pyright: ignore[reportAttributeAccessIssue]
        provider=request.provider,
        version=request.version,
        plugin_download_url=request.pluginDownloadURL,
        plugin_checksums=dict(request.pluginChecksums),
    )
    message = resource_pb2.TransformInvokeRequest(token=request.tok, args=request.args, options=options)  # pyright: ignore[reportAttributeAccessIssue]
    _chain(message, "args", callbacks)
    result: Any = resource_pb2.ResourceInvokeRequest()  # pyright: ignore[reportAttributeAccessIssue]
    result.CopyFrom(request)
    result.args.CopyFrom(message.args)
    result.provider, result.version = message.options.provider, message.options.version
    result.pluginDownloadURL = message.options.plugin_download_url
    return result


def _chain(message: Any, field: str, callbacks: Sequence[Any]) -> None:
    """Hand ``message`` to each callback in turn, each getting the ``field`` (properties or
    arguments) and options the previous one returned, as the engine chains transforms."""
    for callback in callbacks:
        response = _call(callback, message)
        if response.HasField(field):
            getattr(message, field).CopyFrom(getattr(response, field))
        if response.HasField("options"):
            message.options.CopyFrom(response.options)


def _call(callback: Any, message: Any) -> Any:
    """The SDK's handler for ``callback`` run on ``message`` on the program's loop; this (worker)
    thread waits, as the engine waits for its gRPC call."""
    handler, loop = _callback(callback.token)
    return asyncio.run_coroutine_threadsafe(handler(message.SerializeToString()), loop).result()


def _callback(token: str) -> tuple[Any, asyncio.AbstractEventLoop]:
    """The SDK's handler for a callback token, and the event loop its server runs on."""
    for servicer in _CallbackServicer._servicers:  # pyright: ignore[reportPrivateUsage]
        handler = servicer._callbacks.get(token)  # pyright: ignore[reportPrivateUsage]
        if handler is not None:
            return handler, servicer._loop  # pyright: ignore[reportPrivateUsage]
    raise LookupError(f"transform callback {token} is not registered with this program")


def run(request: Any, callbacks: Sequence[Any]) -> Any:
    """Run ``callbacks`` (``Callback`` messages, in the engine's order) on ``request`` and return
    the request the engine registers. Called from the monitor's worker thread; each handler runs
    on the program's loop and this thread waits, as the engine waits for its gRPC call."""
    if not callbacks:
        return request
    message = resource_pb2.TransformRequest(  # pyright: ignore[reportAttributeAccessIssue]
        type=request.type,
        name=request.name,
        custom=request.custom,
        parent=request.parent,
        properties=request.object,
        options=options_of(request),
    )
    _chain(message, "properties", callbacks)
    return transformed(request, message.properties, message.options)

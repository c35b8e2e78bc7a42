"""``mlops promote``: pin the version a registry alias points at into the stack file.

An endpoint's ``model.alias`` is the intent (``champion``); ``model.version`` is what its pods
download. Promotion resolves the alias against the live MLflow registry (the environment the
MLflow client reads: ``MLFLOW_TRACKING_URI``, ``MLFLOW_TRACKING_USERNAME``/``PASSWORD`` or
``MLFLOW_TRACKING_TOKEN``, ``MLFLOW_TRACKING_SERVER_CERT_PATH``) and rewrites that one scalar of
the stack file: every other byte (comments, order, quoting, flow or block style) stays as it
was, so the pull request's diff is the one line ``version: 7`` -> ``version: 8`` and the plan
shows the new ``models:/NAME/8``. The file is replaced whole (temporary file + rename) or not at
all, and not when it changed since it was read.
"""

from __future__ import annotations

import json
import os
import ssl
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from base64 import b64encode
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from components.plan.inputs import MAX_YAML_BYTES, InputError, parse_yaml, read_bytes

TIMEOUT_SECONDS = 30.0
"""How long one registry request may take: an unreachable registry fails, never hangs a workflow."""


class PromoteError(Exception):
    """A promotion that cannot be done; the message is one line naming the model and what to do."""


@dataclass(frozen=True)
class Pin:
    """What a promotion found and did."""

    endpoint: str
    model: str
    alias: str | None
    old: int | None
    new: int

    def summary(self, source: str) -> str:
        """The line ``mlops promote`` prints (and the promotion PR's title uses)."""
        via = f" ({self.model}@{self.alias})" if self.alias else f" ({self.model})"
        if self.old == self.new:
            return f"{self.endpoint}: v{self.new} already pinned{via}; {source} unchanged"
        was = f"v{self.old}" if self.old is not None else "unpinned"
        return f"{self.endpoint}: {was} -> v{self.new}{via}; {source} updated"


# --- the stack file -------------------------------------------------------------------------


def _get(mapping: MappingNode, key: str) -> tuple[ScalarNode, Node] | None:
    for key_node, value in mapping.value:
        if isinstance(key_node, ScalarNode) and key_node.value == key:
            return key_node, value
    return None


def _model_node(root: Node, config_key: str, endpoint: str, source: str) -> MappingNode:
    """The ``model`` mapping of endpoint ``endpoint`` in the stack file's node tree."""
    where = f"{source}: config.{config_key}"
    node: Node | None = root
    for key in ("config", config_key, "endpoints"):
        found = _get(node, key) if isinstance(node, MappingNode) else None
        node = found[1] if found else None
    if not isinstance(node, SequenceNode):
        raise PromoteError(f"{where}.endpoints: not found; nothing to promote")
    names: list[str] = []
    for index, item in enumerate(node.value):
        name = _get(item, "name") if isinstance(item, MappingNode) else None
        if name is None or not isinstance(name[1], ScalarNode):
            continue
        names.append(name[1].value)
        if name[1].value == endpoint:
            assert isinstance(item, MappingNode)
            model = _get(item, "model")
            if model is None or not isinstance(model[1], MappingNode):
                raise PromoteError(
                    f"{where}.endpoints[{index}].model: endpoint {endpoint!r} serves no registered model "
                    "(model: {registry, name, alias}); nothing to promote"
                )
            return model[1]
    raise PromoteError(f"{where}.endpoints: no endpoint {endpoint!r} (defined: {', '.join(names) or 'none'})")


def promoted_endpoints(text: str, config_key: str, source: str) -> list[str]:
    """The endpoints of a stack file whose model names an alias: those ``mlops promote`` follows."""
    data: Any = parse_yaml(text, source)
    try:
        endpoints = cast(list[dict[str, Any]], data["config"][config_key].get("endpoints") or [])
        models = [(str(e["name"]), cast(dict[str, Any], e.get("model") or {})) for e in endpoints]
        return [name for name, model in models if isinstance(model.get("alias"), str)]
    except (KeyError, TypeError, AttributeError):
        raise PromoteError(f"{source}: config.{config_key}: not a platform object with endpoints") from None


def model_reference(text: str, config_key: str, endpoint: str, source: str) -> tuple[str, str | None, int | None]:
    """The registered model's name, alias and pinned version of ``endpoint`` in a stack file."""
    model = _model_node(_compose(text, source), config_key, endpoint, source)
    values = {k.value: v.value for k, v in model.value if isinstance(k, ScalarNode) and isinstance(v, ScalarNode)}
    name = values.get("name")
    if not name:
        raise PromoteError(f"{source}: endpoint {endpoint!r}: model.name is missing")
    version = values.get("version")
    try:
        pinned = int(version) if version is not None else None
    except ValueError:
        raise PromoteError(f"{source}: endpoint {endpoint!r}: model.version {version!r} is not a number") from None
    return name, values.get("alias"), pinned


def pin_version(text: str, config_key: str, endpoint: str, version: int, source: str) -> str:
    """``text`` with ``model.version`` of ``endpoint`` set to ``version``: the existing scalar
    replaced, or a ``version`` entry added after ``alias`` (after ``name`` without one), in the
    mapping's own style. Nothing else of the text changes."""
    model = _model_node(_compose(text, source), config_key, endpoint, source)
    existing = _get(model, "version")
    if existing is not None:
        value = existing[1]
        edited = text[: value.start_mark.index] + str(version) + text[value.end_mark.index :]
    else:
        anchor = _get(model, "alias") or _get(model, "name")
        assert anchor is not None  # model_reference refused a model without a name
        key, value = anchor
        if model.flow_style:
            at = value.end_mark.index
            edited = f"{text[:at]}, version: {version}{text[at:]}"
        else:
            # After the anchor's line, so a trailing comment stays with the line it explains.
            newline = text.find("\n", value.end_mark.index)
            line = " " * key.start_mark.column + f"version: {version}\n"
            edited = text + "\n" + line if newline < 0 else text[: newline + 1] + line + text[newline + 1 :]
    _check_edit(text, edited, config_key, endpoint, version, source)
    return edited


def _check_edit(old: str, new: str, config_key: str, endpoint: str, version: int, source: str) -> None:
    """The edited document must differ from the old one in that one value, or nothing is written."""
    before, after = parse_yaml(old, source), parse_yaml(new, source)
    try:
        for document in (before, after):
            for item in document["config"][config_key]["endpoints"]:
                if item.get("name") == endpoint:
                    item["model"].pop("version", None)
    except (KeyError, TypeError, AttributeError):
        raise PromoteError(f"{source}: the edited file no longer reads as a stack file; left unchanged") from None
    if before != after or model_reference(new, config_key, endpoint, source)[2] != version:
        raise PromoteError(f"{source}: editing model.version of {endpoint!r} changed more than it; left unchanged")


def _compose(text: str, source: str) -> Node:
    parse_yaml(text, source)  # the bounded loader's checks (no aliases, tags, depth) first
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    if node is None:
        raise PromoteError(f"{source}: empty stack file")
    return node


def write_atomically(path: Path, read: bytes, text: str) -> None:
    """Replace ``path`` by ``text`` through a temporary file in its directory and a rename, so a
    reader sees the old file or the new one, never half of it; refused when the file is not
    writable or no longer holds ``read`` (someone changed it since)."""
    # The mode bits too: root may write anything, but a file made read-only is not to be edited.
    if not os.access(path, os.W_OK) or not path.stat().st_mode & 0o222:
        raise PromoteError(f"{path}: not writable; nothing changed (promote in a checkout you can write)")
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(text.encode())
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, path.stat().st_mode & 0o7777)
        if read_bytes(path, MAX_YAML_BYTES) != read:
            raise PromoteError(f"{path}: changed while promoting; nothing written, run mlops promote again")
        os.replace(temporary, path)
    except OSError as exc:
        raise PromoteError(f"{path}: cannot write ({exc.strerror or exc}); nothing changed") from None
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


# --- the registry ---------------------------------------------------------------------------


def _request(environ: Mapping[str, str], path: str, query: Mapping[str, str], what: str) -> dict[str, Any]:
    uri = environ.get("MLFLOW_TRACKING_URI", "")
    if not uri.startswith(("http://", "https://")):
        raise PromoteError(f"{what}: set MLFLOW_TRACKING_URI to the registry's http(s) URL (got {uri!r})")
    url = f"{uri.rstrip('/')}/api/2.0/mlflow/{path}?{urllib.parse.urlencode(query)}"
    headers = {"Accept": "application/json"}
    if token := environ.get("MLFLOW_TRACKING_TOKEN"):
        headers["Authorization"] = f"Bearer {token}"
    elif user := environ.get("MLFLOW_TRACKING_USERNAME"):
        login = f"{user}:{environ.get('MLFLOW_TRACKING_PASSWORD', '')}".encode()
        headers["Authorization"] = f"Basic {b64encode(login).decode()}"
    context = ssl.create_default_context(cafile=environ.get("MLFLOW_TRACKING_SERVER_CERT_PATH") or None)
    try:
        with urllib.request.urlopen(
            urllib.request.Request(url, headers=headers), timeout=TIMEOUT_SECONDS, context=context
        ) as response:
            return cast(dict[str, Any], json.loads(response.read()))
    except urllib.error.HTTPError as exc:
        body = exc.read()[:2000]
        try:
            detail = cast(dict[str, Any], json.loads(body))
        except ValueError:
            detail = {}
        code, message = detail.get("error_code", ""), detail.get("message", "")
        if exc.code in (401, 403):
            raise PromoteError(
                f"{what}: the registry answered {exc.code} ({'unauthenticated' if exc.code == 401 else 'forbidden'}); "
                "check MLFLOW_TRACKING_USERNAME/PASSWORD (or TOKEN) and that the account may read the model"
            ) from None
        # The pinned MLflow (pins) answers a missing version 404 RESOURCE_DOES_NOT_EXIST, but a missing alias
        # 400 INVALID_PARAMETER_VALUE "Registered model alias champion not found." (measured live).
        if exc.code == 404 or code == "RESOURCE_DOES_NOT_EXIST" or "not found" in message:
            raise _NotFoundError(message or f"HTTP {exc.code}") from None
        raise PromoteError(f"{what}: the registry answered HTTP {exc.code} {code} {message}".rstrip()) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise PromoteError(f"{what}: registry {uri} unreachable ({reason}); nothing changed") from None
    except ValueError:
        raise PromoteError(f"{what}: registry {uri} did not answer JSON (is it an MLflow server?)") from None


class _NotFoundError(Exception):
    """The registry answered RESOURCE_DOES_NOT_EXIST: :func:`resolve` says which of alias or version."""


def resolve(environ: Mapping[str, str], model: str, alias: str | None, version: int | None) -> int:
    """The version to pin: ``version`` if given (after checking it exists), else what ``alias``
    points at now; :class:`PromoteError` naming the model and alias otherwise."""
    what = f"{model}@{alias}" if version is None else f"{model} version {version}"
    try:
        if version is None:
            if alias is None:
                raise PromoteError(f"{model}: model has no alias to resolve; give --version N or set model.alias")
            found = _request(environ, "registered-models/alias", {"name": model, "alias": alias}, what)
        else:
            found = _request(environ, "model-versions/get", {"name": model, "version": str(version)}, what)
    except _NotFoundError as exc:
        if version is None:
            raise PromoteError(
                f"{what}: no such alias in the registry ({exc}); set it (set_registered_model_alias) or give "
                "--version N; deleting a version deletes its aliases"
            ) from None
        raise PromoteError(
            f"{what}: no such version in the registry ({exc}): it was deleted or never registered"
        ) from None
    details = cast(dict[str, Any], found.get("model_version") or {})
    status = details.get("status", "READY")
    if status != "READY":
        raise PromoteError(f"{what}: version {details.get('version')} is {status}, not READY; promote it once it is")
    try:
        return int(details["version"])
    except (KeyError, ValueError):
        raise PromoteError(f"{what}: the registry's answer names no version") from None


def read_text(path: Path) -> tuple[bytes, str]:
    """The stack file's bytes (to detect a change before the rename) and its text."""
    try:
        read = read_bytes(path, MAX_YAML_BYTES)
        return read, read.decode()
    except InputError as exc:
        raise PromoteError(str(exc)) from None
    except UnicodeDecodeError:
        raise PromoteError(f"{path}: not UTF-8 text") from None


def promote(path: Path, config_key: str, endpoint: str, environ: Mapping[str, str], version: int | None = None) -> Pin:
    """Resolve ``endpoint``'s alias (or check ``version``) and pin it in the stack file ``path``."""
    read, text = read_text(path)
    source = str(path)
    try:
        name, alias, old = model_reference(text, config_key, endpoint, source)
        new = resolve(environ, name, alias, version)
        pin = Pin(endpoint, name, alias if version is None else None, old, new)
        if old != new:
            write_atomically(path, read, pin_version(text, config_key, endpoint, new, source))
    except InputError as exc:
        raise PromoteError(str(exc)) from None
    return pin

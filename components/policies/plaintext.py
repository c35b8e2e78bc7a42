"""Secrets in plain sight: credentials written as literal container env values, in ConfigMaps,
in AWS tags or in instance user data, where every reader of the object (and of the state) sees them.

A value is a credential when it has the shape of one (an AWS access key id, a PEM private key,
a URL with a password) or when a secret-like name (``DB_PASSWORD``, ``api_key``) holds a literal
that is neither a path, a reference nor a placeholder-short word. Messages never quote the value.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs

from components.policies.readiness import containers
from components.policies.workloads import workload
from components.values import as_mapping, items

SHAPES = {
    "an AWS access key id": re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}\b"),
    "a private key": re.compile(r"-----BEGIN (?:[A-Z]+ )*PRIVATE KEY-----"),
    "a password in a URL": re.compile(r"[a-z][a-z0-9+.-]*://[^/\s:@{}$<>]+:[^/\s@{}$<>]+@", re.IGNORECASE),
}
"""What a credential looks like wherever it is written."""
SECRET_NAME = re.compile(
    r"(?:^|[_.-])(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credentials?)"
    r"(?:$|[_.-])",
    re.IGNORECASE,
)
NOT_A_VALUE_NAME = re.compile(r"[_.-](?:file|path|dir|arn|name|ref|url|endpoint|id)$", re.IGNORECASE)
"""Secret-like names that hold where a secret is, not the secret (``TOKEN_FILE``, ``SECRET_ARN``)."""
ASSIGNMENT = re.compile(
    r"""(?m)^\s*(?:export\s+)?["']?([A-Za-z0-9_.-]+)["']?\s*[:=]\s*["']?([A-Za-z0-9+/=_.~!@#%^&*-]+)(?=["'\s,;]|$)"""
)
"""``name=value`` / ``name: value`` lines of a config file or a script whose value is a literal
(an expression such as ``(path / "password").read_text()`` or ``os.environ[...]`` is not)."""
MIN_LENGTH = 8
MIN_ENTROPY = 2.5
"""Bits per character below which a literal is a word or placeholder rather than a credential."""
USER_DATA = {
    "aws:ec2/instance:Instance": ("userData", "userDataBase64"),
    "aws:ec2/launchTemplate:LaunchTemplate": ("userData",),
    "aws:ec2/spotInstanceRequest:SpotInstanceRequest": ("userData", "userDataBase64"),
}
CONFIG_MAPS = ("kubernetes:core/v1:ConfigMap", "kubernetes:core/v1:ConfigMapPatch")
ALTERNATIVE = (
    "keep it in a Kubernetes Secret (env valueFrom.secretKeyRef) or AWS Secrets Manager read through "
    "IRSA / pod identity, never a literal"
)


def entropy(value: str) -> float:
    """Shannon entropy of a string in bits per character."""
    counts = Counter(value)
    return -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())


def secret_literal(name: str, value: str) -> bool:
    """Whether a secret-like name holds a literal credential (not a path, reference or short word)."""
    if not SECRET_NAME.search(name) or NOT_A_VALUE_NAME.search(name):
        return False
    if value.startswith(("/", "$", "arn:", "{{")) or len(value) < MIN_LENGTH:
        return False
    if name.lower() in value.lower():  # ``"password": password``: the value names a variable
        return False
    return entropy(value) >= MIN_ENTROPY


def shapes(text: str) -> list[str]:
    """The credential shapes found in a text."""
    return [what for what, pattern in SHAPES.items() if pattern.search(text)]


def text_problems(text: str) -> list[str]:
    """Credentials in a file or script: their shapes, and secret-like assignments to literals."""
    found = shapes(text)
    found += [f"{name} set to a literal" for name, value in ASSIGNMENT.findall(text) if secret_literal(name, value)]
    return found


def value_problems(name: str, value: str) -> list[str]:
    """Credentials in one named value."""
    found = shapes(value)
    if not found and secret_literal(name, value):
        found.append("a literal credential under a secret-like name")
    return found


def env_problems(pod: Mapping[str, Any]) -> Iterator[str]:
    """Containers whose env holds a credential as a literal value."""
    for container_name, container in containers(pod):
        for index, env in enumerate(map(as_mapping, items(container.get("env")))):
            value = env.get("value")
            if isinstance(value, str):
                for what in value_problems(str(env.get("name", "")), value):
                    yield f"container {container_name} env[{index}] ({env.get('name')}) holds {what}"


def _decoded(value: str) -> str:
    try:
        return base64.b64decode(value, validate=True).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return value


def problems(args: ResourceValidationArgs) -> Iterator[str]:
    """Every credential in plain sight in the resource, with where it is."""
    if args.resource_type.startswith("aws:"):
        for key, value in as_mapping(args.props.get("tags")).items():
            for what in value_problems(str(key), str(value)):
                yield f"tags.{key} holds {what}"
        for field in USER_DATA.get(args.resource_type, ()):
            value = args.props.get(field)
            if isinstance(value, str):
                for what in text_problems(_decoded(value)):
                    yield f"{field} holds {what}"
        return
    found = workload(args)
    if found is not None:
        yield from env_problems(found.pod)
    if args.resource_type in CONFIG_MAPS:
        for key, value in as_mapping(args.props.get("data")).items():
            for what in dict.fromkeys([*value_problems(str(key), str(value)), *text_problems(str(value))]):
                yield f"data.{key} holds {what}"


def validate_no_plaintext_secrets(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """No credential as a literal env value, in a ConfigMap, in tags or in user data."""
    for problem in problems(args):
        report_violation(f"{problem}: {ALTERNATIVE}", None)

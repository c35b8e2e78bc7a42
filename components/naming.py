"""AWS naming rules, as pure functions: each returns what is wrong (empty when valid)."""

from __future__ import annotations

import functools
import ipaddress
import json
import re
from importlib import resources
from typing import cast

_BUCKET_CHARS = re.compile(r"^[a-z0-9][a-z0-9.-]*[a-z0-9]$")
_BUCKET_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_BUCKET_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
_ECR_NAME = re.compile(r"^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$")
_PREFIX = re.compile(r"^[A-Za-z0-9!_.'()-]+(/[A-Za-z0-9!_.'()-]+)*/$")
PROMETHEUS_METRIC_NAME = r"^[a-zA-Z_:][a-zA-Z0-9_:]*$"
"""Prometheus metric names (data model: letters, digits, underscores and colons)."""
INTERNET_FACING_ANNOTATION = "mlops-platform/internet-facing"
"""Marks a load balancer whose internet-facing scheme was explicitly allowed (value ``allowed``);
the endpoint sets it, the policy pack accepts it."""
MODEL_URI_ANNOTATION = "mlops-platform/model-uri"
"""On an endpoint's Deployment: where its model is read from, a registry URI it resolves
(``models:/NAME@ALIAS``) or a bucket prefix (``s3://BUCKET/PREFIX/``); empty for a model id."""
MODEL_PUBLISHED_ANNOTATION = "mlops-platform/model-published"
"""``"false"`` on an endpoint's Deployment whose model is not published yet (it runs no pod);
``mlops plan`` lists every endpoint's model under ``publish``."""
PLATFORM_OUTPUT = "platform"
"""The stack output holding a platform stack's contract (components.platform_stack)."""
PLATFORM_CONTRACT_VERSION = 1
"""Version of that contract: bumped when a field changes meaning or goes away."""
PLATFORM_REFERENCE_TYPE = "mlops:index:PlatformReference"
"""The component an app stack records the contract it read in: the policy pack sees it (the engine
sends no StackReference, a read, to a pack), so the deploy-readiness rules accept what the platform serves."""


def bucket_name_problems(name: str) -> list[str]:
    """S3 general purpose bucket naming rules (docs: "Bucket naming rules")."""
    problems: list[str] = []
    if not 3 <= len(name) <= 63:
        problems.append(f"must be 3-63 characters long (got {len(name)})")
    if not _BUCKET_CHARS.match(name):
        problems.append("only lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit")
    if ".." in name:
        problems.append("must not contain two adjacent dots")
    try:
        ipaddress.IPv4Address(name)
        problems.append("must not be formatted as an IP address")
    except ValueError:
        pass
    problems += [f"must not start with {p!r} (reserved)" for p in _BUCKET_PREFIXES if name.startswith(p)]
    problems += [f"must not end with {s!r} (reserved)" for s in _BUCKET_SUFFIXES if name.endswith(s)]
    return problems


def ecr_repository_name_problems(name: str) -> list[str]:
    """ECR repository naming rules: 2-256 characters, lowercase path segments."""
    problems: list[str] = []
    if not 2 <= len(name) <= 256:
        problems.append(f"must be 2-256 characters long (got {len(name)})")
    if not _ECR_NAME.match(name):
        problems.append("lowercase letters and digits, separated by single '.', '_' or '-', in '/'-separated segments")
    return problems


def key_prefix_problems(prefix: str) -> list[str]:
    """An S3 key prefix that IAM documents scope access to, e.g. ``models/fraud-detector/``."""
    if not _PREFIX.match(prefix):
        return [
            "must be a key prefix like 'models/name/': safe characters, no leading '/', no wildcards, ending in '/'"
        ]
    return []


# The OCI distribution reference grammar, ported from distribution/reference ``regexp.go``
# (github.com/distribution/reference at 0965666a, 2026-04-18), the parser docker, containerd and
# the kubelet use. re.ASCII: Go's \w is ASCII. Python's engine backtracks where Go's does not, so
# lengths are bounded before matching (the grammar has no nested ambiguity to blow up on).
_ALPHANUMERIC = r"[a-z0-9]+"
_SEPARATOR = r"(?:[._]|__|[-]+)"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[(?:[a-fA-F0-9:]+)\])(?::[0-9]+)?"
_PATH_COMPONENT = rf"{_ALPHANUMERIC}(?:{_SEPARATOR}{_ALPHANUMERIC})*"
_NAME = rf"(?:{_DOMAIN}/)?{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}"
IMAGE_REFERENCE = re.compile(rf"({_NAME})(?::({_TAG}))?(?:@({_DIGEST}))?", re.ASCII)
"""``ReferenceRegexp``: name (optional domain and port, lowercase path), tag, digest (use fullmatch)."""
NAME_TOTAL_LENGTH_MAX = 255
"""``NameTotalLengthMax`` of distribution/reference: the longest repository name."""
SHA256_DIGEST = re.compile(r"sha256:[a-f0-9]{64}", re.ASCII)
"""A sha256 digest as OCI image-spec and go-digest define it: 64 lowercase hex digits."""
_LONGEST_REFERENCE = NAME_TOTAL_LENGTH_MAX + 1 + 128 + 1 + 7 + 64


def image_reference_problems(image: str) -> list[str]:
    """What makes ``image`` no valid image reference (``[registry/]name[:tag][@sha256:<64 hex>]``)."""
    match = IMAGE_REFERENCE.fullmatch(image) if len(image) <= _LONGEST_REFERENCE else None
    if match is None:
        return [
            f"image {image!r} is not a valid image reference: [registry[:port]/]name[:tag][@sha256:<64 hex digits>], "
            "the name in lowercase, no spaces"
        ]
    problems: list[str] = []
    if len(match.group(1)) > NAME_TOTAL_LENGTH_MAX:
        problems.append(f"image {image!r}: the repository name is longer than {NAME_TOTAL_LENGTH_MAX} characters")
    digest = match.group(3)
    if digest is not None and not SHA256_DIGEST.fullmatch(digest):
        problems.append(f"image {image!r}: the digest must be sha256: and 64 lowercase hex digits")
    return problems


def image_digest(image: str) -> str | None:
    """The ``sha256:...`` digest pinning ``image``, or None (no digest, or no valid reference)."""
    if image_reference_problems(image):
        return None
    match = IMAGE_REFERENCE.fullmatch(image)
    return match.group(3) if match is not None else None


DOCKER_HUB = "docker.io"
LEGACY_DOCKER_HUB = "index.docker.io"


def repository_of(image: str) -> str:
    """The fully qualified repository of an image reference (``nginx:1.27`` ->
    ``docker.io/library/nginx``), as the container runtime resolves it (distribution/reference's
    ``splitDockerDomain``): the first path component is a registry when it has a dot, a port or an
    upper-case letter, or is ``localhost``; else the image is Docker Hub's, whose legacy host
    ``index.docker.io`` is ``docker.io`` and whose one-component names are under ``library/``. The
    host is lower-cased (DNS names are case-insensitive)."""
    name = image.split("@", 1)[0]
    head, _, tail = name.rpartition("/")
    name = f"{head}/{tail.split(':', 1)[0]}" if head else tail.split(":", 1)[0]
    first, _, rest = name.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost" or first.lower() != first):
        domain, remainder = first.lower(), rest
    else:
        domain, remainder = DOCKER_HUB, name
    if domain == LEGACY_DOCKER_HUB:
        domain = DOCKER_HUB
    if domain == DOCKER_HUB and "/" not in remainder:
        remainder = f"library/{remainder}"
    return f"{domain}/{remainder}"


def pinned_image_problems(image: str) -> list[str]:
    """An image must be a valid reference naming one build: a version tag or a sha256 digest,
    never ``latest`` or no tag."""
    problems = image_reference_problems(image)
    if problems or image_digest(image) is not None:
        return problems
    match = IMAGE_REFERENCE.fullmatch(image)
    tag = match.group(2) if match is not None else None
    if not tag or tag == "latest":
        return [
            f"image {image!r} must be pinned: a version tag (repo:1.2.3) or a digest (repo@sha256:...), never latest"
        ]
    return []


@functools.cache
def aws_regions() -> dict[str, list[str]]:
    """AWS partition -> its regions, as botocore lists them (``components/data/aws_regions.json``)."""
    text = resources.files("components").joinpath("data/aws_regions.json").read_text()
    return cast(dict[str, list[str]], json.loads(text)["partitions"])


def aws_partition(region: str) -> str:
    """The partition of a region (``aws``, ``aws-cn``, ``aws-us-gov``, ...): the second field of
    every ARN in it. A region botocore does not list is refused by config; here it is ``aws``."""
    return next((name for name, regions in aws_regions().items() if region in regions), "aws")


def aws_region_problems(region: str) -> list[str]:
    """A region must be one of an AWS partition's (aws, aws-cn, aws-us-gov, ...): a made-up one
    would reach ARNs, endpoints and manifests."""
    if any(region in regions for regions in aws_regions().values()):
        return []
    return ["must be an AWS region botocore knows, e.g. us-east-1, eu-west-1, cn-north-1, us-gov-west-1"]


def slug(text: str) -> str:
    """A resource-name suffix from free text: lowercase letters, digits and single hyphens."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def check(problems: list[str], what: str, value: str) -> str:
    """``value`` if it has no problems, else a ValueError naming them (for pydantic and args)."""
    if problems:
        raise ValueError(f"{what} {value!r}: " + "; ".join(problems))
    return value


MLFLOW_MIN_PASSWORD_LENGTH = 12
"""``mlflow.utils.validation._validate_password`` of the pinned MLflow: shorter passwords are
refused when an account is created or updated, so the server's start fails."""
MLFLOW_LEGACY_ADMIN_PASSWORD = "password1234"
"""The default older MLflow shipped; the pinned one refuses it for the admin account
(``mlflow.server.auth._validate_bootstrap_admin_password``)."""


def mlflow_password_problems(password: str) -> list[str]:
    """What the registry's start would refuse in an MLflow account password (never echoed)."""
    problems: list[str] = []
    if len(password) < MLFLOW_MIN_PASSWORD_LENGTH:
        problems.append(
            f"must have at least {MLFLOW_MIN_PASSWORD_LENGTH} characters, MLflow's minimum (got {len(password)})"
        )
    if password == MLFLOW_LEGACY_ADMIN_PASSWORD:
        problems.append("is the default password older MLflow releases shipped, which MLflow refuses")
    if password != password.strip():
        problems.append("must not start or end with whitespace (the start script strips the mounted file)")
    if any(ord(c) < 32 or ord(c) == 127 for c in password):
        problems.append("must not contain control characters such as newlines")
    return problems

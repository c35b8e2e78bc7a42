"""Config strings that reach AWS as tags or resource names, checked as the receiving APIs check
them (botocore's request shapes and their documented constraints), as pure functions that
return what is wrong (empty when valid).

The stack's ``tags`` are provider default tags, so every taggable resource receives them: a tag
must pass the strictest of those APIs, else the first create call that carries it fails."""

import unicodedata

TAG_KEY_MAX = 127
"""EC2's ``Tag.Key``: "a maximum of 127 Unicode characters" (IAM, EKS, KMS, RDS, SNS allow 128)."""
TAG_VALUE_MAX = 256
"""``tagValueType`` (IAM ``CreateRole``) and ``TagValue`` (EKS, KMS, SNS, CloudWatch Logs): 0-256."""
TAG_CHARACTER_CATEGORIES = ("L", "Z", "N")
"""IAM ``tagKeyType``/``tagValueType`` and CloudWatch Logs ``TagKey``: ``[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]``:
Unicode letters, separators (spaces) and numbers..."""
TAG_PUNCTUATION = "_.:/=+-@"
"""...and these characters; never a control character (tab, newline) or other punctuation."""
AWS_TAG_PREFIX = "aws:"
"""Reserved for AWS: EC2 ``Tag.Key`` "May not begin with aws:"; RDS refuses it in keys and values."""
RDS_TAG_PREFIX = "rds:"
"""RDS ``Tag.Key``/``Tag.Value``: "can't be prefixed with aws: or rds:"."""
AUTOSCALING_TAG_KEY_MAX = 128
"""Auto Scaling ``CreateOrUpdateTags`` ``TagKey``: 1-128 (the node-template tags of a managed pool)."""
NODE_TEMPLATE = "k8s.io/cluster-autoscaler/node-template"
"""Prefix of the cluster-autoscaler tags that describe a pool's nodes for scale-from-zero."""


def outside_tag_characters(text: str) -> list[str]:
    """The characters of ``text`` no AWS tag may hold, sorted, each once."""
    return sorted(
        {c for c in text if unicodedata.category(c)[0] not in TAG_CHARACTER_CATEGORIES and c not in TAG_PUNCTUATION}
    )


def tag_problems(key: str, value: str, rds: bool = False) -> list[str]:
    """What AWS would refuse in a default tag ``key: value``; ``rds``: the stack tags an RDS instance."""
    problems: list[str] = []
    if not 1 <= len(key) <= TAG_KEY_MAX:
        problems.append(f"the key must be 1-{TAG_KEY_MAX} characters (EC2's limit; got {len(key)})")
    if len(value) > TAG_VALUE_MAX:
        problems.append(f"the value must be at most {TAG_VALUE_MAX} characters (got {len(value)})")
    for what, text in (("key", key), ("value", value)):
        if bad := outside_tag_characters(text):
            problems.append(
                f"the {what} may hold only Unicode letters, digits, spaces and {' '.join(TAG_PUNCTUATION)} "
                f"(IAM's tag pattern; found {', '.join(repr(c) for c in bad)})"
            )
    reserved = (AWS_TAG_PREFIX, RDS_TAG_PREFIX) if rds else (AWS_TAG_PREFIX,)
    if key.startswith(reserved):
        problems.append(f"the key must not start with {' or '.join(reserved)} (reserved for AWS)")
    if rds and not value:
        problems.append("the value must not be empty: RDS's Tag.Value is 1-256 characters (the registry's database)")
    if rds and value.startswith(reserved):
        problems.append(
            f"the value must not start with {' or '.join(reserved)}: RDS refuses it on the registry's database"
        )
    return problems


def node_template_key_problems(kind: str, key: str) -> list[str]:
    """A node label or taint key of a managed pool becomes the Auto Scaling tag key
    ``<NODE_TEMPLATE>/<kind>/<key>``, which must fit :data:`AUTOSCALING_TAG_KEY_MAX`."""
    tag = f"{NODE_TEMPLATE}/{kind}/{key}"
    if len(tag) > AUTOSCALING_TAG_KEY_MAX:
        room = AUTOSCALING_TAG_KEY_MAX - len(tag) + len(key)
        return [
            f"at most {room} characters: the Auto Scaling tag {NODE_TEMPLATE}/{kind}/<key> that lets the pool "
            f"scale from zero may have {AUTOSCALING_TAG_KEY_MAX} (got {len(key)})"
        ]
    return []


def rds_identifier_problems(identifier: str) -> list[str]:
    """RDS identifiers (``DBInstanceIdentifier`` of CreateDBInstance, ``FinalDBSnapshotIdentifier``
    of DeleteDBInstance): letters, digits and hyphens, first a letter, no trailing or double hyphen."""
    problems: list[str] = []
    if not identifier[:1].isascii() or not identifier[:1].isalpha():
        problems.append("must start with a letter")
    if any(not (c.isascii() and (c.isalnum() or c == "-")) for c in identifier):
        problems.append("only letters, digits and hyphens")
    if identifier.endswith("-") or "--" in identifier:
        problems.append("must not end with a hyphen or contain two consecutive hyphens")
    return problems

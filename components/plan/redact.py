"""Secret values out of the violations ``plan.json`` and the text output report.

A policy message quotes what it judged (``container app runs unpinned image 'nginx'``), and the
pack sees secrets decrypted, as it does under the CLI: so the evaluation keeps its messages as
they are (``tests/policy/test_protocol.py`` compares them with the pack running as a plugin),
and only the plan written from it reads ``[secret]`` where a message quotes a secret value, as
its ``inputs`` do. A message that quotes part of a secret (a statement of a secret policy
document, a value computed from one) is not caught: only whole secret strings are known.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterable
from dataclasses import replace

from components.plan.monitor import Registration, secret_strings
from components.plan.policy import Evaluation
from components.project import SECRET_PLACEHOLDER

MIN_SECRET_LENGTH = 4
"""Secret strings shorter than this are not masked: replacing every ``on`` or ``1`` in a message
would garble it and hide little. Numbers and booleans are not masked either (only strings are
collected): their text (``true``, ``8080``, ``2.0``) recurs in messages for other reasons, and a
message renders them in more than one form."""


def secret_texts(resource: Registration) -> set[str]:
    """The secret strings among what the pack sees of ``resource`` (its engine-form inputs and
    outputs), as a message may quote each: as is, or escaped by ``repr`` or JSON."""
    found: set[str] = set()
    for value in (resource.analyzed_inputs, resource.analyzed_outputs):
        for secret in secret_strings(value):
            if len(secret) >= MIN_SECRET_LENGTH:
                found |= {secret, repr(secret)[1:-1], json.dumps(secret)[1:-1]}
    return found


def masked(text: str, secrets: Collection[str]) -> str:
    """``text`` with each of ``secrets`` replaced by ``[secret]``, longest first, in one pass (a
    placeholder is never rewritten)."""
    if not secrets:
        return text
    pattern = "|".join(re.escape(s) for s in sorted(secrets, key=lambda s: (-len(s), s)))
    return re.sub(pattern, SECRET_PLACEHOLDER, text)


def redact(evaluation: Evaluation, resources: Iterable[Registration], stack_policies: Collection[str]) -> Evaluation:
    """``evaluation`` with every secret value masked in its messages and not-run reasons: a
    resource policy's, of the resource it names; a stack policy's (it sees every resource, and
    may report one resource's problem at another's URN), of any resource. Only the resources a
    report needs are read (a clean plan of 2,387 resources reads none)."""
    reports = [(v.policy, v.urn) for v in evaluation.violations] + [(n.policy, n.urn) for n in evaluation.not_run]
    whole_stack = any(urn is None or policy in stack_policies for policy, urn in reports)
    named = {urn for _, urn in reports}
    by_urn = {r.urn: secret_texts(r) for r in resources if whole_stack or r.urn in named}
    everything = set[str]().union(*by_urn.values())

    def secrets(policy: str, urn: str | None) -> set[str]:
        return everything if urn is None or policy in stack_policies else by_urn.get(urn, everything)

    # Lists, not sets: two findings that differ only in a secret stay two.
    violations = [replace(v, message=masked(v.message, secrets(v.policy, v.urn))) for v in evaluation.violations]
    not_run = [replace(n, reason=masked(n.reason, secrets(n.policy, n.urn))) for n in evaluation.not_run]
    return Evaluation(sorted(violations), sorted(not_run))

"""Secret values masked in what the plan reports of the pack's evaluation."""

from __future__ import annotations

from typing import Any

import pytest

from components.plan.monitor import Registration
from components.plan.policy import Evaluation, NotRun, Violation
from components.plan.redact import redact

pytestmark = pytest.mark.unit

SIG, SECRET = "4dabf18193072939515e22adb298388d", "1b47061264138c4ac30d75fd1eb44270"


def secret(value: Any) -> dict[str, Any]:
    return {SIG: SECRET, "value": value}


def resource(name: str, wire_inputs: dict[str, Any], wire_outputs: dict[str, Any] | None = None) -> Registration:
    urn = f"urn:pulumi:prod::p::aws:iam/policy:Policy::{name}"
    return Registration(urn, "aws:iam/policy:Policy", name, True, None, None, [], {}, wire_inputs=wire_inputs,
                        wire_outputs=wire_outputs)  # fmt: skip


A = resource("a", {"image": secret("app:hunter2"), "port": secret(8080.0), "flag": secret("on")})
B = resource("b", {"tags": {"team": "vision"}}, {"doc": secret({"Sid": "line\nbreak", "n": [secret("b-out")]})})


def test_a_resource_policy_message_masks_its_own_secrets_only() -> None:
    found = Evaluation(
        [Violation("k8s-pinned-images", "mandatory", A.urn, "image 'app:hunter2' on 8080, flag on, b-out")],
        [NotRun("rds-hardened", B.urn, "'line\\nbreak' and app:hunter2")],
    )
    masked = redact(found, [A, B], stack_policies=set())
    # Numbers and strings under 4 characters are left: their text recurs in any message.
    assert masked.violations[0].message == "image '[secret]' on 8080, flag on, b-out"
    assert masked.not_run[0].reason == "'[secret]' and app:hunter2"  # repr-escaped; A's secret is not B's


def test_a_stack_policy_message_masks_every_resources_secrets() -> None:
    found = Evaluation(
        [Violation("s3-bucket-secure", "mandatory", B.urn, "app:hunter2, b-out"),
         Violation("other", "advisory", None, "b-out")],
        [],
    )  # fmt: skip
    masked = redact(found, [A, B], stack_policies={"s3-bucket-secure"})
    assert [(v.policy, v.message) for v in masked.violations] == [
        ("other", "[secret]"),
        ("s3-bucket-secure", "[secret], [secret]"),
    ]


def test_two_findings_that_differ_only_in_a_secret_stay_two() -> None:
    twin = resource("a", {"one": secret("first-secret"), "two": secret("second-secret")})
    evaluation = Evaluation(
        [
            Violation("k8s-pinned-images", "mandatory", twin.urn, "runs 'first-secret'"),
            Violation("k8s-pinned-images", "mandatory", twin.urn, "runs 'second-secret'"),
        ],
        [],
    )
    masked = redact(evaluation, [twin], set())
    assert [v.message for v in masked.violations] == ["runs '[secret]'", "runs '[secret]'"]

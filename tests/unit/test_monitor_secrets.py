"""Outputs a provider declares secret (``additionalSecretOutputs``) are secret under ``mlops plan``
as the engine makes them: what is built from them is masked in the plan."""

from __future__ import annotations

import pulumi
import pulumi_random as random

from components.plan.monitor import SECRET_PLACEHOLDER
from components.plan.runner import StackConfig, run_program


def test_a_generated_password_stays_secret_in_what_uses_it() -> None:
    def program() -> None:
        password = random.RandomPassword("db", length=24, special=False)
        pulumi.CustomResource("test:index:Config", "config", {"password": password.result, "user": "app"})
        pulumi.CustomResource(
            "test:index:Config", "told", {"password": pulumi.Output.unsecret(password.result), "user": "app"}
        )

    recording = run_program(program, project="p", stack="s", config=StackConfig("test"))
    resources = {r.name: r for r in recording.resources}
    assert resources["config"].inputs == {"password": SECRET_PLACEHOLDER, "user": "app"}
    assert resources["told"].inputs["password"] != SECRET_PLACEHOLDER  # unsecret() is the program's choice
    assert len(resources["told"].inputs["password"]) == 24

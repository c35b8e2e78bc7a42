"""The harness floor: resources registered with no component code behind them.

    MLOPS_FLOOR_COUNT=N            N trivial resources (one input each, no parent)
    MLOPS_FLOOR_TYPED=N            N SNS topics with no arguments: trivial inputs through a
                                   typed provider class (its output properties, its types)
    MLOPS_FLOOR_REPLAY=plan.json   the plan's own resources again, as plain registrations:
                                   same types, names, inputs, parents and dependencies

Planned with ``mlops plan --program benchmarks/floor``; what a real stack costs above this
is our components', mocks' and plan's own work.
"""

import json
import os
from pathlib import Path

import pulumi
import pulumi_aws as aws  # lazy: the other modes load none of its submodules

STACK = "pulumi:pulumi:Stack"


def trivial(count: int) -> None:
    for i in range(count):
        pulumi.CustomResource("mlops:floor:Trivial", f"r{i}", {"index": i})


def typed(count: int) -> None:
    for i in range(count):
        aws.sns.Topic(f"t{i}")


def replay(plan_file: Path) -> None:
    resources = [r for r in json.loads(plan_file.read_text())["resources"] if r["type"] != STACK]
    by_urn = {r["urn"]: r for r in resources}
    made: dict[str, pulumi.Resource] = {}

    def register(urn: str) -> pulumi.Resource | None:
        if urn in made or urn not in by_urn:
            return made.get(urn)
        r = by_urn[urn]
        parent = register(r["parent"]) if r["parent"] else None
        depends_on = [d for d in (register(u) for u in r["dependencies"]) if d is not None]
        opts = pulumi.ResourceOptions(parent=parent, depends_on=depends_on, protect=r["options"]["protect"])
        cls = pulumi.CustomResource if r["custom"] else pulumi.ComponentResource
        made[urn] = cls(r["type"], r["name"], r["inputs"], opts)
        return made[urn]

    for urn in by_urn:
        register(urn)


if "MLOPS_FLOOR_REPLAY" in os.environ:
    replay(Path(os.environ["MLOPS_FLOOR_REPLAY"]))
elif "MLOPS_FLOOR_TYPED" in os.environ:
    typed(int(os.environ["MLOPS_FLOOR_TYPED"]))
else:
    trivial(int(os.environ.get("MLOPS_FLOOR_COUNT", "100")))

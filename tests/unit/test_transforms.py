"""Resource transforms under ``mlops plan`` run as the engine runs them (``components/plan/transforms.py``):
own, then each ancestor's, then the stack's registered so far; their options are the resource's."""

from __future__ import annotations

import copy

import pulumi
import pulumi_aws as aws
import pytest

from components.plan.monitor import UNKNOWN_PLACEHOLDER, Registration
from components.plan.runner import StackConfig, run_program


def mark(label: str) -> pulumi.ResourceTransform:
    """A transform that appends ``label`` to the resource's ``trail`` input."""

    def transform(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult:
        return pulumi.ResourceTransformResult({**args.props, "trail": [*args.props.get("trail", []), label]}, args.opts)

    return transform


def protect_buckets(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult | None:
    if args.type_ != "test:index:Bucket":
        return None
    options = pulumi.ResourceOptions.merge(
        args.opts,
        pulumi.ResourceOptions(
            protect=True, ignore_changes=["tags"], aliases=["urn:pulumi:s::p::test:index:Bucket::old"]
        ),
    )
    return pulumi.ResourceTransformResult(args.props, options)


class Outer(pulumi.ComponentResource):
    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("test:index:Outer", name, None, opts)


def recorded(program: pulumi.RunFunc, preview: bool = False) -> dict[str, Registration]:
    recording = run_program(program, project="p", stack="s", config=StackConfig("test"), preview=preview)
    return {r.name: r for r in recording.resources}


def test_own_then_each_ancestors_then_the_stacks_transforms_in_that_order() -> None:
    def program() -> None:
        early = pulumi.CustomResource("test:index:Thing", "before-stack-transform", {"trail": ["program"]})
        pulumi.runtime.register_resource_transform(mark("stack"))
        outer = Outer("outer", pulumi.ResourceOptions(transforms=[mark("grandparent")]))
        inner = Outer("inner", pulumi.ResourceOptions(parent=outer, transforms=[mark("parent")]))
        pulumi.CustomResource(
            "test:index:Thing",
            "thing",
            {"trail": ["program"]},
            pulumi.ResourceOptions(parent=inner, transforms=[mark("own")]),
        )
        pulumi.export("early", early.urn)

    resources = recorded(program)
    assert resources["thing"].inputs["trail"] == ["program", "own", "parent", "grandparent", "stack"]
    assert resources["before-stack-transform"].inputs["trail"] == ["program"]
    assert resources["outer"].inputs == {"trail": ["grandparent", "stack"]}  # components are transformed too


def test_a_transforms_options_are_the_resources() -> None:
    def program() -> None:
        pulumi.runtime.register_resource_transform(protect_buckets)
        pulumi.CustomResource("test:index:Bucket", "models", {"name": "models"})
        pulumi.CustomResource("test:index:Queue", "jobs", {"name": "jobs"})

    resources = recorded(program)
    bucket, queue = resources["models"], resources["jobs"]
    assert (bucket.protect, bucket.ignore_changes) == (True, ["tags"])
    assert bucket.aliases == ["urn:pulumi:s::p::test:index:Bucket::old"]
    assert (queue.protect, queue.ignore_changes, queue.aliases) == (False, [], [])


@pytest.mark.parametrize("preview", [False, True])
def test_the_program_reads_the_transformed_inputs_back_and_unknowns_survive(preview: bool) -> None:
    def program() -> None:
        source = pulumi.CustomResource("test:index:Thing", "source", {"trail": []})
        thing = pulumi.CustomResource(
            "test:index:Thing",
            "thing",
            {"trail": [], "from": source.id},
            pulumi.ResourceOptions(transforms=[mark("own")]),
        )
        pulumi.CustomResource("test:index:Reader", "reader", {"seen": thing.trail})  # pyright: ignore[reportAttributeAccessIssue]

    resources = recorded(program, preview)
    thing = resources["thing"]
    assert thing.inputs["trail"] == ["own"]
    assert thing.inputs["from"] == UNKNOWN_PLACEHOLDER if preview else thing.inputs["from"].startswith("source-")
    assert thing.dependencies == [resources["source"].urn]
    assert resources["reader"].inputs["seen"] == ["own"]


def test_dependencies_follow_the_options_of_a_resources_own_transforms_only() -> None:
    """The engine rebuilds a resource's dependencies from its own transforms' options; the
    stack's and its ancestors' transforms leave them as the program sent them."""

    def drop_source(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult:
        props = {k: v for k, v in args.props.items() if k != "from"}
        options = copy.copy(args.opts)
        options.depends_on = []  # merge() would add to the list
        return pulumi.ResourceTransformResult(props, options)

    def program() -> None:
        source = pulumi.CustomResource("test:index:Thing", "source", {})
        own = pulumi.ResourceOptions(transforms=[drop_source])
        pulumi.CustomResource("test:index:Thing", "dropped", {"from": source.id}, own)
        pulumi.runtime.register_resource_transform(drop_source)
        pulumi.CustomResource("test:index:Thing", "kept", {"from": source.id})

    resources = recorded(program)
    assert (resources["dropped"].inputs, resources["dropped"].dependencies) == ({}, [])
    assert (resources["kept"].inputs, resources["kept"].dependencies) == ({}, [resources["source"].urn])


def test_invoke_transforms_change_what_a_data_source_is_asked() -> None:
    """``register_invoke_transform`` runs before each later invoke, as the engine runs it: here it
    turns the SSM parameter a program asks for into another, and the mocks answer that one."""
    asked: list[str] = []

    def pinned_ami(args: pulumi.InvokeTransformArgs) -> pulumi.InvokeTransformResult:
        asked.append(args.token)
        return pulumi.InvokeTransformResult({**args.args, "name": "/pinned/ami"}, args.opts)

    def program() -> None:
        before = aws.ssm.get_parameter(name="/latest/ami")
        pulumi.runtime.register_invoke_transform(pinned_ami)
        after = aws.ssm.get_parameter(name="/latest/ami")
        later = aws.ssm.get_parameter_output(name="/latest/ami")
        pulumi.CustomResource(
            "test:index:Ami", "amis", {"before": before.name, "after": after.name, "later": later.name}
        )

    resources = recorded(program)
    assert resources["amis"].inputs == {"before": "/latest/ami", "after": "/pinned/ami", "later": "/pinned/ami"}
    assert asked == ["aws:ssm/getParameter:getParameter"] * 2

"""Plan diffs: matched by URN or alias, secrets masked, destruction of data flagged."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from components.plan import diff
from components.plan.runner import StackConfig, run_program

pytestmark = pytest.mark.unit

STACK = "urn:pulumi:prod::p::pulumi:pulumi:Stack::p-prod"


def res(
    type_: str,
    name: str,
    inputs: dict[str, Any] | None = None,
    *,
    parent_type: str | None = None,
    protect: bool = False,
    aliases: list[str] | None = None,
) -> dict[str, Any]:
    qualified = f"{parent_type}${type_}" if parent_type else type_
    return {
        "urn": f"urn:pulumi:prod::p::{qualified}::{name}",
        "type": type_,
        "name": name,
        "parent": None,
        "inputs": inputs or {},
        "options": {"protect": protect, "aliases": aliases or []},
    }


def plan(*resources: dict[str, Any]) -> dict[str, Any]:
    return {"resources": [{"urn": STACK, "type": "pulumi:pulumi:Stack", "name": "p-prod"}, *resources]}


BUCKET = "aws:s3/bucket:Bucket"
ROLE = "aws:iam/role:Role"
COMPONENT = "mlops:index:ArtifactBucket"


def test_identical_plans_differ_in_nothing() -> None:
    same = plan(res(BUCKET, "models-bucket", {"bucket": "b"}, protect=True))
    assert diff.compare(same, same) == diff.Diff()


def test_removing_a_bucket_destroys_it_and_a_same_typed_addition_is_named_as_the_likely_rename() -> None:
    old = plan(res(BUCKET, "models-bucket"), res(ROLE, "reader"))
    new = plan(res(BUCKET, "store-bucket"))
    changes = diff.compare(old, new)
    assert changes.added == ["urn:pulumi:prod::p::aws:s3/bucket:Bucket::store-bucket"]
    assert changes.removed == [
        "urn:pulumi:prod::p::aws:iam/role:Role::reader",
        "urn:pulumi:prod::p::aws:s3/bucket:Bucket::models-bucket",
    ]
    # The role goes too, but it holds no data and is not protected.
    [destroyed] = changes.destroyed
    assert destroyed.what == "bucket models-bucket"
    assert "if it is now 'store-bucket', that is a rename" in destroyed.reason
    assert "pulumi.Alias(urn='urn:pulumi:prod::p::aws:s3/bucket:Bucket::models-bucket')" in destroyed.reason


def test_a_protected_resource_of_any_type_counts() -> None:
    changes = diff.compare(plan(res(ROLE, "admin", protect=True)), plan())
    assert [d.what for d in changes.destroyed] == ["aws:iam/role:Role admin (protected)"]


def test_an_input_the_provider_cannot_update_replaces_the_resource() -> None:
    old = plan(res(BUCKET, "models-bucket", {"bucket": "models-1", "tags": {"team": "a"}}))
    new = plan(res(BUCKET, "models-bucket", {"bucket": "models-2", "tags": {"team": "b"}}))
    [change] = diff.compare(old, new).changed
    assert [(f.path, f.old, f.new) for f in change.fields] == [
        ("bucket", "models-1", "models-2"),
        ("tags.team", "a", "b"),
    ]
    assert change.replaced_by == ["bucket"]
    [destroyed] = diff.compare(old, new).destroyed
    assert destroyed.reason.startswith("replaced: bucket cannot change in place; keep the old value")
    # Tags alone update in place.
    retagged = plan(res(BUCKET, "models-bucket", {"bucket": "models-1", "tags": {"team": "b"}}))
    assert diff.compare(old, retagged).destroyed == []


def test_a_renamed_component_with_an_alias_moves_its_children_too() -> None:
    old_component = res(COMPONENT, "models")
    old_bucket = res(BUCKET, "models-bucket", {"bucket": "b"}, parent_type=COMPONENT)
    old_bucket["parent"] = old_component["urn"]
    new_component = res("mlops:index:ModelStore", "models", aliases=[old_component["urn"]])
    new_bucket = res(BUCKET, "models-bucket", {"bucket": "b"}, parent_type="mlops:index:ModelStore")
    new_bucket["parent"] = new_component["urn"]
    changes = diff.compare(plan(old_component, old_bucket), plan(new_component, new_bucket))
    assert changes.added == [] and changes.removed == [] and changes.destroyed == []
    assert [(c.old_urn, [f.path for f in c.fields]) for c in changes.changed] == [
        (old_bucket["urn"], ["urn"]),
        (old_component["urn"], ["urn"]),
    ]


def test_secrets_are_masked_on_both_sides() -> None:
    old = plan(res(ROLE, "r", {"token": "abc", "config": "[secret]", "policy": '{"Action": "s3:GetObject"}'}))
    new = plan(res(ROLE, "r", {"token": "xyz", "config": "plain now", "policy": '{"Action": "s3:*"}'}))
    fields = {f.path: (f.old, f.new) for f in diff.compare(old, new).changed[0].fields}
    assert fields == {
        "config": ("[secret]", "[secret]"),
        "token": ("[secret]", "[secret]"),
        "policy(json).Action": ("s3:GetObject", "s3:*"),
    }
    assert "abc" not in str(diff.compare(old, new).as_json()) and "plain now" not in str(
        diff.compare(old, new).as_json()
    )


def test_the_recording_turns_alias_specs_into_the_urns_the_engine_would_use() -> None:
    def program() -> None:
        component = pulumi.ComponentResource("mlops:index:Thing", "thing", None)
        pulumi.CustomResource(BUCKET, "renamed", {}, pulumi.ResourceOptions(aliases=[pulumi.Alias(name="original")]))
        pulumi.CustomResource(
            BUCKET,
            "moved",
            {},
            pulumi.ResourceOptions(parent=component, aliases=[pulumi.Alias(parent=pulumi.ROOT_STACK_RESOURCE)]),
        )

    recording = run_program(program, project="p", stack="prod", config=StackConfig("test"))
    aliases = {r.name: r.aliases for r in recording.resources}
    assert aliases["renamed"] == ["urn:pulumi:prod::p::aws:s3/bucket:Bucket::original"]
    assert aliases["moved"] == ["urn:pulumi:prod::p::aws:s3/bucket:Bucket::moved"]


@pytest.mark.parametrize(
    ("path", "replaces"),
    [
        ("roleArn", True),
        ("accessConfig.bootstrapClusterCreatorAdminPermissions", True),
        ("accessConfig.authenticationMode", False),  # updated in place
        ("kubernetesNetworkConfig.serviceIpv4Cidr", True),
        ("vpcConfig.publicAccessCidrs[0]", False),
        ("outpostConfig.controlPlaneInstanceType", True),
    ],
)
def test_which_cluster_inputs_replace_it(path: str, replaces: bool) -> None:
    assert diff.forces_replacement(path, diff.REPLACE_ON_CHANGE["aws:eks/cluster:Cluster"]) is replaces


def test_changing_a_repository_key_replaces_it() -> None:
    repository = "aws:ecr/repository:Repository"
    old = plan(res(repository, "serving", {"name": "serving", "encryptionConfigurations": [{"kmsKey": "a"}]}))
    new = plan(res(repository, "serving", {"name": "serving", "encryptionConfigurations": [{"kmsKey": "b"}]}))
    [destroyed] = diff.compare(old, new).destroyed
    assert destroyed.reason.startswith(
        "replaced: encryptionConfigurations[0].kmsKey cannot change in place; keep the old value"
    )

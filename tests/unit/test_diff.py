"""Plan diffs: matched by URN or alias, secrets masked, destruction of data flagged."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from components.plan import diff
from components.plan.runner import StackConfig, run_program
from components.policies.rules import loses_data_on_replace

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


STATEFUL_SET = "kubernetes:apps/v1:StatefulSet"
CLAIM_TEMPLATES = [{"metadata": {"name": "data"}, "spec": {"resources": {"requests": {"storage": "10Gi"}}}}]


def statefulset(service: str, templates: list[dict[str, Any]] | None) -> dict[str, Any]:
    spec: dict[str, Any] = {"serviceName": service, "selector": {"matchLabels": {"app": "db"}}}
    if templates is not None:
        spec["volumeClaimTemplates"] = templates
    return res(STATEFUL_SET, "db", {"metadata": {"name": "db", "namespace": "data"}, "spec": spec})


def test_a_statefulset_with_volume_claims_is_a_destruction_when_replaced() -> None:
    changes = diff.compare(plan(statefulset("db", CLAIM_TEMPLATES)), plan(statefulset("db-v2", CLAIM_TEMPLATES)))
    [change] = changes.changed
    assert change.replaced_by == ["spec.serviceName"]
    [destroyed] = changes.destroyed
    assert destroyed.what == "StatefulSet with volume claims db" and "VolumeSnapshot" in destroyed.way_out
    assert changes.as_json()["destroyed"][0]["wayOut"] == destroyed.way_out
    # Without claims the same replacement is shown, and loses no data.
    plain = diff.compare(plan(statefulset("db", None)), plan(statefulset("db-v2", None)))
    assert plain.changed[0].replaced_by == ["spec.serviceName"] and plain.destroyed == []


@pytest.mark.parametrize(
    ("type_", "old", "new", "forcing", "destroys"),
    [
        # pulumi-kubernetes replaces on these (provider/pkg/provider/diff.go, v4.32.0).
        ("kubernetes:core/v1:PersistentVolumeClaim", {"spec": {"storageClassName": "gp3"}},
         {"spec": {"storageClassName": "io2"}}, ["spec.storageClassName"], True),
        ("kubernetes:core/v1:Service", {"spec": {"clusterIP": "10.0.0.1"}}, {"spec": {"clusterIP": "10.0.0.2"}},
         ["spec.clusterIP"], False),
        ("kubernetes:apps/v1:Deployment", {"spec": {"selector": {"matchLabels": {"app": "a"}}}},
         {"spec": {"selector": {"matchLabels": {"app": "b"}}}}, ["spec.selector.matchLabels.app"], False),
        ("kubernetes:batch/v1:Job", {"spec": {"template": {"spec": {"restartPolicy": "Never"}}}},
         {"spec": {"template": {"spec": {"restartPolicy": "OnFailure"}}}}, ["spec.template.spec.restartPolicy"], False),
        ("kubernetes:core/v1:Pod", {"spec": {"containers": [{"image": "a"}, {"image": "b"}]}},
         {"spec": {"containers": [{"image": "a"}, {"image": "c"}]}}, ["spec.containers[1].image"], False),
        # A ConfigMap or Secret with the provider's default enableConfigMapMutable/enableSecretMutable: false.
        ("kubernetes:core/v1:ConfigMap", {"data": {"k": "1"}}, {"data": {"k": "2"}}, ["data.k"], False),
        ("kubernetes:karpenter.sh/v1:NodePool", {"metadata": {"name": "gpu"}}, {"metadata": {"name": "gpu2"}},
         ["metadata.name"], False),
        ("kubernetes:helm.sh/v3:Release", {"name": "a", "namespace": "x"}, {"name": "a", "namespace": "y"},
         ["namespace"], False),
        ("aws:sqs/queue:Queue", {"name": "interruptions"}, {"name": "interruptions-2"}, ["name"], True),
        ("aws:ecr/lifecyclePolicy:LifecyclePolicy", {"policy": '{"rules": [{"rulePriority": 1}]}'},
         {"policy": '{"rules": [{"rulePriority": 2}]}'}, ["policy(json).rules[0].rulePriority"], False),
    ],
)  # fmt: skip
def test_kubernetes_and_other_replacements(
    type_: str, old: dict[str, Any], new: dict[str, Any], forcing: list[str], destroys: bool
) -> None:
    changes = diff.compare(plan(res(type_, "r", old)), plan(res(type_, "r", new)))
    assert changes.changed[0].replaced_by == forcing
    assert bool(changes.destroyed) is destroys
    assert f"  +- {type_} r (replace)\n" in diff.render_text(changes, "base")


def test_changes_that_pulumi_kubernetes_applies_in_place_stay_updates() -> None:
    old = {
        "metadata": {"name": "a", "labels": {"v": "1"}},
        "spec": {"template": {"spec": {"containers": [{"image": "a"}]}}},
    }
    new = {
        "metadata": {"name": "a", "labels": {"v": "2"}},
        "spec": {"template": {"spec": {"containers": [{"image": "b"}]}}},
    }
    changes = diff.compare(
        plan(res("kubernetes:apps/v1:Deployment", "d", old)), plan(res("kubernetes:apps/v1:Deployment", "d", new))
    )
    assert changes.changed[0].replaced_by == [] and changes.destroyed == []


def test_removing_a_bucket_deployed_with_retain_on_delete_destroys_nothing() -> None:
    kept = res(BUCKET, "models-bucket", {"bucket": "b"})
    kept["options"]["retainOnDelete"] = True
    assert diff.compare(plan(kept), plan()).destroyed == []
    [destroyed] = diff.compare(plan(res(BUCKET, "models-bucket", {"bucket": "b"})), plan()).destroyed
    assert destroyed.reason == f"removed: {destroyed.way_out}" and "retain_on_delete=True first" in destroyed.way_out


def test_the_text_names_the_way_out_of_a_removal() -> None:
    text = diff.render_text(diff.compare(plan(res(BUCKET, "models-bucket", {"bucket": "b"})), plan()), "base")
    assert "  ! bucket models-bucket: removed: keep it in the program, or to let it go set retain_on_delete=True" in (
        text
    )


def test_a_type_change_without_an_alias_suggests_one() -> None:
    old = plan(res("aws:s3/bucketV2:BucketV2", "models-bucket", {"bucket": "b"}))
    new = plan(res(BUCKET, "models-bucket", {"bucket": "b"}))
    changes = diff.compare(old, new)
    [destroyed] = changes.destroyed
    assert (
        destroyed.way_out
        == "add aliases=[pulumi.Alias(type_='aws:s3/bucketV2:BucketV2')] to the new resource to keep it"
    )
    text = diff.render_text(changes, "base")
    assert "is now of type aws:s3/bucket:Bucket, a delete and a create: add aliases=[pulumi.Alias(type_=" in text
    print(text)


RDS = "aws:rds/instance:Instance"


def database(username: str, ignore: list[str] | None = None) -> dict[str, Any]:
    resource = res(RDS, "mlflow-db", {"username": username, "instanceClass": "db.t4g.micro"})
    if ignore is not None:
        resource["options"]["ignoreChanges"] = ignore
    return resource


def test_a_change_under_the_new_plans_ignore_changes_is_no_change() -> None:
    # Both plans ignore it: nothing differs for the engine.
    assert diff.compare(plan(database("a", ["username"])), plan(database("b", ["username"]))).changed == []
    # Following the diff's advice: only the option changes, and the database stays.
    changes = diff.compare(plan(database("a")), plan(database("b", ["username"])))
    [change] = changes.changed
    assert [f.path for f in change.fields] == ["options.ignoreChanges"] and change.replaced_by == []
    assert changes.destroyed == []
    # A nested path and a list wildcard cover what lies under them.
    claim = "kubernetes:core/v1:PersistentVolumeClaim"
    old_claim = res(claim, "c", {"spec": {"storageClassName": "gp3", "accessModes": ["ReadWriteOnce"]}})
    new_claim = res(claim, "c", {"spec": {"storageClassName": "io2", "accessModes": ["ReadWriteMany"]}})
    new_claim["options"]["ignoreChanges"] = ["spec.storageClassName", "spec.accessModes[*]"]
    old_claim["options"]["ignoreChanges"] = new_claim["options"]["ignoreChanges"]
    assert diff.compare(plan(old_claim), plan(new_claim)).changed == []


def test_the_way_out_ignores_the_full_forcing_path() -> None:
    claim = "kubernetes:core/v1:PersistentVolumeClaim"
    changes = diff.compare(
        plan(res(claim, "c", {"spec": {"storageClassName": "gp3"}})),
        plan(res(claim, "c", {"spec": {"storageClassName": "io2"}})),
    )
    [destroyed] = changes.destroyed
    assert "add ignore_changes=['spec.storageClassName']" in destroyed.way_out
    # Following it, the claim stays.
    ignored = res(claim, "c", {"spec": {"storageClassName": "io2"}})
    ignored["options"]["ignoreChanges"] = ["spec.storageClassName"]
    assert diff.compare(plan(res(claim, "c", {"spec": {"storageClassName": "gp3"}})), plan(ignored)).destroyed == []


def test_a_change_to_a_type_without_facts_says_it_may_replace() -> None:
    unknown = "aws:newservice/thing:Thing"
    changes = diff.compare(plan(res(unknown, "t", {"size": 1})), plan(res(unknown, "t", {"size": 2})))
    [change] = changes.changed
    assert change.no_facts and changes.destroyed == [] and changes.as_json()["changed"][0]["noReplacementFacts"]
    text = diff.render_text(changes, "base")
    assert f"  ~ {unknown} t (no replacement facts for this type: a change may replace it)\n" in text
    # Facts known and nothing forcing: a plain update.
    assert "no replacement facts" not in diff.render_text(
        diff.compare(plan(database("a")), plan(res(RDS, "mlflow-db", {"username": "a", "instanceClass": "x"}))), "b"
    )


def test_a_data_holding_type_without_facts_is_a_possible_destruction(monkeypatch: pytest.MonkeyPatch) -> None:
    file_system = "aws:efs/fileSystem:FileSystem"
    monkeypatch.delitem(diff.REPLACE_ON_CHANGE, file_system, raising=False)
    changes = diff.compare(
        plan(res(file_system, "f", {"encrypted": True})), plan(res(file_system, "f", {"encrypted": False}))
    )
    [destroyed] = changes.destroyed
    assert destroyed.reason.startswith("may be replaced: no replacement facts for this type") and "AWS Backup" in (
        destroyed.way_out
    )


@pytest.mark.parametrize("version", ["v1", "v1beta1", "v1beta2"])
def test_a_statefulset_of_any_apps_version_with_claims_holds_data(version: str) -> None:
    type_ = f"kubernetes:apps/{version}:StatefulSet"
    spec = {"serviceName": "db", "volumeClaimTemplates": CLAIM_TEMPLATES}
    assert loses_data_on_replace(type_, {"spec": spec}) == "StatefulSet with volume claims"
    old, new = res(type_, "db", {"spec": spec}), res(type_, "db", {"spec": {**spec, "serviceName": "db-v2"}})
    [destroyed] = diff.compare(plan(old), plan(new)).destroyed
    assert "VolumeSnapshot" in destroyed.way_out


@pytest.mark.parametrize(
    ("old", "new", "replaces"),
    [
        ({}, {"keyUsage": "ENCRYPT_DECRYPT"}, False),  # the schema default the provider fills in
        ({"keyUsage": "ENCRYPT_DECRYPT", "customerMasterKeySpec": "SYMMETRIC_DEFAULT"}, {}, False),
        ({}, {"keyUsage": "SIGN_VERIFY"}, True),
        ({"keyUsage": "ENCRYPT_DECRYPT"}, {"keyUsage": "SIGN_VERIFY"}, True),
    ],
)
def test_a_kms_key_input_written_as_its_schema_default_is_no_change(
    old: dict[str, Any], new: dict[str, Any], replaces: bool
) -> None:
    key = "aws:kms/key:Key"
    changes = diff.compare(plan(res(key, "models-key", old)), plan(res(key, "models-key", new)))
    assert bool(changes.changed) is replaces and bool(changes.destroyed) is replaces


def test_a_list_where_a_defaulted_input_belongs_is_a_change_not_a_crash() -> None:
    """A hostile plan holds ``[]`` where keyUsage's string belongs (found by tests/stack/test_input_fuzz.py)."""
    key = "aws:kms/key:Key"
    changes = diff.compare(plan(res(key, "models-key", {})), plan(res(key, "models-key", {"keyUsage": []})))
    assert [f.path for c in changes.changed for f in c.fields] == ["keyUsage"]

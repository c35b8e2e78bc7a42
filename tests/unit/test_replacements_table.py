"""``components/plan/replacements.py`` is what tools/gen_replacements.py makes of the vendored
ForceNew extract, and every name in it is an input of the installed pulumi_aws."""

from __future__ import annotations

import json
import runpy
from typing import Any

import pytest

from components.plan.diff import forces_replacement, forcing_inputs
from components.plan.replacements import REPLACE_ON_CHANGE
from components.policies.rules import LOSES_DATA_ON_REPLACE
from tests.conftest import ROOT

pytestmark = pytest.mark.unit

GENERATOR: dict[str, Any] = runpy.run_path(str(ROOT / "tools/gen_replacements.py"))


def test_the_table_is_regenerated_from_the_vendored_extract() -> None:
    extract = json.loads((ROOT / "tests/vendor/terraform-provider-aws/force_new.json").read_text())
    rendered = GENERATOR["render"](extract)
    assert (ROOT / "components/plan/replacements.py").read_text() == rendered


@pytest.mark.parametrize(
    ("tf_path", "token", "expected"),
    [
        ("encryption_configuration", "aws:ecr/repository:Repository", "encryptionConfigurations"),
        (
            "kubernetes_network_config.service_ipv4_cidr",
            "aws:eks/cluster:Cluster",
            "kubernetesNetworkConfig.serviceIpv4Cidr",
        ),
        ("username", "aws:rds/instance:Instance", "username"),
        # A block the SDK types as a list is indexed in a plan; one of at most one item is an object.
        ("ebs_block_device.volume_size", "aws:ec2/instance:Instance", "ebsBlockDevices[*].volumeSize"),
        ("network_interface.device_index", "aws:ec2/instance:Instance", "networkInterfaces[*].deviceIndex"),
        ("root_block_device.volume_size", "aws:ec2/instance:Instance", "rootBlockDevice.volumeSize"),
        (
            "root_directory.creation_info.owner_gid",
            "aws:efs/accessPoint:AccessPoint",
            "rootDirectory.creationInfo.ownerGid",
        ),
    ],
)
def test_terraform_names_become_the_plans_names(tf_path: str, token: str, expected: str) -> None:
    assert GENERATOR["pulumi_path"](tf_path, GENERATOR["sdk_inputs"](token), token) == expected


def test_a_name_the_sdk_does_not_have_is_refused() -> None:
    token = "aws:rds/instance:Instance"
    with pytest.raises(SystemExit, match="aws:rds/instance:Instance has no input 'name_that_is_not'"):
        GENERATOR["pulumi_path"]("name_that_is_not", GENERATOR["sdk_inputs"](token), token)


def test_every_type_whose_replacement_loses_data_has_facts() -> None:
    missing = sorted(t for t in LOSES_DATA_ON_REPLACE if forcing_inputs(t) is None)
    assert missing == []
    assert {"encrypted", "performanceMode", "creationToken", "kmsKeyId", "availabilityZoneName"} == set(
        REPLACE_ON_CHANGE["aws:efs/fileSystem:FileSystem"]
    )
    assert {"masterUsername", "databaseName", "engine", "storageEncrypted", "kmsKeyId", "clusterIdentifier"} <= set(
        REPLACE_ON_CHANGE["aws:rds/cluster:Cluster"]
    )


def test_every_entry_names_the_commit_it_was_read_from() -> None:
    extract = json.loads((ROOT / "tests/vendor/terraform-provider-aws/force_new.json").read_text())
    unnamed = sorted(name for name, entry in extract["resources"].items() if not entry["commit"])
    assert unnamed == []
    assert all(len(entry["commit"]) == 40 for entry in extract["resources"].values())


def test_a_change_inside_a_list_block_replaces_an_instance() -> None:
    """A plan records ``ebsBlockDevices`` as a list: the changed input's path has an index."""
    forcing = REPLACE_ON_CHANGE["aws:ec2/instance:Instance"]
    assert forces_replacement("ebsBlockDevices[0].volumeSize", forcing)
    assert forces_replacement("networkInterfaces[1].deviceIndex", forcing)
    # The root device is one block, an object in the plan.
    assert forces_replacement("rootBlockDevice.encrypted", forcing)

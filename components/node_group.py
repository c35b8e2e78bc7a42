"""What every EKS managed node group here shares: its node role and a hardened launch template."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_aws as aws

from components.iam import service_role

NODE_POLICIES = (
    "AmazonEKSWorkerNodePolicy",
    "AmazonEKS_CNI_Policy",
    "AmazonEC2ContainerRegistryPullOnly",
)
"""The only managed policies nodes need: join the cluster, run the VPC CNI, pull images."""

DESIRED_SIZE = "scalingConfig.desiredSize"
"""Left to the cluster-autoscaler: ``pulumi up`` never resets it (``ignore_changes``)."""


def node_role(name: str, *, parent: pulumi.Resource) -> aws.iam.Role:
    """The EC2 role of a node group's instances."""
    return service_role(name, "ec2.amazonaws.com", NODE_POLICIES, parent=parent)


def root_device(bottlerocket: bool) -> str:
    """Device that holds images and pods: Bottlerocket keeps them on its second volume."""
    return "/dev/xvdb" if bottlerocket else "/dev/xvda"


def launch_template(
    name: str,
    *,
    disk_size_gib: int,
    imds_hop_limit: int,
    security_group_id: pulumi.Input[str],
    tags: Mapping[str, str],
    bottlerocket: bool,
    parent: pulumi.Resource,
) -> aws.ec2.LaunchTemplate:
    """IMDSv2 only, an encrypted gp3 volume, no public IP, tags on instances and volumes."""
    return aws.ec2.LaunchTemplate(
        name,
        description=f"Nodes of {name}: IMDSv2, encrypted gp3, private",
        update_default_version=True,
        metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
            http_endpoint="enabled",
            http_tokens="required",
            http_put_response_hop_limit=imds_hop_limit,
        ),
        block_device_mappings=[
            aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                device_name=root_device(bottlerocket),
                ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                    volume_size=disk_size_gib,
                    volume_type="gp3",
                    encrypted="true",
                    delete_on_termination="true",
                ),
            )
        ],
        network_interfaces=[
            aws.ec2.LaunchTemplateNetworkInterfaceArgs(
                associate_public_ip_address="false",
                delete_on_termination="true",
                security_groups=[security_group_id],
            )
        ],
        tag_specifications=[
            aws.ec2.LaunchTemplateTagSpecificationArgs(resource_type=kind, tags=dict(tags))
            for kind in ("instance", "volume")
        ],
        opts=pulumi.ResourceOptions(parent=parent),
    )

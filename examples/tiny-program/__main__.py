"""A team's own Pulumi program using the components, planned offline with our policies:

mlops plan --stack dev --program examples/tiny-program
"""

import pulumi
import pulumi_aws as aws

from components.artifact_bucket import ArtifactBucket

team = pulumi.Config().require("team")
provider = aws.Provider(
    "aws",
    region=pulumi.Config("aws").require("region"),
    default_tags=aws.ProviderDefaultTagsArgs(
        tags={"team": team, "cost-center": "cc-0001", "environment": pulumi.get_stack()}
    ),
)
features = ArtifactBucket(
    "features",
    {"noncurrent_version_days": 30, "protect": pulumi.get_stack() == "prod"},
    pulumi.ResourceOptions(providers={"aws": provider}),
)
pulumi.export("bucket", features.bucket_name)
pulumi.export("readFeatures", features.policy_document("features/online/"))

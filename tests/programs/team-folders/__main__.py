"""A team's program whose own ``infra`` and ``policies`` packages must not clash with the
installed mlops-platform (tests/stack/test_wheel.py plans it from the built wheel)."""

import pulumi
import pulumi_aws as aws
from policies.naming import bucket_name

from components import ArtifactBucket
from infra.tags import team_tags

provider = aws.Provider("aws", region="us-east-1", default_tags=aws.ProviderDefaultTagsArgs(tags=team_tags()))
features = ArtifactBucket(bucket_name("features"), {}, pulumi.ResourceOptions(providers={"aws": provider}))
pulumi.export("bucket", features.bucket_name)

"""A team's own Pulumi program, planned offline with our policies:

mlops plan --stack dev --program examples/tiny-program
"""

import pulumi
import pulumi_aws as aws

team = pulumi.Config().require("team")
provider = aws.Provider(
    "aws",
    region=pulumi.Config("aws").require("region"),
    default_tags=aws.ProviderDefaultTagsArgs(
        tags={"team": team, "cost-center": "cc-0001", "environment": pulumi.get_stack()}
    ),
)
queue = aws.sqs.Queue(
    "requests",
    sqs_managed_sse_enabled=True,
    opts=pulumi.ResourceOptions(provider=provider),
)
pulumi.export("queueUrl", queue.url)

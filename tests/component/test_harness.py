"""The offline harness itself: what the monitor records and what the mocks answer."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from components.plan.mocks import ACCOUNT_ID
from tests.conftest import RunProgram

pytestmark = pytest.mark.component


def test_graph_options_and_realistic_outputs_are_recorded(run: RunProgram) -> None:
    seen: dict[str, Any] = {}

    def program() -> None:
        provider = aws.Provider("aws", region="eu-west-1")
        key = aws.kms.Key("key", enable_key_rotation=True, opts=pulumi.ResourceOptions(provider=provider))
        bucket = aws.s3.Bucket(
            "data",
            opts=pulumi.ResourceOptions(
                provider=provider,
                protect=True,
                retain_on_delete=True,
                ignore_changes=["tags"],
                depends_on=[key],
            ),
        )
        repo = aws.ecr.Repository("serving", opts=pulumi.ResourceOptions(provider=provider))
        pulumi.Output.all(bucket.arn, key.arn, repo.repository_url).apply(lambda v: seen.update(values=v))
        pulumi.export("bucket", bucket.bucket)
        pulumi.export("token", pulumi.Output.secret("s3cr3t"))

    recording = run(program, config={"aws:region": "eu-west-1"})
    by_name = {r.name: r for r in recording.resources}
    bucket = by_name["data"]
    assert bucket.urn == "urn:pulumi:dev::mlops-platform::aws:s3/bucket:Bucket::data"
    assert (bucket.protect, bucket.retain_on_delete, bucket.ignore_changes) == (
        True,
        True,
        ["tags"],
    )
    assert bucket.dependencies == [by_name["key"].urn]
    assert bucket.provider == by_name["aws"].urn
    assert by_name["key"].inputs["enableKeyRotation"] is True
    bucket_arn, key_arn, repo_url = seen["values"]
    assert bucket_arn.startswith("arn:aws:s3:::data-")
    assert key_arn.startswith(f"arn:aws:kms:eu-west-1:{ACCOUNT_ID}:key/")
    assert repo_url.startswith(f"{ACCOUNT_ID}.dkr.ecr.eu-west-1.amazonaws.com/serving-")
    assert recording.outputs["bucket"] == bucket_arn.removeprefix("arn:aws:s3:::")
    assert recording.outputs["token"] == "[secret]"


def test_each_run_starts_clean(run: RunProgram) -> None:
    first = run(lambda: aws.sqs.Queue("one"))
    second = run(lambda: aws.sqs.Queue("two"), stack="prod")
    assert [r.name for r in first.resources if r.custom] == ["one"]
    assert [r.name for r in second.resources if r.custom] == ["two"]
    assert second.resources[0].urn.startswith("urn:pulumi:prod::")


def test_config_is_injected(run: RunProgram) -> None:
    values: dict[str, Any] = {}

    def program() -> None:
        values["team"] = pulumi.Config().require("team")
        values["secret"] = pulumi.Config().get_secret("token")

    run(
        program,
        config={"mlops-platform:team": "fraud", "mlops-platform:token": "x"},
        secret_keys=["mlops-platform:token"],
    )
    assert values["team"] == "fraud"
    assert isinstance(values["secret"], pulumi.Output)


def test_program_errors_propagate(run: RunProgram) -> None:
    def program() -> None:
        raise ValueError("bad input")

    with pytest.raises(ValueError, match="bad input"):
        run(program)

"""`make destroy` end to end on the local AWS (deploy/teardown.py), after a deploy as in test_deploy_steps.py."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest

from deploy.deployment import SECRET_PARAMETER
from deploy.stack import DeployError, Stack
from tests.deploy_fakes import OPERATOR_ENV, SECRET, deployment, teardown

# The `project` fixture: a copy of the files `make deploy` reads and writes.
pytest_plugins = ["tests.deploy_project"]


def deployed(project: Path, stage: str) -> dict[str, str]:
    made, stacks, _, _ = deployment(project, stage, OPERATOR_ENV)
    made.deploy()
    (project / ".chalice" / "deployed").mkdir(exist_ok=True)
    (project / ".chalice" / "deployed" / f"{stage}.json").write_text("{}", encoding="utf-8")  # as chalice leaves it
    outputs = stacks.stacks[f"letterbox-{stage}"].outputs
    boto3.client("s3").put_object(Bucket=outputs["BucketName"], Key="submissions/a/2026/11/25/x.json", Body=b"{}")
    return outputs


def test_destroy_keeps_the_bucket_and_says_so(project: Path, aws_endpoint: str) -> None:
    outputs = deployed(project, "keep")
    made, _, chalice, out = teardown(project, "keep", {})
    made.stacks.stacks["letterbox-keep"] = Stack("letterbox-keep", "CREATE_COMPLETE", outputs, {})  # type: ignore[attr-defined]

    made.destroy()

    assert chalice.commands() == [["delete", "--stage", "keep"]]
    assert chalice.calls[0][1]["LETTERBOX_NOTIFY_QUEUE"] == outputs["NotifyQueueName"]
    assert made.stacks.calls == [("delete", "letterbox-keep", {})]  # type: ignore[attr-defined]
    s3 = boto3.client("s3")
    assert s3.list_objects_v2(Bucket=outputs["BucketName"])["KeyCount"] == 1
    assert f"Kept: bucket {outputs['BucketName']} (1 objects" in out.getvalue()
    assert "make destroy STAGE=keep DELETE_DATA=1" in out.getvalue()
    for parameter in (SECRET_PARAMETER.format(stage="keep"), "/letterbox/keep/signing-key"):
        with pytest.raises(boto3.client("ssm").exceptions.ParameterNotFound):
            boto3.client("ssm").get_parameter(Name=parameter)


def test_destroy_with_delete_data_asks_then_removes_every_version(project: Path, aws_endpoint: str) -> None:
    outputs = deployed(project, "wipe")
    s3, bucket = boto3.client("s3"), outputs["BucketName"]
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket=bucket, Key="notified/x", Body=b"1")
    s3.put_object(Bucket=bucket, Key="notified/x", Body=b"2")
    s3.delete_object(Bucket=bucket, Key="notified/x")  # a delete marker, and two old versions

    made, _, _, _ = teardown(project, "wipe", {}, delete_data=True, answers=["no"])
    with pytest.raises(DeployError, match="not confirmed"):
        made.destroy()
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 1

    made, _, _, out = teardown(project, "wipe", {}, delete_data=True, answers=[bucket])
    try:
        made.destroy()
        assert bucket not in {b["Name"] for b in s3.list_buckets()["Buckets"]}
        assert f"deleted bucket {bucket} and 4 object versions" in out.getvalue()
    finally:
        # moto 5.2.1 keeps the deleted keys, and /moto-api/data.json (which the notify tests read)
        # then fails looking up their bucket: an empty bucket of that name keeps it answering.
        s3.create_bucket(Bucket=bucket)


def test_destroy_leaves_a_parameter_the_operator_created(project: Path, aws_endpoint: str) -> None:
    ssm = boto3.client("ssm")
    ssm.put_parameter(Name="/campaign/theirs", Value=SECRET, Type="SecureString", Overwrite=True)
    env = {k: v for k, v in OPERATOR_ENV.items() if k != "HCAPTCHA_SECRET"}
    deployment(project, "theirs", {**env, "HCAPTCHA_SECRET_PARAMETER": "/campaign/theirs"})[0].deploy()

    made, _, _, out = teardown(project, "theirs", {})
    made.destroy()

    assert ssm.get_parameter(Name="/campaign/theirs")["Parameter"]["Name"] == "/campaign/theirs"
    assert "kept SSM parameter /campaign/theirs" in out.getvalue()

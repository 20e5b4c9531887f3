"""infra/template.yaml: lint it, apply it to a local moto server, check what exists over HTTP."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

import boto3
import pytest
from moto.server import ThreadedMotoServer

from chalicelib.core.attachments import ATTACHMENTS_PREFIX, UPLOADS_PREFIX
from chalicelib.core.storage import SUBMISSIONS_PREFIX
from chalicelib.notify.markers import MARKER_PREFIX
from devstack.infra import TEMPLATE, apply_template
from infra.template import TemplateError, load_template

# moto keeps one state per process, shared by every server it runs: a stage of our own
# keeps this module off the resources that conftest's `stack` fixture created.
STAGE = "infra-test"
PARAMETERS = {
    "Stage": STAGE,
    "RetentionDays": "30",
    "OrganizerEmails": "organizer@example.org",
    "UploadOrigins": "https://campaign.example,https://www.campaign.example",
}
# What letterbox writes about a submission, kept for RetentionDays; and what it writes at all.
RETAINED_PREFIXES = (SUBMISSIONS_PREFIX, ATTACHMENTS_PREFIX, MARKER_PREFIX)
WRITTEN_PREFIXES = (*RETAINED_PREFIXES, UPLOADS_PREFIX)
ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def _cfn_lint_command() -> list[str]:
    # cfnlint has no __main__ module, so `python -m cfnlint` does not run; call its entry point.
    script = Path(sys.executable).with_name("cfn-lint")
    if script.exists():
        return [str(script)]
    found = shutil.which("cfn-lint")
    if found:
        return [found]
    return [sys.executable, "-c", "import sys; from cfnlint.runner import main; sys.exit(main())"]


def test_cfn_lint_passes() -> None:
    result = subprocess.run([*_cfn_lint_command(), str(TEMPLATE)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_template_denies_insecure_transport() -> None:
    # The loader cannot apply this statement to moto (see devstack/infra.py), so check it here.
    statement = load_template(TEMPLATE)["Resources"]["SubmissionsBucketPolicy"]["Properties"]["PolicyDocument"][
        "Statement"
    ][0]
    assert statement["Effect"] == "Deny"
    assert statement["Action"] == "s3:*"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert len(statement["Resource"]) == 2
    assert statement["Resource"][1]["Fn::Sub"].endswith("/*")


@pytest.fixture(scope="module")
def moto_env() -> Iterator[dict[str, str]]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    env = {**ENV, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{server._server.server_port}"}  # type: ignore[union-attr]
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    try:
        yield env
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        server.stop()


@pytest.fixture(scope="module")
def outputs(moto_env: dict[str, str]) -> dict[str, str]:
    return apply_template(TEMPLATE, PARAMETERS)


def _queue_attributes(url: str) -> dict[str, str]:
    attributes = boto3.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return {str(name): value for name, value in attributes.items()}


def test_outputs(outputs: dict[str, str]) -> None:
    assert outputs["BucketName"] == f"letterbox-{STAGE}-123456789012-us-east-1"
    assert outputs["NotifyQueueName"] == f"letterbox-{STAGE}-notify"
    assert outputs["NotifyQueueArn"] == f"arn:aws:sqs:us-east-1:123456789012:letterbox-{STAGE}-notify"
    assert outputs["NotifyQueueUrl"].endswith(f"/123456789012/letterbox-{STAGE}-notify")
    assert outputs["DeadLetterQueueUrl"].endswith(f"/123456789012/letterbox-{STAGE}-notify-dlq")
    assert outputs["AlarmTopicArn"] == f"arn:aws:sns:us-east-1:123456789012:letterbox-{STAGE}-alarms"


def test_bucket_is_private_and_encrypted(outputs: dict[str, str]) -> None:
    s3, bucket = boto3.client("s3"), outputs["BucketName"]
    rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert block == dict.fromkeys(
        ["BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"], True
    )
    ownership = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"]
    assert ownership == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Suspended"


def test_lifecycle_rules(outputs: dict[str, str]) -> None:
    rules = {
        rule["ID"]: rule
        for rule in boto3.client("s3").get_bucket_lifecycle_configuration(Bucket=outputs["BucketName"])["Rules"]
    }
    assert set(rules) == {
        "expire-submissions",
        "expire-attachments",
        "expire-notified-markers",
        "expire-noncurrent-versions",
        "abort-incomplete-multipart",
        "expire-unreferenced-uploads",
    }
    assert rules["expire-submissions"]["Filter"] == {"Prefix": "submissions/"}
    assert rules["expire-submissions"]["Expiration"] == {"Days": 30}
    assert rules["expire-attachments"]["Filter"] == {"Prefix": "attachments/"}
    assert rules["expire-attachments"]["Expiration"] == {"Days": 30}
    assert rules["abort-incomplete-multipart"]["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 1}
    assert rules["expire-unreferenced-uploads"]["Filter"] == {"Prefix": "uploads/"}
    assert rules["expire-unreferenced-uploads"]["Expiration"] == {"Days": 1}
    assert all(rule["Status"] == "Enabled" for rule in rules.values())


def test_browsers_may_post_uploads_from_the_campaign_origins_only(outputs: dict[str, str]) -> None:
    [rule] = boto3.client("s3").get_bucket_cors(Bucket=outputs["BucketName"])["CORSRules"]

    assert rule["AllowedMethods"] == ["POST"]
    assert rule["AllowedOrigins"] == ["https://campaign.example", "https://www.campaign.example"]
    assert rule["MaxAgeSeconds"] == 600


def test_bucket_notifies_the_queue(outputs: dict[str, str]) -> None:
    config = boto3.client("s3").get_bucket_notification_configuration(Bucket=outputs["BucketName"])
    [queue] = config["QueueConfigurations"]
    assert queue["QueueArn"] == outputs["NotifyQueueArn"]
    assert queue["Events"] == ["s3:ObjectCreated:*"]
    assert queue["Filter"]["Key"]["FilterRules"] == [{"Name": "prefix", "Value": "submissions/"}]


def test_queues(outputs: dict[str, str]) -> None:
    notify, dlq = _queue_attributes(outputs["NotifyQueueUrl"]), _queue_attributes(outputs["DeadLetterQueueUrl"])
    assert json.loads(notify["RedrivePolicy"]) == {"deadLetterTargetArn": dlq["QueueArn"], "maxReceiveCount": 5}
    assert int(notify["VisibilityTimeout"]) >= 6 * 60
    assert notify["MessageRetentionPeriod"] == dlq["MessageRetentionPeriod"] == "1209600"
    assert notify["SqsManagedSseEnabled"] == dlq["SqsManagedSseEnabled"] == "true"
    [statement] = json.loads(notify["Policy"])["Statement"]
    assert statement["Principal"] == {"Service": "s3.amazonaws.com"}
    assert statement["Action"] == "sqs:SendMessage"
    assert statement["Condition"]["ArnEquals"]["aws:SourceArn"] == f"arn:aws:s3:::{outputs['BucketName']}"
    assert statement["Condition"]["StringEquals"]["aws:SourceAccount"] == "123456789012"


def test_dead_letter_alarm(outputs: dict[str, str]) -> None:
    [alarm] = boto3.client("cloudwatch").describe_alarms(AlarmNamePrefix=f"letterbox-{STAGE}-")["MetricAlarms"]
    assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/SQS", "ApproximateNumberOfMessagesVisible")
    assert alarm["Dimensions"] == [{"Name": "QueueName", "Value": f"letterbox-{STAGE}-notify-dlq"}]
    assert (alarm["Statistic"], alarm["Period"], alarm["EvaluationPeriods"]) == ("Maximum", 300, 1)
    assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (1.0, "GreaterThanOrEqualToThreshold")
    assert alarm["TreatMissingData"] == "notBreaching"
    assert alarm["AlarmActions"] == [outputs["AlarmTopicArn"]]
    subscriptions = boto3.client("sns").list_subscriptions_by_topic(TopicArn=outputs["AlarmTopicArn"])
    assert [(s["Protocol"], s["Endpoint"]) for s in subscriptions["Subscriptions"]] == [
        ("email", "organizer@example.org")
    ]


def _receive_until_object_created(url: str, deadline: float) -> tuple[list[str], dict[str, Any]]:
    """Events seen on the queue, in order, up to and including the first ObjectCreated record."""
    sqs, seen = boto3.client("sqs"), []
    while time.monotonic() < deadline:
        for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", []):
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            body = json.loads(message["Body"])
            if body.get("Event") == "s3:TestEvent":
                seen.append("s3:TestEvent")
            for record in body.get("Records", []):
                seen.append(record["eventName"])
                if record["eventName"].startswith("ObjectCreated:"):
                    return seen, record
    raise AssertionError(f"no ObjectCreated record arrived; saw {seen}")


def test_submission_put_reaches_the_notify_queue(outputs: dict[str, str]) -> None:
    boto3.client("s3").put_object(Bucket=outputs["BucketName"], Key="submissions/x.json", Body=b"{}")
    seen, record = _receive_until_object_created(outputs["NotifyQueueUrl"], time.monotonic() + 20)
    assert seen[0] == "s3:TestEvent"  # S3 announces a new notification configuration first
    assert record["eventSource"] == "aws:s3"
    assert record["s3"]["bucket"]["name"] == outputs["BucketName"]
    # Event keys are form-URL-encoded (moto 5.2.1 encodes "/" too): consumers must unquote_plus.
    assert unquote_plus(record["s3"]["object"]["key"]) == "submissions/x.json"


def test_objects_outside_submissions_are_not_announced(outputs: dict[str, str]) -> None:
    sqs, url = boto3.client("sqs"), outputs["NotifyQueueUrl"]
    boto3.client("s3").put_object(Bucket=outputs["BucketName"], Key="uploads/y.bin", Body=b"y")
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
    assert [m["Body"] for m in messages if "Records" in json.loads(m["Body"])] == []


def test_apply_twice_is_harmless(outputs: dict[str, str]) -> None:
    assert apply_template(TEMPLATE, PARAMETERS) == outputs
    subscriptions = boto3.client("sns").list_subscriptions_by_topic(TopicArn=outputs["AlarmTopicArn"])
    assert len(subscriptions["Subscriptions"]) == 1


@pytest.fixture(scope="module")
def kept_rules(moto_env: dict[str, str]) -> list[dict[str, Any]]:
    """The lifecycle rules of a stage applied with RetentionDays 0 (and versioning on)."""
    apply_template(TEMPLATE, {"Stage": "infra-keep", "Versioning": "Enabled"})
    bucket = "letterbox-infra-keep-123456789012-us-east-1"
    rules: list[Any] = boto3.client("s3").get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    return rules


def _bucket_rules(outputs: dict[str, str]) -> list[dict[str, Any]]:
    rules: list[Any] = boto3.client("s3").get_bucket_lifecycle_configuration(Bucket=outputs["BucketName"])["Rules"]
    return rules


def _covering(rules: list[dict[str, Any]], prefix: str) -> list[dict[str, Any]]:
    """The enabled rules that apply to every key under `prefix` (a rule without a prefix applies to all)."""
    return [r for r in rules if r["Status"] == "Enabled" and prefix.startswith(r.get("Filter", {}).get("Prefix", ""))]


def _expiry_days(rules: list[dict[str, Any]], prefix: str) -> list[int]:
    return [r["Expiration"]["Days"] for r in _covering(rules, prefix) if "Days" in r.get("Expiration", {})]


def test_retention_zero_keeps_submissions(kept_rules: list[dict[str, Any]]) -> None:
    assert {"expire-submissions", "expire-attachments", "expire-notified-markers"}.isdisjoint(
        rule["ID"] for rule in kept_rules
    )
    for prefix in RETAINED_PREFIXES:
        assert _expiry_days(kept_rules, prefix) == [], prefix
    assert _expiry_days(kept_rules, UPLOADS_PREFIX) == [1]


@pytest.mark.parametrize("prefix", RETAINED_PREFIXES)
def test_retention_covers_every_prefix_letterbox_writes_about_a_submission(
    outputs: dict[str, str], prefix: str
) -> None:
    # PARAMETERS keeps submissions 30 days: their attachments and notified/ markers go with them.
    assert _expiry_days(_bucket_rules(outputs), prefix) == [30]


def test_unreferenced_uploads_expire_after_a_day_whatever_the_retention(
    outputs: dict[str, str], kept_rules: list[dict[str, Any]]
) -> None:
    assert _expiry_days(_bucket_rules(outputs), UPLOADS_PREFIX) == [1]
    assert _expiry_days(kept_rules, UPLOADS_PREFIX) == [1]


@pytest.mark.parametrize("prefix", WRITTEN_PREFIXES)
def test_old_versions_expire_under_every_prefix_whatever_the_retention(
    outputs: dict[str, str], kept_rules: list[dict[str, Any]], prefix: str
) -> None:
    # With versioning on, a deleted or expired object stays as an old version until this rule removes it.
    for rules in (_bucket_rules(outputs), kept_rules):
        noncurrent = [
            r["NoncurrentVersionExpiration"] for r in _covering(rules, prefix) if "NoncurrentVersionExpiration" in r
        ]
        assert noncurrent == [{"NoncurrentDays": 1}], prefix
        assert any(r.get("Expiration", {}).get("ExpiredObjectDeleteMarker") for r in _covering(rules, prefix))


def test_the_template_has_a_retention_rule_for_each_retained_prefix() -> None:
    # The same, read from the template: each retained prefix has a rule on RetentionDays, dropped when it is 0.
    rules = load_template(TEMPLATE)["Resources"]["SubmissionsBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    conditional = [rule["Fn::If"] for rule in rules if "Fn::If" in rule]
    assert {condition for condition, _, _ in conditional} == {"HasRetention"}
    assert {kept["Prefix"] for _, kept, _ in conditional} == set(RETAINED_PREFIXES)
    for _, kept, dropped in conditional:
        assert kept["ExpirationInDays"] == {"Ref": "RetentionDays"}
        assert dropped == {"Ref": "AWS::NoValue"}


def test_cli_prints_the_outputs(moto_env: dict[str, str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "devstack.infra", "--stage", "infra-cli", "-p", "RetentionDays=7"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **moto_env},
        cwd=TEMPLATE.parent.parent,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["BucketName"] == "letterbox-infra-cli-123456789012-us-east-1"


@pytest.mark.parametrize(
    ("resource", "message"),
    [
        ({"Type": "AWS::Lambda::Function", "Properties": {}}, "AWS::Lambda::Function is not supported"),
        (
            {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "q", "FifoQueue": True}},
            "does not support FifoQueue",
        ),
    ],
)
def test_what_the_loader_cannot_apply_fails_before_any_call(
    tmp_path: Path, resource: dict[str, Any], message: str
) -> None:
    template = tmp_path / "template.yaml"
    template.write_text(json.dumps({"Resources": {"Thing": resource}}), encoding="utf-8")
    # The check runs before the first AWS call, so no half-applied stack is left behind.
    with pytest.raises(TemplateError, match=message):
        apply_template(template, {})

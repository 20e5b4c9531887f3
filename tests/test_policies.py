"""The policies rendered from a stack's outputs (deploy/policies.py), and the policy check: no wildcard
action, no wildcard resource where a narrower one exists, in the rendered policies and in
infra/template.yaml.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from deploy import policies
from infra.template import load_template
from tests.conftest import TEMPLATE
from tests.deploy_fakes import ACCOUNT, KMS_KEY, OUTPUTS, REGION, SENDER, context, statements

SIGNING_KEY_ARN = f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/letterbox/prod/signing-key"


def test_the_api_policy_grants_its_prefixes_and_nothing_else() -> None:
    found = statements(policies.api_policy(context()))
    bucket = f"arn:aws:s3:::{OUTPUTS['BucketName']}"

    assert found["StoreAndFindSubmissions"]["Action"] == ["s3:PutObject", "s3:GetObject"]
    assert found["StoreAndFindSubmissions"]["Resource"] == [f"{bucket}/submissions/*"]
    listing = found["ListSubmissionsAndUploadsOnly"]
    assert listing["Action"] == ["s3:ListBucket"]
    assert listing["Resource"] == [bucket]
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["submissions/*", "uploads/*"]}}
    assert found["ReceiveUploads"]["Resource"] == [f"{bucket}/uploads/*"]
    assert found["KeepAttachments"]["Resource"] == [f"{bucket}/attachments/*"]
    assert found["ReadTheWall"]["Action"] == ["s3:GetObject"]
    assert found["ReadTheWall"]["Resource"] == [f"{bucket}/wall/*"]
    assert found["ListTheWallOnly"]["Condition"] == {"StringLike": {"s3:prefix": ["wall/*"]}}
    assert found["ReadCaptchaSecret"] == {
        "Sid": "ReadCaptchaSecret",
        "Effect": "Allow",
        "Action": ["ssm:GetParameter"],
        "Resource": [f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/letterbox/prod/hcaptcha-secret"],
    }
    assert found["ReadTheSigningKey"] == {
        "Sid": "ReadTheSigningKey",
        "Effect": "Allow",
        "Action": ["ssm:GetParameter"],
        "Resource": [SIGNING_KEY_ARN],
    }
    assert found["WriteOwnLogs"]["Resource"] == [
        f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/letterbox-prod:*"
    ]
    granted = {action for s in found.values() for action in s["Action"]}
    assert not {a for a in granted if a.startswith(("ses:", "sqs:"))}  # the API sends no mail, reads no queue
    assert "UseBucketKeyThroughS3" not in found


def test_the_notify_policy_grants_its_prefixes_its_sender_and_its_queue() -> None:
    found = statements(policies.notify_policy(context()))
    bucket = f"arn:aws:s3:::{OUTPUTS['BucketName']}"

    assert found["ReadSubmissions"]["Action"] == ["s3:GetObject"]
    assert found["ReadSubmissions"]["Resource"] == [f"{bucket}/submissions/*"]
    assert set(found["ClaimAndMarkNotifications"]["Action"]) == {"s3:GetObject", "s3:PutObject", "s3:DeleteObject"}
    assert found["ClaimAndMarkNotifications"]["Resource"] == [f"{bucket}/notified/*"]
    assert set(found["SendAsTheSender"]["Action"]) == {"ses:SendEmail", "ses:SendRawEmail"}
    assert found["SendAsTheSender"]["Resource"] == [f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/{SENDER}"]
    assert set(found["ConsumeTheNotifyQueue"]["Action"]) == {
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
        "sqs:ChangeMessageVisibility",
        "sqs:GetQueueUrl",
    }
    assert found["ConsumeTheNotifyQueue"]["Resource"] == [OUTPUTS["NotifyQueueArn"]]
    # The notify function needs no hCaptcha secret: its one parameter is the signing key (review links).
    parameters = [s for s in found.values() if "ssm:GetParameter" in s["Action"]]
    assert parameters == [found["ReadTheSigningKey"]]
    assert found["ReadTheSigningKey"]["Resource"] == [SIGNING_KEY_ARN]
    assert found["ListSubmissionsOnly"]["Condition"] == {"StringLike": {"s3:prefix": ["submissions/*"]}}


def test_the_digest_schedule_may_only_queue_onto_the_notify_queue_and_log() -> None:
    found = statements(policies.digests_policy(context(kms_key_arn=KMS_KEY)))

    assert found["QueueDueDigests"]["Action"] == ["sqs:GetQueueUrl", "sqs:SendMessage"]
    assert found["QueueDueDigests"]["Resource"] == [OUTPUTS["NotifyQueueArn"]]
    assert found["WriteOwnLogs"]["Resource"] == [
        f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/letterbox-prod-digests:*"
    ]
    assert set(found) == {"QueueDueDigests", "WriteOwnLogs"}  # no bucket, no SES, no KMS key


def test_the_api_gains_nothing_from_the_digests() -> None:
    granted = {action for s in policies.api_policy(context()).get("Statement", []) for action in s["Action"]}
    assert not {a for a in granted if a.startswith(("sqs:", "ses:", "events:"))}


def test_with_sse_kms_both_functions_may_use_the_key_through_s3_only() -> None:
    rendered = policies.render_policies(context(kms_key_arn=KMS_KEY))
    for name, document in rendered.items():
        if name.endswith("-digests.json"):
            continue  # it touches no bucket
        kms = statements(document)["UseBucketKeyThroughS3"]
        assert kms["Resource"] == [KMS_KEY]
        assert set(kms["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey"}
        assert kms["Condition"] == {"StringEquals": {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}}


@pytest.mark.parametrize(
    "changes",
    [{}, {"kms_key_arn": KMS_KEY}, {"secret_parameter": ""}, {"secret_parameter": "letterbox-no-slash"}],
)
def test_every_rendered_policy_passes_the_wildcard_check(changes: dict[str, str]) -> None:
    rendered = policies.render_policies(context(**changes))  # raises PolicyError on a wildcard
    assert set(rendered) == {"policy-prod-api.json", "policy-prod-notify.json", "policy-prod-digests.json"}
    for name, document in rendered.items():
        assert policies.policy_problems(document, name) == []


def test_the_infra_templates_policies_pass_the_wildcard_check() -> None:
    template = load_template(TEMPLATE)
    found = dict(policies.template_policies(template))
    assert set(found) == {"SubmissionsBucketPolicy", "NotifyQueuePolicy"}
    assert policies.check_template(template, "infra/template.yaml") == []


def allow(action: Any, resource: Any, **more: Any) -> dict[str, Any]:
    return {"Sid": "Probe", "Effect": "Allow", "Action": action, "Resource": resource, **more}


@pytest.mark.parametrize(
    ("statement", "problem"),
    [
        (allow("*", "arn:aws:s3:::b/x"), "wildcard action '*'"),
        (allow("s3:*", "arn:aws:s3:::b/x"), "wildcard action 's3:*'"),
        (allow("s3:Get*", "arn:aws:s3:::b/x"), "wildcard action 's3:Get*'"),
        (allow("s3:GetObject", "*"), "wildcard resource '*'"),
        (allow(["s3:GetObject"], ["arn:aws:s3:::b/x", "arn:aws:s3:::*"]), "wildcard resource 'arn:aws:s3:::*'"),
        (allow("logs:PutLogEvents", "arn:aws:logs:*:*:*"), "wildcard resource 'arn:aws:logs:*:*:*'"),
        (allow("sqs:SendMessage", "arn:aws:sqs:us-east-1:*:q"), "wildcard resource"),
        (allow("sqs:ChangeMessageVisibilty", "arn:aws:sqs:us-east-1:1:q"), "unknown action"),
        ({"Sid": "Probe", "Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}, "uses NotAction"),
        ({"Sid": "Probe", "Effect": "Allow", "Action": "s3:GetObject", "NotResource": "x"}, "uses NotResource"),
    ],
)
def test_the_check_names_the_offending_statement(statement: dict[str, Any], problem: str) -> None:
    document = {"Version": "2012-10-17", "Statement": [statement]}

    [found] = policies.policy_problems(document, "probe.json")

    assert problem in found
    assert found.startswith("probe.json statement Probe:")
    assert json.dumps(statement, sort_keys=True) in found  # the statement itself, to find it
    with pytest.raises(policies.PolicyError, match=r"probe\.json statement Probe"):
        policies.check_policy(document, "probe.json")


@pytest.mark.parametrize(
    "statement",
    [
        allow("xray:PutTraceSegments", "*"),  # an action no resource can narrow: "*" is the only choice
        {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"},  # a Deny only takes away
        allow("s3:GetObject", {"Fn::Sub": "arn:${AWS::Partition}:s3:::letterbox-${Stage}/submissions/*"}),
        allow("sqs:SendMessage", {"Fn::GetAtt": ["NotifyQueue", "Arn"]}),
    ],
)
def test_the_check_lets_narrow_statements_pass(statement: dict[str, Any]) -> None:
    assert policies.policy_problems({"Statement": [statement]}) == []


def test_chalices_generated_policy_would_not_pass() -> None:
    # What autogen_policy gives every function: logs on every group, in every region.
    generated = {"Statement": [allow(["logs:CreateLogGroup", "logs:CreateLogStream"], "arn:*:logs:*:*:*")]}
    assert policies.policy_problems(generated)

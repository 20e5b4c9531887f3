"""The policies are enough: every AWS call the API and the notify handler make (recorded while they run
against the local AWS) is allowed by the rendered policy of that function.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from chalice.test import Client

from app import app, notify
from chalicelib import runtime
from chalicelib.core import ids
from chalicelib.core.attachments import UploadedFile
from chalicelib.core.signing_keys import derived_key
from chalicelib.notify.batch import BatchPartiallyFailed
from deploy import policies
from devstack.infra import apply_template
from devstack.stack import put_signing_key
from tests.conftest import CAMPAIGN_ORIGIN, TEMPLATE, TEST_SECRET, TEST_TOKEN
from tests.deploy_fakes import OUTPUTS, SENDER, context
from tests.iam_simulator import CallRecorder, denied_calls


@pytest.fixture
def policy_stack(aws_endpoint: str) -> dict[str, str]:
    return apply_template(TEMPLATE, {"Stage": "policy", "SenderAddress": SENDER})


def test_the_rendered_policies_allow_every_call_the_functions_make(
    app_env: dict[str, str],
    policy_stack: dict[str, str],
    recorder: CallRecorder,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    own = boto3.session.Session()  # the test's calls: not recorded
    parameter = "/letterbox/policy/hcaptcha-secret"
    own.client("ssm").put_parameter(Name=parameter, Value=TEST_SECRET, Type="SecureString", Overwrite=True)
    rendered = policies.render_policies(
        policies.PolicyContext.from_stack("policy", policy_stack, {}, SENDER, parameter)
    )
    api_policy, notify_policy = rendered["policy-policy-api.json"], rendered["policy-policy-notify.json"]

    # The API, configured as deployed: the secret comes from SSM.
    monkeypatch.setenv("LETTERBOX_BUCKET", policy_stack["BucketName"])
    monkeypatch.delenv("HCAPTCHA_SECRET")
    monkeypatch.setenv("HCAPTCHA_SECRET_PARAMETER", parameter)
    signing_key = put_signing_key("policy")
    monkeypatch.setenv("LETTERBOX_SIGNING_KEY_PARAMETER", signing_key)
    runtime.reset()
    report = {
        "kind": "picket",
        "date": "2026-11-14",
        "city": "Berlin",
        "country": "Germany",
        "description": "Twenty people in front of the embassy.",
    }
    with Client(app, stage_name="test") as client:
        for key in ("policy-check-1", "policy-check-1"):  # the retry is answered by the conditional PUT
            response = client.http.post(
                "/forms/action-report/submissions",
                headers={"Content-Type": "application/json", "Origin": CAMPAIGN_ORIGIN, "Idempotency-Key": key},
                body=json.dumps({**report, "h-captcha-response": TEST_TOKEN}),
            )
            assert response.status_code == 201, response.body
        # A retry whose token was spent finds its first attempt with one HEAD, here of one that is not there;
        # a kept upload is deleted. Both as the API makes them.
        assert (
            runtime.submission_service()._store.exists("action-report", ids.new_submission_id(datetime.now(UTC)))
            is False
        )
        # The public wall: its feed, read with one GET (here of a wall nothing was published on yet).
        assert client.http.get("/forms/action-report/wall").status_code == 200
        runtime.attachment_store().discard_uploads(
            [UploadedFile("u1", "a.pdf", "application/pdf", 1, "uploads/action-report/u1")]
        )
        derived_key("altcha")  # the captcha's key, from the stage's signing key
    assert {"s3.PutObject", "s3.HeadObject", "s3.DeleteObject", "ssm.GetParameter"} <= recorder.operations()
    assert denied_calls(recorder, api_policy) == []

    # The notify function, configured as deployed: no captcha, no secret, no SSM.
    for name in ("HCAPTCHA_SECRET_PARAMETER", "HCAPTCHA_SITEKEY"):
        monkeypatch.delenv(name)
    for name, value in {
        "LETTERBOX_CAPTCHA": "off",
        "LETTERBOX_SENDER": SENDER,
        "LETTERBOX_ORGANIZERS": "first@campaign.example",
        "LETTERBOX_RETRY_DELAY_SECONDS": "0",
    }.items():
        monkeypatch.setenv(name, value)
    runtime.reset()
    recorder.calls.clear()
    derived_key("review")  # the review links' key
    sqs, url = own.client("sqs"), policy_stack["NotifyQueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="not an S3 event")  # fails: the batch is settled by hand
    messages: list[Mapping[str, Any]] = []
    for _ in range(10):
        answer = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1, MessageSystemAttributeNames=["All"]
        )
        messages += answer.get("Messages", [])
        if any("ObjectCreated" in m["Body"] for m in messages) and any(
            m["Body"] == "not an S3 event" for m in messages
        ):
            break
    records = [
        {
            "messageId": m["MessageId"],
            "receiptHandle": m["ReceiptHandle"],
            "body": m["Body"],
            "attributes": m.get("Attributes", {}),
            "eventSource": "aws:sqs",
            "eventSourceARN": policy_stack["NotifyQueueArn"],
        }
        for m in messages
    ]
    with pytest.raises(BatchPartiallyFailed):
        notify({"Records": records}, None)
    assert {
        "s3.GetObject",
        "s3.PutObject",
        "sesv2.SendEmail",
        "sqs.GetQueueUrl",
        "sqs.DeleteMessageBatch",
        "sqs.ChangeMessageVisibility",
    } <= recorder.operations()
    # Its one parameter is the signing key: the policy grants no other (the hCaptcha secret is the API's).
    assert denied_calls(recorder, notify_policy) == []


def test_a_call_outside_the_policy_is_caught() -> None:
    calls = CallRecorder()
    calls.calls.append(("s3", "DeleteObject", {"Bucket": OUTPUTS["BucketName"], "Key": "submissions/a/x.json"}))
    calls.calls.append(("s3", "ListObjectsV2", {"Bucket": OUTPUTS["BucketName"], "Prefix": "notified/"}))

    denied = denied_calls(calls, policies.api_policy(context()))

    assert denied == [
        f"s3.DeleteObject needs s3:DeleteObject on arn:aws:s3:::{OUTPUTS['BucketName']}/submissions/a/x.json",
        f"s3.ListObjectsV2 needs s3:ListBucket on arn:aws:s3:::{OUTPUTS['BucketName']}",
    ]

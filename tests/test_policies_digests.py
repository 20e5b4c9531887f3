"""The digests' calls are allowed: the schedule function's, by its own policy (and it needs nothing of the
API's or the notify function's), and the notify function's building a digest, by the notify policy."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime

import boto3
import botocore.session
import pytest
from chalice.app import Rate, ScheduledEventConfig

from app import app, digests, notify
from chalicelib import runtime
from chalicelib.core import aws, ids
from chalicelib.core.record import SubmissionRecord
from chalicelib.core.storage import submission_key
from chalicelib.notify.digest_schedule import SCHEDULE_MINUTES
from deploy import policies
from devstack.infra import apply_template
from devstack.schedule import scheduled_event
from tests.conftest import ROOT, TEMPLATE
from tests.deploy_fakes import SENDER
from tests.iam_simulator import CallRecorder, denied_calls


@pytest.fixture
def recorder(aws_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[CallRecorder]:
    session = botocore.session.get_session()
    calls = CallRecorder()
    session.register("before-parameter-build", calls)  # type: ignore[arg-type]
    monkeypatch.setattr(aws, "_new_session", lambda: session)
    runtime.reset()
    yield calls
    runtime.reset()


def test_the_schedule_and_the_digest_it_leads_to_make_only_calls_their_policies_allow(
    app_env: dict[str, str], recorder: CallRecorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack = apply_template(TEMPLATE, {"Stage": "policy-digests", "SenderAddress": SENDER})
    rendered = policies.render_policies(policies.PolicyContext.from_stack("policy-digests", stack, {}, SENDER))
    own = boto3.session.Session()  # the test's calls: not recorded
    moment = datetime(2026, 10, 1, 10, 30, tzinfo=UTC)
    submission_id = ids.new_submission_id(moment)
    record = SubmissionRecord(
        id=submission_id,
        form="action-report",
        schema_version="x",
        received_at="2026-10-01T10:30:00.000Z",
        data={"kind": "picket", "date": "2026-10-01", "city": "Berlin", "country": "Germany", "description": "x"},
    )
    own.client("s3").put_object(
        Bucket=stack["BucketName"], Key=submission_key(record.form, submission_id), Body=record.to_json()
    )
    # The schedule function, configured as deployed: only the stage, the digest choice, the queue by its stage name.
    for name in ("LETTERBOX_BUCKET", "HCAPTCHA_SITEKEY", "HCAPTCHA_SECRET", "LETTERBOX_NOTIFY_QUEUE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LETTERBOX_STAGE", "policy-digests")
    monkeypatch.setenv("LETTERBOX_NOTIFY", "hourly")
    runtime.reset()

    digests(scheduled_event(datetime(2026, 10, 1, 11, 5, tzinfo=UTC)), None)

    assert recorder.operations() == {"sqs.GetQueueUrl", "sqs.SendMessageBatch"}
    assert denied_calls(recorder, rendered["policy-policy-digests-digests.json"]) == []

    # The notify function, configured as deployed, building that digest.
    for name, value in {
        "LETTERBOX_BUCKET": stack["BucketName"],
        "LETTERBOX_CAPTCHA": "off",
        "LETTERBOX_SENDER": SENDER,
        "LETTERBOX_ORGANIZERS": "first@campaign.example",
    }.items():
        monkeypatch.setenv(name, value)
    runtime.reset()
    recorder.calls.clear()
    sqs, url = own.client("sqs"), stack["NotifyQueueUrl"]
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)["Messages"]
    records = [
        {"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"], "attributes": {}}
        for m in messages
        if "digest-due" in m["Body"]
    ]
    notify({"Records": records}, None)

    assert {"s3.PutObject", "s3.ListObjectsV2", "s3.GetObject", "sesv2.SendEmail"} <= recorder.operations()
    assert denied_calls(recorder, rendered["policy-policy-digests-notify.json"]) == []


def test_the_schedule_function_runs_every_schedule_minutes() -> None:
    [source] = [s for s in app.event_sources if isinstance(s, ScheduledEventConfig) and s.name == "digests"]
    assert isinstance(source.schedule_expression, Rate)
    assert source.schedule_expression.to_string() == f"rate({SCHEDULE_MINUTES} minutes)"


def test_the_schedule_function_loads_neither_the_intake_nor_the_email_code() -> None:
    probe = (
        "import sys, json, app\nfrom chalicelib import runtime\nruntime.digest_scheduler()\n"
        "print(json.dumps(sorted(sys.modules)))"
    )
    env = {"LETTERBOX_STAGE": "prod", "AWS_DEFAULT_REGION": "us-east-1", "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True
    )
    modules = set(json.loads(result.stdout.splitlines()[-1]))

    assert "chalicelib.notify.digest_schedule" in modules
    heavy = {
        "jsonschema",
        "chalicelib.notify.rendering",
        "chalicelib.notify.mailer",
        "chalicelib.notify.digest",
        "chalicelib.notify.digest_email",
    }
    assert not heavy & modules
    assert not {name for name in modules if name.startswith("chalicelib.intake")}

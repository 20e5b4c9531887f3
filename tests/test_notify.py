"""S3 → SQS → notify handler → SES, against the local AWS over HTTP, with the worker `make dev` runs."""

from __future__ import annotations

import json
import logging
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import boto3
import pytest
from chalice.test import Client

from app import app, notify
from chalicelib import runtime
from chalicelib.notify.notifier import NotificationInFlight, Notifier, Outcome
from chalicelib.notify.s3_events import StoredObject
from devstack.infra import apply_template
from devstack.worker import Outbox, QueueWorker
from tests.conftest import CAMPAIGN_ORIGIN, TEMPLATE, TEST_TOKEN
from tests.faults import FaultyProxy

SENDER = "letterbox@example.org"
ORGANIZERS = "first@example.org,second@example.org"
REPORT = {
    "kind": "embassy",
    "date": "2026-11-14",
    "city": "Санкт-Петербург",
    "country": "Россия",
    "description": "We handed a letter to the consul. <script>alert(1)</script>",
    "links": ["https://example.org/photo", "https://example.org/article"],
    "reporter": "Группа поддержки",
    "email": "anna@example.net",
    "h-captcha-response": TEST_TOKEN,
}


@pytest.fixture(scope="module")
def notify_stack(aws_endpoint: str) -> dict[str, str]:
    return apply_template(TEMPLATE, {"Stage": "notify", "SenderAddress": SENDER})


@pytest.fixture
def notify_env(
    app_env: dict[str, str], notify_stack: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, str]]:
    sqs = boto3.client("sqs")
    for url in (notify_stack["NotifyQueueUrl"], notify_stack["DeadLetterQueueUrl"]):
        sqs.purge_queue(QueueUrl=url)
    env = {
        "LETTERBOX_BUCKET": notify_stack["BucketName"],
        "LETTERBOX_SENDER": SENDER,
        "LETTERBOX_ORGANIZERS": ORGANIZERS,
        "LETTERBOX_RETRY_DELAY_SECONDS": "0",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_ENDPOINT_URL_SESV2", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    runtime.reset()
    yield {**app_env, **env}
    runtime.reset()


@pytest.fixture
def worker(notify_env: dict[str, str], notify_stack: dict[str, str], aws_endpoint: str, tmp_path: Path) -> QueueWorker:
    outbox = Outbox(tmp_path / "outbox", aws_endpoint)
    outbox.collect()  # what earlier tests sent is not this test's
    return QueueWorker(boto3.client("sqs"), notify_stack["NotifyQueueName"], notify, outbox, wait_seconds=0)


def submit(data: dict[str, Any] | None = None) -> str:
    with Client(app, stage_name="test") as client:
        response = client.http.post(
            "/forms/action-report/submissions",
            headers={"Content-Type": "application/json", "Origin": CAMPAIGN_ORIGIN},
            body=json.dumps(data or REPORT),
        )
    assert response.status_code == 201, response.body
    return str(json.loads(response.body)["id"])


def run_until_idle(worker: QueueWorker, limit: int = 20) -> list[int]:
    """Batch sizes the worker received, until the queue is empty (bounded)."""
    sizes = []
    for _ in range(limit):
        size = worker.run_once()
        if size == 0:
            return sizes
        sizes.append(size)
    raise AssertionError(f"queue not empty after {limit} batches")


def emails_for(aws_endpoint: str, submission_id: str) -> list[EmailMessage]:
    with urllib.request.urlopen(f"{aws_endpoint}/moto-api/data.json", timeout=10) as answer:
        raw_messages = json.load(answer).get("ses", {}).get("RawMessage", [])
    parsed = [message_from_bytes(m["raw_data"].encode(), policy=policy.default) for m in raw_messages]
    return [m for m in parsed if m["X-Letterbox-Submission"] == submission_id]  # type: ignore[misc]


def queue_depth(url: str) -> int:
    attributes = boto3.client("sqs").get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


def test_a_submission_reaches_the_organizers_as_one_utf8_multipart_email(
    worker: QueueWorker, aws_endpoint: str
) -> None:
    submission_id = submit()

    run_until_idle(worker)

    [email] = emails_for(aws_endpoint, submission_id)
    assert email["From"] == SENDER
    assert [a.addr_spec for a in email["To"].addresses] == ["first@example.org", "second@example.org"]
    assert email["Reply-To"] == "anna@example.net"
    assert email["Subject"] == "Action report: Visit to an embassy or consulate, Санкт-Петербург, 2026-11-14"
    assert email.get_content_type() == "multipart/alternative"
    text = email.get_body(("plain",))
    html = email.get_body(("html",))
    assert text is not None
    assert html is not None
    assert text.get_content_charset() == html.get_content_charset() == "utf-8"
    plain = text.get_content()
    assert "Город:" not in plain  # the form's email language is English by default
    assert "City:\n    Санкт-Петербург" in plain
    assert plain.index("Type of action") < plain.index("City") < plain.index("What happened")
    assert "Группа поддержки" in plain
    assert submission_id in plain
    body = html.get_content()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "<script>" not in body
    assert '<a href="https://example.org/photo">' in body
    assert worker.run_once() == 0


def test_the_outbox_keeps_each_email_as_an_eml_file(worker: QueueWorker, tmp_path: Path) -> None:
    submission_id = submit()

    run_until_idle(worker)

    saved = message_from_bytes((tmp_path / "outbox" / f"{submission_id}.eml").read_bytes(), policy=policy.default)
    assert saved["X-Letterbox-Submission"] == submission_id


def test_the_same_object_announced_twice_sends_one_email(
    worker: QueueWorker, notify_stack: dict[str, str], aws_endpoint: str
) -> None:
    submission_id = submit()
    sqs = boto3.client("sqs")
    [message] = sqs.receive_message(QueueUrl=notify_stack["NotifyQueueUrl"], MaxNumberOfMessages=1)["Messages"]
    sqs.change_message_visibility(
        QueueUrl=notify_stack["NotifyQueueUrl"], ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
    )
    sqs.send_message(QueueUrl=notify_stack["NotifyQueueUrl"], MessageBody=message["Body"])

    run_until_idle(worker)

    assert len(emails_for(aws_endpoint, submission_id)) == 1


def test_a_redelivered_batch_sends_nothing_again(
    worker: QueueWorker, notify_stack: dict[str, str], aws_endpoint: str
) -> None:
    submission_id = submit()
    sqs = boto3.client("sqs")
    [message] = sqs.receive_message(
        QueueUrl=notify_stack["NotifyQueueUrl"], MaxNumberOfMessages=1, MessageSystemAttributeNames=["All"]
    )["Messages"]
    event = {"Records": [worker.lambda_record(message)]}  # the exact record Lambda would redeliver

    notify(event, None)
    notify(event, None)

    assert len(emails_for(aws_endpoint, submission_id)) == 1
    marker = boto3.client("s3").get_object(Bucket=notify_stack["BucketName"], Key=f"notified/{submission_id}")
    assert json.loads(marker["Body"].read())["state"] == "sent"


def test_one_bad_record_in_five_is_retried_then_dead_lettered_while_four_mail_once(
    worker: QueueWorker, notify_stack: dict[str, str], aws_endpoint: str, caplog: pytest.LogCaptureFixture
) -> None:
    good = [submit() for _ in range(4)]
    s3 = boto3.client("s3")
    bad_key = "submissions/action-report/2026/11/25/01KBADBADBADBADBADBADBADBA.json"
    s3.put_object(Bucket=notify_stack["BucketName"], Key=bad_key, Body=b"not a submission")

    with caplog.at_level(logging.INFO):
        sizes = run_until_idle(worker)

    assert sizes[0] == 5  # all five arrived in one batch
    assert sizes[1:] == [1, 1, 1, 1]  # the bad one alone, until its fifth receive
    for submission_id in good:
        assert len(emails_for(aws_endpoint, submission_id)) == 1
    assert queue_depth(notify_stack["NotifyQueueUrl"]) == 0
    dead = boto3.client("sqs").receive_message(
        QueueUrl=notify_stack["DeadLetterQueueUrl"], MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"]
    )["Messages"]
    assert len(dead) == 1
    assert "01KBADBADBADBADBADBADBADBA" in dead[0]["Body"]
    refusals = [r.getMessage() for r in caplog.records if "unusable queue message" in r.getMessage()]
    assert len(refusals) == 5
    assert all("id=01KBADBADBADBADBADBADBADBA" in line for line in refusals)


def test_ses_throttled_once_is_retried_by_the_client_and_sends_once(
    worker: QueueWorker, aws_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = FaultyProxy(aws_endpoint)
    proxy.fail_next(1, 429, b'{"message": "Maximum sending rate exceeded."}', **THROTTLED)
    monkeypatch.setenv("AWS_ENDPOINT_URL_SESV2", proxy.url)
    runtime.reset()
    submission_id = submit()

    sizes = run_until_idle(worker)

    assert sizes == [1]
    assert proxy.faults == []
    assert len(emails_for(aws_endpoint, submission_id)) == 1
    proxy.stop()


def test_ses_throttled_past_the_client_retries_goes_back_to_the_queue_and_sends_once(
    worker: QueueWorker, aws_endpoint: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    proxy = FaultyProxy(aws_endpoint)
    proxy.fail_next(3, 429, b'{"message": "Maximum sending rate exceeded."}', **THROTTLED)
    monkeypatch.setenv("AWS_ENDPOINT_URL_SESV2", proxy.url)
    runtime.reset()
    submission_id = submit()

    with caplog.at_level(logging.INFO):
        sizes = run_until_idle(worker)

    assert sizes == [1, 1]
    assert len(emails_for(aws_endpoint, submission_id)) == 1
    deferred = [r.getMessage() for r in caplog.records if "deferred" in r.getMessage()]
    assert deferred == [
        f"notification deferred, will retry id={submission_id} message={_message_id(deferred)} "
        "receive=1: TransientSendError TooManyRequestsException"
    ]
    proxy.stop()


def test_storage_failing_for_the_worker_goes_back_to_the_queue_and_sends_once(
    worker: QueueWorker, aws_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    submission_id = submit()
    proxy = FaultyProxy(aws_endpoint)
    proxy.fail_next(
        3, 500, b"<Error><Code>InternalError</Code><Message>We encountered an internal error.</Message></Error>"
    )
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", proxy.url)
    runtime.reset()

    sizes = run_until_idle(worker)

    assert sizes == [1, 1]
    assert len(emails_for(aws_endpoint, submission_id)) == 1
    proxy.stop()


def test_an_unverified_sender_is_one_clear_log_line_per_try_then_the_dead_letter_queue(
    worker: QueueWorker,
    notify_stack: dict[str, str],
    aws_endpoint: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("LETTERBOX_SENDER", "not-verified@example.org")
    runtime.reset()
    submission_id = submit()

    with caplog.at_level(logging.INFO):
        run_until_idle(worker)

    assert emails_for(aws_endpoint, submission_id) == []
    refused = [r.getMessage() for r in caplog.records if "notification refused" in r.getMessage()]
    assert len(refused) == 5
    assert f"id={submission_id}" in refused[0]
    assert "MessageRejected" in refused[0]
    assert "Санкт" not in caplog.text
    assert "anna@example.net" not in caplog.text
    assert queue_depth(notify_stack["DeadLetterQueueUrl"]) == 1
    marker = boto3.client("s3").list_objects_v2(Bucket=notify_stack["BucketName"], Prefix=f"notified/{submission_id}")
    assert marker.get("KeyCount", 0) == 0  # released, so a redrive after the fix sends


def test_s3_test_event_is_ignored_and_deleted(worker: QueueWorker, notify_stack: dict[str, str]) -> None:
    test_event = {"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": notify_stack["BucketName"]}
    boto3.client("sqs").send_message(QueueUrl=notify_stack["NotifyQueueUrl"], MessageBody=json.dumps(test_event))

    assert run_until_idle(worker) == [1]
    assert queue_depth(notify_stack["NotifyQueueUrl"]) == 0


def test_a_key_with_a_plus_space_and_cyrillic_is_decoded_and_mailed(
    worker: QueueWorker, notify_stack: dict[str, str], aws_endpoint: str
) -> None:
    submission_id = "01KPLUSPLUSPLUSPLUSPLUSPLU"
    record = {
        "id": submission_id,
        "form": "action-report",
        "schema_version": "x",
        "received_at": "2026-11-25T10:00:00Z",
        "data": {
            "kind": "other",
            "date": "2026-11-25",
            "city": "Минск",
            "country": "Беларусь",
            "description": "Key test",
        },
    }
    key = "submissions/action-report/2026/11/25/Письмо a+b.json"
    boto3.client("s3").put_object(Bucket=notify_stack["BucketName"], Key=key, Body=json.dumps(record).encode())

    run_until_idle(worker)

    [email] = emails_for(aws_endpoint, submission_id)
    assert "Минск" in email["Subject"]


def test_metadata_only_mode_mails_safe_fields_and_how_to_read_the_rest(
    worker: QueueWorker, notify_stack: dict[str, str], aws_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LETTERBOX_FORM_OPTIONS", json.dumps({"action-report": {"metadata_only": True}}))
    runtime.reset()
    submission_id = submit()

    run_until_idle(worker)

    [email] = emails_for(aws_endpoint, submission_id)
    text = email.get_body(("plain",))
    assert text is not None
    plain = text.get_content()
    assert "Санкт-Петербург" in plain
    assert "Россия" in plain
    assert "handed a letter" not in plain
    assert "Группа поддержки" not in plain
    assert "anna@example.net" not in email.as_string()
    assert email["Reply-To"] is None
    assert f"aws s3 cp s3://{notify_stack['BucketName']}/submissions/action-report/" in plain


def test_no_line_break_from_input_reaches_a_header_and_long_values_are_cut(
    worker: QueueWorker, aws_endpoint: str
) -> None:
    city = "Berlin\r\nBcc: victim@example.org\r\n" + "x" * 60
    submission_id = submit({**REPORT, "city": city, "email": "anna@example.net\r\nBcc: x@example.org"})

    run_until_idle(worker)

    [email] = emails_for(aws_endpoint, submission_id)
    assert email["Bcc"] is None
    assert "\n" not in email["Subject"]
    assert email["Subject"].endswith("…, 2026-11-14")
    assert email["Reply-To"] is None  # not a valid address: no Reply-To at all


def test_a_stale_claim_is_taken_over_and_a_fresh_one_waits(
    notify_env: dict[str, str], notify_stack: dict[str, str], aws_endpoint: str
) -> None:
    submission_id = submit()
    key = next(
        item["Key"]
        for item in boto3.client("s3").list_objects_v2(
            Bucket=notify_stack["BucketName"], Prefix="submissions/action-report/"
        )["Contents"]
        if submission_id in item["Key"]
    )
    s3 = boto3.client("s3")
    claimed_at = datetime.now(UTC)
    s3.put_object(
        Bucket=notify_stack["BucketName"],
        Key=f"notified/{submission_id}",
        Body=json.dumps({"state": "sending", "at": claimed_at.isoformat()}).encode(),
    )
    settings, forms, mailer = runtime.settings(), runtime.forms(), runtime.mailer()

    files = runtime.attachment_store()
    soon = Notifier(s3, settings, forms, mailer, files, clock=lambda: claimed_at + timedelta(minutes=1))
    with pytest.raises(NotificationInFlight):
        soon.notify(StoredObject(notify_stack["BucketName"], key))
    later = Notifier(s3, settings, forms, mailer, files, clock=lambda: claimed_at + timedelta(minutes=10))

    assert later.notify(StoredObject(notify_stack["BucketName"], key)) is Outcome.SENT
    assert len(emails_for(aws_endpoint, submission_id)) == 1


THROTTLED = {"Content-Type": "application/json", "x-amzn-ErrorType": "TooManyRequestsException"}


def _message_id(lines: list[str]) -> str:
    return lines[0].split("message=")[1].split()[0] if lines else ""

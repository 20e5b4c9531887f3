"""S3 → SQS → notify handler → SES, against the local AWS over HTTP, with the worker `make dev` runs."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from chalice.test import Client

from app import app, notify
from chalicelib import runtime
from chalicelib.core import aws, ids
from chalicelib.core.record import StoredAttachment, SubmissionRecord
from chalicelib.core.storage import submission_key
from chalicelib.notify.markers import MarkerStore
from chalicelib.notify.notifier import NotificationInFlight, Notifier, Outcome
from chalicelib.notify.s3_events import StoredObject
from devstack.infra import apply_template
from devstack.worker import Outbox, QueueWorker
from tests.conftest import CAMPAIGN_ORIGIN, TEMPLATE, TEST_TOKEN, ses_emails
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
    sizes: list[int] = []
    for _ in range(limit):
        size = worker.run_once()
        if size == 0:
            return sizes
        sizes.append(size)
    raise AssertionError(f"queue not empty after {limit} batches")


def emails_for(aws_endpoint: str, submission_id: str) -> list[EmailMessage]:
    return [m for m in ses_emails(aws_endpoint) if m["X-Letterbox-Submission"] == submission_id]


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
    proxy.fail_next(1, 429, b'{"message": "Maximum sending rate exceeded."}', **THROTTLED)  # type: ignore[arg-type]
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
    proxy.fail_next(3, 429, b'{"message": "Maximum sending rate exceeded."}', **THROTTLED)  # type: ignore[arg-type]
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
    # An address with a line break is refused at submit now (tests/unit/test_rendering.py covers the renderer).
    submission_id = submit({**REPORT, "city": city})

    run_until_idle(worker)

    [email] = emails_for(aws_endpoint, submission_id)
    assert email["Bcc"] is None
    assert "\n" not in email["Subject"]
    assert email["Subject"].endswith("…, 2026-11-14")
    assert email.get_all("Reply-To") == ["anna@example.net"]


def stored_key(bucket: str, submission_id: str) -> str:
    listing = boto3.client("s3").list_objects_v2(Bucket=bucket, Prefix="submissions/")["Contents"]
    return next(item["Key"] for item in listing if item["Key"].endswith(f"/{submission_id}.json"))


def put_marker(bucket: str, submission_id: str, marker: dict[str, str]) -> None:
    boto3.client("s3").put_object(Bucket=bucket, Key=f"notified/{submission_id}", Body=json.dumps(marker).encode())


def marker_state(bucket: str, submission_id: str) -> str:
    marker = boto3.client("s3").get_object(Bucket=bucket, Key=f"notified/{submission_id}")
    return str(json.loads(marker["Body"].read())["state"])


def notifier_at(moment: datetime) -> Notifier:
    """The notify function's notifier with its clock at `moment`: a later receive, after the lease."""
    s3 = runtime.s3_client()
    markers = MarkerStore(s3, runtime.settings().bucket, clock=lambda: moment)
    return Notifier(s3, runtime.settings(), runtime.forms(), runtime.mailer(), runtime.attachment_store(), markers)


@pytest.mark.parametrize("state", ["claimed", "sending"])  # "sending": the claim the previous version wrote
def test_a_stale_claim_is_taken_over_and_a_fresh_one_waits(
    notify_env: dict[str, str], notify_stack: dict[str, str], aws_endpoint: str, state: str
) -> None:
    submission_id = submit()
    key = stored_key(notify_stack["BucketName"], submission_id)
    claimed_at = datetime.now(UTC)
    put_marker(notify_stack["BucketName"], submission_id, {"state": state, "at": claimed_at.isoformat()})

    with pytest.raises(NotificationInFlight):
        notifier_at(claimed_at + timedelta(minutes=1)).notify(StoredObject(notify_stack["BucketName"], key))
    later = notifier_at(claimed_at + timedelta(minutes=10))

    assert later.notify(StoredObject(notify_stack["BucketName"], key)) is Outcome.SENT
    assert len(emails_for(aws_endpoint, submission_id)) == 1
    assert marker_state(notify_stack["BucketName"], submission_id) == "sent"


def test_a_submission_handed_to_ses_and_never_confirmed_is_not_sent_again(
    notify_env: dict[str, str], notify_stack: dict[str, str], aws_endpoint: str, caplog: pytest.LogCaptureFixture
) -> None:
    submission_id = submit()
    key = stored_key(notify_stack["BucketName"], submission_id)
    handed_at = datetime.now(UTC)
    marker = {"state": "handed-over", "at": handed_at.isoformat(), "attempt": "0f", "message": "<1@example.org>"}
    put_marker(notify_stack["BucketName"], submission_id, marker)

    with pytest.raises(NotificationInFlight):
        notifier_at(handed_at + timedelta(minutes=1)).notify(StoredObject(notify_stack["BucketName"], key))
    with caplog.at_level(logging.INFO):
        outcome = notifier_at(handed_at + timedelta(minutes=10)).notify(StoredObject(notify_stack["BucketName"], key))

    assert outcome is Outcome.ALREADY_SENT
    assert emails_for(aws_endpoint, submission_id) == []
    assert [r.levelno for r in caplog.records if f"id={submission_id}" in r.getMessage()] == [logging.ERROR]


def confirming(method: str, path: str, body: bytes) -> bool:
    """The PUT that marks a submission sent, after SES accepted its email."""
    return method == "PUT" and "/notified/" in path and b'"state": "sent"' in body


def reading_an_attachment(method: str, path: str, body: bytes) -> bool:
    return method == "GET" and "/attachments/" in path


@pytest.mark.parametrize("fault", ["timeout", "500", "reset"])
def test_a_confirmation_storage_loses_after_ses_accepted_never_leads_to_a_second_email(
    worker: QueueWorker,
    notify_stack: dict[str, str],
    aws_endpoint: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    fault: str,
) -> None:
    submission_id = submit()
    proxy = FaultyProxy(aws_endpoint)
    if fault == "timeout":
        proxy.hang_next(20, seconds=3, when=confirming)
        # A short read timeout keeps the test short; the code path is the production one.
        monkeypatch.setattr(aws, "DEFAULT_CONFIG", aws.DEFAULT_CONFIG.merge(Config(read_timeout=1)))
    elif fault == "500":
        proxy.fail_next(20, 500, INTERNAL_ERROR, when=confirming)
    else:
        proxy.reset_next(20, when=confirming)
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", proxy.url)
    runtime.reset()

    with caplog.at_level(logging.INFO):
        sizes = run_until_idle(worker)

    assert sizes == [1]  # settled on its first receive
    assert len(emails_for(aws_endpoint, submission_id)) == 1
    assert queue_depth(notify_stack["NotifyQueueUrl"]) == queue_depth(notify_stack["DeadLetterQueueUrl"]) == 0
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert errors == [f"notification sent but not confirmed id={submission_id}"]
    assert marker_state(notify_stack["BucketName"], submission_id) == "handed-over"
    proxy.faults.clear()
    key = stored_key(notify_stack["BucketName"], submission_id)
    # S3 may announce an object twice: the same event, long after the claim's lease.
    later = notifier_at(datetime.now(UTC) + timedelta(minutes=10))
    assert later.notify(StoredObject(notify_stack["BucketName"], key)) is Outcome.ALREADY_SENT
    assert len(emails_for(aws_endpoint, submission_id)) == 1
    proxy.stop()


def a_letter_with_one_file(submission_id: str) -> SubmissionRecord:
    return SubmissionRecord(
        id=submission_id,
        form="letter-copy",
        schema_version="f73b9cf37ca6",
        received_at="2026-11-20T09:15:42.123Z",
        data={"addressee_kind": "court", "addressee": "Тверской районный суд", "channel": "fax", "text": "Текст"},
        attachments=(StoredAttachment(f"attachments/{submission_id}/1", "скан.pdf", "application/pdf", len(PDF)),),
    )


def test_an_attachment_read_failing_once_releases_the_claim_so_the_next_receive_sends(
    worker: QueueWorker,
    notify_stack: dict[str, str],
    aws_endpoint: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    submission_id = ids.new_submission_id(datetime.now(UTC))
    record = a_letter_with_one_file(submission_id)
    s3 = boto3.client("s3")
    s3.put_object(Bucket=notify_stack["BucketName"], Key=record.attachments[0].key, Body=PDF)
    s3.put_object(
        Bucket=notify_stack["BucketName"], Key=submission_key(record.form, submission_id), Body=record.to_json()
    )
    proxy = FaultyProxy(aws_endpoint)
    proxy.fail_next(3, 500, INTERNAL_ERROR, when=reading_an_attachment)  # botocore's three tries: one failed read
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", proxy.url)
    runtime.reset()

    with caplog.at_level(logging.INFO):
        sizes = run_until_idle(worker)

    assert sizes == [1, 1]
    assert proxy.faults == []
    [email] = emails_for(aws_endpoint, submission_id)
    assert [part.get_content() for part in email.iter_attachments()] == [PDF]
    deferred = [r.getMessage() for r in caplog.records if "deferred" in r.getMessage()]
    assert len(deferred) == 1
    assert "StorageUnavailable" in deferred[0]
    assert "NotificationInFlight" not in caplog.text
    proxy.stop()


def test_a_version_1_record_with_names_in_its_attachment_keys_is_still_mailed(
    worker: QueueWorker, notify_stack: dict[str, str], aws_endpoint: str, caplog: pytest.LogCaptureFixture
) -> None:
    submission_id = ids.new_submission_id(datetime.now(UTC))
    raw = V1_RECORD.read_bytes().replace(V1_ID.encode(), submission_id.encode())  # as v1 wrote it, a fresh id
    s3 = boto3.client("s3")
    contents = {}
    for attachment in json.loads(raw)["attachments"]:
        contents[attachment["name"]] = PDF[:8] + bytes(attachment["size"] - 8)
        s3.put_object(Bucket=notify_stack["BucketName"], Key=attachment["key"], Body=contents[attachment["name"]])
    s3.put_object(Bucket=notify_stack["BucketName"], Key=submission_key("letter-copy", submission_id), Body=raw)

    with caplog.at_level(logging.INFO):
        run_until_idle(worker)

    [email] = emails_for(aws_endpoint, submission_id)
    assert {part.get_filename(): part.get_content() for part in email.iter_attachments()} == contents
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("chalicelib"))
    assert f"id={submission_id}" in ours
    assert "Letter" not in ours
    assert "скан" not in ours


THROTTLED = {"Content-Type": "application/json", "x-amzn-ErrorType": "TooManyRequestsException"}
INTERNAL_ERROR = b"<Error><Code>InternalError</Code><Message>We encountered an internal error.</Message></Error>"
PDF = b"%PDF-1.4\n" + bytes(range(256)) * 8 + b"\n%%EOF\n"
V1_RECORD = Path(__file__).resolve().parent / "events" / "submission-v1.json"
V1_ID = "01M7W3TZNB25DSY3VKDFTBGKXZ"


def _message_id(lines: list[str]) -> str:
    return lines[0].split("message=")[1].split()[0] if lines else ""


def test_an_email_the_header_guard_refuses_is_never_sent_and_ends_in_the_dead_letter_queue(
    worker: QueueWorker,
    notify_stack: dict[str, str],
    aws_endpoint: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from chalicelib.notify import header_guard

    # Only a renderer that let an encoded word through could build such a message: simulate one.
    monkeypatch.setattr(header_guard, "neutralise", lambda text: text)
    submission_id = ids.new_submission_id(datetime.now(UTC))
    forged_name = "=?utf-8?q?a=0D=0AX-Evil:_1?=.pdf"  # injects a header into the part on every Python tried
    attachment = StoredAttachment(f"attachments/{submission_id}/1", forged_name, "application/pdf", len(PDF))
    record = SubmissionRecord(
        id=submission_id,
        form="letter-copy",
        schema_version="x",
        received_at="2026-11-20T09:15:42.123Z",
        data={"addressee_kind": "court", "addressee": "Тверской районный суд", "channel": "fax", "text": "Текст"},
        attachments=(attachment,),
    )
    s3 = boto3.client("s3")
    s3.put_object(Bucket=notify_stack["BucketName"], Key=attachment.key, Body=PDF)
    s3.put_object(
        Bucket=notify_stack["BucketName"], Key=submission_key(record.form, submission_id), Body=record.to_json()
    )

    with caplog.at_level(logging.INFO):
        sizes = run_until_idle(worker)

    assert sizes == [1, 1, 1, 1, 1]  # failed on each receive, until SQS's fifth
    assert emails_for(aws_endpoint, submission_id) == []
    refused = [r.getMessage() for r in caplog.records if "unsafe email refused" in r.getMessage()]
    assert len(refused) == 5
    assert all(f"id={submission_id}" in line for line in refused)
    assert "header(s) more" in refused[0]
    for secret in ("X-Evil", "utf-8?q", "Тверской", "Текст"):
        assert secret not in caplog.text
    assert queue_depth(notify_stack["NotifyQueueUrl"]) == 0
    assert queue_depth(notify_stack["DeadLetterQueueUrl"]) == 1
    marker = s3.list_objects_v2(Bucket=notify_stack["BucketName"], Prefix=f"notified/{submission_id}")
    assert marker.get("KeyCount", 0) == 0  # released each time, so a redrive after a fix sends

"""Digest emails end to end, against the local AWS over HTTP: submissions stored, their S3 events held by
the notify handler, the schedule handler (app.py `digests`) queueing "digest due", the same handler
sending one email per period, once."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import boto3
import pytest

from app import digests, notify
from chalicelib import runtime
from chalicelib.core import ids
from chalicelib.core.digest_periods import Period
from chalicelib.core.record import StoredAttachment, SubmissionRecord
from chalicelib.core.settings import known_form_names
from chalicelib.core.storage import submission_key
from chalicelib.notify.digest_due import DigestDue
from devstack.infra import apply_template
from devstack.schedule import ScheduleClock, scheduled_event
from devstack.worker import Outbox, QueueWorker
from tests.conftest import TEMPLATE, ses_emails
from tests.faults import FaultyProxy

SENDER = "letterbox@example.org"
ORGANIZERS = "first@example.org,second@example.org"
THROTTLED = {"Content-Type": "application/json", "x-amzn-ErrorType": "TooManyRequestsException"}


@pytest.fixture(scope="module")
def digest_stack(aws_endpoint: str) -> dict[str, str]:
    return apply_template(TEMPLATE, {"Stage": "digest", "SenderAddress": SENDER})


@pytest.fixture
def digest_env(
    app_env: dict[str, str], digest_stack: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, str]]:
    sqs = boto3.client("sqs")
    for url in (digest_stack["NotifyQueueUrl"], digest_stack["DeadLetterQueueUrl"]):
        sqs.purge_queue(QueueUrl=url)
    env = {
        "LETTERBOX_BUCKET": digest_stack["BucketName"],
        "LETTERBOX_NOTIFY_QUEUE": digest_stack["NotifyQueueName"],
        "LETTERBOX_SENDER": SENDER,
        "LETTERBOX_ORGANIZERS": ORGANIZERS,
        "LETTERBOX_RETRY_DELAY_SECONDS": "0",
        "LETTERBOX_NOTIFY": "hourly",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_ENDPOINT_URL_SESV2", "AWS_ENDPOINT_URL_S3", "LETTERBOX_DIGEST_TIME", "LETTERBOX_TIMEZONE"):
        monkeypatch.delenv(name, raising=False)
    runtime.reset()
    yield {**app_env, **env}
    runtime.reset()


@pytest.fixture
def worker(digest_env: dict[str, str], digest_stack: dict[str, str], tmp_path: Path) -> QueueWorker:
    outbox = Outbox(tmp_path / "outbox")
    return QueueWorker(boto3.client("sqs"), digest_stack["NotifyQueueName"], notify, outbox, wait_seconds=0)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, micro: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)


def store(bucket: str, moment: datetime, city: str = "Берлин", **data: Any) -> str:
    """A submission stored as the API stores it, received at `moment`; S3 announces it on the queue."""
    submission_id = ids.new_submission_id(moment)
    fields = {"kind": "picket", "date": f"{moment:%Y-%m-%d}", "city": city, "country": "Германия"}
    fields |= {"description": f"Twenty people at {moment:%H:%M:%S.%f}. <b>bold</b>", **data}
    record = SubmissionRecord(
        id=submission_id,
        form="action-report",
        schema_version="x",
        received_at=f"{moment:%Y-%m-%dT%H:%M:%S.%f}"[:-3] + "Z",
        data=fields,
    )
    boto3.client("s3").put_object(Bucket=bucket, Key=submission_key(record.form, submission_id), Body=record.to_json())
    return submission_id


def run_until_idle(worker: QueueWorker, limit: int = 20) -> list[int]:
    sizes: list[int] = []
    for _ in range(limit):
        size = worker.run_once()
        if size == 0:
            return sizes
        sizes.append(size)
    raise AssertionError(f"queue not empty after {limit} batches")


def schedule_at(moment: datetime) -> None:
    """One run of the scheduled function, as EventBridge would invoke it at `moment`."""
    digests(scheduled_event(moment), None)


def sent_emails(aws_endpoint: str) -> list[EmailMessage]:
    return ses_emails(aws_endpoint)


def digests_for(aws_endpoint: str, period: Period) -> list[EmailMessage]:
    """This module's digests of the period (the local AWS keeps every test's email: other stacks' too)."""
    ours = [m for m in sent_emails(aws_endpoint) if m["X-Letterbox-Digest"] == period.name]
    return [m for m in ours if m["To"].addresses[0].addr_spec == ORGANIZERS.split(",")[0]]


def singles_for(aws_endpoint: str, submission_id: str) -> list[EmailMessage]:
    return [m for m in sent_emails(aws_endpoint) if m["X-Letterbox-Submission"] == submission_id]


def plain_and_html(email: EmailMessage) -> tuple[str, str]:
    text, html = email.get_body(("plain",)), email.get_body(("html",))
    assert text is not None
    assert html is not None
    return text.get_content(), html.get_content()


def marker(bucket: str, item: DigestDue) -> dict[str, Any] | None:
    try:
        answer = boto3.client("s3").get_object(Bucket=bucket, Key=f"notified/{item.marker_id}")
    except boto3.client("s3").exceptions.NoSuchKey:
        return None
    found: dict[str, Any] = json.loads(answer["Body"].read())
    return found


def queue_depth(url: str) -> int:
    attributes = boto3.client("sqs").get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


def test_an_hourly_digest_holds_the_hour_and_the_last_millisecond_is_in_exactly_one(
    worker: QueueWorker, digest_stack: dict[str, str], aws_endpoint: str, caplog: pytest.LogCaptureFixture
) -> None:
    bucket = digest_stack["BucketName"]
    first = store(bucket, utc(2026, 11, 14, 10))
    last = store(bucket, utc(2026, 11, 14, 10, 59, 59, 999000), city="Вильнюс")
    next_hour = store(bucket, utc(2026, 11, 14, 11))
    with caplog.at_level(logging.INFO):
        run_until_idle(worker)  # the S3 events: held for the digest, no single email
    for submission_id in (first, last, next_hour):
        assert singles_for(aws_endpoint, submission_id) == []
        assert f"notification held for the hourly digest form=action-report id={submission_id}" in caplog.text

    schedule_at(utc(2026, 11, 14, 11, 5))
    run_until_idle(worker)
    schedule_at(utc(2026, 11, 14, 12, 5))
    run_until_idle(worker)

    ten = Period(utc(2026, 11, 14, 10), utc(2026, 11, 14, 11))
    eleven = Period(utc(2026, 11, 14, 11), utc(2026, 11, 14, 12))
    [email] = digests_for(aws_endpoint, ten)
    [later] = digests_for(aws_endpoint, eleven)
    text, html = plain_and_html(email)
    assert email["Subject"] == "Hourly digest: Report an action, 2 new, 2026-11-14 10:00\u20132026-11-14 11:00"
    assert [a.addr_spec for a in email["To"].addresses] == ["first@example.org", "second@example.org"]
    assert email["Reply-To"] is None  # one email, many senders
    assert email["X-Letterbox-Form"] == "action-report"
    assert first in text
    assert last in text
    assert next_hour not in text
    assert next_hour in plain_and_html(later)[0]
    assert last not in plain_and_html(later)[0]
    assert text.index("1. Action report: Picket or rally, Берлин") < text.index(
        "2. Action report: Picket or rally, Вильнюс"
    )
    assert "Twenty people at 10:59:59.999000. <b>bold</b>" in text  # the full content, in the text part
    assert "Twenty people at 10:00:00.000000. &lt;b&gt;bold&lt;/b&gt;" in html  # and escaped in the HTML
    assert "<b>" not in html
    assert "http" not in text.replace("https://", "")  # links to nothing
    item = DigestDue("action-report", ten)
    assert (marker(bucket, item) or {})["state"] == "sent"


def test_a_daily_digest_runs_from_the_organizers_digest_time_in_their_time_zone(
    worker: QueueWorker, digest_stack: dict[str, str], aws_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in {"LETTERBOX_NOTIFY": "daily", "LETTERBOX_DIGEST_TIME": "18:00"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("LETTERBOX_TIMEZONE", "Europe/Vilnius")
    runtime.reset()
    bucket = digest_stack["BucketName"]
    # 17:59:59.999 and 18:00 in Vilnius (UTC+2 in November), and the day before the period.
    before = store(bucket, utc(2026, 11, 20, 15, 59, 59, 999000))
    after = store(bucket, utc(2026, 11, 20, 16))
    yesterday = store(bucket, utc(2026, 11, 19, 15, 59))
    run_until_idle(worker)

    schedule_at(utc(2026, 11, 20, 15, 50))  # queued ahead, delayed until it is due
    schedule_at(utc(2026, 11, 20, 16, 5))
    run_until_idle(worker)

    [email] = digests_for(aws_endpoint, Period(utc(2026, 11, 19, 16), utc(2026, 11, 20, 16)))
    text, _ = plain_and_html(email)
    assert email["Subject"] == "Daily digest: Report an action, 1 new, 2026-11-19 18:00\u20132026-11-20 18:00"
    assert before in text
    assert after not in text
    assert yesterday not in text
    assert "Period: 2026-11-19 18:00 \u2013 2026-11-20 18:00 (Europe/Vilnius)" in text


def test_an_empty_period_sends_nothing_and_is_settled(
    worker: QueueWorker, digest_stack: dict[str, str], aws_endpoint: str
) -> None:
    period = Period(utc(2026, 11, 15, 3), utc(2026, 11, 15, 4))

    schedule_at(utc(2026, 11, 15, 4, 5))
    sizes = run_until_idle(worker)

    assert sizes == [len(known_form_names())]  # one "digest due" per form, in one batch, each settled
    assert digests_for(aws_endpoint, period) == []
    assert (marker(digest_stack["BucketName"], DigestDue("action-report", period)) or {})["state"] == "sent"
    assert queue_depth(digest_stack["NotifyQueueUrl"]) == queue_depth(digest_stack["DeadLetterQueueUrl"]) == 0


def test_a_digest_message_delivered_again_and_queued_by_every_run_sends_once(
    worker: QueueWorker, digest_stack: dict[str, str], aws_endpoint: str
) -> None:
    bucket = digest_stack["BucketName"]
    submission_id = store(bucket, utc(2026, 11, 16, 9, 30))
    period = Period(utc(2026, 11, 16, 9), utc(2026, 11, 16, 10))
    item = DigestDue("action-report", period)
    sqs = boto3.client("sqs")
    run_until_idle(worker)

    for moment in (utc(2026, 11, 16, 9, 50), utc(2026, 11, 16, 10, 5), utc(2026, 11, 16, 10, 20)):
        schedule_at(moment)  # three runs: each queues the period once
    sqs.send_message(QueueUrl=digest_stack["NotifyQueueUrl"], MessageBody=item.to_json())  # and a redelivery
    run_until_idle(worker)
    sqs.send_message(QueueUrl=digest_stack["NotifyQueueUrl"], MessageBody=item.to_json())
    run_until_idle(worker)  # once more, long after it was sent

    [email] = digests_for(aws_endpoint, period)
    assert submission_id in plain_and_html(email)[0]


def test_a_failed_send_is_retried_by_the_queue_and_sends_once(
    worker: QueueWorker,
    digest_stack: dict[str, str],
    aws_endpoint: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    bucket = digest_stack["BucketName"]
    submission_id = store(bucket, utc(2026, 11, 17, 8, 15))
    run_until_idle(worker)
    proxy = FaultyProxy(aws_endpoint)
    # botocore's three tries, all throttled: the first receive fails, the queue brings it back.
    proxy.fail_next(3, 429, b'{"message": "Maximum sending rate exceeded."}', **THROTTLED)  # type: ignore[arg-type]
    monkeypatch.setenv("AWS_ENDPOINT_URL_SESV2", proxy.url)
    runtime.reset()
    period = Period(utc(2026, 11, 17, 8), utc(2026, 11, 17, 9))

    schedule_at(utc(2026, 11, 17, 9, 5))
    with caplog.at_level(logging.INFO):
        sizes = run_until_idle(worker)

    assert sizes == [len(known_form_names()), 1]  # every form's digest due; only the failed one comes back
    assert proxy.faults == []
    [email] = digests_for(aws_endpoint, period)
    assert submission_id in plain_and_html(email)[0]
    deferred = [r.getMessage() for r in caplog.records if "deferred" in r.getMessage()]
    assert len(deferred) == 1
    assert f"digest=digests/action-report/{period.name}" in deferred[0]
    assert "TooManyRequestsException" in deferred[0]
    proxy.stop()


def test_a_listing_that_fails_releases_the_claim_and_the_retry_sends(
    worker: QueueWorker, digest_stack: dict[str, str], aws_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    bucket = digest_stack["BucketName"]
    submission_id = store(bucket, utc(2026, 11, 17, 14, 15))
    run_until_idle(worker)
    proxy = FaultyProxy(aws_endpoint)
    internal = b"<Error><Code>InternalError</Code><Message>We encountered an internal error.</Message></Error>"
    proxy.fail_next(
        3,
        500,
        internal,
        when=lambda method, path, body: "list-type=2" in path and "action-report" in path,  # its listing only
    )
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", proxy.url)
    runtime.reset()
    period = Period(utc(2026, 11, 17, 14), utc(2026, 11, 17, 15))

    schedule_at(utc(2026, 11, 17, 15, 5))
    sizes = run_until_idle(worker)

    assert sizes == [len(known_form_names()), 1]
    [email] = digests_for(aws_endpoint, period)
    assert submission_id in plain_and_html(email)[0]
    proxy.stop()


def test_a_digest_that_keeps_failing_ends_in_the_dead_letter_queue_and_can_be_sent_after_the_fix(
    worker: QueueWorker,
    digest_stack: dict[str, str],
    aws_endpoint: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    bucket = digest_stack["BucketName"]
    store(bucket, utc(2026, 11, 18, 7, 45), description="Секретный текст")
    run_until_idle(worker)
    monkeypatch.setenv("LETTERBOX_SENDER", "not-verified@example.org")
    runtime.reset()
    period = Period(utc(2026, 11, 18, 7), utc(2026, 11, 18, 8))

    schedule_at(utc(2026, 11, 18, 8, 5))
    with caplog.at_level(logging.INFO):
        sizes = run_until_idle(worker)

    assert sizes == [len(known_form_names()), 1, 1, 1, 1]  # until SQS's fifth receive
    assert digests_for(aws_endpoint, period) == []
    refused = [r.getMessage() for r in caplog.records if "notification refused" in r.getMessage()]
    assert len(refused) == 5
    assert f"digest=digests/action-report/{period.name}" in refused[0]
    assert "Секретный" not in caplog.text
    assert "Берлин" not in caplog.text
    assert queue_depth(digest_stack["DeadLetterQueueUrl"]) == 1
    assert marker(bucket, DigestDue("action-report", period)) is None  # released: a redrive sends


def test_a_metadata_only_form_gets_summaries_and_ids_and_no_content(
    worker: QueueWorker, digest_stack: dict[str, str], aws_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LETTERBOX_METADATA_ONLY", "1")
    runtime.reset()
    bucket = digest_stack["BucketName"]
    submission_id = store(bucket, utc(2026, 11, 19, 6, 1), description="Секретный текст", reporter="Анна")
    run_until_idle(worker)

    schedule_at(utc(2026, 11, 19, 7, 5))
    run_until_idle(worker)

    [email] = digests_for(aws_endpoint, Period(utc(2026, 11, 19, 6), utc(2026, 11, 19, 7)))
    text, html = plain_and_html(email)
    assert "Action report: Picket or rally, Берлин, 2026-11-19" in text
    assert submission_id in text
    assert f"aws s3 cp s3://{bucket}/{submission_key('action-report', submission_id)} -" in text
    for secret in ("Секретный", "Анна", "Twenty people"):
        assert secret not in text
        assert secret not in html


def test_files_are_counted_never_attached_nor_linked(
    worker: QueueWorker, digest_stack: dict[str, str], aws_endpoint: str
) -> None:
    bucket = digest_stack["BucketName"]
    moment = utc(2026, 11, 19, 20, 10)
    submission_id = ids.new_submission_id(moment)
    attachment = StoredAttachment(f"attachments/{submission_id}/1", "скан.pdf", "application/pdf", 10)
    record = SubmissionRecord(
        id=submission_id,
        form="action-report",
        schema_version="x",
        received_at="2026-11-19T20:10:00.000Z",
        data={"kind": "banner", "date": "2026-11-19", "city": "Рига", "country": "Латвия", "description": "d"},
        attachments=(attachment,),
    )
    s3 = boto3.client("s3")
    s3.put_object(Bucket=bucket, Key=attachment.key, Body=b"%PDF-1.4\n%%EOF\n")
    s3.put_object(Bucket=bucket, Key=submission_key(record.form, submission_id), Body=record.to_json())
    run_until_idle(worker)

    schedule_at(utc(2026, 11, 19, 21, 5))
    run_until_idle(worker)

    [email] = digests_for(aws_endpoint, Period(utc(2026, 11, 19, 20), utc(2026, 11, 19, 21)))
    assert list(email.iter_attachments()) == []
    text, _ = plain_and_html(email)
    assert "1 file is stored with the submission." in text
    assert "X-Amz-Signature" not in email.as_string()


def test_the_local_stacks_schedule_thread_sends_the_digests_on_a_fast_clock(
    worker: QueueWorker, digest_stack: dict[str, str], aws_endpoint: str
) -> None:
    bucket = digest_stack["BucketName"]
    submission_id = store(bucket, utc(2026, 11, 21, 10, 30))
    run_until_idle(worker)
    ticks = iter(utc(2026, 11, 21, 10) + timedelta(minutes=15 * n) for n in range(1000))
    clock = ScheduleClock(digests, interval=0.01, now=lambda: next(ticks)).start()  # 15 minutes a tick

    deadline = time.monotonic() + 10
    while clock.runs < 6 and time.monotonic() < deadline:
        time.sleep(0.01)
    clock.stop()
    run_until_idle(worker)

    [email] = digests_for(aws_endpoint, Period(utc(2026, 11, 21, 10), utc(2026, 11, 21, 11)))
    assert submission_id in plain_and_html(email)[0]

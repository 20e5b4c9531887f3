"""One queue batch, settled per record (chalicelib/notify/batch.py), with a fake notifier and a fake SQS client.

The succeeded records are deleted, the failed ones delayed (retry delay x receive count, at most
15 minutes), and BatchPartiallyFailed raised so that Lambda leaves only the failed ones on the
queue; a batch that all succeeded needs no SQS call at all.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote_plus

import pytest

from chalicelib.notify.batch import (
    MAX_VISIBILITY_DELAY,
    BatchPartiallyFailed,
    BatchResult,
    BatchSettler,
    QueueRecord,
    process_batch,
)
from chalicelib.notify.mailer import TransientSendError
from chalicelib.notify.notifier import Notifier
from chalicelib.notify.s3_events import StoredObject

EVENT = json.loads((Path(__file__).parent.parent / "events" / "s3-object-created.json").read_text(encoding="utf-8"))
BUCKET = EVENT["Records"][0]["s3"]["bucket"]["name"]
QUEUE_ARN = "arn:aws:sqs:eu-west-1:123456789012:letterbox-prod-notify"
QUEUE_URL = "https://sqs.eu-west-1.amazonaws.com/123456789012/letterbox-prod-notify"


def submission_key(n: int) -> str:
    return f"submissions/action-report/2026/11/14/01KAX3Z8W6V1R2F7D9QH0M4N{n:02d}.json"


def record(n: int, *, body: str | None = None, receive_count: int = 1) -> QueueRecord:
    """A queue record whose body is S3's event for submission n (as the queue delivers it)."""
    if body is None:
        event = copy.deepcopy(EVENT)
        event["Records"][0]["s3"]["object"]["key"] = quote_plus(submission_key(n))
        body = json.dumps(event)
    return QueueRecord(
        message_id=f"message-{n}",
        receipt_handle=f"handle-{n}",
        body=body,
        receive_count=receive_count,
        source_arn=QUEUE_ARN,
    )


class FakeNotifier:
    """Records what it was asked to send; fails for the keys it was told to."""

    def __init__(self, failures: dict[str, Exception] | None = None) -> None:
        self.failures = failures or {}
        self.notified: list[StoredObject] = []

    def notify(self, stored: StoredObject) -> None:
        if stored.key in self.failures:
            raise self.failures[stored.key]
        self.notified.append(stored)


class FakeSqs:
    """The three SQS calls the settler makes, recorded; answers as SQS would."""

    def __init__(self, failing_visibility: set[str] | None = None) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.failing_visibility = failing_visibility or set()

    def get_queue_url(self, **params: Any) -> dict[str, Any]:
        self.calls.append(("get_queue_url", params))
        return {"QueueUrl": QUEUE_URL}

    def delete_message_batch(self, **params: Any) -> dict[str, Any]:
        self.calls.append(("delete_message_batch", params))
        return {"Successful": [{"Id": entry["Id"]} for entry in params["Entries"]], "Failed": []}

    def change_message_visibility(self, **params: Any) -> dict[str, Any]:
        self.calls.append(("change_message_visibility", params))
        if params["ReceiptHandle"] in self.failing_visibility:
            raise RuntimeError("throttled")
        return {}

    def named(self, name: str) -> list[dict[str, Any]]:
        return [params for call, params in self.calls if call == name]


def run(records: list[QueueRecord], notifier: FakeNotifier) -> BatchResult:
    return process_batch(records, cast(Notifier, notifier))


def settler(sqs: FakeSqs, retry_delay_seconds: int = 30) -> BatchSettler:
    return BatchSettler(lambda: cast(Any, sqs), retry_delay_seconds)


# --- processing ------------------------------------------------------------------------------------------


def test_each_record_is_notified_and_counted_on_its_own() -> None:
    failing = {submission_key(2): TransientSendError("Throttling"), submission_key(4): RuntimeError("bug")}
    notifier = FakeNotifier(failing)
    records = [record(n) for n in range(1, 6)]

    result = run(records, notifier)

    assert [r.message_id for r in result.succeeded] == ["message-1", "message-3", "message-5"]
    assert [r.message_id for r in result.failed] == ["message-2", "message-4"]
    assert notifier.notified == [StoredObject(BUCKET, submission_key(n)) for n in (1, 3, 5)]


def test_a_body_that_is_no_s3_event_fails_its_record_only() -> None:
    notifier = FakeNotifier()

    result = run([record(1, body="not an S3 event"), record(2)], notifier)

    assert [r.message_id for r in result.failed] == ["message-1"]
    assert [r.message_id for r in result.succeeded] == ["message-2"]


def test_s3s_test_event_succeeds_without_a_notification() -> None:
    notifier = FakeNotifier()
    test_event = json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": BUCKET})

    result = run([record(1, body=test_event)], notifier)

    assert result.failed == []
    assert notifier.notified == []


def test_a_record_from_lambda_reads_its_receive_count() -> None:
    lambda_record = {
        "messageId": "m",
        "receiptHandle": "h",
        "body": "{}",
        "attributes": {"ApproximateReceiveCount": "3"},
        "eventSourceARN": QUEUE_ARN,
    }
    assert QueueRecord.from_lambda(lambda_record) == QueueRecord("m", "h", "{}", 3, QUEUE_ARN)
    assert QueueRecord.from_lambda({"messageId": "m", "receiptHandle": "h", "body": ""}).receive_count == 1


# --- settling --------------------------------------------------------------------------------------------


def test_a_batch_that_all_succeeded_is_left_to_lambda() -> None:
    def no_client() -> Any:
        raise AssertionError("an SQS client was asked for")

    BatchSettler(no_client, 30).settle(BatchResult(succeeded=[record(1), record(2)]))  # no call, no raise


def test_succeeded_records_are_deleted_failed_ones_delayed_then_it_raises() -> None:
    sqs = FakeSqs()
    result = BatchResult(
        succeeded=[record(n) for n in range(1, 13)],
        failed=[record(20, receive_count=1), record(21, receive_count=4)],
    )

    with pytest.raises(BatchPartiallyFailed, match="2 of 14 failed"):
        settler(sqs, retry_delay_seconds=30).settle(result)

    assert sqs.named("get_queue_url") == [
        {"QueueName": "letterbox-prod-notify", "QueueOwnerAWSAccountId": "123456789012"}
    ]
    deleted = sqs.named("delete_message_batch")
    assert [len(call["Entries"]) for call in deleted] == [10, 2]  # SQS takes ten at a time
    assert all(call["QueueUrl"] == QUEUE_URL for call in deleted)
    assert [e["ReceiptHandle"] for call in deleted for e in call["Entries"]] == [f"handle-{n}" for n in range(1, 13)]
    assert sqs.named("change_message_visibility") == [
        {"QueueUrl": QUEUE_URL, "ReceiptHandle": "handle-20", "VisibilityTimeout": 30},
        {"QueueUrl": QUEUE_URL, "ReceiptHandle": "handle-21", "VisibilityTimeout": 120},
    ]


def test_the_retry_delay_grows_with_each_receive_up_to_fifteen_minutes() -> None:
    sqs = FakeSqs()
    failed = [record(n, receive_count=n) for n in (1, 2, 5, 30, 31, 100)]

    with pytest.raises(BatchPartiallyFailed, match="6 of 6 failed"):
        settler(sqs, retry_delay_seconds=30).settle(BatchResult(failed=failed))

    delays = [call["VisibilityTimeout"] for call in sqs.named("change_message_visibility")]
    assert delays == [30, 60, 150, 900, 900, 900]
    assert MAX_VISIBILITY_DELAY == 900  # the most SQS allows here: 15 minutes
    assert sqs.named("delete_message_batch") == []  # nothing succeeded, nothing to delete


def test_a_delay_that_cannot_be_set_does_not_stop_the_others() -> None:
    sqs = FakeSqs(failing_visibility={"handle-1"})

    with pytest.raises(BatchPartiallyFailed):
        settler(sqs).settle(BatchResult(failed=[record(1), record(2)]))

    assert [call["ReceiptHandle"] for call in sqs.named("change_message_visibility")] == ["handle-1", "handle-2"]


def test_with_no_retry_delay_failed_records_come_back_at_once() -> None:
    sqs = FakeSqs()

    with pytest.raises(BatchPartiallyFailed):
        settler(sqs, retry_delay_seconds=0).settle(
            BatchResult(succeeded=[record(1)], failed=[record(2, receive_count=3)])
        )

    assert [call["VisibilityTimeout"] for call in sqs.named("change_message_visibility")] == [0]

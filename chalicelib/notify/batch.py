"""One queue batch, settled per record: a failing record neither resends the others nor is lost.

Chalice cannot switch on ReportBatchItemFailures, and without it Lambda treats a batch as
all-or-nothing. So the handler deletes the records that succeeded itself, delays the failed
ones, and raises: Lambda then leaves only the failed records on the queue, and SQS moves a
record to the dead-letter queue after its fifth receive.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from chalicelib.core.logsafe import error_summary
from chalicelib.core.storage import StorageUnavailable, submission_id_from_key
from chalicelib.notify.digest_due import digest_due_in
from chalicelib.notify.header_guard import UnsafeMessage
from chalicelib.notify.mailer import PermanentSendError, TransientSendError
from chalicelib.notify.notifier import NotificationInFlight, Notifier, UnusableSubmission
from chalicelib.notify.s3_events import MalformedEvent, created_objects

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

    from chalicelib.notify.digest import DigestSender

log = logging.getLogger(__name__)
MAX_VISIBILITY_DELAY = 900


@dataclass(frozen=True)
class QueueRecord:
    message_id: str
    receipt_handle: str
    body: str
    receive_count: int
    source_arn: str

    @classmethod
    def from_lambda(cls, record: Mapping[str, Any]) -> QueueRecord:
        return cls(
            message_id=str(record["messageId"]),
            receipt_handle=str(record["receiptHandle"]),
            body=str(record["body"]),
            receive_count=int(record.get("attributes", {}).get("ApproximateReceiveCount", 1)),
            source_arn=str(record.get("eventSourceARN", "")),
        )


@dataclass
class BatchResult:
    succeeded: list[QueueRecord] = field(default_factory=list)
    failed: list[QueueRecord] = field(default_factory=list)


class BatchPartiallyFailed(Exception):
    """Raised after settling, so Lambda returns the failed records to the queue."""


def process_batch(
    records: Iterable[QueueRecord], notifier: Notifier, digests: Callable[[], DigestSender] | None = None
) -> BatchResult:
    """`digests` builds the digest sender, called only for a "digest due" message (chalicelib/notify/digest.py)."""
    result = BatchResult()
    for record in records:
        if _process_record(record, notifier, digests):
            result.succeeded.append(record)
        else:
            result.failed.append(record)
    return result


def _process_record(record: QueueRecord, notifier: Notifier, digests: Callable[[], DigestSender] | None) -> bool:
    delivery = f"message={record.message_id} receive={record.receive_count}"
    where = delivery
    try:
        due = digest_due_in(record.body)
        if due is not None:
            where = f"digest={due.marker_id} {delivery}"
            if digests is None:
                raise MalformedEvent("a digest message, and no digest sender")
            digests().send(due)
        for stored in created_objects(record.body) if due is None else ():
            where = f"id={submission_id_from_key(stored.key)} {delivery}"
            notifier.notify(stored)
    except (TransientSendError, StorageUnavailable, NotificationInFlight) as error:
        log.warning("notification deferred, will retry %s: %s %s", where, type(error).__name__, error)
    except PermanentSendError as error:
        # Retrying alone will not help: the operator must act (see the dead-letter alarm).
        log.error("notification refused %s: %s", where, error.reason)
    except (MalformedEvent, UnusableSubmission) as error:
        log.error("unusable queue message %s: %s", where, error)
    except UnsafeMessage as error:
        # Submitted text changed the email's headers: never sent; the dead-letter queue keeps the record.
        log.error("unsafe email refused %s: %s", where, error)
    except Exception as error:  # noqa: BLE001 (one broken record must not sink the batch)
        log.error("notification failed %s: %s", where, error_summary(error))
    else:
        return True
    return False


class BatchSettler:
    def __init__(self, sqs: Callable[[], SQSClient], retry_delay_seconds: int) -> None:
        # Called only when a batch has failures: a batch that all succeeds needs no SQS client.
        self._sqs_client = sqs
        self._retry_delay = retry_delay_seconds

    @property
    def _sqs(self) -> SQSClient:
        return self._sqs_client()

    def settle(self, result: BatchResult) -> None:
        if not result.failed:
            return  # Lambda deletes the whole batch
        queue_url = self._queue_url(result.failed[0].source_arn)
        self._delete(queue_url, result.succeeded)
        self._delay(queue_url, result.failed)
        raise BatchPartiallyFailed(f"{len(result.failed)} of {len(result.failed) + len(result.succeeded)} failed")

    def _queue_url(self, source_arn: str) -> str:
        _, _, _, _, account, name = source_arn.split(":", 5)
        return self._sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]

    def _delete(self, queue_url: str, records: Sequence[QueueRecord]) -> None:
        for start in range(0, len(records), 10):
            chunk = records[start : start + 10]
            entries = [{"Id": str(i), "ReceiptHandle": r.receipt_handle} for i, r in enumerate(chunk)]
            answer = self._sqs.delete_message_batch(QueueUrl=queue_url, Entries=entries)  # type: ignore[arg-type]
            if answer.get("Failed"):
                # Those come back and are skipped by their "sent" marker: no second email.
                log.warning("could not delete %d settled messages", len(answer["Failed"]))

    def _delay(self, queue_url: str, records: Sequence[QueueRecord]) -> None:
        for record in records:
            delay = min(self._retry_delay * record.receive_count, MAX_VISIBILITY_DELAY)
            try:
                self._sqs.change_message_visibility(
                    QueueUrl=queue_url, ReceiptHandle=record.receipt_handle, VisibilityTimeout=delay
                )
            except Exception as error:  # noqa: BLE001 (the queue's own timeout still brings it back)
                log.warning("could not set retry delay message=%s: %s", record.message_id, type(error).__name__)

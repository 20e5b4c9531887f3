"""The notify queue and its dead-letter queue: looking without taking, moving back, announcing again.

The messages are S3 event notifications (a bucket and a key, never a submission's content) and
the digest schedule's notes (a form and a period).
Looking (peek) receives each message and at once makes it visible again (visibility 0), so the
queue keeps it. Moving back (redrive) sends each to the notify queue, then deletes it from the
dead-letter queue: a message may be there twice for a moment, never lost; the notified/ marker
makes two deliveries one email.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote_plus

from chalicelib.core.storage import SUBMISSIONS_PREFIX, submission_id_from_key
from chalicelib.notify.digest_due import DigestDue, digest_due_in
from chalicelib.notify.s3_events import MalformedEvent, created_objects

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

BATCH = 10  # SQS's most per receive, send and delete
# Long enough to read the whole queue before any message shows again; each is released right after.
PEEK_VISIBILITY_SECONDS = 60
REDRIVE_VISIBILITY_SECONDS = 120
PEEK_LIMIT = 10_000


@dataclass(frozen=True)
class Announced:
    form: str
    submission_id: str


@dataclass(frozen=True)
class DeadLetter:
    message_id: str
    receives: int
    first_sent: datetime | None
    announced: tuple[Announced, ...]
    readable: bool
    # A digest's "due" note (the schedule's), rather than a bucket's announcement of a submission.
    digest: DigestDue | None = None


def peek(sqs: SQSClient, queue_url: str, limit: int = PEEK_LIMIT) -> list[DeadLetter]:
    """What waits in the queue, which keeps all of it."""
    seen: dict[str, dict[str, Any]] = {}
    try:
        while len(seen) < limit and (batch := _receive(sqs, queue_url, PEEK_VISIBILITY_SECONDS)):
            fresh = [message for message in batch if message["MessageId"] not in seen]
            seen.update((message["MessageId"], message) for message in batch)  # the newest receipt releases it
            if not fresh:
                break
    finally:
        _release(sqs, queue_url, list(seen.values()))
    return [_dead_letter(message) for message in seen.values()]


def redrive(sqs: SQSClient, dead_letter_url: str, notify_url: str) -> tuple[int, int]:
    """Move every message back to the notify queue: (moved, left in the dead-letter queue)."""
    moved = failed = 0
    while batch := _receive(sqs, dead_letter_url, REDRIVE_VISIBILITY_SECONDS):
        entries = [{"Id": str(n), "MessageBody": message["Body"]} for n, message in enumerate(batch)]
        answer = sqs.send_message_batch(QueueUrl=notify_url, Entries=entries)  # type: ignore[arg-type]
        sent = {int(entry["Id"]) for entry in answer.get("Successful", [])}
        failed += len(batch) - len(sent)
        done = [{"Id": str(n), "ReceiptHandle": batch[n]["ReceiptHandle"]} for n in sorted(sent)]
        if done:
            sqs.delete_message_batch(QueueUrl=dead_letter_url, Entries=done)  # type: ignore[arg-type]
        moved += len(done)
        if failed:
            break  # the notify queue refuses: what is left waits in the dead-letter queue, visible again soon
    return moved, failed


def announce(sqs: SQSClient, notify_url: str, bucket: str, key: str) -> str:
    """Put an S3-event-shaped message for `key` on the notify queue, as S3 itself does on a PUT; its id."""
    answer = sqs.send_message(QueueUrl=notify_url, MessageBody=s3_event(bucket, key))
    return answer["MessageId"]


def s3_event(bucket: str, key: str) -> str:
    record = {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "eventTime": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "eventName": "ObjectCreated:Put",
        # Marks a deliberate resend for whoever reads the queue; the notify function ignores it.
        "userIdentity": {"principalId": "letterbox-resend"},
        "s3": {"bucket": {"name": bucket}, "object": {"key": quote_plus(key, safe="/")}},
    }
    return json.dumps({"Records": [record]})


def _receive(sqs: SQSClient, queue_url: str, visibility: int) -> list[dict[str, Any]]:
    answer = sqs.receive_message(
        QueueUrl=queue_url,
        MaxNumberOfMessages=BATCH,
        VisibilityTimeout=visibility,
        WaitTimeSeconds=1,  # long polling asks every SQS server: a short poll may miss messages
        MessageSystemAttributeNames=["ApproximateReceiveCount", "SentTimestamp"],
    )
    messages: list[dict[str, Any]] = list(answer.get("Messages", []))  # type: ignore[arg-type]
    return messages


def _release(sqs: SQSClient, queue_url: str, messages: list[dict[str, Any]]) -> None:
    for start in range(0, len(messages), BATCH):
        entries = [
            {"Id": str(n), "ReceiptHandle": message["ReceiptHandle"], "VisibilityTimeout": 0}
            for n, message in enumerate(messages[start : start + BATCH])
        ]
        sqs.change_message_visibility_batch(QueueUrl=queue_url, Entries=entries)  # type: ignore[arg-type]


def _dead_letter(message: dict[str, Any]) -> DeadLetter:
    attributes = message.get("Attributes", {})
    sent = attributes.get("SentTimestamp")
    body = str(message["Body"])
    digest: DigestDue | None = None
    try:
        digest = digest_due_in(body)
        announced = () if digest else tuple(_announced(stored.key) for stored in created_objects(body))
        readable = True
    except MalformedEvent:  # MalformedDigestDue too
        announced, readable = (), False
    return DeadLetter(
        message_id=str(message["MessageId"]),
        receives=int(attributes.get("ApproximateReceiveCount", 0)),
        first_sent=datetime.fromtimestamp(int(sent) / 1000, tz=UTC) if sent else None,
        announced=announced,
        readable=readable,
        digest=digest,
    )


def _announced(key: str) -> Announced:
    form = key.removeprefix(SUBMISSIONS_PREFIX).split("/", 1)[0]
    return Announced(form, submission_id_from_key(key))

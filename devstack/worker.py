"""The notify function, run locally: long-polls the local queue and invokes the same handler
with real SQS records, as Lambda's event source mapping does; and keeps an outbox. It also runs
the digest schedule (devstack/schedule.py) on its clock.

Lambda's contract, kept here: a batch whose handler returns is deleted whole; a batch whose
handler raises stays on the queue (the handler has already settled it record by record).
"""

from __future__ import annotations

import collections
import logging
import os
import re
import signal
import sys
import threading
from collections.abc import Callable, Mapping
from email.parser import BytesHeaderParser
from email.utils import getaddresses
from pathlib import Path
from typing import Any

import boto3

log = logging.getLogger("devstack.worker")
Handler = Callable[[dict[str, Any], Any], Any]
SEND_EMAIL = "sesv2.SendEmail"
_RAW_MESSAGE = "letterbox_outbox_raw_message"  # the key under which a call's context keeps its message
_SAFE_NAME = re.compile(r"[A-Za-z0-9_-]{1,100}")  # the names the demo site serves from the outbox
# What collect() returns at most: the worker process never collects, and must not grow for it.
_KEEP_WRITTEN = 1000


class Outbox:
    """Every email the local SES accepted, as outbox/{submission id}.eml, written as SES answers.

    It listens on the SES client the handler sends with (botocore events), so each email costs one
    file write, however long the session: the message is taken from the call's parameters, and the
    file written only once SES answered with a MessageId. Nothing is read back from the emulator.
    """

    def __init__(self, directory: Path, aws_url: str | None = None, ses: Callable[[], Any] | None = None) -> None:
        # aws_url is no longer read (the outbox once read the emulator's whole state after each batch);
        # it is accepted so that callers passing it keep working.
        del aws_url
        self.directory = directory
        self._ses = ses or _handler_ses_client
        self._unique_id = f"letterbox-outbox-{id(self)}"
        self._written: collections.deque[Path] = collections.deque(maxlen=_KEEP_WRITTEN)

    def listen(self) -> None:
        """Hear the SendEmail calls of the handler's current SES client; cheap to repeat (once per client)."""
        events = self._ses().meta.events
        # The parameters are gone by after-call: keep the raw message in the call's context until then.
        events.register(f"before-parameter-build.{SEND_EMAIL}", self._keep, unique_id=f"{self._unique_id}-keep")
        events.register(f"after-call.{SEND_EMAIL}", self._accepted, unique_id=f"{self._unique_id}-accepted")

    def collect(self) -> list[Path]:
        """The .eml files written since the last call (the last 1,000 of them)."""
        written = list(self._written)
        self._written.clear()
        return written

    def _keep(self, params: Mapping[str, Any], context: dict[str, Any], **_: Any) -> None:
        raw = params.get("Content", {}).get("Raw", {}).get("Data")
        if isinstance(raw, str):
            raw = raw.encode()
        if isinstance(raw, bytes | bytearray):
            context[_RAW_MESSAGE] = bytes(raw)

    def _accepted(self, http_response: Any, parsed: Mapping[str, Any], context: dict[str, Any], **_: Any) -> None:
        raw = context.pop(_RAW_MESSAGE, None)
        message_id = parsed.get("MessageId")
        if raw is None or http_response.status_code >= 300 or not message_id:
            return  # refused or failed: nothing went out
        self._written.append(self._write(raw, str(message_id)))

    def _write(self, raw: bytes, message_id: str) -> Path:
        headers = BytesHeaderParser().parsebytes(raw)
        name = _file_name(headers.get("X-Letterbox-Submission")) or _file_name(message_id) or "message"
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{name}.eml"
        # Whole or not at all: the demo site may list the outbox while it is written.
        partial = path.with_name(f".{path.name}.partial")
        partial.write_bytes(raw)
        partial.replace(path)
        # One line per email: which form, which submission, how many recipients; never content.
        recipients = len(getaddresses(headers.get_all("To", [])))
        print(f"email sent form={headers.get('X-Letterbox-Form', '?')} id={name} recipients={recipients}", flush=True)
        return path


def _file_name(text: str | None) -> str | None:
    """A header value usable as a file name in the outbox (the demo site serves no other), else None."""
    value = (text or "").strip()
    return value if _SAFE_NAME.fullmatch(value) else None


def _handler_ses_client() -> Any:
    from chalicelib import runtime  # after the environment is set, as the handler itself

    return runtime.ses_client()


class QueueWorker:
    def __init__(self, sqs: Any, queue_name: str, handler: Handler, outbox: Outbox | None, wait_seconds: int = 2):
        self._sqs = sqs
        self._queue_url: str = sqs.get_queue_url(QueueName=queue_name)["QueueUrl"]
        attributes = sqs.get_queue_attributes(QueueUrl=self._queue_url, AttributeNames=["QueueArn"])
        self._queue_arn: str = attributes["Attributes"]["QueueArn"]
        self._handler = handler
        self._outbox = outbox
        self._wait_seconds = wait_seconds

    def run_once(self) -> int:
        """Receive one batch and hand it to the handler; the number of messages received."""
        answer = self._sqs.receive_message(
            QueueUrl=self._queue_url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=self._wait_seconds,
            MessageSystemAttributeNames=["All"],
        )
        messages = answer.get("Messages", [])
        if not messages:
            return 0
        if self._outbox is not None:
            self._outbox.listen()
        try:
            self._handler({"Records": [self.lambda_record(m) for m in messages]}, None)
        except Exception as error:  # noqa: BLE001 (Lambda too just leaves a failed batch on the queue)
            log.warning("batch not fully handled: %s", error)
        else:
            entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]
            self._sqs.delete_message_batch(QueueUrl=self._queue_url, Entries=entries)
        return len(messages)

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            self.run_once()

    def lambda_record(self, message: Mapping[str, Any]) -> dict[str, Any]:
        return lambda_sqs_record(message, self._queue_arn)


def lambda_sqs_record(message: Mapping[str, Any], queue_arn: str) -> dict[str, Any]:
    """An SQS message (as ReceiveMessage returns it) in the shape Lambda gives an SQS-triggered function."""
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": {},
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": queue_arn.split(":")[3],
    }


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("botocore").setLevel(logging.WARNING)
    from app import digests, notify  # the deployed handlers themselves, after the environment is set
    from devstack.schedule import ScheduleClock

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    outbox = Outbox(Path(os.environ["LETTERBOX_OUTBOX"]))
    worker = QueueWorker(boto3.client("sqs"), os.environ["LETTERBOX_NOTIFY_QUEUE"], notify, outbox)
    print(f"worker polling {os.environ['LETTERBOX_NOTIFY_QUEUE']}", flush=True)
    # The digest schedule too, as EventBridge runs it: it queues "digest due" messages this worker sends.
    schedule = ScheduleClock(digests, float(os.environ.get("LETTERBOX_SCHEDULE_SECONDS", "900"))).start()
    worker.run(stop)
    schedule.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The notify function, run locally: long-polls the local queue and invokes the same handler
with real SQS records, as Lambda's event source mapping does; and keeps an outbox.

Lambda's contract, kept here: a batch whose handler returns is deleted whole; a batch whose
handler raises stays on the queue (the handler has already settled it record by record).
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
import urllib.request
from collections.abc import Callable, Mapping
from email import message_from_string
from email.utils import getaddresses
from pathlib import Path
from typing import Any

import boto3

log = logging.getLogger("devstack.worker")
Handler = Callable[[dict[str, Any], Any], Any]


class Outbox:
    """Every email the local SES accepted, as outbox/{submission id}.eml."""

    def __init__(self, directory: Path, aws_url: str) -> None:
        self.directory = directory
        self._data_url = f"{aws_url}/moto-api/data.json"
        self._seen: set[str] = set()

    def collect(self) -> list[Path]:
        with urllib.request.urlopen(self._data_url, timeout=10) as answer:
            sent = json.load(answer).get("ses", {}).get("RawMessage", [])
        written = []
        for message in sent:
            if message["id"] in self._seen:
                continue
            self._seen.add(message["id"])
            written.append(self._write(message))
        return written

    def _write(self, message: Mapping[str, Any]) -> Path:
        parsed = message_from_string(message["raw_data"])
        name = parsed.get("X-Letterbox-Submission") or message["id"]
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{name}.eml"
        path.write_text(message["raw_data"], encoding="utf-8")
        # One line per email: which form, which submission, how many recipients; never content.
        recipients = len(getaddresses(parsed.get_all("To", [])))
        print(f"email sent form={parsed.get('X-Letterbox-Form', '?')} id={name} recipients={recipients}", flush=True)
        return path


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
        try:
            self._handler({"Records": [self.lambda_record(m) for m in messages]}, None)
        except Exception as error:  # noqa: BLE001 (Lambda too just leaves a failed batch on the queue)
            log.warning("batch not fully handled: %s", error)
        else:
            entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]
            self._sqs.delete_message_batch(QueueUrl=self._queue_url, Entries=entries)
        if self._outbox is not None:
            self._outbox.collect()
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
    from app import notify  # the deployed handler itself, after the environment is set

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    outbox = Outbox(Path(os.environ["LETTERBOX_OUTBOX"]), os.environ["AWS_ENDPOINT_URL"])
    worker = QueueWorker(boto3.client("sqs"), os.environ["LETTERBOX_NOTIFY_QUEUE"], notify, outbox)
    print(f"worker polling {os.environ['LETTERBOX_NOTIFY_QUEUE']}", flush=True)
    worker.run(stop)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The local AWS for the cold-start figures: moto in server mode, the infra template, the captcha stand-in."""

from __future__ import annotations

import collections
import json
import os
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

from bench.common import LOCAL_CREDENTIALS, ORGANIZERS, ORIGIN, SENDER, TEMPLATE, TEST_SECRET, TEST_SITEKEY, free_port
from devstack.infra import apply_template
from devstack.siteverify import SiteverifyServer
from devstack.worker import lambda_sqs_record as to_lambda_record

# Settings the children must not inherit from whoever runs the benchmark.
_CLEARED_PREFIXES = ("LETTERBOX_", "HCAPTCHA_", "AWS_")


class LocalAws:
    """Started on free loopback ports; the parent's boto3 talks to it through AWS_ENDPOINT_URL."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self.siteverify = SiteverifyServer()
        self.outputs: dict[str, str] = {}
        self._saved: dict[str, str | None] = {}
        self._pending: collections.deque[dict[str, Any]] = collections.deque()

    def start(self) -> LocalAws:
        self._server.start()
        env = {"AWS_ENDPOINT_URL": self.url, **LOCAL_CREDENTIALS}
        self._saved = {name: os.environ.get(name) for name in env}
        os.environ.update(env)
        self.outputs = apply_template(TEMPLATE, {"Stage": "bench", "SenderAddress": SENDER})
        self.siteverify.start()
        self._sqs = boto3.client("sqs")
        return self

    def stop(self) -> None:
        self.siteverify.stop()
        self._server.stop()
        for name, value in self._saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

    def __enter__(self) -> LocalAws:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def child_env(self) -> dict[str, str]:
        """The functions' environment: what .chalice/config.json's dev stage gives, pointed at this AWS."""
        base = {name: value for name, value in os.environ.items() if not name.startswith(_CLEARED_PREFIXES)}
        return {
            **base,
            **LOCAL_CREDENTIALS,
            "AWS_ENDPOINT_URL": self.url,
            "LETTERBOX_STAGE": "dev",
            # The bench runs on this machine, like the local stack: the test keys are allowed.
            "LETTERBOX_LOCAL": "1",
            "LETTERBOX_BUCKET": self.outputs["BucketName"],
            "LETTERBOX_NOTIFY_QUEUE": self.outputs["NotifyQueueName"],
            "LETTERBOX_ORIGINS": ORIGIN,
            "HCAPTCHA_SITEKEY": TEST_SITEKEY,
            "HCAPTCHA_SECRET": TEST_SECRET,
            "HCAPTCHA_VERIFY_URL": self.siteverify.url,
            "LETTERBOX_SENDER": SENDER,
            "LETTERBOX_ORGANIZERS": ORGANIZERS,
            "PYTHONUNBUFFERED": "1",
        }

    def siteverify_requests(self) -> int:
        with self.siteverify.state.lock:
            return len(self.siteverify.state.requests)

    def take_records(self, count: int, timeout_polls: int = 10) -> list[dict[str, Any]]:
        """`count` queue messages announcing stored submissions, as Lambda records; deleted from the queue.

        The benchmark stands in for the event source mapping: it receives and deletes, the function only handles.
        """
        url, arn = self.outputs["NotifyQueueUrl"], self.outputs["NotifyQueueArn"]
        empty_polls = 0
        while len(self._pending) < count and empty_polls < timeout_polls:
            answer = self._sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1, MessageSystemAttributeNames=["All"]
            )
            messages = answer.get("Messages", [])
            if not messages:
                empty_polls += 1
                continue
            entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]
            self._sqs.delete_message_batch(QueueUrl=url, Entries=entries)  # type: ignore[arg-type]
            for message in messages:
                if "Records" in json.loads(message["Body"]):  # not S3's TestEvent
                    self._pending.append(to_lambda_record(message, arn))
        if len(self._pending) < count:
            raise RuntimeError(f"only {len(self._pending)} of {count} notifications arrived on the queue")
        return [self._pending.popleft() for _ in range(count)]

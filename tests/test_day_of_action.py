"""A day of action on `make dev`'s stack: the worker SIGKILLed mid-batch under load, twice, and restarted.

Every submission is still emailed exactly once, and nothing reaches the dead-letter queue. The two kills
land where a crash costs the most: just after SES accepted an email, before the worker marked it sent (a
second email, if done wrong); and halfway through the pause the worker keeps between two sends
(LETTERBOX_SEND_RATE), where it spends most of its time (no email at all, if done wrong).

How long it takes is the design's, not the test's: a killed batch's messages come back after the queue's
visibility timeout (360 s, the template's), by when a claim the killed worker left is older than the
claim lease (5 minutes, chalicelib.notify.markers). So the wait is bounded by that timeout, not by 90 s.
moto keeps its state per process, not per server: this stack's bucket and queues have names of their
own, and what the local SES holds is counted for this test's submissions only.
"""

from __future__ import annotations

import collections
import json
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from email.parser import HeaderParser
from pathlib import Path
from typing import Any

import boto3
import pytest

from devstack.stack import LocalStack, Ports
from tests.conftest import TEST_TOKEN, free_port, ses_raw_messages

SUBMISSIONS = 60
CLIENTS = 6
# The first kill once this many emails went out: the worker is busy, and most of the crowd is queued.
KILL_AFTER_EMAILS = 5
# After the last kill: the killed batches' visibility timeout, then time to send what they held.
MARGIN_SECONDS = 120
REPORT = {
    "kind": "picket",
    "date": "2026-11-14",
    "city": "Vilnius",
    "country": "Lithuania",
    "description": "Twenty people outside the embassy for an hour.",
    "h-captcha-response": TEST_TOKEN,
}

pytestmark = pytest.mark.slow


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[LocalStack]:
    ports = Ports(aws=free_port(), captcha=free_port(), api=free_port(), demo=free_port())
    # Resources of its own: another stack in this process would otherwise share (and drain) its queue.
    local = LocalStack(ports, outbox=tmp_path / "outbox", resources="dev-day-of-action")
    with (tmp_path / "stack.log").open("wb") as log, local:
        local.start(output=log.fileno())
        yield local


class Timeline:
    """What happened when, for the failure message: a duplicate or a loss must come with its story."""

    def __init__(self) -> None:
        self._started = time.monotonic()
        self.events: list[str] = []

    def note(self, what: str) -> None:
        self.events.append(f"{time.monotonic() - self._started:7.1f} s  {what}")

    def __str__(self) -> str:
        return "\n".join(self.events)


class Crowd:
    """CLIENTS threads posting SUBMISSIONS reports between them; the ids answered."""

    def __init__(self, stack: LocalStack) -> None:
        self._stack = stack
        self._lock = threading.Lock()
        self._answered: list[str] = []
        self.failures: list[str] = []
        self._threads = [threading.Thread(target=self._post, args=(SUBMISSIONS // CLIENTS,)) for _ in range(CLIENTS)]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def join(self) -> None:
        for thread in self._threads:
            thread.join(timeout=120)

    @property
    def answered(self) -> set[str]:
        with self._lock:
            return set(self._answered)

    def _post(self, count: int) -> None:
        for _ in range(count):
            try:
                submission_id = _submit(self._stack)
            except OSError as error:
                with self._lock:
                    self.failures.append(f"{type(error).__name__}: {error}")
                continue
            with self._lock:
                self._answered.append(submission_id)


def test_a_worker_killed_mid_batch_under_load_still_sends_each_email_exactly_once(stack: LocalStack) -> None:
    aws = _clients(stack)
    queue_url, dlq_url = stack.outputs["NotifyQueueUrl"], stack.outputs["DeadLetterQueueUrl"]
    visibility = int(_queue_attributes(aws["sqs"], queue_url)["VisibilityTimeout"])
    dead_before = _queue_depth(aws["sqs"], dlq_url)
    timeline = Timeline()
    crowd = Crowd(stack)
    crowd.start()

    # Kill 1: the moment an email is in the outbox, which the worker writes when SES answers, and just
    # before it marks the email sent.
    assert _wait_until(lambda: _emails(stack) >= KILL_AFTER_EMAILS, 120), f"no emails\n{timeline}"
    in_flight = _kill(stack, aws, crowd.answered, timeline, "just after SES accepted an email")
    crowd.join()
    ours = crowd.answered
    timeline.note(f"all submitted: {len(ours)} answered 201, {len(crowd.failures)} failed")
    stack.start_worker()
    timeline.note("worker restarted")

    # Kill 2: halfway between two sends, where the worker waits its turn under the send rate.
    first, second = _next_email(stack, 120), _next_email(stack, 120)
    assert first is not None, f"no emails after the restart\n{timeline}"
    assert second is not None, f"no second email after the restart\n{timeline}"
    interval = second - first
    assert _next_email(stack, 120), f"no emails after the restart\n{timeline}"
    time.sleep(interval / 2)
    in_flight += _kill(stack, aws, ours, timeline, f"halfway through the {interval:.2f} s between two sends")
    stack.start_worker()
    timeline.note("worker restarted")

    deadline = time.monotonic() + visibility + MARGIN_SECONDS
    seen = -1
    while time.monotonic() < deadline and _emails(stack, ours) < len(ours):
        if (count := _emails(stack, ours)) != seen:
            timeline.note(f"{count} of ours in the outbox")
            seen = count
        time.sleep(0.5)
    timeline.note(f"{_emails(stack, ours)} of ours in the outbox; unconfirmed: {_unconfirmed(aws['s3'], stack, ours)}")
    # The last email's message is deleted from the queue just after it is sent.
    drained = _wait_until(lambda: _queue_depth(aws["sqs"], queue_url) == 0, 30)

    assert in_flight > 0, f"the worker was not handling a batch when killed\n{timeline}"
    assert not crowd.failures, f"{crowd.failures[:3]}\n{timeline}"
    assert len(ours) == SUBMISSIONS
    sent = _sent_per_submission(stack, ours)
    duplicates = {submission_id: n for submission_id, n in sent.items() if n > 1}
    missing = ours - set(sent)
    assert not duplicates, f"emailed more than once: {duplicates}\n{timeline}"
    assert not missing, f"never emailed: {sorted(missing)}\n{timeline}"
    assert sum(sent.values()) == SUBMISSIONS
    assert ours <= _stored_ids(aws["s3"], stack)
    assert _queue_depth(aws["sqs"], dlq_url) == dead_before, f"in the dead-letter queue\n{timeline}"
    assert drained, f"messages left on the queue\n{timeline}"
    print(f"\n{timeline}")  # with -s: how long the recovery took, and from which states


def _kill(stack: LocalStack, aws: dict[str, Any], ours: set[str], timeline: Timeline, when: str) -> int:
    """SIGKILL the worker; note what it left behind; the number of messages it held."""
    stack.stop_worker()
    timeline.note(f"worker killed {when}, {_emails(stack)} emails in the outbox")
    in_flight = int(
        _queue_attributes(aws["sqs"], stack.outputs["NotifyQueueUrl"])["ApproximateNumberOfMessagesNotVisible"]
    )
    timeline.note(f"  messages in flight: {in_flight}; unconfirmed markers: {_unconfirmed(aws['s3'], stack, ours)}")
    return in_flight


def _submit(stack: LocalStack) -> str:
    request = urllib.request.Request(
        f"{stack.api_url}/forms/action-report/submissions",
        data=json.dumps(REPORT).encode(),
        headers={"Content-Type": "application/json", "Origin": stack.demo_origins[0]},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        if answer.status != 201:
            raise OSError(f"answered {answer.status}")
        return str(json.load(answer)["id"])


def _wait_until(condition: Callable[[], bool], seconds: float) -> bool:
    """Whether `condition` held within `seconds` (polled every 2 ms: a kill must land in its moment)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.002)
    return True


def _next_email(stack: LocalStack, seconds: float) -> float | None:
    """When the next email appeared in the outbox (None if none within `seconds`)."""
    before = _emails(stack)
    return time.monotonic() if _wait_until(lambda: _emails(stack) > before, seconds) else None


def _emails(stack: LocalStack, ids: set[str] | None = None) -> int:
    """Emails in the outbox (for `ids` only, if given: a queue shared with earlier stacks may hold theirs)."""
    if not stack.outbox.exists():
        return 0
    names = [path.stem for path in stack.outbox.glob("*.eml")]
    return len(names) if ids is None else len(ids.intersection(names))


def _clients(stack: LocalStack) -> dict[str, Any]:
    options = {
        "endpoint_url": stack.aws_url,
        "aws_access_key_id": "local",
        "aws_secret_access_key": "local",
        "region_name": "us-east-1",
    }
    return {"s3": boto3.client("s3", **options), "sqs": boto3.client("sqs", **options)}  # type: ignore[call-overload]


def _queue_attributes(sqs: Any, url: str) -> dict[str, str]:
    return dict(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"])


def _queue_depth(sqs: Any, url: str) -> int:
    attributes = _queue_attributes(sqs, url)
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


def _keys(s3: Any, stack: LocalStack, prefix: str) -> list[str]:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=stack.outputs["BucketName"], Prefix=prefix)
    return [item["Key"] for page in pages for item in page.get("Contents", [])]


def _stored_ids(s3: Any, stack: LocalStack) -> set[str]:
    return {key.rsplit("/", 1)[-1].removesuffix(".json") for key in _keys(s3, stack, "submissions/action-report/")}


def _unconfirmed(s3: Any, stack: LocalStack, ids: set[str]) -> list[str]:
    """Markers of `ids` not (yet) `sent`: id, state, and whether the local SES has that email."""
    in_ses = _sent_per_submission(stack, ids)
    found = []
    for key in _keys(s3, stack, "notified/"):
        submission_id = key.removeprefix("notified/")
        if submission_id in ids:
            body = s3.get_object(Bucket=stack.outputs["BucketName"], Key=key)["Body"].read()
            state = str(json.loads(body).get("state"))
            if state != "sent":
                found.append(f"{submission_id} {state}, {'in SES' if in_ses[submission_id] else 'not in SES'}")
    return found


def _sent_per_submission(stack: LocalStack, ids: set[str]) -> collections.Counter[str]:
    """How many emails the local SES accepted for each of `ids` (by its X-Letterbox-Submission header)."""
    accepted = ses_raw_messages(stack.aws_url)
    named = [str(HeaderParser().parsestr(message["raw_data"]).get("X-Letterbox-Submission")) for message in accepted]
    return collections.Counter(submission_id for submission_id in named if submission_id in ids)

"""The scheduled function: every SCHEDULE_MINUTES, put a "digest due" message on the notify queue for
each digest form's period that is due soon or was due lately. It reads no submission and sends no email.

Each run covers (now - LOOKBACK, now + AHEAD]: a period due within the next run's interval is sent
with an SQS delay that ends at its due time, so the digest goes out on time; one that came due
lately is sent again, so a run that failed or never came costs nothing. Every period is therefore
queued about three times; the digest's marker (notified/digests/...) lets one of them send.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Collection, Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from chalicelib.core.digest_periods import periods_due
from chalicelib.core.settings import DigestChoices
from chalicelib.notify.digest_due import DigestDue

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

log = logging.getLogger(__name__)

SCHEDULE_MINUTES = 15
AHEAD = timedelta(minutes=SCHEDULE_MINUTES)  # at most SQS's longest delay, 15 minutes
LOOKBACK = timedelta(minutes=2 * SCHEDULE_MINUTES)
SQS_BATCH = 10


class DigestScheduler:
    def __init__(
        self,
        sqs: Callable[[], SQSClient],
        queue_name: str,
        choices: DigestChoices,
        forms: Collection[str],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._sqs = sqs
        self._clock = clock
        self._queue_name = queue_name
        self._choices = choices
        self._forms = sorted(forms)
        self._queue_url = ""

    def due(self, now: datetime) -> Iterator[DigestDue]:
        """Every digest form's periods due in (now - LOOKBACK, now + AHEAD]."""
        for form in self._forms:
            choice = self._choices.for_form(form)
            for period in periods_due(choice, now - LOOKBACK, now + AHEAD):
                yield DigestDue(form, period)

    def enqueue_due(self, now: datetime) -> int:
        """Queue them, each delayed until its due time; how many were queued."""
        due = list(self.due(now))
        clock = self._clock()  # SQS delays in real time, whatever time the run was scheduled for
        for start in range(0, len(due), SQS_BATCH):
            self._send([(item, _delay(item, clock)) for item in due[start : start + SQS_BATCH]])
        log.info("digests queued count=%d at=%s", len(due), f"{now:%Y-%m-%dT%H:%M:%SZ}")
        return len(due)

    def _send(self, batch: list[tuple[DigestDue, int]]) -> None:
        sqs = self._sqs()
        if not self._queue_url:
            self._queue_url = sqs.get_queue_url(QueueName=self._queue_name)["QueueUrl"]
        entries = [
            {"Id": str(index), "MessageBody": item.to_json(), "DelaySeconds": delay}
            for index, (item, delay) in enumerate(batch)
        ]
        answer = sqs.send_message_batch(QueueUrl=self._queue_url, Entries=entries)  # type: ignore[arg-type]
        if failed := answer.get("Failed"):
            # The next run queues them again (LOOKBACK); raising makes Lambda retry this run too.
            raise RuntimeError(f"{len(failed)} digest messages not queued: {failed[0].get('Code', '?')}")


def _delay(item: DigestDue, now: datetime) -> int:
    seconds = (item.period.due - now).total_seconds()
    # Rounded up: a digest that arrives before its due time waits for another receive.
    return min(max(math.ceil(seconds), 0), int(AHEAD.total_seconds()))

"""Sending a finished MIME message through SES v2 (Raw content keeps every part and header), paced.

SES takes a number of messages per second for the whole account (1 in the sandbox, commonly 14
after production access); past it, it answers Throttling. The queue's event source lets at most
LETTERBOX_NOTIFY_CONCURRENCY notify functions run at once, so each spaces its own sends by
concurrency / rate seconds, and together they stay under the rate on a day of action.

What a failed send raises (SendError, TransientSendError, PermanentSendError) is drawn in
chalicelib.core.aws_errors, which maps botocore's errors; the names are importable from here too.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from email.message import EmailMessage
from typing import TYPE_CHECKING

from chalicelib.core.aws_errors import PermanentSendError as PermanentSendError
from chalicelib.core.aws_errors import SendError as SendError
from chalicelib.core.aws_errors import TransientSendError as TransientSendError
from chalicelib.core.aws_errors import ses_errors
from chalicelib.notify.header_guard import bytes_to_send

if TYPE_CHECKING:
    from mypy_boto3_sesv2 import SESV2Client


class SendPacer:
    """Spaces one function's sends at least `interval` seconds apart; the clock and sleep are injected."""

    def __init__(
        self,
        interval: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._interval = interval
        self._clock = clock
        self._sleep = sleep
        self._next_send = float("-inf")

    @property
    def interval(self) -> float:
        return self._interval

    @classmethod
    def for_rate(cls, emails_per_second: float, concurrency: int) -> SendPacer:
        return cls(concurrency / emails_per_second)

    def wait(self) -> None:
        now = self._clock()
        if now < self._next_send:
            self._sleep(self._next_send - now)
            now = self._next_send
        self._next_send = now + self._interval


class SesMailer:
    def __init__(self, ses: SESV2Client, sender: str, pacer: SendPacer | None = None) -> None:
        self._ses = ses
        self._sender = sender
        self._pacer = pacer or SendPacer(0.0)

    @property
    def sender(self) -> str:
        return self._sender

    def wait_turn(self) -> None:
        """Return when this function may send again under the account's rate."""
        self._pacer.wait()

    def send(self, message: EmailMessage, recipients: Sequence[str]) -> str:
        """Send now (call wait_turn first, to stay under the rate); return SES's message id."""
        with ses_errors():
            answer = self._ses.send_email(
                FromEmailAddress=self._sender,
                Destination={"ToAddresses": list(recipients)},
                Content={"Raw": {"Data": bytes_to_send(message)}},  # for a rendered message, the bytes checked
            )
        return answer["MessageId"]

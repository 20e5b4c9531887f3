"""Sending a finished MIME message through SES v2 (Raw content keeps every part and header).

What a failed send raises (SendError, TransientSendError, PermanentSendError) is drawn in
chalicelib.core.aws_errors, which maps botocore's errors; the names are importable from here too.
"""

from __future__ import annotations

from collections.abc import Sequence
from email.message import EmailMessage
from typing import TYPE_CHECKING

from chalicelib.core.aws_errors import PermanentSendError as PermanentSendError
from chalicelib.core.aws_errors import SendError as SendError
from chalicelib.core.aws_errors import TransientSendError as TransientSendError
from chalicelib.core.aws_errors import ses_errors

if TYPE_CHECKING:
    from mypy_boto3_sesv2 import SESV2Client


class SesMailer:
    def __init__(self, ses: SESV2Client, sender: str) -> None:
        self._ses = ses
        self._sender = sender

    @property
    def sender(self) -> str:
        return self._sender

    def send(self, message: EmailMessage, recipients: Sequence[str]) -> str:
        """Send; return SES's message id."""
        with ses_errors():
            answer = self._ses.send_email(
                FromEmailAddress=self._sender,
                Destination={"ToAddresses": list(recipients)},
                Content={"Raw": {"Data": message.as_bytes()}},
            )
        return answer["MessageId"]

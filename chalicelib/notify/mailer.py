"""Sending a finished MIME message through SES v2 (Raw content keeps every part and header).

SendError
 ├── TransientSendError   throttling, SES busy or unreachable: retry later
 └── PermanentSendError   SES refuses this message or sender: retrying alone will not help
"""

from __future__ import annotations

from collections.abc import Sequence
from email.message import EmailMessage
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

if TYPE_CHECKING:
    from mypy_boto3_sesv2 import SESV2Client

TRANSIENT_CODES = frozenset(
    {
        "TooManyRequestsException",
        "Throttling",
        "ThrottlingException",
        "LimitExceededException",
        "InternalFailure",
        "ServiceUnavailable",
        "RequestTimeout",
    }
)


class SendError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TransientSendError(SendError):
    pass


class PermanentSendError(SendError):
    pass


class SesMailer:
    def __init__(self, ses: SESV2Client, sender: str) -> None:
        self._ses = ses
        self._sender = sender

    @property
    def sender(self) -> str:
        return self._sender

    def send(self, message: EmailMessage, recipients: Sequence[str]) -> str:
        """Send; return SES's message id."""
        try:
            answer = self._ses.send_email(
                FromEmailAddress=self._sender,
                Destination={"ToAddresses": list(recipients)},
                Content={"Raw": {"Data": message.as_bytes()}},
            )
        except ClientError as error:
            raise _classified(error) from None
        except BotoCoreError as error:
            raise TransientSendError(type(error).__name__) from None
        return answer["MessageId"]


def _classified(error: ClientError) -> SendError:
    code = error.response.get("Error", {}).get("Code", "")
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    if code in TRANSIENT_CODES or status >= 500 or status == 429:
        return TransientSendError(code or f"status {status}")
    # SES's own message names the unverified identity or the rule broken, not the content.
    return PermanentSendError(f"{code}: {error.response.get('Error', {}).get('Message', '')}".strip())

"""The one place botocore's errors become the project's: nothing else imports botocore.exceptions.

Each AWS call runs inside a context manager (as httpx's map_exceptions wraps its transport):
`with s3_errors("put"): ...`. What leaves it is one of these, and never botocore's own:

StorageError                    S3
 ├── ObjectMissing              NoSuchKey, 404, NotFound
 ├── AlreadyExists              PreconditionFailed, ConditionalRequestConflict: a conditional write lost
 └── StorageUnavailable         anything else: refused, throttled, unreachable, timed out
SendError                       SES v2
 ├── TransientSendError         throttling, SES busy or unreachable: retry later
 └── PermanentSendError         SES refuses this message or sender: retrying alone will not help
ParameterUnreadable             SSM: the parameter could not be read

Messages carry the action, the exception type and AWS's error code only: a botocore message
can quote the endpoint URL, and with it an object's key.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from botocore.exceptions import BotoCoreError, ClientError

log = logging.getLogger(__name__)

# S3 answers these when an object with the key exists or is being written.
ALREADY_EXISTS = frozenset({"PreconditionFailed", "ConditionalRequestConflict"})
# A HEAD has no body, so only its status says the object is missing.
MISSING = frozenset({"NoSuchKey", "404", "NotFound"})
SES_TRANSIENT_CODES = frozenset(
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


class StorageError(Exception):
    """An S3 request did not do what was asked."""


class ObjectMissing(StorageError):
    """There is no object with this key."""


class AlreadyExists(StorageError):
    """A conditional write found the object there already, or changed since it was read."""


class StorageUnavailable(StorageError):
    """S3 could not be reached or refused the request; nothing was stored."""


class SendError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TransientSendError(SendError):
    pass


class PermanentSendError(SendError):
    pass


class ParameterUnreadable(Exception):
    """SSM did not give the parameter: missing, not allowed, or unreachable (the message is the code)."""


@contextmanager
def s3_errors(action: str) -> Iterator[None]:
    try:
        yield
    except ClientError as error:
        code = _code(error)
        if code in MISSING:
            raise ObjectMissing(action) from None
        if code in ALREADY_EXISTS:
            raise AlreadyExists(action) from None
        raise _unavailable(action, error, code) from None
    except BotoCoreError as error:
        raise _unavailable(action, error, "") from None


@contextmanager
def ses_errors() -> Iterator[None]:
    try:
        yield
    except ClientError as error:
        raise _classified(error) from None
    except BotoCoreError as error:
        raise TransientSendError(type(error).__name__) from None


@contextmanager
def ssm_errors() -> Iterator[None]:
    try:
        yield
    except ClientError as error:
        raise ParameterUnreadable(_code(error)) from None
    except BotoCoreError as error:
        raise ParameterUnreadable(type(error).__name__) from None


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _unavailable(action: str, error: Exception, code: str) -> StorageUnavailable:
    cause = f"{type(error).__name__} {code}".strip()
    log.warning("storage %s failed: %s", action, cause)
    return StorageUnavailable(f"{action}: {cause}")


def _classified(error: ClientError) -> SendError:
    code = _code(error)
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    if code in SES_TRANSIENT_CODES or status >= 500 or status == 429:
        return TransientSendError(code or f"status {status}")
    # SES's own message names the unverified identity or the rule broken, not the content.
    return PermanentSendError(f"{code}: {error.response.get('Error', {}).get('Message', '')}".strip())

"""botocore's errors become the project's in one place, and their messages name no key."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError

from chalicelib.core.aws_errors import (
    AlreadyExists,
    ObjectMissing,
    ParameterUnreadable,
    PermanentSendError,
    StorageUnavailable,
    TransientSendError,
    s3_errors,
    ses_errors,
    ssm_errors,
)

KEY_WITH_A_NAME = "attachments/01KAX3Z8W6V1R2F7D9QH0M4N5P/1-skan-faksa.pdf"


def client_error(code: str, status: int, message: str = "") -> ClientError:
    response: Any = {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}}
    return ClientError(response, "PutObject")


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (client_error("NoSuchKey", 404), ObjectMissing),
        (client_error("404", 404), ObjectMissing),
        (client_error("PreconditionFailed", 412), AlreadyExists),
        (client_error("ConditionalRequestConflict", 409), AlreadyExists),
        (client_error("InternalError", 500), StorageUnavailable),
        (client_error("AccessDenied", 403, KEY_WITH_A_NAME), StorageUnavailable),
        (
            EndpointConnectionError(endpoint_url=f"https://s3.amazonaws.com/bucket/{KEY_WITH_A_NAME}"),
            StorageUnavailable,
        ),
        (ReadTimeoutError(endpoint_url=f"https://s3.amazonaws.com/bucket/{KEY_WITH_A_NAME}"), StorageUnavailable),
    ],
)
def test_s3_errors_are_mapped_by_code_and_never_quote_the_key(
    error: Exception, expected: type[Exception], caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(expected) as raised, s3_errors("get"):
        raise error

    assert KEY_WITH_A_NAME not in str(raised.value)
    assert KEY_WITH_A_NAME not in caplog.text
    assert raised.value.__cause__ is None
    assert str(raised.value).startswith("get")


def test_an_unavailable_storage_is_logged_by_action_type_and_code(caplog: pytest.LogCaptureFixture) -> None:
    with pytest.raises(StorageUnavailable), s3_errors("copy"):
        raise client_error("SlowDown", 503)

    assert caplog.messages == ["storage copy failed: ClientError SlowDown"]


@pytest.mark.parametrize(
    ("error", "expected", "reason"),
    [
        (client_error("TooManyRequestsException", 429), TransientSendError, "TooManyRequestsException"),
        (client_error("", 503), TransientSendError, "status 503"),
        (EndpointConnectionError(endpoint_url="https://email.us-east-1.amazonaws.com"), TransientSendError, None),
        (client_error("MessageRejected", 400, "Email address is not verified."), PermanentSendError, None),
    ],
)
def test_ses_errors_are_transient_or_permanent(error: Exception, expected: type[Exception], reason: str | None) -> None:
    with pytest.raises(expected) as raised, ses_errors():
        raise error

    if reason is not None:
        assert str(raised.value) == reason


def test_ssm_errors_carry_the_code_only() -> None:
    with pytest.raises(ParameterUnreadable, match=r"^ParameterNotFound$"), ssm_errors():
        raise client_error("ParameterNotFound", 400, "Parameter /letterbox/secret not found.")

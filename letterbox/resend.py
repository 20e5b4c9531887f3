"""Notifying the organizers of one submission again, on purpose.

The notify function sends only when it can claim notified/{id} with a conditional write
(If-None-Match: *), so a resend first removes the marker, conditionally on the very version it
read (DeleteObject If-Match): the notify function then writes a fresh claim and sends, once.
A marker that another attempt holds right now (claimed or handed over within the lease) is left
alone: removing it could make two emails.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from chalicelib.notify.markers import CLAIM_LEASE, HANDED_OVER, MARKER_PREFIX, SENT

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

MISSING_CODES = frozenset({"NoSuchKey", "404", "NotFound"})
CHANGED_CODES = frozenset({"PreconditionFailed", "ConditionalRequestConflict", "412"})


class ResendRefused(Exception):
    """Resending now could send twice, or the marker changed meanwhile; the message says what to do."""


@dataclass(frozen=True)
class Released:
    """What the marker said before it was removed ("none" when there was none)."""

    state: str
    at: str


def release_marker(s3: S3Client, bucket: str, submission_id: str, now: datetime | None = None) -> Released:
    """Remove the marker, so the next notification claims afresh; refuse while an attempt holds it."""
    key = MARKER_PREFIX + submission_id
    try:
        answer = s3.get_object(Bucket=bucket, Key=key)
    except ClientError as error:
        if _code(error) in MISSING_CODES:
            return Released("none", "")
        raise
    marker = _parsed(answer["Body"].read())
    state, at = str(marker.get("state", "unknown")), str(marker.get("at", ""))
    if state != SENT and (now or datetime.now(UTC)) - _time(at) < CLAIM_LEASE:
        what = "is being handed to SES" if state == HANDED_OVER else "is being prepared"
        raise ResendRefused(f"an email for {submission_id} {what} right now: try again in a few minutes")
    try:
        s3.delete_object(Bucket=bucket, Key=key, IfMatch=answer["ETag"])
    except ClientError as error:
        if _code(error) in CHANGED_CODES:
            raise ResendRefused(f"the notification of {submission_id} changed meanwhile: try again") from None
        raise
    return Released(state, at)


def marker_state(s3: S3Client, bucket: str, submission_id: str) -> str:
    """The marker's state (claimed, handed-over, sent), or "none": what a redrive will meet."""
    try:
        raw = s3.get_object(Bucket=bucket, Key=MARKER_PREFIX + submission_id)["Body"].read()
    except ClientError as error:
        if _code(error) in MISSING_CODES:
            return "none"
        raise
    return str(_parsed(raw).get("state", "unreadable"))


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _parsed(raw: bytes) -> dict[str, Any]:
    try:
        marker = json.loads(raw)
    except ValueError:
        return {}
    return marker if isinstance(marker, dict) else {}


def _time(text: str) -> datetime:
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)  # unreadable: as old as can be, as the notify function reads it
    return at if at.tzinfo else at.replace(tzinfo=UTC)

"""The marker `notified/{id}` that lets a submission's email go out once, and again only if it did not.

Modelled on powertools' idempotency persistence layer (save_in_progress, save_success, delete),
with one step more just before the send, because SES cannot be asked afterwards what it took:

  claimed      save_in_progress   conditional PUT (If-None-Match: *) before anything is read or rendered
  handed-over  save_handed_over   PUT If-Match the claim, right before SES is called
  sent         save_success       after SES accepted; tried CONFIRM_ATTEMPTS times, never raises
  (none)       delete             after any failure before SES accepted, so the next receive sends

An attempt that meets a marker:
  sent                             sends nothing
  claimed or handed-over, fresh    NotificationInFlight: the queue brings the record back later
  claimed, older than CLAIM_LEASE  its attempt died before handing over: taken over (If-Match, one wins)
  handed-over, older               the email went out and its confirmation never landed (or the attempt
                                   died inside the SES call): never taken over, logged as an error
So once SES has accepted a message no storage failure leads to a second send, while an attempt that
crashed reading files or rendering is retried after the lease. The previous version's "sending"
marker was written at claim time: it reads as claimed. Each attempt writes a random token, so a
conditional write that botocore retried after its first try landed is known for our own.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from chalicelib.core.aws_errors import AlreadyExists, ObjectMissing, StorageError, s3_errors

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

log = logging.getLogger(__name__)

MARKER_PREFIX = "notified/"
# Longer than the notify function may run: a younger claim may still be sending.
CLAIM_LEASE = timedelta(minutes=5)
# On top of botocore's own three tries: a short outage should not leave the marker unconfirmed.
CONFIRM_ATTEMPTS = 2
CONFIRM_PAUSE_SECONDS = 0.5
CLAIMED, HANDED_OVER, SENT = "claimed", "handed-over", "sent"


class NotificationInFlight(Exception):
    """Another attempt holds a fresh claim on this submission: try again later."""


@dataclass(frozen=True)
class Claim:
    submission_id: str
    attempt: str
    etag: str


class MarkerStore:
    def __init__(
        self,
        s3: S3Client,
        bucket: str,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        pause: Callable[[float], None] = time.sleep,
    ) -> None:
        self._s3 = s3
        self._bucket = bucket
        self._clock = clock
        self._pause = pause

    def save_in_progress(self, submission_id: str) -> Claim | None:
        """A claim when this attempt may send; None when the email went out (or may have)."""
        attempt = secrets.token_hex(8)
        try:
            return Claim(submission_id, attempt, self._put(submission_id, CLAIMED, attempt, {"IfNoneMatch": "*"}))
        except AlreadyExists:
            marker, etag = self._read(submission_id)
        state = marker.get("state")
        if marker.get("attempt") == attempt:
            return Claim(submission_id, attempt, etag)  # botocore's retry met our own first try
        if state == SENT:
            log.info("notification already sent id=%s", submission_id)
            return None
        if self._clock() - _parse_time(marker.get("at")) < CLAIM_LEASE:
            raise NotificationInFlight(submission_id)
        if state == HANDED_OVER:
            log.error("notification handed to SES and never confirmed, not sending again id=%s", submission_id)
            return None
        log.warning("taking over a stale claim id=%s", submission_id)
        return Claim(submission_id, attempt, self._replace(submission_id, CLAIMED, attempt, etag))

    def save_handed_over(self, claim: Claim, message_id: str) -> Claim:
        """Just before the send; `message_id` (the Message-ID header) lets an operator look the email up."""
        etag = self._replace(claim.submission_id, HANDED_OVER, claim.attempt, claim.etag, message=message_id)
        return Claim(claim.submission_id, claim.attempt, etag)

    def save_success(self, claim: Claim, ses_message_id: str) -> None:
        """After SES accepted: whatever storage does now, the email must not go out again."""
        for attempt in range(1, CONFIRM_ATTEMPTS + 1):
            try:
                self._put(claim.submission_id, SENT, claim.attempt, {}, ses=ses_message_id)
                return
            except StorageError:
                if attempt < CONFIRM_ATTEMPTS:
                    self._pause(CONFIRM_PAUSE_SECONDS * attempt)
        # The handed-over marker stays, and it is never taken over: no second email.
        log.error("notification sent but not confirmed id=%s", claim.submission_id)

    def delete(self, claim: Claim) -> None:
        """Release the claim, so that a retry sends; best effort."""
        try:
            with s3_errors("release"):
                self._s3.delete_object(Bucket=self._bucket, Key=MARKER_PREFIX + claim.submission_id)
        except StorageError:
            # A claimed marker then expires after CLAIM_LEASE and a later retry takes it over.
            log.warning("could not release claim id=%s", claim.submission_id)

    def _replace(self, submission_id: str, state: str, attempt: str, etag: str, **extra: str) -> str:
        """The new ETag of a write made only if the marker is still `etag`; NotificationInFlight if not."""
        try:
            return self._put(submission_id, state, attempt, {"IfMatch": etag}, **extra)
        except AlreadyExists:
            marker, current = self._read(submission_id)
        if marker.get("attempt") == attempt and marker.get("state") == state:
            return current  # botocore's retry met our own first try
        raise NotificationInFlight(submission_id)  # another attempt took the claim over

    def _put(self, submission_id: str, state: str, attempt: str, condition: Mapping[str, str], **extra: str) -> str:
        body = {"state": state, "at": self._clock().isoformat(), "attempt": attempt, **extra}
        with s3_errors("marker put"):
            answer = self._s3.put_object(
                Bucket=self._bucket,
                Key=MARKER_PREFIX + submission_id,
                Body=json.dumps(body).encode(),
                ContentType="application/json",
                **condition,  # type: ignore[arg-type]
            )
        return answer["ETag"]

    def _read(self, submission_id: str) -> tuple[Mapping[str, Any], str]:
        try:
            with s3_errors("marker get"):
                answer = self._s3.get_object(Bucket=self._bucket, Key=MARKER_PREFIX + submission_id)
                raw = answer["Body"].read()
        except ObjectMissing:
            # Released between our write and this read: the next receive claims it afresh.
            raise NotificationInFlight(submission_id) from None
        return _parsed(raw), answer["ETag"]


def _parsed(raw: bytes) -> Mapping[str, Any]:
    try:
        marker = json.loads(raw)
    except ValueError:
        return {}  # unreadable: no state and no time, so a stale claim
    return marker if isinstance(marker, dict) else {}


def _parse_time(text: Any) -> datetime:
    try:
        at = datetime.fromisoformat(str(text))
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)
    return at if at.tzinfo else at.replace(tzinfo=UTC)

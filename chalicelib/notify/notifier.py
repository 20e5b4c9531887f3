"""Emailing organizers about a stored submission: at least once, never twice.

Each send is guarded by a marker object `notified/{id}`:
  claim   conditional PUT (If-None-Match: *) of {"state": "sending"} before the send;
  confirm overwrite with {"state": "sent"} after it;
  release delete the claim when the send fails, so the retry sends.
A claim older than CLAIM_LEASE belongs to an attempt that died mid-way: it is taken over.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.core.attachments import AttachmentStore, attachment_records
from chalicelib.core.forms import FormRegistry
from chalicelib.core.settings import FormOptions, Settings
from chalicelib.core.storage import ALREADY_EXISTS, StorageUnavailable, error_code, read_object
from chalicelib.notify.mailer import PermanentSendError, SendError, SesMailer
from chalicelib.notify.rendering import FileContent, FileLink, Files, Submission, render_notification
from chalicelib.notify.s3_events import StoredObject

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

log = logging.getLogger(__name__)

MARKER_PREFIX = "notified/"
# Larger sets travel as download links: SES takes messages up to 40 MB, base64 adds a third.
ATTACH_LIMIT_BYTES = 10 * 1024 * 1024
LINK_LIFETIME_SECONDS = 7 * 24 * 3600
# Longer than the notify function may run: a younger claim may still be sending.
CLAIM_LEASE = timedelta(minutes=5)


class Outcome(Enum):
    SENT = "sent"
    ALREADY_SENT = "already sent"
    GONE = "gone"


class NotificationInFlight(Exception):
    """Another attempt holds a fresh claim on this submission: try again later."""


class UnusableSubmission(Exception):
    """The stored object cannot be turned into an email (unknown form, not a submission)."""


@dataclass(frozen=True)
class Claim:
    etag: str | None  # set when an existing, stale claim was taken over


class Notifier:
    def __init__(
        self,
        s3: S3Client,
        settings: Settings,
        forms: FormRegistry,
        mailer: SesMailer,
        attachments: AttachmentStore,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._s3 = s3
        self._settings = settings
        self._forms = forms
        self._mailer = mailer
        self._attachments = attachments
        self._clock = clock

    def notify(self, stored: StoredObject) -> Outcome:
        submission = self._load(stored)
        if submission is None:
            return Outcome.GONE
        form = self._forms.get(submission.form)
        if form is None:
            raise UnusableSubmission(f"unknown form {submission.form!r} id={submission.id}")
        options = self._settings.options_for(form.name)
        if not options.organizers:
            raise PermanentSendError(f"no organizers configured for form {form.name}")
        if not self._claim(submission.id):
            return Outcome.ALREADY_SENT
        files = self._files(submission, options)
        message = render_notification(submission, form, options, self._mailer.sender, options.organizers, files)
        try:
            message_id = self._mailer.send(message, options.organizers)
        except SendError:
            self._release(submission.id)
            raise
        self._confirm(submission.id, message_id)
        log.info("notification sent form=%s id=%s recipients=%d", form.name, submission.id, len(options.organizers))
        return Outcome.SENT

    def _files(self, submission: Submission, options: FormOptions) -> Files:
        attachments = submission.attachments
        if not attachments:
            return Files()
        if options.metadata_only:
            return Files(kept_count=len(attachments))
        total = sum(attachment.size for attachment in attachments)
        if total <= ATTACH_LIMIT_BYTES:
            contents = [FileContent(a.name, a.content_type, self._attachments.read(a.key)) for a in attachments]
            return Files(attached=contents)
        links = [FileLink(a.name, self._attachments.download_link(a.key, LINK_LIFETIME_SECONDS)) for a in attachments]
        return Files(linked=links, linked_bytes=total)

    def _load(self, stored: StoredObject) -> Submission | None:
        raw = read_object(self._s3, self._settings.bucket, stored.key)
        if raw is None:
            # Deleted before we got to it (retention, or by hand): nothing left to send.
            log.warning("submission gone before notification key=%s", stored.key)
            return None
        return _parse_submission(raw, self._settings.bucket, stored.key)

    def _claim(self, submission_id: str) -> bool:
        """True when this attempt may send; False when the email went out already."""
        claim = json.dumps({"state": "sending", "at": self._now()})
        try:
            self._put_marker(submission_id, claim, IfNoneMatch="*")
            return True
        except ClientError as error:
            if error_code(error) not in ALREADY_EXISTS:
                raise StorageUnavailable(f"claim: {error_code(error)}") from None
        marker, etag = self._read_marker(submission_id)
        if marker.get("state") == "sent":
            log.info("notification already sent id=%s", submission_id)
            return False
        if self._clock() - _parse_time(marker.get("at")) < CLAIM_LEASE:
            raise NotificationInFlight(submission_id)
        log.warning("taking over a stale claim id=%s", submission_id)
        try:
            # If-Match: of two attempts taking over at once, one wins.
            self._put_marker(submission_id, claim, IfMatch=etag)
        except ClientError as error:
            if error_code(error) in ALREADY_EXISTS:
                raise NotificationInFlight(submission_id) from None
            raise StorageUnavailable(f"claim: {error_code(error)}") from None
        return True

    def _confirm(self, submission_id: str, message_id: str) -> None:
        try:
            self._put_marker(submission_id, json.dumps({"state": "sent", "at": self._now(), "ses": message_id}))
        except ClientError as error:
            # The email went out; the claim alone still stops a resend for CLAIM_LEASE.
            log.error("could not confirm notification id=%s: %s", submission_id, error_code(error))

    def _release(self, submission_id: str) -> None:
        try:
            self._s3.delete_object(Bucket=self._settings.bucket, Key=MARKER_PREFIX + submission_id)
        except (ClientError, BotoCoreError) as error:
            # The claim then expires after CLAIM_LEASE and a later retry takes it over.
            log.warning("could not release claim id=%s: %s", submission_id, type(error).__name__)

    def _put_marker(self, submission_id: str, body: str, **condition: str) -> None:
        try:
            self._s3.put_object(
                Bucket=self._settings.bucket,
                Key=MARKER_PREFIX + submission_id,
                Body=body.encode(),
                ContentType="application/json",
                **condition,  # type: ignore[arg-type]
            )
        except BotoCoreError as error:
            raise StorageUnavailable(f"marker: {type(error).__name__}") from None

    def _read_marker(self, submission_id: str) -> tuple[dict[str, Any], str]:
        try:
            answer = self._s3.get_object(Bucket=self._settings.bucket, Key=MARKER_PREFIX + submission_id)
            marker = json.loads(answer["Body"].read())
        except (ClientError, BotoCoreError, ValueError) as error:
            raise StorageUnavailable(f"marker: {type(error).__name__}") from None
        return (marker if isinstance(marker, dict) else {}), answer["ETag"]

    def _now(self) -> str:
        return self._clock().isoformat()


def _parse_submission(raw: bytes, bucket: str, key: str) -> Submission:
    try:
        record = json.loads(raw)
        return Submission(
            id=str(record["id"]),
            form=str(record["form"]),
            received_at=str(record["received_at"]),
            data=dict(record["data"]),
            bucket=bucket,
            key=key,
            attachments=attachment_records(record),
        )
    except (ValueError, KeyError, TypeError):
        raise UnusableSubmission(f"not a submission: {key}") from None


def _parse_time(text: Any) -> datetime:
    try:
        return datetime.fromisoformat(str(text))
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)

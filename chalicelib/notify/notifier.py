"""Emailing organizers about a stored submission: once, and never twice.

The marker protocol that guards each send (claim, hand-over, confirm, release) is
chalicelib.notify.markers. Every failure before SES accepted the message releases the
claim, so the next receive sends; after SES accepted it, nothing can lead to a second send.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from email.message import EmailMessage
from enum import Enum
from typing import TYPE_CHECKING

from chalicelib.core.attachments import AttachmentStore
from chalicelib.core.form_choices import FormOptions
from chalicelib.core.forms import FormDefinition, FormRegistry
from chalicelib.core.record import NotARecord, SubmissionRecord
from chalicelib.core.settings import Settings
from chalicelib.core.storage import read_object, submission_id_from_key
from chalicelib.notify.mailer import PermanentSendError, SesMailer
from chalicelib.notify.markers import Claim, MarkerStore

# Re-exported: the batch and the tests import it from here.
from chalicelib.notify.markers import NotificationInFlight as NotificationInFlight
from chalicelib.notify.rendering import FileContent, FileLink, Files, render_notification
from chalicelib.notify.s3_events import StoredObject

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

    from chalicelib.notify.wall_note import ReviewLinks

log = logging.getLogger(__name__)

# Larger sets travel as download links: SES takes messages up to 40 MB, base64 adds a third.
ATTACH_LIMIT_BYTES = 10 * 1024 * 1024
LINK_LIFETIME_SECONDS = 7 * 24 * 3600


class Outcome(Enum):
    SENT = "sent"
    ALREADY_SENT = "already sent"
    GONE = "gone"
    HELD = "held for the digest"


class UnusableSubmission(Exception):
    """The stored object cannot be turned into an email (unknown form, not a submission)."""


class Notifier:
    def __init__(
        self,
        s3: S3Client,
        settings: Settings,
        forms: FormRegistry,
        mailer: SesMailer,
        attachments: AttachmentStore,
        markers: MarkerStore,
        review_links: ReviewLinks | None = None,
    ) -> None:
        self._s3 = s3
        self._settings = settings
        self._forms = forms
        self._mailer = mailer
        self._attachments = attachments
        self._markers = markers
        self._review_links = review_links

    def notify(self, stored: StoredObject) -> Outcome:
        if self._held_for_digest(stored.key):
            return Outcome.HELD
        record = self._load(stored)
        if record is None:
            return Outcome.GONE
        form = self._forms.get(record.form)
        if form is None:
            raise UnusableSubmission(f"unknown form {record.form!r} id={record.id}")
        options = self._settings.options_for(form.name)
        if not options.organizers:
            raise PermanentSendError(f"no organizers configured for form {form.name}")
        claim = self._markers.save_in_progress(record.id)
        if claim is None:
            return Outcome.ALREADY_SENT
        source = StoredObject(self._settings.bucket, stored.key)
        message = self._prepare(record, source, form, options, claim)
        ses_message_id = self._send(message, options, claim)
        self._markers.save_success(claim, ses_message_id)
        log.info("notification sent form=%s id=%s recipients=%d", form.name, record.id, len(options.organizers))
        return Outcome.SENT

    def _held_for_digest(self, key: str) -> bool:
        """A form in digest mode gets no single email: its digest lists the submission (read nothing now)."""
        form = key.split("/")[1] if key.count("/") >= 2 else ""
        mode = self._settings.digest_for(form).notify
        if mode == "each":
            return False
        log.info("notification held for the %s digest form=%s id=%s", mode, form, submission_id_from_key(key))
        return True

    def _prepare(
        self, record: SubmissionRecord, source: StoredObject, form: FormDefinition, options: FormOptions, claim: Claim
    ) -> EmailMessage:
        """The message, files included; on any failure the claim is released for the next receive."""
        try:
            files = self._files(record, options)
            wall_row = self._review_links.row(record, form, options) if self._review_links else None
            organizers = options.organizers
            return render_notification(record, source, form, options, self._mailer.sender, organizers, files, wall_row)
        except Exception:
            self._markers.delete(claim)
            raise

    def _send(self, message: EmailMessage, options: FormOptions, claim: Claim) -> str:
        return send_claimed(self._mailer, self._markers, claim, message, options.organizers)

    def _files(self, record: SubmissionRecord, options: FormOptions) -> Files:
        attachments = record.attachments
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

    def _load(self, stored: StoredObject) -> SubmissionRecord | None:
        raw = read_object(self._s3, self._settings.bucket, stored.key)
        if raw is None:
            # Deleted before we got to it (retention, or by hand): nothing left to send.
            log.warning("submission gone before notification key=%s", stored.key)
            return None
        try:
            return SubmissionRecord.from_json(raw)
        except NotARecord as error:
            raise UnusableSubmission(f"not a submission: {error}") from None


def send_claimed(
    mailer: SesMailer, markers: MarkerStore, claim: Claim, message: EmailMessage, recipients: Sequence[str]
) -> str:
    """SES's message id, for a single email and a digest alike; until SES accepts, any failure releases the claim."""
    # Wait for our turn under SES's rate before handing over, not after: a worker that dies while
    # waiting leaves a claim, which is taken over, never a handed-over marker, which is not.
    mailer.wait_turn()
    try:
        handed = markers.save_handed_over(claim, str(message["Message-ID"]))
    except NotificationInFlight:
        raise  # our claim went stale and another attempt holds it now: not ours to release
    except Exception:
        markers.delete(claim)
        raise
    try:
        return mailer.send(message, recipients)
    except Exception:
        markers.delete(handed)
        raise

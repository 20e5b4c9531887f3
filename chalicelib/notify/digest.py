"""A digest: one email to a form's organizers with every submission of an hour or a day, once.

The notify function builds it when the schedule's "digest due" message arrives (digest_due.py).
The same marker protocol as single emails guards it (markers.py), keyed by form and period
(notified/digests/{form}/{period}): claimed before the period is even listed, handed over just
before SES, sent after; any failure before SES accepted releases the claim, so the queue's retry
sends, and five failures end in the dead-letter queue and its alarm. An empty period is marked
sent and mails nothing.

The email itself is digest_email.py's.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, time, timedelta
from email.message import EmailMessage
from enum import Enum
from typing import TYPE_CHECKING

from chalicelib.core import ids
from chalicelib.core.aws_errors import s3_errors
from chalicelib.core.form_choices import FormOptions
from chalicelib.core.forms import FormDefinition, FormRegistry
from chalicelib.core.record import NotARecord, SubmissionRecord
from chalicelib.core.settings import Settings
from chalicelib.core.storage import day_prefix, read_object, submission_id_from_key
from chalicelib.notify.digest_due import DigestDue
from chalicelib.notify.digest_email import DigestContent, Listed, render_digest
from chalicelib.notify.mailer import PermanentSendError, SesMailer
from chalicelib.notify.markers import Claim, MarkerStore, NotificationInFlight
from chalicelib.notify.notifier import UnusableSubmission, send_claimed

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

log = logging.getLogger(__name__)

# Past the API's 28 s timeout, with room for a clock a little off: sooner, a PUT may still land.
CLOSE_MARGIN = timedelta(minutes=1)
# Read and shown in full; the rest of a larger period is listed by id and time (a day of action's
# worth fits; 2,000 reads take seconds with READERS at once, well inside the function's 60 s).
READ_LIMIT = 2000
READERS = 8


class DigestOutcome(Enum):
    SENT = "sent"
    ALREADY_SENT = "already sent"
    EMPTY = "empty"


class DigestNotDue(NotificationInFlight):
    """The period has not closed long enough ago: the queue brings the message back later."""


class DigestSender:
    def __init__(
        self,
        s3: S3Client,
        settings: Settings,
        forms: FormRegistry,
        mailer: SesMailer,
        markers: MarkerStore,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._s3 = s3
        self._settings = settings
        self._forms = forms
        self._mailer = mailer
        self._markers = markers
        self._clock = clock

    def send(self, due: DigestDue) -> DigestOutcome:
        form = self._forms.get(due.form)
        if form is None:
            raise UnusableSubmission(f"unknown form {due.form!r} in a digest message")
        if self._clock() < due.period.end + CLOSE_MARGIN:
            raise DigestNotDue(due.marker_id)
        options = self._settings.options_for(form.name)
        if not options.organizers:
            raise PermanentSendError(f"no organizers configured for form {form.name}")
        claim = self._markers.save_in_progress(due.marker_id)
        if claim is None:
            return DigestOutcome.ALREADY_SENT
        message = self._prepare(due, form, options, claim)
        if message is None:
            self._markers.save_success(claim, "")
            log.info("digest empty, nothing sent form=%s period=%s", form.name, due.period.name)
            return DigestOutcome.EMPTY
        count = str(message["X-Letterbox-Count"])
        self._markers.save_success(claim, self._send(message, options, claim))
        log.info(
            "digest sent form=%s period=%s submissions=%s recipients=%d",
            form.name,
            due.period.name,
            count,
            len(options.organizers),
        )
        return DigestOutcome.SENT

    def _prepare(self, due: DigestDue, form: FormDefinition, options: FormOptions, claim: Claim) -> EmailMessage | None:
        """The email, or None for an empty period; on any failure the claim is released for the next receive."""
        try:
            listed = list(self.listed(due))
            if not listed:
                return None
            records = self._read(listed[:READ_LIMIT])
            unread = listed[READ_LIMIT:]
            choice = self._settings.digest_for(form.name)
            return render_digest(
                DigestContent(due.period, form, options, choice, records, unread, self._settings.bucket),
                self._mailer.sender,
                options.organizers,
            )
        except Exception:
            self._markers.delete(claim)
            raise

    def _send(self, message: EmailMessage, options: FormOptions, claim: Claim) -> str:
        return send_claimed(self._mailer, self._markers, claim, message, options.organizers)

    def listed(self, due: DigestDue) -> Iterator[Listed]:
        """The period's submissions, oldest first: list pages of its UTC day prefixes, bounded by id."""
        period = due.period
        day = period.start.date()
        while day <= (period.end - timedelta(milliseconds=1)).date():
            prefix = day_prefix(due.form, datetime.combine(day, time(), UTC))
            # Ids are ULIDs, keys sort by time: start right before the period's first millisecond.
            first = prefix + _time_chars(period.start) if day == period.start.date() else ""
            for key in self._keys(prefix, first):
                name = submission_id_from_key(key)
                if not key.endswith(".json") or not ids.is_submission_id(name):
                    continue
                moment = ids.time_of(name)
                if moment >= period.end:
                    return
                if period.contains(moment):
                    yield Listed(name, key)
            day += timedelta(days=1)

    def _keys(self, prefix: str, start_after: str) -> Iterator[str]:
        token = ""
        while True:
            extra = {"ContinuationToken": token} if token else ({"StartAfter": start_after} if start_after else {})
            with s3_errors("list"):
                page = self._s3.list_objects_v2(Bucket=self._settings.bucket, Prefix=prefix, **extra)  # type: ignore[arg-type]
            for item in page.get("Contents", []):
                yield item["Key"]
            token = page.get("NextContinuationToken", "")
            if not page.get("IsTruncated") or not token:
                return

    def _read(self, listed: Sequence[Listed]) -> list[SubmissionRecord]:
        with ThreadPoolExecutor(max_workers=READERS) as pool:
            raw = list(pool.map(lambda item: read_object(self._s3, self._settings.bucket, item.key), listed))
        records = []
        for item, data in zip(listed, raw, strict=True):
            if data is None:
                continue  # deleted since it was listed (retention, or a supporter forgotten): not in the digest
            try:
                records.append(SubmissionRecord.from_json(data))
            except NotARecord as error:
                log.warning("digest leaves out an object that is not a submission id=%s: %s", item.id, error)
        return records


def _time_chars(moment: datetime) -> str:
    return ids.new_submission_id(moment, bytes(10))[: ids.TIME_CHARS]

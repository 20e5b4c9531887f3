"""The "Public wall" row of the organizers' email: a signed review link, or the command to use instead.

A consenting report of a form with a wall gets a link to GET {api_url}/forms/{form}/review/{id}
(chalicelib/intake/review.py), unless the API could not open what the link shows:
  encrypted form    the API cannot read the report: the row names `letterbox wall approve --identity`
  metadata-only     the mailbox is not trusted with the report's content: no link to it, the command
  no API URL, or no signing key (SSM unreachable): the command, never a broken link
Digests carry no such row: a digest links to nothing (chalicelib/notify/digest_email.py), and
`letterbox wall pending` lists what waits for a decision.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from chalicelib.core import review_tokens
from chalicelib.core.form_choices import FormOptions
from chalicelib.core.forms import FormDefinition
from chalicelib.core.record import SubmissionRecord
from chalicelib.core.review_tokens import ReviewSubject
from chalicelib.core.signing_keys import SigningKeyUnavailable, derived_key
from chalicelib.core.wall import WallFields, WallNotDeclared, wall_fields
from chalicelib.notify.email_texts import wall_texts

log = logging.getLogger(__name__)


def _review_key() -> bytes:
    return derived_key("review")


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class ReviewLinks:
    """Makes the row; api_url empty: no link. key raises SigningKeyUnavailable when it cannot be read."""

    api_url: str
    stage: str
    key: Callable[[], bytes] = field(default=_review_key)
    now: Callable[[], datetime] = field(default=_now)

    def row(self, record: SubmissionRecord, form: FormDefinition, options: FormOptions) -> tuple[str, str] | None:
        """(label, text) for the email, or None when the report is not for the wall."""
        wall = _wall_of(form)
        if wall is None:
            return None
        texts = wall_texts(options.lang)
        if record.is_encrypted:
            # Consent is inside the ciphertext, unless it is one of the clear fields.
            if record.data.get(wall.consent) is False:
                return None
            command = f"letterbox wall approve {record.id} --identity key.txt"
            return texts["label"], f"{texts['encrypted']}\n{command}"
        if not wall.consented(record.data):
            return None
        link = None if options.metadata_only else self._link(record)
        if link is None:
            commands = f"letterbox wall pending\nletterbox wall approve {record.id}"
            return texts["label"], f"{texts['command']}\n{commands}"
        token, url = link
        return texts["label"], f"{texts['link'].format(expires=review_tokens.expires_on(token))}\n{url}"

    def _link(self, record: SubmissionRecord) -> tuple[str, str] | None:
        if not self.api_url:
            return None
        try:
            key = self.key()
        except SigningKeyUnavailable:
            # The email still goes out, with the command instead of the link.
            log.warning("review link left out: signing key unavailable form=%s id=%s", record.form, record.id)
            return None
        subject = ReviewSubject(self.stage, record.form, record.id)
        token = review_tokens.sign(key, subject, review_tokens.expiry_for(self.now()))
        return token, review_tokens.review_url(self.api_url, subject, token)


def _wall_of(form: FormDefinition) -> WallFields | None:
    try:
        return wall_fields(form)
    except WallNotDeclared:
        return None  # a schema mistake the console names; the email is not the place

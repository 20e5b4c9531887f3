"""The emailed review link: GET shows a consenting report's public copy, POST approves or rejects it.

A GET changes nothing (mail scanners follow links). A POST records its decision with a conditional
PUT of the moderation key, so of two clicks, or a click and `letterbox wall ...`, only the first
decides; every later use of any link of that report answers 409 with what was decided. Approving
then does what `letterbox wall approve ID` does (publish, add it to the feed), rejecting what
`letterbox wall reject ID` does. An approval recorded whose entry was never stored (S3 failed in
between) is the one decision a link may finish: a retry of the link does.

Refusals, checked in this order, each before anything is read that it does not need:
  403 a malformed id, an unknown form, a token that is not this report's    503 no signing key
  410 the token expired    404 no wall, or the report is gone    503 S3 failed
  409 encrypted, no consent, or decided already    400 a POST that is neither approve nor reject
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from chalice.app import Response

from chalicelib.core import ids, review_tokens
from chalicelib.core.aws_errors import StorageError, s3_errors
from chalicelib.core.forms import FormDefinition, FormRegistry
from chalicelib.core.record import NotARecord, SubmissionRecord
from chalicelib.core.review_tokens import ReviewSubject, TokenExpired, TokenInvalid
from chalicelib.core.settings import Settings
from chalicelib.core.signing_keys import SigningKeyUnavailable, derived_key
from chalicelib.core.storage import read_object, submission_key
from chalicelib.core.wall import WallFields, WallNotDeclared, wall_fields
from chalicelib.core.wall_store import WallStore
from chalicelib.intake.review_page import answer_page, review_page
from chalicelib.intake.review_texts import review_text
from chalicelib.intake.texts import LANGUAGES

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

log = logging.getLogger("letterbox")
# token=<56 characters>&decision=approve, with room to spare; anything larger is not our page's post.
MAX_POST_BYTES = 1024


class Refused(Exception):
    """An answer other than the page: its status, its title's and text's keys (review_texts.py), their values."""

    def __init__(self, status: int, title_key: str, text_key: str, **params: object) -> None:
        super().__init__(text_key)
        self.status, self.title_key, self.text_key, self.params = status, title_key, text_key, params


@dataclass(frozen=True)
class Opened:
    """A genuine, current link to a consenting, readable report."""

    form: FormDefinition
    wall: WallFields
    record: SubmissionRecord
    token: str


class ReviewService:
    def __init__(
        self,
        settings: Settings,
        forms: FormRegistry,
        s3: S3Client,
        key: Callable[[], bytes] = lambda: derived_key("review"),
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._settings = settings
        self._forms = forms
        self._s3 = s3
        self._store = WallStore(s3, settings.bucket)
        self._key = key
        self._now = now

    def show(self, form_name: str, submission_id: str, query: Mapping[str, str] | None) -> Response:
        lang = self._lang(form_name)

        def respond() -> Response:
            opened = self._open(form_name, submission_id, (query or {}).get("token"), lang)
            self._refuse_if_decided(opened, lang)
            expires = review_tokens.expires_on(opened.token)
            submission = {"id": opened.record.id, "received_at": opened.record.received_at}
            copy = opened.wall.public_copy(opened.record.data)
            return review_page(opened.form, lang, submission, copy, opened.token, expires)

        return _answered(lang, respond)

    def decide(self, form_name: str, submission_id: str, body: bytes) -> Response:
        lang = self._lang(form_name)

        def respond() -> Response:
            posted = _posted(body)
            opened = self._open(form_name, submission_id, posted.get("token"), lang)
            choice = posted.get("decision")
            if choice == "approve":
                return self._approve(opened, lang)
            if choice == "reject":
                return self._reject(opened, lang)
            raise Refused(400, "bad_choice_title", "bad_choice_text")

        return _answered(lang, respond)

    def _open(self, form_name: str, submission_id: str, token: str | None, lang: str) -> Opened:
        form = self._forms.get(form_name)
        if form is None or not ids.is_submission_id(submission_id):
            raise Refused(403, "invalid_title", "invalid_text")
        try:
            key = self._key()
        except SigningKeyUnavailable:
            raise Refused(503, "key_title", "key_text") from None
        try:
            review_tokens.verify(key, ReviewSubject(self._settings.stage, form.name, submission_id), token, self._now())
        except TokenInvalid:
            raise Refused(403, "invalid_title", "invalid_text") from None
        except TokenExpired:
            raise Refused(410, "expired_title", "expired_text", id=submission_id) from None
        wall = _wall_of(form)
        if wall is None:
            raise Refused(404, "no_wall_title", "no_wall_text", title=form.title(lang))
        record = self._record(form, submission_id, lang)
        if record.is_encrypted:
            raise Refused(409, "encrypted_title", "encrypted_text", id=record.id)
        if not wall.consented(record.data):
            raise Refused(409, "no_consent_title", "no_consent_text", id=record.id)
        return Opened(form, wall, record, token or "")

    def _record(self, form: FormDefinition, submission_id: str, lang: str) -> SubmissionRecord:
        raw = read_object(self._s3, self._settings.bucket, submission_key(form.name, submission_id))
        try:
            if raw is not None:
                return SubmissionRecord.from_json(raw)
        except NotARecord:
            pass  # not a report this page can show: as good as gone
        raise Refused(404, "missing_title", "missing_text", id=submission_id, title=form.title(lang))

    def _refuse_if_decided(self, opened: Opened, lang: str) -> None:
        """409 with the decision, unless it is an approval whose entry was never stored (to be finished)."""
        form, submission_id = opened.form.name, opened.record.id
        found = self._store.decision(form, submission_id)
        if found is None:
            return
        if found.get("decision") == "approved" and not self._store.is_published(form, submission_id):
            return
        raise _decided(found, opened, lang)

    def _approve(self, opened: Opened, lang: str) -> Response:
        form, submission_id = opened.form.name, opened.record.id
        if not self._store.decide_first(form, submission_id, "approved"):
            self._refuse_if_decided(opened, lang)
        with s3_errors("wall publish"):
            published = self._store.publish(form, submission_id, opened.wall.public_copy(opened.record.data))
        log.info("wall approved by review link form=%s id=%s", form, submission_id)
        try:
            with s3_errors("wall feed"):
                feed = self._store.add_to_feed(form, published)
        except StorageError:
            raise Refused(503, "unavailable_title", "not_rebuilt_text", id=submission_id) from None
        count = feed["counts"]["entries"]
        title = opened.form.title(lang)
        return answer_page(200, lang, "approved_title", "approved_text", id=submission_id, title=title, count=count)

    def _reject(self, opened: Opened, lang: str) -> Response:
        form, submission_id = opened.form.name, opened.record.id
        if not self._store.decide_first(form, submission_id, "rejected"):
            raise _decided(self._store.decision(form, submission_id) or {}, opened, lang)
        log.info("wall rejected by review link form=%s id=%s", form, submission_id)
        with s3_errors("wall take down"):
            if self._store.take_down(form, submission_id):  # published without a decision: as the command does
                self._store.rebuild(form)
        title = opened.form.title(lang)
        return answer_page(200, lang, "rejected_title", "rejected_text", id=submission_id, title=title)

    def _lang(self, form_name: str) -> str:
        """The organizers' language (the form's email_lang), whoever opens the link."""
        lang = self._settings.options_for(form_name).lang
        return lang if lang in LANGUAGES else "en"


def _answered(lang: str, respond: Callable[[], Response]) -> Response:
    try:
        return respond()
    except Refused as refused:
        return answer_page(refused.status, lang, refused.title_key, refused.text_key, **refused.params)
    except StorageError:
        return answer_page(503, lang, "unavailable_title", "unavailable_text")


def _decided(found: Mapping[str, Any], opened: Opened, lang: str) -> Refused:
    decision = str(found.get("decision", ""))
    shown = review_text(decision, lang) if decision in ("approved", "rejected", "removed") else decision
    return Refused(
        409, "decided_title", "decided_text", id=opened.record.id, decision=shown, at=str(found.get("at", ""))
    )


def _posted(body: bytes) -> dict[str, str]:
    """The page's form fields (token, decision); a body no page of ours sends is refused whole."""
    if len(body) > MAX_POST_BYTES:
        raise Refused(400, "bad_choice_title", "bad_choice_text")
    try:
        fields = parse_qs(body.decode("utf-8"), max_num_fields=4, strict_parsing=False)
    except (UnicodeDecodeError, ValueError):
        raise Refused(400, "bad_choice_title", "bad_choice_text") from None
    return {name: values[0] for name, values in fields.items() if len(values) == 1}


def _wall_of(form: FormDefinition) -> WallFields | None:
    try:
        return wall_fields(form)
    except WallNotDeclared:
        return None

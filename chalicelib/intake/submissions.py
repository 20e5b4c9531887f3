"""Accepting a submission: origin, size, parse, honeypot, captcha, schema, one PUT."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

from chalicelib.core import ids
from chalicelib.core.attachments import AttachmentStore, UploadedFile, names_uploads
from chalicelib.core.aws_errors import AlreadyExists, StorageUnavailable
from chalicelib.core.form_choices import FormOptions
from chalicelib.core.forms import FormDefinition, FormRegistry
from chalicelib.core.record import StoredAttachment, SubmissionRecord
from chalicelib.core.sealed_files import FILE_INFO_FIELD, sealed_entry
from chalicelib.core.sealing import sealed_record
from chalicelib.core.settings import Settings
from chalicelib.core.storage import SubmissionStore
from chalicelib.intake import problems
from chalicelib.intake.bounds import BodyOutOfBounds, bounded
from chalicelib.intake.captcha import CaptchaVerifier
from chalicelib.intake.captcha_check import CaptchaCheck
from chalicelib.intake.request import (
    FORM_TYPE,
    JSON_TYPE,
    SubmitRequest,
    admit,
    decode_utf8,
    find_form,
    parse_json_object,
    redirect_target,
)
from chalicelib.intake.single_use import SingleUse, retry_tag
from chalicelib.intake.uploaded_files import Sealing, uploaded_files
from chalicelib.intake.validation import apply_defaults, coerce_form_fields, validate

log = logging.getLogger(__name__)

CAPTCHA_FIELDS = ("h-captcha-response", "g-recaptcha-response", "altcha")
HONEYPOT_FIELD = "_gotcha"
NEXT_FIELD = "_next"


@dataclass(frozen=True)
class Accepted:
    submission_id: str
    form: str
    next_url: str | None = None
    replayed: bool = False


@dataclass(frozen=True)
class ParsedBody:
    data: dict[str, Any]
    captcha_token: str
    honeypot_filled: bool
    next_url: str | None
    file_info: object = None


class SubmissionService:
    def __init__(
        self,
        settings: Settings,
        forms: FormRegistry,
        store: SubmissionStore,
        verifier: CaptchaVerifier | None,
        attachments: AttachmentStore | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        single_use: SingleUse | None = None,
    ) -> None:
        self._settings = settings
        self._forms = forms
        self._store = store
        self._captcha = CaptchaCheck(settings, verifier)
        self._attachments = attachments
        self._clock = clock
        # ALTCHA's forms; without it they are refused (503), never let through unchecked.
        self._single_use = single_use or SingleUse.refusing(store)

    def form(self, name: str) -> FormDefinition:
        return find_form(self._forms, name)

    def submit(self, request: SubmitRequest, lang: str) -> Accepted:
        form, options = admit(
            self._forms, self._settings, request, (JSON_TYPE, FORM_TYPE), self._settings.max_body_bytes
        )
        parsed = self._parse(form, request)
        next_url = redirect_target(options, parsed.next_url)
        if parsed.honeypot_filled:
            # Bots get the answer people get, and nothing is stored.
            return Accepted(ids.new_submission_id(self._clock()), form.name, next_url)
        # Before the captcha: a body past its bounds, or text no UTF-8 can carry, spends no token.
        bounded_data = _bounded(form, parsed.data, lang)
        now = self._clock()
        key = request.headers.get("idempotency-key")
        keyed = _keyed_ids(form.name, key, now)
        # ALTCHA: the id comes from the challenge, and `tag` tells a retry from a second use of it.
        tag = retry_tag(form.name, key) if options.captcha == "altcha" else None
        if tag is not None:
            solution_id, stored = self._single_use.admit(form.name, parsed.captcha_token, tag)
            if stored:
                return Accepted(solution_id, form.name, next_url, replayed=True)
            keyed = (solution_id, ())
        # No S3 request before the captcha has passed: a request without a token costs its parsing only.
        elif self._settings.captcha_for(form.name):
            earlier_answer = self._captcha_or_first_attempt(options, parsed, request, keyed, form.name)
            if earlier_answer:
                return Accepted(earlier_answer, form.name, next_url, replayed=True)
        data = apply_defaults(form, bounded_data)
        errors = validate(form, data, lang)
        if errors:
            raise problems.InvalidSubmission(errors)
        submission_id, earlier = keyed or (ids.new_submission_id(now), ())
        # With files, look first (a retry's upload checks and copies are wasted); else the conditional PUT tells.
        found = self._first_attempt(
            (*earlier, submission_id) if keyed and names_uploads(form, data) else earlier, form.name, tag
        )
        if found:
            return Accepted(found, form.name, next_url, replayed=True)
        sealing = Sealing(len(options.encrypt_to), parsed.file_info) if options.encrypts else None
        files = uploaded_files(self._attachments, form, data, lang, errors, sealing)
        if errors:
            raise problems.InvalidSubmission(errors)
        stored = self._store_record(form, submission_id, now, data, files, tag or "")
        if not stored and tag is not None:
            submission_id = self._single_use.after_conflict(form.name, submission_id, tag)
        return Accepted(submission_id, form.name, next_url, replayed=not stored)

    def _captcha_or_first_attempt(
        self,
        options: FormOptions,
        parsed: ParsedBody,
        request: SubmitRequest,
        keyed: tuple[str, tuple[str, ...]] | None,
        form: str,
    ) -> str | None:
        """Check the captcha; None when it passed. A retry whose token its first attempt spent gets that id."""
        try:
            self._captcha.check(options, parsed.captcha_token, request.source_ip)
        except problems.CaptchaRejected as rejected:
            # Only a token hCaptcha has seen pass costs a HEAD: no token, no S3 request.
            found = (
                self._first_attempt((keyed[0], *keyed[1]), form)
                if keyed and rejected.detail_key == "captcha_used"
                else None
            )
            if found is None:
                raise
            return found
        return None

    def _first_attempt(self, candidates: tuple[str, ...], form: str, tag: str | None = None) -> str | None:
        if tag is not None:  # ALTCHA: its own retry, else a 400
            return next((found for c in candidates if (found := self._single_use.earlier_answer(form, c, tag))), None)
        try:
            return next((found for found in candidates if self._store.exists(form, found)), None)
        except StorageUnavailable:
            raise problems.ServiceUnavailable("storage_unavailable") from None

    def _parse(self, form: FormDefinition, request: SubmitRequest) -> ParsedBody:
        fields = (
            parse_json_object(request.body) if request.content_type == JSON_TYPE else _form_fields(form, request.body)
        )
        token = next((t for t in [fields.pop(name, "") for name in CAPTCHA_FIELDS] if t), "")
        honeypot = fields.pop(HONEYPOT_FIELD, "")
        file_info = fields.pop(FILE_INFO_FIELD, None)
        next_url = fields.pop(NEXT_FIELD, None)
        # Other underscore fields are conventions of form services (_subject...) we do not keep.
        data = {name: value for name, value in fields.items() if not name.startswith("_")}
        return ParsedBody(
            data=data,
            captcha_token=token if isinstance(token, str) else "",
            honeypot_filled=bool(honeypot),
            next_url=next_url if isinstance(next_url, str) else None,
            file_info=file_info,
        )

    def _store_record(
        self,
        form: FormDefinition,
        submission_id: str,
        now: datetime,
        data: dict[str, Any],
        files: list[UploadedFile],
        tag: str = "",
    ) -> bool:
        """True when stored; False when this id was stored already (the first attempt's)."""
        options = self._settings.options_for(form.name)
        kept: list[StoredAttachment] = []
        try:
            if files and self._attachments is not None:
                kept = self._attachments.keep(files, submission_id, sealed=options.encrypts)
            received_at = now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"
            record = SubmissionRecord(
                id=submission_id,
                form=form.name,
                schema_version=form.version,
                received_at=received_at,
                data=data,
                attachments=tuple(kept),
            )
            sealed_files = [
                sealed_entry(stub.name, file.declared) for stub, file in zip(kept, files, strict=True) if file.declared
            ]
            record = sealed_record(record, options, sealed_files)
            self._store.put(record, tag)
        except AlreadyExists:
            # A retry with the same Idempotency-Key: the first write stands, and its copies are the same keys.
            log.info("submission already stored form=%s id=%s", form.name, submission_id)
            return False
        except StorageUnavailable:
            if self._attachments is not None:
                self._attachments.forget(kept)
            raise problems.ServiceUnavailable("storage_unavailable") from None
        log.info("submission stored form=%s id=%s", form.name, submission_id)
        if files and self._attachments is not None:
            self._attachments.discard_uploads(files)
        return True


def _bounded(form: FormDefinition, data: dict[str, Any], lang: str) -> dict[str, Any]:
    """Cheap bounds first, so that no body within the size limit costs the validator seconds."""
    try:
        return bounded(form, data, lang)
    except BodyOutOfBounds as out_of_bounds:
        raise problems.InvalidSubmission(out_of_bounds.errors) from None


def _form_fields(form: FormDefinition, body: bytes) -> dict[str, Any]:
    text = decode_utf8(body, "bad_form_encoding")
    try:
        raw = parse_qs(text, keep_blank_values=True, strict_parsing=False, errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise problems.BadRequest("bad_form_encoding") from None
    special = {name: values[-1] for name, values in raw.items() if name.startswith("_") or name in CAPTCHA_FIELDS}
    fields = {name: values for name, values in raw.items() if name not in special}
    return {**coerce_form_fields(form, fields), **special}


def _keyed_ids(form: str, key: str | None, now: datetime) -> tuple[str, tuple[str, ...]] | None:
    if key is None:
        return None
    if not 1 <= len(key) <= 255 or not all(33 <= ord(char) <= 126 for char in key):
        raise problems.BadIdempotencyKey()
    return ids.keyed_submission_ids(form, key, now)

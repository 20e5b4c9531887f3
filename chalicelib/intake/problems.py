"""HTTP errors as exceptions that carry their status; one body shape (RFC 9457).

Problem
 ├── FormNotFound          404
 ├── NoUploads             404  the form has no attachments field
 ├── NoWall                404  the form publishes nothing (no public fields)
 ├── NoChallenge           404  the form's captcha is not ALTCHA
 ├── OriginNotAllowed      403
 ├── BodyTooLarge          413
 ├── UnsupportedMediaType  415
 ├── BadRequest            400  unreadable body, bad Idempotency-Key, a page that is not a number,
 │                             a wall filter no entry can have (too long, control characters)
 ├── CaptchaRejected       400
 ├── InvalidSubmission     422  with one entry per field
 ├── ServiceUnavailable    503  with Retry-After
 └── InternalError         500
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chalicelib.core.wall_filters import MAX_LENGTH as MAX_FILTER_LENGTH
from chalicelib.intake.texts import message
from chalicelib.intake.validation import MAX_LISTED_ERRORS, FieldError

PROBLEM_TYPE_PREFIX = "urn:letterbox:problem:"


class Problem(Exception):
    status = 500
    kind = "internal-error"
    title_key = "internal_title"

    def __init__(
        self,
        detail_key: str = "internal_detail",
        errors: Sequence[FieldError] = (),
        **params: object,
    ) -> None:
        super().__init__(detail_key)
        self.detail_key = detail_key
        self.errors = list(errors)
        self.params = params

    @property
    def headers(self) -> dict[str, str]:
        return {}

    @property
    def page_detail_key(self) -> str:
        """The detail on the HTML page a plain post (no script) gets."""
        return self.detail_key

    @property
    def page_errors(self) -> Sequence[FieldError]:
        return self.errors

    @property
    def listed_errors(self) -> list[FieldError]:
        """The first MAX_LISTED_ERRORS: 5,000 unknown keys must not make a 354 KB answer."""
        return self.errors[:MAX_LISTED_ERRORS]

    @property
    def omitted_errors(self) -> int:
        return max(0, len(self.errors) - MAX_LISTED_ERRORS)

    def body(self, lang: str, request_id: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": PROBLEM_TYPE_PREFIX + self.kind,
            "title": message(self.title_key, lang),
            "status": self.status,
            "detail": message(self.detail_key, lang, **self.params),
        }
        if self.errors:
            body["errors"] = [error.as_dict() for error in self.listed_errors]
            if self.omitted_errors:
                body["errors_omitted"] = self.omitted_errors
        if request_id:
            body["request_id"] = request_id
        return body


class FormNotFound(Problem):
    status, kind, title_key = 404, "form-not-found", "not_found_title"

    def __init__(self) -> None:
        super().__init__("not_found_detail")


class NoUploads(Problem):
    status, kind, title_key = 404, "no-uploads", "no_uploads_title"

    def __init__(self) -> None:
        super().__init__("no_uploads_detail")


class NoWall(Problem):
    status, kind, title_key = 404, "no-wall", "no_wall_title"

    def __init__(self) -> None:
        super().__init__("no_wall_detail")


class OriginNotAllowed(Problem):
    status, kind, title_key = 403, "origin-not-allowed", "origin_title"

    def __init__(self, detail_key: str = "origin_detail") -> None:
        super().__init__(detail_key)


class BodyTooLarge(Problem):
    status, kind, title_key = 413, "body-too-large", "too_large_title"

    def __init__(self, limit_bytes: int) -> None:
        super().__init__("too_large_detail", limit=limit_bytes // 1024)


class UnsupportedMediaType(Problem):
    status, kind, title_key = 415, "unsupported-media-type", "media_type_title"

    def __init__(self, detail_key: str = "media_type_detail") -> None:
        super().__init__(detail_key)


class BadRequest(Problem):
    status, kind, title_key = 400, "bad-request", "bad_body_title"


class BadIdempotencyKey(BadRequest):
    kind, title_key = "bad-idempotency-key", "idempotency_title"

    def __init__(self) -> None:
        super().__init__("idempotency_detail")


class BadPage(BadRequest):
    kind, title_key = "bad-page", "bad_page_title"

    def __init__(self) -> None:
        super().__init__("bad_page_detail")


# Each reason chalicelib/core/wall_filters.py gives, and the text that explains it.
BAD_FILTER_DETAILS = {"too_long": "bad_filter_too_long", "bad_characters": "bad_filter_bad_characters"}


class BadFilter(BadRequest):
    kind, title_key = "bad-filter", "bad_filter_title"

    def __init__(self, name: str, reason: str) -> None:
        # The parameter is named; what was sent is never quoted back.
        super().__init__(BAD_FILTER_DETAILS[reason], name=name, limit=MAX_FILTER_LENGTH)


class CaptchaRejected(Problem):
    status, kind, title_key = 400, "captcha-rejected", "captcha_title"

    def __init__(self, detail_key: str, field: str = "h-captcha-response") -> None:
        # The field the captcha's widget fills: h-captcha-response, or altcha.
        self.field = f"/{field}"
        super().__init__(detail_key, errors=[FieldError(self.field, "")])

    def body(self, lang: str, request_id: str | None = None) -> dict[str, Any]:
        body = super().body(lang, request_id)
        body["errors"] = [{"field": self.field, "message": body["detail"]}]
        return body

    @property
    def page_detail_key(self) -> str:
        # A plain post reaches the API without a token only when no captcha widget ran: say what to do.
        return "captcha_needs_javascript" if self.detail_key == "captcha_missing" else self.detail_key

    @property
    def page_errors(self) -> Sequence[FieldError]:
        return []  # the detail is the one thing to say: no list with a field nobody typed into


class NoChallenge(Problem):
    status, kind, title_key = 404, "no-challenge", "no_challenge_title"

    def __init__(self) -> None:
        super().__init__("no_challenge_detail")


class InvalidSubmission(Problem):
    status, kind, title_key = 422, "invalid-submission", "invalid_title"

    def __init__(self, errors: Sequence[FieldError]) -> None:
        super().__init__("invalid_detail", errors=errors)


class ServiceUnavailable(Problem):
    status, kind, title_key = 503, "service-unavailable", "unavailable_title"
    retry_after_seconds = 30

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after_seconds)}


class InternalError(Problem):
    pass

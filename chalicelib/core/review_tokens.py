"""The emailed review link's token: HMAC-SHA256 over the stage, the form, the submission id and the expiry.

A token is "{expires}.{mac}": the expiry in Unix seconds, then the base64url MAC (no padding) of
  "letterbox-review-v1\n{stage}\n{form}\n{submission id}\n{expires}"
under derived_key("review"). Changing any of them (another submission, another form, a later
expiry) breaks the MAC; the MAC is compared in constant time, and only a genuine token's expiry
is looked at. Single use is not the token's: the decision it leads to is recorded once
(chalicelib/intake/review.py), and any link of a decided report answers 409.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

PURPOSE = "review"
LIFETIME = timedelta(days=30)
VERSION = "letterbox-review-v1"
# At most 12 digits of seconds (year 33658) and the 43 characters of an unpadded SHA-256.
TOKEN = re.compile(r"^([0-9]{1,12})\.([A-Za-z0-9_-]{43})$")


class TokenRefused(Exception):
    """The token does not open this review page."""


class TokenInvalid(TokenRefused):
    """Malformed, tampered with, or made for another submission, form or stage."""


class TokenExpired(TokenRefused):
    """Genuine, but past its expiry."""


@dataclass(frozen=True)
class ReviewSubject:
    """What a token is bound to."""

    stage: str
    form: str
    submission_id: str


def expiry_for(now: datetime) -> int:
    return int((now + LIFETIME).timestamp())


def sign(key: bytes, subject: ReviewSubject, expires: int) -> str:
    return f"{expires}.{_mac(key, subject, expires)}"


def verify(key: bytes, subject: ReviewSubject, token: str | None, now: datetime) -> None:
    """Return when the token is genuine and current; TokenInvalid or TokenExpired otherwise."""
    match = TOKEN.match(token or "")
    if match is None:
        raise TokenInvalid()
    expires = int(match.group(1))
    if not hmac.compare_digest(match.group(2).encode(), _mac(key, subject, expires).encode()):
        raise TokenInvalid()
    if now.timestamp() >= expires:
        raise TokenExpired()


def expires_on(token: str) -> str:
    """The token's expiry as a UTC date (2026-12-14), for the email and the page; "" when malformed."""
    match = TOKEN.match(token)
    return datetime.fromtimestamp(int(match.group(1)), UTC).date().isoformat() if match else ""


def review_url(api_url: str, subject: ReviewSubject, token: str) -> str:
    form, submission = quote(subject.form, safe=""), quote(subject.submission_id, safe="")
    return f"{api_url.rstrip('/')}/forms/{form}/review/{submission}?token={token}"


def _mac(key: bytes, subject: ReviewSubject, expires: int) -> str:
    message = "\n".join([VERSION, subject.stage, subject.form, subject.submission_id, str(expires)])
    digest = hmac.new(key, message.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")

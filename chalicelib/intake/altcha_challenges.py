"""ALTCHA: a proof of work the supporter's browser solves; the challenge is ours, signed, bound to one form.

A challenge (GET /forms/{form}/challenge) is made in ALTCHA's deterministic mode: we draw the
secret counter below the form's `altcha_max_number`, derive its key once (PBKDF2, COST rounds),
and give the browser the key's first half; the browser tries counters from 0 until one derives
it, so the work is uniform, never a long unlucky tail. The key's HMAC (keySignature) makes
checking a solution one HMAC, not a derivation. The challenge's `data` names the form and the
expiry, under the challenge's signature. The expiry is ours, checked with our clock, not the
parameter `expiresAt` that the widget would hold against the browser's (often wrong) clock.

Verifying gives the id the submission is stored under, derived from the challenge alone: a
second use of the same solution names the same object, which a conditional PUT refuses
(chalicelib/intake/single_use.py). The library (imported only here, on first use) does not
stop a replay by itself.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from chalicelib.core import ids
from chalicelib.core.signing_keys import SigningKeyUnavailable
from chalicelib.intake import problems

if TYPE_CHECKING:
    from altcha import Payload

ALGORITHM = "PBKDF2/SHA-256"  # the widget's bundled default, WebCrypto-native in every browser
COST = 5_000  # PBKDF2 rounds per counter tried
LIFETIME = timedelta(minutes=10)
FIELD = "altcha"  # the widget's hidden input
# A real payload is about 700 characters; anything far longer is not one and is not decoded.
MAX_PAYLOAD_CHARS = 4_096
# What a hostile payload can make the library raise while it is read.
_UNREADABLE = (ValueError, TypeError, KeyError, AttributeError, RecursionError)


class ExpiredSolution(problems.CaptchaRejected):
    """A solution of ours, solved, but past its expiry: a retry may still find what its first attempt stored."""

    def __init__(self, submission_id: str) -> None:
        super().__init__("captcha_expired", field=FIELD)
        self.submission_id = submission_id


class AltchaChallenges:
    def __init__(self, key: Callable[[], bytes], clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._key = key  # chalicelib.core.signing_keys.derived_key("altcha"), read on first use
        self._clock = clock

    def issue(self, form: str, max_number: int) -> dict[str, Any]:
        """A fresh signed challenge for `form` (JSON as the widget reads it)."""
        from altcha import create_challenge

        secret = self._secret()
        expires = int((self._clock() + LIFETIME).timestamp())
        challenge = create_challenge(
            ALGORITHM,
            COST,
            counter=secrets.randbelow(max_number),
            hmac_secret=secret,
            hmac_key_secret=_key_signing_secret(secret),
            data={"form": form, "expires": expires},
        )
        body: dict[str, Any] = challenge.to_dict()
        return body

    def verify(self, form: str, token: str) -> str:
        """The submission id a solved, signed, unexpired challenge of `form` stands for; else a 400 (or 503)."""
        from altcha import verify_solution

        if not token:
            raise problems.CaptchaRejected("captcha_missing", field=FIELD)
        payload = _read(token)
        secret = self._secret()
        try:
            result = verify_solution(payload, secret, hmac_key_secret=_key_signing_secret(secret))
        except _UNREADABLE:
            raise problems.CaptchaRejected("captcha_invalid", field=FIELD) from None
        if not result.verified:  # unsigned, tampered with, another key's, or not solved
            raise problems.CaptchaRejected("captcha_invalid", field=FIELD)
        data = payload.challenge.parameters.data
        expires = data.get("expires") if isinstance(data, dict) else None
        if not isinstance(expires, int) or isinstance(expires, bool) or not isinstance(data, dict):
            raise problems.CaptchaRejected("captcha_invalid", field=FIELD)  # signed, but not by this code
        if data.get("form") != form:
            raise problems.CaptchaRejected("captcha_wrong_form", field=FIELD)
        submission_id = solution_id(form, expires, str(payload.challenge.signature))
        if self._clock().timestamp() >= expires:
            raise ExpiredSolution(submission_id)
        return submission_id

    def _secret(self) -> bytes:
        try:
            return self._key()
        except SigningKeyUnavailable:
            # Fail closed: without the key no challenge is given and no solution accepted.
            raise problems.ServiceUnavailable("captcha_unavailable") from None


def solution_id(form: str, expires: int, signature: str) -> str:
    """A ULID timed at the challenge's expiry (never before the submission, so no digest misses it)."""
    token = hashlib.sha256(f"altcha\n{form}\n{signature}".encode()).digest()
    return ids.new_submission_id(datetime.fromtimestamp(expires, tz=UTC), token)


def _read(token: str) -> Payload:
    from altcha import Payload

    if len(token) > MAX_PAYLOAD_CHARS:
        raise problems.CaptchaRejected("captcha_invalid", field=FIELD)
    try:
        return Payload.from_base64(token)
    except _UNREADABLE:
        raise problems.CaptchaRejected("captcha_invalid", field=FIELD) from None


def _key_signing_secret(secret: bytes) -> bytes:
    # Its own key for the derived key's HMAC: a signature of one kind never passes for the other.
    return hmac.new(secret, b"altcha derived key", hashlib.sha256).digest()

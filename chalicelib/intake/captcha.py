"""hCaptcha siteverify: one form-encoded POST, fail closed.

Errors:
    CaptchaUnavailable  the service did not answer usefully (network, 5xx, not JSON)
    CaptchaMisconfigured  the service says our secret or sitekey is wrong
A rejected token is not an error: `verify` returns a result with `success` false.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from urllib.parse import urlencode

import urllib3

log = logging.getLogger(__name__)

# hCaptcha's error codes that mean the operator, not the supporter, must act.
CONFIGURATION_ERRORS = frozenset(
    {
        "missing-input-secret",
        "invalid-input-secret",
        "sitekey-secret-mismatch",
        "not-using-dummy-passcode",
        "invalid-sitekey",
    }
)
# What a supporter is told, per hCaptcha error code.
TOKEN_ERROR_MESSAGES = {
    "missing-input-response": "captcha_missing",
    "expired-input-response": "captcha_expired",
    "already-seen-response": "captcha_used",
    "invalid-or-already-seen-response": "captcha_used",
    "invalid-input-response": "captcha_invalid",
}


class CaptchaUnavailable(Exception):
    pass


class CaptchaMisconfigured(Exception):
    pass


@dataclass(frozen=True)
class CaptchaResult:
    success: bool
    hostname: str
    error_codes: tuple[str, ...]

    @property
    def message_key(self) -> str:
        for code in self.error_codes:
            if code in TOKEN_ERROR_MESSAGES:
                return TOKEN_ERROR_MESSAGES[code]
        return "captcha_invalid"


class CaptchaVerifier:
    def __init__(
        self,
        http: urllib3.PoolManager,
        verify_url: str,
        secret: str,
        sitekey: str,
        timeout: float,
    ) -> None:
        self._http = http
        self._verify_url = verify_url
        self._secret = secret
        self._sitekey = sitekey
        self._timeout = timeout

    def verify(self, token: str, remote_ip: str | None = None) -> CaptchaResult:
        fields = {"secret": self._secret, "response": token, "sitekey": self._sitekey}
        if remote_ip:
            fields["remoteip"] = remote_ip
        status, answer = self._post(fields)
        raw_codes = answer.get("error-codes")
        codes = tuple(str(code) for code in raw_codes) if isinstance(raw_codes, list) else ()
        misconfigured = CONFIGURATION_ERRORS.intersection(codes)
        if misconfigured:
            raise CaptchaMisconfigured(", ".join(sorted(misconfigured)))
        return CaptchaResult(
            # Only a 200 is an answer: a 4xx that says success is not one to trust.
            success=status == 200 and answer.get("success") is True,
            hostname=str(answer.get("hostname") or ""),
            error_codes=codes,
        )

    def _post(self, fields: dict[str, str]) -> tuple[int, dict[str, object]]:
        try:
            response = self._http.request(
                "POST",
                self._verify_url,
                body=urlencode(fields),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
                timeout=urllib3.Timeout(total=self._timeout),
                # A token is single-use: retry only when the request never left.
                retries=urllib3.Retry(connect=1, read=0, status=0, other=0, redirect=0),
            )
        except urllib3.exceptions.HTTPError as error:
            raise CaptchaUnavailable(type(error).__name__) from None
        if response.status >= 500:
            raise CaptchaUnavailable(f"status {response.status}")
        try:
            answer = json.loads(response.data)
        except ValueError:
            raise CaptchaUnavailable(f"status {response.status}, not JSON") from None
        if not isinstance(answer, dict):
            raise CaptchaUnavailable("answer is not a JSON object")
        return response.status, answer

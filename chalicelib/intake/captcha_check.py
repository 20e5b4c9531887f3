"""The captcha policy of a submission: fail closed, and only on the form's own sites."""

from __future__ import annotations

import logging

from chalicelib.core.form_choices import FormOptions
from chalicelib.core.settings import Settings
from chalicelib.intake import problems
from chalicelib.intake.captcha import CaptchaMisconfigured, CaptchaUnavailable, CaptchaVerifier

log = logging.getLogger(__name__)

# hCaptcha's test keys answer with this hostname instead of the page's.
TEST_KEY_HOSTNAME = "dummy-key-pass"


class CaptchaCheck:
    def __init__(self, settings: Settings, verifier: CaptchaVerifier | None) -> None:
        self._settings = settings
        self._verifier = verifier

    def check(self, options: FormOptions, token: str, source_ip: str | None) -> None:
        """Pass, or raise the problem the supporter (or the operator, in the log) must act on."""
        if not token:
            raise problems.CaptchaRejected("captcha_missing")
        remote_ip = source_ip if self._settings.hcaptcha_send_remoteip else None
        if self._verifier is None:  # captcha on for a form, but no keys: refuse, never skip
            raise problems.ServiceUnavailable("captcha_unavailable")
        try:
            result = self._verifier.verify(token, remote_ip)
        except CaptchaUnavailable as error:
            log.warning("captcha service unavailable: %s", error)
            raise problems.ServiceUnavailable("captcha_unavailable") from None
        except CaptchaMisconfigured as error:
            log.error("captcha misconfigured, check HCAPTCHA_SECRET and HCAPTCHA_SITEKEY: %s", error)
            raise problems.ServiceUnavailable("captcha_unavailable") from None
        if not result.success:
            raise problems.CaptchaRejected(result.message_key)
        if not self._hostname_allowed(options, result.hostname):
            log.warning("captcha solved on a host not on the allow-list")
            raise problems.CaptchaRejected("captcha_wrong_site")

    def _hostname_allowed(self, options: FormOptions, hostname: str) -> bool:
        if hostname == TEST_KEY_HOSTNAME:
            return self._settings.uses_test_captcha_keys and self._settings.is_local
        return hostname.lower() in options.hostnames

"""Settings: read once from the environment and letterbox.toml into one typed, validated object.

Every form's options (origins, organizers, ...) come from form_choices.py: letterbox.toml under
the environment's overrides.

Test keys: hCaptcha's public test keys and a plain-HTTP verify URL are accepted only on the local
stack, which says so with LETTERBOX_LOCAL=1 (devstack and the tests set it), and never inside
Lambda (AWS_LAMBDA_FUNCTION_NAME): every deployed stage refuses them, whatever it is called.
The same marker lets LETTERBOX_LOCAL_ORIGINS (the local stack's demo site, on whatever port it
runs) be added to every form's origins.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from chalicelib.core.config_file import ConfigFile
from chalicelib.core.config_keys import DIGEST_KEYS, Invalid
from chalicelib.core.config_keys import ConfigError as ConfigError  # raised by every module here: one error type
from chalicelib.core.digest_periods import DigestChoice
from chalicelib.core.env_reader import EnvReader
from chalicelib.core.env_reader import is_local as is_local  # callers import these from here
from chalicelib.core.form_choices import DEFAULT_CONFIG as DEFAULT_CONFIG
from chalicelib.core.form_choices import FormChoices as FormChoices
from chalicelib.core.form_choices import FormOptions as FormOptions
from chalicelib.core.form_choices import known_form_names as known_form_names
from chalicelib.core.form_choices import read_config as read_config

HCAPTCHA_TEST_SITEKEY = "10000000-ffff-ffff-ffff-000000000001"
HCAPTCHA_TEST_SECRET = "0x0000000000000000000000000000000000000000"  # noqa: S105 (public test key)
HCAPTCHA_VERIFY_URL = "https://api.hcaptcha.com/siteverify"


DEFAULT_NOTIFY_CONCURRENCY = 2


@dataclass(frozen=True)
class DigestChoices:
    """Every form's digest choice (letterbox.toml's notify, digest_time, timezone, under LETTERBOX_NOTIFY,
    LETTERBOX_DIGEST_TIME, LETTERBOX_TIMEZONE), resolved in the order FormChoices resolves the other keys."""

    default: DigestChoice = field(default_factory=DigestChoice)
    named: Mapping[str, DigestChoice] = field(default_factory=dict)

    def for_form(self, form: str) -> DigestChoice:
        return self.named.get(form, self.default)

    @classmethod
    def from_env(
        cls, env: Mapping[str, str], *, config: ConfigFile | None = None, form_names: Collection[str] | None = None
    ) -> DigestChoices:
        reader = EnvReader(env)
        stage = reader.text("LETTERBOX_STAGE", "dev")
        if config is None:
            config = read_config(env, known_form_names(env) if form_names is None else form_names)
        overrides = _digest_overrides(reader)

        def resolve(form: str | None) -> DigestChoice:
            return DigestChoice(**{**config.digest_lookup(stage, form), **overrides})

        return cls(resolve(None), {form: resolve(form) for form in sorted(config.named_forms(stage))})


def _digest_overrides(reader: EnvReader) -> dict[str, Any]:
    """LETTERBOX_NOTIFY and the others, when set: checked as the file's key, the value for every form."""
    overrides = {}
    for spec in DIGEST_KEYS.values():
        if text := reader.text(spec.env, ""):
            try:
                overrides[spec.attribute] = spec.check(spec.env_value(text))
            except Invalid as error:
                raise ConfigError(f"{spec.env}: {error.message}") from None
    return overrides


@dataclass(frozen=True)
class Settings:
    stage: str
    bucket: str
    hcaptcha_sitekey: str
    hcaptcha_secret: str
    hcaptcha_verify_url: str
    hcaptcha_timeout: float
    hcaptcha_send_remoteip: bool
    max_body_bytes: int
    sender: str
    retry_delay_seconds: int
    forms: FormChoices
    # SES's sending rate for the account (1 a second in the sandbox) and how many notify functions share it.
    send_rate: float = 1.0
    notify_concurrency: int = 2
    # The local stack (LETTERBOX_LOCAL=1, outside Lambda): the only place test keys are accepted.
    is_local: bool = False
    # Each form's notify = "each" | "hourly" | "daily" (chalicelib/core/digest_periods.py).
    digests: DigestChoices = field(default_factory=DigestChoices)
    # The SSM parameter of the stage's signing key (chalicelib/core/signing_keys.py), read on first use.
    signing_key_parameter: str = ""
    # The API's own address, for the emailed review links (the deploy records it for the notify function).
    api_url: str = ""

    @property
    def is_production(self) -> bool:
        """Anything but the local stack: every deployed stage is held to production's rules."""
        return not self.is_local

    @property
    def captcha_enabled(self) -> bool:
        """Whether a form the configuration does not name has a captcha."""
        return self.forms.default.captcha != "off"

    @property
    def default_options(self) -> FormOptions:
        return self.forms.default

    @property
    def form_options(self) -> Mapping[str, FormOptions]:
        return self.forms.named

    @property
    def all_origins(self) -> tuple[str, ...]:
        return self.forms.all_origins

    @property
    def uses_test_captcha_keys(self) -> bool:
        return self.hcaptcha_sitekey == HCAPTCHA_TEST_SITEKEY

    def options_for(self, form: str) -> FormOptions:
        return self.forms.options_for(form)

    def digest_for(self, form: str) -> DigestChoice:
        return self.digests.for_form(form)

    def captcha_for(self, form: str) -> bool:
        # Anything but "off" asks for a captcha: a captcha added to CAPTCHAS fails closed until handled.
        return self.options_for(form).captcha != "off"

    @classmethod
    def from_env(
        cls,
        env: Mapping[str, str] | None = None,
        *,
        config: ConfigFile | None = None,
        form_names: Collection[str] | None = None,
    ) -> Settings:
        """Read and check everything; `config` replaces the file, `form_names` the forms in schemas/."""
        env = os.environ if env is None else env
        reader = EnvReader(env)
        if config is None:  # read once, for the forms' options and their digests
            config = read_config(env, known_form_names(env) if form_names is None else form_names)
        settings = cls(
            stage=reader.text("LETTERBOX_STAGE", "dev"),
            bucket=reader.required("LETTERBOX_BUCKET"),
            hcaptcha_sitekey=reader.text("HCAPTCHA_SITEKEY", ""),
            hcaptcha_secret=reader.text("HCAPTCHA_SECRET", ""),
            hcaptcha_verify_url=reader.text("HCAPTCHA_VERIFY_URL", HCAPTCHA_VERIFY_URL),
            hcaptcha_timeout=reader.number("HCAPTCHA_TIMEOUT_SECONDS", 5.0),
            hcaptcha_send_remoteip=reader.flag("HCAPTCHA_SEND_REMOTEIP", False),
            max_body_bytes=int(reader.number("LETTERBOX_MAX_BODY_BYTES", 65536)),
            sender=reader.text("LETTERBOX_SENDER", ""),
            retry_delay_seconds=reader.whole_number("LETTERBOX_RETRY_DELAY_SECONDS", 30),
            send_rate=reader.number("LETTERBOX_SEND_RATE", 1.0),
            notify_concurrency=notify_concurrency(env),
            forms=FormChoices.from_env(env, config=config, form_names=form_names),
            is_local=is_local(env),
            digests=DigestChoices.from_env(env, config=config),
            signing_key_parameter=reader.text("LETTERBOX_SIGNING_KEY_PARAMETER", ""),
            api_url=reader.text("LETTERBOX_API_URL", ""),
        )
        settings.check()
        return settings

    def check(self) -> None:
        """Refuse settings that would run insecurely or not at all."""
        if self.forms.needs_hcaptcha:
            if not self.hcaptcha_sitekey:
                raise ConfigError("HCAPTCHA_SITEKEY is not set (or set LETTERBOX_CAPTCHA=off)")
            if not self.hcaptcha_secret:
                raise ConfigError("HCAPTCHA_SECRET is not set (or set LETTERBOX_CAPTCHA=off)")
        api = urlsplit(self.api_url)
        if self.api_url and (api.scheme not in ("http", "https") or not api.netloc or api.query or api.fragment):
            raise ConfigError("LETTERBOX_API_URL must be the API's address, like https://abc.execute-api…/api/")
        if self.is_local:
            return
        only_local = "only the local stack may use it (LETTERBOX_LOCAL=1, outside Lambda)"
        if self.hcaptcha_sitekey == HCAPTCHA_TEST_SITEKEY:
            raise ConfigError(f"HCAPTCHA_SITEKEY is hCaptcha's public test key: {only_local}")
        if self.hcaptcha_secret == HCAPTCHA_TEST_SECRET:
            raise ConfigError(f"HCAPTCHA_SECRET is hCaptcha's public test secret: {only_local}")
        if urlsplit(self.hcaptcha_verify_url).scheme != "https":
            raise ConfigError("HCAPTCHA_VERIFY_URL must be an https:// URL: plain HTTP is for the local stack only")
        if self.api_url and api.scheme != "https":
            raise ConfigError("LETTERBOX_API_URL must be an https:// URL: plain HTTP is for the local stack only")


def notify_concurrency(env: Mapping[str, str]) -> int:
    """LETTERBOX_NOTIFY_CONCURRENCY: at most this many notify functions at once (SQS allows 2 to 1,000)."""
    text = env.get("LETTERBOX_NOTIFY_CONCURRENCY", "").strip() or str(DEFAULT_NOTIFY_CONCURRENCY)
    if not text.isdigit() or not 2 <= int(text) <= 1000:
        raise ConfigError(f"LETTERBOX_NOTIFY_CONCURRENCY must be a whole number from 2 to 1000, not {text!r}")
    return int(text)

"""Settings: read once from the environment into one typed, validated object."""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

HCAPTCHA_TEST_SITEKEY = "10000000-ffff-ffff-ffff-000000000001"
HCAPTCHA_TEST_SECRET = "0x0000000000000000000000000000000000000000"  # noqa: S105 (public test key)
HCAPTCHA_VERIFY_URL = "https://api.hcaptcha.com/siteverify"
PRODUCTION_STAGES = frozenset({"prod", "production"})


class ConfigError(Exception):
    """A setting is missing or wrong; the message names the variable."""


@dataclass(frozen=True)
class FormOptions:
    """Per-form deployment choices (who may embed it, who is told of it)."""

    origins: tuple[str, ...] = ()
    organizers: tuple[str, ...] = ()
    lang: str = "en"
    metadata_only: bool = False
    safe_fields: tuple[str, ...] | None = None
    # None follows LETTERBOX_CAPTCHA; False lets a form work without JavaScript, where no captcha can run.
    captcha: bool | None = None

    def allows_origin(self, origin: str | None) -> bool:
        return origin is not None and origin.lower() in self.origins

    def allows_page(self, url: str | None) -> bool:
        """A URL on one of the form's sites: where a redirect or a link back may lead."""
        if not url:
            return False
        parts = urlsplit(url)
        return self.allows_origin(f"{parts.scheme}://{parts.netloc}")

    @functools.cached_property
    def hostnames(self) -> frozenset[str]:
        return frozenset(urlsplit(origin).hostname or "" for origin in self.origins)


@dataclass(frozen=True)
class Settings:
    stage: str
    bucket: str
    captcha_enabled: bool
    hcaptcha_sitekey: str
    hcaptcha_secret: str
    hcaptcha_verify_url: str
    hcaptcha_timeout: float
    hcaptcha_send_remoteip: bool
    max_body_bytes: int
    sender: str
    retry_delay_seconds: int
    default_options: FormOptions
    form_options: Mapping[str, FormOptions] = field(default_factory=dict)

    @property
    def is_production(self) -> bool:
        return self.stage in PRODUCTION_STAGES

    @property
    def uses_test_captcha_keys(self) -> bool:
        return self.hcaptcha_sitekey == HCAPTCHA_TEST_SITEKEY

    def options_for(self, form: str) -> FormOptions:
        return self.form_options.get(form, self.default_options)

    def captcha_for(self, form: str) -> bool:
        chosen = self.options_for(form).captcha
        return self.captcha_enabled if chosen is None else chosen

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        reader = _EnvReader(env)
        defaults = FormOptions(
            origins=reader.origins("LETTERBOX_ORIGINS"),
            organizers=reader.words("LETTERBOX_ORGANIZERS", separator=","),
            lang=reader.choice("LETTERBOX_EMAIL_LANG", ("en", "ru"), "en"),
        )
        settings = cls(
            stage=reader.text("LETTERBOX_STAGE", "dev"),
            bucket=reader.required("LETTERBOX_BUCKET"),
            captcha_enabled=reader.flag("LETTERBOX_CAPTCHA", True),
            hcaptcha_sitekey=reader.text("HCAPTCHA_SITEKEY", ""),
            hcaptcha_secret=reader.text("HCAPTCHA_SECRET", ""),
            hcaptcha_verify_url=reader.text("HCAPTCHA_VERIFY_URL", HCAPTCHA_VERIFY_URL),
            hcaptcha_timeout=reader.number("HCAPTCHA_TIMEOUT_SECONDS", 5.0),
            hcaptcha_send_remoteip=reader.flag("HCAPTCHA_SEND_REMOTEIP", False),
            max_body_bytes=int(reader.number("LETTERBOX_MAX_BODY_BYTES", 65536)),
            sender=reader.text("LETTERBOX_SENDER", ""),
            retry_delay_seconds=reader.whole_number("LETTERBOX_RETRY_DELAY_SECONDS", 30),
            default_options=defaults,
            form_options=reader.form_options("LETTERBOX_FORM_OPTIONS", defaults),
        )
        settings.check()
        return settings

    def check(self) -> None:
        """Refuse settings that would run insecurely or not at all."""
        if self.captcha_enabled or any(options.captcha for options in self.form_options.values()):
            if not self.hcaptcha_sitekey:
                raise ConfigError("HCAPTCHA_SITEKEY is not set (or set LETTERBOX_CAPTCHA=off)")
            if not self.hcaptcha_secret:
                raise ConfigError("HCAPTCHA_SECRET is not set (or set LETTERBOX_CAPTCHA=off)")
        if not self.is_production:
            return
        if self.hcaptcha_sitekey == HCAPTCHA_TEST_SITEKEY:
            raise ConfigError("HCAPTCHA_SITEKEY is hCaptcha's public test key: not allowed in production")
        if self.hcaptcha_secret == HCAPTCHA_TEST_SECRET:
            raise ConfigError("HCAPTCHA_SECRET is hCaptcha's public test secret: not allowed in production")
        if urlsplit(self.hcaptcha_verify_url).scheme != "https":
            raise ConfigError("HCAPTCHA_VERIFY_URL must be an https:// URL in production")


@dataclass(frozen=True)
class _EnvReader:
    env: Mapping[str, str]

    def text(self, name: str, default: str) -> str:
        return self.env.get(name, default).strip()

    def required(self, name: str) -> str:
        value = self.text(name, "")
        if not value:
            raise ConfigError(f"{name} is not set")
        return value

    def flag(self, name: str, default: bool) -> bool:
        value = self.text(name, "").lower()
        if not value:
            return default
        if value in ("1", "true", "on", "yes"):
            return True
        if value in ("0", "false", "off", "no"):
            return False
        raise ConfigError(f"{name} must be on or off, not {value!r}")

    def number(self, name: str, default: float) -> float:
        value = self.text(name, "")
        if not value:
            return default
        try:
            number = float(value)
        except ValueError:
            raise ConfigError(f"{name} must be a number, not {value!r}") from None
        if number <= 0:
            raise ConfigError(f"{name} must be greater than zero")
        return number

    def whole_number(self, name: str, default: int) -> int:
        value = self.text(name, "")
        if not value:
            return default
        if not value.isdigit():
            raise ConfigError(f"{name} must be a whole number of zero or more, not {value!r}")
        return int(value)

    def choice(self, name: str, choices: tuple[str, ...], default: str) -> str:
        value = self.text(name, default)
        if value not in choices:
            raise ConfigError(f"{name} must be one of {', '.join(choices)}")
        return value

    def words(self, name: str, separator: str | None = None) -> tuple[str, ...]:
        return tuple(word.strip() for word in self.text(name, "").split(separator) if word.strip())

    def origins(self, name: str) -> tuple[str, ...]:
        return tuple(_checked_origin(name, origin) for origin in self.words(name))

    def form_options(self, name: str, defaults: FormOptions) -> dict[str, FormOptions]:
        raw = self.text(name, "")
        if not raw:
            return {}
        try:
            parsed = json.loads(raw)
        except ValueError:
            raise ConfigError(f"{name} is not valid JSON") from None
        if not isinstance(parsed, dict):
            raise ConfigError(f"{name} must be a JSON object keyed by form name")
        return {form: _form_options(name, form, value, defaults) for form, value in parsed.items()}


def _checked_origin(name: str, origin: str) -> str:
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
        raise ConfigError(f"{name}: {origin!r} is not an origin like https://example.org")
    return f"{parts.scheme}://{parts.netloc}".lower()


def _form_options(name: str, form: str, value: Any, defaults: FormOptions) -> FormOptions:
    where = f"{name}[{form!r}]"
    if not isinstance(value, dict):
        raise ConfigError(f"{where} must be a JSON object")
    unknown = set(value) - {"origins", "organizers", "lang", "metadata_only", "safe_fields", "captcha"}
    if unknown:
        raise ConfigError(f"{where} has unknown keys: {', '.join(sorted(unknown))}")
    safe_fields = value.get("safe_fields", defaults.safe_fields)
    return FormOptions(
        origins=tuple(_checked_origin(where, o) for o in value.get("origins", defaults.origins)),
        organizers=tuple(value.get("organizers", defaults.organizers)),
        lang=str(value.get("lang", defaults.lang)),
        metadata_only=bool(value.get("metadata_only", defaults.metadata_only)),
        safe_fields=tuple(safe_fields) if safe_fields is not None else None,
        captcha=bool(value["captcha"]) if "captcha" in value else None,
    )

"""letterbox.toml's keys: what each one fills, how its value is checked, the variable that overrides it."""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import time
from typing import Any
from urllib.parse import urlsplit

from chalicelib.core import catalogs
from chalicelib.core.digest_periods import NOTIFY_MODES

# Adding a captcha is one more name here (the first is what LETTERBOX_CAPTCHA=on means).
CAPTCHAS = ("hcaptcha", "altcha", "off")
# ALTCHA's work per challenge: the secret number is drawn below this; the browser tries half of it on average.
ALTCHA_MAX_NUMBERS = range(10, 10_000_001)
# The languages with a compiled catalog (chalicelib/locale/): adding one is one .po file, no code.
EMAIL_LANGS = catalogs.languages()


class ConfigError(Exception):
    """A setting is missing or wrong; the message names the variable, or the file, line and key."""


class Invalid(Exception):
    """One value is wrong: what is expected, and in a list, at which index."""

    def __init__(self, message: str, index: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.index = index


Check = Callable[[object], Any]


def normal_origin(text: str) -> str | None:
    """`scheme://host[:port]`, lowercased, or None when `text` is not an origin."""
    parts = urlsplit(text.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or "@" in parts.netloc:
        return None
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        return None
    try:
        _ = parts.port
    except ValueError:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


def _origin(value: object) -> str:
    normal = normal_origin(value) if isinstance(value, str) else None
    if normal is None:
        raise Invalid(f"{shown(value)} is not an origin like https://campaign.example")
    return normal


# ASCII only, no spaces, commas or angle brackets: the address goes into a To: header as is.
EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


def _email(value: object) -> str:
    if not isinstance(value, str) or not EMAIL.match(value):
        raise Invalid(f"{shown(value)} is not an email address like anna@campaign.example")
    return value


def _field_name(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Invalid(f"{shown(value)} is not a field name")
    return value


# Long keys are shown by their start only: enough to find the line, too little to copy a wrong key around.
SHOWN_KEY_CHARS = 12


def _age_recipient(value: object) -> str:
    """An age X25519 recipient ("age1..."), as age-keygen prints it; pyrage is imported only when one is set."""
    if isinstance(value, str) and value.startswith("age1") and not value.startswith("age1pq"):
        from chalicelib.core.sealing import is_recipient

        if is_recipient(value):
            return value
    start = f"{value[:SHOWN_KEY_CHARS]}\u2026" if isinstance(value, str) and len(value) > SHOWN_KEY_CHARS else value
    raise Invalid(f"{shown(start)} is not an age recipient (the age1\u2026 key that age-keygen prints)")


def _boolean(value: object) -> bool:
    if not isinstance(value, bool):
        raise Invalid(f"must be true or false, not {shown(value)}")
    return value


def _list_of(item: Check, example: str) -> Check:
    def check(value: object) -> tuple[Any, ...]:
        if not isinstance(value, list):
            hint = f" (write [{json.dumps(value)}])" if isinstance(value, str) else ""
            raise Invalid(f"must be a list like {example}, not {shown(value)}{hint}")
        checked = []
        for index, element in enumerate(value):
            try:
                checked.append(item(element))
            except Invalid as error:
                raise Invalid(error.message, index) from None
        return tuple(dict.fromkeys(checked))

    return check


def _one_of(choices: tuple[str, ...], what: str) -> Check:
    def check(value: object) -> str:
        if not isinstance(value, str) or value not in choices:
            raise Invalid(f"{shown(value)} is not {what} ({', '.join(choices)})")
        return value

    return check


def _altcha_max_number(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value not in ALTCHA_MAX_NUMBERS:
        low, high = ALTCHA_MAX_NUMBERS[0], ALTCHA_MAX_NUMBERS[-1]
        raise Invalid(f"must be a whole number from {low:,} to {high:,}, not {shown(value)}")
    return value


def _whole_number_text(text: str) -> object:
    return int(text) if text.isdigit() else text


def _words(text: str) -> object:
    return [word for word in re.split(r"[\s,]+", text) if word]


def _switch(text: str) -> object:
    word = text.lower()
    if word in ("1", "true", "on", "yes"):
        return True
    if word in ("0", "false", "off", "no"):
        return False
    return text


def _captcha_word(text: str) -> object:
    switched = _switch(text)
    if isinstance(switched, bool):
        return CAPTCHAS[0] if switched else "off"
    return text.lower()


@dataclass(frozen=True)
class Key:
    """One setting: the FormOptions field it fills, its check, the variable that overrides it."""

    attribute: str
    check: Check
    env: str = ""
    # What the variable's text stands for, in the file's terms, before the check.
    env_value: Callable[[str], object] = str


# The keys of every table; the next ones are one row each.
KEYS: Mapping[str, Key] = {
    "origins": Key("origins", _list_of(_origin, '["https://campaign.example"]'), "LETTERBOX_ORIGINS", _words),
    "organizers": Key("organizers", _list_of(_email, '["anna@campaign.example"]'), "LETTERBOX_ORGANIZERS", _words),
    "email_lang": Key("lang", _one_of(EMAIL_LANGS, "a language emails are written in"), "LETTERBOX_EMAIL_LANG"),
    "metadata_only": Key("metadata_only", _boolean, "LETTERBOX_METADATA_ONLY", _switch),
    "safe_fields": Key("safe_fields", _list_of(_field_name, '["kind", "date"]')),
    "captcha": Key("captcha", _one_of(CAPTCHAS, "a captcha letterbox knows"), "LETTERBOX_CAPTCHA", _captcha_word),
    "altcha_max_number": Key(
        "altcha_max_number", _altcha_max_number, "LETTERBOX_ALTCHA_MAX_NUMBER", _whole_number_text
    ),
    # No variable overrides these two: who can read a form is decided in the file, where the deploy checks it.
    "encrypt_to": Key("encrypt_to", _list_of(_age_recipient, '["age1..."]')),
    "clear_fields": Key("clear_fields", _list_of(_field_name, '["country"]')),
}


# How organizers hear of a form's submissions (chalicelib/core/digest_periods.py). Not in KEYS: they fill
# a DigestChoice, not FormOptions, and are resolved by chalicelib.core.settings.DigestChoices.
CLOCK_TIME = re.compile(r"^([01]?[0-9]|2[0-3]):([0-5][0-9])$")


def _clock_time(value: object) -> str:
    """ "18:00" (or TOML's own 18:00:00): a time of day on a 24-hour clock, as "HH:MM"."""
    if isinstance(value, time) and not (value.second or value.microsecond or value.tzinfo):
        return f"{value:%H:%M}"
    match = CLOCK_TIME.match(value) if isinstance(value, str) else None
    if match is None:
        raise Invalid(f'{shown(value)} is not a time of day like "18:00" (24-hour clock, hours and minutes)')
    return f"{int(match.group(1)):02d}:{match.group(2)}"


def _time_zone(value: object) -> str:
    """An IANA time zone name the runtime knows (tzdata ships them to Lambda)."""
    # Here, not at the top: zoneinfo and the sysconfig it reads cost every cold start a few ms.
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

    if isinstance(value, str) and value.strip() == value and value:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            pass
        else:
            return value
    close = difflib.get_close_matches(value, sorted(available_timezones()), n=1) if isinstance(value, str) else []
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise Invalid(f'{shown(value)} is not a time zone like "Europe/Vilnius" (an IANA name){hint}')


DIGEST_KEYS: Mapping[str, Key] = {
    "notify": Key("notify", _one_of(NOTIFY_MODES, "a way to notify organizers"), "LETTERBOX_NOTIFY", str.lower),
    "digest_time": Key("digest_time", _clock_time, "LETTERBOX_DIGEST_TIME"),
    "timezone": Key("timezone", _time_zone, "LETTERBOX_TIMEZONE"),
}


def shown(value: object) -> str:
    """A value as the message shows it: strings quoted, booleans as TOML writes them."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return str(value)

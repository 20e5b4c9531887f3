"""Everything a person reads in an answer: the English, by key; translations in the catalogs.

Each language's texts are in chalicelib/locale/<lang>/LC_MESSAGES/letterbox.po (chalicelib/core/catalogs.py):
a text added or changed here reaches them with `make catalogs`, and a test fails until it is translated.
A pair is a text with a count: its singular and plural English (the catalogs hold each language's forms).
"""

from __future__ import annotations

import re

from chalicelib.core import catalogs

LANGUAGES = catalogs.languages()
# A quality value as RFC 9110 writes it: 0 to 1, at most three decimals.
QUALITY = re.compile(r"0(\.[0-9]{0,3})?|1(\.0{0,3})?")
# Ranges read from Accept-Language: a browser sends a handful; the rest of a longer header is not read.
MAX_RANGES = 32

MESSAGES: dict[str, str | tuple[str, str]] = {
    # Field errors: never include the submitted value.
    "required": "This field is required.",
    "type": "Must be {expected}.",
    "min_length": ("Must be at least {n} character.", "Must be at least {n} characters."),
    "max_length": ("Must be at most {n} character.", "Must be at most {n} characters."),
    "format_date": "Must be a date like 2026-11-14.",
    "format_email": "Must be an email address like name@example.org.",
    "format_uri": "Must be a web address starting with http:// or https://.",
    "pattern": "This value has the wrong form.",
    "enum": "Choose one of the offered options.",
    "minimum": "Must be at least {n}.",
    "maximum": "Must be at most {n}.",
    "min_items": "Give at least {n}.",
    "max_items": "Give at most {n}.",
    "unique_items": "Each entry must be different.",
    "unknown_field": "This field is not part of the form.",
    "invalid": "This value is not accepted.",
    "attachment_missing": "This file was not found. Please upload it again.",
    "attachment_too_large": "This file is larger than {limit} MB.",
    "attachment_type": "This type of file is not accepted. Send PDF, JPEG, PNG, WebP or HEIC.",
    "attachment_not_sealed": "This file was not encrypted before it was sent. Remove it, then add it again.",
    "type_string": "text",
    "type_integer": "a whole number",
    "type_number": "a number",
    "type_boolean": "yes or no",
    "type_array": "a list",
    "type_object": "a group of fields",
    # Problem titles and details.
    "invalid_title": "Some fields need your attention",
    "invalid_detail": "Nothing was saved. Correct the fields listed and send again.",
    "bad_body_title": "The form could not be read",
    "bad_json": "The body is not valid JSON, or not a JSON object.",
    "bad_form_encoding": "The form data could not be read as UTF-8 text.",
    "bad_encoding": "The body must be UTF-8 text without a byte order mark.",
    "duplicate_key": "The same field appears twice in the JSON body.",
    "too_deep": "The data is nested too deeply.",
    "bad_unicode": "This text contains characters that are not valid Unicode.",
    "too_many_values": "The submission holds more than {n} values. Please shorten it.",
    "more_errors": "…and {n} more.",
    "captcha_title": "Please confirm you are human",
    "captcha_missing": "The captcha was not completed. Please solve it and send again.",
    # A plain post (no script) of a form with a captcha: there was nothing to solve.
    "captcha_needs_javascript": (
        "This form checks with a captcha that you are human, and the captcha needs JavaScript. Nothing was saved: "
        "turn JavaScript on in your browser, then send the form again from its page."
    ),
    "captcha_expired": "The captcha expired. Please solve it again and send again.",
    "captcha_used": "This captcha was already used. Please solve it again.",
    "captcha_invalid": "The captcha answer was not accepted. Please solve it again.",
    "captcha_wrong_site": "The captcha was solved on a site this form does not belong to.",
    "unavailable_title": "Temporarily unavailable",
    "captcha_unavailable": "The captcha service cannot be reached. Nothing was saved; please try again in a minute.",
    "storage_unavailable": "Your submission could not be saved right now. Please try again in a minute.",
    "origin_title": "Not allowed from this site",
    "origin_detail": "This form does not accept submissions from the page it was sent from.",
    "origin_form_detail": "This site is not allowed to use this form. Please tell the site's organizers.",
    "too_large_title": "Too large",
    "too_large_detail": "The submission is larger than {limit} KB. Please shorten it.",
    "media_type_title": "Unsupported content type",
    "media_type_detail": "Send application/json or application/x-www-form-urlencoded.",
    "charset_detail": "Send the body as UTF-8 (charset=utf-8), the only character set accepted.",
    "not_found_title": "No such form",
    "not_found_detail": "There is no form with this name.",
    "no_uploads_title": "This form takes no files",
    "no_uploads_detail": "Files can only be attached to forms that have a files field.",
    "no_wall_title": "This form has no wall",
    "no_wall_detail": "Nothing sent with this form is ever published.",
    "bad_page_title": "No such page",
    "bad_page_detail": "A page is a whole number from 1, like ?page=2.",
    "bad_filter_title": "Not a filter of this wall",
    "bad_filter_too_long": "?{name}= is longer than {limit} characters: no {name} on the wall is that long.",
    "bad_filter_bad_characters": (
        "?{name}= holds control characters (a line break, a tab): no {name} on the wall has them."
    ),
    "wall_unavailable": "The wall cannot be read right now. Please try again in a minute.",
    "idempotency_title": "Bad Idempotency-Key",
    "idempotency_detail": "The Idempotency-Key header must be 1 to 255 visible ASCII characters.",
    "internal_title": "Something went wrong",
    "internal_detail": "An unexpected error happened and nothing was saved. Please try again later.",
    # Pages for plain HTML posts.
    "thanks_title": "Thank you",
    "thanks_body": "Your submission has reached the organizers.",
    "thanks_back": "Back to the site",
    "errors_back": "Go back to the form to correct it",
    "errors_back_hint": "Use your browser's Back button: what you typed is kept.",
    "captcha_wrong_form": "This captcha was solved for another form. Please solve it again.",
    "no_challenge_title": "No challenge for this form",
    "no_challenge_detail": "This form does not use ALTCHA, so it gives no challenge.",
}


def message(key: str, lang: str, **params: object) -> str:
    """The text for `key` in `lang` (English when there is no translation), its {placeholders} filled in."""
    english = MESSAGES[key]
    if isinstance(english, tuple):
        text = catalogs.plural(key, *english, int(str(params["n"])), lang)
    else:
        text = catalogs.text(key, english, lang)
    return text.format(**params) if params else text


def negotiate_language(accept_language: str | None) -> str:
    """The best of our languages for an Accept-Language header, by its quality values; English otherwise.

    A range names a language by its first subtag (fr-CA is French, es-419 Spanish); "*" stands for every
    language the header does not name; q=0 refuses one; a range with a malformed q counts for nothing.
    Between equal qualities the range written first wins, then the order of LANGUAGES (English first).
    """
    named: dict[str, tuple[float, int]] = {}
    anything: tuple[float, int] | None = None
    for position, part in enumerate((accept_language or "").split(",", MAX_RANGES)[:MAX_RANGES]):
        tag, _, params = part.partition(";")
        primary = tag.strip().lower().split("-")[0]
        quality = _quality(params)
        if quality is None:
            continue
        if primary == "*":
            anything = anything or (quality, position)
        elif primary in LANGUAGES and (primary not in named or quality > named[primary][0]):
            named[primary] = (quality, position)
    ranked: list[tuple[float, int, int, str]] = []
    for order, lang in enumerate(LANGUAGES):
        quality, position = named.get(lang) or anything or (0.0, 0)
        if quality > 0:
            ranked.append((-quality, position, order, lang))
    return min(ranked)[3] if ranked else catalogs.SOURCE_LANGUAGE


def _quality(params: str) -> float | None:
    """The range's q (1 when it has none); None when it is not a quality value (q=0.5, q=1, never q=2 or q=abc)."""
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            return float(value.strip()) if QUALITY.fullmatch(value.strip()) else None
    return 1.0

"""The texts of the embed scripts (embed/*.js), which keep none of their own: GET /forms/{form} carries them.

The English is here, by key; each language's translation is in the catalogs under "embed." + key
(chalicelib/core/catalogs.py). A key starting files_ is for letterbox-files.js, sent only for a form
with a file field; wall_, for letterbox-wall.js, only for a form with a wall; the others are
letterbox.js's. The browser checks some fields before anything is sent, in the API's own words:
those are the API's texts (chalicelib/intake/texts.py), sent under their own keys.

A text with a count is sent as its forms, each under a count that takes it ({"1": "{count} акция",
"2": "{count} акции", "0": "{count} акций"}): the browser names each form's plural category with
Intl.PluralRules and picks the one for its number, so no plural rule is written twice.
"""

from __future__ import annotations

from chalicelib.core import catalogs
from chalicelib.core.attachments import rules_for
from chalicelib.core.catalogs import English
from chalicelib.core.form_texts import once_per_version
from chalicelib.core.forms import FormDefinition
from chalicelib.core.wall import wall_fields
from chalicelib.intake.texts import MESSAGES

PREFIX = "embed."

EMBED_TEXTS: dict[str, English] = {
    # letterbox.js
    "required_mark": "required",
    "choose": "Choose…",
    "add_link": "Add a link",
    "remove": "Remove",
    "sending": "Sending...",
    "reference": "Reference: {id}",
    "thanks": "Thank you. Your message was sent.",
    "retry": "Try again",
    "offline": "Could not reach the server. What you typed is kept: check your connection and try again.",
    "busy": "The service is busy. What you typed is kept: try again soon.",
    "load_failed": "The form could not load. Reload the page to try again.",
    "human": "Please confirm that you are human.",
    "whole_date": "Enter the whole date: day, month and year.",
    "test_captcha": "Test captcha (local only)",
    "test_captcha_box": "I am human (hCaptcha cannot load offline)",
    # letterbox-files.js
    "files_hint": "Drag and drop files here, or choose them:",
    "files_uploading": "Uploading...",
    "files_encrypting": "Encrypting...",
    "files_done": "Uploaded.",
    "files_retry": "Retry",
    "files_type": "This type of file is not accepted. Send {kinds}.",
    "files_or": "or",
    "files_empty": "This file is empty.",
    "files_too_many": ("At most {count} file can be sent.", "At most {count} files can be sent."),
    "files_failed": "The upload failed. Check your connection and retry.",
    "files_wait": "Wait for the files to finish uploading...",
    "files_stuck": "Some files are not uploaded: remove them or retry.",
    "files_kb": "KB",
    "files_mb": "MB",
    # letterbox-wall.js (and letterbox.js, when it cannot load it)
    "wall_load_failed": "The wall could not load. Reload the page to try again.",
    "wall_loading": "Loading the wall...",
    "wall_failed": "The wall could not load. Check your connection.",
    "wall_country": "Country",
    "wall_kind": "Type of action",
    "wall_all_countries": "All countries",
    "wall_all_kinds": "All types",
    "wall_more": "Show more actions",
    "wall_none": "No action matches these filters.",
    "wall_empty": "No action has been published yet.",
    "wall_shown": "Showing {shown} of {total}.",
    "wall_filters": "Filter the actions",
    "wall_links": "Links",
    "wall_actions": ("{count} action", "{count} actions"),
    "wall_actions_in_countries": ("{actions} in {count} country", "{actions} in {count} countries"),
}
# The API's own words for what the browser checks first, and for a file too large.
API_TEXTS = ("required", "format_email", "format_uri", "minimum", "maximum", "invalid_title", "invalid_detail")
FILES_API_TEXTS = ("attachment_too_large",)

Sent = str | dict[str, str]


@once_per_version
def embed_texts(form: FormDefinition, lang: str) -> dict[str, Sent]:
    """What the embed needs for this form, in `lang`: letterbox.js's, and the files' or the wall's if it has them."""
    has_files = rules_for(form) is not None
    has_wall = wall_fields(form) is not None
    texts: dict[str, Sent] = {
        key: _translated(PREFIX + key, english, lang)
        for key, english in EMBED_TEXTS.items()
        if (has_files or not key.startswith("files_")) and (has_wall or not key.startswith("wall_"))
    }
    for key in (*API_TEXTS, *(FILES_API_TEXTS if has_files else ())):
        texts[key] = _translated(key, MESSAGES[key], lang)
    return texts


def _translated(key: str, english: English, lang: str) -> Sent:
    if isinstance(english, str):
        return catalogs.text(key, english, lang)
    return {str(n): catalogs.plural(key, *english, n, lang) for n in catalogs.plural_samples(lang)}


def embed_definition(form: FormDefinition, lang: str) -> dict[str, object]:
    """What GET /forms/{form} adds for the embed: the language it answers in, and the texts."""
    return {"lang": lang, "texts": embed_texts(form, lang)}

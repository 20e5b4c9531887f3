"""The few HTML pages a plain form post (without JavaScript) leads to."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from chalicelib.core import catalogs
from chalicelib.core.forms import FormDefinition
from chalicelib.intake.texts import message
from chalicelib.intake.validation import MAX_LISTED_ERRORS, FieldError

STYLE = (
    "body{font:1.1rem/1.5 system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem;color:#222}"
    "h1{font-size:1.5rem}li{margin:.4rem 0}a{color:#0645ad}"
)


def page(lang: str, title: str, body_html: str) -> str:
    return (
        f'<!doctype html><html {catalogs.html_lang(lang)}><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head>"
        f"<body><main><h1>{escape(title)}</h1>{body_html}</main></body></html>"
    )


def thanks_page(form: FormDefinition | None, lang: str, back_url: str | None) -> str:
    text = (form.text("success", lang) if form else "") or message("thanks_body", lang)
    back = f'<p><a href="{escape(back_url)}">{escape(message("thanks_back", lang))}</a></p>' if back_url else ""
    return page(lang, message("thanks_title", lang), f'<p role="status">{escape(text)}</p>{back}')


def problem_page(
    lang: str,
    title: str,
    detail: str,
    errors: Sequence[FieldError] = (),
    form: FormDefinition | None = None,
    back_url: str | None = None,
) -> str:
    items = "".join(_error_item(error, form, lang) for error in errors[:MAX_LISTED_ERRORS])
    if len(errors) > MAX_LISTED_ERRORS:
        items += f"<li>{escape(message('more_errors', lang, n=len(errors) - MAX_LISTED_ERRORS))}</li>"
    listed = f"<ul>{items}</ul>" if items else ""
    if back_url:
        back = f'<p><a href="{escape(back_url)}">{escape(message("errors_back", lang))}</a></p>'
    else:
        back = f"<p>{escape(message('errors_back_hint', lang))}</p>"
    return page(lang, title, f'<p role="alert">{escape(detail)}</p>{listed}{back}')


def _error_item(error: FieldError, form: FormDefinition | None, lang: str) -> str:
    name = error.field.lstrip("/").split("/")[0]
    label = form.label(name, lang) if form else name
    return f"<li><strong>{escape(label)}</strong>: {escape(error.message)}</li>"

"""The review page and its answers: HTML that runs no script, loads nothing, and posts only back to itself."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from html import escape
from typing import Any

from chalice.app import Response

from chalicelib.core.forms import FormDefinition
from chalicelib.intake.pages import STYLE, page
from chalicelib.intake.responses import HTML_TYPE
from chalicelib.intake.review_texts import review_text

# The page's one inline style, allowed by its hash: no other style, no script, no image, no frame.
STYLE_HASH = "sha256-" + base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode("ascii")
HEADERS = {
    "Content-Type": HTML_TYPE,
    "Content-Security-Policy": f"default-src 'none'; style-src '{STYLE_HASH}'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    # The URL holds the token: no Referer carries it anywhere, no cache or index keeps the page.
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex, nofollow",
}


def review_page(
    form: FormDefinition, lang: str, submission: Mapping[str, str], copy: Mapping[str, Any], token: str, expires: str
) -> Response:
    """The public copy as the wall would publish it, and the two buttons that POST the decision back."""
    intro = review_text(
        "review_intro", lang, title=form.title(lang), id=submission["id"], received=submission["received_at"]
    )
    rows = "".join(
        f"<dt><strong>{escape(form.label(name, lang))}</strong></dt><dd>{_value(form, name, value, lang)}</dd>"
        for name, value in copy.items()
    )
    # Relative: resolves to this very path under any API Gateway stage prefix, without the query.
    action = escape(submission["id"])
    buttons = "".join(
        f'<button type="submit" name="decision" value="{choice}">{escape(review_text(choice, lang))}</button> '
        for choice in ("approve", "reject")
    )
    body = (
        f"<p>{escape(intro)}</p><dl>{rows}</dl>"
        f'<form method="post" action="{action}"><input type="hidden" name="token" value="{escape(token)}">'
        f"<p>{buttons.strip()}</p></form>"
        f"<p>{escape(review_text('review_note', lang, expires=expires))}</p>"
    )
    return Response(body=page(lang, review_text("review_title", lang), body), status_code=200, headers=dict(HEADERS))


def answer_page(status: int, lang: str, title_key: str, text_key: str, **params: object) -> Response:
    """What happened, or why nothing did: a title and one paragraph, linking nowhere."""
    text = review_text(text_key, lang, **params)
    role = "status" if status < 400 else "alert"
    html = page(lang, review_text(title_key, lang), f'<p role="{role}">{escape(text)}</p>')
    headers: dict[str, str | list[str]] = dict(HEADERS)
    if status == 503:
        headers["Retry-After"] = "60"
    return Response(body=html, status_code=status, headers=headers)


def _value(form: FormDefinition, name: str, value: Any, lang: str) -> str:
    """Escaped, one item per line; links stay text (the page links nowhere), choices show their label."""
    items = value if isinstance(value, list) else [value]
    shown = [form.enum_label(name, item, lang) if isinstance(item, str) else str(item) for item in items]
    return "<br>".join(escape(line) for item in shown for line in item.replace("\r\n", "\n").split("\n"))

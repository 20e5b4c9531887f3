"""The texts `letterbox snippet` writes into a page besides the form's own: English here, by key.

Each language's translation is in the catalogs under "snippet." + key (chalicelib/core/catalogs.py).
"""

from __future__ import annotations

SNIPPET_TEXTS: dict[str, str] = {
    "required": "required",
    "choose": "Choose…",
    "honeypot": "Leave this empty",
    "send": "Send",
    "noscript_captcha": "This form needs JavaScript for its captcha: please turn JavaScript on before you fill it in.",
    "noscript_render": "This form needs JavaScript: please turn it on to see the form.",
}

"""The demo pages' snippets, as `letterbox snippet` prints them: `make demo-pages` writes them in.

Each single-form page of embed/demo/ holds its snippet between <!-- snippet --> and <!-- /snippet -->,
with {{API}} and {{DEMO}} for the addresses devstack/demo.py fills in. tests/test_snippet.py fails
when a page and the generator part ways (after a schema changes, run `make demo-pages`).
"""

from __future__ import annotations

import re
from pathlib import Path

from chalicelib.core.forms import FormRegistry
from letterbox.snippet import Snippet, captcha_of

PAGES = Path(__file__).resolve().parent.parent / "embed" / "demo"
REGION = re.compile(r"(<!-- snippet -->\n)(.*?)(<!-- /snippet -->)", re.DOTALL)
# page: (form, mode, the page after sending without JavaScript)
SNIPPETS = {
    "action-report.html": ("action-report", "render", ""),
    "letter-copy.html": ("letter-copy", "render", ""),
    "action-report-enhance.html": ("action-report", "enhance", ""),
    "letter-copy-enhance.html": ("letter-copy", "enhance", "{{DEMO}}/thanks.html"),
}
# The local stack's own: hCaptcha's public test token, so that the form posts without JavaScript too.
TEST_TOKEN = (
    "<!-- Local stack only: hCaptcha's public test token, so that the form also works without JavaScript. -->",
    '<input type="hidden" name="h-captcha-response" value="10000000-aaaa-bbbb-cccc-000000000001">',
)


def snippet_for(page: str) -> str:
    form_name, mode, next_url = SNIPPETS[page]
    form = FormRegistry.load(validators=False).get(form_name)
    if form is None:
        raise LookupError(f"{page}: no form {form_name} in schemas/")
    snippet = Snippet(form, "en", "{{API}}", captcha_of(form_name, "dev"))
    script = "{{DEMO}}/letterbox.js"
    return snippet.enhance_mode(script, next_url, TEST_TOKEN) if mode == "enhance" else snippet.render_mode(script)


def region_of(text: str) -> str:
    found = REGION.search(text)
    if found is None:
        raise LookupError("no <!-- snippet --> region")
    return found.group(2)


def refreshed(text: str, snippet: str) -> str:
    return REGION.sub(lambda match: match.group(1) + snippet + match.group(3), text, count=1)


def main() -> None:
    for page in SNIPPETS:
        path = PAGES / page
        path.write_text(refreshed(path.read_text(encoding="utf-8"), snippet_for(page)), encoding="utf-8")
        print(f"wrote the snippet of {path.relative_to(PAGES.parent.parent)}")


if __name__ == "__main__":
    main()

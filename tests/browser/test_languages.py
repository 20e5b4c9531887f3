"""The form in French, German and Spanish, in real Chromium: labels, an error and the success, in the page's language.

English and Russian have tests of their own (test_embed.py). The demo page is served with its
<html lang> changed, as a campaign's French page would be; what the form should say comes from
the catalogs, and must not be the English.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from chalicelib.core.forms import FormRegistry
from chalicelib.intake.texts import message
from devstack.stack import LocalStack
from tests.browser.support import RENDER, axe_violations, error_next_to, field, form_page

FORM = FormRegistry.load(validators=False).get("action-report")


def served_in(page: Page, lang: str) -> None:
    """The page as a campaign's page in `lang` would be: <html lang> says it, the snippet names no language.

    Set while the page is parsed, before letterbox.js (deferred) runs; a page served by a Playwright
    route instead would be refused the loopback API by Chromium's private network rules.
    """
    page.add_init_script(
        f"""new MutationObserver(() => {{
            document.documentElement.lang = '{lang}';
            document.querySelectorAll('[data-lang]').forEach((el) => el.removeAttribute('data-lang'));
        }}).observe(document, {{ childList: true, subtree: true }});"""
    )


@pytest.mark.parametrize("lang", ["fr", "de", "es"])
def test_the_form_speaks_the_pages_language(demo_stack: LocalStack, page: Page, lang: str) -> None:
    assert FORM is not None
    served_in(page, lang)
    page.goto(form_page(demo_stack, "action-report", RENDER))
    form = page.locator("form[data-lb]")
    title = FORM.title(lang)
    assert title != FORM.title("en")

    expect(form.get_by_role("heading", name=title)).to_be_visible()
    kind = field(form, FORM.label("kind", lang))
    expect(kind).to_contain_text(FORM.enum_label("kind", "picket", lang))
    fill = {"kind": "picket", "date": "2026-11-14", "country": "Georgia", "description": "Vingt personnes."}
    kind.select_option(fill["kind"])
    field(form, FORM.label("date", lang)).fill(fill["date"])
    form.locator("fieldset.lb-test input[type=checkbox]").check()
    form.get_by_role("button", name=FORM.text("submit", lang)).click()

    city = field(form, FORM.label("city", lang))
    expect(city).to_have_attribute("aria-invalid", "true")
    assert error_next_to(city) == message("required", lang)
    assert message("required", lang) != message("required", "en")
    assert axe_violations(page) == []

    city.fill("Tbilisi")
    field(form, FORM.label("country", lang)).fill(fill["country"])
    field(form, FORM.label("description", lang)).fill(fill["description"])
    form.locator("fieldset.lb-test input[type=checkbox]").check()
    form.get_by_role("button", name=FORM.text("submit", lang)).click()

    expect(form.get_by_role("status")).to_contain_text(FORM.text("success", lang))

"""letterbox.js's rough edges, found by trying it as a campaign's web volunteer would, in real Chromium.

Every error at once, a half-typed date, focus while sending and after, a retry that asks for no new
captcha, a site that is not allowed, a page with its own heading, a captcha form without JavaScript.
axe-core finds no violation in any state reached.
"""

from __future__ import annotations

import json
import re
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.error import HTTPError
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Browser, Page, Request, Route, expect

from chalicelib.core.forms import load_form
from devstack.stack import ROOT, LocalStack
from letterbox.snippet import Snippet
from tests.browser.support import (
    RENDER,
    axe_violations,
    captcha_box,
    demo_url,
    error_next_to,
    field,
    fill,
    fill_letter_copy,
    form_page,
    open_form,
    screenshot,
    stored,
    success_id,
)
from tests.conftest import TEST_TOKEN, free_port

pytestmark = pytest.mark.browser

SEND_REPORT = "Send report"
# Each change of the status line: its text, whether it has focus, and the form's aria-busy then.
FOCUS_LOG = """
window.__focusLog = [];
new MutationObserver(() => {
  const status = document.querySelector('.lb-status');
  if (!status) return;
  const entry = `${status.textContent} | focused=${document.activeElement === status}`
    + ` | busy=${status.closest('form').getAttribute('aria-busy')}`;
  if (window.__focusLog[window.__focusLog.length - 1] !== entry) window.__focusLog.push(entry);
}).observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
"""


def posts(page: Page) -> list[Request]:
    seen: list[Request] = []
    page.on("request", lambda request: seen.append(request) if request.method == "POST" else None)
    return seen


def no_violations(page: Page) -> None:
    found = axe_violations(page)
    assert found == [], json.dumps(found, indent=1)


def test_an_empty_form_shows_every_missing_field_and_the_captcha_at_once(demo_stack: LocalStack, page: Page) -> None:
    form = open_form(page, form_page(demo_stack, "action-report", RENDER))
    sent = posts(page)

    form.get_by_role("button", name=SEND_REPORT).click()

    expect(form.get_by_role("status")).to_have_text(
        "Some fields need your attention. Nothing was saved. Correct the fields listed and send again."
    )
    for label in ("Type of action", "Date of the action", "City", "Country", "What happened"):
        assert error_next_to(field(form, label)) == "This field is required.", label
    assert error_next_to(captcha_box(form)) == "Please confirm that you are human."
    expect(field(form, "Type of action")).to_be_focused()
    assert sent == []  # nothing the browser could tell was sent to be told back
    no_violations(page)
    screenshot(page, "edges-every-error-at-once")


def test_a_half_typed_date_and_an_unfinished_email_address_are_refused_in_the_browser(
    demo_stack: LocalStack, page: Page
) -> None:
    form = open_form(page, form_page(demo_stack, "action-report", RENDER))
    sent = posts(page)
    fill(form, {"Type of action": "picket", "City": "Tbilisi", "Country": "Georgia", "What happened": "A picket."})
    fill(form, {"Email": "anna@", "Number of participants": "0"})
    date = field(form, "Date of the action")
    date.focus()
    page.keyboard.type("1114")  # month and day: the field shows 11/14/yyyy, its value is empty
    assert date.evaluate("input => [input.value, input.validity.badInput]") == ["", True]
    captcha_box(form).check()

    form.get_by_role("button", name=SEND_REPORT).click()

    assert error_next_to(date) == "Enter the whole date: day, month and year."
    assert error_next_to(field(form, "Email")) == "Must be an email address like name@example.org."
    assert error_next_to(field(form, "Number of participants")) == "Must be at least 1."
    expect(date).to_be_focused()
    expect(captcha_box(form)).to_be_checked()  # not spent: nothing was sent
    assert sent == []
    no_violations(page)

    fill(form, {"Date of the action": "2026-11-14", "Email": "anna@example.net", "Number of participants": "4"})
    form.get_by_role("button", name=SEND_REPORT).click()
    success_id(form)
    assert sent[0].post_data_json["date"] == "2026-11-14"  # type: ignore[index]


def test_each_error_sits_right_above_its_field_without_a_gap(demo_stack: LocalStack, page: Page) -> None:
    form = open_form(page, form_page(demo_stack, "action-report", RENDER))
    form.get_by_role("button", name=SEND_REPORT).click()
    city = field(form, "City")
    error_next_to(city)

    gaps = city.evaluate(
        """input => {
            const error = input.previousElementSibling.getBoundingClientRect();
            const help = input.previousElementSibling.previousElementSibling.getBoundingClientRect();
            const field = input.getBoundingClientRect();
            return [error.top - help.bottom, field.top - error.bottom];
        }"""
    )

    assert all(0 <= gap <= 6 for gap in gaps), gaps  # a paragraph's default margins made 16 px of each


def test_focus_stays_with_the_status_while_sending_and_after_success(demo_stack: LocalStack, page: Page) -> None:
    page.add_init_script(FOCUS_LOG)
    form = open_form(page, form_page(demo_stack, "letter-copy", RENDER))
    fill_letter_copy(form, RENDER, addressee="Court of Appeal")
    captcha_box(form).check()
    form.get_by_role("button", name="Send copy").focus()

    page.keyboard.press("Enter")

    submission_id = success_id(form)
    status = form.get_by_role("status")
    expect(status).to_be_focused()
    expect(status).to_have_attribute("tabindex", "-1")
    log = page.evaluate("window.__focusLog")
    assert "Sending... | focused=true | busy=true" in log, log
    assert (
        log[-1]
        == f"Thank you. Your copy has reached the organizers. Reference: {submission_id} | focused=true | busy=null"
    )
    no_violations(page)


# hCaptcha's widget as a stand-in that gives the token the local siteverify accepts, counting its resets.
FAKE_HCAPTCHA = """
(() => {
  let solved = false;
  window.hcaptchaResets = 0;
  window.hcaptcha = {
    render(element) {
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = 'Fake hCaptcha: solve';
      button.onclick = () => { solved = true; };
      element.append(button);
      return 1;
    },
    getResponse() { return solved ? 'TOKEN' : ''; },
    reset() { solved = false; window.hcaptchaResets += 1; },
  };
  window[new URL(document.currentScript.src).searchParams.get('onload')]();
})();
""".replace("TOKEN", TEST_TOKEN)


def test_after_a_network_failure_try_again_asks_for_no_new_hcaptcha(demo_stack: LocalStack, page: Page) -> None:
    def real_keys(route: Route) -> None:
        response = route.fetch()
        definition = response.json()
        definition["captcha"] = {"enabled": True, "provider": "hcaptcha", "sitekey": "site-key", "test_keys": False}
        route.fulfill(response=response, body=json.dumps(definition))

    attempts: list[Request] = []

    def offline_once(route: Route) -> None:
        attempts.append(route.request)
        if len(attempts) == 1:
            route.abort("internetdisconnected")  # the request never reaches the API
        else:
            route.continue_()

    page.route(f"{demo_stack.api_url}/forms/letter-copy", real_keys)
    page.route(
        "https://js.hcaptcha.com/**", lambda route: route.fulfill(body=FAKE_HCAPTCHA, content_type="text/javascript")
    )
    page.route(f"{demo_stack.api_url}/forms/letter-copy/submissions", offline_once)
    page.goto(form_page(demo_stack, "letter-copy", RENDER))
    form = page.locator("form[data-lb]")
    fill_letter_copy(form, RENDER, addressee="Ombudsman")
    form.get_by_role("button", name="Fake hCaptcha: solve").click()
    before = stored(demo_stack, "letter-copy")

    form.get_by_role("button", name="Send copy").click()
    expect(form.get_by_role("status")).to_have_text(
        "Could not reach the server. What you typed is kept: check your connection and try again."
    )
    assert page.evaluate("window.hcaptchaResets") == 0  # the API never read the token: still good
    no_violations(page)
    form.get_by_role("button", name="Try again").click()

    submission_id = success_id(form)
    assert [(request.post_data_json or {})["h-captcha-response"] for request in attempts] == [TEST_TOKEN, TEST_TOKEN]
    assert attempts[0].headers["idempotency-key"] == attempts[1].headers["idempotency-key"]
    assert page.evaluate("window.hcaptchaResets") == 1  # spent by the success: the next letter solves a new one
    new = [key for key in stored(demo_stack, "letter-copy") if key not in before]
    assert [key.rsplit("/", 1)[-1] for key in new] == [f"{submission_id}.json"]


def campaign_page(body: str, lang: str = "en") -> bytes:
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1"><title>A campaign</title></head>'
        f"<body><main><h1>A campaign</h1>{body}</main></body></html>"
    ).encode()


@contextmanager
def site_of_its_own(html: bytes) -> Iterator[str]:
    """A campaign's site on an origin of its own (a port no allow-list names) that serves one page: its URL.

    A real server, not a routed page: Chromium lets only a page that came from loopback fetch from loopback.
    """

    class OnePage(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(html)

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), OnePage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/report.html"
    finally:
        server.shutdown()
        server.server_close()


REFUSED = {
    "en": "This site is not allowed to use this form. Please tell the site's organizers.",
    "ru": "Этому сайту не разрешено пользоваться этой формой. Сообщите организаторам сайта.",
}


@pytest.mark.parametrize("lang", list(REFUSED))
def test_a_site_not_allowed_to_use_the_form_is_told_so_in_its_language(
    demo_stack: LocalStack, page: Page, lang: str
) -> None:
    script = f'<script src="{demo_url(demo_stack, "letterbox.js")}" defer></script>'
    render = f'<div data-letterbox-form="action-report" data-endpoint="{demo_stack.api_url}"></div>'
    action = f"{demo_stack.api_url}/forms/letter-copy/submissions"
    enhance = f'<form data-letterbox action="{action}" method="post"><button>Send</button></form>'

    with site_of_its_own(campaign_page(script + render + enhance, lang)) as url:
        page.goto(url)

        expect(page.get_by_role("alert")).to_have_text(REFUSED[lang])  # render mode: instead of the form
        hand_written = page.locator("form[data-letterbox]")
        expect(hand_written.get_by_role("status")).to_have_text(REFUSED[lang])  # said before anyone types
        no_violations(page)


# The demo page's render-mode element told to leave out the form's heading, before letterbox.js (deferred) runs.
NO_HEADING = """
document.addEventListener('readystatechange', () => {
  if (document.readyState === 'interactive')
    document.querySelector('[data-letterbox-form]').setAttribute('data-heading', 'none');
});
"""


def test_data_heading_none_leaves_the_heading_and_introduction_to_the_page(demo_stack: LocalStack, page: Page) -> None:
    page.add_init_script(NO_HEADING)

    form = open_form(page, form_page(demo_stack, "letter-copy", RENDER))

    expect(form.get_by_role("heading")).to_have_count(0)
    expect(form.locator("> p:not(.lb-status)")).to_have_count(0)  # no description
    expect(form.locator("> *").first).to_have_class("lb-f")  # its first field comes first
    expect(form.get_by_role("combobox", name="Type of addressee")).to_be_visible()
    no_violations(page)


def post_plainly(url: str, fields: list[tuple[str, str]], origin: str) -> tuple[int, str]:
    """A plain HTML form post, as a browser without JavaScript sends it."""
    request = urllib.request.Request(
        url,
        data=urlencode(fields).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html", "Origin": origin},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read().decode()
    except HTTPError as error:
        return error.code, error.read().decode()


def test_without_javascript_a_captcha_form_says_so_first_and_the_apis_page_says_what_to_do(
    demo_stack: LocalStack, browser: Browser
) -> None:
    form = load_form(ROOT / "schemas" / "letter-copy.json")
    hand_written = Snippet(form, "en", demo_stack.api_url, captcha=True).enhance_mode(
        demo_url(demo_stack, "letterbox.js")
    )
    context = browser.new_context(java_script_enabled=False, locale="en-US")
    try:
        page = context.new_page()
        page.route(
            url := demo_url(demo_stack, "no-script.html"),
            lambda route: route.fulfill(body=campaign_page(hand_written), content_type="text/html; charset=utf-8"),
        )
        page.goto(url)
        # Playwright's text locators skip <noscript>; the note is shown all the same.
        note = page.locator("form[data-letterbox] > noscript > p")
        expect(note).to_be_visible()
        expect(note).to_have_text(re.compile("^This form needs JavaScript for its captcha"))
        fill_letter_copy(page.locator("form[data-letterbox]"), "enhance", addressee="Nobody")

        page.get_by_role("button", name="Send copy").click()

        expect(page).to_have_url(f"{demo_stack.api_url}/forms/letter-copy/submissions?lang=en")
        expect(page.get_by_role("heading", level=1)).to_have_text("Please confirm you are human")
        expect(page.get_by_role("alert")).to_contain_text("the captcha needs JavaScript. Nothing was saved: turn")
        expect(page.get_by_role("listitem")).to_have_count(0)  # no bullet naming a field nobody typed into
        answer = page.content()
    finally:
        context.close()
    assert "solve it" not in answer


def test_the_apis_page_for_a_captcha_form_sent_without_javascript_is_accessible(
    demo_stack: LocalStack, page: Page
) -> None:
    fields = [("addressee_kind", "court"), ("addressee", "Nobody"), ("_gotcha", "")]
    status, html = post_plainly(
        f"{demo_stack.api_url}/forms/letter-copy/submissions", fields, demo_stack.demo_origins[0]
    )
    assert status == 400

    page.set_content(html)  # without the API's CSP, so axe can run in it

    expect(page.get_by_role("alert")).to_contain_text("needs JavaScript")
    no_violations(page)


def test_a_texts_object_is_what_the_page_gets_in_its_language(demo_stack: LocalStack, page: Page) -> None:
    """One request for the definition, in the page's language; the scripts show its texts, none of their own."""
    asked: list[dict[str, Any]] = []
    page.on(
        "request",
        lambda request: (
            asked.append(request.headers)
            if re.fullmatch(rf"{re.escape(demo_stack.api_url)}/forms/[a-z-]+", request.url)
            else None
        ),
    )

    form = open_form(page, demo_url(demo_stack, "ru.html"), heading="Прислать копию письма")

    expect(form.get_by_role("group", name="Тестовая капча (только локально)")).to_be_visible()
    expect(form.get_by_text("Перетащите файлы сюда или выберите их:")).to_be_visible()
    assert [headers["accept-language"] for headers in asked] == ["ru", "ru"]  # one per form of the page

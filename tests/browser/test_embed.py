"""embed/letterbox.js in real Chromium: the demo site's pages on their own origin, the local stack's API.

What is checked is what a person sees (text, focus, the aria attributes a screen reader reads)
and what arrived (the email in the outbox, the objects in the bucket).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Browser, Locator, Page, Request, Route, expect

from devstack.stack import LocalStack
from tests.browser.support import (
    ENHANCE,
    RENDER,
    captcha_box,
    demo_url,
    error_next_to,
    expect_kept,
    field,
    fill,
    fill_action_report,
    fill_letter_copy,
    form_page,
    open_form,
    screenshot,
    stored,
    submit,
    success_id,
    text_part,
    wait_for_email,
)
from tests.conftest import TEST_TOKEN

pytestmark = pytest.mark.browser

Filler = Callable[[Locator, str], dict[str, str | bool]]
# form: (fill it in, the submit button, the success text, the email's subject starts, typed text in the email)
FORMS: dict[str, tuple[Filler, str, str, str, str]] = {
    "action-report": (
        fill_action_report,
        "Send report",
        "Thank you. Your report has reached the organizers.",
        "Action report: Picket or rally, Tbilisi, 2026-11-14",
        "Twenty people in front of the embassy",
    ),
    "letter-copy": (
        fill_letter_copy,
        "Send copy",
        "Thank you. Your copy has reached the organizers.",
        "Letter copy: Prosecutor's office, Prosecutor General, 2026-11-02",
        "We ask you to drop the charges.",
    ),
}
# Every change of each form's status line, with whether its submit button was disabled then.
STATUS_LOG = """
window.__statusLog = [];
new MutationObserver(() => {
  for (const status of document.querySelectorAll('.lb-status')) {
    const entry = status.textContent + ' | disabled=' + status.previousElementSibling.disabled;
    if (window.__statusLog[window.__statusLog.length - 1] !== entry) window.__statusLog.push(entry);
  }
}).observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
"""


def posts(page: Page) -> list[Request]:
    """The POST requests the page makes from now on."""
    seen: list[Request] = []
    page.on("request", lambda request: seen.append(request) if request.method == "POST" else None)
    return seen


@pytest.mark.parametrize("mode", [RENDER, ENHANCE])
@pytest.mark.parametrize("form_name", list(FORMS))
def test_each_form_in_each_mode_is_sent_and_its_email_arrives(
    demo_stack: LocalStack, page: Page, console: list[str], form_name: str, mode: str
) -> None:
    fill_in, button, thanks, subject, typed = FORMS[form_name]
    page.add_init_script(STATUS_LOG)
    form = open_form(page, form_page(demo_stack, form_name, mode))
    before = stored(demo_stack, form_name)

    values = fill_in(form, mode)
    submit(form, button)

    submission_id = success_id(form)
    expect(form.get_by_role("status")).to_have_text(f"{thanks} Reference: {submission_id}")
    log = page.evaluate("window.__statusLog")
    assert "Sending... | disabled=true" in log, log
    assert log[-1].endswith("| disabled=false"), log
    email = wait_for_email(demo_stack, submission_id)
    assert email["X-Letterbox-Form"] == form_name
    assert str(email["Subject"]).startswith(subject)
    assert typed in text_part(email)
    after = stored(demo_stack, form_name)
    new = [key for key in after if key not in before]
    assert len(new) == 1
    assert new[0].endswith(f"/{submission_id}.json")
    # Ready for the next one: emptied, and nothing of what was typed ever went to the console.
    expect(field(form, "Email")).to_have_value("")
    assert not [line for line in console for value in values.values() if str(value) in line]
    assert console == []


def test_the_button_is_disabled_while_sending_so_a_double_click_sends_once(demo_stack: LocalStack, page: Page) -> None:
    form = open_form(page, form_page(demo_stack, "letter-copy", RENDER))
    sent = posts(page)
    before = len(stored(demo_stack, "letter-copy"))
    fill_letter_copy(form, RENDER, addressee="Supreme Court")
    captcha_box(form).check()

    # Two clicks and an Enter in the same instant, as an impatient thumb on a slow phone does.
    form.get_by_role("button", name="Send copy").evaluate(
        "button => { button.click(); button.click(); button.form.requestSubmit(); }"
    )

    success_id(form)
    assert len(sent) == 1
    assert len(stored(demo_stack, "letter-copy")) == before + 1


def test_the_body_is_json_in_the_schemas_types_with_the_test_token_and_an_empty_honeypot(
    demo_stack: LocalStack, page: Page
) -> None:
    form = open_form(page, form_page(demo_stack, "action-report", RENDER))
    sent = posts(page)
    fill_action_report(form, RENDER)
    fill(form, {"Email": "", "Your name or group": ""})

    submit(form, "Send report")

    success_id(form)
    (request,) = sent
    body: dict[str, Any] = request.post_data_json  # type: ignore[assignment]  # a JSON body was posted
    assert body["participants"] == 20
    assert body["consent_publish"] is True
    assert body["links"] == ["https://example.org/photos", "https://example.org/video"]
    assert "email" not in body
    assert "reporter" not in body
    assert body["h-captcha-response"] == TEST_TOKEN
    assert body["_gotcha"] == ""
    headers = request.headers
    assert headers["content-type"] == "application/json"
    assert headers["accept"] == "application/json"
    assert headers["accept-language"] == "en"
    # A ULID: its time lets the API find a first attempt with one read, even after midnight.
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{26}", headers["idempotency-key"])


def test_invalid_values_are_shown_next_to_their_fields_and_focus_moves_to_the_first(
    demo_stack: LocalStack, page: Page
) -> None:
    form = open_form(page, form_page(demo_stack, "action-report", RENDER))
    before = len(stored(demo_stack, "action-report"))
    fill(form, {"Type of action": "banner", "Date of the action": "2026-11-14"})
    fill(form, {"Number of participants": "0", "Email": "not an email", "Links 1": "ftp://example.org/file"})

    submit(form, "Send report")

    expect(form.get_by_role("status")).to_have_text(
        "Some fields need your attention. Nothing was saved. Correct the fields listed and send again."
    )
    errors = {
        "City": "This field is required.",
        "Country": "This field is required.",
        "What happened": "This field is required.",
        "Number of participants": "Must be at least 1.",
        "Email": "Must be an email address like name@example.org.",
        "Links 1": "Must be a web address starting with http:// or https://.",
    }
    for label, message in errors.items():
        assert error_next_to(field(form, label)) == message, label
    expect(field(form, "City")).to_be_focused()
    screenshot(page, "action-report-errors")
    expect(field(form, "Type of action")).not_to_have_attribute("aria-invalid", "true")
    expect(field(form, "Email")).to_have_value("not an email")
    assert len(stored(demo_stack, "action-report")) == before

    # Corrected, it goes through, and the errors are gone.
    fill(form, {"City": "Yerevan", "Country": "Armenia", "What happened": "A banner on the bridge."})
    fill(form, {"Number of participants": "3", "Email": "", "Links 1": "https://example.org/banner"})
    submit(form, "Send report")
    success_id(form)
    expect(form.locator(".lb-err")).to_have_count(0)
    expect(form.locator("[aria-invalid=true]")).to_have_count(0)
    expect(field(form, "City")).not_to_have_attribute("aria-describedby", re.compile("lb-e"))


def test_the_errors_of_a_hand_written_form_are_shown_next_to_its_own_fields(demo_stack: LocalStack, page: Page) -> None:
    form = open_form(page, form_page(demo_stack, "letter-copy", ENHANCE))
    fill(form, {"Type of addressee": "court", "Email": "nobody"})

    submit(form, "Send copy")

    expect(form.get_by_role("status")).to_contain_text("Some fields need your attention.")
    required = ("Addressee", "How it was sent", "Date sent", "Language of the letter", "Subject", "Text of the letter")
    for label in required:
        assert error_next_to(field(form, label)) == "This field is required.", label
    assert error_next_to(field(form, "Email")) == "Must be an email address like name@example.org."
    # The hand-written help text is still read out, after the error.
    expect(field(form, "Email")).to_have_attribute("aria-describedby", re.compile(r"^lb-e\d+ lc-email-help$"))
    expect(field(form, "Addressee")).to_be_focused()


def test_in_russian_the_form_and_its_errors_speak_russian(demo_stack: LocalStack, page: Page) -> None:
    form = open_form(page, demo_url(demo_stack, "ru.html"), heading="Сообщить об акции")
    expect(form.get_by_role("combobox", name="Вид акции")).to_contain_text("Пикет или митинг")
    expect(form.get_by_role("group", name="Тестовая капча (только локально)")).to_be_visible()
    expect(form.get_by_text("Город (обязательно)")).to_be_visible()
    fill(form, {"Вид акции": "picket", "Дата акции": "2026-11-14", "Число участников": "0", "Электронная почта": "нет"})

    submit(form, "Отправить отчёт")

    expect(form.get_by_role("status")).to_have_text(
        "Проверьте, пожалуйста, некоторые поля. Ничего не сохранено. Исправьте отмеченные поля и отправьте ещё раз."
    )
    errors = {
        "Город": "Это поле обязательно.",
        "Страна": "Это поле обязательно.",
        "Что произошло": "Это поле обязательно.",
        "Число участников": "Не меньше 1.",
        "Электронная почта": "Укажите адрес почты, например name@example.org.",
    }
    for label, message in errors.items():
        assert error_next_to(field(form, label)) == message, label
    expect(field(form, "Город")).to_be_focused()
    screenshot(page, "ru-errors")

    fill(form, {"Город": "Берлин", "Страна": "Германия", "Что произошло": "Пикет у посольства."})
    fill(form, {"Число участников": "12", "Электронная почта": ""})
    submit(form, "Отправить отчёт")
    expect(form.get_by_role("status")).to_contain_text("Спасибо! Ваш отчёт дошёл до организаторов. Номер: ")
    submission_id = success_id(form)
    assert "Берлин" in text_part(wait_for_email(demo_stack, submission_id))


@pytest.mark.parametrize(
    ("form_name", "lands_on"),
    [("action-report", "the API's thank-you page"), ("letter-copy", "the page named by _next")],
)
def test_without_javascript_the_hand_written_form_posts_and_follows_the_redirect(
    demo_stack: LocalStack, browser: Browser, form_name: str, lands_on: str
) -> None:
    fill_in, button, *_ = FORMS[form_name]
    context = browser.new_context(java_script_enabled=False, locale="en-US")
    try:
        page = context.new_page()
        page.goto(form_page(demo_stack, form_name, ENHANCE))
        form = page.locator("form[data-letterbox]")
        expect(form.get_by_role("group", name="Test captcha (local only)")).to_have_count(0)
        before = stored(demo_stack, form_name)
        fill_in(form, ENHANCE)

        form.get_by_role("button", name=button).click()

        if lands_on == "the page named by _next":
            expect(page).to_have_url(demo_url(demo_stack, "thanks.html"))
        else:
            expect(page).to_have_url(f"{demo_stack.api_url}/forms/{form_name}/thanks?lang=en")
        expect(page.get_by_role("heading", level=1)).to_have_text("Thank you")
    finally:
        context.close()
    new = [key for key in stored(demo_stack, form_name) if key not in before]
    assert len(new) == 1
    email = wait_for_email(demo_stack, new[0].rsplit("/", 1)[1].removesuffix(".json"))
    assert email["X-Letterbox-Form"] == form_name


def test_a_form_can_be_completed_with_the_keyboard_alone(demo_stack: LocalStack, page: Page) -> None:
    form = open_form(page, form_page(demo_stack, "action-report", RENDER))
    keyboard = page.keyboard

    def tab_to(label: str, at_most: int = 1) -> Locator:
        """Press Tab until the field is focused: once, or a few times past a date input's own parts."""
        control = field(form, label)
        for _ in range(at_most):
            keyboard.press("Tab")
            if control.evaluate("element => element === document.activeElement"):
                break
        expect(control).to_be_focused()
        return control

    kind = tab_to("Type of action", at_most=40)  # through the page's own links first
    keyboard.press("ArrowDown")
    expect(kind).to_have_value("picket")
    tab_to("Date of the action")
    keyboard.type("11142026")
    expect(field(form, "Date of the action")).to_have_value("2026-11-14")
    tab_to("City", at_most=3)  # Chromium stops at the date input's calendar button too
    keyboard.type("Tbilisi")
    tab_to("Country")
    keyboard.type("Georgia")
    tab_to("What happened")
    keyboard.type("Typed with the keyboard alone.")
    tab_to("Number of participants")
    keyboard.type("7")
    tab_to("Links 1")
    keyboard.type("https://example.org/one")
    keyboard.press("Tab")
    expect(form.get_by_role("button", name="Remove: Links 1")).to_be_focused()
    keyboard.press("Tab")
    expect(form.get_by_role("button", name="Add a link")).to_be_focused()
    keyboard.press("Enter")
    expect(field(form, "Links 2")).to_be_focused()
    keyboard.type("https://example.org/two")
    keyboard.press("Tab")
    keyboard.press("Tab")
    tab_to("Files")  # a file is chosen with the keyboard through this input (Enter or Space opens the picker)
    tab_to("Your name or group")
    tab_to("Email")
    consent = tab_to("The organizers may publish this report")
    keyboard.press("Space")
    expect(consent).to_be_checked()
    keyboard.press("Tab")  # past the honeypot, which is out of the tab order
    expect(captcha_box(form)).to_be_focused()
    keyboard.press("Space")
    keyboard.press("Tab")
    expect(form.get_by_role("button", name="Send report")).to_be_focused()
    keyboard.press("Enter")

    submission_id = success_id(form)
    text = text_part(wait_for_email(demo_stack, submission_id))
    for typed in ("Tbilisi", "Typed with the keyboard alone.", "https://example.org/two", "2026-11-14"):
        assert typed in text


def test_when_the_api_is_down_everything_typed_is_kept_and_one_retry_stores_it_once(
    demo_stack: LocalStack, page: Page
) -> None:
    form = open_form(page, form_page(demo_stack, "action-report", RENDER))
    values = fill_action_report(form, RENDER, city="Kutaisi")
    sent = posts(page)
    before = stored(demo_stack, "action-report")

    demo_stack.stop_api()
    try:
        submit(form, "Send report")
        expect(form.get_by_role("status")).to_have_text(
            "Could not reach the server. What you typed is kept: check your connection and try again."
        )
        retry = form.get_by_role("button", name="Try again")
        expect(retry).to_be_visible()
        expect_kept(form, values)
        expect(captcha_box(form)).to_be_checked()  # the API never read it: still good for the retry
        screenshot(page, "action-report-retry")
    finally:
        demo_stack.start_api()

    retry.click()

    submission_id = success_id(form)
    expect(retry).to_be_hidden()
    new = [key for key in stored(demo_stack, "action-report") if key not in before]
    assert len(new) == 1
    assert new[0].endswith(f"/{submission_id}.json")
    assert len({request.headers["idempotency-key"] for request in sent}) == 1
    assert "Kutaisi" in text_part(wait_for_email(demo_stack, submission_id))


def test_a_503_keeps_everything_and_the_retry_uses_the_same_idempotency_key(demo_stack: LocalStack, page: Page) -> None:
    form = open_form(page, form_page(demo_stack, "letter-copy", ENHANCE))
    values = fill_letter_copy(form, ENHANCE, addressee="Constitutional Court")
    sent = posts(page)
    before = stored(demo_stack, "letter-copy")
    siteverify = demo_stack._siteverify
    assert siteverify is not None

    siteverify.state.failing_status = 503  # the captcha service is down: the API answers 503
    try:
        submit(form, "Send copy")
        expect(form.get_by_role("status")).to_have_text("The service is busy. What you typed is kept: try again soon.")
        expect_kept(form, values)
    finally:
        siteverify.state.failing_status = None
    captcha_box(form).check()
    form.get_by_role("button", name="Try again").click()

    submission_id = success_id(form)
    assert len(sent) == 2
    assert sent[0].headers["idempotency-key"] == sent[1].headers["idempotency-key"]
    new = [key for key in stored(demo_stack, "letter-copy") if key not in before]
    assert len(new) == 1
    assert new[0].endswith(f"/{submission_id}.json")


def test_with_test_keys_a_labelled_stand_in_supplies_the_test_token_and_nothing_loads_from_elsewhere(
    demo_stack: LocalStack, page: Page
) -> None:
    urls: list[str] = []
    page.on("request", lambda request: urls.append(request.url))
    sent = posts(page)
    form = open_form(page, form_page(demo_stack, "letter-copy", RENDER))
    stand_in = form.get_by_role("group", name="Test captcha (local only)")
    expect(stand_in).to_contain_text("I am human (hCaptcha cannot load offline)")
    fill_letter_copy(form, RENDER)

    form.get_by_role("button", name="Send copy").click()

    assert error_next_to(captcha_box(form)) == "Please confirm that you are human."
    expect(captcha_box(form)).to_be_focused()
    assert sent == []
    submit(form, "Send copy")
    success_id(form)
    assert sent[0].post_data_json["h-captcha-response"] == TEST_TOKEN  # type: ignore[index]
    assert all(url.startswith((demo_stack.demo_origins[0], demo_stack.api_url)) for url in urls), urls
    assert page.evaluate("Object.keys(window).filter((name) => /letterbox/i.test(name))") == ["Letterbox"]


FAKE_HCAPTCHA = """
(() => {
  const tokens = {};
  let widgets = 0;
  window.hcaptchaCalls = [];
  window.hcaptcha = {
    render(element, options) {
      const id = ++widgets;
      window.hcaptchaCalls.push(['render', options.sitekey, options.hl]);
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = 'Fake hCaptcha: solve';
      button.onclick = () => { tokens[id] = 'P1_fake-token'; };
      element.append(button);
      return id;
    },
    getResponse(id) { return tokens[id] || ''; },
    reset(id) { tokens[id] = ''; window.hcaptchaCalls.push(['reset']); },
  };
  window[new URL(document.currentScript.src).searchParams.get('onload')]();
})();
"""


def test_with_a_real_sitekey_hcaptchas_own_widget_is_loaded_and_used(demo_stack: LocalStack, page: Page) -> None:
    loaded: list[str] = []

    def real_keys(route: Route) -> None:
        response = route.fetch()
        definition = response.json()
        definition["captcha"] = {"enabled": True, "provider": "hcaptcha", "sitekey": "site-key", "test_keys": False}
        route.fulfill(response=response, body=json.dumps(definition))

    def fake_hcaptcha(route: Route) -> None:
        loaded.append(route.request.url)
        route.fulfill(body=FAKE_HCAPTCHA, content_type="text/javascript")

    page.route(f"{demo_stack.api_url}/forms/letter-copy", real_keys)
    page.route("https://js.hcaptcha.com/**", fake_hcaptcha)
    page.goto(form_page(demo_stack, "letter-copy", RENDER))
    form = page.locator("form[data-lb]")
    expect(form.get_by_role("button", name="Fake hCaptcha: solve")).to_be_visible()

    (url,) = loaded
    assert url.startswith("https://js.hcaptcha.com/1/api.js?")
    assert "render=explicit" in url
    assert "hl=en" in url
    assert page.evaluate("window.hcaptchaCalls") == [["render", "site-key", "en"]]
    expect(form.get_by_text("Test captcha")).to_have_count(0)
    assert page.evaluate("Object.keys(window).filter((name) => /letterbox/i.test(name))") == ["Letterbox"]
    sent = posts(page)
    fill_letter_copy(form, RENDER)
    form.get_by_role("button", name="Fake hCaptcha: solve").click()
    form.get_by_role("button", name="Send copy").click()

    # The API asks hCaptcha, which does not know this token: the error is shown at the widget.
    expect(form.get_by_role("status")).to_contain_text("Please confirm you are human")
    assert sent[0].post_data_json["h-captcha-response"] == "P1_fake-token"  # type: ignore[index]
    assert page.evaluate("window.hcaptchaCalls").count(["reset"]) == 1


def test_two_forms_on_one_page_keep_to_themselves(demo_stack: LocalStack, page: Page) -> None:
    page.goto(demo_url(demo_stack, "ru.html"))
    forms = page.locator("form[data-lb]")
    expect(forms).to_have_count(2)
    expect(forms.locator("fieldset.lb-test")).to_have_count(2)

    problems = page.evaluate(
        """() => {
            const ids = [...document.querySelectorAll('[id]')].map((e) => e.id);
            const duplicates = ids.filter((id, i) => ids.indexOf(id) !== i);
            const strays = [...document.querySelectorAll('form label[for]')].filter((label) => {
                const control = document.getElementById(label.htmlFor);
                return !control || control.form !== label.closest('form');
            }).map((label) => label.htmlFor);
            return { duplicates, strays };
        }"""
    )
    assert problems == {"duplicates": [], "strays": []}
    for form in forms.all():
        expect(form.get_by_role("status")).to_have_count(1)
        # The outcome's, and the file field's own (what happens to each file).
        expect(form.locator("[aria-live=polite]")).to_have_count(2)
        expect(form.get_by_role("progressbar")).to_have_count(0)
    letter = forms.filter(has=page.get_by_role("heading", name="Прислать копию письма"))
    letter.get_by_role("button", name="Отправить копию").click()
    expect(letter.get_by_role("status")).to_contain_text("Проверьте, пожалуйста, некоторые поля.")
    assert error_next_to(captcha_box(letter)) == "Подтвердите, что вы человек."
    expect(forms.first.get_by_role("status")).to_have_text("")
    expect(forms.first.locator(".lb-err")).to_have_count(0)


def test_the_form_is_accessible_by_structure(demo_stack: LocalStack, page: Page) -> None:
    form = open_form(page, form_page(demo_stack, "action-report", RENDER))

    # Every control has a real label; required ones say so in text and to screen readers.
    expect(form.get_by_text("City (required)")).to_be_visible()
    city = field(form, "City")
    expect(city).to_have_attribute("aria-required", "true")
    expect(city).to_have_attribute("required", "")
    expect(city).to_have_accessible_description("Where the action took place.")
    expect(field(form, "Email")).not_to_have_attribute("aria-required", "true")
    expect(form.get_by_role("group", name="Links")).to_be_visible()
    expect(form.get_by_role("textbox", name="What happened")).to_have_js_property("tagName", "TEXTAREA")
    expect(field(form, "Date of the action")).to_have_attribute("type", "date")
    expect(form.get_by_role("checkbox", name="The organizers may publish this report")).not_to_be_checked()
    # The honeypot: not seen, not reached with Tab, not read out.
    honeypot = form.locator("[name=_gotcha]")
    expect(honeypot).to_have_attribute("tabindex", "-1")
    expect(honeypot).not_to_be_in_viewport()
    assert honeypot.evaluate("element => element.closest('[aria-hidden=true]') !== null")
    assert "_gotcha" not in form.aria_snapshot()
    # One live region per form, for the outcome.
    expect(form.get_by_role("status")).to_have_attribute("aria-live", "polite")
    # The list of links: add and remove, each with a name of its own.
    form.get_by_role("button", name="Add a link").click()
    expect(field(form, "Links 2")).to_be_focused()
    form.get_by_role("button", name="Remove: Links 1").click()
    expect(form.get_by_role("textbox", name=re.compile("^Links"))).to_have_count(1)
    expect(field(form, "Links 1")).to_be_focused()


def test_the_form_fits_a_phone_screen(demo_stack: LocalStack, browser: Browser) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        for path in ("action-report.html", "letter-copy-enhance.html", "ru.html"):
            page.goto(demo_url(demo_stack, path))
            expect(page.locator("fieldset.lb-test").first).to_be_visible()
            assert page.evaluate("document.documentElement.scrollWidth") <= 360, path
            size = page.locator("form[data-lb] input[name=email]").first.evaluate(
                "input => parseFloat(getComputedStyle(input).fontSize)"
            )
            assert size >= 16, path  # phones zoom into smaller inputs
    finally:
        context.close()

"""ALTCHA in real Chromium: the widget, served next to letterbox.js, solves the API's challenge for real.

Its own stack, as `make dev` runs it: letter-copy on ALTCHA, action-report on hCaptcha's test keys.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from devstack.stack import LocalStack, Ports
from tests.browser.support import (
    ENHANCE,
    RENDER,
    axe_violations,
    demo_url,
    error_next_to,
    field,
    fill_letter_copy,
    form_page,
    stored,
    success_id,
    text_part,
    wait_for_email,
)
from tests.browser.test_languages import served_in
from tests.conftest import free_port

# The solve takes about a second at the default; the tests ask for less work (LETTERBOX_ALTCHA_MAX_NUMBER).
WIDGET_LABEL = {
    "en": "I'm not a robot",
    "ru": "Я не робот",
    "fr": "Je ne suis pas un robot",
    "de": "Ich bin kein Roboter",
    "es": "No soy un robot",
}


@pytest.fixture(scope="module")
def altcha_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    directory = tmp_path_factory.mktemp("altcha-stack")
    ports = Ports(aws=free_port(), captcha=free_port(), api=free_port(), demo=free_port())
    stack = LocalStack(
        ports,
        outbox=directory / "outbox",
        altcha_forms=("letter-copy",),
        resources="altcha",  # moto's state is per process: buckets and queues of their own
        overrides={"LETTERBOX_ALTCHA_MAX_NUMBER": "200"},
    )
    with (directory / "stack.log").open("wb") as log, stack:
        stack.start(output=log.fileno())
        yield stack


def open_letter_copy(page: Page, url: str, lang: str = "en") -> Locator:
    page.goto(url)
    form = page.locator("form[data-lb]").filter(has=page.locator("altcha-widget"))
    expect(widget_box(form)).to_have_accessible_name(WIDGET_LABEL[lang])
    return form


def widget_box(form: Locator) -> Locator:
    """The widget's checkbox; its name says what it did ("Verified" once solved)."""
    return form.locator("altcha-widget").get_by_role("checkbox")


def requests_seen(page: Page) -> list[str]:
    urls: list[str] = []
    page.on("request", lambda request: urls.append(request.url))
    return urls


def posts(page: Page) -> list[Any]:
    sent: list[Any] = []

    def seen(request: Any) -> None:
        if request.method == "POST":
            sent.append(request)

    page.on("request", seen)
    return sent


def only_own_origins(stack: LocalStack, urls: list[str]) -> None:
    """Every request went to the site or the API (the widget's workers are blob: URLs of the site)."""
    allowed = (stack.demo_origins[0], stack.api_url, f"blob:{stack.demo_origins[0]}")
    assert urls
    assert all(url.startswith(allowed) for url in urls), urls


@pytest.mark.parametrize("mode", [RENDER, ENHANCE])
def test_a_real_solve_at_send_stores_the_letter_and_nothing_leaves_the_two_origins(
    altcha_stack: LocalStack, page: Page, mode: str
) -> None:
    urls = requests_seen(page)
    sent = posts(page)
    form = open_letter_copy(page, form_page(altcha_stack, "letter-copy", mode))
    before = stored(altcha_stack, "letter-copy")
    fill_letter_copy(form, mode)

    form.get_by_role("button", name="Send copy").click()  # not ticked: letterbox.js has the widget solve it now

    submission_id = success_id(form)
    new = [key for key in stored(altcha_stack, "letter-copy") if key not in before]
    assert [key.rsplit("/", 1)[-1] for key in new] == [f"{submission_id}.json"]
    assert "Release them" in text_part(wait_for_email(altcha_stack, submission_id))
    body = sent[0].post_data_json
    assert body["altcha"]
    assert "h-captcha-response" not in body
    assert any(url.startswith(f"{altcha_stack.api_url}/forms/letter-copy/challenge") for url in urls)
    assert any(url == f"{altcha_stack.demo_origins[0]}/altcha.js" for url in urls)
    only_own_origins(altcha_stack, urls)
    assert page.evaluate("Object.keys(window).filter((name) => /letterbox/i.test(name))") == ["Letterbox"]


def test_in_russian_the_widget_speaks_russian_and_the_report_keeps_its_own_captcha(
    altcha_stack: LocalStack, page: Page
) -> None:
    urls = requests_seen(page)
    form = open_letter_copy(page, demo_url(altcha_stack, "ru.html"), "ru")
    report = page.locator("form[data-lb]").filter(has=page.locator("fieldset.lb-test"))
    expect(report.get_by_role("checkbox", name=re.compile("^Я человек"))).to_be_visible()
    assert page.locator("altcha-widget").count() == 1  # one widget, for the one form on ALTCHA
    for label, value in {
        "Тип адресата": "prosecutor",
        "Адресат": "Генеральный прокурор",
        "Как отправлено": "fax",
        "Дата отправки": "2026-11-02",
        "Язык письма": "русский",
        "Тема": "Освободите их",
        "Текст письма": "Просим прекратить дело.",
    }.items():
        control = field(form, label)
        if label in ("Тип адресата", "Как отправлено"):
            control.select_option(value)
        else:
            control.fill(value)

    form.get_by_role("button", name="Отправить копию").click()

    submission_id = success_id(form)
    expect(form.get_by_role("status")).to_contain_text(f"Номер: {submission_id}")
    only_own_origins(altcha_stack, urls)
    assert "letterbox.js" in " ".join(urls)
    assert f"{altcha_stack.demo_origins[0]}/altcha-ru.js" in urls


@pytest.mark.parametrize("lang", ["fr", "de", "es"])
def test_the_widget_speaks_french_german_and_spanish_from_the_sites_own_files(
    altcha_stack: LocalStack, page: Page, lang: str
) -> None:
    served_in(page, lang)
    urls = requests_seen(page)

    open_letter_copy(page, form_page(altcha_stack, "letter-copy", RENDER), lang)

    only_own_origins(altcha_stack, urls)


def test_the_widget_is_ticked_with_the_keyboard_and_says_so(altcha_stack: LocalStack, page: Page) -> None:
    form = open_letter_copy(page, form_page(altcha_stack, "letter-copy", RENDER))
    fill_letter_copy(form, RENDER)
    box = widget_box(form)
    assert axe_violations(page) == []  # the widget as the supporter first meets it

    box.focus()
    page.keyboard.press("Space")

    expect(box).to_be_checked()
    expect(box).to_have_accessible_name("Verified")
    assert axe_violations(page) == []
    form.get_by_role("button", name="Send copy").focus()
    page.keyboard.press("Enter")
    success_id(form)


def test_a_refused_field_keeps_the_solution_and_the_corrected_letter_is_sent_with_it(
    altcha_stack: LocalStack, page: Page
) -> None:
    sent = posts(page)
    form = open_letter_copy(page, form_page(altcha_stack, "letter-copy", RENDER))
    fill_letter_copy(form, RENDER)
    # Past the browser's check (a name, an @, a domain with a dot), refused by the API's (a special-use domain).
    field(form, "Email").fill("reader@campaign.local")

    form.get_by_role("button", name="Send copy").click()

    assert error_next_to(field(form, "Email")) == "Must be an email address like name@example.org."
    expect(widget_box(form)).to_be_checked()  # nothing was stored: the solution is not spent
    field(form, "Email").fill("reader@example.net")
    form.get_by_role("button", name="Send copy").click()
    success_id(form)
    assert sent[0].post_data_json["altcha"] == sent[1].post_data_json["altcha"]
    expect(widget_box(form)).not_to_be_checked()  # spent: the next letter solves a new one


def test_when_the_api_is_down_try_again_sends_the_same_solution_and_stores_once(
    altcha_stack: LocalStack, page: Page
) -> None:
    sent = posts(page)
    form = open_letter_copy(page, form_page(altcha_stack, "letter-copy", RENDER))
    fill_letter_copy(form, RENDER, addressee="Constitutional Court")
    before = stored(altcha_stack, "letter-copy")
    form.locator("altcha-widget").get_by_text(WIDGET_LABEL["en"]).click()  # as a person ticks it: its label
    expect(widget_box(form)).to_have_accessible_name("Verified")

    altcha_stack.stop_api()
    try:
        form.get_by_role("button", name="Send copy").click()
        expect(form.get_by_role("status")).to_contain_text("Could not reach the server.")
        expect(widget_box(form)).to_be_checked()  # kept for the retry, unlike hCaptcha's token
    finally:
        altcha_stack.start_api()
    form.get_by_role("button", name="Try again").click()

    submission_id = success_id(form)
    new = [key for key in stored(altcha_stack, "letter-copy") if key not in before]
    assert [key.rsplit("/", 1)[-1] for key in new] == [f"{submission_id}.json"]
    assert len({request.post_data_json["altcha"] for request in sent}) == 1
    assert len({request.headers["idempotency-key"] for request in sent}) == 1

"""The wall widget (embed/letterbox-wall.js) in real Chromium, on the demo's wall pages, against the local stack.

Entries are published as the console publishes them (WallStore, then one rebuild), straight into the
stack's bucket; each test starts from an empty wall and leaves one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, Request, expect

from chalicelib.core import ids
from chalicelib.core.forms import FormRegistry
from chalicelib.core.wall_store import WallStore
from devstack.stack import LocalStack
from tests.browser.support import ARTIFACTS, axe_violations, demo_url, s3

pytestmark = pytest.mark.browser
FORM = "action-report"
START = datetime(2026, 11, 14, 9, 0, tzinfo=UTC)
REL = "noopener nofollow ugc"


class Wall:
    def __init__(self, stack: LocalStack) -> None:
        self.stack = stack
        self.store = WallStore(s3(stack), stack.outputs["BucketName"], FormRegistry.load(validators=False))
        self.count = 0

    def publish(self, *entries: dict[str, Any]) -> list[str]:
        published = []
        for fields in entries:
            submission_id = ids.new_submission_id(START + timedelta(minutes=self.count))
            self.count += 1
            self.store.publish(FORM, submission_id, fields)
            published.append(submission_id)
        self.store.rebuild(FORM)
        return published

    def clear(self) -> None:
        for item in self.store.entries(FORM):
            self.store.take_down(FORM, item["id"])
        self.store.rebuild(FORM)


@pytest.fixture
def wall(demo_stack: LocalStack) -> Iterator[Wall]:
    published = Wall(demo_stack)
    published.clear()
    yield published
    published.clear()


def action(n: int, country: str = "Germany", kind: str = "picket", **more: Any) -> dict[str, Any]:
    return {
        "kind": kind,
        "date": "2026-11-14",
        "city": f"City {n}",
        "country": country,
        "description": f"Report number {n}.",
        "links": [f"https://example.org/report/{n}"],
        **more,
    }


def requests_of(page: Page) -> list[str]:
    seen: list[str] = []

    def record(request: Request) -> None:
        seen.append(request.url)

    page.on("request", record)
    return seen


def open_wall(page: Page, stack: LocalStack, name: str = "wall.html") -> Locator:
    page.goto(demo_url(stack, name))
    cards = page.locator(".lb-wall-list > li")
    expect(page.locator(".lb-wall-list")).not_to_have_attribute("aria-busy", "true")
    return cards


def total(page: Page) -> Locator:
    """The wall's own heading, which says how many actions in how many countries."""
    return page.locator(".lb-wall").get_by_role("heading", level=2)


def outside(seen: list[str], stack: LocalStack) -> list[str]:
    return [url for url in seen if not url.startswith((stack.demo_origins[0] + "/", stack.api_url + "/"))]


def test_the_wall_shows_its_counts_and_cards_and_loads_more(wall: Wall, demo_stack: LocalStack, page: Page) -> None:
    countries = ["Germany", "Latvia", "Georgia"]
    wall.publish(*(action(n, countries[n % 3], ["picket", "banner"][n % 2]) for n in range(60)))
    seen = requests_of(page)

    cards = open_wall(page, demo_stack)

    expect(page.get_by_role("heading", level=2, name="60 actions in 3 countries")).to_be_visible()
    expect(cards).to_have_count(50)
    newest = cards.first
    expect(newest.get_by_role("heading", level=3)).to_have_text("Banner or graffiti · City 59, Georgia")
    expect(newest.locator("time")).to_have_text("November 14, 2026")
    expect(newest.locator("time")).to_have_attribute("datetime", "2026-11-14")
    expect(newest).to_contain_text("Report number 59.")
    link = newest.get_by_role("link", name="https://example.org/report/59")
    expect(link).to_have_attribute("href", "https://example.org/report/59")
    expect(link).to_have_attribute("rel", REL)
    expect(page.get_by_role("status").filter(has_text="Showing")).to_have_text("Showing 50 of 60.")
    assert axe_violations(page) == []

    page.get_by_role("button", name="Show more actions").click()

    expect(cards).to_have_count(60)
    expect(page.get_by_role("status").filter(has_text="Showing")).to_have_text("Showing 60 of 60.")
    expect(page.get_by_role("button", name="Show more actions")).to_be_hidden()
    # The keyboard lands on the first card that was added, not back at the top.
    expect(cards.nth(50).get_by_role("heading", level=3)).to_be_focused()
    shown = [text.split("City ")[1].split(",")[0] for text in cards.locator("h3").all_inner_texts()]
    assert shown == [str(n) for n in range(59, -1, -1)]
    assert axe_violations(page) == []
    assert outside(seen, demo_stack) == []
    assert any("/forms/action-report/wall?page=2" in url for url in seen)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "wall.png", full_page=True)


def test_the_filters_ask_the_api_for_that_country_and_kind(wall: Wall, demo_stack: LocalStack, page: Page) -> None:
    wall.publish(
        action(1, "Germany", "picket"),
        action(2, "Latvia", "banner"),
        action(3, " germany ", "banner"),
        action(4, "Latvia", "banner"),
    )
    seen = requests_of(page)
    cards = open_wall(page, demo_stack)
    expect(cards).to_have_count(4)
    country, kind = page.get_by_label("Country"), page.get_by_label("Type of action")
    expect(country.locator("option")).to_have_text(["All countries", "germany (2)", "Latvia (2)"])
    expect(kind.locator("option")).to_have_text(["All types", "Banner or graffiti (3)", "Picket or rally (1)"])

    country.select_option(label="Latvia (2)")
    expect(cards).to_have_count(2)
    expect(cards.locator("h3")).to_have_text(
        ["Banner or graffiti · City 4, Latvia", "Banner or graffiti · City 2, Latvia"]
    )
    kind.select_option("picket")
    expect(page.get_by_role("status").filter(has_text="filters")).to_have_text("No action matches these filters.")
    expect(cards).to_have_count(0)
    country.select_option("germany")
    expect(cards.locator("h3")).to_have_text(["Picket or rally · City 1, Germany"])
    kind.select_option("")
    country.select_option("")
    expect(cards).to_have_count(4)
    expect(total(page)).to_have_text("4 actions in 2 countries")

    asked = [url for url in seen if "/wall?" in url]
    assert any("country=Latvia" in url and "kind=picket" in url for url in asked)
    assert outside(seen, demo_stack) == []
    assert axe_violations(page) == []


@pytest.mark.parametrize(
    ("entries", "countries", "heading"),
    [(25, 21, "25 акций в 21 стране"), (22, 2, "22 акции в 2 странах"), (1, 1, "1 акция в 1 стране")],
)
def test_the_wall_speaks_russian_with_its_three_plural_forms(
    wall: Wall, demo_stack: LocalStack, page: Page, entries: int, countries: int, heading: str
) -> None:
    wall.publish(*(action(n, f"Страна {n % countries}") for n in range(entries)))

    cards = open_wall(page, demo_stack, "wall-ru.html")

    expect(total(page)).to_have_text(heading)
    expect(cards.first.get_by_role("heading", level=3)).to_contain_text("Пикет или митинг · ")
    expect(cards.first.locator("time")).to_have_text("14 ноября 2026 г.")
    expect(page.get_by_label("Страна").locator("option").first).to_have_text("Все страны")
    expect(page.get_by_label("Вид акции")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="Показано")).to_have_text(
        f"Показано {min(entries, 50)} из {entries}."
    )
    assert axe_violations(page) == []


def test_hostile_text_stays_text_and_only_a_web_address_is_a_link(
    wall: Wall, demo_stack: LocalStack, page: Page
) -> None:
    hostile = {
        "kind": "<b>picket</b>",
        "date": "<img src=x onerror=alert(1)>",
        "city": '<img src=x onerror="window.pwned=1">',
        "country": "</ul><script>window.pwned=1</script>",
        "description": "<a href=javascript:alert(1)>click</a>\n‮reversed",
        "links": ["javascript:window.pwned=1", "data:text/html,<script>1</script>", "https://example.org/ok?a=<b>"],
    }
    wall.publish(hostile)

    cards = open_wall(page, demo_stack)

    expect(cards).to_have_count(1)
    card = cards.first
    expect(card.locator("h3")).to_have_text(
        '<b>picket</b> · <img src=x onerror="window.pwned=1">, </ul><script>window.pwned=1</script>'
    )
    expect(card).to_contain_text("<img src=x onerror=alert(1)>")
    expect(card).to_contain_text("<a href=javascript:alert(1)>click</a>")
    expect(card).to_contain_text("javascript:window.pwned=1")
    assert card.locator("img, script, b, time").count() == 0
    links = card.get_by_role("link")
    expect(links).to_have_count(1)
    expect(links).to_have_attribute("href", "https://example.org/ok?a=%3Cb%3E")
    expect(links).to_have_attribute("rel", REL)
    assert page.evaluate("() => window.pwned") is None
    assert page.locator("a[href^='javascript:'], a[href^='data:']").count() == 0
    # The country filter offers the value as text too.
    expect(page.get_by_label("Country").locator("option").nth(1)).to_have_text(
        "</ul><script>window.pwned=1</script> (1)"
    )


def test_an_empty_wall_says_so(wall: Wall, demo_stack: LocalStack, page: Page) -> None:
    cards = open_wall(page, demo_stack)

    expect(total(page)).to_have_text("0 actions")
    expect(page.get_by_role("status").filter(has_text="published")).to_have_text("No action has been published yet.")
    expect(cards).to_have_count(0)
    expect(page.get_by_label("Country")).to_be_hidden()
    assert axe_violations(page) == []


def test_the_wall_script_is_loaded_only_for_a_wall(demo_stack: LocalStack, page: Page) -> None:
    seen = requests_of(page)
    page.goto(demo_url(demo_stack, "action-report.html"))
    expect(page.locator("form[data-lb] fieldset.lb-test")).to_be_visible()

    assert not [url for url in seen if re.search(r"letterbox-wall\.js", url)]

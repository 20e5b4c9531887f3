"""A form on a right-to-left page (dir="rtl"): the layout mirrors, nothing scrolls sideways, axe finds nothing.

No right-to-left language is shipped yet: the demo's pages are turned right to left as a page in
Arabic or Hebrew would be, with their English texts standing in for the translation.
"""

from __future__ import annotations

from playwright.sync_api import FloatRect, Locator, Page, expect

from devstack.stack import LocalStack
from tests.browser.support import ENHANCE, RENDER, axe_violations, field, form_page, open_form, submit

EDGE_PX = 2.0  # what rounding may leave between two edges that line up


def right_to_left(page: Page) -> None:
    page.evaluate("() => { document.documentElement.dir = 'rtl'; }")


def box(locator: Locator) -> FloatRect:
    found = locator.bounding_box()
    assert found is not None
    return found


def text_edges(element: Locator) -> list[float]:
    """Where the element's words are drawn: [left, right]."""
    found: list[float] = element.evaluate(
        """(el) => { const range = document.createRange(); range.selectNodeContents(el);
        const rect = range.getBoundingClientRect(); return [rect.left, rect.right]; }"""
    )
    return found


def label_of(form: Locator, control: Locator) -> Locator:
    return form.locator(f'label[for="{control.get_attribute("id")}"]')


def assert_no_sideways_scroll(page: Page) -> None:
    # An element pushed out at the left (left: -9999px) widens a right-to-left page: it would scroll.
    widths = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert widths[0] <= widths[1], widths


def test_a_rendered_form_reads_from_the_right_and_its_errors_sit_by_their_fields(
    demo_stack: LocalStack, page: Page
) -> None:
    form = open_form(page, form_page(demo_stack, "action-report", RENDER))
    right_to_left(page)
    city = field(form, "City")
    label = label_of(form, city)

    words = text_edges(label)
    assert abs(words[1] - (box(city)["x"] + box(city)["width"])) <= EDGE_PX  # the words end where the field does
    assert words[0] > box(city)["x"] + box(city)["width"] / 2  # a short label sits on the right
    consent = form.get_by_role("checkbox", name="The organizers may publish this report")
    consent_label = label_of(form, consent)
    assert box(consent)["x"] > box(consent_label)["x"]  # the box comes first: on the right
    assert_no_sideways_scroll(page)

    submit(form, "Send report")

    expect(city).to_have_attribute("aria-invalid", "true")
    status = form.get_by_role("status")
    expect(status).not_to_be_empty()
    border = status.evaluate("(el) => [getComputedStyle(el).borderRightWidth, getComputedStyle(el).borderLeftWidth]")
    assert border == ["4px", "0px"]  # the status's mark on the side the text starts
    assert_no_sideways_scroll(page)
    assert axe_violations(page) == []


def test_a_hand_written_form_and_its_honeypot_do_not_widen_the_page(demo_stack: LocalStack, page: Page) -> None:
    open_form(page, form_page(demo_stack, "letter-copy", ENHANCE))
    right_to_left(page)

    assert_no_sideways_scroll(page)
    assert axe_violations(page) == []

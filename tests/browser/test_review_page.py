"""The emailed review link in Chromium: the page's strict policy lets its own style and form work, and nothing else."""

from __future__ import annotations

import json
import re
import urllib.request
from datetime import UTC, datetime

from playwright.sync_api import Page, expect

from chalicelib.core import ids
from chalicelib.core.record import SubmissionRecord
from chalicelib.core.storage import SubmissionStore
from devstack.stack import LocalStack
from tests.browser.support import s3, text_part, wait_for_email

REPORT = {
    "kind": "picket",
    "date": "2026-11-14",
    "city": "Тбилиси",
    "country": "Georgia",
    "description": "<img src=x onerror=alert(1)> Twelve people at the embassy.",
    "links": ["https://example.org/photo"],
    "reporter": "Нино Секретная",
    "consent_publish": True,
}


def test_the_review_page_renders_under_its_policy_and_approves_on_the_button(
    demo_stack: LocalStack, page: Page, console: list[str]
) -> None:
    now = datetime.now(UTC)
    record = SubmissionRecord(
        id=ids.new_submission_id(now),
        form="action-report",
        schema_version="browser",
        received_at=now.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        data=REPORT,
    )
    SubmissionStore(s3(demo_stack), demo_stack.outputs["BucketName"]).put(record)
    [link] = re.findall(rf"{re.escape(demo_stack.api_url)}/forms/\S+", text_part(wait_for_email(demo_stack, record.id)))
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))

    page.goto(link)

    expect(page.get_by_role("heading", name="Review for the wall")).to_be_visible()
    expect(page.get_by_text("<img src=x onerror=alert(1)> Twelve people at the embassy.")).to_be_visible()
    assert "Нино Секретная" not in page.content()
    # The inline style is allowed by its hash: the page is laid out as written, and the browser refused nothing.
    assert page.evaluate("getComputedStyle(document.body).maxWidth") == "576px"
    page.get_by_role("button", name="Approve and publish").click()

    expect(page.get_by_role("heading", name="Published")).to_be_visible()
    assert not [line for line in console if "Content Security Policy" in line]
    assert [url.split("?")[0] for url in requests] == [link.split("?")[0], link.split("?")[0]]
    with urllib.request.urlopen(f"{demo_stack.api_url}/forms/action-report/wall", timeout=10) as answer:
        entries = json.load(answer)["entries"]
    assert [entry["id"] for entry in entries if entry["id"] == record.id] == [record.id]
    page.goto(link)  # the link again: used once, dead since
    expect(page.get_by_role("heading", name="Already decided")).to_be_visible()

"""The wall's feed (counts, order, paging), its public fields and its Atom rendering: pure, no S3.

The views and filters are in test_wall_pages.py."""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree as ET

import pytest

from chalicelib.core import wall_feed, wall_pages
from chalicelib.core.forms import FormDefinition, FormRegistry
from chalicelib.core.wall import WallNotDeclared, wall_fields
from chalicelib.core.wall_atom import atom_feed
from chalicelib.intake.problems import BadPage
from chalicelib.intake.wall_api import cached_response, entity_tags, page_number

FORMS = FormRegistry.load(validators=False)


def form_named(name: str) -> FormDefinition:
    form = FORMS.get(name)
    assert form is not None
    return form


REPORTS = form_named("action-report")
ATOM = "{http://www.w3.org/2005/Atom}"


def an_entry(n: int, country: str = "Germany", kind: str = "picket") -> dict[str, Any]:
    fields = {"kind": kind, "date": "2026-11-14", "city": "Berlin", "country": country, "description": f"d{n}"}
    return wall_feed.entry(f"01KAX3Z8W6V1R2F7D9QH0M4N{n:02d}", "2026-12-02T16:40:00Z", fields)


def test_the_feed_lists_the_newest_report_first_with_its_counts() -> None:
    entries = [an_entry(1), an_entry(3, " germany ", "banner"), an_entry(2, "Латвия")]

    feed = wall_feed.build_feed("action-report", entries)

    assert [item["id"][-2:] for item in feed["entries"]] == ["03", "02", "01"]
    assert feed["counts"] == {"entries": 3, "countries": 2, "kinds": {"banner": 1, "picket": 2}}


def test_pages_hold_fifty_and_a_page_past_the_end_is_empty_with_the_counts() -> None:
    entries = wall_feed.newest_first(an_entry(n) for n in range(1, 61))

    first, second = wall_pages.view_pages("action-report", entries)
    beyond = wall_pages.beyond_the_end(first, 3)

    assert (len(first["entries"]), len(second["entries"]), beyond["entries"]) == (50, 10, [])
    assert first["pages"] == second["pages"] == beyond["pages"] == 2
    assert beyond["counts"]["entries"] == 60
    assert first["entries"][0]["id"].endswith("60")
    assert second["entries"][-1]["id"].endswith("01")
    assert "countries" in first
    assert "countries" not in second  # bounded: the list of countries only on page 1


def test_an_empty_wall_is_an_empty_feed() -> None:
    [page] = wall_pages.view_pages("action-report", [])

    assert page == wall_pages.empty_page("action-report")
    assert page["entries"] == []
    assert page["counts"] == {"entries": 0, "countries": 0, "kinds": {}}
    assert page["pages"] == 1


@pytest.mark.parametrize("given", ["0", "-1", "x", "1.5", "1234567", ""])
def test_a_page_is_a_whole_number_from_one(given: str) -> None:
    with pytest.raises(BadPage):
        page_number({"page": given})
    assert page_number(None) == 1
    assert page_number({"page": "3"}) == 3


def test_action_reports_publish_no_name_email_or_files_and_letters_have_no_wall() -> None:
    fields = wall_fields(REPORTS)

    assert fields is not None
    assert fields.public == ("kind", "date", "city", "country", "description", "links")
    assert fields.consent == "consent_publish"
    assert wall_fields(form_named("letter-copy")) is None


@pytest.mark.parametrize("field", ["email", "attachments", "shoe_size"])
def test_a_schema_cannot_make_an_address_or_files_public(field: str) -> None:
    options = {**REPORTS.options, "public_fields": ["kind", field]}
    schema = {**REPORTS.schema, "x-letterbox": options}

    with pytest.raises(WallNotDeclared, match=field):
        wall_fields(FormDefinition("action-report", schema, "v"))


def test_the_etag_answers_304_to_itself_only() -> None:
    first = cached_response('{"a":1}', "application/json", None)
    tag = str(first.headers["ETag"])

    assert first.status_code == 200
    assert first.headers["Cache-Control"] == "public, max-age=60"
    assert cached_response('{"a":1}', "application/json", tag).status_code == 304
    assert cached_response('{"a":1}', "application/json", f'"x", W/{tag}').status_code == 304
    assert cached_response('{"a":2}', "application/json", tag).status_code == 200


@pytest.mark.parametrize(
    ("header", "tags"),
    [
        (None, []),
        ('"abc"', ['"abc"']),
        ('W/"abc", "def"', ['"abc"', '"def"']),
        ("abc", []),  # not quoted: not a tag
        ('"a b"', []),  # a space is not in a tag
        ('"x"' + ", " * 1000, []),  # too long to be worth reading
    ],
)
def test_if_none_match_is_read_as_tags_and_nothing_else(header: str | None, tags: list[str]) -> None:
    assert entity_tags(header) == tags


def test_the_atom_feed_escapes_everything_and_links_only_to_the_web() -> None:
    hostile = an_entry(1)
    hostile["fields"] |= {
        "city": "<script>alert(1)</script> & \x01",
        "description": "]]></content><entry>",
        "links": ["javascript:alert(1)", "https://example.org/a?b=1&c=<2>"],
    }
    fields = wall_fields(REPORTS)
    assert fields is not None
    text = atom_feed(REPORTS, fields, [hostile])

    root = ET.fromstring(text)  # noqa: S314 (our own output, parsed to check it)
    [entry] = root.findall(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}title") == "Picket or rally, 2026-11-14, <script>alert(1)</script> & \ufffd, Germany"
    assert entry.findtext(f"{ATOM}content") == "]]></content><entry>"
    assert [link.get("href") for link in entry.findall(f"{ATOM}link")] == ["https://example.org/a?b=1&c=<2>"]
    assert "javascript:" not in text
    assert "<script>" not in text

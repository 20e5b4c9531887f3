"""The wall's pre-rendered pages: views by filter, canonical filter values and safe keys. Pure, no S3."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from chalicelib.core import wall_feed, wall_pages
from chalicelib.core.forms import FormRegistry
from chalicelib.core.wall import page_key, wall_fields
from chalicelib.core.wall_filters import BadFilter, canonical, chosen_filters, slug, view_name

FORMS = FormRegistry.load(validators=False)
REPORTS = FORMS.get("action-report")
KEY = re.compile(
    r"^wall/action-report/feed/(all|c-[0-9a-f]{24}|k-[0-9a-f]{24}|c-[0-9a-f]{24}\.k-[0-9a-f]{24})/[1-9][0-9]*\.json$"
)


def an_entry(n: int, country: Any = "Germany", kind: Any = "picket") -> dict[str, Any]:
    fields = {"kind": kind, "date": "2026-11-14", "city": "Berlin", "country": country, "description": f"d{n}"}
    return wall_feed.entry(f"01KAX3Z8W6V1R2F7D9QH0M{n:04d}", "2026-12-02T16:40:00Z", fields)


def rendered(entries: list[dict[str, Any]]) -> dict[str, wall_pages.StoredObject]:
    assert REPORTS is not None
    fields = wall_fields(REPORTS)
    assert fields is not None
    return wall_pages.render_wall(REPORTS, fields, entries)


def page(objects: dict[str, wall_pages.StoredObject], view: str, number: int = 1) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(objects[page_key("action-report", view, number)].body)
    return found


@pytest.mark.parametrize("same", ["Germany", " germany ", "GERMANY", "Germany\u00a0", "Ｇｅｒｍａｎｙ", "germany\t"])
def test_a_country_is_one_whatever_its_case_spaces_or_width(same: str) -> None:
    assert canonical(same) == "germany"
    assert slug(same) == slug("Germany")
    assert view_name({"country": same}) == view_name({"country": "Germany"})


def test_spaces_inside_a_name_are_one_and_a_different_name_is_another_view() -> None:
    assert canonical("  Côte   d'Ivoire ") == "côte d'ivoire"
    assert canonical("Straße") == canonical("STRASSE")
    assert view_name({"country": "Austria"}) != view_name({"country": "Australia"})
    assert view_name({}) == "all"
    assert view_name({"country": "", "kind": None}) == "all"  # type: ignore[dict-item]


@pytest.mark.parametrize(
    "hostile",
    ["../../../etc/passwd", "a/b/c", "x" * 200, "Россия", "日本", "\u202egermany", "%2F..%2F", "🏳️‍🌈", ".", ""],
)
def test_a_key_never_holds_the_value_typed(hostile: str) -> None:
    for chosen in ({"country": hostile}, {"kind": hostile}, {"country": hostile, "kind": "picket"}):
        key = page_key("action-report", view_name(chosen), 1)
        assert KEY.match(key), key
        assert len(key) < 100
        if len(hostile) > 2:
            assert hostile not in key


def test_the_filters_asked_for_are_checked() -> None:
    assert chosen_filters(None) == {}
    assert chosen_filters({"country": "Germany", "kind": "picket", "page": "2"}) == {
        "country": "Germany",
        "kind": "picket",
    }
    assert chosen_filters({"country": "", "kind": "  "}) == {}  # a form's "All": no filter
    assert chosen_filters({"country": "x" * 200}) == {"country": "x" * 200}
    with pytest.raises(BadFilter) as too_long:
        chosen_filters({"country": "x" * 201})
    assert (too_long.value.name, too_long.value.reason) == ("country", "too_long")
    for control in ("Berlin\nX-Evil: 1", "a\x00b", "a\tb", "a\x1bb"):
        with pytest.raises(BadFilter) as bad:
            chosen_filters({"kind": control})
        assert (bad.value.name, bad.value.reason) == ("kind", "bad_characters")
        assert control not in str(bad.value)


def test_views_exist_only_for_the_filters_and_combinations_that_have_entries() -> None:
    entries = [an_entry(1, "Germany", "picket"), an_entry(2, "Latvia", "banner"), an_entry(3, " germany ", "banner")]

    found = wall_pages.views(entries)

    expected = {
        "all",
        view_name({"country": "Germany"}),
        view_name({"country": "Latvia"}),
        view_name({"kind": "picket"}),
        view_name({"kind": "banner"}),
        view_name({"country": "Germany", "kind": "picket"}),
        view_name({"country": "Germany", "kind": "banner"}),
        view_name({"country": "Latvia", "kind": "banner"}),
    }
    assert set(found) == expected  # no Latvia + picket: nobody held one
    assert [item["id"][-1] for item in found[view_name({"country": "GERMANY"})]] == ["3", "1"]
    assert [item["id"][-1] for item in found[view_name({"kind": "banner"})]] == ["3", "2"]


def test_an_entry_without_a_country_is_on_the_wall_and_in_no_country() -> None:
    found = wall_pages.views([an_entry(1, country="  "), an_entry(2, country=None, kind=7)])

    assert set(found) == {"all", view_name({"kind": "picket"})}
    assert wall_feed.counts(found["all"]) == {"entries": 2, "countries": 0, "kinds": {"picket": 1}}


def test_each_view_has_its_own_counts_and_page_one_lists_its_countries() -> None:
    entries = [an_entry(1, "germany"), an_entry(2, "Germany"), an_entry(3, "Germany "), an_entry(4, "Latvia", "banner")]

    objects = rendered(entries)

    whole = page(objects, "all")
    assert whole["counts"] == {"entries": 4, "countries": 2, "kinds": {"banner": 1, "picket": 3}}
    # As most entries spell it; the list is what the widget's country filter offers.
    assert whole["countries"] == [{"name": "Germany", "entries": 3}, {"name": "Latvia", "entries": 1}]
    banners = page(objects, view_name({"kind": "banner"}))
    assert banners["counts"] == {"entries": 1, "countries": 1, "kinds": {"banner": 1}}
    assert banners["countries"] == [{"name": "Latvia", "entries": 1}]
    assert [item["id"][-1] for item in banners["entries"]] == ["4"]


def test_every_page_is_bounded_and_every_key_is_safe() -> None:
    entries = [an_entry(n, f"Country {n % 3}", ["picket", "banner"][n % 2]) for n in range(1, 131)]

    objects = rendered(entries)

    for key, stored in objects.items():
        if key.endswith(".atom"):
            assert key == "wall/action-report/feed/wall.atom"
            continue
        assert KEY.match(key), key
        shown = json.loads(stored.body)
        assert len(shown["entries"]) <= wall_pages.PAGE_SIZE
        assert shown["page_size"] == wall_pages.PAGE_SIZE
    assert [len(page(objects, "all", n)["entries"]) for n in (1, 2, 3)] == [50, 50, 30]
    assert page_key("action-report", "all", 4) not in objects
    ids = [item["id"] for n in (1, 2, 3) for item in page(objects, "all", n)["entries"]]
    assert ids == sorted(ids, reverse=True)
    assert len(set(ids)) == 130


def test_the_same_entries_give_the_same_bytes_in_any_order() -> None:
    entries = [an_entry(n, ["Germany", "Latvia"][n % 2]) for n in range(1, 8)]

    first, again = rendered(entries), rendered(list(reversed(entries)))

    assert {key: stored.body for key, stored in first.items()} == {key: stored.body for key, stored in again.items()}
    assert first[page_key("action-report", "all", 1)].content_type == "application/json; charset=utf-8"
    assert first["wall/action-report/feed/wall.atom"].content_type == "application/atom+xml; charset=utf-8"


def test_a_new_entry_leaves_the_pages_of_the_other_views_as_they_were() -> None:
    before = rendered([an_entry(1, "Germany"), an_entry(2, "Latvia", "banner")])

    after = rendered([an_entry(1, "Germany"), an_entry(2, "Latvia", "banner"), an_entry(3, "Germany")])

    latvia = page_key("action-report", view_name({"country": "Latvia"}), 1)
    germany = page_key("action-report", view_name({"country": "Germany"}), 1)
    assert after[latvia].body == before[latvia].body
    assert after[germany].body != before[germany].body

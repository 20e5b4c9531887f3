"""The feed as the API serves it, rendered in advance: pages of the whole wall and of each filter, and Atom.

The publisher (WallStore.rebuild) renders every object from every entry; the API passes one through
as stored, so a feed request costs one S3 GET of a bounded object however big the wall grows.

A view is the whole wall or the entries of one filter that exists (a country, a kind, a country and
a kind: chalicelib/core/wall_filters.py). A page of a view:

    {"version": 2, "form": "action-report",
     "counts": {"entries": 12, "countries": 5, "kinds": {"banner": 5, "picket": 7}},   (of the view)
     "page": 1, "page_size": 50, "pages": 1, "entries": [newest first],
     "countries": [{"name": "Germany", "entries": 7}, …]}                               (page 1 only)

The same entries always give the same bytes (nothing in a page says when it was built), so a rebuild
rewrites only the pages that changed and a browser's ETag stays valid until then.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

from chalicelib.core.forms import FormDefinition
from chalicelib.core.wall import WallFields, atom_key, page_key
from chalicelib.core.wall_atom import atom_feed
from chalicelib.core.wall_feed import countries, counts, newest_first
from chalicelib.core.wall_filters import ALL, FILTERS, entry_value, view_name

PAGE_SIZE = 50
FEED_VERSION = 2
JSON_TYPE = "application/json; charset=utf-8"
ATOM_TYPE = "application/atom+xml; charset=utf-8"


@dataclass(frozen=True)
class StoredObject:
    body: bytes
    content_type: str


def views(entries: Iterable[Mapping[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Each view that has an entry (and the whole wall, always) with its entries, newest first."""
    ordered = newest_first(entries)
    found: dict[str, list[dict[str, Any]]] = {ALL: ordered}
    for item in ordered:
        values = {name: value for name in FILTERS if (value := entry_value(item["fields"], name))}
        for size in range(1, len(values) + 1):
            for names in combinations(values, size):
                found.setdefault(view_name({name: values[name] for name in names}), []).append(item)
    return found


def view_pages(form: str, entries: Sequence[Mapping[str, Any]], size: int = PAGE_SIZE) -> list[dict[str, Any]]:
    """A view's pages, from 1; a view with no entries still has its page 1 (empty, with the counts)."""
    pages = max(1, math.ceil(len(entries) / size))
    view_counts = counts(entries)
    rendered = []
    for number in range(1, pages + 1):
        page = page_of(form, view_counts, number, pages, entries[(number - 1) * size : number * size], size)
        if number == 1:
            page["countries"] = countries(entries)
        rendered.append(page)
    return rendered


def page_of(
    form: str,
    view_counts: Mapping[str, Any],
    number: int,
    pages: int,
    entries: Sequence[Mapping[str, Any]],
    size: int = PAGE_SIZE,
) -> dict[str, Any]:
    return {
        "version": FEED_VERSION,
        "form": form,
        "counts": dict(view_counts),
        "page": number,
        "page_size": size,
        "pages": pages,
        "entries": [dict(item) for item in entries],
    }


def empty_page(form: str, number: int = 1) -> dict[str, Any]:
    """What a filter nothing matches (or a wall nothing was published on) answers: a page, not an error."""
    page = page_of(form, counts([]), number, 1, [])
    if number == 1:
        page["countries"] = []
    return page


def beyond_the_end(first: Mapping[str, Any], number: int) -> dict[str, Any]:
    """A page past a view's last: no entries, and still the view's counts (from its page 1)."""
    return page_of(str(first.get("form", "")), first.get("counts", counts([])), number, int(first.get("pages", 1)), [])


def to_json(page: Mapping[str, Any]) -> bytes:
    return json.dumps(page, ensure_ascii=False, separators=(",", ":")).encode()


def render_wall(
    form: FormDefinition, fields: WallFields, entries: Iterable[Mapping[str, Any]]
) -> dict[str, StoredObject]:
    """Every object the feed is served from, by key: each view's pages, and the Atom document."""
    return render_views(form, fields, views(entries))


def render_views(
    form: FormDefinition, fields: WallFields, found: Mapping[str, Sequence[Mapping[str, Any]]]
) -> dict[str, StoredObject]:
    """The given views' pages (each view with all its entries, newest first) and the whole wall's Atom document."""
    objects = {
        page_key(form.name, view, page["page"]): StoredObject(to_json(page), JSON_TYPE)
        for view, listed in found.items()
        for page in view_pages(form.name, listed)
    }
    atom = atom_feed(form, fields, found[ALL][:PAGE_SIZE])
    objects[atom_key(form.name)] = StoredObject(atom.encode(), ATOM_TYPE)
    return objects

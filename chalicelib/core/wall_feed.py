"""The wall's feed: built from the approved entries (by the console), paged (by the API). Pure: no S3 here.

An entry:  {"id": "01K…", "published_at": "2026-12-02T16:40:00Z", "fields": {"kind": "picket", …}}
The feed:  {"form": "action-report", "updated_at": "…",
            "counts": {"entries": 12, "countries": 5, "kinds": {"picket": 7, "banner": 5}},
            "entries": [newest first]}
A page:    the feed's form, updated_at and counts, with "page", "page_size", "pages" and that page's entries.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

PAGE_SIZE = 50
FEED_VERSION = 1


class NotAnEntry(Exception):
    """Bytes under wall/ that are not an entry this code wrote; named by key, never quoted."""


def entry(submission_id: str, published_at: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    return {"id": submission_id, "published_at": published_at, "fields": dict(fields)}


def parse_entry(raw: bytes) -> dict[str, Any]:
    try:
        found = json.loads(raw)
    except ValueError:
        raise NotAnEntry("not JSON") from None
    if not isinstance(found, dict) or not isinstance(found.get("id"), str) or not isinstance(found.get("fields"), dict):
        raise NotAnEntry("not a wall entry")
    if not isinstance(found.get("published_at"), str):
        raise NotAnEntry("not a wall entry")
    return found


def build_feed(form: str, entries: Iterable[Mapping[str, Any]], updated_at: str) -> dict[str, Any]:
    """Every entry, newest report first (ids are ULIDs: they sort by when the report arrived)."""
    ordered = sorted((dict(item) for item in entries), key=lambda item: str(item["id"]), reverse=True)
    return {
        "version": FEED_VERSION,
        "form": form,
        "updated_at": updated_at,
        "counts": counts(ordered),
        "entries": ordered,
    }


def empty_feed(form: str) -> dict[str, Any]:
    """What a wall nothing was published on answers: a feed, not an error."""
    return build_feed(form, [], "")


def counts(entries: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    listed = list(entries)
    fields = [item.get("fields", {}) for item in listed]
    # "Germany" and " germany " are one country on a wall.
    countries = {str(f["country"]).strip().casefold() for f in fields if str(f.get("country", "")).strip()}
    kinds = Counter(str(f["kind"]) for f in fields if isinstance(f.get("kind"), str))
    return {"entries": len(listed), "countries": len(countries), "kinds": dict(sorted(kinds.items()))}


def page_count(feed: Mapping[str, Any], size: int = PAGE_SIZE) -> int:
    return max(1, math.ceil(len(feed.get("entries", [])) / size))


def feed_page(feed: Mapping[str, Any], page: int, size: int = PAGE_SIZE) -> dict[str, Any]:
    """One page (from 1); a page past the end has no entries, and still the counts."""
    entries = list(feed.get("entries", []))
    start = (page - 1) * size
    return {
        "form": feed.get("form"),
        "updated_at": feed.get("updated_at", ""),
        "counts": feed.get("counts", counts([])),
        "page": page,
        "page_size": size,
        "pages": page_count(feed, size),
        "entries": entries[start : start + size] if start >= 0 else [],
    }

"""The wall's entries and what is counted of them. Pure: no S3 here (chalicelib/core/wall_pages.py pages them).

An entry:  {"id": "01K…", "published_at": "2026-12-02T16:40:00Z", "fields": {"kind": "picket", …}}
Counts:    {"entries": 12, "countries": 5, "kinds": {"banner": 5, "picket": 7}}
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from chalicelib.core.wall_filters import canonical, entry_value


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


def newest_first(entries: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Ids are ULIDs: they sort by when the report arrived."""
    return sorted((dict(item) for item in entries), key=lambda item: str(item["id"]), reverse=True)


def build_feed(form: str, entries: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Every entry, newest report first, with the counts: what `letterbox wall list` shows."""
    ordered = newest_first(entries)
    return {"form": form, "counts": counts(ordered), "entries": ordered}


def counts(entries: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    listed = list(entries)
    fields = [item.get("fields", {}) for item in listed]
    # "Germany" and " germany " are one country on a wall.
    found = {canonical(value) for f in fields if (value := entry_value(f, "country"))}
    kinds = Counter(value for f in fields if (value := entry_value(f, "kind")))
    return {"entries": len(listed), "countries": len(found), "kinds": dict(sorted(kinds.items()))}


def countries(entries: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Each country once, as most entries spell it (the newest spelling on a tie), in alphabetical order."""
    spellings: dict[str, Counter[str]] = {}
    for item in entries:  # newest first: Counter keeps the first spelling seen on a tie
        value = entry_value(item.get("fields", {}), "country")
        if value:
            spellings.setdefault(canonical(value), Counter())[" ".join(value.split())] += 1
    return [
        {"name": spelled.most_common(1)[0][0], "entries": spelled.total()} for _, spelled in sorted(spellings.items())
    ]

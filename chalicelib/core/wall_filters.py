"""The wall's filters (by country, by kind, both): one canonical form of a value, and the view it names.

A value is compared in its canonical form: Unicode NFKC, casefolded, spaces trimmed and runs of
white space made one, so "Germany", " germany " and "GERMANY" are one country. In S3 keys a value
is never written as typed: it is the first 24 hex digits (96 bits) of the SHA-256 of its canonical
form, so a key stays short and plain whatever the value holds ('/', '..', control characters,
any script, any length). The values are public by design (approved wall entries), so the hash
hides nothing: it is there to keep keys safe, not secret.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Mapping

FILTERS = ("country", "kind")
ALL = "all"
PREFIXES = {"country": "c", "kind": "k"}
# Longer than any country or kind a form allows (100 and 50 characters): more is not a filter.
MAX_LENGTH = 200
SLUG_DIGITS = 24


class BadFilter(Exception):
    """A filter value no wall entry could ever have: the message names the filter, never quotes the value."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name}: {reason}")
        self.name = name
        self.reason = reason


def canonical(value: str) -> str:
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", value).casefold())
    return " ".join(folded.split())


def slug(value: str) -> str:
    return hashlib.sha256(canonical(value).encode()).hexdigest()[:SLUG_DIGITS]


def view_name(chosen: Mapping[str, str]) -> str:
    """ "all", "c-…", "k-…" or "c-….k-…": the filters always in the same order."""
    parts = [f"{PREFIXES[name]}-{slug(chosen[name])}" for name in FILTERS if chosen.get(name)]
    return ".".join(parts) or ALL


def chosen_filters(query: Mapping[str, str] | None) -> dict[str, str]:
    """The filters a request asks for, checked; an empty value means no filter (as a form's "All" sends it)."""
    chosen = {}
    for name in FILTERS:
        given = (query or {}).get(name)
        if given is None or not given.strip():
            continue
        if len(given) > MAX_LENGTH:
            raise BadFilter(name, "too_long")
        # Control characters (NUL, newlines, escapes) are in no country or kind anyone typed.
        if any(unicodedata.category(char) == "Cc" for char in given):
            raise BadFilter(name, "bad_characters")
        chosen[name] = given
    return chosen


def entry_value(fields: Mapping[str, object], name: str) -> str | None:
    """The entry's value for a filter, or None when it has none (left out, empty, not text)."""
    value = fields.get(name)
    return value if isinstance(value, str) and canonical(value) else None

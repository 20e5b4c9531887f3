"""A form's public wall: which fields may be published (the schema says), and where the wall is kept.

A form opts in with x-letterbox.public_fields (and the boolean field a supporter ticks to consent,
x-letterbox.consent_field). What is published of a report is its public copy only: those fields,
maybe edited by an organizer. Never a field for files, nor an email address.

wall/{form}/entries/{id}.json        the public copy of one approved report (read to rebuild the feed: by the
                                     console, and by the API when an emailed review link approves)
wall/{form}/feed/{view}/{page}.json  one page of the feed, pre-rendered by the console: one GET per request
wall/{form}/feed/wall.atom           the Atom document, pre-rendered likewise
moderation/{form}/{id}.json          the organizer's decision (approved, rejected, removed): the API reads and
                                     writes it only for the emailed review link (chalicelib/intake/review.py)

A view is the whole wall ("all") or a filter (chalicelib/core/wall_filters.py): "c-{hash}" for a
country, "k-{hash}" for a kind, "c-{hash}.k-{hash}" for both. No typed text goes into a key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chalicelib.core.forms import FormDefinition

WALL_PREFIX = "wall/"
DECISIONS_PREFIX = "moderation/"
DECISIONS = ("approved", "rejected", "removed")


class WallNotDeclared(Exception):
    """The form's schema declares its wall wrongly; the message names the form and the field."""


@dataclass(frozen=True)
class WallFields:
    public: tuple[str, ...]
    consent: str

    def consented(self, data: Mapping[str, Any]) -> bool:
        return data.get(self.consent) is True

    def public_copy(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """The public fields the supporter filled in, in the schema's order, nothing else."""
        return {name: data[name] for name in self.public if name in data}


def wall_fields(form: FormDefinition) -> WallFields | None:
    """The form's wall, checked; None when it declares no public fields (no wall)."""
    public = form.options.get("public_fields")
    if not public:
        return None
    consent = form.options.get("consent_field")
    if not isinstance(public, list) or not all(isinstance(name, str) for name in public):
        raise WallNotDeclared(f"{form.name}: x-letterbox.public_fields must be a list of field names")
    for name in public:
        _check_public(form, name)
    if not isinstance(consent, str) or form.properties.get(consent, {}).get("type") != "boolean":
        raise WallNotDeclared(f"{form.name}: x-letterbox.consent_field must name a boolean field")
    return WallFields(tuple(name for name in form.properties if name in public), consent)


def _check_public(form: FormDefinition, name: str) -> None:
    prop = form.properties.get(name)
    if prop is None:
        raise WallNotDeclared(f"{form.name}: public field {name!r} is not a field of the form")
    # Files and addresses identify a supporter: no schema may publish them.
    if prop.get("x-widget") == "attachments" or "x-attachments" in prop or prop.get("format") == "email":
        raise WallNotDeclared(f"{form.name}: field {name!r} (files or an email address) can never be public")


def entries_prefix(form: str) -> str:
    return f"{WALL_PREFIX}{form}/entries/"


def entry_key(form: str, submission_id: str) -> str:
    return f"{entries_prefix(form)}{submission_id}.json"


def legacy_feed_key(form: str) -> str:
    """Where the whole feed was one object (before the pages): removed, with its versions, by a rebuild."""
    return f"{WALL_PREFIX}{form}/feed.json"


def feed_prefix(form: str) -> str:
    return f"{WALL_PREFIX}{form}/feed/"


def page_prefix(form: str, view: str) -> str:
    return f"{feed_prefix(form)}{view}/"


def page_key(form: str, view: str, page: int) -> str:
    return f"{page_prefix(form, view)}{page}.json"


def atom_key(form: str) -> str:
    return f"{feed_prefix(form)}wall.atom"


def decisions_prefix(form: str) -> str:
    return f"{DECISIONS_PREFIX}{form}/"


def decision_key(form: str, submission_id: str) -> str:
    return f"{decisions_prefix(form)}{submission_id}.json"

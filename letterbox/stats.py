"""The numbers a press release quotes: submissions per form, per day, and per choice."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from chalicelib.core.forms import FormDefinition
from chalicelib.core.record import SubmissionRecord
from letterbox.catalog import Entry
from letterbox.fields import display, is_attachments, one_line


def counted_fields(form: FormDefinition) -> list[str]:
    """Choices (enums), and the short safe fields a campaign quotes (country, city, language), dates aside."""
    safe = set(form.options.get("safe_fields", ()))
    names = []
    for name, prop in form.properties.items():
        choice = "enum" in prop or "enum" in (prop.get("items") or {})
        short_safe = name in safe and prop.get("type") == "string" and "format" not in prop
        if (choice or short_safe) and not is_attachments(form, name):
            names.append(name)
    return names


@dataclass
class Tally:
    """Values counted once per spelling-insensitive key ("Berlin", " berlin"), shown as first spelled."""

    counts: Counter[str] = field(default_factory=Counter)
    shown: dict[str, str] = field(default_factory=dict)

    def add(self, value: str) -> None:
        key = " ".join(value.split()).casefold()
        if key:
            self.counts[key] += 1
            self.shown.setdefault(key, " ".join(value.split()))

    def as_dict(self) -> dict[str, int]:
        return {self.shown[key]: count for key, count in self.counts.most_common()}


@dataclass
class FormStats:
    form: FormDefinition
    lang: str
    count: int = 0
    days: Counter[str] = field(default_factory=Counter)
    fields: dict[str, Tally] = field(default_factory=dict)

    def add(self, entry: Entry, record: SubmissionRecord | None) -> None:
        self.count += 1
        self.days[entry.day.replace("/", "-")] += 1
        if record is None:
            return
        for name in counted_fields(self.form):
            value = record.data.get(name)
            items = value if isinstance(value, list) else [value]
            for item in items:
                if item is not None and item != "":
                    self.fields.setdefault(name, Tally()).add(one_line(display(self.form, name, item, self.lang)))

    def as_dict(self) -> dict[str, Any]:
        return {
            "title": self.form.title(self.lang),
            "count": self.count,
            "days": dict(sorted(self.days.items())),
            "fields": {
                name: {
                    "label": self.form.label(name, self.lang),
                    "distinct": len(tally.counts),
                    "counts": tally.as_dict(),
                }
                for name, tally in self.fields.items()
            },
        }

"""What a submission says, as an organizer reads it: labels and values in the form's language."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from chalicelib.core import catalogs
from chalicelib.core.forms import FormDefinition, FormRegistry
from chalicelib.core.record import SubmissionRecord
from chalicelib.notify.email_texts import email_texts
from chalicelib.notify.rendering import PLACEHOLDER

# Lists in one cell: readable in a spreadsheet, and "; " is rare inside a link or a name.
LIST_SEPARATOR = "; "
SUMMARY_VALUE_LIMIT = 60
# Everything a terminal could act on (escape sequences, bells, bidi overrides) but tab and newline.
UNPRINTABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
ATTACHMENTS_WIDGET = "attachments"


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    value: str


def form_of(forms: FormRegistry, name: str) -> FormDefinition:
    """The form's definition; a form whose schema is gone still shows its data, with raw names."""
    return forms.get(name) or FormDefinition(name=name, schema={}, version="")


def language(lang: str) -> str:
    return lang if lang in catalogs.languages() else "en"


def printable(text: str) -> str:
    """Supporter text made safe to print on a terminal."""
    return UNPRINTABLE.sub("\ufffd", text.replace("\r\n", "\n").replace("\r", "\n"))


def display(form: FormDefinition, name: str, value: Any, lang: str, separator: str = "\n") -> str:
    """A value as words: choices by their label, booleans as yes/no, lists joined."""
    if isinstance(value, bool):
        return email_texts(language(lang))["yes" if value else "no"]
    if isinstance(value, list):
        return separator.join(display(form, name, item, lang, separator) for item in value)
    if value is None:
        return ""
    if isinstance(value, str) and "enum" in _items(form.properties.get(name, {})):
        return form.enum_label(name, value, lang)
    return str(value).replace("\r\n", "\n").replace("\r", "\n")


def _items(prop: Mapping[str, Any]) -> Mapping[str, Any]:
    """The property itself, or for an array its items: where an enum of choices lives."""
    items = prop.get("items")
    return items if prop.get("type") == "array" and isinstance(items, dict) else prop


def field_names(form: FormDefinition, data: Mapping[str, Any] | None = None) -> list[str]:
    """The form's fields in its order; for a form without schema, the record's own keys."""
    names = list(form.properties) or list(data or {})
    return names


def is_attachments(form: FormDefinition, name: str) -> bool:
    return form.properties.get(name, {}).get("x-widget") == ATTACHMENTS_WIDGET


def fields(record: SubmissionRecord, form: FormDefinition, lang: str) -> list[Field]:
    """Every field given, with its label; the attachments field (upload ids) is shown as files instead."""
    return [
        Field(name, form.label(name, lang), display(form, name, record.data[name], lang))
        for name in field_names(form, record.data)
        if name in record.data and not is_attachments(form, name)
    ]


def summary(record: SubmissionRecord, form: FormDefinition, lang: str) -> str:
    """The form's email subject for this record (its x-letterbox.subject), on one line."""
    template = form.text("subject", lang)
    if not template or not set(PLACEHOLDER.findall(template)) <= set(record.data):
        return form.title(lang)

    def value(match: re.Match[str]) -> str:
        shown = one_line(display(form, match.group(1), record.data[match.group(1)], lang, ", "))
        return shown if len(shown) <= SUMMARY_VALUE_LIMIT else shown[: SUMMARY_VALUE_LIMIT - 1] + "\u2026"

    return one_line(PLACEHOLDER.sub(value, template))


def one_line(text: str) -> str:
    return " ".join(printable(text).split())


def export_columns(forms: Iterable[FormDefinition], lang_of: Mapping[str, str]) -> list[Field]:
    """id, form, received, then every field of the forms in their order (a name shared by forms once)."""
    columns = {
        "id": Field("id", "id", ""),
        "form": Field("form", "form", ""),
        "received": Field("received", "received", ""),
    }
    for form in forms:
        for name in field_names(form):
            columns.setdefault(name, Field(name, form.label(name, lang_of.get(form.name, "en")), ""))
    return list(columns.values())


def export_row(record: SubmissionRecord, form: FormDefinition, lang: str, columns: Iterable[Field]) -> dict[str, str]:
    """One row: every column, empty where this form has no such field or the supporter gave none."""
    row = {"id": record.id, "form": record.form, "received": record.received_at}
    for column in columns:
        if column.name in row:
            continue
        if is_attachments(form, column.name):
            row[column.name] = LIST_SEPARATOR.join(attachment.name for attachment in record.attachments)
        elif column.name in record.data:
            row[column.name] = display(form, column.name, record.data[column.name], lang, LIST_SEPARATOR)
        else:
            row[column.name] = ""
    return row

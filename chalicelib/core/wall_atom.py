"""The wall as an Atom feed (RFC 4287): the newest page of entries, escaped by ElementTree, text only."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

from chalicelib.core.forms import FormDefinition
from chalicelib.core.wall import WallFields

ATOM = "http://www.w3.org/2005/Atom"
# What XML 1.0 cannot carry at all, escaped or not: an organizer's edit could hold it.
NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
TITLE_LIMIT = 200
# Before anything is published Atom still needs a time: the epoch says "never".
NEVER = "1970-01-01T00:00:00Z"


def atom_feed(form: FormDefinition, fields: WallFields, entries: Sequence[Mapping[str, Any]]) -> str:
    """`entries`: the newest, newest first. Updated when the newest of them was published (the same bytes
    for the same entries: the publisher rewrites the document only when it changed)."""
    ET.register_namespace("", ATOM)
    root = ET.Element(f"{{{ATOM}}}feed")
    _text(root, "id", f"urn:letterbox:wall:{form.name}")
    _text(root, "title", form.title("en"))
    _text(root, "updated", max((str(item.get("published_at") or "") for item in entries), default="") or NEVER)
    author = ET.SubElement(root, f"{{{ATOM}}}author")
    _text(author, "name", form.title("en"))
    for item in entries:
        _entry(root, form, fields, item)
    return ET.tostring(root, encoding="unicode", xml_declaration=True)


def _entry(root: ET.Element, form: FormDefinition, fields: WallFields, item: Mapping[str, Any]) -> None:
    values: Mapping[str, Any] = item.get("fields", {})
    entry = ET.SubElement(root, f"{{{ATOM}}}entry")
    _text(entry, "id", f"urn:letterbox:wall:{form.name}:{item['id']}")
    _text(entry, "title", entry_title(form, fields, values))
    _text(entry, "updated", str(item.get("published_at") or NEVER))
    content = _text(entry, "content", entry_text(form, fields, values))
    content.set("type", "text")
    for link in web_links(values):
        ET.SubElement(entry, f"{{{ATOM}}}link", {"rel": "related", "href": clean(link)})


def entry_title(form: FormDefinition, fields: WallFields, values: Mapping[str, Any]) -> str:
    """The short public fields, by their English labels: "Picket or rally, 2026-11-14, Берлин, Germany"."""
    parts = [_shown(form, name, values[name]) for name in fields.public if _short(form, name, values)]
    return ", ".join(parts)[:TITLE_LIMIT] or form.title("en")


def entry_text(form: FormDefinition, fields: WallFields, values: Mapping[str, Any]) -> str:
    """The long texts (the form's textareas), one paragraph each."""
    return "\n\n".join(str(values[n]) for n in fields.public if n in values and _is_long_text(form, n, values))


def web_links(values: Mapping[str, Any]) -> list[str]:
    """Every http(s) address among the public values: a javascript: or data: link never reaches a reader."""
    found = [v for value in values.values() for v in (value if isinstance(value, list) else [value])]
    return [v for v in found if isinstance(v, str) and urlsplit(v).scheme in ("http", "https") and urlsplit(v).netloc]


def _short(form: FormDefinition, name: str, values: Mapping[str, Any]) -> bool:
    value = values.get(name)
    return isinstance(value, str) and not _is_long_text(form, name, values) and not web_links({name: value})


def _is_long_text(form: FormDefinition, name: str, values: Mapping[str, Any]) -> bool:
    return isinstance(values.get(name), str) and form.properties.get(name, {}).get("x-widget") == "textarea"


def _shown(form: FormDefinition, name: str, value: Any) -> str:
    return form.enum_label(name, value, "en") if "enum" in form.properties.get(name, {}) else str(value)


def _text(parent: ET.Element, tag: str, text: str) -> ET.Element:
    child = ET.SubElement(parent, f"{{{ATOM}}}{tag}")
    child.text = clean(text)
    return child


def clean(text: str) -> str:
    return NOT_XML.sub("\ufffd", text)

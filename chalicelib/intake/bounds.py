"""Bounding a parsed body before the validator sees it, and cleaning its text.

jsonschema's cost is not linear in the body: `uniqueItems` compares items pairwise when they
cannot be sorted, and it runs whether or not `maxItems` failed (6,500 objects in 64 KB cost a
minute of CPU). So every array is held to its schema's `maxItems` (or DEFAULT_MAX_ITEMS), the
nesting to MAX_DEPTH and the whole body to MAX_VALUES here, in one linear walk, and a body
past any bound never reaches the validator.

The same walk makes the text safe to store and show: CR LF becomes LF, invisible control
characters other than tab and newline are dropped, and a lone surrogate (which no UTF-8 can
carry) is refused by field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from chalicelib.core.forms import FormDefinition
from chalicelib.intake.texts import message
from chalicelib.intake.validation import FieldError, pointer

MAX_DEPTH = 6
MAX_VALUES = 2000
DEFAULT_MAX_ITEMS = 100
# C0 and C1 controls, DEL, except tab (\t) and newline (\n); CR is handled first.
INVISIBLE_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")


class BodyOutOfBounds(Exception):
    """The body is past a bound; `errors` says where."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__(f"{len(errors)} bound(s) exceeded")
        self.errors = errors


@dataclass
class _Walk:
    lang: str
    values: int = 0
    errors: list[FieldError] = field(default_factory=list)

    def value(self, node: Any, schema: Mapping[str, Any], path: list[str | int]) -> Any:
        self.values += 1
        if self.values > MAX_VALUES:
            raise BodyOutOfBounds([FieldError("", message("too_many_values", self.lang, n=MAX_VALUES))])
        if len(path) > MAX_DEPTH:
            self.errors.append(FieldError(pointer(path), message("too_deep", self.lang)))
            return None
        if isinstance(node, str):
            return self.text(node, path)
        if isinstance(node, list):
            return self.array(node, schema, path)
        if isinstance(node, dict):
            return self.object(node, schema, path)
        return node

    def text(self, text: str, path: list[str | int]) -> str:
        if LONE_SURROGATE.search(text):
            self.errors.append(FieldError(pointer(path), message("bad_unicode", self.lang)))
            return ""
        return INVISIBLE_CONTROLS.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))

    def array(self, items: list[Any], schema: Mapping[str, Any], path: list[str | int]) -> list[Any]:
        limit = int(schema.get("maxItems", DEFAULT_MAX_ITEMS))
        if len(items) > limit:
            self.errors.append(FieldError(pointer(path), message("max_items", self.lang, n=limit)))
            return []
        item_schema = schema.get("items", {})
        return [self.value(item, _mapping(item_schema), [*path, index]) for index, item in enumerate(items)]

    def object(self, node: dict[str, Any], schema: Mapping[str, Any], path: list[str | int]) -> dict[str, Any]:
        properties = _mapping(schema.get("properties", {}))
        cleaned = {}
        for name, child in node.items():
            if LONE_SURROGATE.search(name):
                self.errors.append(FieldError(pointer(path), message("bad_unicode", self.lang)))
                continue
            cleaned[name] = self.value(child, _mapping(properties.get(name, {})), [*path, name])
        return cleaned


def bounded(form: FormDefinition, data: dict[str, Any], lang: str) -> dict[str, Any]:
    """`data` with its text cleaned; BodyOutOfBounds when a bound is passed or a text is not Unicode."""
    walk = _Walk(lang)
    cleaned = walk.object(data, form.schema, [])
    if walk.errors:
        raise BodyOutOfBounds(walk.errors)
    return cleaned


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}

"""Check a submission against its form's schema; report every error by field."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chalicelib.core.forms import FormDefinition
from chalicelib.intake.texts import message

if TYPE_CHECKING:
    from jsonschema import ValidationError

INTEGER = re.compile(r"-?[0-9]{1,15}")
# An answer lists this many field errors at most, and counts the rest.
MAX_LISTED_ERRORS = 50
TRUE_WORDS = frozenset({"true", "on", "yes", "1"})
FALSE_WORDS = frozenset({"false", "off", "no", "0"})


@dataclass(frozen=True)
class FieldError:
    field: str  # a JSON Pointer into the submission, e.g. "/links/2"
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


def coerce_form_fields(form: FormDefinition, fields: Mapping[str, list[str]]) -> dict[str, Any]:
    """Turn x-www-form-urlencoded fields into the types the schema asks for.

    Values that do not convert are kept as text, so validation reports them.
    Empty inputs are dropped: an empty optional field in an HTML form means "not given".
    """
    data: dict[str, Any] = {}
    for name, values in fields.items():
        kind = form.properties.get(name, {}).get("type")
        given = [value for value in values if value.strip() != ""]
        if kind == "array":
            if given:
                data[name] = given
        elif given:
            data[name] = _coerce_scalar(kind, given[-1])
        elif kind == "boolean" and values:
            data[name] = False
    return data


def _coerce_scalar(kind: object, value: str) -> Any:
    text = value.strip()
    # ASCII digits only, and few: str.isdigit() takes "²", and int() refuses 5,000 digits.
    if kind == "integer" and INTEGER.fullmatch(text):
        return int(text)
    if kind == "boolean" and text.lower() in TRUE_WORDS | FALSE_WORDS:
        return text.lower() in TRUE_WORDS
    return value


def apply_defaults(form: FormDefinition, data: Mapping[str, Any]) -> dict[str, Any]:
    """Fill in schema defaults (an unticked checkbox sends nothing at all)."""
    filled = dict(data)
    for name, prop in form.properties.items():
        if name not in filled and "default" in prop:
            filled[name] = prop["default"]
    return filled


def validate(form: FormDefinition, data: Any, lang: str) -> list[FieldError]:
    errors: dict[str, FieldError] = {}
    for error in form.validator.iter_errors(data):
        for found in _describe(error, lang):
            errors.setdefault(found.field, found)
    return list(errors.values())


def _describe(error: ValidationError, lang: str) -> Iterable[FieldError]:
    where = pointer(error.absolute_path)
    if error.validator == "required":
        present = error.instance if isinstance(error.instance, dict) else {}
        for name in _names(error.validator_value):
            if name not in present:
                yield FieldError(pointer([*error.absolute_path, name]), message("required", lang))
        return
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = _schema_of(error).get("properties", {})
        for name in error.instance:
            if name not in allowed:
                # The field name is the client's own text: keep it short.
                yield FieldError(pointer([*error.absolute_path, str(name)[:64]]), message("unknown_field", lang))
        return
    yield FieldError(where, _message_for(error, lang))


# The text for each rule broken, by JSON Schema keyword; rules with a limit say it ({n}).
COUNTED = {
    "minLength": "min_length",
    "maxLength": "max_length",
    "minimum": "minimum",
    "maximum": "maximum",
    "minItems": "min_items",
    "maxItems": "max_items",
}
TYPE_NAMES = {
    "string": "type_string",
    "integer": "type_integer",
    "number": "type_number",
    "boolean": "type_boolean",
    "array": "type_array",
    "object": "type_object",
}
FORMATS = {"date": "format_date", "email": "format_email", "uri": "format_uri"}
OTHER_RULES = {"enum": "enum", "const": "enum", "uniqueItems": "unique_items", "pattern": "pattern"}


def _message_for(error: ValidationError, lang: str) -> str:
    rule, limit = str(error.validator), error.validator_value
    if rule == "minLength" and limit == 1:
        return message("required", lang)
    if rule in COUNTED:
        return message(COUNTED[rule], lang, n=limit)
    if rule == "type":
        expected = limit[0] if isinstance(limit, list) else limit
        if expected in TYPE_NAMES:
            return message("type", lang, expected=message(TYPE_NAMES[expected], lang))
    if rule == "format" and limit in FORMATS:
        return message(FORMATS[limit], lang)
    if rule == "pattern" and _schema_of(error).get("format") == "uri":
        return message("format_uri", lang)
    return message(OTHER_RULES.get(rule, "invalid"), lang)


def _schema_of(error: ValidationError) -> Mapping[str, Any]:
    return error.schema if isinstance(error.schema, Mapping) else {}


def _names(value: object) -> list[str]:
    return [str(name) for name in value] if isinstance(value, list) else []


def pointer(path: Iterable[object]) -> str:
    parts = [str(part).replace("~", "~0").replace("/", "~1") for part in path]
    return "/" + "/".join(parts) if parts else ""

"""Checking a submission against the shipped schemas (chalicelib/intake/validation.py), without a server.

HTML forms send text; it is coerced to the schema's types, defaults fill what an unticked checkbox
leaves out, and every error names its field by JSON Pointer.
"""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.core.forms import FormDefinition, FormRegistry
from chalicelib.intake.texts import message
from chalicelib.intake.validation import FieldError, apply_defaults, coerce_form_fields, pointer, validate

REPORT = {
    "kind": "picket",
    "date": "2026-11-14",
    "city": "Berlin",
    "country": "Germany",
    "description": "Twenty people in front of the embassy.",
}


@pytest.fixture(scope="module")
def forms() -> FormRegistry:
    return FormRegistry.load()


@pytest.fixture(scope="module")
def report_form(forms: FormRegistry) -> FormDefinition:
    form = forms.get("action-report")
    assert form is not None
    return form


@pytest.fixture(scope="module")
def letter_form(forms: FormRegistry) -> FormDefinition:
    form = forms.get("letter-copy")
    assert form is not None
    return form


def errors_by_field(form: FormDefinition, data: Any, lang: str = "en") -> dict[str, str]:
    return {error.field: error.message for error in validate(form, data, lang)}


# --- coercing form fields ------------------------------------------------------------------------


def test_form_fields_take_the_schemas_types(report_form: FormDefinition) -> None:
    fields = {
        "participants": ["20"],
        "consent_publish": ["on"],
        "links": ["https://example.org/photos", "", "https://example.org/video"],
        "city": ["Berlin"],
        "reporter": ["  "],
    }

    assert coerce_form_fields(report_form, fields) == {
        "participants": 20,
        "consent_publish": True,
        "links": ["https://example.org/photos", "https://example.org/video"],
        "city": "Berlin",
    }


@pytest.mark.parametrize(
    ("given", "expected"),
    [(["on"], True), (["yes"], True), (["1"], True), (["TRUE"], True), (["off"], False), (["0"], False), ([""], False)],
)
def test_a_checkbox_value_becomes_a_boolean(report_form: FormDefinition, given: list[str], expected: bool) -> None:
    assert coerce_form_fields(report_form, {"consent_publish": given}) == {"consent_publish": expected}


@pytest.mark.parametrize("text", ["twenty", "²", "1" * 16, "2.5", "0x10"])
def test_a_value_that_does_not_convert_is_kept_as_text_for_validation_to_report(
    report_form: FormDefinition, text: str
) -> None:
    coerced = coerce_form_fields(report_form, {"participants": [text]})

    assert coerced == {"participants": text}
    assert list(errors_by_field(report_form, {**REPORT, **coerced})) == ["/participants"]


def test_the_last_of_repeated_scalar_fields_wins_and_empty_ones_are_not_given(report_form: FormDefinition) -> None:
    coerced = coerce_form_fields(report_form, {"city": ["Bonn", "Berlin"], "country": ["", " "], "links": [""]})
    assert coerced == {"city": "Berlin"}


# --- defaults ------------------------------------------------------------------------------------------


def test_defaults_fill_what_was_not_sent_and_nothing_else(report_form: FormDefinition) -> None:
    assert apply_defaults(report_form, REPORT) == {**REPORT, "consent_publish": False}
    assert apply_defaults(report_form, {"consent_publish": True}) == {"consent_publish": True}


def test_defaults_leave_the_given_data_unchanged(report_form: FormDefinition) -> None:
    data = dict(REPORT)
    apply_defaults(report_form, data)
    assert data == REPORT


# --- errors by JSON pointer ------------------------------------------------------------------------------


def test_a_complete_submission_has_no_errors(report_form: FormDefinition) -> None:
    data = {**REPORT, "participants": 20, "links": ["https://example.org/photos"], "consent_publish": True}
    assert validate(report_form, data, "en") == []


def test_each_missing_required_field_is_named(report_form: FormDefinition, letter_form: FormDefinition) -> None:
    required = message("required", "en")

    assert errors_by_field(report_form, {}) == {
        "/kind": required,
        "/date": required,
        "/city": required,
        "/country": required,
        "/description": required,
    }
    assert set(errors_by_field(letter_form, {"subject": "Letter"})) == {
        "/addressee_kind",
        "/addressee",
        "/channel",
        "/date_sent",
        "/language",
        "/text",
    }


def test_an_empty_required_text_reads_as_missing(report_form: FormDefinition) -> None:
    assert errors_by_field(report_form, {**REPORT, "city": ""}) == {"/city": message("required", "en")}


@pytest.mark.parametrize(
    ("change", "field", "key"),
    [
        ({"kind": "parade"}, "/kind", "enum"),
        ({"date": "14.11.2026"}, "/date", "format_date"),
        ({"participants": 0}, "/participants", "minimum"),
        ({"participants": "many"}, "/participants", "type"),
        ({"email": "anna@"}, "/email", "format_email"),
        ({"links": ["https://example.org", "ftp://example.org/x"]}, "/links/1", "format_uri"),
        ({"attachments": ["01KAX3Z8W6V1R2F7D9QH0M4N5P", "not-an-id"]}, "/attachments/1", "pattern"),
    ],
)
def test_an_invalid_value_is_reported_at_its_json_pointer(
    report_form: FormDefinition, change: dict[str, Any], field: str, key: str
) -> None:
    found = errors_by_field(report_form, {**REPORT, **change})

    assert list(found) == [field]
    if key == "type":
        assert found[field] == message("type", "en", expected=message("type_integer", "en"))
    elif key == "minimum":
        assert found[field] == message("minimum", "en", n=1)
    else:
        assert found[field] == message(key, "en")


def test_too_many_items_are_reported_at_the_list(report_form: FormDefinition) -> None:
    links = [f"https://example.org/{n}" for n in range(11)]
    assert errors_by_field(report_form, {**REPORT, "links": links}) == {"/links": message("max_items", "en", n=10)}


def test_every_error_is_reported_not_just_the_first(report_form: FormDefinition) -> None:
    data = {"kind": "parade", "date": "yesterday", "city": "x" * 101, "participants": -1}

    assert set(errors_by_field(report_form, data)) == {
        "/kind",
        "/date",
        "/city",
        "/participants",
        "/country",
        "/description",
    }


def test_unknown_fields_are_named_escaped_and_shortened(report_form: FormDefinition) -> None:
    long_name = "n" * 100
    found = errors_by_field(report_form, {**REPORT, "nickname": "x", "a/b~c": "y", long_name: "z"})

    assert found == {
        "/nickname": message("unknown_field", "en"),
        "/a~1b~0c": message("unknown_field", "en"),
        "/" + "n" * 64: message("unknown_field", "en"),
    }


def test_messages_come_in_the_asked_language(report_form: FormDefinition) -> None:
    [error] = validate(report_form, {**REPORT, "city": ""}, "ru")

    assert error == FieldError("/city", message("required", "ru"))
    assert error.as_dict() == {"field": "/city", "message": message("required", "ru")}
    assert message("required", "ru") != message("required", "en")


def test_a_body_that_is_no_object_is_reported_at_the_root(report_form: FormDefinition) -> None:
    assert list(errors_by_field(report_form, ["not", "an", "object"])) == [""]


@pytest.mark.parametrize(
    ("path", "expected"),
    [([], ""), (["links", 2], "/links/2"), (["a/b"], "/a~1b"), (["a~b"], "/a~0b"), (["~/"], "/~0~1")],
)
def test_pointers_escape_as_rfc_6901_asks(path: list[object], expected: str) -> None:
    assert pointer(path) == expected

"""What an organizer may publish of one report: its public copy, edited, checked against the form's schema."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from chalicelib.core.forms import FormDefinition
from chalicelib.core.record import SubmissionRecord
from chalicelib.core.wall import WallFields, WallNotDeclared, wall_fields


class WallRefused(Exception):
    """The report cannot be published as asked; the message says why (never quoting a value)."""


def wall_of(form: FormDefinition) -> WallFields:
    try:
        fields = wall_fields(form)
    except WallNotDeclared as error:
        raise WallRefused(str(error)) from None
    if fields is None:
        raise WallRefused(f"form {form.name} has no wall: its schema declares no x-letterbox.public_fields")
    return fields


def publishable(record: SubmissionRecord, form: FormDefinition) -> dict[str, Any]:
    """The public copy of a report the supporter agreed to publish; WallRefused when it may not be."""
    fields = wall_of(form)
    if record.is_encrypted:
        raise WallRefused(
            f"submission {record.id} is encrypted: add --identity FILE (your age key) to publish its public fields"
        )
    if not fields.consented(record.data):
        raise WallRefused(
            f"submission {record.id} cannot be published: the supporter did not tick {fields.consent!r}"
            f" ({form.label(fields.consent, 'en')})"
        )
    return fields.public_copy(record.data)


def with_settings(form: FormDefinition, copy: Mapping[str, Any], settings: Iterable[str]) -> dict[str, Any]:
    """--set field=value, each: a public field only; a list field takes a JSON list or one item; empty removes."""
    edited = dict(copy)
    for setting in settings:
        name, sep, value = setting.partition("=")
        if not sep:
            raise WallRefused(f"--set {name}: write it as field=value")
        check_public(form, [name])
        if value == "":
            edited.pop(name, None)
        else:
            edited[name] = _typed(form.properties[name], value)
    return checked(form, edited)


def with_edited_json(form: FormDefinition, text: str) -> dict[str, Any]:
    """The public copy as the organizer saved it from $EDITOR."""
    try:
        edited = json.loads(text)
    except ValueError:
        raise WallRefused("the edited text is not JSON: nothing was published") from None
    if not isinstance(edited, dict):
        raise WallRefused("the edited text is not a JSON object: nothing was published")
    check_public(form, edited)
    return checked(form, edited)


def check_public(form: FormDefinition, names: Iterable[str]) -> None:
    public = wall_of(form).public
    for name in names:
        if name not in public:
            raise WallRefused(
                f"{name!r} is not a public field of {form.name}: only {', '.join(public)} can be published"
            )


def checked(form: FormDefinition, edited: Mapping[str, Any]) -> dict[str, Any]:
    """Each field valid by its own schema (a link stays http(s), a date a date), in the form's order."""
    from jsonschema import Draft202012Validator, FormatChecker

    for name, value in edited.items():
        validator = Draft202012Validator(form.properties[name], format_checker=FormatChecker())
        if next(validator.iter_errors(value), None) is not None:
            raise WallRefused(f"the value for {name!r} does not fit the form's field: nothing was published")
    return {name: edited[name] for name in form.properties if name in edited}


def _typed(prop: Mapping[str, Any], value: str) -> Any:
    kind = prop.get("type")
    if kind == "array":
        if value.lstrip().startswith("["):
            try:
                return json.loads(value)
            except ValueError:
                raise WallRefused("a list given with --set must be JSON, like '[\"https://…\"]'") from None
        return [value]
    if kind == "integer":
        return int(value) if value.isdigit() else value  # a non-number fails the field's check
    return value

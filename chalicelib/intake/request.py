"""What every POST to a form shares: the request, its content type, and the first checks."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chalicelib.core.forms import FormDefinition, FormRegistry
from chalicelib.core.settings import FormOptions, Settings
from chalicelib.intake import problems

JSON_TYPE = "application/json"
FORM_TYPE = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class SubmitRequest:
    form: str
    headers: Mapping[str, str]  # names in lower case
    body: bytes
    source_ip: str | None = None

    @property
    def content_type(self) -> str:
        return media_type(self.headers)

    @property
    def origin(self) -> str | None:
        return self.headers.get("origin")


def media_type(headers: Mapping[str, str]) -> str:
    """The Content-Type without its parameters (charset, boundary), in lower case."""
    return headers.get("content-type", "").split(";")[0].strip().lower()


def wants_html(headers: Mapping[str, str]) -> bool:
    """A plain HTML form post (no script) gets pages and redirects, not JSON."""
    return media_type(headers) == FORM_TYPE and JSON_TYPE not in headers.get("accept", "")


def find_form(forms: FormRegistry, name: str) -> FormDefinition:
    form = forms.get(name)
    if form is None:
        raise problems.FormNotFound()
    return form


def admit(
    forms: FormRegistry, settings: Settings, request: SubmitRequest, content_types: tuple[str, ...], max_bytes: int
) -> tuple[FormDefinition, FormOptions]:
    """The checks every POST passes first, cheapest first: form, origin, type, size."""
    form = find_form(forms, request.form)
    options = settings.options_for(form.name)
    # Browsers always send Origin on cross-site POSTs; other clients may omit it.
    if request.origin is not None and not options.allows_origin(request.origin):
        raise problems.OriginNotAllowed()
    if request.content_type not in content_types:
        raise problems.UnsupportedMediaType()
    if len(request.body) > max_bytes:
        raise problems.BodyTooLarge(max_bytes)
    return form, options


def parse_json_object(body: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(body)
    except ValueError:
        raise problems.BadRequest("bad_json") from None
    if not isinstance(parsed, dict):
        raise problems.BadRequest("bad_json")
    return parsed

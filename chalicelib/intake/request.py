"""What every POST to a form shares: the request, its content type, and the first checks."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from chalicelib.core.form_choices import FormOptions
from chalicelib.core.forms import FormDefinition, FormRegistry
from chalicelib.core.settings import Settings
from chalicelib.intake import problems

# Characters a URL may carry as they are (RFC 3986's reserved and unreserved ones, and %).
URL_SAFE = ":/?#[]@!$&'()*+,;=%~-._"
CONTROL_OR_SPACE = re.compile(r"[\x00-\x20\x7f-\x9f\u2028\u2029]")
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


def charset(headers: Mapping[str, str]) -> str:
    """The Content-Type's charset parameter, in lower case; empty when not given."""
    for param in headers.get("content-type", "").split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip('"').lower()
    return ""


def wants_html(headers: Mapping[str, str]) -> bool:
    """A plain HTML form post (no script) gets pages and redirects, not JSON."""
    return media_type(headers) == FORM_TYPE and JSON_TYPE not in headers.get("accept", "")


def redirect_target(options: FormOptions, url: str | None) -> str | None:
    """Where a plain form's `_next` may send the supporter: a page of the form's own sites, as ASCII.

    Anything else (another site, a control character) falls back to the thanks page, never an
    open redirect; non-ASCII (an IRI such as /ru/спасибо.html) is percent-encoded, since an HTTP
    header carries ASCII only.
    """
    if not url or CONTROL_OR_SPACE.search(url) or not options.allows_page(url):
        return None
    return quote(url, safe=URL_SAFE)


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
    if charset(request.headers) not in ("", "utf-8", "utf8"):
        raise problems.UnsupportedMediaType("charset_detail")
    if len(request.body) > max_bytes:
        raise problems.BodyTooLarge(max_bytes)
    return form, options


def parse_json_object(body: bytes) -> dict[str, Any]:
    """A JSON object, read as UTF-8 only: no BOM, no duplicate keys, no NaN or Infinity."""
    text = decode_utf8(body, "bad_json")
    try:
        parsed = json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constant, parse_float=_finite)
    except RecursionError:
        # json recurses per level of nesting: [[[... past Python's limit.
        raise problems.BadRequest("too_deep") from None
    except _DuplicateKey:
        raise problems.BadRequest("duplicate_key") from None
    except ValueError:
        raise problems.BadRequest("bad_json") from None
    if not isinstance(parsed, dict):
        raise problems.BadRequest("bad_json")
    return parsed


def decode_utf8(body: bytes, detail_key: str) -> str:
    """The body as text; json.loads would otherwise guess UTF-16 and UTF-32 from the bytes."""
    if body.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        raise problems.BadRequest("bad_encoding")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise problems.BadRequest(detail_key) from None


class _DuplicateKey(Exception):
    """The same key twice in one object: which one the sender meant is unknowable."""


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise _DuplicateKey
    return result


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError("number out of range")
    return number

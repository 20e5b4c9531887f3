"""Turning outcomes into HTTP answers: JSON, problem details, pages, CORS."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from chalice.app import Response

from chalicelib.core.form_choices import FormOptions
from chalicelib.core.form_texts import embed_schema
from chalicelib.core.forms import FormDefinition
from chalicelib.core.settings import Settings
from chalicelib.intake.pages import problem_page, thanks_page
from chalicelib.intake.problems import Problem
from chalicelib.intake.submissions import Accepted
from chalicelib.intake.texts import LANGUAGES, message

ALLOWED_REQUEST_HEADERS = "Content-Type, Accept, Accept-Language, Idempotency-Key"
PREFLIGHT_MAX_AGE = "600"
HTML_TYPE = "text/html; charset=utf-8"
# The API's pages run no script, load nothing and may not be framed (clickjacking).
PAGE_HEADERS = {
    "Content-Type": HTML_TYPE,
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
# The header shape chalice.Response takes.
Headers = dict[str, str | list[str]]


def cors_headers(options: FormOptions, origin: str | None) -> Headers:
    """Echo Origin only when allowed; Vary so caches never mix answers for two sites."""
    headers: Headers = {"Vary": "Origin"}
    if origin is not None and options.allows_origin(origin):
        headers["Access-Control-Allow-Origin"] = origin
        headers["Access-Control-Expose-Headers"] = "Retry-After, Idempotent-Replayed"
    return headers


def refusal_cors_headers(origin: str | None) -> Headers:
    """A refusal holds no data: let any page read it, so the embed can say why instead of "offline"."""
    headers: Headers = {"Vary": "Origin"}
    if origin is not None:
        headers["Access-Control-Allow-Origin"] = origin
    return headers


def preflight_response(options: FormOptions, origin: str | None, methods: str) -> Response:
    headers = cors_headers(options, origin)
    if "Access-Control-Allow-Origin" not in headers:
        return Response(body="", status_code=403, headers=dict(headers))
    headers.update(
        {
            "Access-Control-Allow-Methods": methods,
            "Access-Control-Allow-Headers": ALLOWED_REQUEST_HEADERS,
            "Access-Control-Max-Age": PREFLIGHT_MAX_AGE,
        }
    )
    return Response(body="", status_code=204, headers=dict(headers))


def json_response(status: int, body: Any, headers: Mapping[str, str | list[str]] | None = None) -> Response:
    return Response(
        body=json.dumps(body, ensure_ascii=False),
        status_code=status,
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "X-Content-Type-Options": "nosniff",
            **(headers or {}),
        },
    )


def html_response(status: int, html: str, headers: Mapping[str, str | list[str]] | None = None) -> Response:
    return Response(body=html, status_code=status, headers={**PAGE_HEADERS, **(headers or {})})


def accepted_response(accepted: Accepted, html: bool, lang: str) -> Response:
    extra: Headers = {"Idempotent-Replayed": "true"} if accepted.replayed else {}
    if html:
        # Relative, so it resolves under any API Gateway stage prefix.
        location = accepted.next_url or f"thanks?lang={lang}"
        return Response(body="", status_code=303, headers={**extra, "Location": location})
    return json_response(201, {"id": accepted.submission_id, "form": accepted.form}, extra)


def problem_response(
    problem: Problem,
    lang: str,
    html: bool,
    headers: Mapping[str, str | list[str]],
    form: FormDefinition | None = None,
    back_url: str | None = None,
    request_id: str | None = None,
) -> Response:
    all_headers = {**headers, **problem.headers}
    body = problem.body(lang, request_id)
    if html:
        detail = message(problem.page_detail_key, lang, **problem.params)
        page = problem_page(lang, body["title"], detail, problem.page_errors, form, back_url)
        return html_response(problem.status, page, all_headers)
    return json_response(
        problem.status, body, {**all_headers, "Content-Type": "application/problem+json; charset=utf-8"}
    )


def thanks_response(form: FormDefinition | None, lang: str, referer: str | None, options: FormOptions) -> Response:
    return html_response(200, thanks_page(form, lang, allowed_back_url(options, referer)))


def allowed_back_url(options: FormOptions, url: str | None) -> str | None:
    """A link back to the supporter's page, only to a site on the form's allow-list."""
    return url if options.allows_page(url) else None


def form_list(forms: Iterable[FormDefinition]) -> dict[str, Any]:
    return {"forms": [{"form": form.name, "title": {lang: form.title(lang) for lang in LANGUAGES}} for form in forms]}


def public_definition(form: FormDefinition, settings: Settings) -> dict[str, Any]:
    captcha_on = settings.captcha_for(form.name)
    options = settings.options_for(form.name)
    hcaptcha = captcha_on and options.captcha != "altcha"
    return {
        "form": form.name,
        "version": form.version,
        "title": {lang: form.title(lang) for lang in LANGUAGES},
        "schema": embed_schema(form),
        "captcha": {
            "enabled": captcha_on,
            # "altcha": the widget fetches each challenge from GET /forms/{form}/challenge.
            "provider": options.captcha if captcha_on else None,
            "sitekey": settings.hcaptcha_sitekey if hcaptcha else None,
            "test_keys": hcaptcha and settings.uses_test_captcha_keys,
        },
        "limits": {"max_body_bytes": settings.max_body_bytes},
        # Public keys: the browser encrypts the form's files to them before they leave the device.
        "encryption": {"recipients": list(options.encrypt_to)} if options.encrypts else None,
    }

"""letterbox: routes and event handlers only; the logic lives in chalicelib/."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable

from chalice.app import Chalice, Request, Response, SQSEvent

from chalicelib import runtime, web
from chalicelib.batch import QueueRecord, process_batch
from chalicelib.messages import negotiate_language
from chalicelib.problems import InternalError, Problem
from chalicelib.settings import ConfigError
from chalicelib.submissions import SubmitRequest, wants_html

app = Chalice(app_name="letterbox")
# Read when Chalice builds the event source mapping (deploy, package); the deploy sets it.
NOTIFY_QUEUE = os.environ.get("LETTERBOX_NOTIFY_QUEUE", "letterbox-dev-notify")
app.log.setLevel(logging.INFO)
# botocore at INFO names endpoints and credential sources on every cold start: noise.
logging.getLogger("botocore").setLevel(logging.WARNING)


def _request() -> Request:
    request = app.current_request
    if request is None:  # only outside a request, which routes never are
        raise RuntimeError("no current request")
    return request


def _headers() -> dict[str, str]:
    return {name.lower(): value for name, value in _request().headers.items()}


def _answer(form_name: str | None, respond: Callable[[], Response]) -> Response:
    """Run a route; any failure becomes a problem answer in the caller's language."""
    headers = _headers()
    lang = negotiate_language(headers.get("accept-language"))
    try:
        options = runtime.settings().options_for(form_name or "")
    except ConfigError as error:
        # The operator's mistake, named in the log; the caller learns only that it failed.
        app.log.error("configuration error: %s", error)
        return web.problem_response(InternalError(), lang, wants_html(headers), {})
    cors = web.cors_headers(options, headers.get("origin"))
    try:
        response = respond()
    except Problem as problem:
        form = runtime.forms().get(form_name or "")
        back = web.allowed_back_url(options, headers.get("referer"))
        return web.problem_response(problem, lang, wants_html(headers), cors, form, back)
    except Exception:
        request_id = _request().context.get("requestId", "")
        # Only the type and request id: a traceback's locals could hold submitted data.
        app.log.exception("unhandled error request_id=%s", request_id)
        return web.problem_response(InternalError(), lang, wants_html(headers), cors, request_id=request_id)
    response.headers = {**cors, **response.headers}
    return response


def _as_bytes(body: str | bytes | None) -> bytes:
    return body.encode() if isinstance(body, str) else (body or b"")


@app.route("/health")
def health() -> Response:
    return web.json_response(200, {"status": "ok"})


@app.route("/forms")
def list_forms() -> Response:
    forms = [{"form": form.name, "title": {"en": form.title("en"), "ru": form.title("ru")}} for form in runtime.forms()]
    return web.json_response(200, {"forms": forms})


@app.route("/forms/{form}")
def form_definition(form: str) -> Response:
    def respond() -> Response:
        definition = web.public_definition(runtime.submission_service().form(form), runtime.settings())
        return web.json_response(200, definition, {"Cache-Control": "public, max-age=300"})

    return _answer(form, respond)


@app.route("/forms/{form}/submissions", methods=["POST"], content_types=["*/*"])
def submit(form: str) -> Response:
    submit_request = _submit_request(form)
    headers = submit_request.headers
    lang = negotiate_language(headers.get("accept-language"))

    def respond() -> Response:
        accepted = runtime.submission_service().submit(submit_request, lang)
        return web.accepted_response(accepted, wants_html(headers), lang, {})

    return _answer(form, respond)


@app.route("/forms/{form}/submissions", methods=["OPTIONS"])
def submit_preflight(form: str) -> Response:
    return _preflight(form)


def _submit_request(form: str) -> SubmitRequest:
    request = _request()
    return SubmitRequest(
        form=form,
        headers=_headers(),
        body=_as_bytes(request.raw_body),
        source_ip=request.context.get("identity", {}).get("sourceIp"),
    )


def _preflight(form: str) -> Response:
    def respond() -> Response:
        runtime.submission_service().form(form)
        return web.preflight_response(runtime.settings().options_for(form), _headers().get("origin"), "POST, OPTIONS")

    return _answer(form, respond)


@app.route("/forms/{form}/uploads", methods=["POST"], content_types=["*/*"])
def create_upload(form: str) -> Response:
    submit_request = _submit_request(form)
    lang = negotiate_language(submit_request.headers.get("accept-language"))

    def respond() -> Response:
        return web.json_response(201, runtime.upload_service().create(submit_request, lang))

    return _answer(form, respond)


@app.route("/forms/{form}/uploads", methods=["OPTIONS"])
def upload_preflight(form: str) -> Response:
    return _preflight(form)


@app.route("/forms/{form}/thanks")
def thanks(form: str) -> Response:
    headers = _headers()
    query = _request().query_params
    requested = query.get("lang") if query else None
    lang = requested if requested in ("en", "ru") else negotiate_language(headers.get("accept-language"))
    definition = runtime.forms().get(form)
    options = runtime.settings().options_for(form)
    return web.thanks_response(definition, lang, headers.get("referer"), options)


@app.on_sqs_message(queue=NOTIFY_QUEUE, batch_size=10, name="notify")
def notify(event: SQSEvent) -> None:
    records = [QueueRecord.from_lambda(record) for record in event.to_dict()["Records"]]
    result = process_batch(records, runtime.notifier())
    runtime.batch_settler().settle(result)

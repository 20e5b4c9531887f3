"""letterbox: routes and event handlers only; the logic lives in chalicelib/."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable

from chalice.app import Chalice, Request, Response, SQSEvent

from chalicelib import runtime
from chalicelib.core.logsafe import error_summary
from chalicelib.core.settings import ConfigError
from chalicelib.intake import responses as web
from chalicelib.intake.problems import InternalError, Problem
from chalicelib.intake.request import SubmitRequest, wants_html
from chalicelib.intake.texts import LANGUAGES, negotiate_language
from chalicelib.notify.batch import QueueRecord, process_batch

app = Chalice(app_name="letterbox")
app.log.setLevel(logging.INFO)
# botocore at INFO names endpoints and credential sources on every cold start: noise.
logging.getLogger("botocore").setLevel(logging.WARNING)
# Read when Chalice builds the event source mapping (deploy, package); the deploy sets it.
NOTIFY_QUEUE = os.environ.get("LETTERBOX_NOTIFY_QUEUE", "letterbox-dev-notify")


@app.route("/health")
def health() -> Response:
    return web.json_response(200, {"status": "ok"})


@app.route("/forms")
def list_forms() -> Response:
    return _answer(None, lambda _lang: web.json_response(200, web.form_list(runtime.forms())))


@app.route("/forms/{form}")
def form_definition(form: str) -> Response:
    def respond(_lang: str) -> Response:
        definition = web.public_definition(runtime.submission_service().form(form), runtime.settings())
        return web.json_response(200, definition, {"Cache-Control": "public, max-age=300"})

    return _answer(form, respond)


@app.route("/forms/{form}/submissions", methods=["POST"], content_types=["*/*"])
def submit(form: str) -> Response:
    def respond(lang: str) -> Response:
        request = _submit_request(form)
        accepted = runtime.submission_service().submit(request, lang)
        return web.accepted_response(accepted, wants_html(request.headers), lang)

    return _answer(form, respond)


@app.route("/forms/{form}/uploads", methods=["POST"], content_types=["*/*"])
def create_upload(form: str) -> Response:
    def respond(lang: str) -> Response:
        return web.json_response(201, runtime.upload_service().create(_submit_request(form), lang))

    return _answer(form, respond)


@app.route("/forms/{form}/submissions", methods=["OPTIONS"])
def submit_preflight(form: str) -> Response:
    return _preflight(form)


@app.route("/forms/{form}/uploads", methods=["OPTIONS"])
def upload_preflight(form: str) -> Response:
    return _preflight(form)


@app.route("/forms/{form}/thanks")
def thanks(form: str) -> Response:
    def respond(lang: str) -> Response:
        query = _request().query_params
        requested = query.get("lang") if query else None
        options = runtime.settings().options_for(form)
        referer = _headers().get("referer")
        chosen = requested if requested in LANGUAGES else lang
        return web.thanks_response(runtime.forms().get(form), chosen, referer, options)

    return _answer(form, respond)


@app.on_sqs_message(queue=NOTIFY_QUEUE, batch_size=10, name="notify")
def notify(event: SQSEvent) -> None:
    records = [QueueRecord.from_lambda(record) for record in event.to_dict()["Records"]]
    result = process_batch(records, runtime.notifier())
    runtime.batch_settler().settle(result)


# Helpers ------------------------------------------------------------------------------------------


def _answer(form_name: str | None, respond: Callable[[str], Response]) -> Response:
    """Run a route in the caller's language; any failure becomes a problem answer."""
    headers = _headers()
    lang = negotiate_language(headers.get("accept-language"))
    html = wants_html(headers)
    try:
        options = runtime.settings().options_for(form_name or "")
    except ConfigError as error:
        # The operator's mistake, named in the log; the caller learns only that it failed.
        app.log.error("configuration error: %s", error)
        return web.problem_response(InternalError(), lang, html, {})
    cors = web.cors_headers(options, headers.get("origin"))
    try:
        response = respond(lang)
    except Problem as problem:
        form = runtime.forms().get(form_name or "")
        back = web.allowed_back_url(options, headers.get("referer"))
        return web.problem_response(problem, lang, html, cors, form, back)
    except Exception as error:  # noqa: BLE001 (the last line of defence: a 500, never a traceback to the caller)
        request_id = _request().context.get("requestId", "")
        # The type and where, not the message: a message can quote submitted data.
        app.log.error("unhandled error request_id=%s: %s", request_id, error_summary(error))
        return web.problem_response(InternalError(), lang, html, cors, request_id=request_id)
    response.headers = {**cors, **response.headers}
    return response


def _preflight(form: str) -> Response:
    def respond(_lang: str) -> Response:
        runtime.submission_service().form(form)
        return web.preflight_response(runtime.settings().options_for(form), _headers().get("origin"), "POST, OPTIONS")

    return _answer(form, respond)


def _submit_request(form: str) -> SubmitRequest:
    request = _request()
    body = request.raw_body
    return SubmitRequest(
        form=form,
        headers=_headers(),
        body=body.encode() if isinstance(body, str) else (body or b""),
        source_ip=request.context.get("identity", {}).get("sourceIp"),
    )


def _headers() -> dict[str, str]:
    return {name.lower(): value for name, value in _request().headers.items()}


def _request() -> Request:
    request = app.current_request
    if request is None:  # only outside a request, which routes never are
        raise RuntimeError("no current request")
    return request

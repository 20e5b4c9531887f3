"""The API's routes behind app.py: each answers in the caller's language; any failure is a problem answer.

app.py imports none of this at module level, so the notify function never loads the intake package.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from chalice.app import Request, Response

from chalicelib.core.logsafe import error_summary
from chalicelib.core.settings import ConfigError
from chalicelib.intake import responses
from chalicelib.intake.problems import InternalError, NoChallenge, OriginNotAllowed, Problem
from chalicelib.intake.request import SubmitRequest, find_form, wants_html
from chalicelib.intake.texts import LANGUAGES, negotiate_language

if TYPE_CHECKING:
    # Each service is imported by its getter (chalicelib/runtime.py) on the first request that needs it:
    # a cold submission does not load the wall, the review link, the uploads or ALTCHA.
    from chalicelib.core.forms import FormRegistry
    from chalicelib.core.settings import Settings
    from chalicelib.intake.altcha_challenges import AltchaChallenges
    from chalicelib.intake.review import ReviewService
    from chalicelib.intake.submissions import SubmissionService
    from chalicelib.intake.uploads import UploadService
    from chalicelib.intake.wall_api import WallReader

# The app's own logger (Chalice names it after the app and gives it a handler).
log = logging.getLogger("letterbox")
Respond = Callable[[str], Response]


@dataclass(frozen=True)
class Services:
    """Getters, not built objects: a configuration error must become a 500 per request, not an import error."""

    settings: Callable[[], Settings]
    forms: Callable[[], FormRegistry]
    submissions: Callable[[], SubmissionService]
    uploads: Callable[[], UploadService]
    wall: Callable[[], WallReader]
    review: Callable[[], ReviewService]
    challenges: Callable[[], AltchaChallenges]


class HttpApi:
    def __init__(self, services: Services) -> None:
        self._services = services

    def health(self) -> Response:
        return responses.json_response(200, {"status": "ok"})

    def list_forms(self, request: Request) -> Response:
        forms = self._services.forms
        return self._answer(request, None, lambda _lang: responses.json_response(200, responses.form_list(forms())))

    def form_definition(self, request: Request, form: str) -> Response:
        def respond(lang: str) -> Response:
            settings = self._services.settings()
            found = self._services.submissions().form(form)
            origin = lower_headers(request).get("origin")
            # Said before a supporter types anything: a page of a site not allowed to send this form.
            if origin is not None and not settings.options_for(form).allows_origin(origin):
                raise OriginNotAllowed("origin_form_detail")
            from chalicelib.intake.embed_texts import embed_definition  # the embed's texts: this route's alone

            definition = {**responses.public_definition(found, settings), **embed_definition(found, lang)}
            # In the language of Accept-Language (the page's own, as letterbox.js sends it).
            headers = {"Cache-Control": "public, max-age=300", "Vary": "Origin, Accept-Language"}
            return responses.json_response(200, definition, headers)

        return self._answer(request, form, respond)

    def challenge(self, request: Request, form: str) -> Response:
        def respond(_lang: str) -> Response:
            found = find_form(self._services.forms(), form)
            options = self._services.settings().options_for(found.name)
            origin = lower_headers(request).get("origin")
            if origin is not None and not options.allows_origin(origin):
                raise OriginNotAllowed()  # a challenge is for the form's own sites
            if options.captcha != "altcha":
                raise NoChallenge()
            body = self._services.challenges().issue(found.name, options.altcha_max_number)
            # Each challenge is good for one submission: no cache may hand the same one to two people.
            return responses.json_response(200, body, {"Cache-Control": "no-store"})

        return self._answer(request, form, respond)

    def submit(self, request: Request, form: str) -> Response:
        def respond(lang: str) -> Response:
            submitted = submit_request(request, form)
            accepted = self._services.submissions().submit(submitted, lang)
            return responses.accepted_response(accepted, wants_html(submitted.headers), lang)

        return self._answer(request, form, respond)

    def create_upload(self, request: Request, form: str) -> Response:
        def respond(lang: str) -> Response:
            return responses.json_response(201, self._services.uploads().create(submit_request(request, form), lang))

        return self._answer(request, form, respond)

    def preflight(self, request: Request, form: str) -> Response:
        def respond(_lang: str) -> Response:
            find_form(self._services.forms(), form)
            options = self._services.settings().options_for(form)
            return responses.preflight_response(options, lower_headers(request).get("origin"), "POST, OPTIONS")

        return self._answer(request, form, respond)

    def thanks(self, request: Request, form: str) -> Response:
        def respond(lang: str) -> Response:  # ?lang= is the sent form's (page_language)
            options = self._services.settings().options_for(form)
            referer = lower_headers(request).get("referer")
            return responses.thanks_response(find_form(self._services.forms(), form), lang, referer, options)

        return self._answer(request, form, respond)

    def wall(self, request: Request, form: str) -> Response:
        def respond(_lang: str) -> Response:
            if_none_match = lower_headers(request).get("if-none-match")
            return self._services.wall().feed(form, request.query_params, if_none_match)

        return self._answer(request, form, respond)

    def wall_atom(self, request: Request, form: str) -> Response:
        def respond(_lang: str) -> Response:
            return self._services.wall().atom(form, lower_headers(request).get("if-none-match"))

        return self._answer(request, form, respond)

    def review_page(self, request: Request, form: str, submission_id: str) -> Response:
        review = self._services.review
        return self._answer(request, form, lambda _lang: review().show(form, submission_id, request.query_params))

    def review_decision(self, request: Request, form: str, submission_id: str) -> Response:
        body = submit_request(request, form).body
        return self._answer(request, form, lambda _lang: self._services.review().decide(form, submission_id, body))

    def _answer(self, request: Request, form_name: str | None, respond: Respond) -> Response:
        headers = lower_headers(request)
        lang = page_language(request.query_params, headers.get("accept-language"))
        html = wants_html(headers)
        try:
            options = self._services.settings().options_for(form_name or "")
        except ConfigError as error:
            # The operator's mistake, named in the log; the caller learns only that it failed.
            log.error("configuration error: %s", error)
            return responses.problem_response(InternalError(), lang, html, {})
        cors = responses.cors_headers(options, headers.get("origin"))
        try:
            response = respond(lang)
        except Problem as problem:
            if isinstance(problem, OriginNotAllowed):
                cors = responses.refusal_cors_headers(headers.get("origin"))
            form = self._services.forms().get(form_name or "")
            back = responses.allowed_back_url(options, headers.get("referer"))
            return responses.problem_response(problem, lang, html, cors, form, back)
        except Exception as error:  # noqa: BLE001 (the last line of defence: a 500, never a traceback to the caller)
            # API Gateway gives every request an id; chalice local does not, so make one to quote.
            request_id = str(request.context.get("requestId") or uuid.uuid4())
            # The type and where, not the message: a message can quote submitted data.
            log.error("unhandled error request_id=%s: %s", request_id, error_summary(error))
            return responses.problem_response(InternalError(), lang, html, cors, request_id=request_id)
        response.headers = {**cors, **response.headers}
        return response


def submit_request(request: Request, form: str) -> SubmitRequest:
    body = request.raw_body
    return SubmitRequest(
        form=form,
        headers=lower_headers(request),
        body=body.encode() if isinstance(body, str) else (body or b""),
        source_ip=request.context.get("identity", {}).get("sourceIp"),
    )


def lower_headers(request: Request) -> dict[str, str]:
    return {name.lower(): value for name, value in request.headers.items()}


def page_language(query: Mapping[str, str] | None, accept_language: str | None) -> str:
    """?lang= when it names a language we have (a hand-written form's action says the page's), else the browser's.

    A plain HTML post carries no page language of its own: the thank-you and error pages would follow
    the browser's settings, not the form the supporter read.
    """
    given = (query or {}).get("lang", "")
    return given if given in LANGUAGES else negotiate_language(accept_language)

"""The submission API, end to end against the local AWS and the siteverify stand-in."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from chalice.test import Client

from app import app
from chalicelib import runtime
from devstack.siteverify import SiteverifyServer
from tests.conftest import CAMPAIGN_ORIGIN, TEST_TOKEN, stored_objects

REPORT: dict[str, Any] = {
    "kind": "picket",
    "date": "2026-11-14",
    "city": "Берлин",
    "country": "Germany",
    "description": "Twenty people stood with banners in front of the embassy.",
    "participants": 20,
    "links": ["https://example.org/photo1", "https://example.org/article"],
}
JSON_HEADERS = {"Content-Type": "application/json", "Origin": CAMPAIGN_ORIGIN}


@pytest.fixture
def client(app_env: dict[str, str]) -> Iterator[Client]:
    # A stage with no variables in .chalice/config.json: the test sets them all.
    with Client(app, stage_name="test") as test_client:
        yield test_client


def post_json(client: Client, body: Any, form: str = "action-report", **headers: str) -> Any:
    payload = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return client.http.post(f"/forms/{form}/submissions", headers={**JSON_HEADERS, **headers}, body=payload)


def with_token(data: dict[str, Any], token: str = TEST_TOKEN) -> dict[str, Any]:
    return {**data, "h-captcha-response": token}


def count_stored(s3: Any, bucket: str) -> int:
    return len(stored_objects(s3, bucket, "submissions/"))


def test_valid_json_submission_is_stored_once_with_its_metadata(
    client: Client, s3: Any, app_env: dict[str, str]
) -> None:
    response = post_json(client, with_token(REPORT))

    assert response.status_code == 201
    answer = json.loads(response.body)
    assert answer["form"] == "action-report"
    assert response.headers["Access-Control-Allow-Origin"] == CAMPAIGN_ORIGIN
    [key] = [
        k for k in stored_objects(s3, app_env["LETTERBOX_BUCKET"], "submissions/action-report/") if answer["id"] in k
    ]
    assert key.endswith(f"/{answer['id']}.json")
    stored = json.loads(s3.get_object(Bucket=app_env["LETTERBOX_BUCKET"], Key=key)["Body"].read())
    assert stored["id"] == answer["id"]
    assert stored["form"] == "action-report"
    assert len(stored["schema_version"]) == 12
    assert stored["received_at"].endswith("Z")
    assert stored["data"] == {**REPORT, "consent_publish": False}
    assert key.startswith("submissions/action-report/" + stored["received_at"][:10].replace("-", "/") + "/")


def test_stored_object_holds_no_ip_user_agent_or_captcha_token(
    client: Client, s3: Any, app_env: dict[str, str]
) -> None:
    response = post_json(client, with_token(REPORT), **{"User-Agent": "Mozilla/5.0 test"})
    submission_id = json.loads(response.body)["id"]
    [key] = [k for k in stored_objects(s3, app_env["LETTERBOX_BUCKET"], "submissions/") if submission_id in k]
    raw = s3.get_object(Bucket=app_env["LETTERBOX_BUCKET"], Key=key)["Body"].read().decode()
    assert set(json.loads(raw)) == {"version", "id", "form", "schema_version", "received_at", "data", "attachments"}
    assert "Mozilla" not in raw
    assert TEST_TOKEN not in raw
    assert "127.0.0.1" not in raw


def test_every_field_error_is_reported_at_once_by_pointer(client: Client, s3: Any, app_env: dict[str, str]) -> None:
    before = count_stored(s3, app_env["LETTERBOX_BUCKET"])
    bad = {
        "kind": "parade",
        "date": "14.11.2026",
        "country": "x" * 101,
        "participants": "many",
        "links": ["https://ok.example", "javascript:alert(1)"],
        "email": "not-an-email",
        "shoe_size": 44,
    }

    response = post_json(client, with_token(bad))

    assert response.status_code == 422
    assert response.headers["Content-Type"].startswith("application/problem+json")
    problem = json.loads(response.body)
    assert problem["status"] == 422
    assert problem["type"] == "urn:letterbox:problem:invalid-submission"
    fields = {error["field"]: error["message"] for error in problem["errors"]}
    assert fields == {
        "/kind": "Choose one of the offered options.",
        "/date": "Must be a date like 2026-11-14.",
        "/city": "This field is required.",
        "/description": "This field is required.",
        "/country": "Must be at most 100 characters.",
        "/participants": "Must be a whole number.",
        "/links/1": "Must be a web address starting with http:// or https://.",
        "/email": "Must be an email address like name@example.org.",
        "/shoe_size": "This field is not part of the form.",
    }
    assert "parade" not in response.body.decode()
    assert "not-an-email" not in response.body.decode()
    assert count_stored(s3, app_env["LETTERBOX_BUCKET"]) == before


def test_errors_are_in_russian_when_the_supporter_reads_russian(client: Client) -> None:
    response = post_json(
        client, with_token({"kind": "picket", "country": "y" * 101}), **{"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5"}
    )

    problem = json.loads(response.body)
    assert response.status_code == 422
    assert problem["title"] == "Проверьте, пожалуйста, некоторые поля"
    fields = {error["field"]: error["message"] for error in problem["errors"]}
    assert fields["/city"] == "Это поле обязательно."
    assert fields["/country"] == "Не длиннее 100 символов."


@pytest.mark.parametrize(
    ("accept_language", "title", "required", "too_long"),
    [
        (
            "fr-CA;q=0.9, en;q=0.5",
            "Certains champs sont à vérifier",
            "Ce champ est obligatoire.",
            "Au plus 100 caractères.",
        ),
        (
            "de-AT,de;q=0.9,*;q=0.1",
            "Bitte prüfen Sie einige Felder",
            "Dieses Feld ist erforderlich.",
            "Höchstens 100 Zeichen.",
        ),
        ("es-419, ru;q=0.8", "Revise algunos campos", "Este campo es obligatorio.", "Como máximo 100 caracteres."),
        (
            "ru;q=0.2, fr;q=0",
            "Проверьте, пожалуйста, некоторые поля",
            "Это поле обязательно.",
            "Не длиннее 100 символов.",
        ),
        ("fr;q=0, pl", "Some fields need your attention", "This field is required.", "Must be at most 100 characters."),
    ],
)
def test_errors_are_in_the_best_language_of_accept_language(
    client: Client, accept_language: str, title: str, required: str, too_long: str
) -> None:
    response = post_json(
        client, with_token({"kind": "picket", "country": "y" * 101}), **{"Accept-Language": accept_language}
    )

    problem = json.loads(response.body)
    assert response.status_code == 422
    assert problem["title"] == title
    fields = {error["field"]: error["message"] for error in problem["errors"]}
    assert (fields["/city"], fields["/country"]) == (required, too_long)


@pytest.mark.parametrize("payload", [b"{not json", b"[1, 2]", b'"text"'])
def test_a_body_that_is_not_a_json_object_is_a_400(client: Client, payload: bytes) -> None:
    response = post_json(client, payload)

    assert response.status_code == 400
    assert json.loads(response.body)["detail"] == "The body is not valid JSON, or not a JSON object."


def test_missing_captcha_token_is_a_400_naming_the_field(client: Client, s3: Any, app_env: dict[str, str]) -> None:
    before = count_stored(s3, app_env["LETTERBOX_BUCKET"])

    response = post_json(client, REPORT)

    assert response.status_code == 400
    problem = json.loads(response.body)
    assert problem["errors"] == [{"field": "/h-captcha-response", "message": problem["detail"]}]
    assert "not completed" in problem["detail"]
    assert count_stored(s3, app_env["LETTERBOX_BUCKET"]) == before


@pytest.mark.parametrize(
    ("token_kind", "expected"),
    [("unknown", "not accepted"), ("spent", "already used"), ("expired", "expired")],
)
def test_rejected_captcha_tokens_get_plain_messages(
    client: Client, siteverify: SiteverifyServer, token_kind: str, expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_real_style_keys(monkeypatch, siteverify)
    token = {
        "unknown": lambda: "P1_never-issued",
        "spent": lambda: spend(siteverify.state.issue_token("campaign.example"), siteverify),
        "expired": lambda: siteverify.state.issue_token("campaign.example", age=timedelta(minutes=5)),
    }[token_kind]()

    response = post_json(client, with_token(REPORT, token))

    assert response.status_code == 400
    assert expected in json.loads(response.body)["detail"]


def test_captcha_solved_on_another_site_is_rejected(
    client: Client, siteverify: SiteverifyServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_real_style_keys(monkeypatch, siteverify)

    response = post_json(client, with_token(REPORT, siteverify.state.issue_token("evil.example")))

    assert response.status_code == 400
    assert "site this form does not belong to" in json.loads(response.body)["detail"]


def test_captcha_from_an_allowed_site_is_accepted_and_siteverify_gets_secret_and_sitekey(
    client: Client, siteverify: SiteverifyServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_real_style_keys(monkeypatch, siteverify)
    token = siteverify.state.issue_token("campaign.example")

    response = post_json(client, with_token(REPORT, token))

    assert response.status_code == 201
    sent = siteverify.state.requests[-1]
    assert sent == {"secret": "0xcampaign-secret", "response": token, "sitekey": "campaign-sitekey"}


def test_captcha_service_down_is_a_503_with_retry_after_and_nothing_stored(
    client: Client, siteverify: SiteverifyServer, s3: Any, app_env: dict[str, str]
) -> None:
    before = count_stored(s3, app_env["LETTERBOX_BUCKET"])
    siteverify.state.failing_status = 503

    response = post_json(client, with_token(REPORT))

    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    assert "captcha service cannot be reached" in json.loads(response.body)["detail"]
    assert count_stored(s3, app_env["LETTERBOX_BUCKET"]) == before


def test_captcha_service_unreachable_is_a_503(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HCAPTCHA_VERIFY_URL", f"http://127.0.0.1:{closed_port()}/siteverify")
    runtime.reset()

    response = post_json(client, with_token(REPORT))

    assert response.status_code == 503
    assert "Retry-After" in response.headers


def test_storage_unreachable_is_a_503_with_retry_after(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", f"http://127.0.0.1:{closed_port()}")
    runtime.reset()

    response = post_json(client, with_token(REPORT))

    assert response.status_code == 503
    assert "Retry-After" in response.headers
    assert "could not be saved" in json.loads(response.body)["detail"]


def test_missing_bucket_is_a_503_not_a_stack_trace(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LETTERBOX_BUCKET", "no-such-bucket-here")
    runtime.reset()

    response = post_json(client, with_token(REPORT))

    assert response.status_code == 503
    assert "Traceback" not in response.body.decode()


def test_origin_not_on_the_allow_list_is_a_403_the_page_may_read(client: Client) -> None:
    response = post_json(client, with_token(REPORT), Origin="https://evil.example")

    assert response.status_code == 403
    # The refusal holds no data: the embed reads it to say "this site is not allowed".
    assert response.headers["Access-Control-Allow-Origin"] == "https://evil.example"
    assert "Access-Control-Expose-Headers" not in response.headers


def test_body_over_the_limit_is_a_413(client: Client, s3: Any, app_env: dict[str, str]) -> None:
    before = count_stored(s3, app_env["LETTERBOX_BUCKET"])

    response = post_json(client, with_token({**REPORT, "description": "x" * 70_000}))

    assert response.status_code == 413
    assert "64 KB" in json.loads(response.body)["detail"]
    assert count_stored(s3, app_env["LETTERBOX_BUCKET"]) == before


@pytest.mark.parametrize("content_type", ["text/plain", "multipart/form-data; boundary=x", "application/xml"])
def test_other_content_types_are_a_415(client: Client, content_type: str) -> None:
    response = post_json(client, with_token(REPORT), **{"Content-Type": content_type})

    assert response.status_code == 415
    assert json.loads(response.body)["type"] == "urn:letterbox:problem:unsupported-media-type"


def test_unknown_form_is_a_404(client: Client) -> None:
    assert post_json(client, with_token(REPORT), form="no-such-form").status_code == 404
    assert client.http.get("/forms/no-such-form").status_code == 404


def test_filled_honeypot_gets_the_success_answer_and_nothing_is_stored(
    client: Client, s3: Any, app_env: dict[str, str]
) -> None:
    before = count_stored(s3, app_env["LETTERBOX_BUCKET"])

    response = post_json(client, {**with_token(REPORT), "_gotcha": "http://spam.example"})

    assert response.status_code == 201
    assert set(json.loads(response.body)) == {"id", "form"}
    assert count_stored(s3, app_env["LETTERBOX_BUCKET"]) == before


def test_a_retry_with_the_same_idempotency_key_returns_the_first_answer(
    client: Client, siteverify: SiteverifyServer, s3: Any, app_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    use_real_style_keys(monkeypatch, siteverify)
    token = siteverify.state.issue_token("campaign.example")
    first = post_json(client, with_token(REPORT, token), **{"Idempotency-Key": "key-123"})
    after_first = count_stored(s3, app_env["LETTERBOX_BUCKET"])

    retry = post_json(client, with_token(REPORT, token), **{"Idempotency-Key": "key-123"})

    assert first.status_code == retry.status_code == 201
    assert json.loads(retry.body) == json.loads(first.body)
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert count_stored(s3, app_env["LETTERBOX_BUCKET"]) == after_first


def test_the_same_idempotency_key_on_another_form_is_a_new_submission(client: Client) -> None:
    first = post_json(client, with_token(REPORT), **{"Idempotency-Key": "shared-key"})
    letter = {
        "addressee_kind": "court",
        "addressee": "Moscow City Court",
        "channel": "fax",
        "date_sent": "2026-11-20",
        "language": "Russian",
        "subject": "Free them",
        "text": "Уважаемый суд...",
    }

    other = post_json(client, with_token(letter), form="letter-copy", **{"Idempotency-Key": "shared-key"})

    assert other.status_code == 201
    assert json.loads(other.body)["id"] != json.loads(first.body)["id"]


def test_a_malformed_idempotency_key_is_a_400(client: Client) -> None:
    response = post_json(client, with_token(REPORT), **{"Idempotency-Key": "has space"})

    assert response.status_code == 400
    assert "Idempotency-Key" in json.loads(response.body)["detail"]


def test_captcha_off_stores_without_a_token(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LETTERBOX_CAPTCHA", "off")
    runtime.reset()

    assert post_json(client, REPORT).status_code == 201


# Plain HTML posts (no JavaScript) ---------------------------------------------------------------

FORM_HEADERS = {"Content-Type": "application/x-www-form-urlencoded", "Origin": CAMPAIGN_ORIGIN, "Accept": "text/html"}


def post_form(client: Client, fields: list[tuple[str, str]], **headers: str) -> Any:
    return client.http.post(
        "/forms/action-report/submissions", headers={**FORM_HEADERS, **headers}, body=urlencode(fields)
    )


FORM_FIELDS = [
    ("kind", "banner"),
    ("date", "2026-11-15"),
    ("city", "Paris"),
    ("country", "France"),
    ("description", "A banner on the bridge."),
    ("participants", "3"),
    ("links", "https://a.example/1"),
    ("links", "https://a.example/2"),
    ("email", ""),
    ("consent_publish", "on"),
    ("_gotcha", ""),
    ("h-captcha-response", TEST_TOKEN),
]


def test_plain_form_post_is_coerced_to_the_schema_types_and_redirected_to_thanks(
    client: Client, s3: Any, app_env: dict[str, str]
) -> None:
    response = post_form(client, FORM_FIELDS, **{"Accept-Language": "ru"})

    assert response.status_code == 303
    assert response.headers["Location"] == "thanks?lang=ru"
    latest = sorted(stored_objects(s3, app_env["LETTERBOX_BUCKET"], "submissions/action-report/"))[-1]
    stored = json.loads(s3.get_object(Bucket=app_env["LETTERBOX_BUCKET"], Key=latest)["Body"].read())
    assert stored["data"] == {
        "kind": "banner",
        "date": "2026-11-15",
        "city": "Paris",
        "country": "France",
        "description": "A banner on the bridge.",
        "participants": 3,
        "links": ["https://a.example/1", "https://a.example/2"],
        "consent_publish": True,
    }


def test_plain_form_post_redirects_to_next_on_the_allow_list(client: Client) -> None:
    response = post_form(client, [*FORM_FIELDS, ("_next", f"{CAMPAIGN_ORIGIN}/thank-you")])

    assert response.status_code == 303
    assert response.headers["Location"] == f"{CAMPAIGN_ORIGIN}/thank-you"


def test_plain_form_post_never_redirects_to_another_site(client: Client) -> None:
    response = post_form(client, [*FORM_FIELDS, ("_next", "https://evil.example/phish")])

    assert response.status_code == 303
    assert response.headers["Location"].startswith("thanks?lang=")


def test_plain_form_post_with_errors_gets_a_readable_page_with_a_way_back(client: Client) -> None:
    fields = [(name, value) for name, value in FORM_FIELDS if name not in ("city", "date")] + [("date", "tomorrow")]

    response = post_form(client, fields, Referer=f"{CAMPAIGN_ORIGIN}/report")

    assert response.status_code == 422
    assert response.headers["Content-Type"].startswith("text/html")
    page = response.body.decode()
    assert "<strong>City</strong>: This field is required." in page
    assert "<strong>Date of the action</strong>: Must be a date like 2026-11-14." in page
    assert f'href="{CAMPAIGN_ORIGIN}/report"' in page
    assert "tomorrow" not in page


def test_a_plain_post_answers_in_the_language_its_action_names_not_the_browsers(client: Client) -> None:
    """A Russian page's hand-written form (action …/submissions?lang=ru) read in an English browser."""
    good = client.http.post(
        "/forms/action-report/submissions?lang=ru",
        headers={**FORM_HEADERS, "Accept-Language": "en-US,en;q=0.9"},
        body=urlencode(FORM_FIELDS),
    )
    bad_fields = [(name, value) for name, value in FORM_FIELDS if name != "city"]
    refused = client.http.post(
        "/forms/action-report/submissions?lang=ru",
        headers={**FORM_HEADERS, "Accept-Language": "en"},
        body=urlencode(bad_fields),
    )
    unknown = client.http.post(
        "/forms/action-report/submissions?lang=xx",
        headers={**FORM_HEADERS, "Accept-Language": "ru"},
        body=urlencode(bad_fields),
    )

    assert good.status_code == 303
    assert good.headers["Location"] == "thanks?lang=ru"
    assert refused.status_code == 422
    assert "<strong>Город</strong>: Это поле обязательно." in refused.body.decode()
    assert "Это поле обязательно." in unknown.body.decode()  # a language we lack: the browser's


def test_a_plain_post_without_a_captcha_token_says_the_captcha_needs_javascript(client: Client) -> None:
    """The hand-written form sent with JavaScript off: there was no captcha to solve, so say what to do instead."""
    fields = [(name, value) for name, value in FORM_FIELDS if name != "h-captcha-response"]

    english = post_form(client, fields)
    russian = post_form(client, fields, **{"Accept-Language": "ru"})

    assert english.status_code == russian.status_code == 400
    page = english.body.decode()
    assert "the captcha needs JavaScript. Nothing was saved: turn JavaScript on in your browser" in page
    assert "solve it" not in page
    assert "<li>" not in page  # no list of fields: nobody typed into the captcha's
    assert "Use your browser&#x27;s Back button" in page
    assert "включите JavaScript в браузере" in russian.body.decode()
    # A script's JSON post gets the widget's message, at its field.
    assert "not completed" in json.loads(post_json(client, REPORT).body)["detail"]


def test_thanks_page_speaks_the_requested_language(client: Client) -> None:
    response = client.http.get("/forms/action-report/thanks?lang=ru")

    assert response.status_code == 200
    assert "Спасибо" in response.body.decode()


@pytest.mark.parametrize(
    ("lang", "success"),
    [
        ("fr", "Merci. Votre compte rendu est bien parvenu aux organisateurs."),
        ("de", "Vielen Dank. Ihr Bericht ist beim Organisationsteam angekommen."),
        ("es", "Gracias. Su informe ha llegado al equipo organizador."),
    ],
)
def test_a_plain_post_in_each_language_lands_on_a_thank_you_page_in_it(client: Client, lang: str, success: str) -> None:
    posted = post_form(client, FORM_FIELDS, **{"Accept-Language": f"{lang};q=0.8, en;q=0.1"})
    assert posted.headers["Location"] == f"thanks?lang={lang}"

    page = client.http.get(f"/forms/action-report/{posted.headers['Location']}").body.decode()

    assert page.startswith(f'<!doctype html><html lang="{lang}"><head>')
    assert f'<p role="status">{success}</p>' in page


def test_a_language_without_a_catalog_gets_the_english_thank_you_page(client: Client) -> None:
    page = client.http.get("/forms/action-report/thanks?lang=pl", headers={"Accept-Language": "pl"}).body.decode()

    assert page.startswith('<!doctype html><html lang="en"><head>')
    assert "Thank you. Your report has reached the organizers." in page


# Definitions, CORS, health -----------------------------------------------------------------------


def test_form_definition_carries_schema_labels_and_captcha_settings(client: Client) -> None:
    response = client.http.get("/forms/letter-copy", headers={"Origin": CAMPAIGN_ORIGIN})

    assert response.status_code == 200
    definition = json.loads(response.body)
    assert definition["schema"]["properties"]["text"]["maxLength"] == 20000
    assert definition["title"]["ru"]
    assert definition["captcha"] == {
        "enabled": True,
        "provider": "hcaptcha",
        "sitekey": "10000000-ffff-ffff-ffff-000000000001",
        "test_keys": True,
    }
    assert response.headers["Access-Control-Allow-Origin"] == CAMPAIGN_ORIGIN


def test_form_definition_carries_the_embeds_texts_in_the_language_asked(client: Client) -> None:
    english = client.http.get("/forms/action-report", headers={"Origin": CAMPAIGN_ORIGIN})
    russian = client.http.get("/forms/action-report", headers={"Origin": CAMPAIGN_ORIGIN, "Accept-Language": "ru"})

    assert (json.loads(english.body)["lang"], json.loads(russian.body)["lang"]) == ("en", "ru")
    texts = json.loads(russian.body)["texts"]
    assert texts["retry"] == "Попробовать ещё раз"
    assert texts["required"] == "Это поле обязательно."  # the API's own words, for the browser's checks
    assert texts["wall_actions"] == {"1": "{count} акция", "2": "{count} акции", "0": "{count} акций"}
    assert json.loads(english.body)["texts"]["retry"] == "Try again"
    # A cache keeps one answer per site and per language.
    assert russian.headers["Vary"] == "Origin, Accept-Language"
    assert russian.headers["Cache-Control"] == "public, max-age=300"


def test_a_site_not_allowed_to_use_a_form_can_read_why_it_does_not_load(client: Client) -> None:
    response = client.http.get(
        "/forms/action-report", headers={"Origin": "https://evil.example", "Accept-Language": "ru"}
    )

    assert response.status_code == 403
    # The refusal holds no data: any page may read it, so the embed says why instead of "could not load".
    assert response.headers["Access-Control-Allow-Origin"] == "https://evil.example"
    problem = json.loads(response.body)
    assert problem["detail"] == "Этому сайту не разрешено пользоваться этой формой. Сообщите организаторам сайта."
    assert "texts" not in problem
    english = json.loads(client.http.get("/forms/action-report", headers={"Origin": "https://evil.example"}).body)
    assert english["detail"] == "This site is not allowed to use this form. Please tell the site's organizers."


def test_form_list_names_every_schema_file(client: Client) -> None:
    forms = json.loads(client.http.get("/forms").body)["forms"]
    assert {form["form"] for form in forms} == {"action-report", "letter-copy"}
    titles = {form["form"]: form["title"] for form in forms}
    assert titles["letter-copy"] == {
        "en": "Send a copy of your letter",
        "de": "Eine Kopie Ihres Briefes senden",
        "es": "Enviar una copia de su carta",
        "fr": "Envoyer une copie de votre lettre",
        "ru": "Прислать копию письма",
    }


def test_preflight_is_answered_for_allowed_origins_only(client: Client) -> None:
    request_headers = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,idempotency-key",
    }
    allowed = client.http.request(
        "OPTIONS",
        "/forms/action-report/submissions",
        headers={**request_headers, "Origin": "https://www.campaign.example"},
    )
    refused = client.http.request(
        "OPTIONS", "/forms/action-report/submissions", headers={**request_headers, "Origin": "https://evil.example"}
    )

    assert allowed.status_code == 204
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://www.campaign.example"
    assert "Idempotency-Key" in allowed.headers["Access-Control-Allow-Headers"]
    assert "POST" in allowed.headers["Access-Control-Allow-Methods"]
    assert refused.status_code == 403
    assert "Access-Control-Allow-Origin" not in refused.headers


def test_per_form_origins_override_the_default(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LETTERBOX_FORM_OPTIONS", json.dumps({"letter-copy": {"origins": ["https://letters.example"]}}))
    runtime.reset()

    assert post_json(client, {}, form="letter-copy").status_code == 403
    assert post_json(client, {}, form="letter-copy", Origin="https://letters.example").status_code == 400


def test_debug_is_off_so_no_stack_trace_can_reach_a_caller() -> None:
    assert app.debug is False


def test_health(client: Client) -> None:
    response = client.http.get("/health")
    assert response.status_code == 200
    assert json.loads(response.body) == {"status": "ok"}


def test_an_unexpected_error_is_a_500_problem_without_details(
    client: Client, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def explode(*_args: object) -> None:
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr("chalicelib.intake.submissions.validate", explode)
    app.log.addHandler(caplog.handler)  # chalice's app logger does not propagate to the root

    try:
        response = post_json(client, with_token(REPORT))
    finally:
        app.log.removeHandler(caplog.handler)

    assert response.status_code == 500
    body = response.body.decode()
    assert "secret internal detail" not in body
    assert "Traceback" not in body
    assert json.loads(body)["type"] == "urn:letterbox:problem:internal-error"
    assert "unhandled error request_id=" in caplog.text
    assert "RuntimeError at test_api.py" in caplog.text
    assert "secret internal detail" not in caplog.text


# helpers -----------------------------------------------------------------------------------------


def use_real_style_keys(monkeypatch: pytest.MonkeyPatch, siteverify: SiteverifyServer) -> None:
    """Keys that are not the public test ones, so hostnames are checked as in production."""
    siteverify.state.secrets.add("0xcampaign-secret")
    monkeypatch.setenv("HCAPTCHA_SITEKEY", "campaign-sitekey")
    monkeypatch.setenv("HCAPTCHA_SECRET", "0xcampaign-secret")
    runtime.reset()


def spend(token: str, siteverify: SiteverifyServer) -> str:
    siteverify.state.tokens[token].used = True
    return token


def closed_port() -> int:
    from tests.conftest import free_port

    return free_port()


def test_a_form_can_turn_its_captcha_off_to_work_without_javascript(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LETTERBOX_FORM_OPTIONS", json.dumps({"action-report": {"captcha": False}}))
    runtime.reset()
    fields = [(name, value) for name, value in FORM_FIELDS if name != "h-captcha-response"]

    assert post_form(client, fields).status_code == 303
    assert json.loads(client.http.get("/forms/action-report").body)["captcha"]["enabled"] is False
    assert json.loads(client.http.get("/forms/letter-copy").body)["captcha"]["enabled"] is True


def test_a_configuration_error_is_a_500_that_names_nothing_to_the_caller(
    client: Client, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("LETTERBOX_BUCKET")
    runtime.reset()
    app.log.addHandler(caplog.handler)  # chalice's app logger does not propagate to the root

    try:
        response = post_json(client, with_token(REPORT))
    finally:
        app.log.removeHandler(caplog.handler)

    assert response.status_code == 500
    assert "LETTERBOX_BUCKET" not in response.body.decode()
    assert "LETTERBOX_BUCKET is not set" in caplog.text

"""Bodies and headers an attacker or a careless client sends: each refused before anything is stored.

Every test here failed on v1: a stall, an answer too large, or a 500 (or no answer) after the
submission was stored.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from chalice.test import Client

from app import app
from chalicelib.core.storage import submission_key
from chalicelib.intake import submissions
from devstack.siteverify import SiteverifyServer
from tests.conftest import CAMPAIGN_ORIGIN, TEST_TOKEN
from tests.test_api import FORM_FIELDS, REPORT, count_stored, post_form, post_json, with_token


@pytest.fixture
def client(app_env: dict[str, str]) -> Iterator[Client]:
    with Client(app, stage_name="test") as test_client:
        yield test_client


@pytest.fixture
def no_validator(monkeypatch: pytest.MonkeyPatch) -> None:
    """The body must be refused before jsonschema runs: the validator is where the CPU went."""

    def refuse(*_args: object) -> None:
        raise AssertionError("the validator ran on a body past its bounds")

    monkeypatch.setattr(submissions, "validate", refuse)


def problem(response: Any) -> dict[str, Any]:
    assert response.headers["Content-Type"].startswith("application/problem+json")
    body: dict[str, Any] = json.loads(response.body)
    return body


# Stalls --------------------------------------------------------------------------------------------


def test_thousands_of_distinct_objects_in_an_array_never_reach_the_validator(
    client: Client, no_validator: None, s3: Any, app_env: dict[str, str]
) -> None:
    # 6,500 unsortable items cost jsonschema's uniqueItems about a minute of CPU on v1.
    body = json.dumps(with_token({**REPORT, "links": [{"n": i} for i in range(6000)]}), separators=(",", ":"))
    assert len(body) < 65536

    response = post_json(client, body)

    assert response.status_code == 422
    assert problem(response)["errors"][0]["field"] == "/links"


def test_too_many_values_in_all_is_one_error_for_the_whole_body(client: Client, no_validator: None) -> None:
    body = with_token({**REPORT, **{f"x{i}": [1] for i in range(3000)}})

    response = post_json(client, body)

    assert response.status_code == 422
    assert problem(response)["errors"] == [
        {"field": "", "message": "The submission holds more than 2000 values. Please shorten it."}
    ]


def test_nesting_past_pythons_recursion_limit_is_a_400_not_a_500(
    client: Client, s3: Any, app_env: dict[str, str]
) -> None:
    before = count_stored(s3, app_env["LETTERBOX_BUCKET"])

    response = post_json(client, b'{"city": ' + b"[" * 10000 + b"]" * 10000 + b"}")

    assert response.status_code == 400
    assert problem(response)["detail"] == "The data is nested too deeply."
    assert count_stored(s3, app_env["LETTERBOX_BUCKET"]) == before


def test_nesting_deeper_than_any_form_asks_is_a_422_by_field(client: Client, no_validator: None) -> None:
    nested: Any = "x"
    for _ in range(20):
        nested = [nested]

    response = post_json(client, with_token({**REPORT, "links": nested}))

    assert response.status_code == 422
    assert problem(response)["errors"][0]["message"] == "The data is nested too deeply."


# Answers that stay small ---------------------------------------------------------------------------


def test_a_422_lists_fifty_errors_and_counts_the_rest(client: Client) -> None:
    body = with_token({**REPORT, **{f"unknown{i}": "x" for i in range(1500)}})

    response = post_json(client, body)

    assert response.status_code == 422
    answer = problem(response)
    assert len(answer["errors"]) == 50
    assert answer["errors_omitted"] == 1450
    assert len(response.body) < 10_000


def test_the_error_page_of_a_plain_form_lists_fifty_errors_and_counts_the_rest(client: Client) -> None:
    fields = [*FORM_FIELDS, *((f"unknown{i}", "x") for i in range(500))]

    response = post_form(client, fields)

    page = response.body.decode()
    assert response.status_code == 422
    assert page.count("<li>") == 51
    assert "…and 450 more." in page


# Nothing fails after the write ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("next_url", "location"),
    [
        (f"{CAMPAIGN_ORIGIN}/ru/спасибо.html", f"{CAMPAIGN_ORIGIN}/ru/%D1%81%D0%BF%D0%B0%D1%81%D0%B8%D0%B1%D0%BE.html"),
        (f"{CAMPAIGN_ORIGIN}/thanks-✊.html", f"{CAMPAIGN_ORIGIN}/thanks-%E2%9C%8A.html"),
        (f"{CAMPAIGN_ORIGIN}/\u200fthanks", f"{CAMPAIGN_ORIGIN}/%E2%80%8Fthanks"),
        (f"{CAMPAIGN_ORIGIN}/thanks?a=1&b=%20", f"{CAMPAIGN_ORIGIN}/thanks?a=1&b=%20"),
    ],
)
def test_a_next_page_beyond_ascii_is_percent_encoded_in_location(
    client: Client, s3: Any, app_env: dict[str, str], next_url: str, location: str
) -> None:
    before = count_stored(s3, app_env["LETTERBOX_BUCKET"])

    response = post_form(client, [*FORM_FIELDS, ("_next", next_url)])

    assert response.status_code == 303
    assert response.headers["Location"] == location
    assert count_stored(s3, app_env["LETTERBOX_BUCKET"]) == before + 1


@pytest.mark.parametrize("bad", ["\r\nSet-Cookie: a=1", "\n", "\x00", "\t", " "])
def test_a_next_page_with_control_characters_is_ignored_for_the_thanks_page(
    client: Client, s3: Any, app_env: dict[str, str], bad: str
) -> None:
    before = count_stored(s3, app_env["LETTERBOX_BUCKET"])

    response = post_form(client, [*FORM_FIELDS, ("_next", f"{CAMPAIGN_ORIGIN}/thanks{bad}x")])

    assert response.status_code == 303
    assert response.headers["Location"] == "thanks?lang=en"
    assert count_stored(s3, app_env["LETTERBOX_BUCKET"]) == before + 1


def test_a_lone_surrogate_is_a_422_for_its_field_before_the_captcha_is_spent(
    client: Client, siteverify: SiteverifyServer, s3: Any, app_env: dict[str, str]
) -> None:
    asked = len(siteverify.state.requests)
    before = count_stored(s3, app_env["LETTERBOX_BUCKET"])

    response = post_json(client, b'{"city": "\\ud800", "h-captcha-response": "%s"}' % TEST_TOKEN.encode())

    assert response.status_code == 422
    assert {"field": "/city", "message": "This text contains characters that are not valid Unicode."} in problem(
        response
    )["errors"]
    assert len(siteverify.state.requests) == asked
    assert count_stored(s3, app_env["LETTERBOX_BUCKET"]) == before


@pytest.mark.parametrize("number", ["²", "٣", "1" * 5000, "1e3", "0x10"])
def test_a_form_encoded_number_that_is_not_plain_digits_is_a_422(client: Client, number: str) -> None:
    fields = [(name, number if name == "participants" else value) for name, value in FORM_FIELDS]

    response = client.http.post(
        "/forms/action-report/submissions",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": CAMPAIGN_ORIGIN,
            "Accept": "application/json",
        },
        body=urlencode(fields),
    )

    assert response.status_code == 422
    assert [error["field"] for error in problem(response)["errors"]] == ["/participants"]


def test_an_unexpected_error_quotes_a_request_id_even_locally(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(*_args: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(submissions, "validate", explode)

    response = post_json(client, with_token(REPORT))

    assert response.status_code == 500
    assert len(problem(response)["request_id"]) >= 16


# Encodings ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("charset", ["utf-16", "latin-1", "utf-32"])
def test_a_declared_charset_other_than_utf8_is_a_415(client: Client, charset: str) -> None:
    response = post_json(client, with_token(REPORT), **{"Content-Type": f"application/json; charset={charset}"})

    assert response.status_code == 415
    assert "UTF-8" in problem(response)["detail"]


def test_charset_utf8_is_accepted(client: Client) -> None:
    response = post_json(client, with_token(REPORT), **{"Content-Type": "application/json; charset=UTF-8"})

    assert response.status_code == 201


@pytest.mark.parametrize(
    "encoded",
    [
        json.dumps(with_token(REPORT)).encode("utf-16"),
        json.dumps(with_token(REPORT)).encode("utf-16-le"),
        json.dumps(with_token(REPORT)).encode("utf-32"),
        b"\xef\xbb\xbf" + json.dumps(with_token(REPORT)).encode(),
    ],
    ids=["utf-16 with BOM", "utf-16 without BOM", "utf-32", "utf-8 with BOM"],
)
def test_a_body_that_is_not_plain_utf8_is_a_400(
    client: Client, s3: Any, app_env: dict[str, str], encoded: bytes
) -> None:
    before = count_stored(s3, app_env["LETTERBOX_BUCKET"])

    response = post_json(client, encoded)

    assert response.status_code == 400
    assert count_stored(s3, app_env["LETTERBOX_BUCKET"]) == before


def test_a_duplicate_json_key_is_a_400_not_last_one_wins(client: Client) -> None:
    response = post_json(client, b'{"city": "Berlin", "city": "Moscow"}')

    assert response.status_code == 400
    assert problem(response)["detail"] == "The same field appears twice in the JSON body."


@pytest.mark.parametrize("constant", [b"NaN", b"Infinity", b"-Infinity", b"1e400"])
def test_numbers_json_cannot_store_are_a_400(client: Client, constant: bytes) -> None:
    response = post_json(client, b'{"participants": ' + constant + b"}")

    assert response.status_code == 400


def test_invisible_control_characters_are_dropped_and_line_ends_made_plain(
    client: Client, s3: Any, app_env: dict[str, str]
) -> None:
    report = {**REPORT, "city": "Ber\x00li\x1bn\x7f", "description": "First line.\r\nSecond\rThird\x0b\tend"}

    response = post_json(client, with_token(report))

    assert response.status_code == 201
    submission_id = json.loads(response.body)["id"]
    stored = json.loads(
        s3.get_object(Bucket=app_env["LETTERBOX_BUCKET"], Key=submission_key("action-report", submission_id))[
            "Body"
        ].read()
    )
    assert stored["data"]["city"] == "Berlin"
    assert stored["data"]["description"] == "First line.\nSecond\nThird\tend"


# Refusals a page can read; pages that cannot be framed ---------------------------------------------


def test_a_refused_origin_can_read_why(client: Client, s3: Any, app_env: dict[str, str]) -> None:
    before = count_stored(s3, app_env["LETTERBOX_BUCKET"])

    response = post_json(client, with_token(REPORT), Origin="https://evil.example")

    assert response.status_code == 403
    assert response.headers["Access-Control-Allow-Origin"] == "https://evil.example"
    assert problem(response)["type"] == "urn:letterbox:problem:origin-not-allowed"
    assert count_stored(s3, app_env["LETTERBOX_BUCKET"]) == before


def test_a_page_of_a_refused_site_learns_it_when_it_loads_the_form(client: Client) -> None:
    response = client.http.get("/forms/action-report", headers={"Origin": "https://evil.example"})

    assert response.status_code == 403
    assert response.headers["Access-Control-Allow-Origin"] == "https://evil.example"
    assert "schema" not in json.loads(response.body)


def test_the_form_definition_still_loads_without_an_origin_and_from_allowed_sites(client: Client) -> None:
    assert client.http.get("/forms/action-report").status_code == 200
    assert client.http.get("/forms/action-report", headers={"Origin": CAMPAIGN_ORIGIN}).status_code == 200


def test_thanks_for_an_unknown_form_is_a_404(client: Client) -> None:
    assert client.http.get("/forms/no-such-form/thanks").status_code == 404


def test_pages_the_api_renders_cannot_be_framed_nor_run_script(client: Client) -> None:
    thanks = client.http.get("/forms/action-report/thanks")
    error_page = post_form(client, [("kind", "picket")])

    for response in (thanks, error_page):
        assert response.headers["Content-Type"] == "text/html; charset=utf-8"
        policy = response.headers["Content-Security-Policy"]
        assert "default-src 'none'" in policy
        assert "frame-ancestors 'none'" in policy
        assert "script-src" not in policy
        assert response.headers["X-Content-Type-Options"] == "nosniff"

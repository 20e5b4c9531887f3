"""ALTCHA over the API against the local AWS: a challenge, solved by the altcha package's own solver, stores
one submission with one PUT; every other use of it, and every bad challenge, is refused with nothing stored."""

from __future__ import annotations

import base64
import json
import secrets
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from altcha import Challenge, Payload, solve_challenge
from chalice.test import Client

from app import app
from chalicelib import runtime
from chalicelib.core.signing_keys import derived_key
from chalicelib.intake.altcha_challenges import LIFETIME, AltchaChallenges
from tests.conftest import CAMPAIGN_ORIGIN, stored_objects
from tests.test_api import REPORT, post_json

LETTER: dict[str, Any] = {
    "addressee_kind": "prosecutor",
    "addressee": "Prosecutor General",
    "channel": "fax",
    "date_sent": "2026-11-02",
    "language": "English",
    "subject": "Release them",
    "text": "Dear Sir, we ask you to drop the charges.",
}


@pytest.fixture
def altcha_env(app_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """Every form on ALTCHA, with a small max number (the Python solver is slower than a browser's)."""
    key = secrets.token_bytes(32)
    name = f"/letterbox/test/signing-key-{secrets.token_hex(4)}"
    boto3.client("ssm").put_parameter(Name=name, Value=base64.b64encode(key).decode(), Type="SecureString")
    monkeypatch.setenv("LETTERBOX_SIGNING_KEY_PARAMETER", name)
    monkeypatch.setenv("LETTERBOX_CAPTCHA", "altcha")
    monkeypatch.setenv("LETTERBOX_ALTCHA_MAX_NUMBER", "20")
    runtime.reset()
    s3, bucket = boto3.client("s3"), app_env["LETTERBOX_BUCKET"]
    before = set(stored_objects(s3, bucket, "submissions/"))
    yield app_env
    runtime.reset()
    # Ids derived from a challenge are dated at its expiry, minutes ahead: gone, they cannot pass for the
    # newest submission of another test sharing the bucket.
    for made in set(stored_objects(s3, bucket, "submissions/")) - before:
        s3.delete_object(Bucket=bucket, Key=made)


@pytest.fixture
def client(altcha_env: dict[str, str]) -> Iterator[Client]:
    with Client(app, stage_name="test") as test_client:
        yield test_client


def challenge(client: Client, form: str = "action-report") -> dict[str, Any]:
    response = client.http.get(f"/forms/{form}/challenge", headers={"Origin": CAMPAIGN_ORIGIN})
    assert response.status_code == 200, response.body
    body: dict[str, Any] = json.loads(response.body)
    return body


def solved(issued: dict[str, Any]) -> str:
    parsed = Challenge.from_dict(issued)
    solution = solve_challenge(parsed, timeout=60)
    assert solution is not None
    return Payload(parsed, solution).to_base64()


def submit(client: Client, payload: str, form: str = "action-report", **headers: str) -> Any:
    return post_json(client, {**(REPORT if form == "action-report" else LETTER), "altcha": payload}, form, **headers)


@pytest.fixture
def stored(s3: Any, altcha_env: dict[str, str]) -> Callable[[str], list[str]]:
    """The submissions of a form stored since the test began (the bucket is the session's)."""
    bucket = altcha_env["LETTERBOX_BUCKET"]
    before = {
        form: set(stored_objects(s3, bucket, f"submissions/{form}/")) for form in ("action-report", "letter-copy")
    }

    def new(form: str = "action-report") -> list[str]:
        return sorted(set(stored_objects(s3, bucket, f"submissions/{form}/")) - before[form])

    return new


def s3_calls() -> list[str]:
    calls: list[str] = []
    runtime.s3_client().meta.events.register("before-call.s3.*", lambda model, **_: calls.append(model.name))
    return calls


def problem(response: Any) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(response.body)
    return body


def test_a_challenge_is_signed_bound_to_its_form_and_never_cached(client: Client) -> None:
    response = client.http.get("/forms/letter-copy/challenge", headers={"Origin": CAMPAIGN_ORIGIN})

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Access-Control-Allow-Origin"] == CAMPAIGN_ORIGIN
    issued = json.loads(response.body)
    assert issued["parameters"]["algorithm"] == "PBKDF2/SHA-256"
    assert issued["parameters"]["data"]["form"] == "letter-copy"
    assert issued["parameters"]["keySignature"]
    assert issued["signature"]
    assert challenge(client, "letter-copy")["signature"] != issued["signature"]


def test_the_definition_tells_the_embed_to_use_altcha(client: Client) -> None:
    definition = json.loads(client.http.get("/forms/letter-copy").body)

    assert definition["captcha"] == {"enabled": True, "provider": "altcha", "sitekey": None, "test_keys": False}


def test_a_form_not_on_altcha_gives_no_challenge_and_a_foreign_page_none_at_all(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    foreign = client.http.get("/forms/action-report/challenge", headers={"Origin": "https://evil.example"})
    missing = client.http.get("/forms/no-such-form/challenge")
    monkeypatch.setenv("LETTERBOX_CAPTCHA", "off")
    runtime.reset()
    off = client.http.get("/forms/action-report/challenge", headers={"Accept-Language": "ru"})

    assert foreign.status_code == 403
    assert missing.status_code == 404
    assert off.status_code == 404
    assert problem(off)["detail"] == "Эта форма не использует ALTCHA и не выдаёт задач."


def test_a_solved_challenge_stores_one_submission_with_one_put(
    client: Client, s3: Any, altcha_env: Any, stored: Any
) -> None:
    payload = solved(challenge(client))
    calls = s3_calls()

    response = submit(client, payload, **{"Idempotency-Key": "01KAX3Z8W6V1R2F7D9QH0M4N5P"})

    assert response.status_code == 201, response.body
    assert calls == ["PutObject"]
    (key,) = stored()
    assert key.endswith(f"/{problem(response)['id']}.json")
    head = s3.head_object(Bucket=altcha_env["LETTERBOX_BUCKET"], Key=key)
    assert set(head["Metadata"]) == {"retry"}
    assert "01KAX3" not in json.dumps(head["Metadata"])
    assert (
        "altcha" not in json.loads(s3.get_object(Bucket=altcha_env["LETTERBOX_BUCKET"], Key=key)["Body"].read())["data"]
    )


@pytest.mark.parametrize(
    ("lang", "detail"),
    [
        ("en", "This captcha was already used. Please solve it again."),
        ("ru", "Эта капча уже использована. Пройдите её заново."),
    ],
)
def test_a_solution_used_again_is_refused_in_the_supporters_language(
    client: Client, s3: Any, altcha_env: Any, stored: Any, lang: str, detail: str
) -> None:
    payload = solved(challenge(client))
    assert submit(client, payload, **{"Idempotency-Key": "first-key"}).status_code == 201
    calls = s3_calls()

    again = submit(client, payload, **{"Accept-Language": lang, "Idempotency-Key": "other-key"})
    bare = submit(client, payload, **{"Accept-Language": lang})

    for response in (again, bare):
        assert response.status_code == 400
        assert problem(response)["detail"] == detail
        assert problem(response)["errors"] == [{"field": "/altcha", "message": detail}]
    assert calls == ["PutObject", "HeadObject"] * 2
    assert len(stored()) == 1


def test_a_retry_with_the_same_key_gets_the_same_answer(client: Client, s3: Any, altcha_env: Any, stored: Any) -> None:
    payload = solved(challenge(client))
    first = submit(client, payload, **{"Idempotency-Key": "01KAX3Z8W6V1R2F7D9QH0M4N5P"})

    retry = submit(client, payload, **{"Idempotency-Key": "01KAX3Z8W6V1R2F7D9QH0M4N5P"})

    assert retry.status_code == 201
    assert problem(retry)["id"] == problem(first)["id"]
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert len(stored()) == 1


def test_a_retry_after_the_challenge_expired_still_finds_its_first_attempt(
    client: Client, s3: Any, altcha_env: Any, stored: Any
) -> None:
    # A challenge of this stage's key, issued so that it expires two seconds from now.
    soon = AltchaChallenges(lambda: derived_key("altcha"), lambda: datetime.now(UTC) - LIFETIME + timedelta(seconds=2))
    payload = solved(soon.issue("action-report", 20))
    first = submit(client, payload, **{"Idempotency-Key": "the-key"})
    time.sleep(2.5)

    retry = submit(client, payload, **{"Idempotency-Key": "the-key"})
    other = submit(client, payload, **{"Idempotency-Key": "another-key"})

    assert first.status_code == 201
    assert (retry.status_code, problem(retry)["id"]) == (201, problem(first)["id"])
    assert other.status_code == 400
    assert problem(other)["detail"] == "The captcha expired. Please solve it again and send again."
    assert len(stored()) == 1


def test_expired_tampered_unsigned_malformed_and_foreign_solutions_store_nothing(
    client: Client, s3: Any, altcha_env: Any, stored: Any
) -> None:
    past = AltchaChallenges(lambda: derived_key("altcha"), lambda: datetime.now(UTC) - LIFETIME)
    expired = solved(past.issue("action-report", 20))
    valid = json.loads(base64.b64decode(solved(challenge(client))))
    tampered = json.loads(json.dumps(valid))
    tampered["challenge"]["parameters"]["data"]["form"] = "letter-copy"
    unsigned = json.loads(json.dumps(valid))
    del unsigned["challenge"]["signature"]
    other_form = solved(challenge(client, "letter-copy"))
    other_key = solved(AltchaChallenges(lambda: bytes(32)).issue("action-report", 20))

    def encoded(decoded: dict[str, Any]) -> str:
        return base64.b64encode(json.dumps(decoded).encode()).decode()

    cases = {
        expired: "The captcha expired. Please solve it again and send again.",
        encoded(tampered): "The captcha answer was not accepted. Please solve it again.",
        encoded(unsigned): "The captcha answer was not accepted. Please solve it again.",
        "bm90IGEgcGF5bG9hZA==": "The captcha answer was not accepted. Please solve it again.",
        other_key: "The captcha answer was not accepted. Please solve it again.",
        other_form: "This captcha was solved for another form. Please solve it again.",
        "": "The captcha was not completed. Please solve it and send again.",
    }
    for payload, detail in cases.items():
        response = submit(client, payload, **{"Idempotency-Key": "k"})
        assert (response.status_code, problem(response)["detail"]) == (400, detail)
    assert stored() == []
    assert stored("letter-copy") == []


def test_an_unreachable_ssm_is_a_503_and_stores_nothing(
    client: Client, s3: Any, altcha_env: Any, stored: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    payload = solved(challenge(client))
    monkeypatch.setenv("AWS_ENDPOINT_URL_SSM", "http://127.0.0.1:9")
    runtime.reset()

    refused_challenge = client.http.get("/forms/action-report/challenge", headers={"Origin": CAMPAIGN_ORIGIN})
    refused_submission = submit(client, payload)

    for response in (refused_challenge, refused_submission):
        assert response.status_code == 503
        assert response.headers["Retry-After"]
        assert problem(response)["detail"].startswith("The captcha service cannot be reached. Nothing was saved")
    assert stored() == []


def test_a_letter_copy_too(client: Client, s3: Any, altcha_env: Any, stored: Any) -> None:
    response = submit(client, solved(challenge(client, "letter-copy")), "letter-copy")

    assert response.status_code == 201, response.body
    assert len(stored("letter-copy")) == 1


def test_the_honeypot_still_stores_nothing_and_spends_nothing(
    client: Client, s3: Any, altcha_env: Any, stored: Any
) -> None:
    payload = solved(challenge(client))
    calls = s3_calls()

    caught = post_json(client, {**REPORT, "altcha": payload, "_gotcha": "bot"})

    assert caught.status_code == 201
    assert calls == []
    assert submit(client, payload).status_code == 201

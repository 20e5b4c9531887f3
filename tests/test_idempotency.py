"""The same work for the 100,000th submission of a day as for the first: S3 requests counted on the client.

v1 listed the whole day's prefix (one LIST per 1,000 objects) to find an earlier attempt of a
request with an Idempotency-Key, before the captcha. Now the key alone names the object.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from chalice.test import Client

from app import app
from chalicelib import runtime
from chalicelib.core import ids
from chalicelib.core.storage import day_prefix, submission_key
from devstack.siteverify import SiteverifyServer
from tests.test_api import REPORT, post_json, use_real_style_keys, with_token


@pytest.fixture
def client(app_env: dict[str, str]) -> Iterator[Client]:
    with Client(app, stage_name="test") as test_client:
        yield test_client


def record_s3_calls() -> list[str]:
    """From now on, every S3 operation the API makes, by name, as botocore sends it."""
    calls: list[str] = []
    runtime.s3_client().meta.events.register("before-call.s3.*", lambda model, **_: calls.append(model.name))
    return calls


@pytest.fixture
def busy_day(s3: Any, app_env: dict[str, str]) -> None:
    """Objects already stored today, so that a LIST would have something to page through."""
    prefix = day_prefix("action-report", datetime.now(UTC))
    for n in range(30):
        s3.put_object(Bucket=app_env["LETTERBOX_BUCKET"], Key=f"{prefix}0000000000{n:016d}.json", Body=b"{}")


def ulid_key(at: datetime) -> str:
    return ids.new_submission_id(at)


def test_a_first_attempt_with_a_key_is_one_put_whatever_the_day_holds(busy_day: None, client: Client) -> None:
    s3_calls = record_s3_calls()

    response = post_json(client, with_token(REPORT), **{"Idempotency-Key": ulid_key(datetime.now(UTC))})

    assert response.status_code == 201
    assert s3_calls == ["PutObject"]


def test_a_retry_with_a_fresh_captcha_is_answered_by_the_conditional_put_alone(
    busy_day: None, client: Client, siteverify: SiteverifyServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_real_style_keys(monkeypatch, siteverify)
    key = ulid_key(datetime.now(UTC))
    first = post_json(
        client, with_token(REPORT, siteverify.state.issue_token("campaign.example")), **{"Idempotency-Key": key}
    )
    s3_calls = record_s3_calls()

    retry = post_json(
        client, with_token(REPORT, siteverify.state.issue_token("campaign.example")), **{"Idempotency-Key": key}
    )

    assert json.loads(retry.body)["id"] == json.loads(first.body)["id"]
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert s3_calls == ["PutObject"]


def test_a_retry_whose_token_was_spent_gets_its_first_answer_with_one_head(
    client: Client, siteverify: SiteverifyServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_real_style_keys(monkeypatch, siteverify)
    token = siteverify.state.issue_token("campaign.example")
    first = post_json(client, with_token(REPORT, token), **{"Idempotency-Key": "opaque-key-1"})
    calls = record_s3_calls()

    retry = post_json(client, with_token(REPORT, token), **{"Idempotency-Key": "opaque-key-1"})

    assert retry.status_code == 201
    assert json.loads(retry.body)["id"] == json.loads(first.body)["id"]
    assert calls == ["HeadObject"]


def test_a_request_without_a_captcha_token_makes_no_s3_request(client: Client) -> None:
    s3_calls = record_s3_calls()

    response = post_json(client, REPORT, **{"Idempotency-Key": ulid_key(datetime.now(UTC))})

    assert response.status_code == 400
    assert s3_calls == []


def test_a_spent_token_without_a_first_attempt_is_still_refused(
    client: Client, siteverify: SiteverifyServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_real_style_keys(monkeypatch, siteverify)
    token = siteverify.state.issue_token("campaign.example")
    siteverify.state.tokens[token].used = True

    response = post_json(client, with_token(REPORT, token), **{"Idempotency-Key": "never-stored"})

    assert response.status_code == 400
    assert json.loads(response.body)["type"] == "urn:letterbox:problem:captcha-rejected"


def test_a_key_that_carries_its_time_files_the_submission_at_that_time_so_a_retry_after_midnight_finds_it(
    client: Client, s3: Any, app_env: dict[str, str]
) -> None:
    midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    key = ulid_key(midnight - timedelta(milliseconds=100))
    service = runtime.submission_service()
    service._clock = lambda: midnight - timedelta(milliseconds=50)
    first = post_json(client, with_token(REPORT), **{"Idempotency-Key": key})
    service._clock = lambda: midnight + timedelta(seconds=20)

    retry = post_json(client, with_token(REPORT), **{"Idempotency-Key": key})

    first_id = json.loads(first.body)["id"]
    assert json.loads(retry.body)["id"] == first_id
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert ids.time_of(first_id) == midnight - timedelta(milliseconds=100)
    s3.head_object(Bucket=app_env["LETTERBOX_BUCKET"], Key=submission_key("action-report", first_id))


def test_an_opaque_key_retried_in_the_first_hour_after_midnight_finds_yesterdays_attempt_with_one_head(
    client: Client,
) -> None:
    midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    service = runtime.submission_service()
    service._clock = lambda: midnight - timedelta(minutes=10)
    first = post_json(client, with_token(REPORT), **{"Idempotency-Key": "opaque-across-midnight"})
    service._clock = lambda: midnight + timedelta(minutes=30)
    s3_calls = record_s3_calls()

    retry = post_json(client, with_token(REPORT), **{"Idempotency-Key": "opaque-across-midnight"})

    assert json.loads(retry.body)["id"] == json.loads(first.body)["id"]
    assert s3_calls == ["HeadObject"]


@pytest.mark.parametrize(
    ("offset", "keeps_its_time"),
    [
        (timedelta(hours=-23), True),
        (timedelta(minutes=4), True),
        (timedelta(days=-2), False),
        (timedelta(hours=1), False),
    ],
)
def test_only_a_plausible_key_time_is_taken(offset: timedelta, keeps_its_time: bool) -> None:
    now = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    key = ulid_key(now + offset)

    submission_id, _ = ids.keyed_submission_ids("action-report", key, now)

    assert (ids.time_of(submission_id) == ids.time_of(key)) is keeps_its_time

"""The submission API against generated requests, on the local AWS: tests/fuzz/checks.py's invariants.

Each test runs its Hypothesis examples inside one test (an inner @given function), so the
fixtures (the warmed client, the bucket, the log capture) are built once and the counts of
answers can be checked after the examples: a generator that never reaches the storage path
would otherwise pass unnoticed.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any
from urllib.parse import urlencode

import pytest
from chalice.test import Client
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.fuzz.checks import Answer, FuzzBucket, check_answer, check_cpu, send
from tests.fuzz.conftest import FULL_SWEEP, budget
from tests.fuzz.strategies import (
    FORM_TYPE,
    FORMS,
    IDEMPOTENCY_KEYS,
    JSON_TYPE,
    NAUGHTY,
    ORIGINS,
    FuzzRequest,
    as_header,
    expected_json_data,
    form_requests,
    json_body,
    json_requests,
    mostly,
    plain_submission,
    raw_requests,
    rotation,
    strings_in,
    submissions,
    text_fields,
)


def run_one(
    client: Client, bucket: FuzzBucket, logs: pytest.LogCaptureFixture, request: FuzzRequest, label: str
) -> Answer:
    before = set(bucket.known)
    logs.clear()
    response = send(client, request, label)
    answer = check_answer(request, response, bucket, before, list(logs.records))
    bucket.delete(answer.stored)
    return answer


def test_submissions_people_send_keep_every_invariant_and_are_stored_as_sent(
    client: Client, bucket: FuzzBucket, logs: pytest.LogCaptureFixture
) -> None:
    """Right shape, hostile text: each accepted one is stored exactly as the API documents (normalised)."""
    label = "JSON, schema-shaped"
    statuses: Counter[int] = Counter()

    @settings(max_examples=budget(1.5))
    @given(json_requests(hostile_rate=0))
    def run(request: FuzzRequest) -> None:
        statuses[run_one(client, bucket, logs, request, label).status] += 1

    run()
    check_cpu(label)
    assert statuses[201] > 0, f"no generated submission was accepted: {statuses}"


def test_hostile_json_submissions_keep_every_invariant(
    client: Client, bucket: FuzzBucket, logs: pytest.LogCaptureFixture
) -> None:
    """Wrong types, lengths past the limits, unknown keys, honeypots, odd captcha tokens and headers."""
    label = "JSON, hostile values"
    statuses: Counter[int] = Counter()

    @settings(max_examples=budget(1.5))
    @given(json_requests(hostile_rate=3))
    def run(request: FuzzRequest) -> None:
        statuses[run_one(client, bucket, logs, request, label).status] += 1

    run()
    check_cpu(label)
    assert statuses[422] > 0, f"no hostile value was refused: {statuses}"


def test_plain_form_posts_keep_every_invariant_and_never_redirect_off_site(
    client: Client, bucket: FuzzBucket, logs: pytest.LogCaptureFixture
) -> None:
    label = "form-encoded"
    statuses: Counter[int] = Counter()

    @settings(max_examples=budget(1.5))
    @given(mostly(form_requests(hostile_rate=0), form_requests(hostile_rate=3), 3))
    def run(request: FuzzRequest) -> None:
        statuses[run_one(client, bucket, logs, request, label).status] += 1

    run()
    check_cpu(label)
    assert statuses[303] + statuses[201] > 0, f"no form post was accepted: {statuses}"


def test_raw_requests_keep_every_invariant(client: Client, bucket: FuzzBucket, logs: pytest.LogCaptureFixture) -> None:
    """Any bytes, under any content type, charset, Accept-Language, Idempotency-Key and path."""
    label = "raw requests"
    statuses: Counter[int] = Counter()

    @settings(max_examples=budget(2.5))
    @given(raw_requests())
    def run(request: FuzzRequest) -> None:
        statuses[run_one(client, bucket, logs, request, label).status] += 1

    run()
    check_cpu(label)
    assert len(statuses) > 3, f"the raw requests met too few answers: {statuses}"


def test_a_retried_idempotency_key_stores_one_submission_and_answers_the_same_id(
    client: Client, bucket: FuzzBucket, logs: pytest.LogCaptureFixture
) -> None:
    label = "idempotent retries"

    @settings(max_examples=budget(0.5))
    @given(
        st.sampled_from(FORMS).flatmap(lambda form: st.tuples(st.just(form), submissions(form, 0))), IDEMPOTENCY_KEYS
    )
    def run(form_and_data: tuple[str, dict[str, Any]], key: str) -> None:
        form, data = form_and_data
        request = FuzzRequest(
            form=form,
            headers={"Content-Type": JSON_TYPE, "Origin": ORIGINS[0], "Idempotency-Key": key},
            body=json_body(data, True, True),
            kind="json",
            submitted=(*strings_in(data), key),
            expected_data=expected_json_data(form, data),
        )
        before = set(bucket.known)
        logs.clear()
        first = send(client, request, label)
        first_answer = check_answer(request, first, bucket, before, list(logs.records))
        after_first = set(bucket.known)
        logs.clear()
        retry = send(client, request, label)
        check_answer(request, retry, bucket, after_first, list(logs.records))
        if first_answer.stored_key is not None:
            assert retry.status_code == 201, retry.body
            assert retry.headers.get("Idempotent-Replayed") == "true", request.describe()
            assert json.loads(retry.body)["id"] == first_answer.submission_id
            bucket.delete(first_answer.stored)

    run()
    check_cpu(label)


# Every naughty string in every field -------------------------------------------------------------------


def sweep_offsets(slots: int) -> range:
    """Which rotations to send: all of them (every string in every slot) deep, enough for every string once in CI."""
    if FULL_SWEEP:
        return range(len(NAUGHTY))
    return range(0, len(NAUGHTY), max(slots, 1))


@pytest.mark.parametrize("form", FORMS)
def test_every_naughty_string_in_every_text_field_next_and_headers(
    client: Client, bucket: FuzzBucket, logs: pytest.LogCaptureFixture, form: str
) -> None:
    """Each request carries a naughty string in each text field, in `_next`, in Accept-Language and Referer."""
    label = f"naughty strings, {form}"
    fields = sorted(text_fields(form))
    slots = len(fields) + 3
    statuses: Counter[int] = Counter()
    for offset in sweep_offsets(slots):
        strings = rotation(NAUGHTY, slots, offset)
        data = {**plain_submission(form), **dict(zip(fields, strings, strict=False))}
        next_url, language, referer = strings[len(fields) :]
        headers = {
            "Origin": ORIGINS[offset % 2],
            "Accept-Language": as_header(language),
            "Referer": as_header(referer),
        }
        if offset % 2:
            pairs = [*data.items(), ("_next", next_url)]
            body = urlencode(pairs, errors="surrogatepass").encode("ascii")
            request = FuzzRequest(
                form=form,
                headers={**headers, "Content-Type": FORM_TYPE, "Accept": "text/html"},
                body=body,
                kind="form",
                submitted=(*strings, headers["Accept-Language"], headers["Referer"]),
            )
        else:
            with_next = {**data, "_next": next_url}
            request = FuzzRequest(
                form=form,
                headers={**headers, "Content-Type": JSON_TYPE},
                body=json_body(with_next, offset % 4 == 0, True),
                kind="json",
                submitted=(*strings, headers["Accept-Language"], headers["Referer"]),
                expected_data=expected_json_data(form, with_next),
            )
        statuses[run_one(client, bucket, logs, request, label).status] += 1
    check_cpu(label)
    assert statuses[201] + statuses[303] > 0, statuses


@pytest.mark.parametrize("where", ["Idempotency-Key", "path", "email", "enums and dates"])
def test_every_naughty_string_where_it_refuses_the_whole_request(
    client: Client, bucket: FuzzBucket, logs: pytest.LogCaptureFixture, where: str
) -> None:
    """Slots a naughty string usually makes the whole request a 4xx: one slot per request, alone."""
    label = f"naughty strings, {where}"
    step = 1 if FULL_SWEEP else 3
    for index in range(0, len(NAUGHTY), step):
        naughty = NAUGHTY[index]
        form = FORMS[index % len(FORMS)]
        data = plain_submission(form)
        headers = {"Content-Type": JSON_TYPE, "Origin": ORIGINS[0]}
        if where == "Idempotency-Key":
            headers["Idempotency-Key"] = as_header(naughty)
        elif where == "path":
            form = naughty
        elif where == "email":
            data["email"] = naughty
        else:
            names = ("kind", "date") if "kind" in data else ("addressee_kind", "channel", "date_sent")
            data[names[index % len(names)]] = naughty
        request = FuzzRequest(
            form=form,
            headers=headers,
            body=json_body(data, index % 2 == 0, True),
            kind="json",
            submitted=(naughty, as_header(naughty)),
            expected_data=expected_json_data(form, data) if form in FORMS else None,
        )
        run_one(client, bucket, logs, request, label)
    check_cpu(label)

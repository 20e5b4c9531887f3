"""Submission ids (chalicelib/core/ids.py): ULIDs that sort by arrival, and retries that find their id."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.core.ids import (
    ULID_LENGTH,
    idempotency_token,
    is_submission_id,
    keyed_submission_ids,
    new_submission_id,
    random_part,
    time_of,
)

RECEIVED = datetime(2026, 11, 14, 10, 30, 15, 123000, tzinfo=UTC)


def test_ids_sort_in_the_order_the_submissions_arrived() -> None:
    # Far apart and a millisecond apart; random parts (and tokens) must not reorder them.
    times = [RECEIVED + timedelta(milliseconds=step) for step in (0, 1, 2, 999, 1000, 86_400_000, 10**11)]
    tokens = [idempotency_token("action-report", f"key-{n}") for n in range(len(times))]
    made = [(t, new_submission_id(t, token)) for t, token in zip(times, reversed(tokens), strict=True)]
    made += [(t, new_submission_id(t)) for t in times]

    for (earlier, first), (later, second) in itertools.product(made, made):
        if earlier < later:
            assert first < second, (earlier, later)


def test_the_time_is_read_back_to_the_millisecond() -> None:
    submission_id = new_submission_id(RECEIVED.replace(microsecond=123456))

    assert time_of(submission_id) == RECEIVED  # 10:30:15.123, the microseconds dropped
    assert len(submission_id) == ULID_LENGTH
    assert time_of(new_submission_id(datetime.fromtimestamp(0, tz=UTC))) == datetime.fromtimestamp(0, tz=UTC)


def test_every_generated_id_is_a_submission_id() -> None:
    for n in range(200):
        assert is_submission_id(new_submission_id(RECEIVED + timedelta(seconds=n)))


@pytest.mark.parametrize(
    "text",
    [
        "",
        "01KAX3Z8W6V1R2F7D9QH0M4N5",  # 25 characters
        "01KAX3Z8W6V1R2F7D9QH0M4N5PQ",  # 27
        "01kax3z8w6v1r2f7d9qh0m4n5p",  # lowercase
        "01KAX3Z8W6V1R2F7D9QH0M4N5I",  # I, L, O and U are not in Crockford's alphabet
        "01KAX3Z8W6V1R2F7D9QH0M4N5L",
        "01KAX3Z8W6V1R2F7D9QH0M4N5O",
        "01KAX3Z8W6V1R2F7D9QH0M4N5U",
        "01KAX3Z8W6V1R2F7D9QH0M4N/P",
        "../../submissions/x.json..",
    ],
)
def test_other_text_is_not_a_submission_id(text: str) -> None:
    assert not is_submission_id(text)


def test_the_idempotency_token_depends_on_the_form_and_the_key_only() -> None:
    token = idempotency_token("action-report", "retry-me")

    assert token == idempotency_token("action-report", "retry-me")
    assert len(token) == 32
    assert token != idempotency_token("letter-copy", "retry-me")
    assert token != idempotency_token("action-report", "retry-me-2")
    # A separator between the two: the form "ab" with key "c" is not the form "a" with key "bc".
    assert idempotency_token("ab", "c") != idempotency_token("a", "bc")


def test_a_retry_with_the_same_token_makes_an_id_with_the_same_random_part() -> None:
    token = idempotency_token("action-report", "retry-me")
    first = new_submission_id(RECEIVED, token)
    retried = new_submission_id(RECEIVED + timedelta(seconds=3), token)

    assert first != retried  # the time part differs
    assert random_part(first) == random_part(retried)
    assert new_submission_id(RECEIVED, token) == first
    other = idempotency_token("action-report", "another-key")
    assert random_part(new_submission_id(RECEIVED, other)) != random_part(first)


def test_a_key_names_the_same_id_at_every_retry_and_an_opaque_one_its_day() -> None:
    ulid_key = new_submission_id(RECEIVED)
    later = RECEIVED + timedelta(hours=20)

    assert keyed_submission_ids("action-report", ulid_key, RECEIVED) == keyed_submission_ids(
        "action-report", ulid_key, later
    )
    opaque, earlier = keyed_submission_ids("action-report", "opaque", RECEIVED)
    assert time_of(opaque) == RECEIVED.replace(hour=0, minute=0, second=0, microsecond=0)
    assert earlier == ()
    just_after_midnight = RECEIVED.replace(hour=0, minute=20)
    _, earlier = keyed_submission_ids("action-report", "opaque", just_after_midnight)
    assert [time_of(found).date() for found in earlier] == [(RECEIVED - timedelta(days=1)).date()]


def test_without_a_token_the_random_part_is_random() -> None:
    parts = {random_part(new_submission_id(RECEIVED)) for _ in range(100)}
    assert len(parts) == 100

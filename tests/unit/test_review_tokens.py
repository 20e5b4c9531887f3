"""The review link's token: bound to stage, form and submission, expiring, and refused when changed in any way."""

from __future__ import annotations

import hmac
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.core import review_tokens
from chalicelib.core.review_tokens import ReviewSubject, TokenExpired, TokenInvalid, sign, verify

KEY = bytes(range(32))
NOW = datetime(2026, 11, 14, 18, 3, 12, tzinfo=UTC)
SUBJECT = ReviewSubject("prod", "action-report", "01KAX3Z8W6V1R2F7D9QH0M4N5Q")


def token(subject: ReviewSubject = SUBJECT, key: bytes = KEY, now: datetime = NOW) -> str:
    return sign(key, subject, review_tokens.expiry_for(now))


def test_a_token_opens_its_own_review_until_it_expires_30_days_later() -> None:
    made = token()

    verify(KEY, SUBJECT, made, NOW)
    verify(KEY, SUBJECT, made, NOW + timedelta(days=30) - timedelta(seconds=1))
    with pytest.raises(TokenExpired):
        verify(KEY, SUBJECT, made, NOW + timedelta(days=30))
    assert review_tokens.expires_on(made) == "2026-12-14"


@pytest.mark.parametrize(
    "other",
    [
        ReviewSubject("dev", SUBJECT.form, SUBJECT.submission_id),
        ReviewSubject(SUBJECT.stage, "letter-copy", SUBJECT.submission_id),
        ReviewSubject(SUBJECT.stage, SUBJECT.form, "01KAX3Z8W6V1R2F7D9QH0M4N5R"),
        # The fields are kept apart: moving text from one to the next is another subject.
        ReviewSubject("prod\naction-report", "", SUBJECT.submission_id),
    ],
)
def test_a_token_opens_no_other_stage_form_or_submission(other: ReviewSubject) -> None:
    with pytest.raises(TokenInvalid):
        verify(KEY, other, token(), NOW)


def test_a_token_made_with_another_key_is_refused() -> None:
    with pytest.raises(TokenInvalid):
        verify(KEY, SUBJECT, token(key=bytes(32)), NOW)


def test_a_later_expiry_written_into_a_token_breaks_it() -> None:
    expires, mac = token().split(".")

    with pytest.raises(TokenInvalid):
        verify(KEY, SUBJECT, f"{int(expires) + 86400 * 365}.{mac}", NOW)


def test_an_expired_token_is_told_apart_only_once_its_mac_is_genuine() -> None:
    past = token(now=NOW - timedelta(days=31))
    expires, mac = past.split(".")
    forged = f"{expires}.{mac[:-1]}{'A' if mac[-1] != 'A' else 'B'}"

    with pytest.raises(TokenExpired):
        verify(KEY, SUBJECT, past, NOW)
    with pytest.raises(TokenInvalid):
        verify(KEY, SUBJECT, forged, NOW)


@pytest.mark.parametrize(
    "given",
    [None, "", "abc", "1.2", f"{10**13}.{'A' * 43}", f"123.{'A' * 42}", f"123.{'A' * 44}", f" 123.{'A' * 43}"],
)
def test_malformed_tokens_are_refused_without_a_crash(given: str | None) -> None:
    with pytest.raises(TokenInvalid):
        verify(KEY, SUBJECT, given, NOW)


def test_the_mac_is_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    compared: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)  # the module review_tokens calls
    verify(KEY, SUBJECT, token(), NOW)

    assert len(compared) == 1


def test_the_url_names_the_form_and_the_submission_and_carries_the_token() -> None:
    made = token()

    url = review_tokens.review_url("https://abc.execute-api.us-east-1.amazonaws.com/api/", SUBJECT, made)

    assert url == (
        f"https://abc.execute-api.us-east-1.amazonaws.com/api/forms/action-report/review/{SUBJECT.submission_id}"
        f"?token={made}"
    )
    assert review_tokens.TOKEN.match(made)

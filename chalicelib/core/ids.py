"""Submission ids: ULIDs, so ids sort by the time they were received."""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, datetime, timedelta

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
TIME_CHARS = 10
ULID_LENGTH = 26
# A client's clock may be off a little; a key older than a day is not a retry of today's attempt.
KEY_TIME_PAST = timedelta(days=1)
KEY_TIME_AHEAD = timedelta(minutes=5)
OPAQUE_KEY_LOOKBACK = timedelta(hours=1)


def new_submission_id(now: datetime, idempotency_token: bytes | None = None) -> str:
    """A ULID for `now`; its random part comes from the idempotency token when given.

    Deriving the random part lets a retried request find the submission it made.
    """
    millis = int(now.timestamp() * 1000)
    randomness = idempotency_token[:10] if idempotency_token else os.urandom(10)
    value = (millis << 80) | int.from_bytes(randomness, "big")
    return _encode(value, ULID_LENGTH)


def idempotency_token(form: str, key: str) -> bytes:
    return hashlib.sha256(f"{form}\n{key}".encode()).digest()


def keyed_submission_ids(form: str, key: str, now: datetime) -> tuple[str, tuple[str, ...]]:
    """The id a submission sent with this Idempotency-Key gets, and the ids an earlier attempt may have had.

    Both come from the key alone, so finding a first attempt is one HEAD, never a LIST. A key that is
    itself a ULID made by the client (the embed's) lends its time: the id keeps its place in time,
    and a retry after midnight still lands on the first attempt's day. Any other key gets the start
    of the UTC day, so its ids sort by day only, and in the first hour after midnight a retry also
    looks for yesterday's.
    """
    token = idempotency_token(form, key)
    when = key_time(key, now)
    if when is not None:
        return new_submission_id(when, token), ()
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    earlier: tuple[str, ...] = ()
    if now - today < OPAQUE_KEY_LOOKBACK:
        earlier = (new_submission_id(today - timedelta(days=1), token),)
    return new_submission_id(today, token), earlier


def key_time(key: str, now: datetime) -> datetime | None:
    """The time of a ULID-shaped key, when it is a plausible one: past day to a few minutes ahead."""
    if not is_submission_id(key.upper()):
        return None
    when = time_of(key.upper())
    return when if now - KEY_TIME_PAST <= when <= now + KEY_TIME_AHEAD else None


def random_part(submission_id: str) -> str:
    return submission_id[TIME_CHARS:]


def time_of(submission_id: str) -> datetime:
    millis = _decode(submission_id[:TIME_CHARS])
    return datetime.fromtimestamp(millis / 1000, tz=UTC)


def is_submission_id(text: str) -> bool:
    return len(text) == ULID_LENGTH and all(char in CROCKFORD for char in text)


def _encode(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        value, index = divmod(value, 32)
        chars.append(CROCKFORD[index])
    return "".join(reversed(chars))


def _decode(text: str) -> int:
    value = 0
    for char in text:
        value = value * 32 + CROCKFORD.index(char)
    return value

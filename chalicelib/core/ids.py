"""Submission ids: ULIDs, so ids sort by the time they were received."""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, datetime

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
TIME_CHARS = 10
ULID_LENGTH = 26


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


def random_part_for(idempotency_token: bytes) -> str:
    """The last 16 characters every id made from this token shares."""
    return random_part(new_submission_id(datetime.fromtimestamp(0, tz=UTC), idempotency_token))


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

"""Each ALTCHA solution stores one submission, at the cost of the one PUT that stores it.

The submission's id comes from its challenge (altcha_challenges.solution_id), so the conditional
PUT (If-None-Match: *) that stores the first use refuses every later one. The object carries a
short hash of the Idempotency-Key it came with (S3 metadata `retry`): a refused PUT then costs
one HEAD, which tells a retry of that very submission (same key: the first answer again) from a
second use of its solution (another key, or none: 400 captcha_used). Nothing is stored for either.

    request                                         S3 requests
    first use                                       one conditional PUT
    retry, same key, same solution                  the PUT (412), one HEAD: the first answer
    retry, same key, after the challenge expired    one HEAD: the first answer, if it was stored
    the solution again, any other key or none       the PUT (412), one HEAD: 400
"""

from __future__ import annotations

import hashlib
import logging

from chalicelib.core.aws_errors import StorageUnavailable
from chalicelib.core.signing_keys import SigningKeyUnavailable
from chalicelib.core.storage import SubmissionStore
from chalicelib.intake import problems
from chalicelib.intake.altcha_challenges import FIELD, AltchaChallenges, ExpiredSolution

log = logging.getLogger(__name__)

RETRY_TAG_BYTES = 8


def retry_tag(form: str, idempotency_key: str | None) -> str:
    """What the object keeps of the Idempotency-Key: 16 hex digits of a hash, or "" without a key."""
    if not idempotency_key:
        return ""
    return hashlib.sha256(f"retry\n{form}\n{idempotency_key}".encode()).digest()[:RETRY_TAG_BYTES].hex()


class SingleUse:
    def __init__(self, challenges: AltchaChallenges, store: SubmissionStore) -> None:
        self._challenges = challenges
        self._store = store

    @classmethod
    def refusing(cls, store: SubmissionStore) -> SingleUse:
        """Without the signing key given: every ALTCHA form is refused (503), never let through."""
        return cls(AltchaChallenges(_no_signing_key), store)

    def admit(self, form: str, token: str, tag: str) -> tuple[str, bool]:
        """The submission id the solution stands for, and whether its first attempt is stored already."""
        try:
            return self._challenges.verify(form, token), False
        except ExpiredSolution as expired:
            # Only a signed, solved challenge gets here: a retry sent after expiry finds its first attempt.
            if tag and self._tag_of(form, expired.submission_id) == tag:
                return expired.submission_id, True
            raise

    def earlier_answer(self, form: str, submission_id: str, tag: str) -> str | None:
        """None when nothing is stored under this id; the id for a retry of it; a 400 for anyone else."""
        stored = self._tag_of(form, submission_id)
        if stored is None:
            return None
        if not tag or stored != tag:
            log.info("altcha solution used again form=%s", form)
            raise problems.CaptchaRejected("captcha_used", field=FIELD)
        return submission_id

    def after_conflict(self, form: str, submission_id: str, tag: str) -> str:
        """The PUT found the id taken: the earlier answer, a 400, or (still being written) a 503 to retry."""
        found = self.earlier_answer(form, submission_id, tag)
        if found is None:  # a write under way that S3 does not show yet
            raise problems.ServiceUnavailable("storage_unavailable")
        return found

    def _tag_of(self, form: str, submission_id: str) -> str | None:
        try:
            return self._store.retry_tag(form, submission_id)
        except StorageUnavailable:
            raise problems.ServiceUnavailable("storage_unavailable") from None


def _no_signing_key() -> bytes:
    raise SigningKeyUnavailable("no signing key was given")

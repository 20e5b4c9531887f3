"""Submissions in S3: one conditional PUT each, found again by id with one HEAD."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from chalicelib.core import ids
from chalicelib.core.aws_errors import ObjectMissing, s3_errors

# Re-exported: the notify batch imports it from here.
from chalicelib.core.aws_errors import StorageUnavailable as StorageUnavailable
from chalicelib.core.record import SubmissionRecord

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

SUBMISSIONS_PREFIX = "submissions/"
# S3 user metadata (x-amz-meta-retry): a short hash of the Idempotency-Key the submission came with.
RETRY_TAG = "retry"


def day_prefix(form: str, day: datetime) -> str:
    return f"{SUBMISSIONS_PREFIX}{form}/{day:%Y/%m/%d}/"


def submission_key(form: str, submission_id: str) -> str:
    return f"{day_prefix(form, ids.time_of(submission_id))}{submission_id}.json"


def submission_id_from_key(key: str) -> str:
    return key.rsplit("/", 1)[-1].removesuffix(".json")


class SubmissionStore:
    def __init__(self, s3: S3Client, bucket: str) -> None:
        self._s3 = s3
        self._bucket = bucket

    def put(self, record: SubmissionRecord, retry_tag: str = "") -> str:
        """Store a submission once; never overwrite one (AlreadyExists when its key is taken).

        `retry_tag` (a hash of the Idempotency-Key, never the key) lets a retry tell its own first
        attempt from another submission that took the same key (an ALTCHA solution used twice).
        """
        key = submission_key(record.form, record.id)
        with s3_errors("put"):
            self._s3.put_object(
                Bucket=self._bucket,
                Key=key,
                Body=record.to_json(),
                ContentType="application/json; charset=utf-8",
                IfNoneMatch="*",
                Metadata={RETRY_TAG: retry_tag} if retry_tag else {},
            )
        return key

    def retry_tag(self, form: str, submission_id: str) -> str | None:
        """One HEAD: the retry tag the submission was stored with ("" for none); None when it is not stored."""
        try:
            with s3_errors("head"):
                head = self._s3.head_object(Bucket=self._bucket, Key=submission_key(form, submission_id))
        except ObjectMissing:
            return None
        return head.get("Metadata", {}).get(RETRY_TAG, "")

    def exists(self, form: str, submission_id: str) -> bool:
        """One HEAD: is a submission with this id stored?"""
        try:
            with s3_errors("head"):
                self._s3.head_object(Bucket=self._bucket, Key=submission_key(form, submission_id))
        except ObjectMissing:
            return False
        return True


def read_object(s3: S3Client, bucket: str, key: str) -> bytes | None:
    """The object's bytes; None when there is no such object."""
    try:
        with s3_errors("get"):
            return s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except ObjectMissing:
        return None

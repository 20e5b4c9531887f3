"""Submissions in S3: one conditional PUT each, found again by id."""

from __future__ import annotations

from collections.abc import Iterable
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

    def put(self, record: SubmissionRecord) -> str:
        """Store a submission once; never overwrite one (AlreadyExists when its key is taken)."""
        key = submission_key(record.form, record.id)
        with s3_errors("put"):
            self._s3.put_object(
                Bucket=self._bucket,
                Key=key,
                Body=record.to_json(),
                ContentType="application/json; charset=utf-8",
                IfNoneMatch="*",
            )
        return key

    def find(self, form: str, random_part: str, days: Iterable[datetime]) -> str | None:
        """The id of a submission of `form` on one of `days` whose id ends in `random_part`."""
        with s3_errors("list"):
            for day in days:
                found = self._find_on_day(form, random_part, day)
                if found:
                    return found
        return None

    def _find_on_day(self, form: str, random_part: str, day: datetime) -> str | None:
        pages = self._s3.get_paginator("list_objects_v2").paginate(Bucket=self._bucket, Prefix=day_prefix(form, day))
        for page in pages:
            for item in page.get("Contents", []):
                submission_id = submission_id_from_key(item["Key"])
                if ids.random_part(submission_id) == random_part:
                    return submission_id
        return None


def read_object(s3: S3Client, bucket: str, key: str) -> bytes | None:
    """The object's bytes; None when there is no such object."""
    try:
        with s3_errors("get"):
            return s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except ObjectMissing:
        return None

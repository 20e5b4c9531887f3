"""Submissions in S3: one conditional PUT each, found again by id."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.core import ids

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

log = logging.getLogger(__name__)

SUBMISSIONS_PREFIX = "submissions/"
# S3 answers these when an object with the key exists or is being written.
ALREADY_EXISTS = frozenset({"PreconditionFailed", "ConditionalRequestConflict"})
MISSING = frozenset({"NoSuchKey", "404", "NotFound"})


class StorageUnavailable(Exception):
    """S3 could not be reached or refused the request; nothing was stored."""


class AlreadyStored(Exception):
    """An object with this submission's key exists already."""


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

    def put(self, record: Mapping[str, Any]) -> str:
        """Store a submission once; never overwrite one."""
        key = submission_key(str(record["form"]), str(record["id"]))
        body = json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode()
        try:
            self._s3.put_object(
                Bucket=self._bucket,
                Key=key,
                Body=body,
                ContentType="application/json; charset=utf-8",
                IfNoneMatch="*",
            )
        except ClientError as error:
            if error_code(error) in ALREADY_EXISTS:
                raise AlreadyStored(key) from None
            raise _unavailable("put", error) from None
        except BotoCoreError as error:
            raise _unavailable("put", error) from None
        return key

    def find(self, form: str, random_part: str, days: Iterable[datetime]) -> str | None:
        """The id of a submission of `form` on one of `days` whose id ends in `random_part`."""
        try:
            for day in days:
                found = self._find_on_day(form, random_part, day)
                if found:
                    return found
        except (ClientError, BotoCoreError) as error:
            raise _unavailable("list", error) from None
        return None

    def _find_on_day(self, form: str, random_part: str, day: datetime) -> str | None:
        pages = self._s3.get_paginator("list_objects_v2").paginate(Bucket=self._bucket, Prefix=day_prefix(form, day))
        for page in pages:
            for item in page.get("Contents", []):
                submission_id = submission_id_from_key(item["Key"])
                if ids.random_part(submission_id) == random_part:
                    return submission_id
        return None


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def is_missing(error: ClientError) -> bool:
    """S3's "no such object" (a HEAD has no body, so only its status says so)."""
    return error_code(error) in MISSING


def read_object(s3: S3Client, bucket: str, key: str) -> bytes | None:
    """The object's bytes; None when there is no such object."""
    try:
        return s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError as error:
        if is_missing(error):
            return None
        raise _unavailable("get", error) from None
    except BotoCoreError as error:
        raise _unavailable("get", error) from None


def _unavailable(action: str, error: Exception) -> StorageUnavailable:
    code = error_code(error) if isinstance(error, ClientError) else ""
    log.warning("storage %s failed: %s %s", action, type(error).__name__, code)
    return StorageUnavailable(f"{action}: {type(error).__name__} {code}".strip())

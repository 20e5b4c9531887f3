"""Which submissions are stored, from S3 list pages alone: never one request per object to list them.

Keys are submissions/{form}/{yyyy}/{mm}/{dd}/{id}.json. The days are found with delimiter
listings (one per form, year and month), walked lazily in the order asked for, so the newest
fifty of a busy month cost a few list pages. Within a day, entries sort by when S3 stored
them (LastModified), then by id: an id made from an opaque idempotency key carries only its day.
"""

from __future__ import annotations

import heapq
import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from chalicelib.core import ids
from chalicelib.core.storage import SUBMISSIONS_PREFIX, submission_id_from_key

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

YEAR, MONTH_OR_DAY = re.compile(r"\d{4}"), re.compile(r"\d{2}")


@dataclass(frozen=True)
class Span:
    """Days from `since` to `until`, both included (UTC, as the keys are); None is open."""

    since: date | None = None
    until: date | None = None

    def allows(self, path: str) -> bool:
        """Whether a year ("2026"), month ("2026/11") or day ("2026/11/14") may hold days in the span."""
        low = self.since.strftime("%Y/%m/%d")[: len(path)] if self.since else None
        high = self.until.strftime("%Y/%m/%d")[: len(path)] if self.until else None
        return (low is None or low <= path) and (high is None or path <= high)


@dataclass(frozen=True)
class Entry:
    key: str
    form: str
    id: str
    stored: datetime
    day: str


def stored_forms(s3: S3Client, bucket: str) -> list[str]:
    """The forms that have submissions in the bucket (one delimiter listing)."""
    return sorted(_children(s3, bucket, SUBMISSIONS_PREFIX))


def entries(s3: S3Client, bucket: str, forms: Iterable[str], span: Span, *, newest_first: bool) -> Iterator[Entry]:
    """Every submission of these forms in the span, day by day; the next day is listed only when asked for."""
    walks = [_days(s3, bucket, form, span, newest_first) for form in forms]
    merged = heapq.merge(*walks, reverse=newest_first)
    for day, group in itertools.groupby(merged, key=lambda found: found[0]):
        listed = [entry for _, form in group for entry in _list_day(s3, bucket, form, day)]
        listed.sort(key=lambda entry: (entry.stored, entry.id), reverse=newest_first)
        yield from listed


def _days(s3: S3Client, bucket: str, form: str, span: Span, newest_first: bool) -> Iterator[tuple[str, str]]:
    """(day, form) for each day prefix of the form that exists in the span, in order."""
    root = f"{SUBMISSIONS_PREFIX}{form}/"
    for year in _ordered(_children(s3, bucket, root), YEAR, newest_first):
        if not span.allows(year):
            continue
        for month in _ordered(_children(s3, bucket, f"{root}{year}/"), MONTH_OR_DAY, newest_first):
            if not span.allows(f"{year}/{month}"):
                continue
            for day in _ordered(_children(s3, bucket, f"{root}{year}/{month}/"), MONTH_OR_DAY, newest_first):
                if span.allows(f"{year}/{month}/{day}"):
                    yield f"{year}/{month}/{day}", form


def _ordered(names: Iterable[str], shape: re.Pattern[str], newest_first: bool) -> list[str]:
    return sorted((name for name in names if shape.fullmatch(name)), reverse=newest_first)


def _children(s3: S3Client, bucket: str, prefix: str) -> list[str]:
    """The names of the "folders" right under a prefix."""
    names = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix, Delimiter="/"):
        names += [found["Prefix"][len(prefix) :].rstrip("/") for found in page.get("CommonPrefixes", [])]
    return names


def _list_day(s3: S3Client, bucket: str, form: str, day: str) -> Iterator[Entry]:
    prefix = f"{SUBMISSIONS_PREFIX}{form}/{day}/"
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            key = item["Key"]
            submission_id = submission_id_from_key(key)
            # Only ids: anything else under the prefix is not a submission letterbox wrote.
            if key == f"{prefix}{submission_id}.json" and ids.is_submission_id(submission_id):
                yield Entry(key, form, submission_id, item["LastModified"], day)

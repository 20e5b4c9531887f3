"""Forgetting one submission: every object letterbox keeps of it, every version of each.

What letterbox writes of a submission (README, Storage): the record, its attachments under
attachments/{id}/, its marker notified/{id}, for a while the browser's uploads under
uploads/{form}/{upload id}, and if it was moderated its wall entry and decision
(chalicelib/core/wall.py). With versioning on, a delete leaves the old versions behind, so each
key's versions and delete markers are listed (ListObjectVersions) and deleted by VersionId.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from chalicelib.core.storage import submission_key
from chalicelib.core.wall import decision_key, entry_key
from chalicelib.notify.markers import MARKER_PREFIX
from letterbox.catalog import stored_forms

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

ATTACHMENTS_PREFIX = "attachments/"
UPLOADS_PREFIX = "uploads/"
DELETE_BATCH = 1000  # DeleteObjects takes at most this many keys


class EraseFailed(Exception):
    """S3 refused to delete some versions; running delete again retries them."""


@dataclass(frozen=True)
class Version:
    key: str
    version_id: str
    delete_marker: bool


@dataclass
class ErasePlan:
    """What is stored of one submission, by kind, every version counted."""

    submission: list[Version] = field(default_factory=list)
    attachments: list[Version] = field(default_factory=list)
    markers: list[Version] = field(default_factory=list)
    uploads: list[Version] = field(default_factory=list)
    wall: list[Version] = field(default_factory=list)
    decisions: list[Version] = field(default_factory=list)

    def kinds(self) -> dict[str, list[Version]]:
        return {
            "submission": self.submission,
            "attachments": self.attachments,
            "markers": self.markers,
            "uploads": self.uploads,
            "wall": self.wall,
            "decisions": self.decisions,
        }

    @property
    def wall_forms(self) -> list[str]:
        """The forms whose wall showed it: their feeds must be built again without it."""
        return sorted({version.key.split("/")[1] for version in self.wall})

    @property
    def everything(self) -> list[Version]:
        return [version for versions in self.kinds().values() for version in versions]


def find_everything(s3: S3Client, bucket: str, submission_id: str, forms: Iterable[str]) -> ErasePlan:
    """Every version of every object of the submission, whichever form it was sent with."""
    every_form = list(dict.fromkeys([*forms, *stored_forms(s3, bucket)]))
    plan = ErasePlan(
        attachments=versions(s3, bucket, f"{ATTACHMENTS_PREFIX}{submission_id}/"),
        markers=versions(s3, bucket, f"{MARKER_PREFIX}{submission_id}"),
    )
    for form in every_form:
        found = versions(s3, bucket, submission_key(form, submission_id), exact=True)
        plan.submission += found
        plan.wall += versions(s3, bucket, entry_key(form, submission_id), exact=True)
        plan.decisions += versions(s3, bucket, decision_key(form, submission_id), exact=True)
        for upload_id in _upload_ids(s3, bucket, found):
            plan.uploads += versions(s3, bucket, f"{UPLOADS_PREFIX}{form}/{upload_id}", exact=True)
    return plan


def versions(s3: S3Client, bucket: str, prefix: str, *, exact: bool = False) -> list[Version]:
    """Every version and delete marker under a prefix (or of exactly that key); an unversioned bucket has one each."""
    found = []
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=prefix):
        for item, marker in [
            *((v, False) for v in page.get("Versions", [])),
            *((m, True) for m in page.get("DeleteMarkers", [])),
        ]:
            if not exact or item["Key"] == prefix:
                found.append(Version(item["Key"], item.get("VersionId") or "null", marker))
    return found


def erase(s3: S3Client, bucket: str, plan: ErasePlan) -> int:
    """Delete every version in the plan; the number deleted. Raises if S3 refused any."""
    everything = plan.everything
    for start in range(0, len(everything), DELETE_BATCH):
        batch = everything[start : start + DELETE_BATCH]
        answer = s3.delete_objects(
            Bucket=bucket,
            Delete={"Objects": [{"Key": v.key, "VersionId": v.version_id} for v in batch], "Quiet": True},
        )
        if errors := answer.get("Errors", []):
            codes = sorted({str(error.get("Code")) for error in errors})
            raise EraseFailed(f"S3 refused to delete {len(errors)} object versions ({', '.join(codes)})")
    return len(everything)


def _upload_ids(s3: S3Client, bucket: str, record_versions: list[Version]) -> list[str]:
    """The upload ids the record named (its attachments field): read from its newest readable version."""
    for version in record_versions:
        if version.delete_marker:
            continue
        raw = s3.get_object(Bucket=bucket, Key=version.key, VersionId=version.version_id)["Body"].read()
        return _ids_in(raw)
    return []


def _ids_in(raw: bytes) -> list[str]:
    try:
        data: Mapping[str, Any] = json.loads(raw).get("data", {})
    except (ValueError, AttributeError):
        return []
    named = data.get("attachments") if isinstance(data, dict) else None
    # Only id-shaped names: a listing prefix built from anything else could reach other objects.
    return [item for item in named or [] if isinstance(item, str) and item.isalnum()] if isinstance(named, list) else []

"""Make one prefix of the bucket hold exactly the given objects, and no older version of any of them.

One listing of every version under the prefix says what is there (the current objects with their
ETags, the old versions, the delete markers). An object is written only when its bytes changed: S3's
ETag of a plain PUT is the MD5 of its bytes (SSE-S3). Under SSE-KMS the ETag is not an MD5, so every
object is written again at each sync: still right, only more PUTs. Then every version not wanted
is deleted: objects no longer needed, the versions a write replaced, old versions and delete markers.
A removed wall entry lingers in no version of any page.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chalicelib.core.wall_pages import StoredObject

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

THREADS = 8
DELETE_BATCH = 1000  # S3's DeleteObjects limit
NULL = "null"  # the version id of an object written while versioning was never on, or suspended


class NotRemoved(Exception):
    """S3 refused to delete some versions: the sync must run again, or an old page may linger."""


@dataclass(frozen=True)
class SyncResult:
    written: int
    unchanged: int
    removed_versions: int


def sync_prefix(s3: S3Client, bucket: str, prefix: str, wanted: Mapping[str, StoredObject]) -> SyncResult:
    listed = list_versions(s3, bucket, prefix)
    current = {item["Key"]: str(item.get("ETag", "")) for item in listed if item.get("IsLatest") and "ETag" in item}
    changed = [key for key, found in wanted.items() if not same_bytes(current.get(key), found.body)]
    with ThreadPoolExecutor(THREADS) as pool:
        written = dict(zip(changed, pool.map(lambda key: _put(s3, bucket, key, wanted[key]), changed), strict=True))
    doomed = [_version(item) for item in listed if _is_doomed(item, wanted, written)]
    for start in range(0, len(doomed), DELETE_BATCH):
        batch = doomed[start : start + DELETE_BATCH]
        answer = s3.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})  # type: ignore[typeddict-item]
        if answer.get("Errors"):
            raise NotRemoved(f"{len(answer['Errors'])} old version(s) under {prefix} could not be deleted")
    return SyncResult(written=len(changed), unchanged=len(wanted) - len(changed), removed_versions=len(doomed))


def same_bytes(etag: str | None, body: bytes) -> bool:
    return etag is not None and etag.strip('"') == hashlib.md5(body, usedforsecurity=False).hexdigest()


def list_versions(s3: S3Client, bucket: str, prefix: str) -> list[Mapping[str, Any]]:
    found: list[Mapping[str, Any]] = []
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=prefix):
        found += [*page.get("Versions", []), *page.get("DeleteMarkers", [])]
    return found


def _put(s3: S3Client, bucket: str, key: str, found: StoredObject) -> str:
    """The new version's id: "null" (or none) when the bucket does not keep versions."""
    answer = s3.put_object(Bucket=bucket, Key=key, Body=found.body, ContentType=found.content_type)
    return str(answer.get("VersionId") or NULL)


def _is_doomed(item: Mapping[str, Any], wanted: Mapping[str, StoredObject], written: Mapping[str, str]) -> bool:
    key, version = item["Key"], str(item.get("VersionId") or NULL)
    if key not in wanted:
        return True
    if key in written:
        # Without versioning the write replaced the "null" version: deleting it would delete the new page.
        return not (version == NULL and written[key] == NULL)
    return not item.get("IsLatest")


def _version(item: Mapping[str, Any]) -> dict[str, str]:
    return {"Key": str(item["Key"]), "VersionId": str(item.get("VersionId") or NULL)}

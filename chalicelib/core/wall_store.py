"""The wall in S3, as the console keeps it: entries, decisions, and the feed rebuilt after each change.

Taking something down removes every version of it (with versioning on, a plain delete keeps
the old one), and each rebuild purges the feed's older versions: a removed entry lingers nowhere.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from chalicelib.core import ids, wall_feed
from chalicelib.core import wall as keys
from chalicelib.core.aws_errors import AlreadyExists, s3_errors
from chalicelib.core.storage import read_object

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

JSON_TYPE = "application/json; charset=utf-8"
THREADS = 8


def now_text() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class WallStore:
    def __init__(self, s3: S3Client, bucket: str) -> None:
        self._s3 = s3
        self._bucket = bucket

    def publish(self, form: str, submission_id: str, fields: Mapping[str, Any]) -> dict[str, Any]:
        published = wall_feed.entry(submission_id, now_text(), fields)
        self._put(keys.entry_key(form, submission_id), published)
        self.decide(form, submission_id, "approved")
        return published

    def decide(self, form: str, submission_id: str, decision: str) -> None:
        """The decision alone: no name, no reason, nothing the supporter typed."""
        self._put(keys.decision_key(form, submission_id), {"decision": decision, "at": now_text()})

    def decide_first(self, form: str, submission_id: str, decision: str) -> bool:
        """The decision unless one is recorded already (a conditional PUT): whether this one was recorded."""
        try:
            with s3_errors("decide"):
                self._put(keys.decision_key(form, submission_id), {"decision": decision, "at": now_text()}, once=True)
        except AlreadyExists:
            return False
        return True

    def decision(self, form: str, submission_id: str) -> dict[str, Any] | None:
        """The recorded decision ({"decision": "approved", "at": "…"}); None when there is none."""
        raw = read_object(self._s3, self._bucket, keys.decision_key(form, submission_id))
        return None if raw is None else dict(json.loads(raw))

    def take_down(self, form: str, submission_id: str) -> bool:
        """Every version of the entry removed; whether there was one."""
        return self._purge(keys.entry_key(form, submission_id), keep_latest=False) > 0

    def is_published(self, form: str, submission_id: str) -> bool:
        return read_object(self._s3, self._bucket, keys.entry_key(form, submission_id)) is not None

    def decided(self, form: str) -> set[str]:
        """The ids with a decision, from listings alone: which decision does not matter to `pending`."""
        prefix = keys.decisions_prefix(form)
        return {key.removeprefix(prefix).removesuffix(".json") for key in self._keys(prefix)}

    def feed(self, form: str) -> dict[str, Any]:
        raw = read_object(self._s3, self._bucket, keys.feed_key(form))
        return wall_feed.empty_feed(form) if raw is None else dict(json.loads(raw))

    def rebuild(self, form: str) -> dict[str, Any]:
        """The feed from every entry stored (not from the last feed): what a failed run left wrong, this mends."""
        entry_keys = [key for key in self._keys(keys.entries_prefix(form)) if _is_entry_key(form, key)]
        with ThreadPoolExecutor(THREADS) as pool:
            raws = list(pool.map(lambda key: read_object(self._s3, self._bucket, key), entry_keys))
        entries = [wall_feed.parse_entry(raw) for raw in raws if raw is not None]
        built = wall_feed.build_feed(form, entries, now_text())
        self._put(keys.feed_key(form), built)
        self._purge(keys.feed_key(form), keep_latest=True)
        return built

    def _put(self, key: str, body: Mapping[str, Any], *, once: bool = False) -> None:
        raw = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        if once:  # If-None-Match: *, so that of two writers only the first finds the key free
            self._s3.put_object(Bucket=self._bucket, Key=key, Body=raw, ContentType=JSON_TYPE, IfNoneMatch="*")
        else:
            self._s3.put_object(Bucket=self._bucket, Key=key, Body=raw, ContentType=JSON_TYPE)

    def _keys(self, prefix: str) -> list[str]:
        found = []
        for page in self._s3.get_paginator("list_objects_v2").paginate(Bucket=self._bucket, Prefix=prefix):
            found += [item["Key"] for item in page.get("Contents", [])]
        return found

    def _purge(self, key: str, *, keep_latest: bool) -> int:
        doomed = [
            {"Key": item["Key"], "VersionId": item.get("VersionId") or "null"}
            for item in self._versions(key)
            if not (keep_latest and item.get("IsLatest"))
        ]
        if doomed:
            self._s3.delete_objects(Bucket=self._bucket, Delete={"Objects": doomed, "Quiet": True})  # type: ignore[typeddict-item]
        return len(doomed)

    def _versions(self, key: str) -> Iterable[Mapping[str, Any]]:
        for page in self._s3.get_paginator("list_object_versions").paginate(Bucket=self._bucket, Prefix=key):
            for item in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]:
                if item["Key"] == key:
                    yield item


def _is_entry_key(form: str, key: str) -> bool:
    name = key.removeprefix(keys.entries_prefix(form)).removesuffix(".json")
    return key == keys.entry_key(form, name) and ids.is_submission_id(name)

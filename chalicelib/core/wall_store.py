"""The wall in S3, as the console keeps it: entries, decisions, and the feed rebuilt after each change.

Taking something down removes every version of it (with versioning on, a plain delete keeps
the old one), and each rebuild renders the feed's pages again (chalicelib/core/wall_pages.py),
writes those that changed and purges every other version under the feed: a removed entry
lingers nowhere.
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
from chalicelib.core.forms import FormDefinition, FormRegistry
from chalicelib.core.storage import read_object
from chalicelib.core.wall import WallFields
from chalicelib.core.wall_feed import newest_first
from chalicelib.core.wall_filters import ALL
from chalicelib.core.wall_pages import StoredObject, render_views, render_wall, views
from chalicelib.core.wall_sync import sync_prefix

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

JSON_TYPE = "application/json; charset=utf-8"
THREADS = 8


def now_text() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class WallStore:
    def __init__(self, s3: S3Client, bucket: str, forms: FormRegistry | None = None) -> None:
        self._s3 = s3
        self._bucket = bucket
        self._forms = forms

    def publish(self, form: str, submission_id: str, fields: Mapping[str, Any]) -> dict[str, Any]:
        published = wall_feed.entry(submission_id, now_text(), fields)
        self._put(keys.entry_key(form, submission_id), published)
        self.decide(form, submission_id, "approved")
        return published

    def add_to_feed(self, form: str, published: Mapping[str, Any]) -> dict[str, Any]:
        """The feed with one more entry, from the feed itself: only the views it joins are read and written.

        A view's pages hold its entries, so those pages (one GET per 50 entries of the view) give what a
        rebuild would read from every entry of the wall (one GET each): the same bytes for a fiftieth of
        the requests. A feed not yet paged (a new wall, or one published before the pages) is rebuilt, as
        is one that shows this entry already (published again, edited).
        Answers the counts of the whole wall.
        """
        fields = self._wall_fields(form)
        if fields is None:
            return {"counts": self.rebuild(form)["counts"]}
        joined = views([published])
        with ThreadPoolExecutor(THREADS) as pool:
            found = dict(zip(joined, pool.map(lambda view: self._view_entries(form, view), joined), strict=True))
        whole = found[ALL]
        # Not paged yet, or published again (edited): the views of its older copy may differ from the new one's.
        if whole is None or any(item["id"] == published["id"] for item in whole):
            return {"counts": self.rebuild(form)["counts"]}
        current = {view: newest_first([*(listed or []), published]) for view, listed in found.items()}
        rendered = render_views(fields[0], fields[1], current)
        for view in current:
            prefix = keys.page_prefix(form, view)
            sync_prefix(self._s3, self._bucket, prefix, {k: v for k, v in rendered.items() if k.startswith(prefix)})
        atom = keys.atom_key(form)
        sync_prefix(self._s3, self._bucket, atom, {atom: rendered[atom]})
        return {"counts": wall_feed.counts(current[ALL])}

    def _view_entries(self, form: str, view: str) -> list[dict[str, Any]] | None:
        """Every entry of one view, from its pages; None when the view has no page (yet)."""
        first = self._view_page(form, view, 1)
        if first is None:
            return None
        with ThreadPoolExecutor(THREADS) as pool:
            numbers = range(2, int(first["pages"]) + 1)
            rest = list(pool.map(lambda number: self._view_page(form, view, number), numbers))
        return [dict(item) for page in (first, *rest) if page is not None for item in page["entries"]]

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
        """Every entry as the feed shows it (its pages, one GET per 50), with the counts: `letterbox wall list`."""
        first = self._page(form, 1)
        if first is None:
            return wall_feed.build_feed(form, [])
        with ThreadPoolExecutor(THREADS) as pool:
            rest = list(pool.map(lambda number: self._page(form, number), range(2, int(first["pages"]) + 1)))
        entries = [item for page in (first, *rest) if page is not None for item in page["entries"]]
        return {"form": form, "counts": first["counts"], "entries": entries}

    def _page(self, form: str, number: int) -> dict[str, Any] | None:
        return self._view_page(form, ALL, number)

    def _view_page(self, form: str, view: str, number: int) -> dict[str, Any] | None:
        raw = read_object(self._s3, self._bucket, keys.page_key(form, view, number))
        return None if raw is None else dict(json.loads(raw))

    def entries(self, form: str) -> list[dict[str, Any]]:
        entry_keys = [key for key in self._keys(keys.entries_prefix(form)) if _is_entry_key(form, key)]
        with ThreadPoolExecutor(THREADS) as pool:
            raws = list(pool.map(lambda key: read_object(self._s3, self._bucket, key), entry_keys))
        return [wall_feed.parse_entry(raw) for raw in raws if raw is not None]

    def rebuild(self, form: str) -> dict[str, Any]:
        """The feed from every entry stored (not from the last feed): what a failed run left wrong, this mends.

        Answers the feed (as `feed`) and, under "objects", how many were written, left as they were, removed.
        """
        entries = self.entries(form)
        result = sync_prefix(self._s3, self._bucket, keys.feed_prefix(form), self._rendered(form, entries))
        self._purge(keys.legacy_feed_key(form), keep_latest=False)
        objects = {"written": result.written, "unchanged": result.unchanged, "removed": result.removed_versions}
        return {**wall_feed.build_feed(form, entries), "objects": objects}

    def _rendered(self, form: str, entries: list[dict[str, Any]]) -> dict[str, StoredObject]:
        """Nothing for a form that has no wall (any more): its pages are all removed."""
        fields = self._wall_fields(form)
        return {} if fields is None else render_wall(fields[0], fields[1], entries)

    def _wall_fields(self, form: str) -> tuple[FormDefinition, WallFields] | None:
        if self._forms is None:
            self._forms = FormRegistry.load(validators=False)
        definition = self._forms.get(form)
        fields = keys.wall_fields(definition) if definition is not None else None
        return None if definition is None or fields is None else (definition, fields)

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

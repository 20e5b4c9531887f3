"""Reading the S3 event notifications that arrive on the notify queue."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

from chalicelib.core.storage import SUBMISSIONS_PREFIX


class MalformedEvent(Exception):
    """A queue message that is not an S3 event: retrying will not help."""


@dataclass(frozen=True)
class StoredObject:
    bucket: str
    key: str


def created_objects(message_body: str) -> Iterator[StoredObject]:
    """The submissions an S3 event announces; nothing for S3's test event."""
    try:
        event = json.loads(message_body)
    except ValueError:
        raise MalformedEvent("body is not JSON") from None
    if not isinstance(event, dict):
        raise MalformedEvent("body is not a JSON object")
    # S3 sends this once when the notification is configured.
    if event.get("Event") == "s3:TestEvent":
        return
    records = event.get("Records")
    if not isinstance(records, list):
        raise MalformedEvent("no Records")
    for record in records:
        found = _created_object(record)
        if found is not None:
            yield found


def _created_object(record: Any) -> StoredObject | None:
    try:
        if not str(record["eventName"]).startswith("ObjectCreated:"):
            return None
        bucket = str(record["s3"]["bucket"]["name"])
        # S3 URL-encodes keys in events, with "+" for a space.
        key = unquote_plus(str(record["s3"]["object"]["key"]))
    except (KeyError, TypeError):
        raise MalformedEvent("record without eventName, bucket or key") from None
    if not key.startswith(SUBMISSIONS_PREFIX):
        return None
    return StoredObject(bucket, key)

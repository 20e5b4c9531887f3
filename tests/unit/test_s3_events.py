"""Reading S3 event notifications as they arrive on the queue."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chalicelib.notify.s3_events import MalformedEvent, StoredObject, created_objects

EVENT = json.loads((Path(__file__).parent.parent / "events" / "s3-object-created.json").read_text())


def test_an_object_created_event_names_the_bucket_and_decoded_key() -> None:
    assert list(created_objects(json.dumps(EVENT))) == [
        StoredObject("letterbox-prod-123456789012-eu-west-1", "submissions/letter-copy/2026/11/14/Письмо a+b.json")
    ]


def test_s3_test_event_announces_nothing() -> None:
    test_event = {
        "Service": "Amazon S3",
        "Event": "s3:TestEvent",
        "Time": "2026-11-14T10:00:00.000Z",
        "Bucket": "letterbox-prod",
        "RequestId": "5582815E1AEA5ADF",
        "HostId": "x",
    }
    assert list(created_objects(json.dumps(test_event))) == []


def test_objects_outside_submissions_and_other_events_are_skipped() -> None:
    record = EVENT["Records"][0]
    elsewhere = {**record, "s3": {**record["s3"], "object": {**record["s3"]["object"], "key": "notified/01ABC"}}}
    removed = {**record, "eventName": "ObjectRemoved:Delete"}

    assert list(created_objects(json.dumps({"Records": [elsewhere, removed]}))) == []


@pytest.mark.parametrize(
    "body", ["not json", "[1]", '{"no": "records"}', '{"Records": [{"eventName": "ObjectCreated:Put"}]}']
)
def test_a_body_that_is_no_s3_event_is_malformed(body: str) -> None:
    with pytest.raises(MalformedEvent):
        list(created_objects(body))

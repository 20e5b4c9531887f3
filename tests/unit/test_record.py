"""The stored submission record: what v2 writes, what v1 wrote, and what is not a record."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from chalicelib.core.record import RECORD_VERSION, NotARecord, StoredAttachment, SubmissionRecord

V1_FIXTURE = Path(__file__).resolve().parent.parent / "events" / "submission-v1.json"
SECRET_TEXT = "Тверской районный суд"


def a_record(**changes: Any) -> SubmissionRecord:
    fields: dict[str, Any] = {
        "id": "01KAX3Z8W6V1R2F7D9QH0M4N5P",
        "form": "letter-copy",
        "schema_version": "3f2a9c1b7e4d",
        "received_at": "2026-11-14T18:03:12.345Z",
        "data": {"addressee": SECRET_TEXT, "channel": "fax", "copies": 2, "urgent": True, "tags": ["a", "б"]},
        "attachments": (
            StoredAttachment("attachments/01KAX3Z8W6V1R2F7D9QH0M4N5P/1", "скан.pdf", "application/pdf", 482113),
            StoredAttachment("attachments/01KAX3Z8W6V1R2F7D9QH0M4N5P/2", "photo.png", "image/png", 1),
        ),
    }
    return SubmissionRecord(**{**fields, **changes})


def v2_dict(**changes: Any) -> dict[str, Any]:
    return {**json.loads(a_record().to_json()), **changes}


def encoded(record: Any) -> bytes:
    return json.dumps(record, ensure_ascii=False).encode()


def test_every_field_survives_a_round_trip() -> None:
    record = a_record()

    assert SubmissionRecord.from_json(record.to_json()) == record


def test_a_record_without_files_round_trips_with_an_empty_list() -> None:
    record = a_record(attachments=())

    assert json.loads(record.to_json())["attachments"] == []
    assert SubmissionRecord.from_json(record.to_json()) == record


def test_the_current_version_is_written_compact_utf8_and_versioned() -> None:
    raw = a_record().to_json()

    assert raw.startswith(b'{"version":2,"id":"01KAX3Z8W6V1R2F7D9QH0M4N5P","form":"letter-copy",')
    assert SECRET_TEXT.encode() in raw  # ensure_ascii=False: Cyrillic is stored as UTF-8, not \\u escapes
    assert b", " not in raw
    assert b'": ' not in raw
    assert RECORD_VERSION == 2


def test_a_record_as_version_1_wrote_it_is_read_as_version_1() -> None:
    raw = V1_FIXTURE.read_bytes()

    record = SubmissionRecord.from_json(raw)

    assert b'"version"' not in raw
    assert record.version == 1
    assert record.id == "01M7W3TZNB25DSY3VKDFTBGKXZ"
    assert record.form == "letter-copy"
    assert record.schema_version == "f73b9cf37ca6"
    assert record.received_at == "2026-11-20T09:15:42.123Z"
    assert record.data["addressee"] == SECRET_TEXT
    assert record.data["text"] == "Уважаемый суд!\nПрошу освободить задержанных."
    assert record.attachments == (
        StoredAttachment("attachments/01M7W3TZNB25DSY3VKDFTBGKXZ/1-pdf", "скан факса.pdf", "application/pdf", 2137),
        StoredAttachment(
            "attachments/01M7W3TZNB25DSY3VKDFTBGKXZ/2-Letter-to-the-court.png",
            "Letter to the court.png",
            "image/png",
            1024,
        ),
    )


def test_a_version_1_record_without_files_has_none() -> None:
    v1 = json.loads(V1_FIXTURE.read_bytes())
    del v1["attachments"]

    assert SubmissionRecord.from_json(encoded(v1)).attachments == ()


def test_a_version_1_record_read_is_written_back_as_the_current_version() -> None:
    record = SubmissionRecord.from_json(V1_FIXTURE.read_bytes())

    rewritten = SubmissionRecord.from_json(record.to_json())

    assert rewritten.version == RECORD_VERSION
    assert (rewritten.id, rewritten.data, rewritten.attachments) == (record.id, record.data, record.attachments)


def _without(field: str) -> dict[str, Any]:
    record = v2_dict()
    del record[field]
    return record


def _with_attachment(**changes: Any) -> dict[str, Any]:
    attachment = {"key": "attachments/x/1", "name": SECRET_TEXT, "type": "application/pdf", "size": 1, **changes}
    return v2_dict(attachments=[attachment])


BAD_RECORDS = {
    "not JSON": SECRET_TEXT.encode(),
    "not UTF-8": b"\xff\xfe" + SECRET_TEXT.encode("utf-16-le"),
    "empty": b"",
    "a JSON list": encoded([SECRET_TEXT]),
    "a JSON string": encoded(SECRET_TEXT),
    "a future version": encoded(v2_dict(version=3)),
    "a version that is text": encoded(v2_dict(version="2")),
    "a version that is a boolean": encoded(v2_dict(version=True)),
    "no id": encoded(_without("id")),
    "no form": encoded(_without("form")),
    "no schema_version": encoded(_without("schema_version")),
    "no received_at": encoded(_without("received_at")),
    "no data": encoded(_without("data")),
    "version 2 without attachments": encoded(_without("attachments")),
    "an id that is a number": encoded(v2_dict(id=12)),
    "data that is text": encoded(v2_dict(data=SECRET_TEXT)),
    "data that is a list": encoded(v2_dict(data=[SECRET_TEXT])),
    "attachments that are an object": encoded(v2_dict(attachments={"name": SECRET_TEXT})),
    "an attachment that is text": encoded(v2_dict(attachments=[SECRET_TEXT])),
    "an attachment without a key": encoded(_with_attachment(key=None)),
    "an attachment whose name is a number": encoded(_with_attachment(name=5)),
    "an attachment without a size": encoded(_with_attachment(size=None)),
    "an attachment whose size is text": encoded(_with_attachment(size=SECRET_TEXT)),
    "an attachment of negative size": encoded(_with_attachment(size=-1)),
}


@pytest.mark.parametrize("raw", BAD_RECORDS.values(), ids=BAD_RECORDS.keys())
def test_anything_but_a_record_raises_not_a_record_without_quoting_it(raw: bytes) -> None:
    with pytest.raises(NotARecord) as raised:
        SubmissionRecord.from_json(raw)

    assert SECRET_TEXT not in str(raised.value)
    assert raised.value.__cause__ is None

"""The stored submission: the one type that writes and reads submissions/{form}/{yyyy}/{mm}/{dd}/{id}.json.

Version 2, written now (compact UTF-8 JSON; "attachments" always present, maybe empty):
  {"version": 2, "id": "01K…", "form": "letter-copy", "schema_version": "3f2a…",
   "received_at": "2026-11-14T18:03:12.345Z", "data": {…},
   "attachments": [{"key": "attachments/01K…/1", "name": "скан.pdf", "type": "application/pdf", "size": 482113}]}
Version 3, an encrypted form's (chalicelib/core/sealing.py): "data" holds only the form's clear
fields, and "encrypted" the base64 of the age ciphertext of the JSON of everything submitted.
Older readers refuse it by its version, rather than take the clear fields for the whole.
Version 1, read only: no "version" key, "attachments" absent when there were no files, and
attachment keys end in a slug of the file's name (attachments/01K…/1-skan.pdf).

Anything else (not JSON, a field missing or of the wrong type, a version this code does not
know) raises NotARecord, whose message names the field, never the content.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

RECORD_VERSION = 2
ENCRYPTED_VERSION = 3
READABLE_VERSIONS = frozenset({1, 2, 3})
_TEXT_FIELDS = ("id", "form", "schema_version", "received_at")


class NotARecord(Exception):
    """The bytes are not a submission record this code can read."""


@dataclass(frozen=True)
class StoredAttachment:
    key: str
    name: str
    content_type: str
    size: int
    # The stored bytes are this file as age ciphertext: an encrypted record, opened by the console. Never stored.
    sealed: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "name": self.name, "type": self.content_type, "size": self.size}

    @classmethod
    def from_dict(cls, item: Any) -> StoredAttachment:
        if not isinstance(item, dict):
            raise NotARecord("an attachment is not an object")
        key, name, content_type = (_text(item, field, "attachment") for field in ("key", "name", "type"))
        size = item.get("size")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise NotARecord("attachment field 'size' is missing or not a count")
        return cls(key, name, content_type, size)


@dataclass(frozen=True, kw_only=True)
class SubmissionRecord:
    version: int = RECORD_VERSION
    id: str
    form: str
    schema_version: str
    received_at: str
    data: Mapping[str, Any]
    attachments: tuple[StoredAttachment, ...] = ()
    # base64 of the age ciphertext of the whole submitted data; None for a form that does not encrypt.
    encrypted: str | None = None

    @property
    def is_encrypted(self) -> bool:
        return self.encrypted is not None

    def to_json(self) -> bytes:
        """The record as the current version writes it, whatever version it was read from."""
        record: dict[str, Any] = {
            "version": ENCRYPTED_VERSION if self.encrypted is not None else RECORD_VERSION,
            "id": self.id,
            "form": self.form,
            "schema_version": self.schema_version,
            "received_at": self.received_at,
            "data": dict(self.data),
            "attachments": [attachment.to_dict() for attachment in self.attachments],
        }
        if self.encrypted is not None:
            record["encrypted"] = self.encrypted
        return json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> SubmissionRecord:
        try:
            record = json.loads(raw)
        except ValueError:  # UnicodeDecodeError included
            raise NotARecord("not JSON") from None
        if not isinstance(record, dict):
            raise NotARecord("not a JSON object")
        version = _version(record)
        data = record.get("data")
        if not isinstance(data, dict):
            raise NotARecord("field 'data' is missing or not an object")
        id_, form, schema_version, received_at = (_text(record, field, "record") for field in _TEXT_FIELDS)
        return cls(
            version=version,
            id=id_,
            form=form,
            schema_version=schema_version,
            received_at=received_at,
            data=data,
            attachments=_attachments(record, version),
            encrypted=_encrypted(record, version),
        )


def _version(record: Mapping[str, Any]) -> int:
    # Version 1 wrote no version at all.
    version = record.get("version", 1)
    if not isinstance(version, int) or isinstance(version, bool) or version not in READABLE_VERSIONS:
        raise NotARecord("unknown record version")
    return version


def _encrypted(record: Mapping[str, Any], version: int) -> str | None:
    if version != ENCRYPTED_VERSION:
        return None
    value = record.get("encrypted")
    if not isinstance(value, str) or not value:
        raise NotARecord("field 'encrypted' is missing or not text")
    return value


def _attachments(record: Mapping[str, Any], version: int) -> tuple[StoredAttachment, ...]:
    if version == 1 and "attachments" not in record:
        return ()
    items = record.get("attachments")
    if not isinstance(items, list):
        raise NotARecord("field 'attachments' is missing or not a list")
    return tuple(StoredAttachment.from_dict(item) for item in items)


def _text(item: Mapping[str, Any], field: str, what: str) -> str:
    value = item.get(field)
    if not isinstance(value, str):
        raise NotARecord(f"{what} field {field!r} is missing or not text")
    return value

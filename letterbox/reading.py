"""Reading stored records: many at once with a few threads (GETs are cheap, latency is not), or one by id."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from chalicelib.core import ids
from chalicelib.core.record import NotARecord, SubmissionRecord
from chalicelib.core.storage import read_object, submission_key
from letterbox.catalog import Entry, stored_forms

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

# S3 serves each connection well; eight keep 10,000 GETs short without crowding a laptop.
THREADS = 8
# Read ahead this far, no further: memory stays flat however large the export.
CHUNK = 256


class Undecryptable(Exception):
    """An encrypted submission none of the identities given opens: named by id, never quoted."""


@dataclass(frozen=True)
class Found:
    key: str
    record: SubmissionRecord


class RecordReader:
    def __init__(self, s3: S3Client, bucket: str, threads: int = THREADS, identities: Sequence[Any] = ()) -> None:
        self._s3 = s3
        self._bucket = bucket
        self._threads = threads
        self.identities = identities  # age identities (letterbox --identity): encrypted records are opened
        self.unreadable: list[str] = []  # keys of objects that are not records: named, never quoted
        self.sealed: list[str] = []  # ids of encrypted records left as they are (no identity given)

    def read_many(self, entries: Iterable[Entry]) -> Iterator[tuple[Entry, SubmissionRecord]]:
        """The records, in the entries' order; objects gone or unreadable are skipped (and counted)."""
        with ThreadPoolExecutor(self._threads) as pool:
            iterator = iter(entries)
            while chunk := list(itertools.islice(iterator, CHUNK)):
                for entry, record in zip(chunk, pool.map(self._read, chunk), strict=True):
                    if record is not None:
                        yield entry, record

    def find(self, submission_id: str, forms: Iterable[str]) -> Found | None:
        """A submission by id: its key follows from the form and the id's time, so one GET per form."""
        for form in dict.fromkeys([*forms, *stored_forms(self._s3, self._bucket)]):
            key = submission_key(form, submission_id)
            raw = read_object(self._s3, self._bucket, key)
            if raw is not None:
                record = self._parse(key, raw)
                if record is not None:
                    return Found(key, record)
        return None

    def _read(self, entry: Entry) -> SubmissionRecord | None:
        raw = read_object(self._s3, self._bucket, entry.key)
        return None if raw is None else self._parse(entry.key, raw)

    def _parse(self, key: str, raw: bytes) -> SubmissionRecord | None:
        try:
            record = SubmissionRecord.from_json(raw)
        except NotARecord:
            self.unreadable.append(key)
            return None
        return self._opened(record) if record.is_encrypted else record

    def _opened(self, record: SubmissionRecord) -> SubmissionRecord:
        """With identities, the record as submitted; without, as stored (its clear fields only)."""
        if not self.identities:
            self.sealed.append(record.id)
            return record
        from chalicelib.core import sealing  # pyrage: only for encrypted records

        try:
            data = sealing.open_sealed(sealing.from_text(record.encrypted or ""), self.identities)
        except sealing.CannotOpen as error:
            raise Undecryptable(f"cannot decrypt submission {record.id}: {error}") from None
        attachments = sealing.opened_attachments(record, data)
        return replace(record, data=data, attachments=attachments, encrypted=None)


def normalised_id(text: str) -> str | None:
    """An id as typed (spaces around, lower case) made canonical; None when it cannot be one."""
    candidate = text.strip().upper()
    return candidate if ids.is_submission_id(candidate) else None

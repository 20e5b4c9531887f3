"""Files supporters attach: uploaded straight to S3 by presigned POST, checked again at submit.

uploads/{form}/{upload id}       what the browser uploaded; expires after a day
attachments/{submission id}/{n}  the copies a stored submission keeps: ids and an index only

A file's name is typed text: it lives in the submission record only, never in a key, in S3
metadata of a kept copy, or in a log line. (Version 1 records name copies
attachments/{id}/{n}-{slug of the name}; they are read by the key the record holds.)
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote

from chalicelib.core.aws_errors import ObjectMissing, StorageError, StorageUnavailable, s3_errors
from chalicelib.core.forms import FormDefinition
from chalicelib.core.record import StoredAttachment
from chalicelib.core.sealed_files import SEALED_TYPE, DeclaredFile
from chalicelib.core.storage import read_object

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

log = logging.getLogger(__name__)

UPLOADS_PREFIX = "uploads/"
ATTACHMENTS_PREFIX = "attachments/"
DEFAULT_TYPES = ("application/pdf", "image/jpeg", "image/png", "image/webp", "image/heic")
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
UPLOAD_EXPIRY_SECONDS = 600
MAX_NAME_LENGTH = 200


@dataclass(frozen=True)
class AttachmentRules:
    field: str
    types: tuple[str, ...]
    max_bytes: int
    max_count: int


@dataclass(frozen=True)
class UploadedFile:
    upload_id: str
    name: str
    content_type: str
    size: int
    key: str
    # An encrypted form's file: what the browser says the ciphertext holds.
    declared: DeclaredFile | None = None


def rules_for(form: FormDefinition) -> AttachmentRules | None:
    """The form's attachments field (x-widget: attachments) and its limits, if it has one."""
    for name, prop in form.properties.items():
        if prop.get("x-widget") == "attachments":
            limits = prop.get("x-attachments", {})
            return AttachmentRules(
                field=name,
                types=tuple(limits.get("types", DEFAULT_TYPES)),
                max_bytes=int(limits.get("max_bytes", DEFAULT_MAX_BYTES)),
                max_count=int(prop.get("maxItems", 5)),
            )
    return None


def names_uploads(form: FormDefinition, data: Mapping[str, Any]) -> bool:
    """Does this submission name any upload?"""
    rules = rules_for(form)
    return rules is not None and bool(data.get(rules.field))


def upload_key(form: str, upload_id: str) -> str:
    return f"{UPLOADS_PREFIX}{form}/{upload_id}"


def clean_name(name: str) -> str:
    """A file name fit for a header: one line, no path, bounded."""
    base = re.split(r"[\\/]", name)[-1]
    line = "".join(char for char in base if unicodedata.category(char)[0] != "C").strip()
    return line[:MAX_NAME_LENGTH] or "file"


def attachment_key(submission_id: str, index: int) -> str:
    return f"{ATTACHMENTS_PREFIX}{submission_id}/{index}"


class AttachmentStore:
    def __init__(self, s3: S3Client, bucket: str) -> None:
        self._s3 = s3
        self._bucket = bucket

    def presign(self, form: str, upload_id: str, name: str, content_type: str, max_bytes: int) -> dict[str, Any]:
        """A presigned POST that S3 accepts only for this key, this type and at most max_bytes."""
        return self._presign(
            upload_key(form, upload_id), {"Content-Type": content_type, "x-amz-meta-filename": quote(name)}, max_bytes
        )

    def presign_sealed(self, form: str, upload_id: str, max_bytes: int) -> dict[str, Any]:
        """For an encrypted form's file: ciphertext only, so no name and no type of its own."""
        return self._presign(upload_key(form, upload_id), {"Content-Type": SEALED_TYPE}, max_bytes)

    def _presign(self, key: str, fields: dict[str, str], max_bytes: int) -> dict[str, Any]:
        conditions: list[Any] = [["content-length-range", 1, max_bytes], *({k: v} for k, v in fields.items())]
        with s3_errors("presign"):
            return self._s3.generate_presigned_post(
                Bucket=self._bucket,
                Key=key,
                Fields=fields,
                Conditions=conditions,
                ExpiresIn=UPLOAD_EXPIRY_SECONDS,
            )

    def find(self, form: str, upload_id: str) -> UploadedFile | None:
        key = upload_key(form, upload_id)
        try:
            with s3_errors("head"):
                head = self._s3.head_object(Bucket=self._bucket, Key=key)
        except ObjectMissing:
            return None
        return UploadedFile(
            upload_id=upload_id,
            name=clean_name(unquote(head.get("Metadata", {}).get("filename", ""))),
            content_type=head.get("ContentType", ""),
            size=int(head.get("ContentLength", 0)),
            key=key,
        )

    def keep(self, files: Sequence[UploadedFile], submission_id: str, sealed: bool = False) -> list[StoredAttachment]:
        """Copy the uploads next to the submission, where no upload expiry reaches them.

        Sealed files are listed as {id}-{n}.age, their real names and types kept for the sealed part.
        """
        kept: list[StoredAttachment] = []
        try:
            for index, file in enumerate(files, start=1):
                key = attachment_key(submission_id, index)
                name, content_type = (
                    (f"{submission_id}-{index}.age", SEALED_TYPE) if sealed else (file.name, file.content_type)
                )
                with s3_errors("copy"):
                    self._s3.copy_object(
                        Bucket=self._bucket,
                        Key=key,
                        CopySource={"Bucket": self._bucket, "Key": file.key},
                        ContentType=content_type,
                        # REPLACE with nothing: the upload's filename metadata stays behind.
                        Metadata={},
                        MetadataDirective="REPLACE",
                    )
                kept.append(StoredAttachment(key, name, content_type, file.size))
        except StorageError as error:
            self.forget(kept)
            raise StorageUnavailable(f"copy: {type(error).__name__}") from None
        return kept

    def forget(self, attachments: Sequence[StoredAttachment]) -> None:
        """Best effort: copies of a submission that was not stored must not linger."""
        self._delete([attachment.key for attachment in attachments], "an orphaned attachment")

    def discard_uploads(self, files: Sequence[UploadedFile]) -> None:
        """Best effort, after the submission is stored: an upload is kept by one submission only.

        A failure is logged, never raised (nothing after the write may fail); the upload then
        expires within a day, as an unsubmitted one does.
        """
        self._delete([file.key for file in files], "a kept upload")

    def _delete(self, keys: Sequence[str], what: str) -> None:
        for key in keys:
            try:
                with s3_errors("delete"):
                    self._s3.delete_object(Bucket=self._bucket, Key=key)
            except StorageError as error:
                log.warning("could not delete %s: %s", what, type(error).__name__)

    def starts_with(self, key: str, prefix: bytes) -> bool:
        """Whether the object begins with `prefix`: one ranged GET of those bytes only."""
        with s3_errors("get"):
            head = self._s3.get_object(Bucket=self._bucket, Key=key, Range=f"bytes=0-{len(prefix) - 1}")
        return bool(head["Body"].read() == prefix)

    def read(self, key: str) -> bytes:
        content = read_object(self._s3, self._bucket, key)
        if content is None:
            # Kept copies are never deleted before their submission: retry, and let the alarm tell.
            # No key in the message: a version 1 key carries a slug of the file's name.
            raise StorageUnavailable("attachment missing")
        return content

    def download_link(self, key: str, expires_seconds: int) -> str:
        with s3_errors("presign"):
            return self._s3.generate_presigned_url(
                "get_object", Params={"Bucket": self._bucket, "Key": key}, ExpiresIn=expires_seconds
            )

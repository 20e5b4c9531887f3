"""Files supporters attach: uploaded straight to S3 by presigned POST, checked again at submit.

uploads/{form}/{upload id}              what the browser uploaded; expires after a day
attachments/{submission id}/{n}-{name}  the copies a stored submission keeps
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.core.forms import FormDefinition
from chalicelib.core.storage import StorageUnavailable, error_code, is_missing, read_object

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


@dataclass(frozen=True)
class StoredAttachment:
    key: str
    name: str
    content_type: str
    size: int

    def as_record(self) -> dict[str, Any]:
        return {"key": self.key, "name": self.name, "type": self.content_type, "size": self.size}


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


def upload_key(form: str, upload_id: str) -> str:
    return f"{UPLOADS_PREFIX}{form}/{upload_id}"


def clean_name(name: str) -> str:
    """A file name fit for a header: one line, no path, bounded."""
    base = re.split(r"[\\/]", name)[-1]
    line = "".join(char for char in base if unicodedata.category(char)[0] != "C").strip()
    return line[:MAX_NAME_LENGTH] or "file"


def ascii_slug(name: str) -> str:
    """For S3 keys: ASCII letters, digits, dot, dash and underscore only."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", ascii_name).strip("-.")
    return slug[:80] or "file"


class AttachmentStore:
    def __init__(self, s3: S3Client, bucket: str) -> None:
        self._s3 = s3
        self._bucket = bucket

    def presign(self, form: str, upload_id: str, name: str, content_type: str, max_bytes: int) -> dict[str, Any]:
        """A presigned POST that S3 accepts only for this key, this type and at most max_bytes."""
        fields = {"Content-Type": content_type, "x-amz-meta-filename": quote(name)}
        conditions: list[Any] = [["content-length-range", 1, max_bytes], *({k: v} for k, v in fields.items())]
        try:
            return self._s3.generate_presigned_post(
                Bucket=self._bucket,
                Key=upload_key(form, upload_id),
                Fields=fields,
                Conditions=conditions,
                ExpiresIn=UPLOAD_EXPIRY_SECONDS,
            )
        except (ClientError, BotoCoreError) as error:
            raise StorageUnavailable(f"presign: {type(error).__name__}") from None

    def find(self, form: str, upload_id: str) -> UploadedFile | None:
        key = upload_key(form, upload_id)
        try:
            head = self._s3.head_object(Bucket=self._bucket, Key=key)
        except ClientError as error:
            if is_missing(error):
                return None
            raise StorageUnavailable(f"head: {error_code(error)}") from None
        except BotoCoreError as error:
            raise StorageUnavailable(f"head: {type(error).__name__}") from None
        return UploadedFile(
            upload_id=upload_id,
            name=clean_name(unquote(head.get("Metadata", {}).get("filename", ""))),
            content_type=head.get("ContentType", ""),
            size=int(head.get("ContentLength", 0)),
            key=key,
        )

    def keep(self, files: Sequence[UploadedFile], submission_id: str) -> list[StoredAttachment]:
        """Copy the uploads next to the submission, where no upload expiry reaches them."""
        kept: list[StoredAttachment] = []
        try:
            for index, file in enumerate(files, start=1):
                key = f"{ATTACHMENTS_PREFIX}{submission_id}/{index}-{ascii_slug(file.name)}"
                self._s3.copy_object(
                    Bucket=self._bucket,
                    Key=key,
                    CopySource={"Bucket": self._bucket, "Key": file.key},
                    ContentType=file.content_type,
                    Metadata={"filename": quote(file.name)},
                    MetadataDirective="REPLACE",
                )
                kept.append(StoredAttachment(key, file.name, file.content_type, file.size))
        except (ClientError, BotoCoreError) as error:
            self.forget(kept)
            raise StorageUnavailable(f"copy: {type(error).__name__}") from None
        return kept

    def forget(self, attachments: Sequence[StoredAttachment]) -> None:
        """Best effort: copies of a submission that was not stored must not linger."""
        for attachment in attachments:
            try:
                self._s3.delete_object(Bucket=self._bucket, Key=attachment.key)
            except (ClientError, BotoCoreError) as error:
                log.warning("could not delete an orphaned attachment: %s", type(error).__name__)

    def read(self, key: str) -> bytes:
        content = read_object(self._s3, self._bucket, key)
        if content is None:
            # Kept copies are never deleted before their submission: retry, and let the alarm tell.
            raise StorageUnavailable(f"attachment missing: {key}")
        return content

    def download_link(self, key: str, expires_seconds: int) -> str:
        return self._s3.generate_presigned_url(
            "get_object", Params={"Bucket": self._bucket, "Key": key}, ExpiresIn=expires_seconds
        )


def attachment_records(record: Mapping[str, Any]) -> list[StoredAttachment]:
    return [
        StoredAttachment(str(a["key"]), str(a["name"]), str(a["type"]), int(a["size"]))
        for a in record.get("attachments", [])
    ]

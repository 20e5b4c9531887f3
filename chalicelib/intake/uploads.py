"""POST /forms/{form}/uploads: a presigned S3 POST for one file, so no file passes through Lambda."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from chalicelib.core import ids
from chalicelib.core.attachments import UPLOAD_EXPIRY_SECONDS, AttachmentStore, clean_name, rules_for
from chalicelib.core.aws_errors import StorageUnavailable
from chalicelib.core.forms import FormRegistry
from chalicelib.core.sealed_files import largest_sealed
from chalicelib.core.settings import Settings
from chalicelib.intake import problems
from chalicelib.intake.request import JSON_TYPE, SubmitRequest, admit, parse_json_object
from chalicelib.intake.texts import message
from chalicelib.intake.validation import FieldError

# A file's name, type and size: a few hundred bytes at most.
MAX_UPLOAD_REQUEST_BYTES = 4096


class UploadService:
    def __init__(
        self,
        settings: Settings,
        forms: FormRegistry,
        attachments: AttachmentStore,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._settings = settings
        self._forms = forms
        self._attachments = attachments
        self._clock = clock

    def create(self, request: SubmitRequest, lang: str) -> dict[str, Any]:
        form, options = admit(self._forms, self._settings, request, (JSON_TYPE,), MAX_UPLOAD_REQUEST_BYTES)
        rules = rules_for(form)
        if rules is None:
            raise problems.NoUploads()
        wanted = parse_json_object(request.body)
        name, content_type, size = wanted.get("name"), wanted.get("type"), wanted.get("size")
        errors = []
        # An encrypted form's browser names no file here: the name is sealed at submit.
        if not options.encrypts and (not isinstance(name, str) or not name.strip()):
            errors.append(FieldError("/name", message("required", lang)))
        if content_type not in rules.types:
            errors.append(FieldError("/type", message("attachment_type", lang)))
        if not isinstance(size, int) or isinstance(size, bool) or size < 1:
            errors.append(FieldError("/size", message("invalid", lang)))
        elif size > rules.max_bytes:
            errors.append(FieldError("/size", message("attachment_too_large", lang, limit=rules.max_bytes // 2**20)))
        if errors:
            raise problems.InvalidSubmission(errors)
        upload_id = ids.new_submission_id(self._clock())
        try:
            if options.encrypts:
                largest = largest_sealed(rules.max_bytes, len(options.encrypt_to))
                post = self._attachments.presign_sealed(form.name, upload_id, largest)
            else:
                post = self._attachments.presign(
                    form.name, upload_id, clean_name(str(name)), str(content_type), rules.max_bytes
                )
        except StorageUnavailable:
            raise problems.ServiceUnavailable("storage_unavailable") from None
        return {
            "upload_id": upload_id,
            "url": post["url"],
            "fields": post["fields"],
            "max_bytes": rules.max_bytes,
            "expires_in": UPLOAD_EXPIRY_SECONDS,
        }

"""The uploads a submission names, checked again at submit: the local emulator ignores POST policies."""

from __future__ import annotations

from typing import Any

from chalicelib.core.attachments import AttachmentStore, UploadedFile, rules_for
from chalicelib.core.aws_errors import StorageUnavailable
from chalicelib.core.forms import FormDefinition
from chalicelib.intake import problems
from chalicelib.intake.texts import message
from chalicelib.intake.validation import FieldError


def uploaded_files(
    attachments: AttachmentStore | None, form: FormDefinition, data: dict[str, Any], lang: str, errors: list[FieldError]
) -> list[UploadedFile]:
    """Each upload named, found and within the form's rules; a problem per file goes to `errors`."""
    rules = rules_for(form)
    upload_ids = data.get(rules.field) if rules else None
    if rules is None or not isinstance(upload_ids, list) or errors or attachments is None:
        return []
    files = []
    for index, upload_id in enumerate(upload_ids):
        field = f"/{rules.field}/{index}"
        try:
            found = attachments.find(form.name, str(upload_id))
        except StorageUnavailable:
            raise problems.ServiceUnavailable("storage_unavailable") from None
        if found is None:
            errors.append(FieldError(field, message("attachment_missing", lang)))
        elif found.size > rules.max_bytes:
            limit = rules.max_bytes // 2**20
            errors.append(FieldError(field, message("attachment_too_large", lang, limit=limit)))
        elif found.content_type not in rules.types:
            errors.append(FieldError(field, message("attachment_type", lang)))
        else:
            files.append(found)
    return files

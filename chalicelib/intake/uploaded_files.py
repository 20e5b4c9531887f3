"""The uploads a submission names, checked again at submit: the local emulator ignores POST policies."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from chalicelib.core.attachments import AttachmentRules, AttachmentStore, UploadedFile, clean_name, rules_for
from chalicelib.core.aws_errors import ObjectMissing, StorageUnavailable
from chalicelib.core.forms import FormDefinition
from chalicelib.core.sealed_files import AGE_MAGIC, SEALED_TYPE, declared_file, sealed_size_range
from chalicelib.intake import problems
from chalicelib.intake.texts import message
from chalicelib.intake.validation import FieldError


@dataclass(frozen=True)
class Sealing:
    """An encrypted form's uploads: ciphertext to this many recipients, described by the browser."""

    recipients: int
    file_info: object


def uploaded_files(
    attachments: AttachmentStore | None,
    form: FormDefinition,
    data: dict[str, Any],
    lang: str,
    errors: list[FieldError],
    sealing: Sealing | None = None,
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
            problem = _problem(found, rules, lang) if sealing is None else None
            if found is not None and sealing is not None:
                found, problem = _sealed(attachments, found, rules, sealing, lang)
        except StorageUnavailable:
            raise problems.ServiceUnavailable("storage_unavailable") from None
        if found is None:
            errors.append(FieldError(field, message("attachment_missing", lang)))
        elif problem:
            errors.append(FieldError(field, problem))
        else:
            files.append(found)
    return files


def _problem(found: UploadedFile | None, rules: AttachmentRules, lang: str) -> str | None:
    if found is None:
        return None
    if found.size > rules.max_bytes:
        return message("attachment_too_large", lang, limit=rules.max_bytes // 2**20)
    if found.content_type not in rules.types:
        return message("attachment_type", lang)
    return None


def _sealed(
    attachments: AttachmentStore, found: UploadedFile, rules: AttachmentRules, sealing: Sealing, lang: str
) -> tuple[UploadedFile | None, str | None]:
    """An encrypted form's upload: age ciphertext of the size the browser says, of a type the form takes."""
    declared = declared_file(sealing.file_info, found.upload_id)
    if declared is None or declared.content_type not in rules.types:
        return found, message("attachment_type", lang)
    if declared.size > rules.max_bytes:
        return found, message("attachment_too_large", lang, limit=rules.max_bytes // 2**20)
    smallest, largest = sealed_size_range(declared.size, sealing.recipients)
    if found.content_type != SEALED_TYPE or not smallest <= found.size <= largest:
        return found, message("attachment_not_sealed", lang)
    try:
        if not attachments.starts_with(found.key, AGE_MAGIC):
            return found, message("attachment_not_sealed", lang)
    except ObjectMissing:
        return None, None
    named = replace(declared, name=clean_name(declared.name))
    return replace(found, name=named.name, content_type=named.content_type, declared=named), None

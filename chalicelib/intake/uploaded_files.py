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
            checked = _check(attachments, form.name, str(upload_id), rules, sealing, lang)
        except StorageUnavailable:
            raise problems.ServiceUnavailable("storage_unavailable") from None
        if isinstance(checked, str):
            errors.append(FieldError(field, checked))
        else:
            files.append(checked)
    return files


def _check(
    attachments: AttachmentStore, form: str, upload_id: str, rules: AttachmentRules, sealing: Sealing | None, lang: str
) -> UploadedFile | str:
    """The upload, or what is wrong with it."""
    found = attachments.find(form, upload_id)
    if found is None:
        return message("attachment_missing", lang)
    return _clear(found, rules, lang) if sealing is None else _sealed(attachments, found, rules, sealing, lang)


def _clear(found: UploadedFile, rules: AttachmentRules, lang: str) -> UploadedFile | str:
    """A plain form's upload, within the form's size and types."""
    if found.size > rules.max_bytes:
        return message("attachment_too_large", lang, limit=rules.max_bytes // 2**20)
    if found.content_type not in rules.types:
        return message("attachment_type", lang)
    return found


def _sealed(
    attachments: AttachmentStore, found: UploadedFile, rules: AttachmentRules, sealing: Sealing, lang: str
) -> UploadedFile | str:
    """An encrypted form's upload, named as the browser says; or what is wrong: not age ciphertext of that size."""
    declared = declared_file(sealing.file_info, found.upload_id)
    if declared is None or declared.content_type not in rules.types:
        return message("attachment_type", lang)
    if declared.size > rules.max_bytes:
        return message("attachment_too_large", lang, limit=rules.max_bytes // 2**20)
    smallest, largest = sealed_size_range(declared.size, sealing.recipients)
    if found.content_type != SEALED_TYPE or not smallest <= found.size <= largest:
        return message("attachment_not_sealed", lang)
    try:
        if not attachments.starts_with(found.key, AGE_MAGIC):
            return message("attachment_not_sealed", lang)
    except ObjectMissing:
        return message("attachment_missing", lang)
    named = replace(declared, name=clean_name(declared.name))
    return replace(found, name=named.name, content_type=named.content_type, declared=named)

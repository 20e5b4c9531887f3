"""The email organizers receive for a submission: plain text and HTML, UTF-8."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from chalicelib.core import catalogs
from chalicelib.core.form_choices import FormOptions
from chalicelib.core.forms import FormDefinition
from chalicelib.core.record import SubmissionRecord
from chalicelib.notify import header_guard
from chalicelib.notify.email_layout import (
    POLICY,
    Body,
    address_list,
    attachment_part,
    html_layout,
    multipart,
    text_layout,
    text_part,
)
from chalicelib.notify.email_texts import email_texts
from chalicelib.notify.header_guard import header_value
from chalicelib.notify.s3_events import StoredObject

SUBJECT_VALUE_LIMIT = 60
SUBJECT_LIMIT = 150
FILE_NAME_LIMIT = 200
# Control characters (CR and LF among them) never reach a header.
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
# Nor the body: C0 and C1 controls but tab and newline are shown as U+FFFD.
BODY_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
PLACEHOLDER = re.compile(r"\{([a-z0-9_]+)\}")
REPLY_TO = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@[A-Za-z0-9.-]+")


@dataclass(frozen=True)
class FileContent:
    name: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class FileLink:
    name: str
    url: str


@dataclass(frozen=True)
class Files:
    """What the email carries of the submission's attachments: the files, or links, or a count."""

    attached: Sequence[FileContent] = ()
    linked: Sequence[FileLink] = ()
    linked_bytes: int = 0
    kept_count: int = 0


def render_notification(
    submission: SubmissionRecord,
    source: StoredObject,
    form: FormDefinition,
    options: FormOptions,
    sender: str,
    recipients: Sequence[str],
    files: Files | None = None,
    wall_row: tuple[str, str] | None = None,
) -> EmailMessage:
    files = files or Files()
    if submission.is_encrypted:
        files = _with_sealed_data(submission, files)
    lang = options.lang if options.lang in catalogs.languages() else "en"
    fields = _fields_to_show(submission, form, options)
    message = header_guard.CheckedMessage(POLICY)
    message["Subject"] = header_value("Subject", _subject(submission, form, options, lang))
    message["From"] = address_list([sender])
    message["To"] = address_list(recipients)
    reply_to = _reply_to(submission, form, options)
    if reply_to:
        message["Reply-To"] = reply_to
    message["Date"] = format_datetime(datetime.now().astimezone())
    message["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1])
    # Lets organizers filter and find the stored object from the email.
    message["X-Letterbox-Submission"] = header_value("X-Letterbox-Submission", _clean(submission.id, SUBJECT_LIMIT))
    message["X-Letterbox-Form"] = header_value("X-Letterbox-Form", _clean(submission.form, SUBJECT_LIMIT))
    body = _body(submission, source, form, options, fields, files, lang, bool(reply_to), wall_row)
    # Quoted-printable keeps the message 7-bit, as SES wants raw messages, and UTF-8 intact.
    text, html = _printable(text_layout(body)), _printable(html_layout(body, lang))
    alternative = [text_part(text, "plain"), text_part(html, "html", mime_version=True)]
    if files.attached:
        # Non-ASCII names travel as RFC 2231 parameters, so Cyrillic names arrive intact.
        attached = [attachment_part(_clean(f.name, FILE_NAME_LIMIT), f.content_type, f.data) for f in files.attached]
        multipart("mixed", [multipart("alternative", alternative), *attached], into=message)
    else:
        multipart("alternative", alternative, into=message)
    # Raises UnsafeMessage: never sent. The mailer sends the very bytes checked.
    message.checked = header_guard.check(message, header_guard.blueprint(message))
    return message


def _with_sealed_data(submission: SubmissionRecord, files: Files) -> Files:
    """The ciphertext as {id}.age (the exact bytes `age -d` opens), before the files ({id}-{n}.age, encrypted too)."""
    from chalicelib.core.sealing import from_text

    ciphertext = from_text(submission.encrypted or "")
    sealed = FileContent(f"{submission.id}.age", "application/octet-stream", ciphertext)
    return Files(attached=[sealed, *files.attached], linked=files.linked, linked_bytes=files.linked_bytes)


def _file_rows(files: Files, lang: str) -> list[tuple[str, str]]:
    texts = email_texts(lang)
    rows = []
    if files.attached:
        names = "\n".join(file.name for file in files.attached)
        rows.append(
            (
                texts["files"],
                texts.count("files_attached", len(files.attached)) + "\n" + names,
            )
        )
    if files.linked:  # with an encrypted submission's own .age attached, files too large for the email
        size = f"{files.linked_bytes / 2**20:.1f}"
        links = "\n".join(f"{link.name}\n{link.url}" for link in files.linked)
        rows.append((texts["files"], texts["files_linked"].format(size=size) + "\n" + links))
    if files.kept_count and not rows:
        rows.append((texts["files"], texts.count("files_kept", files.kept_count)))
    return rows


def _fields_to_show(submission: SubmissionRecord, form: FormDefinition, options: FormOptions) -> list[tuple[str, Any]]:
    allowed = _safe_fields(form, options) if options.metadata_only else None
    return [
        (name, submission.data[name])
        for name, prop in form.properties.items()
        if name in submission.data
        and (allowed is None or name in allowed)
        and prop.get("x-widget") != "attachments"  # upload ids: the files are shown on their own
    ]


def _safe_fields(form: FormDefinition, options: FormOptions) -> frozenset[str]:
    if options.safe_fields is not None:
        return frozenset(options.safe_fields)
    return frozenset(form.options.get("safe_fields", ()))


def _subject(submission: SubmissionRecord, form: FormDefinition, options: FormOptions, lang: str) -> str:
    template = form.text("subject", lang)
    placeholders = PLACEHOLDER.findall(template)
    usable = set(submission.data) if not options.metadata_only else _safe_fields(form, options) & set(submission.data)
    if submission.is_encrypted and not set(placeholders) <= set(submission.data):
        # An encrypted record's data is its clear fields: a subject naming any other says nothing of it.
        return _clean(
            email_texts(lang)["new_encrypted"].format(title=form.title(lang), id=submission.id), SUBJECT_LIMIT
        )
    if not template or not set(placeholders) <= usable:
        return _clean(email_texts(lang)["new"].format(title=form.title(lang)), SUBJECT_LIMIT)

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        return _clean(_display(form, name, submission.data[name], lang), SUBJECT_VALUE_LIMIT)

    return _clean(PLACEHOLDER.sub(value, template), SUBJECT_LIMIT)


def _reply_to(submission: SubmissionRecord, form: FormDefinition, options: FormOptions) -> str | None:
    """The supporter's address, if it can be one as it arrives; else None, and the body still shows it."""
    if options.metadata_only:
        return None
    field = form.options.get("reply_to")
    address = submission.data.get(field) if isinstance(field, str) else None
    # An address cannot be neutralised without changing it: one with "=?" in it gets no Reply-To.
    if not isinstance(address, str) or header_guard.ENCODED_WORD_START in address:
        return None
    from chalicelib.core.email_address import checked_address

    valid = checked_address(address)
    # A non-ASCII local part (анна@...) needs SMTPUTF8, which SES does not offer for raw messages and
    # an RFC 2047 word may not stand in for: no Reply-To. A Unicode domain travels as IDNA (xn--...).
    if valid is None or valid.ascii_email is None:
        return None
    # A dot-atom local part, as the validator allows them: nothing to quote, nothing but the address.
    return valid.ascii_email if REPLY_TO.fullmatch(valid.ascii_email) else None


def _clean(text: str, limit: int) -> str:
    """One line, at most `limit` characters, cut with an ellipsis, with no encoded word: a header value."""
    line = " ".join(CONTROL.sub(" ", text).split())
    line = line if len(line) <= limit else line[: limit - 1].rstrip() + "\u2026"
    return header_guard.neutralise(line)


def _printable(text: str) -> str:
    """A body part's text: line breaks as newlines, no other control character than tab."""
    return BODY_CONTROL.sub("\ufffd", text.replace("\r\n", "\n").replace("\r", "\n"))


def _display(form: FormDefinition, name: str, value: Any, lang: str) -> str:
    if isinstance(value, bool):
        return email_texts(lang)["yes" if value else "no"]
    if isinstance(value, list):
        return "\n".join(_display(form, name, item, lang) for item in value)
    if isinstance(value, str) and "enum" in form.properties.get(name, {}):
        return form.enum_label(name, value, lang)
    # A textarea posts CRLF: one newline, so the text part indents each line of it.
    return str(value).replace("\r\n", "\n").replace("\r", "\n")


def _body(
    submission: SubmissionRecord,
    source: StoredObject,
    form: FormDefinition,
    options: FormOptions,
    fields: list[tuple[str, Any]],
    files: Files,
    lang: str,
    has_reply_to: bool,
    wall_row: tuple[str, str] | None = None,
) -> Body:
    texts = email_texts(lang)
    rows = [(form.label(name, lang), _display(form, name, value, lang)) for name, value in fields]
    command = f"aws s3 cp s3://{source.bucket}/{source.key} -"
    notice = texts["metadata_only"] if options.metadata_only else None
    read_rest = (texts["read_rest"], command) if options.metadata_only else None
    if submission.is_encrypted:
        notice, read_rest = texts["encrypted"], (texts["decrypt"], f"age -d -i key.txt {submission.id}.age")
        if submission.attachments:
            notice += " " + texts["encrypted_files"].format(id=submission.id)
    return Body(
        intro=texts["intro"].format(title=form.title(lang)),
        notice=notice,
        rows=rows + _file_rows(files, lang) + ([wall_row] if wall_row else []),
        read_rest=read_rest,
        reply_hint=texts["reply"] if has_reply_to else None,
        footer=[
            (texts["id"], submission.id),
            (texts["form"], f"{form.title(lang)} ({submission.form})"),
            (texts["received"], submission.received_at),
        ],
    )

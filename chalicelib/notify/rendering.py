"""The email organizers receive for a submission: plain text and HTML, UTF-8."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from html import escape
from typing import Any

from chalicelib.core.attachments import StoredAttachment
from chalicelib.core.forms import FormDefinition
from chalicelib.core.settings import FormOptions

SUBJECT_VALUE_LIMIT = 60
SUBJECT_LIMIT = 150
# Control characters (CR and LF among them) never reach a header.
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
PLACEHOLDER = re.compile(r"\{([a-z0-9_]+)\}")
EMAIL = re.compile(r"^[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+$")

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "new": "New submission: {title}",
        "intro": "A new submission arrived through the form \u201c{title}\u201d.",
        "yes": "yes",
        "no": "no",
        "id": "Submission id",
        "form": "Form",
        "received": "Received",
        "reply": "Press Reply to answer the sender.",
        "metadata_only": "This form is set to metadata-only mode: the full submission is not in this email.",
        "read_rest": "Read it from the bucket with:",
        "not_given": "(not given)",
        "files": "Files",
        "files_attached": "{count} file(s) attached to this email.",
        "files_linked": "The files are too large to attach ({size} MB in all). Download them within 7 days:",
        "files_kept": "{count} file(s) are stored with the submission.",
    },
    "ru": {
        "new": "Новая отправка: {title}",
        "intro": "Через форму «{title}» пришла новая отправка.",
        "yes": "да",
        "no": "нет",
        "id": "Номер отправки",
        "form": "Форма",
        "received": "Получено",
        "reply": "Чтобы ответить отправителю, нажмите «Ответить».",
        "metadata_only": "Для этой формы включён режим «только метаданные»: полный текст не приводится в письме.",
        "read_rest": "Прочитать его в хранилище можно так:",
        "not_given": "(не указано)",
        "files": "Файлы",
        "files_attached": "Файлов приложено к письму: {count}.",
        "files_linked": "Файлы слишком велики для письма ({size} МБ всего). Скачайте их в течение 7 дней:",
        "files_kept": "Файлов сохранено вместе с отправкой: {count}.",
    },
}


@dataclass(frozen=True)
class Submission:
    id: str
    form: str
    received_at: str
    data: Mapping[str, Any]
    bucket: str
    key: str
    attachments: Sequence[StoredAttachment] = ()


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
    submission: Submission,
    form: FormDefinition,
    options: FormOptions,
    sender: str,
    recipients: Sequence[str],
    files: Files | None = None,
) -> EmailMessage:
    files = files or Files()
    lang = options.lang if options.lang in TEXTS else "en"
    fields = _fields_to_show(submission, form, options)
    message = EmailMessage()
    message["Subject"] = _subject(submission, form, options, lang)
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    reply_to = _reply_to(submission, form, options)
    if reply_to:
        message["Reply-To"] = reply_to
    message["Date"] = format_datetime(datetime.now().astimezone())
    message["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1])
    # Lets organizers filter and find the stored object from the email.
    message["X-Letterbox-Submission"] = submission.id
    message["X-Letterbox-Form"] = submission.form
    body = _body(submission, form, options, fields, files, lang, bool(reply_to))
    # Quoted-printable keeps the message 7-bit, as SES wants raw messages, and UTF-8 intact.
    message.set_content(_text(body), charset="utf-8", cte="quoted-printable")
    message.add_alternative(_html(body, lang), subtype="html", charset="utf-8", cte="quoted-printable")
    for file in files.attached:
        maintype, _, subtype = file.content_type.partition("/")
        # The email package encodes non-ASCII names (RFC 2231), so Cyrillic names arrive intact.
        message.add_attachment(file.data, maintype=maintype, subtype=subtype or "octet-stream", filename=file.name)
    return message


def _file_rows(files: Files, lang: str) -> list[tuple[str, str]]:
    texts = TEXTS[lang]
    if files.attached:
        names = "\n".join(file.name for file in files.attached)
        return [(texts["files"], texts["files_attached"].format(count=len(files.attached)) + "\n" + names)]
    if files.linked:
        size = f"{files.linked_bytes / 2**20:.1f}"
        links = "\n".join(f"{link.name}\n{link.url}" for link in files.linked)
        return [(texts["files"], texts["files_linked"].format(size=size) + "\n" + links)]
    if files.kept_count:
        return [(texts["files"], texts["files_kept"].format(count=files.kept_count))]
    return []


def _fields_to_show(submission: Submission, form: FormDefinition, options: FormOptions) -> list[tuple[str, Any]]:
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


def _subject(submission: Submission, form: FormDefinition, options: FormOptions, lang: str) -> str:
    template = form.text("subject", lang)
    placeholders = PLACEHOLDER.findall(template)
    usable = set(submission.data) if not options.metadata_only else _safe_fields(form, options) & set(submission.data)
    if not template or not set(placeholders) <= usable:
        return _clean(TEXTS[lang]["new"].format(title=form.title(lang)), SUBJECT_LIMIT)

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        return _clean(_display(form, name, submission.data[name], lang), SUBJECT_VALUE_LIMIT)

    return _clean(PLACEHOLDER.sub(value, template), SUBJECT_LIMIT)


def _reply_to(submission: Submission, form: FormDefinition, options: FormOptions) -> str | None:
    if options.metadata_only:
        return None
    field = form.options.get("reply_to")
    address = submission.data.get(field) if isinstance(field, str) else None
    if not isinstance(address, str) or CONTROL.search(address) or not EMAIL.match(address):
        return None
    try:
        return str(Address(addr_spec=address))
    except (ValueError, IndexError):
        return None


def _clean(text: str, limit: int) -> str:
    """One line, at most `limit` characters, cut with an ellipsis."""
    line = " ".join(CONTROL.sub(" ", text).split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "\u2026"


def _display(form: FormDefinition, name: str, value: Any, lang: str) -> str:
    if isinstance(value, bool):
        return TEXTS[lang]["yes" if value else "no"]
    if isinstance(value, list):
        return "\n".join(_display(form, name, item, lang) for item in value)
    if isinstance(value, str) and "enum" in form.properties.get(name, {}):
        return form.enum_label(name, value, lang)
    return str(value)


@dataclass(frozen=True)
class _Body:
    """What the email says, once; the text and HTML parts only lay it out."""

    intro: str
    notice: str | None
    rows: list[tuple[str, str]]
    read_rest: tuple[str, str] | None
    reply_hint: str | None
    footer: list[tuple[str, str]]


def _body(
    submission: Submission,
    form: FormDefinition,
    options: FormOptions,
    fields: list[tuple[str, Any]],
    files: Files,
    lang: str,
    has_reply_to: bool,
) -> _Body:
    texts = TEXTS[lang]
    rows = [(form.label(name, lang), _display(form, name, value, lang)) for name, value in fields]
    command = f"aws s3 cp s3://{submission.bucket}/{submission.key} -"
    return _Body(
        intro=texts["intro"].format(title=form.title(lang)),
        notice=texts["metadata_only"] if options.metadata_only else None,
        rows=rows + _file_rows(files, lang),
        read_rest=(texts["read_rest"], command) if options.metadata_only else None,
        reply_hint=texts["reply"] if has_reply_to else None,
        footer=[
            (texts["id"], submission.id),
            (texts["form"], f"{form.title(lang)} ({submission.form})"),
            (texts["received"], submission.received_at),
        ],
    )


def _text(body: _Body) -> str:
    lines = [body.intro, ""]
    if body.notice:
        lines += [body.notice, ""]
    for label, value in body.rows:
        shown = value.replace("\n", "\n    ")
        lines += [f"{label}:", f"    {shown}", ""]
    if body.read_rest:
        lines += [body.read_rest[0], f"    {body.read_rest[1]}", ""]
    if body.reply_hint:
        lines += [body.reply_hint, ""]
    lines += ["--"] + [f"{label}: {value}" for label, value in body.footer]
    return "\n".join(lines) + "\n"


def _html(body: _Body, lang: str) -> str:
    cell = "border-bottom:1px solid #ddd"
    parts = [f"<p>{escape(body.intro)}</p>"]
    if body.notice:
        parts.append(f"<p><strong>{escape(body.notice)}</strong></p>")
    parts.append('<table cellpadding="6" style="border-collapse:collapse">')
    for label, value in body.rows:
        parts.append(
            f'<tr><th align="left" valign="top" style="{cell}">{escape(label)}</th>'
            f'<td style="{cell}">{_html_value(value)}</td></tr>'
        )
    parts.append("</table>")
    if body.read_rest:
        parts.append(f"<p>{escape(body.read_rest[0])}<br><code>{escape(body.read_rest[1])}</code></p>")
    if body.reply_hint:
        parts.append(f"<p>{escape(body.reply_hint)}</p>")
    footer = "<br>".join(f"{escape(label)}: {escape(value)}" for label, value in body.footer)
    parts.append(f'<p style="color:#666;font-size:small">{footer}</p>')
    content = "\n".join(parts)
    return f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"></head><body>{content}</body></html>'


def _html_value(value: str) -> str:
    """Escaped; a line that is an http(s) link becomes clickable, anything else stays text."""
    lines = []
    for line in value.split("\n"):
        if re.match(r"^https?://[^\s\"'<>]+$", line):
            lines.append(f'<a href="{escape(line)}">{escape(line)}</a>')
        else:
            lines.append(escape(line))
    return "<br>".join(lines)

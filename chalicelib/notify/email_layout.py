"""What the organizers' email says, in each language, and how its text and HTML parts lay it out."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape

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
class Body:
    """What the email says, once; the text and HTML parts only lay it out."""

    intro: str
    notice: str | None
    rows: list[tuple[str, str]]
    read_rest: tuple[str, str] | None
    reply_hint: str | None
    footer: list[tuple[str, str]]


def text_layout(body: Body) -> str:
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


def html_layout(body: Body, lang: str) -> str:
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

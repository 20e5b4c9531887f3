"""A digest's email: the list of a period's submissions, then each in full, text and HTML.

Built by digest.py once a period is claimed and listed. It links to nothing and attaches nothing;
every header goes through the header guard, and the mailer sends the very bytes checked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from html import escape

from chalicelib.core import catalogs, ids
from chalicelib.core.catalogs import Texts
from chalicelib.core.digest_periods import DigestChoice, Period, local_label
from chalicelib.core.form_choices import FormOptions
from chalicelib.core.forms import FormDefinition
from chalicelib.core.record import SubmissionRecord
from chalicelib.core.storage import submission_key
from chalicelib.notify import header_guard
from chalicelib.notify.email_layout import POLICY, address_list, multipart, text_part
from chalicelib.notify.email_texts import digest_texts, email_texts
from chalicelib.notify.header_guard import header_value

# The single email's own ways of showing a submission, so that both read alike. Private there: if
# rendering.py renames them, mypy and tests/test_digest*.py say so here.
from chalicelib.notify.rendering import SUBJECT_LIMIT, _clean, _display, _fields_to_show, _printable, _subject

# SES takes 40 MB; an email much larger than this is a burden to open: beyond it, entries are listed only.
FULL_TEXT_BUDGET = 4 * 1024 * 1024


@dataclass(frozen=True)
class Listed:
    """A submission of the period, as its key names it."""

    id: str
    key: str


@dataclass(frozen=True)
class DigestContent:
    period: Period
    form: FormDefinition
    options: FormOptions
    choice: DigestChoice
    records: Sequence[SubmissionRecord]
    unread: Sequence[Listed]
    bucket: str


@dataclass(frozen=True)
class Entry:
    number: int
    summary: str
    meta: str
    rows: list[tuple[str, str]]
    read_rest: str | None


def render_digest(content: DigestContent, sender: str, recipients: Sequence[str]) -> EmailMessage:
    lang = content.options.lang if content.options.lang in catalogs.languages() else "en"
    texts, digest = email_texts(lang), digest_texts(lang)
    form, period, choice = content.form, content.period, content.choice
    entries = [_entry(number, record, content, lang) for number, record in enumerate(content.records, 1)]
    count = len(entries) + len(content.unread)
    start, end = local_label(period.start, choice), local_label(period.end, choice)
    kind = digest["hourly" if choice.notify == "hourly" else "daily"]
    subject = digest["subject"].format(kind=kind, title=form.title(lang), count=count, period=f"{start}\u2013{end}")
    message = header_guard.CheckedMessage(POLICY)
    message["Subject"] = header_value("Subject", _clean(subject, SUBJECT_LIMIT))
    message["From"] = address_list([sender])
    message["To"] = address_list(recipients)
    message["Date"] = format_datetime(datetime.now().astimezone())
    message["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1])
    message["X-Letterbox-Form"] = header_value("X-Letterbox-Form", _clean(form.name, SUBJECT_LIMIT))
    message["X-Letterbox-Digest"] = period.name
    message["X-Letterbox-Count"] = str(count)
    intro = digest.count("intro", count, title=form.title(lang), start=start, end=end, zone=choice.timezone)
    notice = texts["metadata_only"] if content.options.metadata_only else None
    if content.options.encrypts or any(record.is_encrypted for record in content.records):
        notice = texts["encrypted_digest"]
    full = _within_budget(entries)
    footer = [
        (texts["form"], f"{form.title(lang)} ({form.name})"),
        (digest["period"], f"{start} \u2013 {end} ({choice.timezone})"),
        (digest["count"], str(count)),
    ]
    layout = _Layout(intro, notice, entries, full, content.unread, footer, lang)
    text, html = _printable(layout.text()), _printable(layout.html())
    multipart("alternative", [text_part(text, "plain"), text_part(html, "html", mime_version=True)], into=message)
    # Raises UnsafeMessage: never sent. The mailer sends the very bytes checked.
    message.checked = header_guard.check(message, header_guard.blueprint(message))
    return message


def _entry(number: int, record: SubmissionRecord, content: DigestContent, lang: str) -> Entry:
    form, options = content.form, content.options
    texts = email_texts(lang)
    meta = digest_texts(lang)["meta"].format(id=record.id, received=record.received_at)
    rows = [
        (form.label(name, lang), _display(form, name, value, lang))
        for name, value in _fields_to_show(record, form, options)
    ]
    if record.attachments:
        rows.append((texts["files"], texts.count("files_kept", len(record.attachments))))
    # As the single email of a metadata-only form: the command that reads the rest from the bucket.
    read_rest = None
    if options.metadata_only and ids.is_submission_id(record.id):
        read_rest = f"aws s3 cp s3://{content.bucket}/{submission_key(record.form, record.id)} -"
    return Entry(number, _subject(record, form, options, lang), meta, rows, read_rest)


def _within_budget(entries: Sequence[Entry]) -> int:
    """How many entries are shown in full before the text budget runs out."""
    used = 0
    for index, entry in enumerate(entries):
        used += sum(len(label) + len(value) + 8 for label, value in entry.rows)
        if used > FULL_TEXT_BUDGET:
            return index
    return len(entries)


@dataclass(frozen=True)
class _Layout:
    intro: str
    notice: str | None
    entries: Sequence[Entry]
    full: int  # how many entries are shown in full
    unread: Sequence[Listed]
    footer: list[tuple[str, str]]
    lang: str

    @property
    def _texts(self) -> Texts:
        return digest_texts(self.lang)

    def text(self) -> str:
        lines = [self.intro, ""]
        if self.notice:
            lines += [self.notice, ""]
        lines += [f"{self._texts['list']}:", ""]
        for entry in self.entries:
            lines += [f"{entry.number}. {entry.summary}", f"    {entry.meta}"]
            if entry.read_rest:
                lines.append(f"    {entry.read_rest}")
        lines += [f"    {item.id}" for item in self.unread]
        if self.unread:
            lines += ["", self._texts.count("unread", len(self.unread))]
        for entry in self.entries[: self.full]:
            if not entry.rows:
                continue
            lines += ["", f"== {entry.number}. {entry.summary} ==", ""]
            for label, value in entry.rows:
                lines += [f"{label}:", "    " + value.replace("\n", "\n    "), ""]
            lines.append(entry.meta)
        if self.full < len(self.entries):
            lines += ["", self._texts["short"]]
        lines += ["", "--"] + [f"{label}: {value}" for label, value in self.footer]
        return "\n".join(lines) + "\n"

    def html(self) -> str:
        cell = "border-bottom:1px solid #ddd"
        parts = [f"<p>{escape(self.intro)}</p>"]
        if self.notice:
            parts.append(f"<p><strong>{escape(self.notice)}</strong></p>")
        parts.append(f"<h2>{escape(self._texts['list'])}</h2><ol>")
        for entry in self.entries:
            rest = f"<br><code>{escape(entry.read_rest)}</code>" if entry.read_rest else ""
            parts.append(
                f'<li>{escape(entry.summary)}<br><small style="color:#666">{escape(entry.meta)}</small>{rest}</li>'
            )
        parts.append("</ol>")
        if self.unread:
            parts.append("<p>" + "<br>".join(escape(item.id) for item in self.unread) + "</p>")
            parts.append(f"<p>{escape(self._texts.count('unread', len(self.unread)))}</p>")
        for entry in self.entries[: self.full]:
            if not entry.rows:
                continue
            parts.append(f"<h3>{entry.number}. {escape(entry.summary)}</h3>")
            parts.append('<table cellpadding="6" style="border-collapse:collapse">')
            for label, value in entry.rows:
                parts.append(
                    f'<tr><th align="left" valign="top" style="{cell}">{escape(label)}</th>'
                    f'<td style="{cell}">{_html_value(value)}</td></tr>'
                )
            parts.append(f'</table><p style="color:#666;font-size:small">{escape(entry.meta)}</p>')
        if self.full < len(self.entries):
            parts.append(f"<p>{escape(self._texts['short'])}</p>")
        footer = "<br>".join(f"{escape(label)}: {escape(value)}" for label, value in self.footer)
        parts.append(f'<p style="color:#666;font-size:small">{footer}</p>')
        content = "\n".join(parts)
        head = '<head><meta charset="utf-8"></head>'
        return f"<!doctype html><html {catalogs.html_lang(self.lang)}>{head}<body>{content}</body></html>"


def _html_value(value: str) -> str:
    """Escaped, line by line; a digest links to nothing, so no line becomes a link."""
    return "<br>".join(escape(line) for line in value.split("\n"))

"""How the organizers' email lays out what it says (chalicelib/notify/email_texts.py), and its MIME parts.

The parts are built under compat32, with plain-string headers (header_guard.header_value writes
UTF-8 ones): several times faster than policy.default, which parses every header it is given.
"""

from __future__ import annotations

import base64
import random
import re
from binascii import b2a_qp
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import Compat32
from email.utils import formataddr, parseaddr
from html import escape
from typing import Any
from urllib.parse import quote

from chalicelib.core import catalogs
from chalicelib.notify.header_guard import LINE


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
    head = '<head><meta charset="utf-8"></head>'
    return f"<!doctype html><html {catalogs.html_lang(lang)}>{head}<body>{content}</body></html>"


def _html_value(value: str) -> str:
    """Escaped; a line that is an http(s) link becomes clickable, anything else stays text."""
    lines = []
    for line in value.split("\n"):
        if re.match(r"^https?://[^\s\"'<>]+$", line):
            lines.append(f'<a href="{escape(line)}">{escape(line)}</a>')
        else:
            lines.append(escape(line))
    return "<br>".join(lines)


class _Policy(Compat32):
    """compat32, writing a header that is printable ASCII and folded already as it is: what
    email.header.Header would make of it, without the cost."""

    utf8 = False  # EmailMessage.__str__ clones its policy with utf8=True

    def fold(self, name: str, value: str) -> str:
        return f"{name}: {value}{self.linesep}" if _as_is(name, value) else super().fold(name, value)

    def fold_binary(self, name: str, value: str) -> bytes:
        if _as_is(name, value):
            return f"{name}: {value}{self.linesep}".encode("ascii")
        return super().fold_binary(name, value)


def _as_is(name: str, value: Any) -> bool:
    """Printable ASCII, folded already (every line within 78 characters, each continuation line
    starting with one space), nothing to trim: what Header.encode would write (tests/unit)."""
    if type(value) is not str or not value.isascii():
        return False
    if "\n" not in value:  # the most common case, quicker
        return len(name) + 2 + len(value) <= LINE and value.isprintable() and value.strip() == value
    first, *rest = value.split("\n")
    return (
        len(name) + 2 + len(first) <= LINE
        and first.isprintable()
        and first[:1] != " "
        and first[-1:] != " "
        and all(1 < len(line) <= LINE and line.isprintable() and line.strip() == line[1:] for line in rest)
    )


POLICY = _Policy()
# A quoted file name: ASCII with nothing to escape, no ";" to fold at, room on its own line (as
# policy.default writes it). Any other travels as RFC 2231 sections.
PLAIN_FILE_NAME = re.compile(r"[ !#-:<-\[\]-~]{0,60}")
FILE_NAME_SECTION = 56
UTF8_NO_LANGUAGE = "utf-8''"
MIME_TOKEN = re.compile(r"[A-Za-z0-9!#$&^_.+-]+")
# A boundary per process, not per message: the parser compiles a pattern for each new one, which
# cost more than the rest of parsing. No part can hold a boundary line: "==" occurs in neither
# quoted-printable nor base64, the only encodings the parts use.
_TOKEN = f"{random.getrandbits(64):016x}"
BOUNDARIES = {"alternative": f"==_a_{_TOKEN}==", "mixed": f"==_m_{_TOKEN}=="}


def address_list(addresses: Sequence[str]) -> str:
    """Addresses from the settings; a non-ASCII display name as an RFC 2047 word, as policy.default does."""
    return ", ".join(a if a.isascii() else formataddr(parseaddr(a), "utf-8") for a in addresses)


def _part(content_type: str, cte: str | None = None, mime_version: bool = False, payload: str = "") -> EmailMessage:
    part = EmailMessage(POLICY)
    part["Content-Type"] = content_type
    if cte:
        part["Content-Transfer-Encoding"] = cte
    if mime_version:
        part["MIME-Version"] = "1.0"
    part.set_payload(payload)
    return part


def text_part(text: str, subtype: str, mime_version: bool = False) -> EmailMessage:
    """UTF-8 text, quoted-printable (7-bit, as SES wants raw messages), lines ending in a newline."""
    data = text.encode("utf-8")
    encoded = b2a_qp(data if data.endswith(b"\n") else data + b"\n", istext=True).decode("ascii")
    return _part(f'text/{subtype}; charset="utf-8"', "quoted-printable", mime_version, encoded)


def attachment_part(name: str, content_type: str, data: bytes) -> EmailMessage:
    maintype, _, subtype = content_type.partition("/")
    if not MIME_TOKEN.fullmatch(maintype):
        maintype, subtype = "application", "octet-stream"
    part = _part(f"{maintype}/{subtype if MIME_TOKEN.fullmatch(subtype) else 'octet-stream'}", "base64")
    part["Content-Disposition"] = f"attachment; {_file_name_parameter(name)}"
    part["MIME-Version"] = "1.0"
    part.set_payload(base64.encodebytes(data).decode("ascii"))
    return part


def multipart(subtype: str, parts: list[EmailMessage], into: EmailMessage | None = None) -> EmailMessage:
    """`parts` as one multipart: `into` (the message, its other headers set) or a part of its own."""
    content_type = f'multipart/{subtype}; boundary="{BOUNDARIES[subtype]}"'
    if into is None:
        into = _part(content_type)
    else:
        into["MIME-Version"] = "1.0"
        into["Content-Type"] = content_type
    into.set_payload(list(parts))
    return into


def _file_name_parameter(name: str) -> str:
    if PLAIN_FILE_NAME.fullmatch(name):
        return f'filename="{name}"'
    # RFC 2231, as policy.default writes it: sections of whole characters, each on a line once folded.
    sections, current = [], ""
    for char in name:
        encoded = quote(char, safe="")
        if len(current) + len(encoded) > FILE_NAME_SECTION:
            sections.append(current)
            current = ""
        current += encoded
    if len(sections) == 0:
        return f"filename*=utf-8''{current}"
    sections.append(current)
    return "; ".join(f"filename*{i}*={'' if i else UTF8_NO_LANGUAGE}{text}" for i, text in enumerate(sections))

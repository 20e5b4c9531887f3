"""The last check before an email leaves: its bytes must parse back to the headers it was given.

Python's email package decodes RFC 2047 encoded words (`=?utf-8?q?...?=`) when a header is set,
so a value that passed a control-character filter can bring CR/LF back and, on some patch levels
(CPython 3.11.7, 3.12.1), come out as a header of its own; in a MIME parameter (a file name) it does
so on every version, because BytesGenerator skips the newline check there. Two defences:

  neutralise  every header value built from input loses the `=?` that starts an encoded word;
  check       each finished message is serialised as the mailer sends it (as_bytes), parsed back,
              and refused (UnsafeMessage) unless every part has exactly the headers it was given,
              From/To/Reply-To the same addresses, each attachment the same file name.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage, Message

ENCODED_WORD_START = "=?"
# U+200B ZERO WIDTH SPACE splits "=?" for the parser (it is neither "?" nor whitespace) and leaves
# the text looking as typed; the header is then encoded as UTF-8, with "=" and "?" escaped.
NEUTRAL_START = "=\u200b?"
ADDRESS_HEADERS = ("from", "to", "cc", "bcc", "reply-to", "sender")


class UnsafeMessage(Exception):
    """The message would not arrive with the headers it was built with: it must never be sent.

    The reason names parts by position and headers by count, never by a name or value read back:
    those may be submitted text.
    """


def neutralise(text: str) -> str:
    """`text` with no RFC 2047 encoded word left in it: safe to set as (part of) a header value."""
    return text.replace(ENCODED_WORD_START, NEUTRAL_START)


@dataclass(frozen=True)
class PartShape:
    content_type: str
    headers: Mapping[str, int]  # lowercased name -> how many times it is set
    addresses: Mapping[str, tuple[tuple[str, str], ...]]  # (display name, addr-spec) per address header
    filename: str | None


def blueprint(message: EmailMessage) -> tuple[PartShape, ...]:
    """What the renderer wrote, part by part: take it as soon as the message is built."""
    return tuple(_shape(part) for part in message.walk())


def check(message: EmailMessage, intended: tuple[PartShape, ...]) -> bytes:
    """The bytes the mailer will send, if they parse back to `intended`; else UnsafeMessage."""
    raw = message.as_bytes()
    parsed = message_from_bytes(raw, policy=policy.default)
    found = tuple(_shape(part) for part in parsed.walk())
    if len(found) != len(intended):
        raise UnsafeMessage(f"{len(found)} MIME parts found, {len(intended)} rendered")
    for index, (got, meant) in enumerate(zip(found, intended, strict=True)):
        where = f"part {index}" if index else "top level"
        if got.content_type != meant.content_type:
            raise UnsafeMessage(f"{where}: content type differs from the one rendered")
        if got.headers != meant.headers:
            extra = sum((Counter(got.headers) - Counter(meant.headers)).values())
            missing = sum((Counter(meant.headers) - Counter(got.headers)).values())
            raise UnsafeMessage(f"{where}: {extra} header(s) more and {missing} fewer than rendered")
        for name, addresses in meant.addresses.items():
            if got.addresses.get(name) != addresses:
                raise UnsafeMessage(f"{where}: {name} differs from the address(es) rendered")
        if got.filename != meant.filename:
            raise UnsafeMessage(f"{where}: file name differs from the one rendered")
    return raw


def _shape(part: Message) -> PartShape:
    names = Counter(name.lower() for name in part)
    addresses = {name: _addresses(part, name) for name in ADDRESS_HEADERS if name in names}
    return PartShape(part.get_content_type(), dict(names), addresses, part.get_filename())


def _addresses(part: Message, name: str) -> tuple[tuple[str, str], ...]:
    found: list[tuple[str, str]] = []
    for header in part.get_all(name, []):
        # policy.default gives address headers their parsed form; a plain str (another policy) has none.
        found += [(a.display_name, a.addr_spec) for a in getattr(header, "addresses", ())]
    return tuple(found)

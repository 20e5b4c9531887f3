"""The last check before an email leaves: its bytes must parse back to the headers it was given.

Python's email package decodes RFC 2047 encoded words (`=?utf-8?q?...?=`) when a header is set
under policy.default, so a value that passed a control-character filter can bring CR/LF back and,
on some patch levels (CPython 3.11.7, 3.12.1), come out as a header of its own; in a MIME parameter
(a file name) it does so on every version. The renderer builds under compat32, which decodes
nothing, yet a reader that decodes words would still see a line break hidden in one. So:

  neutralise    every header value built from input loses the `=?` that starts an encoded word;
  header_value  writes such text as a header: ASCII words as they are, others as UTF-8 words;
  check         each finished message is serialised (as_bytes) and parsed back under compat32,
                which keeps each header as the raw text the bytes hold, and is refused
                (UnsafeMessage) unless it is 7-bit with LF line ends, every part has exactly the
                headers it was given and parses without a defect, From/To/Reply-To hold the same
                addresses and each attachment the same file name. A line break, control character
                or encoded word that an encoded word decodes to counts as a header more.

The renderer's message (CheckedMessage) keeps the bytes checked: the mailer sends those.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from email import message_from_bytes
from email.message import EmailMessage, Message
from email.quoprimime import header_decode
from email.utils import getaddresses
from itertools import groupby

ENCODED_WORD_START = "=?"
# U+200B ZERO WIDTH SPACE splits "=?" for the parser (it is neither "?" nor whitespace) and leaves
# the text looking as typed; the header is then encoded as UTF-8, with "=" and "?" escaped.
NEUTRAL_START = "=\u200b?"
ADDRESS_HEADERS = ("from", "to", "cc", "bcc", "reply-to", "sender")
# An RFC 2047 word, found at least as leniently as the email package's own decoder finds them.
ENCODED_WORD = re.compile(r"=\?([^?]*)\?([qQbB])\?(.*?)\?=", re.DOTALL)
# What no header the renderer writes holds, decoded: each could start a header of its own.
BREAK = re.compile(r"\r\n|[\x00-\x1f\x7f-\x9f\u2028\u2029]")
HIDDEN = "(a line break or an encoded word, decoded)"
LINE = 78
WORD_LIMIT = 75  # RFC 2047's longest encoded word


class UnsafeMessage(Exception):
    """The message would not arrive with the headers it was built with: it must never be sent.

    The reason names parts by position and headers by count, never by a name or value read back:
    those may be submitted text.
    """


class CheckedMessage(EmailMessage):
    """The renderer's message; once the guard passed it, `checked` holds the bytes it parsed back."""

    checked: bytes | None = None


def neutralise(text: str) -> str:
    """`text` with no RFC 2047 encoded word left in it: safe to set as (part of) a header value."""
    return text.replace(ENCODED_WORD_START, NEUTRAL_START)


def header_value(name: str, text: str) -> str:
    """One line of cleaned text as a header, folded: ASCII words as they are, runs of the others as
    UTF-8 RFC 2047 "b" words, as policy.default writes it; a word that looks like an encoded word
    (only if neutralising failed) is encoded too, so a reader shows it, never decodes it."""
    if text.isascii() and len(name) + len(text) <= LINE - 2 and ENCODED_WORD_START not in text:
        return text
    lines, used = [""], len(name) + 1
    for plain, run in groupby(text.split(" "), key=_plain_word):
        for word in run if plain else _encoded_words(" ".join(run), LINE - used - 1):
            if used + 1 + len(word) > LINE and lines[-1]:
                lines.append("")
                used = 0
            lines[-1] += f" {word}" if lines[-1] else word
            used += 1 + len(word)
    return "\n ".join(lines)


def _plain_word(word: str) -> bool:
    return word.isascii() and ENCODED_WORD_START not in word


def _encoded_words(text: str, room: int) -> Iterator[str]:
    """`text` as "b" words of whole characters: the first within `room` if any character fits there
    (else within a line of its own), each other within a line of its own."""
    limit = room if room >= _b_length(4) else WORD_LIMIT
    start, size = 0, 0
    for index, char in enumerate(text):
        width = len(char.encode("utf-8"))
        if size and _b_length(size + width) > limit:
            yield _b_word(text[start:index])
            start, size, limit = index, 0, WORD_LIMIT
        size += width
    yield _b_word(text[start:])


def _b_length(size: int) -> int:
    return len("=?utf-8?b??=") + 4 * ((size + 2) // 3)


def _b_word(text: str) -> str:
    return f"=?utf-8?b?{base64.b64encode(text.encode('utf-8')).decode('ascii')}?="


def bytes_to_send(message: Message) -> bytes:
    """The bytes the guard checked, for a message it passed; any other message serialised."""
    checked = message.checked if isinstance(message, CheckedMessage) else None
    return checked if checked is not None else message.as_bytes()


@dataclass(frozen=True)
class PartShape:
    content_type: str
    headers: Mapping[str, int]  # lowercased name -> how many times it is set
    addresses: Mapping[str, tuple[str, ...]]  # each address header's text, unfolded
    filename: str | None


def blueprint(message: Message) -> tuple[PartShape, ...]:
    """What the renderer wrote, part by part: take it as soon as the message is built."""
    return tuple(_shape(part) for part in message.walk())


def check(message: Message, intended: tuple[PartShape, ...]) -> bytes:
    """The bytes the mailer will send, if they parse back to `intended`; else UnsafeMessage."""
    raw = message.as_bytes()
    if not raw.isascii() or b"\r" in raw:
        raise UnsafeMessage("the message is not 7-bit with LF line ends, as rendered")
    parts = list(message_from_bytes(raw).walk())  # compat32: raw header text, nothing decoded
    if len(parts) != len(intended):
        raise UnsafeMessage(f"{len(parts)} MIME parts found, {len(intended)} rendered")
    for index, (part, meant) in enumerate(zip(parts, intended, strict=True)):
        where = f"part {index}" if index else "top level"
        got = _shape(part, read_back=True)
        if got.content_type != meant.content_type:
            raise UnsafeMessage(f"{where}: content type differs from the one rendered")
        if got.headers != meant.headers:
            extra = sum((Counter(got.headers) - Counter(meant.headers)).values())
            missing = sum((Counter(meant.headers) - Counter(got.headers)).values())
            raise UnsafeMessage(f"{where}: {extra} header(s) more and {missing} fewer than rendered")
        for name, texts in meant.addresses.items():
            if got.addresses[name] != texts and _parsed(got.addresses[name]) != _parsed(texts):
                raise UnsafeMessage(f"{where}: {name} differs from the address(es) rendered")
        if got.filename != meant.filename:
            raise UnsafeMessage(f"{where}: file name differs from the one rendered")
        if got.filename is not None and (BREAK.search(got.filename) or _hidden(got.filename)):
            raise UnsafeMessage(f"{where}: file name holds a control character or an encoded word")
        if part.defects:
            raise UnsafeMessage(f"{where}: {len(part.defects)} defect(s) parsing it back")
    return raw


def _shape(part: Message, read_back: bool = False) -> PartShape:
    """A part's shape; read back, a header its encoded words could hide counts as one more."""
    names: dict[str, int] = {}
    addresses: dict[str, tuple[str, ...]] = {}
    hidden = 0
    for name, value in part.raw_items():
        key, text = name.lower(), str(value)
        names[key] = names.get(key, 0) + 1
        if key in ADDRESS_HEADERS:
            addresses[key] = (*addresses.get(key, ()), text.replace("\n ", " ").replace("\n\t", "\t"))
        if read_back and ENCODED_WORD_START in text:
            hidden += _hidden(text)
    if hidden:
        names[HIDDEN] = hidden
    # get_filename reads Content-Disposition's filename, else Content-Type's name: skip it when neither can be.
    has_name = "content-disposition" in names or "name" in str(part.get("content-type", "")).lower()
    return PartShape(part.get_content_type(), names, addresses, part.get_filename() if has_name else None)


def _parsed(texts: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    # Only when the texts differ (folded otherwise, say): the same addresses then pass.
    return tuple(getaddresses(list(texts)))


def _hidden(text: str) -> int:
    """How many headers the encoded words in `text` could hide: the line breaks and control
    characters they decode to, and the encoded words in them, adjacent words read as one text."""
    if ENCODED_WORD_START not in text:
        return 0
    count, run, end = 0, "", 0
    for word in ENCODED_WORD.finditer(text):
        if run and text[end : word.start()].strip():  # text between: the run ends
            count, run = count + _breaks(run), ""
        run, end = run + _decoded(*word.groups()), word.end()
    return count + _breaks(run)


def _breaks(decoded: str) -> int:
    return len(BREAK.findall(decoded)) + decoded.count(ENCODED_WORD_START)


def _decoded(charset: str, encoding: str, text: str) -> str:
    try:
        if encoding in "bB":
            data = binascii.a2b_base64(text + "=" * (-len(text) % 4))  # padding may be left out
        else:
            data = header_decode(text).encode("latin-1")
        return data.decode(charset.partition("*")[0], "replace")  # RFC 2231 adds "*language"
    except (binascii.Error, LookupError, UnicodeError, ValueError):
        return "\x00"  # not a word it could have written: counted as hidden, refused

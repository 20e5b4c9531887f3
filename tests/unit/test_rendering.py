"""The organizers' email: no header from input, an honest Reply-To, no control character in the body."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage, Message
from typing import Any

import pytest

from chalicelib.core.form_choices import FormOptions
from chalicelib.core.forms import FormDefinition, FormRegistry
from chalicelib.core.record import SubmissionRecord
from chalicelib.intake.validation import validate
from chalicelib.notify import email_layout, header_guard
from chalicelib.notify.header_guard import UnsafeMessage
from chalicelib.notify.mailer import SesMailer
from chalicelib.notify.rendering import FileContent, Files, render_notification
from chalicelib.notify.s3_events import StoredObject

SENDER = "letterbox@example.org"
ORGANIZERS = ("first@example.org", "second@example.org")
SUPPORTER = "anna@example.net"
# Both reported in the security issue: the first forged a top-level Reply-To (CPython 3.11.7, 3.12.1),
# the second, as a file name, a header in the attachment part on every version tried.
FORGED_REPLY_TO = "=?utf-8?q?=0D=0AReply-To:_police@evil.example?="
FORGED_PART_HEADER = "=?utf-8?q?a=0D=0AX-Evil:_1?="
PAYLOADS = [FORGED_REPLY_TO, FORGED_PART_HEADER]
TOP_HEADERS = Counter(
    [
        "subject",
        "from",
        "to",
        "date",
        "message-id",
        "x-letterbox-submission",
        "x-letterbox-form",
        "mime-version",
        "content-type",
    ]
)
# The email package's own, in MIME parts: each at most once.
PART_HEADERS = {"content-type", "content-transfer-encoding", "content-disposition", "mime-version"}
VALID: dict[str, dict[str, Any]] = {
    "action-report": {
        "kind": "embassy",
        "date": "2026-11-14",
        "city": "Berlin",
        "country": "Germany",
        "description": "We handed a letter to the consul.",
        "participants": 3,
        "links": ["https://example.org/photo"],
        "reporter": "Anna",
        "email": SUPPORTER,
        "consent_publish": False,
    },
    "letter-copy": {
        "addressee_kind": "court",
        "addressee": "Tverskoy district court",
        "channel": "fax",
        "date_sent": "2026-11-10",
        "language": "Russian",
        "subject": "Release them",
        "text": "Dear court,\nrelease them.",
        "sender": "Anna",
        "email": SUPPORTER,
        "reply_received": "None yet.",
    },
}
PDF = b"%PDF-1.4\n%%EOF\n"
BODY_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@pytest.fixture(scope="module")
def forms() -> FormRegistry:
    return FormRegistry.load()


def form_of(forms: FormRegistry, name: str) -> FormDefinition:
    form = forms.get(name)
    assert form is not None
    return form


def text_fields(form_name: str) -> Iterator[tuple[str, str]]:
    """(form, field) for every field of the form's schema that holds text, alone or in a list."""
    form = FormRegistry.load(validators=False).get(form_name)
    assert form is not None
    for name, prop in form.properties.items():
        if prop.get("type") == "string" or prop.get("items", {}).get("type") == "string":
            yield form_name, name


FIELDS = [*text_fields("action-report"), *text_fields("letter-copy")]


def with_payload(form: FormDefinition, field: str, payload: str) -> dict[str, Any]:
    data: dict[str, Any] = dict(VALID[form.name])
    data[field] = [payload] if form.properties[field].get("type") == "array" else payload
    return data


def render(
    form: FormDefinition,
    data: dict[str, Any],
    *,
    metadata_only: bool = False,
    files: Files | None = None,
) -> EmailMessage:
    record = SubmissionRecord(
        id="01KAX3Z8W6V1R2F7D9QH0M4N5P",
        form=form.name,
        schema_version=form.version,
        received_at="2026-11-14T18:03:12.345Z",
        data=data,
    )
    source = StoredObject("bucket", f"submissions/{form.name}/2026/11/14/01KAX3Z8W6V1R2F7D9QH0M4N5P.json")
    options = FormOptions(organizers=ORGANIZERS, metadata_only=metadata_only)
    return render_notification(record, source, form, options, SENDER, ORGANIZERS, files)


def parsed(message: EmailMessage) -> EmailMessage:
    """The message as it arrives: what the mailer sends, read back."""
    found = message_from_bytes(message.as_bytes(), policy=policy.default)
    assert isinstance(found, EmailMessage)
    return found


def names(part: Message) -> Counter[str]:
    return Counter(name.lower() for name in part)


def assert_exactly_the_rendered_headers(message: EmailMessage, reply_to: str | None) -> EmailMessage:
    arrived = parsed(message)
    expected_top = TOP_HEADERS + Counter(["reply-to"] if reply_to else [])
    assert names(arrived) == expected_top
    assert arrived["From"] == SENDER
    assert [a.addr_spec for a in arrived["To"].addresses] == list(ORGANIZERS)
    assert arrived.get_all("Reply-To") == ([reply_to] if reply_to else None)
    sent_parts, built_parts = list(arrived.walk()), list(message.walk())
    assert len(sent_parts) == len(built_parts)
    for sent, built in zip(sent_parts[1:], built_parts[1:], strict=True):
        assert names(sent) == names(built)
        assert set(names(sent)) <= PART_HEADERS
        assert max(names(sent).values()) == 1
    return arrived


@pytest.mark.parametrize("metadata_only", [False, True], ids=["full", "metadata-only"])
@pytest.mark.parametrize("payload", PAYLOADS, ids=["reply-to", "x-evil"])
@pytest.mark.parametrize(("form_name", "field"), FIELDS, ids=[f"{f}.{n}" for f, n in FIELDS])
def test_an_encoded_word_in_any_text_field_adds_no_header(
    forms: FormRegistry, form_name: str, field: str, payload: str, metadata_only: bool
) -> None:
    form = form_of(forms, form_name)

    message = render(form, with_payload(form, field, payload), metadata_only=metadata_only)

    reply_to = None if metadata_only or field == "email" else SUPPORTER
    arrived = assert_exactly_the_rendered_headers(message, reply_to)
    assert "=?" not in str(arrived["Subject"])


@pytest.mark.parametrize("payload", PAYLOADS, ids=["reply-to", "x-evil"])
def test_an_encoded_word_in_a_file_name_adds_no_header_to_the_attachment(forms: FormRegistry, payload: str) -> None:
    form = form_of(forms, "letter-copy")
    files = Files(
        attached=[FileContent(payload + ".pdf", "application/pdf", PDF), FileContent("b.pdf", "application/pdf", PDF)]
    )

    message = render(form, dict(VALID["letter-copy"]), files=files)

    arrived = assert_exactly_the_rendered_headers(message, SUPPORTER)
    first, second = arrived.iter_attachments()
    assert names(first) == names(second)  # the same headers as an innocent file's
    assert first.get_filename() == payload.replace("=?", "=\u200b?") + ".pdf"  # looks as typed, decodes to nothing
    assert first.get_content() == PDF


def test_without_neutralising_a_forged_file_name_is_refused_not_sent(
    forms: FormRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(header_guard, "neutralise", lambda text: text)
    files = Files(attached=[FileContent(FORGED_PART_HEADER + ".pdf", "application/pdf", PDF)])

    with pytest.raises(UnsafeMessage, match="part 4: 1 header"):
        render(form_of(forms, "letter-copy"), dict(VALID["letter-copy"]), files=files)


def test_without_neutralising_a_forged_subject_is_refused_or_harmless_on_this_python(
    forms: FormRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    # CPython 3.11.7 and 3.12.1 decode it into a real Reply-To; others re-encode it. Either way, none is sent.
    monkeypatch.setattr(header_guard, "neutralise", lambda text: text)
    form = form_of(forms, "action-report")

    try:
        message = render(form, with_payload(form, "city", FORGED_REPLY_TO), metadata_only=True)
    except UnsafeMessage as error:
        refusal = str(error)
    else:
        assert_exactly_the_rendered_headers(message, None)
        return
    assert refusal == "top level: 1 header(s) more and 0 fewer than rendered"


def a_rendered_message(forms: FormRegistry) -> EmailMessage:
    files = Files(attached=[FileContent("скан.pdf", "application/pdf", PDF)])
    return render(form_of(forms, "letter-copy"), dict(VALID["letter-copy"]), files=files)


def test_the_guard_passes_a_message_as_rendered(forms: FormRegistry) -> None:
    message = a_rendered_message(forms)

    assert header_guard.check(message, header_guard.blueprint(message)) == message.as_bytes()


def test_the_guard_refuses_a_header_added_at_the_top(forms: FormRegistry) -> None:
    message = a_rendered_message(forms)
    intended = header_guard.blueprint(message)
    message["Bcc"] = "police@evil.example"

    with pytest.raises(UnsafeMessage, match=r"^top level: 1 header\(s\) more and 0 fewer than rendered$"):
        header_guard.check(message, intended)


def test_the_guard_refuses_a_header_added_to_an_attachment(forms: FormRegistry) -> None:
    message = a_rendered_message(forms)
    intended = header_guard.blueprint(message)
    [attachment] = message.iter_attachments()
    attachment["X-Evil"] = "1"

    with pytest.raises(UnsafeMessage, match=r"^part 4: 1 header\(s\) more"):
        header_guard.check(message, intended)


def test_the_guard_refuses_a_changed_reply_to_and_a_changed_file_name(forms: FormRegistry) -> None:
    message = a_rendered_message(forms)
    intended = header_guard.blueprint(message)
    message.replace_header("Reply-To", "police@evil.example")

    with pytest.raises(UnsafeMessage, match=r"^top level: reply-to differs"):
        header_guard.check(message, intended)

    message = a_rendered_message(forms)
    intended = header_guard.blueprint(message)
    [attachment] = message.iter_attachments()
    attachment.set_param("filename", "other.pdf", header="Content-Disposition")

    with pytest.raises(UnsafeMessage, match=r"^part 4: file name differs"):
        header_guard.check(message, intended)


def test_the_reason_a_message_is_refused_quotes_nothing_of_it(forms: FormRegistry) -> None:
    message = a_rendered_message(forms)
    intended = header_guard.blueprint(message)
    message["X-Tverskoy"] = "Tverskoy district court"

    with pytest.raises(UnsafeMessage) as refused:
        header_guard.check(message, intended)

    assert "Tverskoy" not in str(refused.value)


class CapturingSes:
    def __init__(self) -> None:
        self.sent: list[bytes] = []

    def send_email(self, **request: Any) -> dict[str, str]:
        self.sent.append(request["Content"]["Raw"]["Data"])
        return {"MessageId": "ses-1"}


def test_the_mailer_sends_the_very_bytes_the_guard_checked(forms: FormRegistry) -> None:
    message = a_rendered_message(forms)
    checked = header_guard.check(message, header_guard.blueprint(message))
    ses = CapturingSes()

    SesMailer(ses, SENDER).send(message, ORGANIZERS)  # type: ignore[arg-type]

    assert ses.sent == [checked]


@pytest.mark.parametrize(
    "address",
    ["anna@example.net", "Anna.B+campaign@example.org", "анна@пример.рф", "anna@пример.рф", "ünal@straße.de"],
)
def test_a_real_address_passes_the_email_format(forms: FormRegistry, address: str) -> None:
    data = {**VALID["letter-copy"], "email": address}

    assert validate(form_of(forms, "letter-copy"), data, "en") == []


@pytest.mark.parametrize(
    "address",
    [
        "anna@",
        "@",
        "@example.net",
        "anna",
        "anna@example",
        "anna@@example.net",
        "an na@example.net",
        '"anna"@example.net',
        "anna@[192.0.2.1]",
        "Anna <anna@example.net>",
        "anna@example.net\r\nBcc: x@example.org",
        "anna@-example.net",
    ],
)
def test_what_is_not_an_address_fails_the_email_format(forms: FormRegistry, address: str) -> None:
    data = {**VALID["letter-copy"], "email": address}

    errors = validate(form_of(forms, "letter-copy"), data, "en")

    assert [error.field for error in errors] == ["/email"]
    assert errors[0].message == "Must be an email address like name@example.org."


def test_a_unicode_domain_replies_to_its_ascii_form_in_a_7bit_message(forms: FormRegistry) -> None:
    form = form_of(forms, "action-report")

    message = render(form, {**VALID["action-report"], "email": "anna@пример.рф"})

    raw = message.as_bytes()
    assert max(raw) < 128
    arrived = assert_exactly_the_rendered_headers(message, "anna@xn--e1afmkfd.xn--p1ai")
    assert [a.addr_spec for a in arrived["Reply-To"].addresses] == ["anna@xn--e1afmkfd.xn--p1ai"]


@pytest.mark.parametrize("address", ["анна@пример.рф", "анна@example.net"])
def test_a_non_ascii_local_part_gets_no_reply_to_and_is_shown_in_the_body(forms: FormRegistry, address: str) -> None:
    form = form_of(forms, "action-report")

    message = render(form, {**VALID["action-report"], "email": address})

    arrived = assert_exactly_the_rendered_headers(message, None)  # SES raw cannot carry SMTPUTF8
    text = arrived.get_body(("plain",))
    assert text is not None
    assert f"Email:\n    {address}\n" in text.get_content()
    assert "Press Reply" not in text.get_content()


def test_an_address_with_an_encoded_word_start_gets_no_reply_to(forms: FormRegistry) -> None:
    form = form_of(forms, "action-report")

    message = render(form, {**VALID["action-report"], "email": "a=?b?=@example.net"})

    assert_exactly_the_rendered_headers(message, None)


def test_no_control_character_but_tab_and_newline_reaches_either_body_part(forms: FormRegistry) -> None:
    form = form_of(forms, "letter-copy")
    text = "Dear\x00court\x07,\x1b[31m\r\nrelease\x7fthem\x85\x9f.\tSigned\rAnna\x0b\x0c"
    files = Files(attached=[FileContent("скан\x01.pdf", "application/pdf", PDF)])

    message = render(form, {**VALID["letter-copy"], "text": text, "reply_received": "\x1f"}, files=files)

    arrived = parsed(message)
    plain, html = arrived.get_body(("plain",)), arrived.get_body(("html",))
    assert plain is not None
    assert html is not None
    for content in (plain.get_content(), html.get_content()):
        assert BODY_CONTROL.search(content) is None
        assert "\r" not in content
    assert (
        "Dear\ufffdcourt\ufffd,\ufffd[31m\n    release\ufffdthem\ufffd\ufffd.\tSigned\n    Anna" in plain.get_content()
    )
    assert "скан\ufffd.pdf" in plain.get_content()
    [attachment] = arrived.iter_attachments()
    assert attachment.get_filename() == "скан .pdf"  # in a header, a control character becomes a space


CYRILLIC_LETTER = {**VALID["letter-copy"], "subject": "О незаконном задержании", "addressee": "Тверской районный суд"}


def test_every_part_parses_under_policy_default_without_a_defect(forms: FormRegistry) -> None:
    files = Files(
        attached=[
            FileContent("скан письма в Тверской районный суд, 20 ноября.pdf", "application/pdf", PDF),
            FileContent("я" * 230 + ".pdf", "image/png", PDF),
            FileContent('a "quoted"; name\\.pdf', "application/pdf", PDF),
        ]
    )

    message = render(form_of(forms, "letter-copy"), dict(CYRILLIC_LETTER), files=files)

    arrived = parsed(message)
    assert [part.get_content_type() for part in arrived.walk()] == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
        "text/html",
        "application/pdf",
        "image/png",
        "application/pdf",
    ]
    for part in arrived.walk():
        assert not part.defects
        for name, value in part.items():
            assert not value.defects, name
    assert str(arrived["Subject"]) == "Letter copy: Court, Тверской районный суд, 2026-11-10"
    names = [part.get_filename() for part in arrived.iter_attachments()]
    assert names == [
        "скан письма в Тверской районный суд, 20 ноября.pdf",
        "я" * 199 + "\u2026",
        'a "quoted"; name\\.pdf',
    ]
    raw = message.as_bytes()
    assert max(raw) < 128
    assert max(len(line) for line in raw.split(b"\n")) <= 78


def test_a_cyrillic_subject_arrives_as_typed(forms: FormRegistry) -> None:
    form = form_of(forms, "action-report")
    city = "Санкт-Петербург (Васильевский остров), у генерального консульства"

    message = render(form, {**VALID["action-report"], "city": city})

    arrived = assert_exactly_the_rendered_headers(message, SUPPORTER)
    assert str(arrived["Subject"]) == f"Action report: Visit to an embassy or consulate, {city[:59]}\u2026, 2026-11-14"
    assert not arrived["Subject"].defects
    assert arrived.as_bytes().startswith(b"Subject: Action report: Visit to an embassy or consulate, =?utf-8?b?")


@pytest.mark.parametrize(
    "value",
    [
        "letterbox@example.org",
        "first@example.org, second@example.org",
        "x" * 66,
        "x" * 67,
        "a  b",
        " a",
        "a ",
        "",
        'attachment; filename="a b; c.pdf"',
        "Action report: Visit to an embassy or consulate, =?utf-8?b?0KHQsNC9?=\n =?utf-8?b?0LrRgi0=?= 2026-11-14",
        "a\n b\n c",
        "a\nb",
        "a\n ",
        "tab\there",
    ],
)
def test_the_renderers_header_folding_writes_what_compat32_writes(value: str) -> None:
    assert email_layout.POLICY.fold_binary("Subject", value) == policy.compat32.fold_binary("Subject", value)


def test_the_mailer_sends_the_bytes_checked_even_if_the_message_changed_since(forms: FormRegistry) -> None:
    message = a_rendered_message(forms)
    checked = message.as_bytes()
    message["Bcc"] = "police@evil.example"
    ses = CapturingSes()

    SesMailer(ses, SENDER).send(message, ORGANIZERS)  # type: ignore[arg-type]

    assert ses.sent == [checked]


def test_the_guard_refuses_an_8bit_message_and_a_line_break_an_encoded_word_decodes_to(forms: FormRegistry) -> None:
    message = a_rendered_message(forms)
    intended = header_guard.blueprint(message)
    alternative = message.get_payload(0)
    assert isinstance(alternative, Message)
    text = alternative.get_payload(0)
    assert isinstance(text, Message)
    text.set_payload("caf\udce9\r\n")  # raw bytes, as a parser keeps them: written as they are

    with pytest.raises(UnsafeMessage, match=r"^the message is not 7-bit with LF line ends"):
        header_guard.check(message, intended)

    message = a_rendered_message(forms)
    intended = header_guard.blueprint(message)
    message.replace_header("X-Letterbox-Form", "=?utf-8?b?bGV0dGVyLWNvcHkNCkJjYzogcG9saWNlQGV2aWwuZXhhbXBsZQ==?=")

    with pytest.raises(UnsafeMessage, match=r"^top level: 1 header\(s\) more and 0 fewer than rendered$"):
        header_guard.check(message, intended)

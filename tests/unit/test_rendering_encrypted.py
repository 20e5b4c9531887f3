"""The email and the digest of an encrypted form: its clear fields, its id and time, and the .age file only."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from chalicelib.core.digest_periods import DigestChoice, Period
from chalicelib.core.form_choices import FormOptions
from chalicelib.core.forms import FormDefinition
from chalicelib.core.record import SubmissionRecord
from chalicelib.core.sealing import new_identity, open_sealed
from chalicelib.core.sealing import sealed_record as sealed
from chalicelib.notify.digest_email import DigestContent, render_digest
from chalicelib.notify.rendering import render_notification
from chalicelib.notify.s3_events import StoredObject

SECRET, RECIPIENT = new_identity()
DATA = {"country": "Clearlandia", "city": "Кёнигсберг-Тайный", "email": "anna@example.net", "text": "Hidden words"}
HIDDEN = ("Кёнигсберг-Тайный", "anna@example.net", "Hidden words")
OPTIONS = FormOptions(organizers=("o@example.org",), encrypt_to=(RECIPIENT,), clear_fields=("country",))


def form(subject: str) -> FormDefinition:
    schema: dict[str, Any] = {
        "title": "Testimony",
        "properties": {name: {"type": "string", "title": name.title()} for name in DATA},
        "x-letterbox": {"subject": {"en": subject}, "reply_to": "email"},
    }
    return FormDefinition(name="testimony", schema=schema, version="1")


def record(number: int = 0) -> SubmissionRecord:
    plain = SubmissionRecord(
        id=f"01KAX3Z8W6V1R2F7D9QH0M4N5{'PQ'[number]}",
        form="testimony",
        schema_version="1",
        received_at="2026-11-14T18:03:12.345Z",
        data=DATA,
    )
    return sealed(plain, OPTIONS)


def email(subject: str) -> EmailMessage:
    message = render_notification(
        record(), StoredObject("b", "k"), form(subject), OPTIONS, "letterbox@example.org", ["o@example.org"]
    )
    parsed = message_from_bytes(message.as_bytes(), policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def everything_read(message: EmailMessage) -> str:
    parts = [str(message[name]) for name in message]
    parts += [part.get_content() for part in message.walk() if part.get_content_type().startswith("text/")]
    return "\n".join(parts)


def test_the_email_shows_the_clear_fields_id_and_time_and_attaches_the_age_file() -> None:
    message = email("Testimony from {country}")
    shown = everything_read(message)

    assert message["Subject"] == "Testimony from Clearlandia"
    assert message["Reply-To"] is None
    assert "Clearlandia" in shown
    assert "01KAX3Z8W6V1R2F7D9QH0M4N5P" in shown
    assert "2026-11-14T18:03:12.345Z" in shown
    assert not [value for value in HIDDEN if value in shown]
    (attached,) = message.iter_attachments()
    assert attached.get_filename() == "01KAX3Z8W6V1R2F7D9QH0M4N5P.age"
    from pyrage import x25519

    assert open_sealed(attached.get_content(), [x25519.Identity.from_str(SECRET)]) == DATA


def test_a_subject_naming_an_encrypted_field_becomes_neutral_with_the_title_and_id() -> None:
    subject = email("Testimony from {city}")["Subject"]

    assert subject == "New encrypted submission: Testimony (01KAX3Z8W6V1R2F7D9QH0M4N5P)"


def test_a_digest_lists_only_ids_times_and_clear_fields() -> None:
    start = datetime(2026, 11, 14, tzinfo=UTC)
    content = DigestContent(
        period=Period(start, start.replace(day=15)),
        form=form("Testimony from {city}"),
        options=OPTIONS,
        choice=DigestChoice(notify="daily"),
        records=[record(0), record(1)],
        unread=[],
        bucket="b",
    )

    message = render_digest(content, "letterbox@example.org", ["o@example.org"])
    parsed = message_from_bytes(message.as_bytes(), policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    shown = everything_read(parsed)

    assert "01KAX3Z8W6V1R2F7D9QH0M4N5P" in shown
    assert "01KAX3Z8W6V1R2F7D9QH0M4N5Q" in shown
    assert "Clearlandia" in shown
    assert "This form is encrypted" in shown
    assert not [value for value in HIDDEN if value in shown]
    assert not list(message.iter_attachments())
    assert json.dumps(DATA) not in shown
